"""Managed transfers (hub.transfer) against the in-memory S3 server and moto.

Small sizes only (a few MiB, parts of 1 MiB on the fast server): the benchmark sizes live in
benchmarks/bench_transfer.py.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import ssl
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hub
from hub.errors import ClientError, ConfigError, FlexibleChecksumError, ParamValidationError
from hub.transfer import (
    ALLOWED_UPLOAD_ARGS,
    MB,
    TransferCancelledError,
    TransferConfig,
    TransferManager,
    TransferManagerClosedError,
)
from tests._threads import run_in_threads
from tests.servers.fast_s3 import FastS3Server
from tests.servers.moto_server import MotoServer

BUCKET = "xfer"
SMALL = TransferConfig(multipart_threshold=2 * MB, multipart_chunksize=1 * MB,
                       max_concurrency=4, io_chunksize=64 * 1024)


class _Unseekable(io.RawIOBase):
    """A read-only or write-only stream that cannot seek (a pipe, a socket)."""

    def __init__(self, data: bytes = b"") -> None:
        self._src = io.BytesIO(data)
        self.out = bytearray()

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        data = self._src.read(min(len(buffer), 100_000))  # short reads, as a pipe gives
        buffer[:len(data)] = data
        return len(data)

    def write(self, data: Any) -> int:
        self.out += data
        return len(data)


@pytest.fixture
def fast_tls(_tls_material: tuple[str, str, str]) -> Iterator[tuple[FastS3Server, str]]:
    ca_bundle, chain, key = _tls_material
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain, key)
    server = FastS3Server(context).start()
    server.create_bucket(BUCKET)
    try:
        yield server, ca_bundle
    finally:
        server.stop()


def _client(url: str, **config: Any) -> Any:
    session = hub.Session(hub.Config(region="us-east-1", endpoint_url=url,
                                     credentials=hub.Credentials("testing", "testing"),
                                     **config))
    return session.client("s3")


def _server_and_client(tls: bool, fast: FastS3Server, fast_tls: tuple[FastS3Server, str],
                       **config: Any) -> tuple[FastS3Server, Any]:
    """The http or the https server, and a client of it (trusting the test CA)."""
    if tls:
        return fast_tls[0], _client(fast_tls[0].url, verify=fast_tls[1], **config)
    return fast, _client(fast.url, **config)


def _data(size: int, seed: int = 0) -> bytes:
    return bytes((i * 31 + seed) & 0xFF for i in range(256)) * (size // 256) + os.urandom(
        size % 256)


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_round_trip_file_byte_for_byte(tls: bool, fast: FastS3Server,
                                       fast_tls: tuple[FastS3Server, str],
                                       tmp_path: Path) -> None:
    server, s3 = _server_and_client(tls, fast, fast_tls)
    data = os.urandom(5 * MB + 12345)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    s3.upload_file(str(src), BUCKET, "obj", Config=SMALL)
    assert server.object(BUCKET, "obj") == data
    assert server.ops("UploadPart") == 6 and server.ops("CompleteMultipartUpload") == 1
    dst = tmp_path / "dst.bin"
    s3.download_file(BUCKET, "obj", dst, Config=SMALL)
    assert dst.read_bytes() == data
    # No HeadObject: the first GET (the first 2 MiB) tells the size, then 1 MiB ranges.
    assert server.ops("GetObject") == 5 and server.ops("HeadObject") == 0
    assert sorted(os.listdir(tmp_path)) == ["dst.bin", "src.bin"]  # no temporary file left


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_parts_carry_crc32_and_skip_sha256_over_tls(tls: bool, fast: FastS3Server,
                                                    fast_tls: tuple[FastS3Server, str]) -> None:
    server, s3 = _server_and_client(tls, fast, fast_tls)
    s3.upload_fileobj(io.BytesIO(os.urandom(3 * MB)), BUCKET, "k", Config=SMALL)
    create = server.last_headers["CreateMultipartUpload"]
    part = server.last_headers["UploadPart"]
    assert create["x-amz-checksum-algorithm"] == "CRC32"
    assert "x-amz-checksum-crc32" in part
    payload = part["x-amz-content-sha256"]
    assert payload == "UNSIGNED-PAYLOAD" if tls else len(payload) == 64
    assert server.last_body["CompleteMultipartUpload"].count(b"<ChecksumCRC32>") == 3
    plain = _client(server.url, verify=fast_tls[1], request_checksum_calculation="when_required"
                    ) if tls else _client(server.url, request_checksum_calculation="when_required")
    plain.upload_fileobj(io.BytesIO(os.urandom(3 * MB)), BUCKET, "k", Config=SMALL)
    part = server.last_headers["UploadPart"]
    assert not any(h.startswith("x-amz-checksum") for h in part)
    assert "x-amz-checksum-algorithm" not in server.last_headers["CreateMultipartUpload"]
    assert part["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD" if tls else True


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_file_uploads_checksum_and_sign_the_bytes_sent(
        tls: bool, fast: FastS3Server, fast_tls: tuple[FastS3Server, str],
        tmp_path: Path) -> None:
    # A file's parts and a small file's PutObject: over http the CRC32 header and the signed
    # SHA-256 must be those of the bytes sent; over https (as botocore) the body goes
    # aws-chunked with the CRC32 in a trailer, and CompleteMultipartUpload repeats each
    # part's value.
    server, s3 = _server_and_client(tls, fast, fast_tls)
    data = os.urandom(2 * MB + 300_000)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    s3.upload_file(str(src), BUCKET, "parts", Config=SMALL)
    assert server.object(BUCKET, "parts") == data
    part = server.last_headers["UploadPart"]
    chunks = [data[i:i + MB] for i in range(0, len(data), MB)]
    complete = server.last_body["CompleteMultipartUpload"]
    assert all(_crc32(c).encode() in complete for c in chunks)
    if tls:
        _assert_trailer(part)
    else:
        sent = next(c for c in chunks if _crc32(c) == part["x-amz-checksum-crc32"])
        assert part["x-amz-content-sha256"] == hashlib.sha256(sent).hexdigest()
    small = data[:MB + 5]
    src.write_bytes(small)
    s3.upload_file(str(src), BUCKET, "small", Config=SMALL)
    put = server.last_headers["PutObject"]
    assert server.object(BUCKET, "small") == small
    if tls:
        _assert_trailer(put)
        assert int(put["x-amz-decoded-content-length"]) == len(small)
    else:
        assert put["x-amz-checksum-crc32"] == _crc32(small)
        assert put["x-amz-content-sha256"] == hashlib.sha256(small).hexdigest()
    s3.upload_file(str(src), BUCKET, "sha", ExtraArgs={"ChecksumAlgorithm": "SHA256"},
                   Config=SMALL)
    put = server.last_headers["PutObject"]
    assert server.object(BUCKET, "sha") == small
    if tls:
        assert put["x-amz-trailer"] == "x-amz-checksum-sha256"
    else:
        assert put["x-amz-checksum-sha256"] == base64.b64encode(
            hashlib.sha256(small).digest()).decode()
        assert "x-amz-checksum-crc32" not in put


@pytest.mark.parametrize("signing", [True, False])
def test_payload_signing_setting_reaches_transfers_over_http(
        signing: bool, fast: FastS3Server, tmp_path: Path) -> None:
    # s3_payload_signing_enabled=False: parts and PutObjects carry their CRC32 header (from
    # the same one pass) and UNSIGNED-PAYLOAD, so no SHA-256 is computed; True is the default.
    s3 = _client(fast.url, s3_payload_signing_enabled=signing)
    data = os.urandom(2 * MB + 300_000)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    for key, body in (("parts", data), ("small", data[:MB + 5])):
        src.write_bytes(body)
        s3.upload_file(str(src), BUCKET, key, Config=SMALL)
        assert fast.object(BUCKET, key) == body
        sent = fast.last_headers["UploadPart" if key == "parts" else "PutObject"]
        piece = body if key == "small" else next(
            c for c in (body[:MB], body[MB:2 * MB], body[2 * MB:])
            if _crc32(c) == sent["x-amz-checksum-crc32"])
        assert sent["x-amz-content-sha256"] == (
            hashlib.sha256(piece).hexdigest() if signing else "UNSIGNED-PAYLOAD")
    stream = _client(fast.url, s3_payload_signing_enabled=signing)
    stream.upload_fileobj(_Unseekable(data), BUCKET, "stream", Config=SMALL)
    assert fast.object(BUCKET, "stream") == data
    assert (fast.last_headers["UploadPart"]["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD") \
        is not signing


def _assert_trailer(headers: dict[str, str]) -> None:
    assert headers["x-amz-trailer"] == "x-amz-checksum-crc32"
    assert headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert headers["content-encoding"] == "aws-chunked"
    assert headers["x-amz-sdk-checksum-algorithm"] == "CRC32"
    assert not any(h.startswith("x-amz-checksum-") for h in headers)


def _crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_fileobj_round_trips_seekable_and_unseekable(fast: FastS3Server) -> None:
    s3 = _client(fast.url)
    data = os.urandom(4 * MB + 7)
    s3.upload_fileobj(io.BytesIO(data), BUCKET, "seekable", Config=SMALL)
    s3.upload_fileobj(_Unseekable(data), BUCKET, "stream", Config=SMALL)
    assert fast.object(BUCKET, "seekable") == data
    assert fast.object(BUCKET, "stream") == data
    assert fast.ops("UploadPart") == 10
    buf = io.BytesIO()
    s3.download_fileobj(BUCKET, "stream", buf, Config=SMALL)
    assert buf.getvalue() == data
    sink = _Unseekable()
    s3.download_fileobj(BUCKET, "stream", sink, Config=SMALL)
    assert bytes(sink.out) == data


def test_upload_fileobj_starts_at_the_current_position(fast: FastS3Server) -> None:
    s3 = _client(fast.url)
    data = os.urandom(3 * MB)
    buf = io.BytesIO(b"skip" + data)
    buf.seek(4)
    s3.upload_fileobj(buf, BUCKET, "offset", Config=SMALL)
    assert fast.object(BUCKET, "offset") == data


def test_managed_copy_multipart_and_single(fast: FastS3Server) -> None:
    s3 = _client(fast.url)
    data = os.urandom(3 * MB + 5)
    s3.upload_fileobj(io.BytesIO(data), BUCKET, "src", Config=SMALL)
    seen: list[int] = []
    s3.copy({"Bucket": BUCKET, "Key": "src"}, BUCKET, "dst", Callback=seen.append,
            Config=SMALL)
    assert fast.object(BUCKET, "dst") == data
    assert fast.ops("UploadPartCopy") == 4 and sum(seen) == len(data)
    etag = fast.buckets[BUCKET]["src"].etag
    assert fast.last_headers["UploadPartCopy"]["x-amz-copy-source-if-match"] == etag
    s3.copy(f"{BUCKET}/src", BUCKET, "dst2")  # default threshold: one CopyObject
    assert fast.object(BUCKET, "dst2") == data and fast.ops("CopyObject") == 1


def test_round_trip_on_moto(moto: MotoServer, tmp_path: Path) -> None:
    s3 = _client(moto.url)
    s3.create_bucket(Bucket=BUCKET)
    config = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB)
    data = os.urandom(11 * MB + 3)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    s3.upload_file(src, BUCKET, "big", Config=config,
                   ExtraArgs={"ContentType": "application/x-test", "Metadata": {"a": "b"}})
    head = s3.head_object(Bucket=BUCKET, Key="big")
    assert head["ContentLength"] == len(data) and head["ETag"].endswith('-3"')
    assert head["ContentType"] == "application/x-test" and head["Metadata"] == {"a": "b"}
    dst = tmp_path / "dst.bin"
    s3.download_file(BUCKET, "big", str(dst), Config=config)
    assert dst.read_bytes() == data
    s3.copy({"Bucket": BUCKET, "Key": "big"}, BUCKET, "copy", Config=config)
    assert s3.get_object(Bucket=BUCKET, Key="copy")["Body"].read() == data
    small = os.urandom(1000)
    s3.upload_fileobj(io.BytesIO(small), BUCKET, "small")
    out = io.BytesIO()
    s3.download_fileobj(BUCKET, "small", out)
    assert out.getvalue() == small
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_download_of_a_version_on_moto(moto: MotoServer, tmp_path: Path) -> None:
    s3 = _client(moto.url)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    old, new = os.urandom(3 * MB + 1), os.urandom(3 * MB + 2)
    first = s3.put_object(Bucket=BUCKET, Key="v", Body=old)["VersionId"]
    s3.put_object(Bucket=BUCKET, Key="v", Body=new)
    config = TransferConfig(multipart_threshold=MB, multipart_chunksize=MB)
    s3.download_file(BUCKET, "v", tmp_path / "old", ExtraArgs={"VersionId": first},
                     Config=config)
    s3.download_file(BUCKET, "v", tmp_path / "new", Config=config)
    assert (tmp_path / "old").read_bytes() == old and (tmp_path / "new").read_bytes() == new


# --------------------------------------------------------------------------- sizes, callbacks


@pytest.mark.parametrize("size", [0, 2 * MB - 1, 2 * MB, 2 * MB + 1, 3 * MB + 777])
def test_edge_sizes_and_callbacks(size: int, fast: FastS3Server, tmp_path: Path) -> None:
    s3 = _client(fast.url)
    data = _data(size)
    src = tmp_path / "src"
    src.write_bytes(data)
    up: list[int] = []
    s3.upload_file(src, BUCKET, "k", Callback=up.append, Config=SMALL)
    assert fast.object(BUCKET, "k") == data and sum(up) == size
    multipart = size >= SMALL.multipart_threshold
    assert fast.ops("PutObject") == (0 if multipart else 1)
    assert fast.ops("UploadPart") == (-(-size // MB) if multipart else 0)
    down: list[int] = []
    dst = tmp_path / "dst"
    s3.download_file(BUCKET, "k", dst, Callback=down.append, Config=SMALL)
    assert dst.read_bytes() == data and sum(down) == size
    stream = _Unseekable(data)
    s3.upload_fileobj(stream, BUCKET, "s", Config=SMALL)
    assert fast.object(BUCKET, "s") == data


def test_callback_calls_never_overlap(fast: FastS3Server, tmp_path: Path) -> None:
    s3 = _client(fast.url)
    src = tmp_path / "src"
    src.write_bytes(os.urandom(6 * MB))
    inside = threading.Event()
    overlaps: list[int] = []
    total: list[int] = []

    def callback(n: int) -> None:
        if inside.is_set():
            overlaps.append(n)
        inside.set()
        threading.Event().wait(0.001)  # widen the window another thread could hit
        total.append(n)
        inside.clear()

    s3.upload_file(src, BUCKET, "k", Callback=callback, Config=SMALL)
    s3.download_file(BUCKET, "k", tmp_path / "dst", Callback=callback, Config=SMALL)
    assert overlaps == [] and sum(total) == 12 * MB


def test_use_threads_false_runs_in_the_calling_thread(fast: FastS3Server,
                                                      tmp_path: Path) -> None:
    s3 = _client(fast.url)
    data = os.urandom(3 * MB)
    threads: set[str] = set()
    config = TransferConfig(multipart_threshold=MB, multipart_chunksize=MB, use_threads=False)
    s3.upload_fileobj(io.BytesIO(data), BUCKET, "k", Config=config,
                      Callback=lambda n: threads.add(threading.current_thread().name))
    assert fast.object(BUCKET, "k") == data
    assert threads == {threading.current_thread().name}


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_file_parts_are_sent_from_the_file_and_retried(
        tls: bool, fast: FastS3Server, fast_tls: tuple[FastS3Server, str],
        tmp_path: Path) -> None:
    # A file's parts go out from the file (os.sendfile over http, blocks over TLS): a part
    # that fails is rewound and sent again, with the same checksum and signed hash.
    server, s3 = _server_and_client(tls, fast, fast_tls)
    data = os.urandom(4 * MB + 12_345)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    server.fail("UploadPart", match=lambda q: q.get("partNumber") == "2")
    s3.upload_file(str(src), BUCKET, "retried", Config=SMALL)
    assert server.object(BUCKET, "retried") == data
    assert server.ops("UploadPart") == 6  # 5 parts, part 2 twice
    complete = server.last_body["CompleteMultipartUpload"]
    for i in range(5):
        assert _crc32(data[i * MB:(i + 1) * MB]).encode() in complete


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_file_uploads_with_a_call_timeout_round_trip(
        tls: bool, fast: FastS3Server, fast_tls: tuple[FastS3Server, str],
        tmp_path: Path) -> None:
    # With call_timeout the transport reads the file body through its deadline check (no
    # sendfile, no self-framing): the bytes, checksums and signed hash are the same.
    server, s3 = _server_and_client(tls, fast, fast_tls, call_timeout=60.0)
    data = os.urandom(3 * MB + 1)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    s3.upload_file(str(src), BUCKET, "deadline", Config=SMALL)
    assert server.object(BUCKET, "deadline") == data
    complete = server.last_body["CompleteMultipartUpload"]
    assert all(_crc32(data[i:i + MB]).encode() in complete for i in range(0, len(data), MB))
    part = server.last_headers["UploadPart"]
    if tls:
        _assert_trailer(part)
        return
    sent = next(data[i:i + MB] for i in range(0, len(data), MB)
                if _crc32(data[i:i + MB]) == part["x-amz-checksum-crc32"])
    assert part["x-amz-content-sha256"] == hashlib.sha256(sent).hexdigest()


def test_file_uploads_without_checksums_still_sign_the_bytes_sent(fast: FastS3Server,
                                                                  tmp_path: Path) -> None:
    s3 = _client(fast.url, request_checksum_calculation="when_required")
    data = os.urandom(MB + 77)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    s3.upload_file(str(src), BUCKET, "plain", Config=SMALL)
    put = fast.last_headers["PutObject"]
    assert fast.object(BUCKET, "plain") == data
    assert put["x-amz-content-sha256"] == hashlib.sha256(data).hexdigest()
    assert not any(h.startswith("x-amz-checksum") for h in put)
    big = data * 3
    src.write_bytes(big)
    s3.upload_file(str(src), BUCKET, "plain", Config=SMALL)
    assert fast.object(BUCKET, "plain") == big
    part = fast.last_headers["UploadPart"]
    assert not any(h.startswith("x-amz-checksum") for h in part)
    assert part["x-amz-content-sha256"] in {
        hashlib.sha256(big[i:i + MB]).hexdigest() for i in range(0, len(big), MB)}


# --------------------------------------------------------------------------- failures


def test_a_part_failing_once_is_retried(fast: FastS3Server, tmp_path: Path) -> None:
    s3 = _client(fast.url)
    data = os.urandom(4 * MB)
    fast.fail("UploadPart", match=lambda q: q.get("partNumber") == "3")
    s3.upload_fileobj(io.BytesIO(data), BUCKET, "k", Config=SMALL)
    assert fast.object(BUCKET, "k") == data
    assert fast.ops("UploadPart") == 5  # 4 parts, part 3 twice
    fast.fail("GetObject", match=lambda q: True)
    dst = tmp_path / "dst"
    s3.download_file(BUCKET, "k", dst, Config=SMALL)
    assert dst.read_bytes() == data


def test_a_download_body_cut_midway_is_resumed(fast: FastS3Server, tmp_path: Path) -> None:
    s3 = _client(fast.url)
    data = os.urandom(4 * MB)
    fast.create_bucket(BUCKET)
    s3.upload_fileobj(io.BytesIO(data), BUCKET, "k", Config=SMALL)
    fast.fail("GetObject", truncate=100_000, count=2)
    dst = tmp_path / "dst"
    s3.download_file(BUCKET, "k", dst, Config=SMALL)
    assert dst.read_bytes() == data
    assert fast.ops("GetObject") == 3 + 2  # 2 MiB head, two 1 MiB parts, two retries


def test_failed_multipart_upload_is_aborted(fast: FastS3Server, tmp_path: Path) -> None:
    s3 = _client(fast.url, max_attempts=2)
    src = tmp_path / "src"
    src.write_bytes(os.urandom(5 * MB))
    fast.fail("UploadPart", count=2, status=400, code="InvalidPart",
              match=lambda q: q.get("partNumber") == "4")
    with pytest.raises(ClientError) as info:
        s3.upload_file(src, BUCKET, "k", Config=SMALL)
    assert info.value.response["Error"]["Code"] == "InvalidPart"
    assert fast.ops("AbortMultipartUpload") == 1 and fast.uploads == {}
    assert "k" not in fast.buckets[BUCKET]


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_file_that_shrinks_while_sent_fails_and_is_aborted(
        tls: bool, fast: FastS3Server, fast_tls: tuple[FastS3Server, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A part's checksum and hash were computed, then the file was cut before its bytes went
    # out: its request fails (never a part shorter than its Content-Length), and the upload
    # is aborted once its retries are spent. (Parts read after the cut are read short, as
    # before this change: S3 refuses such parts, too small, at CompleteMultipartUpload.)
    from hub.errors import HubError
    from hub.transfer import _ranges

    server, s3 = _server_and_client(tls, fast, fast_tls, max_attempts=2)
    src = tmp_path / "src"
    src.write_bytes(os.urandom(5 * MB))
    # Over http a part is checksummed (scan) before it is sent; over https it is framed
    # (hub_aws_chunked) before it is sent: cut the file right after the first of either.
    hook = "hub_aws_chunked" if tls else "scan"
    real = getattr(_ranges.FileRange, hook)

    def then_truncate(body: Any, *args: Any) -> Any:
        got = real(body, *args)
        if os.path.getsize(src) > MB // 2:
            os.truncate(src, MB // 2)  # every part prepared so far is now past the end
        return got

    monkeypatch.setattr(_ranges.FileRange, hook, then_truncate)
    with pytest.raises(HubError, match="ended .* bytes early"):
        s3.upload_file(src, BUCKET, "shrunk", Config=SMALL)
    assert server.ops("AbortMultipartUpload") == 1 and server.uploads == {}
    assert "shrunk" not in server.buckets[BUCKET]


def test_failed_download_leaves_no_file(fast: FastS3Server, tmp_path: Path) -> None:
    s3 = _client(fast.url, max_attempts=2)
    s3.put_object(Bucket=BUCKET, Key="k", Body=os.urandom(4 * MB))
    fast.fail("GetObject", count=10, status=503, code="SlowDown",
              match=lambda q: True)
    dst = tmp_path / "dst"
    with pytest.raises(ClientError):
        s3.download_file(BUCKET, "k", dst, Config=SMALL)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_multipart_download_is_checked_against_the_full_object_checksum(
        tls: bool, fast: FastS3Server, fast_tls: tuple[FastS3Server, str],
        tmp_path: Path) -> None:
    # S3 sends a whole-object GET the object's full-object checksum (none for ranged GETs):
    # the finished file is checked against it before it is renamed into place. The server
    # stores the checksum a PutObject sends (header over http, trailer over https) unverified,
    # so a wrong one stands for damage in transit.
    server, s3 = _server_and_client(tls, fast, fast_tls)
    server.checksums = True
    data = _data(5 * MB + 7)
    s3.put_object(Bucket=BUCKET, Key="good", Body=data)
    assert server.buckets[BUCKET]["good"].checksums == {"x-amz-checksum-crc32": base64.b64encode(
        zlib.crc32(data).to_bytes(4, "big")).decode()}
    s3.download_file(BUCKET, "good", tmp_path / "good", Config=SMALL)
    assert (tmp_path / "good").read_bytes() == data
    wrong = base64.b64encode(zlib.crc32(b"other bytes").to_bytes(4, "big")).decode()
    s3.put_object(Bucket=BUCKET, Key="bad", Body=data, ChecksumCRC32=wrong)
    with pytest.raises(FlexibleChecksumError) as failed:
        s3.download_file(BUCKET, "bad", tmp_path / "bad", Config=SMALL)
    assert failed.value.expected == wrong and failed.value.algorithm == "CRC32"
    assert failed.value.computed == server.buckets[BUCKET]["good"].checksums[
        "x-amz-checksum-crc32"]
    assert sorted(os.listdir(tmp_path)) == ["good"]  # no file, no temporary file
    # With validation off (as boto3's when_required), the same object downloads as it is.
    _, lax = _server_and_client(tls, fast, fast_tls, response_checksum_validation="when_required")
    lax.download_file(BUCKET, "bad", tmp_path / "bad", Config=SMALL)
    assert (tmp_path / "bad").read_bytes() == data


@pytest.mark.parametrize("target", ["seekable", "unseekable"])
def test_a_multipart_download_fileobj_is_checked_by_combining_range_crcs(
        target: str, fast: FastS3Server) -> None:
    # A caller's file object cannot be read back: each range's CRC is computed as it is
    # written and the CRCs are combined in object order at the end. A body cut midway
    # (resumed by a second GET from where it broke) still tiles the object.
    fast.checksums = True
    s3 = _client(fast.url)
    data = _data(5 * MB + 7)
    s3.put_object(Bucket=BUCKET, Key="good", Body=data)
    wrong = base64.b64encode(zlib.crc32(b"other bytes").to_bytes(4, "big")).decode()
    s3.put_object(Bucket=BUCKET, Key="bad", Body=data, ChecksumCRC32=wrong)

    def sink() -> Any:
        return io.BytesIO() if target == "seekable" else _Unseekable()

    def written(out: Any) -> bytes:
        return out.getvalue() if target == "seekable" else bytes(out.out)

    fast.fail("GetObject", truncate=300_000)  # the first GET's body breaks
    good = sink()
    s3.download_fileobj(BUCKET, "good", good, Config=SMALL)
    assert written(good) == data
    assert fast.ops("GetObject") == 1 + 1 + 4  # the first GET, its rest, four ranges
    with pytest.raises(FlexibleChecksumError) as failed:
        s3.download_fileobj(BUCKET, "bad", sink(), Config=SMALL)
    assert failed.value.expected == wrong and failed.value.algorithm == "CRC32"
    assert failed.value.computed == fast.buckets[BUCKET]["good"].checksums[
        "x-amz-checksum-crc32"]
    lax = _client(fast.url, response_checksum_validation="when_required")
    out = sink()
    lax.download_fileobj(BUCKET, "bad", out, Config=SMALL)
    assert written(out) == data


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C"])
@pytest.mark.parametrize("source", ["file", "stream"])
def test_a_full_object_multipart_upload_sends_the_joined_crc_for_s3_to_check(
        algorithm: str, source: str, fast: FastS3Server, tmp_path: Path) -> None:
    # ChecksumType FULL_OBJECT with no value: the whole object's CRC, joined from the parts'
    # CRCs, goes on the complete; the server checks it against the assembled object (BadDigest
    # otherwise, as S3) and a whole-object GET returns it.
    fast.checksums = True
    s3 = _client(fast.url)
    data = _data(5 * MB + 7, seed=3)
    extra = {"ChecksumType": "FULL_OBJECT", "ChecksumAlgorithm": algorithm}
    if source == "file":
        (tmp_path / "src").write_bytes(data)
        s3.upload_file(tmp_path / "src", BUCKET, "whole", ExtraArgs=extra, Config=SMALL)
    else:
        s3.upload_fileobj(_Unseekable(data), BUCKET, "whole", ExtraArgs=extra, Config=SMALL)
    header = f"x-amz-checksum-{algorithm.lower()}"
    assert fast.buckets[BUCKET]["whole"].checksums == {
        header: hub.checksums.checksum(algorithm, data)}
    if algorithm == "CRC32":  # an oracle outside hub
        assert fast.buckets[BUCKET]["whole"].checksums[header] == base64.b64encode(
            zlib.crc32(data).to_bytes(4, "big")).decode()
    got = s3.get_object(Bucket=BUCKET, Key="whole", ChecksumMode="ENABLED")
    assert got["Body"].read() == data and got["ChecksumType"] == "FULL_OBJECT"


def test_a_full_object_checksum_the_caller_gives_is_checked_on_the_complete(
        fast: FastS3Server) -> None:
    # As s3transfer: a ChecksumCRC32 in ExtraArgs makes the upload a FULL_OBJECT CRC32 one
    # (the parts carry CRC32s) and the value goes on the complete, where a wrong one fails the
    # upload, which is then aborted. Below the threshold it is PutObject's own header.
    fast.checksums = True
    s3 = _client(fast.url)
    data = _data(5 * MB + 7, seed=4)
    right = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    wrong = base64.b64encode(zlib.crc32(b"other").to_bytes(4, "big")).decode()
    with pytest.raises(ClientError) as failed:
        s3.upload_fileobj(io.BytesIO(data), BUCKET, "given", Config=SMALL,
                          ExtraArgs={"ChecksumCRC32": wrong})
    assert failed.value.code == "BadDigest" and fast.uploads == {}
    assert fast.ops("AbortMultipartUpload") == 1
    s3.upload_fileobj(io.BytesIO(data), BUCKET, "given", Config=SMALL,
                      ExtraArgs={"ChecksumCRC32": right})
    assert fast.buckets[BUCKET]["given"].checksums == {"x-amz-checksum-crc32": right}
    # The multipart-only arguments are left out of a small file's PutObject (s3transfer's
    # rule), instead of failing its parameter validation.
    s3.upload_fileobj(io.BytesIO(b"small"), BUCKET, "small", Config=SMALL,
                      ExtraArgs={"ChecksumType": "FULL_OBJECT", "MpuObjectSize": 5})
    assert fast.object(BUCKET, "small") == b"small"


def test_full_object_extra_args_match_boto3_on_moto(moto: MotoServer) -> None:
    # The same ExtraArgs through boto3's upload_fileobj and hub's, against moto: the same
    # checksum type and value stored.
    import boto3
    from boto3.s3.transfer import TransferConfig as Boto3TransferConfig

    s3 = _client(moto.url)
    s3.create_bucket(Bucket=BUCKET)
    theirs = boto3.client("s3", region_name="us-east-1", endpoint_url=moto.url,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    ours_config = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB)
    their_config = Boto3TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB)
    for size in (1000, 11 * MB):
        data = os.urandom(size)
        crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
        for extra in ({"ChecksumType": "FULL_OBJECT"}, {"ChecksumCRC32": crc},
                      {"MpuObjectSize": size}):
            stored = []
            for client, config in ((s3, ours_config), (theirs, their_config)):
                client.upload_fileobj(io.BytesIO(data), BUCKET, "k", ExtraArgs=extra,
                                      Config=config)
                got = client.get_object(Bucket=BUCKET, Key="k", ChecksumMode="ENABLED")
                assert got["Body"].read() == data
                stored.append({k: v for k, v in got.items() if k.startswith("Checksum")})
            assert stored[0] == stored[1], (size, extra)


def test_composite_checksums_are_not_full_object_ones_on_moto(moto: MotoServer,
                                                              tmp_path: Path) -> None:
    # A multipart upload's CRC32 is a checksum of checksums ("...-N", COMPOSITE): no whole
    # file matches it, so it is not checked; a PutObject's full-object one is.
    s3 = _client(moto.url)
    s3.create_bucket(Bucket=BUCKET)
    config = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB)
    data = os.urandom(11 * MB)
    s3.upload_fileobj(io.BytesIO(data), BUCKET, "composite", Config=config)
    head = s3.get_object(Bucket=BUCKET, Key="composite")
    head["Body"].close()
    assert head["ChecksumCRC32"].endswith("-3") and head["ChecksumType"] == "COMPOSITE"
    s3.put_object(Bucket=BUCKET, Key="whole", Body=data)
    for key in ("composite", "whole"):
        s3.download_file(BUCKET, key, tmp_path / key, Config=config)
        assert (tmp_path / key).read_bytes() == data


def test_object_replaced_mid_download_fails_with_412(fast: FastS3Server,
                                                     tmp_path: Path) -> None:
    s3 = _client(fast.url)
    s3.upload_fileobj(io.BytesIO(os.urandom(4 * MB)), BUCKET, "k", Config=SMALL)
    replaced: list[bool] = []

    def replace_once(n: int) -> None:
        if not replaced:
            replaced.append(True)
            s3.put_object(Bucket=BUCKET, Key="k", Body=b"new version")

    config = TransferConfig(multipart_threshold=MB, multipart_chunksize=MB, max_concurrency=1)
    with pytest.raises(ClientError) as info:
        s3.download_file(BUCKET, "k", tmp_path / "dst", Config=config, Callback=replace_once)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert os.listdir(tmp_path) == []


def test_keyboard_interrupt_aborts_and_propagates(fast: FastS3Server, tmp_path: Path) -> None:
    s3 = _client(fast.url)
    src = tmp_path / "src"
    src.write_bytes(os.urandom(5 * MB))

    def interrupt(n: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        s3.upload_file(src, BUCKET, "k", Config=SMALL, Callback=interrupt)
    assert fast.ops("AbortMultipartUpload") == 1 and fast.uploads == {}
    s3.put_object(Bucket=BUCKET, Key="d", Body=os.urandom(3 * MB))
    with pytest.raises(KeyboardInterrupt):
        s3.download_file(BUCKET, "d", tmp_path / "d", Config=SMALL, Callback=interrupt)
    assert sorted(os.listdir(tmp_path)) == ["src"]


# --------------------------------------------------------------------------- manager


def test_manager_futures_and_cancel(fast: FastS3Server, tmp_path: Path) -> None:
    s3 = _client(fast.url)
    data = os.urandom(6 * MB)
    started = threading.Event()
    release = threading.Event()

    def hold(n: int) -> None:
        started.set()
        release.wait(30)

    config = TransferConfig(multipart_threshold=MB, multipart_chunksize=MB, max_concurrency=1)
    with TransferManager(s3, config) as manager:
        future = manager.upload(io.BytesIO(data), BUCKET, "cancelled", callback=hold)
        assert started.wait(30), "the upload never started"
        assert future.cancel()
        release.set()
        with pytest.raises(TransferCancelledError):
            future.result(timeout=30)
        assert future.meta.extra["upload_id"]
        done = manager.upload(io.BytesIO(data), BUCKET, "kept")
    assert done.done() and done.result() is not None
    assert fast.object(BUCKET, "kept") == data
    assert "cancelled" not in fast.buckets[BUCKET]
    assert fast.uploads == {} and fast.ops("AbortMultipartUpload") == 1
    assert fast.ops("UploadPart") < 6 + 6  # the cancelled upload stopped early
    assert not future.cancel()  # already ended


def test_cancelled_download_removes_its_temporary_file(fast: FastS3Server,
                                                       tmp_path: Path) -> None:
    s3 = _client(fast.url)
    s3.put_object(Bucket=BUCKET, Key="k", Body=os.urandom(4 * MB))
    release = threading.Event()
    config = TransferConfig(multipart_threshold=MB, multipart_chunksize=MB, max_concurrency=1,
                            io_chunksize=MB)
    manager = TransferManager(s3, config)
    future = manager.download(BUCKET, "k", tmp_path / "dst",
                              callback=lambda n: release.wait(30))
    future.cancel()
    release.set()
    manager.shutdown()
    with pytest.raises(TransferCancelledError):
        future.result()
    assert os.listdir(tmp_path) == []


def test_manager_exit_with_an_error_cancels_everything(fast: FastS3Server) -> None:
    s3 = _client(fast.url)
    data = os.urandom(4 * MB)
    config = TransferConfig(multipart_threshold=MB, multipart_chunksize=MB, max_concurrency=1)
    futures = []
    with pytest.raises(RuntimeError), TransferManager(s3, config) as manager:
        futures = [manager.upload(io.BytesIO(data), BUCKET, f"k{i}") for i in range(4)]
        raise RuntimeError("stop")
    for future in futures:
        assert future.done()
    assert fast.uploads == {}
    ended = [f.exception() for f in futures]
    assert any(isinstance(e, TransferCancelledError) for e in ended)


def test_sixteen_threads_share_one_session_within_the_pool(fast: FastS3Server,
                                                           tmp_path: Path) -> None:
    s3 = _client(fast.url, max_pool_connections=4)
    blobs = [os.urandom(MB + 1000 * i) for i in range(16)]

    def work(i: int) -> None:
        config = TransferConfig(multipart_threshold=MB // 2, multipart_chunksize=MB // 4)
        src = tmp_path / f"src{i}"
        src.write_bytes(blobs[i])
        s3.upload_file(src, BUCKET, f"k{i}", Config=config)
        s3.download_file(BUCKET, f"k{i}", tmp_path / f"dst{i}", Config=config)
        out = io.BytesIO()
        s3.download_fileobj(BUCKET, f"k{i}", out, Config=config)
        assert out.getvalue() == blobs[i]

    assert run_in_threads(16, work) == []
    for i in range(16):
        assert (tmp_path / f"dst{i}").read_bytes() == blobs[i]
    # Four connections serve all 16 threads; each of the 32 multipart downloads drops the
    # connection of its first (plain) GET once it has its first range, and that slot opens
    # anew: at most one more connection per multipart download, never more than four at once
    # (the pool's slots).
    assert fast.connections <= 4 + 32


def test_downloads_reuse_connections(fast: FastS3Server, tmp_path: Path) -> None:
    s3 = _client(fast.url, max_pool_connections=2)
    config = TransferConfig(multipart_threshold=MB, multipart_chunksize=MB // 2)
    s3.put_object(Bucket=BUCKET, Key="small", Body=b"s" * (MB - 1))
    s3.put_object(Bucket=BUCKET, Key="large", Body=os.urandom(4 * MB))
    before = fast.connections
    for i in range(5):
        s3.download_file(BUCKET, "small", tmp_path / f"s{i}", Config=config)
    assert fast.connections == before  # one plain GET each, read to its end: reused
    s3.download_file(BUCKET, "large", tmp_path / "l", Config=config)
    # The first GET's connection is dropped after its first MiB; the ranges reuse the rest.
    assert fast.connections <= before + 2
    assert (tmp_path / "l").read_bytes() == s3.get_object(Bucket=BUCKET, Key="large")[
        "Body"].read()


# --------------------------------------------------------------------------- arguments


def test_extra_args_are_checked_against_boto3s_lists(fast: FastS3Server,
                                                     tmp_path: Path) -> None:
    import boto3.s3.transfer as boto_transfer

    assert set(ALLOWED_UPLOAD_ARGS) == set(boto_transfer.S3Transfer.ALLOWED_UPLOAD_ARGS)
    s3 = _client(fast.url)
    src = tmp_path / "src"
    src.write_bytes(b"x")
    with pytest.raises(ParamValidationError) as info:
        s3.upload_file(src, BUCKET, "k", ExtraArgs={"Bogus": 1, "ContentType": "a/b"})
    assert "Bogus" in str(info.value) and "ContentType" not in info.value.problems[0][:40]
    with pytest.raises(ParamValidationError, match="Range"):
        s3.download_file(BUCKET, "k", tmp_path / "d", ExtraArgs={"Range": "bytes=0-1"})
    with pytest.raises(ParamValidationError, match="CopySource"):
        s3.copy({"Bucket": BUCKET}, BUCKET, "k")
    with pytest.raises(ParamValidationError, match="Callback"):
        s3.upload_file(src, BUCKET, "k", Callback=42)  # type: ignore[arg-type]
    with pytest.raises(ParamValidationError, match="Config"):
        s3.upload_file(src, BUCKET, "k", Config={"max_concurrency": 2})  # type: ignore[arg-type]
    s3.upload_file(src, BUCKET, "meta", ExtraArgs={"ContentType": "text/x-hub",
                                                   "Metadata": {"k": "v"}})
    stored = fast.buckets[BUCKET]["meta"]
    assert stored.content_type == "text/x-hub" and stored.metadata == {"k": "v"}


def test_transfer_config_validates_with_typed_errors() -> None:
    with pytest.raises(ConfigError) as info:
        TransferConfig(max_concurrency=0)
    assert info.value.field == "max_concurrency"
    with pytest.raises(ConfigError) as info:
        TransferConfig(use_threads="yes")  # type: ignore[arg-type]
    assert info.value.field == "use_threads"
    assert TransferConfig().multipart_threshold == 8 * MB
    assert TransferConfig(multipart_chunksize=MB).part_size(20_000 * MB) == 2 * MB
    with pytest.raises(ConfigError, match="one of auto, classic, crt") as info:
        TransferConfig(preferred_transfer_client="fast")
    assert info.value.field == "preferred_transfer_client"


@pytest.mark.parametrize("args, kwargs", [
    ((16 * MB, 4), {}),  # positional: boto3's order
    ((), {"max_concurrency": None, "io_chunksize": None, "max_bandwidth": None}),
    ((), {"multipart_chunksize": 5 * MB, "max_io_queue": 7, "use_threads": False,
          "preferred_transfer_client": "CRT", "num_download_attempts": 2,
          "max_bandwidth": 1000}),
])
def test_transfer_config_reads_as_boto3s(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    # boto3's own TransferConfig is the oracle: the same arguments, the same values, by every
    # name boto3 answers to (its s3transfer aliases included).
    from boto3.s3.transfer import TransferConfig as Boto3Config

    ours, theirs = TransferConfig(*args, **kwargs), Boto3Config(*args, **kwargs)
    names = ("multipart_threshold", "max_concurrency", "multipart_chunksize",
             "num_download_attempts", "max_io_queue", "io_chunksize", "use_threads",
             "max_bandwidth", "preferred_transfer_client", "max_request_concurrency",
             "max_io_queue_size")
    assert {n: getattr(ours, n) for n in names} == {n: getattr(theirs, n) for n in names}


def test_boto3s_and_s3transfers_configs_are_read_into_hubs(fast: FastS3Server,
                                                            tmp_path: Path) -> None:
    # Code written for boto3 that builds boto3's TransferConfig keeps working.
    from boto3.s3.transfer import TransferConfig as Boto3Config
    from s3transfer.manager import TransferConfig as S3TransferConfig

    s3 = _client(fast.url)
    data = os.urandom(3 * MB + 5)
    src = tmp_path / "src"
    src.write_bytes(data)
    s3.upload_file(src, BUCKET, "k", Config=Boto3Config(multipart_threshold=MB,
                                                        multipart_chunksize=MB))
    assert fast.ops("UploadPart") == 4 and fast.object(BUCKET, "k") == data
    manager = TransferManager(s3, S3TransferConfig(max_request_concurrency=3,
                                                   max_io_queue_size=7))
    assert manager.config == TransferConfig(max_concurrency=3, max_io_queue=7)
    manager.shutdown()
    with pytest.raises(ConfigError) as info:  # hub's checks apply to what it read
        s3.upload_file(src, BUCKET, "k", Config=Boto3Config(preferred_transfer_client="x"))
    assert info.value.field == "preferred_transfer_client"
    with pytest.raises(ParamValidationError, match="or boto3's"):
        s3.download_file(BUCKET, "k", tmp_path / "x", Config={"max_concurrency": 2})
    assert fast.ops("UploadPart") == 4 and sorted(os.listdir(tmp_path)) == ["src"]


def test_bandwidth_limit_slows_a_download(fast: FastS3Server, tmp_path: Path) -> None:
    import time

    s3 = _client(fast.url)
    s3.put_object(Bucket=BUCKET, Key="k", Body=os.urandom(MB))
    config = TransferConfig(io_chunksize=256 * 1024, max_bandwidth=2 * MB)
    start = time.monotonic()
    s3.download_file(BUCKET, "k", tmp_path / "d", Config=config)
    assert time.monotonic() - start >= 0.35  # 3 of 4 chunks wait 1/8 s each at 2 MiB/s


def test_a_transfer_submitted_after_shutdown_is_a_typed_error(fast: FastS3Server,
                                                              tmp_path: Path) -> None:
    # s3transfer raises a bare RuntimeError here; hub's error is also one.
    s3 = _client(fast.url)
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"data")
    manager = TransferManager(s3, SMALL)
    manager.download(BUCKET, "k", str(tmp_path / "a")).result()
    manager.shutdown()
    with pytest.raises(TransferManagerClosedError, match="download of 'k'") as closed:
        manager.download(BUCKET, "k", str(tmp_path / "b"))
    assert isinstance(closed.value, RuntimeError)
    # The pool shut down under a submit that had passed the check (a race): the future
    # fails with the same error instead of a bare RuntimeError from concurrent.futures.
    racing = TransferManager(s3, SMALL)
    racing.download(BUCKET, "k", str(tmp_path / "c")).result()
    assert racing._executor is not None
    racing._executor.shutdown()
    with pytest.raises(TransferManagerClosedError):
        racing.download(BUCKET, "k", str(tmp_path / "d")).result()
    assert fast.ops("GetObject") == 2
    assert sorted(os.listdir(tmp_path)) == ["a", "c"]
