"""hub.checksums: every algorithm against known vectors, native vs pure-Python, the aws-chunked
encoder (framing, lengths, rewinding, memory) and its decoder."""

from __future__ import annotations

import base64
import hashlib
import importlib
import importlib.util
import io
import os
import sys
import tracemalloc
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub import checksums
from hub.checksums import AwsChunkedReader, ChecksumReader, decode_aws_chunked
from hub.errors import FlexibleChecksumError, MissingDependencyError

# The CRC catalogue's check value is the CRC of b"123456789"; the SHA values are FIPS 180's.
CHECK = b"123456789"
VECTORS = {
    "CRC32": (0xCBF43926).to_bytes(4, "big"),
    "CRC32C": (0xE3069283).to_bytes(4, "big"),
    "CRC64NVME": (0xAE8B14860A799888).to_bytes(8, "big"),
    "SHA1": bytes.fromhex("f7c3bc1d808e04732adf679965ccc34ca7ae3441"),
    "SHA256": bytes.fromhex("15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225"),
}
# The wire values for b"Hello world": CRC32/SHA1/SHA256 as botocore's classes compute them (its
# CRC32C/CRC64NVME need awscrt); CRC32C/CRC64NVME are pinned after the check vectors above.
HELLO = {
    "CRC32": "i9aeUg==",
    "CRC32C": "crUfeA==",
    "SHA1": "e1AsOh9IyGCa4hLN+2Od7jlnP14=",
    "SHA256": "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=",
    "CRC64NVME": "OOJZ0D8xKts=",
}


@pytest.mark.parametrize("algorithm", sorted(VECTORS))
def test_check_vectors(algorithm: str) -> None:
    running = checksums.new_checksum(algorithm)
    running.update(CHECK[:4])
    running.update(b"")
    running.update(memoryview(CHECK[4:]))
    assert running.digest() == VECTORS[algorithm]
    assert running.b64digest() == base64.b64encode(VECTORS[algorithm]).decode()
    assert checksums.checksum(algorithm.lower(), CHECK) == running.b64digest()
    assert running.algorithm == algorithm


@pytest.mark.parametrize("algorithm", sorted(HELLO))
def test_values_as_s3_sends_them(algorithm: str) -> None:
    assert checksums.checksum(algorithm, b"Hello world") == HELLO[algorithm]


def test_empty_bodies() -> None:
    assert checksums.checksum("CRC32", b"") == "AAAAAA=="
    assert checksums.checksum("CRC32C", b"") == "AAAAAA=="
    assert checksums.checksum("CRC64NVME", b"") == "AAAAAAAAAAA="
    assert checksums.checksum("SHA256", b"") == base64.b64encode(
        hashlib.sha256(b"").digest()).decode()


@given(st.binary(max_size=600), st.integers(min_value=0, max_value=600))
def test_pure_python_crcs_match_native_and_continue(data: bytes, cut: int) -> None:
    # The native crc32c package (the test extra installs it) against hub's fallback table.
    assert checksums._py_crc32c(data) == checksums.crc32c(data)
    assert checksums._py_crc32c(data[cut:], checksums._py_crc32c(data[:cut])) == \
        checksums._py_crc32c(data)
    assert checksums._py_crc64nvme(data[cut:], checksums._py_crc64nvme(data[:cut])) == \
        checksums._py_crc64nvme(data)


def test_native_crc32c_is_used_when_installed() -> None:
    pytest.importorskip("crc32c", reason="the test extra installs crc32c")
    assert checksums.implementation("CRC32C") == "crc32c"
    assert checksums.implementation("crc32") in ("isal", "zlib-ng", "zlib")
    assert checksums.implementation("SHA256") == "hashlib"


def _crc32_functions() -> list[Any]:
    """Every CRC32 implementation hub may use here: zlib, and the optional SIMD ones."""
    found = [pytest.param(None, id="zlib")]
    for module, attr, name in (("isal.isal_zlib", "crc32", "isal"),
                               ("zlib_ng.zlib_ng", "crc32", "zlib-ng")):
        try:
            fn = getattr(importlib.import_module(module), attr)
        except ImportError:
            found.append(pytest.param(None, id=name, marks=pytest.mark.skip(
                reason=f"{name} is not installed (optional: hub[crc32])")))
        else:
            found.append(pytest.param((fn, name), id=name))
    return found


@pytest.mark.parametrize("native", _crc32_functions())
def test_every_crc32_implementation_gives_the_same_values(
        monkeypatch: pytest.MonkeyPatch, native: Any) -> None:
    monkeypatch.setattr(checksums, "_native", {"CRC32": native})
    assert checksums.implementation("CRC32") == (native[1] if native else "zlib")
    assert checksums.new_checksum("CRC32").digest() == bytes(4)
    assert checksums.checksum("CRC32", CHECK) == base64.b64encode(VECTORS["CRC32"]).decode()
    assert checksums.checksum("CRC32", b"Hello world") == HELLO["CRC32"]
    data = os.urandom(3 * 1024 * 1024 + 17)
    for overlap in (False, True):
        running = checksums.new_checksum("CRC32", overlap=overlap)
        for i in range(0, len(data), 700_001):
            running.update(memoryview(data)[i:i + 700_001])
        assert running.digest() == zlib.crc32(data).to_bytes(4, "big")


def test_crc32_prefers_isal_then_zlib_ng_then_zlib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checksums, "_native", {})
    expected = "zlib"
    for module, name in (("zlib_ng", "zlib-ng"), ("isal", "isal")):
        if importlib.util.find_spec(module) is not None:
            expected = name
    assert checksums.implementation("CRC32") == expected
    for module in ("isal", "zlib_ng"):  # neither importable: zlib
        monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setattr(checksums, "_native", {})
    assert checksums.implementation("CRC32") == "zlib"
    assert checksums.checksum("CRC32", b"Hello world") == HELLO["CRC32"]


def test_fallback_without_native(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checksums, "_native", {"CRC32C": None, "CRC64NVME": None})
    assert checksums.implementation("CRC32C") == "python"
    assert checksums.checksum("CRC32C", CHECK) == base64.b64encode(VECTORS["CRC32C"]).decode()
    with pytest.raises(MissingDependencyError, match=r"hub\[crt\]") as info:
        checksums.new_checksum("CRC64NVME", require_native=True)
    assert info.value.extra == "crt" and info.value.package == "awscrt"
    with pytest.raises(MissingDependencyError, match=r"hub\[crc32c\]"):
        checksums.new_checksum("CRC32C", require_native=True)


def test_unknown_algorithm_is_typed() -> None:
    with pytest.raises(FlexibleChecksumError, match="'md5'") as info:
        checksums.new_checksum("md5")
    assert info.value.algorithm == "MD5" and isinstance(info.value, FlexibleChecksumError)
    assert checksums.is_supported("crc64nvme") and not checksums.is_supported("md5")
    assert checksums.header_name("CRC32C") == "x-amz-checksum-crc32c"


@given(st.binary(max_size=3000), st.binary(max_size=3000),
       st.sampled_from(["CRC32", "crc32c", "CRC64NVME"]))
def test_combine_gives_the_crc_of_the_joined_data(first: bytes, second: bytes,
                                                  algorithm: str) -> None:
    # The oracle is the CRC of the concatenation, computed directly.
    joined = checksums.combine(algorithm, checksums.checksum(algorithm, first),
                               checksums.checksum(algorithm, second), len(second))
    assert joined == checksums.checksum(algorithm, first + second)


def test_combine_across_large_lengths() -> None:
    # Lengths of several MiB exercise the high powers of x (a multipart part's size).
    first, second = os.urandom(3 * 1024 * 1024 + 5), os.urandom(9 * 1024 * 1024 + 1)
    joined = checksums.combine("CRC32", checksums.checksum("CRC32", first),
                               checksums.checksum("CRC32", second), len(second))
    assert joined == base64.b64encode(zlib.crc32(first + second).to_bytes(4, "big")).decode()


@pytest.mark.parametrize(("algorithm", "first", "second", "length", "problem"), [
    ("SHA256", "AAAA", "AAAA", 1, "do not combine"),
    ("MD5", "AAAA", "AAAA", 1, "unsupported checksum algorithm"),
    ("CRC32", "AAAAAAAAAAA=", "AAAAAA==", 1, "first is not a base64 CRC32 value"),
    ("CRC64NVME", "AAAAAAAAAAA=", "not base64!", 1, "second is not a base64"),
    ("CRC32", "AAAAAA==", "AAAAAA==", -1, "second_length must be an int >= 0"),
    ("CRC32", "AAAAAA==", "AAAAAA==", True, "second_length must be an int >= 0"),
])
def test_combine_refuses_what_cannot_combine(algorithm: str, first: str, second: str,
                                             length: int, problem: str) -> None:
    with pytest.raises(FlexibleChecksumError, match=problem):
        checksums.combine(algorithm, first, second, length)


def test_checksum_reader_counts_and_checksums() -> None:
    reader = ChecksumReader(io.BytesIO(b"Hello world"), "CRC32")
    assert reader.read(5) + reader.read() == b"Hello world"
    assert reader.read(3) == b""
    assert reader.bytes_read == 11 and reader.checksum.b64digest() == HELLO["CRC32"]


# --------------------------------------------------------------------------- aws-chunked

@pytest.mark.parametrize("algorithm", sorted(VECTORS))
@pytest.mark.parametrize("size", [0, 1, 1023, 1024, 1025, 5000])
def test_file_framing_lengths_and_trailer(algorithm: str, size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    reader = AwsChunkedReader(io.BytesIO(data), algorithm, chunk_size=1024,
                              decoded_length=size)
    framed = b"".join(iter(lambda: reader.read(100), b""))
    assert len(framed) == reader.encoded_length
    payload, trailers = decode_aws_chunked(framed)
    assert payload == data
    assert trailers == {reader.trailer_name: checksums.checksum(algorithm, data)}
    assert framed.endswith(b"\r\n\r\n")


def test_exact_wire_form() -> None:
    reader = AwsChunkedReader(iter([b"hel", b"", b"lo"]), "CRC32")
    assert reader.encoded_length is None  # an iterable's chunks come as they come
    assert b"".join(reader) == (b"3\r\nhel\r\n2\r\nlo\r\n0\r\n"
                                b"x-amz-checksum-crc32:NhCmhg==\r\n\r\n")


def test_rewind_restarts_the_file_and_the_checksum() -> None:
    source = io.BytesIO(b"xxhello")
    source.seek(2)
    reader = AwsChunkedReader(source, "SHA256", chunk_size=2, decoded_length=5)
    first = reader.read()
    assert reader.seekable() and reader.seek(0) == 0
    assert reader.read(7) + reader.read() == first
    assert decode_aws_chunked(first)[0] == b"hello"


def test_an_unseekable_source_cannot_rewind() -> None:
    reader = AwsChunkedReader(iter([b"a"]), "CRC32")
    assert not reader.seekable()
    with pytest.raises(OSError):
        reader.seek(0)


def test_decoder_refuses_bad_framing() -> None:
    with pytest.raises(ValueError):
        decode_aws_chunked(b"5\r\nab")
    with pytest.raises(ValueError):
        decode_aws_chunked(b"2\r\nabXX0\r\n\r\n")
    with pytest.raises(ValueError):
        decode_aws_chunked(b"0\r\nno-colon\r\n\r\n")
    payload, trailers = decode_aws_chunked(b"2;chunk-signature=x\r\nab\r\n0\r\nX-A: 1\r\n\r\n")
    assert payload == b"ab" and trailers == {"x-a": "1"}


def test_streaming_checksum_memory_does_not_grow_with_body_size() -> None:
    block = bytes(64 * 1024)

    def peak(blocks: int) -> int:
        def source() -> Iterator[bytes]:
            for _ in range(blocks):
                yield block

        reader: Any = AwsChunkedReader(source(), "CRC32")
        tracemalloc.start()
        try:
            total = 0
            for framed in reader:
                total += len(framed)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(16), peak(512)  # 1 MiB and 32 MiB through the encoder
    assert large < small + 256 * 1024  # bounded by a chunk or two, not by the body
    assert large < 1024 * 1024


class _Zeros:
    """A file of ``size`` zero bytes that holds none of them (read makes each block)."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, size: int = -1) -> bytes:
        n = self.left if size < 0 else min(size, self.left)
        self.left -= n
        return bytes(n)


def test_large_chunks_memory_does_not_grow_with_body_size() -> None:
    def peak(size: int) -> int:
        reader = AwsChunkedReader(_Zeros(size), "CRC32", decoded_length=size)
        tracemalloc.start()
        try:
            while reader.read(16384):  # http.client's way of reading a file body
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(4 << 20), peak(64 << 20)  # 1 MiB chunks (botocore's size)
    assert large < small + 512 * 1024  # bounded by a chunk or two, not by the body
    assert large < 4 << 20


@pytest.mark.parametrize("algorithm", ["CRC32", "SHA256", "CRC32C"])
def test_large_chunks_are_framed_without_copies(algorithm: str) -> None:
    data = os.urandom((5 << 20) // 2 + 3)
    chunks = [data[i:i + (1 << 20)] for i in range(0, len(data), 1 << 20)]
    pieces = list(AwsChunkedReader(iter(chunks), algorithm))
    assert all(any(piece is chunk for piece in pieces) for chunk in chunks)  # sent as given
    assert decode_aws_chunked(b"".join(pieces)) == (
        data, {checksums.header_name(algorithm): checksums.checksum(algorithm, data)})
    # A file: 1 MiB chunks, read as http.client reads it, and whole after a partial read.
    reader = AwsChunkedReader(io.BytesIO(data), algorithm, decoded_length=len(data))
    framed = b"".join(iter(lambda: reader.read(16384), b""))
    assert len(framed) == reader.encoded_length
    assert decode_aws_chunked(framed)[0] == data
    reader.seek(0)
    assert reader.read(5) + reader.read() == framed
    reader.seek(0)
    head = reader.read(10)
    assert head + b"".join(reader) == framed


def test_crc32_matches_zlib_on_large_input() -> None:
    data = bytes(range(256)) * 4096
    assert checksums.new_checksum("CRC32").__class__.__name__ == "_Crc"
    running = checksums.new_checksum("CRC32")
    for i in range(0, len(data), 1000):
        running.update(data[i:i + 1000])
    assert running.digest() == zlib.crc32(data).to_bytes(4, "big")


def test_part_checksums_seam() -> None:
    parts = checksums.PartChecksums("sha1")
    assert parts.create_params() == {"ChecksumAlgorithm": "SHA1"}
    assert parts.part_params(1, memoryview(b"Hello world")) == {"ChecksumSHA1": HELLO["SHA1"]}
    assert repr(parts) == "PartChecksums('SHA1')"
    assert checksums.PartChecksums().create_params() == {"ChecksumAlgorithm": "CRC32"}
    with pytest.raises(FlexibleChecksumError):
        checksums.PartChecksums("MD5")
