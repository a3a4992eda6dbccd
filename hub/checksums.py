"""Flexible checksums: the algorithms, streaming checksum readers and the aws-chunked encoder.

The algorithms are the five S3 accepts (``x-amz-checksum-<name>`` headers and trailers, values
in base64 of the big-endian digest):

=============  ==========================================================================
``CRC32``      the default; ``isal`` (``pip install 'hub[crc32]'``, ~9 GB/s with the
               CPU's carry-less multiply) or else ``zlib-ng`` when installed, else
               :func:`zlib.crc32` (C, always available; 1-2 GB/s).
``CRC32C``     the ``crc32c`` package when installed (``pip install 'hub[crc32c]'``,
               hardware-accelerated), else ``awscrt`` when installed, else hub's pure-Python
               table implementation (correct, but slow: a few MB/s; see docs/checksums.md).
``CRC64NVME``  ``awscrt`` when installed (``pip install 'hub[crt]'``), else hub's pure-Python
               table implementation (slow, as CRC32C's).
``SHA1``       :mod:`hashlib`.
``SHA256``     :mod:`hashlib`.
=============  ==========================================================================

Every checksum object has ``update(data)``, ``digest()`` (bytes) and ``b64digest()`` (the wire
form) and keeps O(1) state, so checksumming a stream never holds more than one chunk.

:class:`AwsChunkedReader` frames a body as ``aws-chunked`` with the checksum in a trailer, which
is how a stream of unknown length (a generator, a pipe) is uploaded with a checksum computed in
the same single pass that sends it. :func:`decode_aws_chunked` is the inverse (for servers and
tests).
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from hub._checksum_offload import OffloadedCrc
from hub.errors import FlexibleChecksumError, MissingDependencyError

# With ``overlap``, a native CRC32 hands updates of at least this size to a helper thread.
_NATIVE_MIN_OFFLOAD = 4 * 1024 * 1024
# With ``overlap``, zlib's CRC32 of a regular file this large runs on a helper that reads the
# file itself (its second read from the page cache costs less than the CRC it takes off).
_ZLIB_FILE_MIN_OFFLOAD = 1024 * 1024

__all__ = [
    "ALGORITHMS",
    "AwsChunkedReader",
    "Checksum",
    "ChecksumReader",
    "DEFAULT_ALGORITHM",
    "PartChecksums",
    "checksum",
    "combine",
    "crc32c",
    "crc64nvme",
    "decode_aws_chunked",
    "header_name",
    "implementation",
    "is_supported",
    "new_checksum",
]

#: The algorithms hub computes, in the order a response's checksum is preferred (botocore's).
ALGORITHMS: tuple[str, ...] = ("CRC64NVME", "CRC32C", "CRC32", "SHA1", "SHA256")
#: The algorithm used when the caller names none (boto3 1.36+).
DEFAULT_ALGORITHM = "CRC32"


def header_name(algorithm: str) -> str:
    """The header (and trailer) that carries ``algorithm``'s value: ``x-amz-checksum-crc32``."""
    return f"x-amz-checksum-{algorithm.lower()}"


# --------------------------------------------------------------------------- pure-Python CRCs

def _reflected_table(poly: int) -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC32C_TABLE: tuple[int, ...] | None = None
_CRC64NVME_TABLE: tuple[int, ...] | None = None
_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF


def _py_crc32c(data: bytes | bytearray | memoryview, value: int = 0) -> int:
    """CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table driven, pure Python."""
    global _CRC32C_TABLE
    table = _CRC32C_TABLE
    if table is None:
        table = _CRC32C_TABLE = _reflected_table(0x82F63B78)
    crc = value ^ _MASK32
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ _MASK32


def _py_crc64nvme(data: bytes | bytearray | memoryview, value: int = 0) -> int:
    """CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5), table driven, pure Python."""
    global _CRC64NVME_TABLE
    table = _CRC64NVME_TABLE
    if table is None:
        table = _CRC64NVME_TABLE = _reflected_table(0x9A6C9329AC4BC9B5)
    crc = value ^ _MASK64
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ _MASK64


# --------------------------------------------------------------------------- combining CRCs

# (reflected polynomial, width) of the CRCs that combine; SHA digests do not.
_CRC_POLYS = {"CRC32": (0xEDB88320, 32), "CRC32C": (0x82F63B78, 32),
              "CRC64NVME": (0x9A6C9329AC4BC9B5, 64)}
_X2N: dict[str, list[int]] = {}  # x^(2^k) mod P for k < 64, per algorithm (built on first use)


def _multmodp(a: int, b: int, poly: int, top: int) -> int:
    # a * b modulo P, in the reflected representation (zlib's multmodp, any width).
    m, p = top, 0
    while True:
        if a & m:
            p ^= b
            if not a & (m - 1):
                return p
        m >>= 1
        b = (b >> 1) ^ poly if b & 1 else b >> 1


def _combine_values(algorithm: str, first: int, second: int, second_length: int) -> int:
    # CRC(A + B) from CRC(A), CRC(B) and len(B): CRC(A) times x^(8 len(B)) mod P, plus CRC(B).
    poly, width = _CRC_POLYS[algorithm]
    top = 1 << (width - 1)
    table = _X2N.get(algorithm)
    if table is None:
        table = [top >> 1]  # x^1
        for _ in range(63):
            table.append(_multmodp(table[-1], table[-1], poly, top))
        _X2N[algorithm] = table
    power, n, k = top, second_length, 3  # x^0; 2^3 bits a byte
    while n:
        if n & 1:
            power = _multmodp(table[k & 63], power, poly, top)
        n >>= 1
        k += 1
    return _multmodp(power, first, poly, top) ^ second


def combine(algorithm: str, first: str, second: str, second_length: int) -> str:
    """The CRC of two pieces of data joined, from the CRC of each and the second's length.

    Values are base64, as in ``x-amz-checksum-*`` headers: this is how S3 derives a
    ``FULL_OBJECT`` checksum from a multipart upload's part checksums, and how a download in
    ranges can be checked against the whole object's checksum without reading it twice.
    O(log ``second_length``); no data is read.

    Args:
        algorithm: ``"CRC32"``, ``"CRC32C"`` or ``"CRC64NVME"`` (any case).
        first: The checksum of the first piece.
        second: The checksum of the second piece.
        second_length: The second piece's length in bytes (>= 0).

    Raises:
        FlexibleChecksumError: An unknown algorithm, SHA1 or SHA256 (digests do not combine),
            a value that is not the algorithm's size in base64, or a negative length.
    """
    name = _canonical(algorithm)
    if name not in _CRC_POLYS:
        raise FlexibleChecksumError(
            f"{name} checksums do not combine (only CRC32, CRC32C and CRC64NVME do)",
            algorithm=name)
    if not isinstance(second_length, int) or isinstance(second_length, bool) \
            or second_length < 0:
        raise FlexibleChecksumError(
            f"combine: second_length must be an int >= 0, got {second_length!r}"[:120],
            algorithm=name)
    size = _CRC_POLYS[name][1] // 8
    values = []
    for label, value in (("first", first), ("second", second)):
        try:
            raw = base64.b64decode(value, validate=True)
        except (ValueError, TypeError):
            raw = b""
        if len(raw) != size:
            raise FlexibleChecksumError(
                f"combine: {label} is not a base64 {name} value ({size} bytes)", algorithm=name)
        values.append(int.from_bytes(raw, "big"))
    joined = _combine_values(name, values[0], values[1], second_length)
    return base64.b64encode(joined.to_bytes(size, "big")).decode("ascii")


# --------------------------------------------------------------------------- native choices

_CrcFn = Callable[[Any, int], int]
_native: dict[str, tuple[_CrcFn, str] | None] = {}


def _find_native(algorithm: str) -> tuple[_CrcFn, str] | None:
    if algorithm in _native:
        return _native[algorithm]
    found: tuple[_CrcFn, str] | None = None
    if algorithm == "CRC32":
        # zlib's own crc32 is always there; these are 4-6x faster (SIMD), same values.
        try:
            from isal import isal_zlib  # type: ignore[import-not-found,unused-ignore]

            found = (isal_zlib.crc32, "isal")
        except ImportError:
            try:
                from zlib_ng import zlib_ng  # type: ignore[import-not-found,unused-ignore]

                found = (zlib_ng.crc32, "zlib-ng")
            except ImportError:
                pass
        _native[algorithm] = found
        return found
    if algorithm == "CRC32C":
        try:
            import crc32c as _crc32c_pkg  # type: ignore[import-not-found,unused-ignore]

            found = (lambda data, value: int(_crc32c_pkg.crc32c(data, value)), "crc32c")
        except ImportError:
            pass
    if found is None:
        try:
            from awscrt import checksums as _crt  # type: ignore[import-not-found,unused-ignore]

            fn = _crt.crc32c if algorithm == "CRC32C" else getattr(_crt, "crc64nvme", None)
            if fn is not None:
                found = (lambda data, value: int(fn(data, value)), "awscrt")
        except ImportError:
            pass
    _native[algorithm] = found
    return found


def implementation(algorithm: str) -> str:
    """Which code computes ``algorithm``: ``"isal"``, ``"zlib-ng"`` or ``"zlib"`` (CRC32),
    ``"hashlib"``, ``"crc32c"``, ``"awscrt"`` or ``"python"`` (hub's pure-Python fallback of
    CRC32C and CRC64NVME, slow).

    Raises:
        FlexibleChecksumError: ``algorithm`` is not one of :data:`ALGORITHMS`.
    """
    name = _canonical(algorithm)
    if name == "CRC32":
        native = _find_native(name)
        return native[1] if native is not None else "zlib"
    if name in ("SHA1", "SHA256"):
        return "hashlib"
    native = _find_native(name)
    return native[1] if native is not None else "python"


def crc32c(data: bytes | bytearray | memoryview, value: int = 0) -> int:
    """CRC-32C of ``data``, continuing from ``value`` (a previous result), as an int."""
    native = _find_native("CRC32C")
    return native[0](data, value) if native is not None else _py_crc32c(data, value)


def crc64nvme(data: bytes | bytearray | memoryview, value: int = 0) -> int:
    """CRC-64/NVME of ``data``, continuing from ``value`` (a previous result), as an int."""
    native = _find_native("CRC64NVME")
    return native[0](data, value) if native is not None else _py_crc64nvme(data, value)


# --------------------------------------------------------------------------- checksum objects

class Checksum(Protocol):
    """A running checksum (the interface of every object :func:`new_checksum` returns)."""

    algorithm: str

    def update(self, data: bytes | bytearray | memoryview) -> None:
        """Add ``data``."""

    def digest(self) -> bytes:
        """The checksum of everything added so far (big-endian bytes)."""

    def b64digest(self) -> str:
        """:meth:`digest` in base64, the form sent in headers and trailers."""


class _Crc:
    __slots__ = ("_fn", "_size", "_value", "algorithm")

    def __init__(self, algorithm: str, fn: _CrcFn, size: int) -> None:
        self.algorithm = algorithm
        self._fn = fn
        self._size = size
        self._value = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        if data:
            self._value = self._fn(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(self._size, "big")

    def b64digest(self) -> str:
        return base64.b64encode(self.digest()).decode("ascii")


class _Hash:
    __slots__ = ("_hash", "algorithm")

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self._hash = hashlib.new(algorithm.lower())

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._hash.update(data)

    def digest(self) -> bytes:
        return self._hash.digest()

    def b64digest(self) -> str:
        return base64.b64encode(self._hash.digest()).decode("ascii")


def _zlib_crc32(data: Any, value: int) -> int:
    return zlib.crc32(data, value)


def _canonical(algorithm: str) -> str:
    name = str(algorithm).upper()
    if name not in ALGORITHMS:
        raise FlexibleChecksumError(
            f"unsupported checksum algorithm {str(algorithm)[:20]!r}; use one of "
            f"{', '.join(ALGORITHMS)}", algorithm=name[:20])
    return name


def is_supported(algorithm: str) -> bool:
    """True when ``algorithm`` (any case) is one of :data:`ALGORITHMS`."""
    return str(algorithm).upper() in ALGORITHMS


def new_checksum(algorithm: str, *, require_native: bool = False,
                 overlap: bool = False) -> Checksum:
    """A new running checksum for ``algorithm`` (``"CRC32"``, ``"crc32c"``, ...; any case).

    Args:
        algorithm: One of :data:`ALGORITHMS`.
        require_native: Refuse the pure-Python fallback of CRC32C/CRC64NVME (raise instead).
        overlap: For CRC32, compute each large ``update()`` on a helper thread while the
            caller goes on (hashes or sends the same block), when a spare core and a free
            helper exist; the next call waits for it. Large means 256 KiB and more for zlib's
            CRC32 (no ``hub[crc32]`` extra), 4 MiB and more for a native one (below that it
            is faster than the hand-off). The caller must not change a buffer it passed until
            its next call on the checksum (``bytes`` never change). No effect for other
            algorithms. See :mod:`hub._checksum_offload`.

    Raises:
        FlexibleChecksumError: Unknown algorithm.
        MissingDependencyError: ``require_native`` and no native implementation is installed
            (names the extra: ``hub[crc32c]`` or ``hub[crt]``).
    """
    name = _canonical(algorithm)
    if name in ("SHA1", "SHA256"):
        return _Hash(name)
    native = _find_native(name)
    if name == "CRC32":
        if native is not None:
            # A SIMD CRC (~10 GB/s from memory) still costs ~7 ms per 64 MiB: only a whole
            # large body (one update of 4 MiB or more, beside the signer's SHA-256) is worth
            # the hand-off; the 256 KiB blocks of a file stay inline.
            if overlap:
                return OffloadedCrc(name, native[0], 4, _NATIVE_MIN_OFFLOAD)
            return _Crc(name, native[0], 4)
        # zlib's CRC32 (1-2 GB/s) is the one slow enough for a helper thread to pay off; the
        # SIMD ones (isal, zlib-ng, crc32c, awscrt: 8-25 GB/s) cost less than the hand-off.
        if overlap:
            return OffloadedCrc(name, _zlib_crc32, 4, file_min_offload=_ZLIB_FILE_MIN_OFFLOAD)
        return _Crc(name, _zlib_crc32, 4)
    if native is None and require_native:
        package, extra = ("crc32c", "crc32c") if name == "CRC32C" else ("awscrt", "crt")
        raise MissingDependencyError(f"a native {name} checksum", package, extra)
    if name == "CRC32C":
        return _Crc(name, native[0] if native else _py_crc32c, 4)
    return _Crc(name, native[0] if native else _py_crc64nvme, 8)


def checksum(algorithm: str, data: bytes | bytearray | memoryview) -> str:
    """The base64 checksum of ``data`` (the value of an ``x-amz-checksum-*`` header)."""
    running = new_checksum(algorithm)
    running.update(data)
    return running.b64digest()


# --------------------------------------------------------------------------- readers

class ChecksumReader:
    """A file-like reader that checksums what is read through it (one pass, O(1) memory).

    Args:
        raw: Anything with ``read(size)``.
        algorithm: One of :data:`ALGORITHMS`.

    Attributes:
        checksum: The running :class:`Checksum` over the bytes read so far.
        bytes_read: How many bytes were read.
    """

    def __init__(self, raw: Any, algorithm: str) -> None:
        self._raw = raw
        self.checksum = new_checksum(algorithm)
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all the rest when negative) and add them."""
        data = self._raw.read(size)
        if data:
            self.checksum.update(data)
            self.bytes_read += len(data)
        return bytes(data)


# Chunks at least this large are framed without copying them (see AwsChunkedReader._frames).
_SPLIT_FRAMES = 256 * 1024


def _hex_len(n: int) -> int:
    return len(f"{n:x}")


def _body_chunk(chunk: Any,
                operation: str | None = None) -> bytes | bytearray | memoryview:
    """One chunk of an iterable request body, as bytes-like: ``str`` as UTF-8 (as urllib3
    sends it), bytes-like as given.

    Raises:
        RequestBodyError: Anything else (``bytes()`` of an int would be that many zero bytes,
            sent as if they were the data).
    """
    if isinstance(chunk, (bytes, bytearray, memoryview)):
        return chunk
    if isinstance(chunk, str):
        return chunk.encode("utf-8")
    from hub.errors import RequestBodyError

    raise RequestBodyError(
        f"{operation + ': ' if operation else ''}the request body (Body) gave a chunk of type "
        f"{type(chunk).__name__}: a body's chunks must be bytes, bytearray, memoryview or str",
        operation=operation)


class AwsChunkedReader:
    """A body framed as ``aws-chunked`` with the checksum in a trailer, produced as it is read.

    The wire form is ``<hex size>\\r\\n<data>\\r\\n`` per chunk, then ``0\\r\\n``, the trailer
    ``x-amz-checksum-<alg>:<base64>\\r\\n`` and a final ``\\r\\n`` (what S3 decodes for
    ``Content-Encoding: aws-chunked`` with ``x-amz-content-sha256:
    STREAMING-UNSIGNED-PAYLOAD-TRAILER``). The source is read once; memory stays at one chunk.

    Args:
        source: A file-like object (``read(size)``) or an iterable of bytes-like chunks.
        algorithm: The trailer's algorithm (one of :data:`ALGORITHMS`).
        chunk_size: Decoded bytes per chunk for file-like sources (an iterable's own chunks
            are kept as they come, empty ones skipped).
        decoded_length: The source's length when known (then :attr:`encoded_length` is too).

    Attributes:
        checksum: The running checksum (complete once the reader is exhausted).
        decoded_length: As given (None when unknown).
    """

    def __init__(self, source: Any, algorithm: str, *, chunk_size: int = 1024 * 1024,
                 decoded_length: int | None = None) -> None:
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self._algorithm = _canonical(algorithm)
        self._source = source
        self._chunk_size = chunk_size
        self._start: int | None = None
        if hasattr(source, "read") and hasattr(source, "seek") and hasattr(source, "tell"):
            try:
                self._start = source.tell()
            except (OSError, ValueError):
                self._start = None
        self.decoded_length = decoded_length
        self._reset()

    def _reset(self) -> None:
        # Inline, not on the helper thread: beside a send the helper measured slower (the
        # send and the receiver already use the cores; docs/benchmarks.md, "Checksums").
        self.checksum = new_checksum(self._algorithm)
        self._pending = memoryview(b"")
        self._queue: list[bytes] = []  # the rest of the current frame's pieces, last first
        self._done = False
        self._chunks: Iterator[Any] | None = None
        if not hasattr(self._source, "read"):
            self._chunks = iter(self._source)

    @property
    def trailer_name(self) -> str:
        """The trailer's header name (the value of ``x-amz-trailer``)."""
        return header_name(self._algorithm)

    @property
    def encoded_length(self) -> int | None:
        """The framed length when :attr:`decoded_length` is known (else None)."""
        n = self.decoded_length
        if n is None or self._chunks is not None:
            return None
        size = self._chunk_size
        full, rest = divmod(n, size)
        length = full * (_hex_len(size) + 4 + size)
        if rest:
            length += _hex_len(rest) + 4 + rest
        digest_len = len(base64.b64encode(bytes(8 if self._algorithm == "CRC64NVME" else
                                                {"CRC32": 4, "CRC32C": 4, "SHA1": 20,
                                                 "SHA256": 32}[self._algorithm])))
        return length + 3 + len(self.trailer_name) + 1 + digest_len + 2 + 2

    def _next_raw(self) -> bytes | None:
        if self._chunks is not None:
            for chunk in self._chunks:
                if chunk:
                    return bytes(_body_chunk(chunk))
            return None
        data = self._source.read(self._chunk_size)
        return bytes(_body_chunk(data)) if data else None

    def _pieces(self) -> tuple[bytes, ...]:
        # One chunk as (size line, data, CRLF).
        raw = self._next_raw()
        if raw is None:
            self._done = True
            return (b"0\r\n" + self.trailer_name.encode("ascii") + b":"
                    + self.checksum.b64digest().encode("ascii") + b"\r\n\r\n",)
        self.checksum.update(raw)
        return b"%x\r\n" % len(raw), raw, b"\r\n"

    def _frame(self) -> bytes:
        return b"".join(self._pieces())

    def _frames(self) -> Iterator[bytes]:
        # A small chunk goes as one frame (one copy costs less than three sends); a large one
        # as its three pieces, so the data itself is never copied here.
        while not self._done:
            pieces = self._pieces()
            if len(pieces) == 3 and len(pieces[1]) >= _SPLIT_FRAMES:
                yield from pieces
            else:
                yield b"".join(pieces)

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` framed bytes (all the rest when negative); ``b""`` at the end."""
        if size is None or size < 0:
            parts = [bytes(self._pending), *reversed(self._queue)]
            self._pending = memoryview(b"")
            self._queue = []
            while not self._done:
                parts.append(self._frame())
            return b"".join(parts)
        while not self._pending:
            if self._queue:
                self._pending = memoryview(self._queue.pop())
            elif self._done:
                return b""
            else:
                # The frame's pieces, never joined (no copy of the chunk); a read stops at the
                # end of a piece (a short read, as file reads may be).
                self._queue = list(reversed(self._pieces()))
        pending = self._pending
        if size >= len(pending) and isinstance(pending.obj, bytes) \
                and len(pending) == len(pending.obj):
            self._pending = memoryview(b"")
            return pending.obj  # a whole piece: no copy
        self._pending = pending[size:]
        return bytes(pending[:size])

    def __iter__(self) -> Iterator[bytes]:
        """Yield the framed body, one frame per chunk, then the trailer."""
        if self._pending:
            yield bytes(self._pending)
            self._pending = memoryview(b"")
        while self._queue:
            yield self._queue.pop()
        yield from self._frames()

    def seekable(self) -> bool:
        """True when the source can be rewound (a retry can send the body again)."""
        return self._start is not None

    def tell(self) -> int:
        """0 before anything was read (only rewinding to the start is supported)."""
        return 0

    def seek(self, offset: int, whence: int = 0) -> int:
        """Rewind to the start (the only position supported): the source and the checksum.

        Raises:
            OSError: The source cannot be rewound, or ``offset``/``whence`` is not the start.
        """
        if self._start is None or offset != 0 or whence != 0:
            raise OSError("an aws-chunked body can only be rewound to its start")
        self._source.seek(self._start)
        self._reset()
        return 0


def decode_aws_chunked(data: bytes) -> tuple[bytes, dict[str, str]]:
    """Decode an ``aws-chunked`` body: return the payload and its trailers (names lower case).

    Chunk extensions (``;chunk-signature=...``) are ignored.

    Raises:
        ValueError: The framing is malformed.
    """
    pos = 0
    out = []
    while True:
        end = data.find(b"\r\n", pos)
        if end < 0:
            raise ValueError("aws-chunked: missing chunk size line")
        size = int(data[pos:end].split(b";", 1)[0], 16)
        pos = end + 2
        if size == 0:
            break
        out.append(data[pos:pos + size])
        if data[pos + size:pos + size + 2] != b"\r\n":
            raise ValueError("aws-chunked: chunk not followed by CRLF")
        pos += size + 2
    trailers: dict[str, str] = {}
    while True:
        end = data.find(b"\r\n", pos)
        if end < 0:
            raise ValueError("aws-chunked: unterminated trailer section")
        line = data[pos:end]
        pos = end + 2
        if not line:
            break
        name, sep, value = line.decode("ascii").partition(":")
        if not sep:
            raise ValueError("aws-chunked: malformed trailer line")
        trailers[name.strip().lower()] = value.strip()
    return b"".join(out), trailers



class PartChecksums:
    """Per-part checksums for multipart uploads (plugs into :class:`hub.transfer.TransferManager`
    as its ``checksum=``; usable by hand the same way).

    ``create_params()`` names the algorithm for CreateMultipartUpload; ``part_params(n, data)``
    gives the part's ``Checksum<ALG>`` member, computed once: sent with UploadPart (the request
    handler then sends it as given) and repeated in that part's entry of
    CompleteMultipartUpload's ``Parts``, which S3 requires when the upload has an algorithm.

    Args:
        algorithm: One of :data:`ALGORITHMS` (CRC32 by default, as boto3's transfers).
    """

    def __init__(self, algorithm: str = DEFAULT_ALGORITHM) -> None:
        self.algorithm = _canonical(algorithm)
        self._member = "Checksum" + self.algorithm

    def create_params(self) -> Mapping[str, Any]:
        """``{"ChecksumAlgorithm": ...}`` for CreateMultipartUpload."""
        return {"ChecksumAlgorithm": self.algorithm}

    def part_params(self, part_number: int, data: bytes | bytearray | memoryview
                    ) -> Mapping[str, Any]:
        """``{"Checksum<ALG>": <base64>}`` for one part's UploadPart and its ``Parts`` entry."""
        return {self._member: checksum(self.algorithm, data)}

    def __repr__(self) -> str:
        return f"PartChecksums({self.algorithm!r})"
