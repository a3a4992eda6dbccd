"""Flexible-checksum handlers, driven by each operation's ``httpChecksum`` model trait.

They apply to every operation whose model has the trait (S3's PutObject, UploadPart,
DeleteObjects, PutBucketCors, GetObject, ...), never to a hand-kept list, and are added with
the protocol handlers (:func:`checksum_handlers`):

- ``checksum.response_mode`` (build, first): with ``response_checksum_validation`` =
  ``when_supported`` (the default), an operation with a ``requestValidationModeMember``
  (GetObject's ``ChecksumMode``) gets ``ENABLED`` unless the caller set it, as botocore does.
- ``checksum.request`` (build, last: after the body is final): picks the algorithm (the
  caller's ``ChecksumAlgorithm``; else CRC32 when the model requires a checksum or when
  ``request_checksum_calculation`` is ``when_supported`` and the operation takes one) and puts
  the value in a header (bytes; seekable files over http) or in an ``aws-chunked`` trailer
  (files over https, and unseekable streams on either scheme), computed while the body is
  sent. A caller's own ``x-amz-checksum-*`` value (``ChecksumCRC32=...``) is sent as given.
- ``checksum.validate`` (unmarshal, first): when the response carries ``x-amz-checksum-*`` and
  the request asked for validation, check the body: a buffered body before the result is
  returned, a streamed one as it is read (see :class:`ValidatingBody`). Composite multipart
  values (``...-3``) are skipped, as in botocore; ``checksum.metadata`` then records the
  algorithm in ``ResponseMetadata["ChecksumAlgorithm"]`` (``"crc32"``), as botocore does.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import stat
from typing import Any

from hub._checksum_offload import MIN_OFFLOAD, OffloadedCrc
from hub._corehandlers import body_read_error, payload_signing
from hub._handlers import Handlers
from hub._request import Request
from hub.checksums import (
    ALGORITHMS,
    DEFAULT_ALGORITHM,
    AwsChunkedReader,
    Checksum,
    header_name,
    implementation,
    new_checksum,
)
from hub.errors import FlexibleChecksumError
from hub.protocols._shapes import OperationModel

__all__ = ["PAYLOAD_HASH_KEY", "ValidatingBody", "checksum_handlers"]

#: ``request.context`` key: the payload hash ``core.sigv4`` must sign with (set here for
#: aws-chunked bodies, and for file bodies whose SHA-256 was computed in the checksum's pass).
PAYLOAD_HASH_KEY = "sigv4.payload_hash"
STREAMING_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_CHECKSUM_PREFIX = "x-amz-checksum-"
_BLOCK = 1024 * 1024
_RESPONSE_ALGORITHM = "checksum.response_algorithm"


def _mode(request: Request, field: str) -> str:
    value = getattr(request.client_config.config, field, None)
    return value if isinstance(value, str) else "when_supported"


# --------------------------------------------------------------------------- request side

def response_mode(request: Request) -> None:
    """Ask for response checksums (``ChecksumMode=ENABLED``) when validation is supported."""
    op = request.operation
    if type(op) is not OperationModel:
        return
    member = op.validation_mode_member
    if (member is None or member in request.params
            or _mode(request, "response_checksum_validation") != "when_supported"):
        return
    request.params = {**request.params, member: "ENABLED"}


def _algorithm_header(op: OperationModel, member: str | None) -> str | None:
    if member is None or op.input is None:
        return None
    ref = op.input.members.get(member)
    if ref is None or ref.location != "header":
        return None
    return ref.wire_name


def _choose(request: Request, op: OperationModel) -> str | None:
    member = op.request_algorithm_member
    chosen = request.params.get(member) if member else None
    if chosen is not None:
        name = str(chosen).upper()
        if name not in ALGORITHMS:
            raise FlexibleChecksumError(
                f"{op.name}: unsupported checksum algorithm {str(chosen)[:20]!r} in {member}; "
                f"use one of {', '.join(ALGORITHMS)}", algorithm=name[:20], operation=op.name)
        return name
    if op.checksum_required or (
            member is not None
            and _mode(request, "request_checksum_calculation") == "when_supported"):
        # The algorithm member's header says which checksum follows (boto3 sends it too).
        header = _algorithm_header(op, member)
        if header is not None:
            request.http_request.headers[header] = DEFAULT_ALGORITHM
        return DEFAULT_ALGORITHM
    return None


def _seekable_start(body: Any) -> int | None:
    seek = getattr(body, "seek", None)
    tell = getattr(body, "tell", None)
    if not (callable(seek) and callable(tell) and hasattr(body, "read")):
        return None
    seekable = getattr(body, "seekable", None)
    try:
        if callable(seekable) and not seekable():
            return None
        return int(tell())
    except (OSError, ValueError):
        return None


def request_checksum(request: Request) -> None:
    """Add the request checksum (header or aws-chunked trailer) the operation's model asks for."""
    op = request.operation
    if type(op) is not OperationModel:
        return
    if op.request_algorithm_member is None and not op.checksum_required:
        return
    http = request.http_request
    headers = http.headers
    # Does a header name start with the prefix? One C-level search over all the names.
    if ("\n" + "\n".join(headers)).lower().find("\n" + _CHECKSUM_PREFIX) >= 0:
        # The caller's own value (ChecksumCRC32=..., a transfer's part checksum) goes as
        # given; over TLS it replaces the body's SHA-256 as a computed one does (below).
        if (_checksum_replaces_body_hash(request, op)
                and isinstance(http.body, (bytes, bytearray, memoryview))):
            request.context[PAYLOAD_HASH_KEY] = UNSIGNED_PAYLOAD
        else:
            _known_payload_hash(request)
        return
    algorithm = _choose(request, op)
    if algorithm is None:
        _known_payload_hash(request)
        return
    body = http.body
    if body is None or isinstance(body, (bytes, bytearray, memoryview)):
        _header_from_bytes(request, op, body or b"", algorithm)
        return
    if getattr(type(body), "hub_checksum", None) is not None:
        known = body.hub_checksum
        if known is not None and known[0] == algorithm:
            _header_from_known(request, op, algorithm, known[1])
            return
    start = _seekable_start(body)
    if start is not None and not http.url.startswith("https:"):
        _header_from_file(request, body, start, algorithm)
    else:
        _trailer(request, body, start, algorithm)


def _header_from_known(request: Request, op: OperationModel, algorithm: str,
                       value: str) -> None:
    # A body whose checksum its sender computed (hub.transfer's FileRange, in the pass that
    # also hashed it): sent as a header, as for bytes (over TLS instead of the SHA-256).
    request.http_request.headers[header_name(algorithm)] = value
    if _checksum_replaces_body_hash(request, op):
        request.context[PAYLOAD_HASH_KEY] = UNSIGNED_PAYLOAD
    else:
        _known_payload_hash(request)


def _known_payload_hash(request: Request) -> None:
    # A body that carries its own SHA-256 (hub.transfer's FileRange, hashed in the same pass
    # as its part checksum): the signer takes it instead of reading the body again.
    digest = getattr(type(request.http_request.body), "hub_payload_sha256", None)
    if digest is not None:
        digest = request.http_request.body.hub_payload_sha256
        signing = payload_signing(request.client_config)
        if digest is not None and (not request.http_request.url.startswith("https:")
                                   if signing is None else signing):
            request.context[PAYLOAD_HASH_KEY] = digest


def _checksum_replaces_body_hash(request: Request, op: OperationModel) -> bool:
    # botocore's S3 rule: TLS plus a checksum header make body signing redundant for
    # streaming-input operations (PutObject, UploadPart): the checksum replaces the SHA-256.
    # s3_payload_signing_enabled overrides the scheme (False: never signed; True: signed).
    signing = payload_signing(request.client_config)
    return ((request.http_request.url.startswith("https:") if signing is None else not signing)
            and request.client_config.spec.signing.unsigned_streams_over_tls
            and op.input_payload is not None and op.input_payload.streaming)


def _signs_payload(request: Request) -> bool:
    # On the header paths (http, or https with signing forced on): is the body's SHA-256
    # signed, so worth computing in the checksum's pass?
    return (request.client_config.config.signature_version != "unsigned"
            and payload_signing(request.client_config) is not False)


def _header_from_bytes(request: Request, op: OperationModel, body: Any, algorithm: str) -> None:
    http = request.http_request
    running = new_checksum(algorithm, overlap=True)
    running.update(body)  # a large body's CRC runs on a helper thread meanwhile
    if _checksum_replaces_body_hash(request, op):
        request.context[PAYLOAD_HASH_KEY] = UNSIGNED_PAYLOAD
    elif (request.client_config.spec.signing.payload_hash_header and _signs_payload(request)
          and memoryview(body).nbytes >= MIN_OFFLOAD):
        # The signer would hash the body next (S3 signs every payload over http): hash it
        # here instead, while the helper computes the CRC, and hand the hash over.
        request.context[PAYLOAD_HASH_KEY] = hashlib.sha256(body).hexdigest()
    http.headers[header_name(algorithm)] = running.b64digest()


def _header_from_file(request: Request, body: Any, start: int, algorithm: str) -> None:
    # Over http the signer hashes a file body anyway (SHA-256): one pass computes both, and
    # the signer takes the hash from the context instead of reading the file again. With
    # zlib's slow CRC32 and a spare core, a helper computes the CRC of a regular file from
    # its own reads meanwhile (bench_checksums.py: handing it this loop's blocks one by one
    # measured slower than inline; the per-block hand-offs and GIL round trips cost more
    # than the overlap saved).
    running = new_checksum(algorithm, overlap=True)
    if type(body) is io.BytesIO:
        _header_from_bytes_io(request, body, start, running)
        return
    offloaded = False
    regular = _regular_file(body)
    if isinstance(running, OffloadedCrc) and regular is not None:
        offloaded = running.update_file(regular[0], start, regular[1] - start)
    if not offloaded:
        running = new_checksum(algorithm)  # inline, block by block (see above)
    # A file from open() is read into one buffer (readinto: no new 1 MiB object per block,
    # ~4 ms per 64 MiB); any other file object with read(), the method the send will use (a
    # subclass may override read alone).
    buffer = readinto = None
    if regular is not None and type(body) in (io.BufferedReader, io.FileIO):
        readinto = body.readinto
        buffer = memoryview(bytearray(max(1, min(_BLOCK, regular[1] - start))))
    signs = _signs_payload(request)
    sha = hashlib.sha256()
    try:
        while True:
            if readinto is not None and buffer is not None:
                count = readinto(buffer)
                block: Any = buffer[:count] if count else None
            else:
                block = body.read(_BLOCK)
            if not block:
                break
            if not offloaded:
                running.update(block)
            if signs:
                sha.update(block)
        body.seek(start)
    except (OSError, ValueError, TypeError) as exc:  # the caller's file failed
        if offloaded:
            # The helper reads this file's descriptor: let it end before the caller, told of
            # the failure, closes the file (and the number goes to another file).
            with contextlib.suppress(Exception):
                running.digest()
        raise body_read_error(request, exc) from exc
    request.http_request.headers[header_name(algorithm)] = running.b64digest()
    if signs:
        request.context[PAYLOAD_HASH_KEY] = sha.hexdigest()


def _header_from_bytes_io(request: Request, body: io.BytesIO, start: int,
                          running: Checksum) -> None:
    # A BytesIO's bytes are in memory: checksum and hash them where they lie, as for a bytes
    # body (a large one's CRC runs on a helper meanwhile), instead of reading copies of them.
    # getvalue() hands over CPython's own buffer without a copy (getbuffer() would copy a
    # BytesIO made from bytes, to make it writable), and leaves the position alone.
    data = memoryview(body.getvalue())[start:]
    running.update(data)
    if _signs_payload(request):
        request.context[PAYLOAD_HASH_KEY] = hashlib.sha256(data).hexdigest()
    request.http_request.headers[header_name(running.algorithm)] = running.b64digest()


def _regular_file(body: Any) -> tuple[int, int] | None:
    # (descriptor, size) of a body that is a regular file, else None.
    fileno = getattr(body, "fileno", None)
    if not callable(fileno):
        return None
    try:
        fd = fileno()
        info = os.fstat(fd)
    except (OSError, ValueError, TypeError):  # io.UnsupportedOperation is an OSError
        return None
    if not isinstance(fd, int) or not stat.S_ISREG(info.st_mode):
        return None
    return fd, info.st_size


def _trailer(request: Request, body: Any, start: int | None, algorithm: str) -> None:
    http = request.http_request
    headers = http.headers
    length: int | None = None
    for key in list(headers):
        if key.lower() == "content-length":
            value = headers.pop(key)
            length = int(value) if value.isdigit() else None
    # A file's framed length is known (fixed-size chunks): it goes as Content-Length. A
    # stream's chunks come as they come: chunked transfer, with the decoded length only when
    # the caller gave one (ContentLength), as botocore.
    framed = getattr(type(body), "hub_aws_chunked", None)
    reader: Any
    if framed is not None and start == 0:
        # hub.transfer's FileRange frames itself (sent from the file, no copy of the data).
        reader = framed(body, algorithm)
    else:
        reader = AwsChunkedReader(body, algorithm,
                                  decoded_length=length if start is not None else None)
    encoding = next((k for k in headers if k.lower() == "content-encoding"), None)
    if encoding is not None:
        headers[encoding] = f"{headers[encoding]},aws-chunked"
    else:
        headers["Content-Encoding"] = "aws-chunked"
    headers["X-Amz-Trailer"] = reader.trailer_name
    if length is not None:
        headers["X-Amz-Decoded-Content-Length"] = str(length)
    if reader.encoded_length is not None:
        headers["Content-Length"] = str(reader.encoded_length)
    headers["X-Amz-Content-SHA256"] = STREAMING_TRAILER
    http.body = reader if start is not None else iter(reader)
    if start is not None:
        request.body_position = 0  # AwsChunkedReader.seek(0) rewinds the file and checksum
    request.context[PAYLOAD_HASH_KEY] = STREAMING_TRAILER


# --------------------------------------------------------------------------- response side

class ValidatingBody:
    """A transport body (:class:`hub._request.RawBody`) that checks a checksum as it is read.

    The check runs on the read that reaches the end of the body (``Content-Length`` bytes, or
    the end of a chunked body). On a mismatch that read raises
    :class:`~hub.errors.FlexibleChecksumError` *instead of* returning its bytes. So a caller
    that reads the whole body at once (``read()``) never sees damaged data; a caller that
    reads in chunks has already been given every chunk before the last one (and, for a
    body without ``Content-Length``, every byte: its end is known only from an empty read).

    Args:
        raw: The transport's unread body.
        checksum: A fresh running checksum of the response's algorithm.
        expected: The base64 value the service sent.
        operation: The operation name (for the error).
    """

    __slots__ = ("_checked", "_checksum", "_expected", "_operation", "_raw")

    def __init__(self, raw: Any, checksum: Checksum, expected: str, operation: str) -> None:
        self._raw = raw
        self._checksum = checksum
        self._expected = expected
        self._operation = operation
        self._checked = False

    @property
    def done(self) -> bool:
        """True once the body was read to its end, released or discarded."""
        return bool(self._raw.done)

    def _check(self) -> None:
        if self._checked:
            return
        self._checked = True
        _compare(self._checksum, self._expected, self._operation)

    def read(self, amt: int | None = None) -> bytes:
        """Read up to ``amt`` bytes; the read reaching the end raises on a mismatch."""
        data: bytes = self._raw.read(amt)
        self._checksum.update(data)
        if self._raw.done:
            self._check()
        return data

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer``; the read reaching the end raises on a mismatch."""
        view = memoryview(buffer).cast("B")
        n: int = self._raw.readinto(view)
        self._took(view, n)
        return n

    def _took(self, view: memoryview, count: int) -> None:
        # count bytes arrived in view: into the checksum; at the end of the body, the check.
        self._checksum.update(view[:count])
        if self._raw.done:
            self._check()

    def wait_socket(self) -> Any:
        """The transport body's socket for :meth:`readinto_nowait` (see ``_Body``)."""
        wait = getattr(self._raw, "wait_socket", None)
        return wait() if wait is not None else None

    @property
    def wait_timeout(self) -> float | None:
        """The transport body's read timeout."""
        return getattr(self._raw, "wait_timeout", None)

    def wait_expired(self) -> Any:
        """Close the transport body that waited too long; the error to raise."""
        return self._raw.wait_expired()

    def readinto_nowait(self, buffer: Any) -> int | None:
        """:meth:`readinto` without waiting: None when nothing can be read now."""
        view = memoryview(buffer).cast("B")
        n: int | None = self._raw.readinto_nowait(view)
        if n is not None:
            self._took(view, n)
        return n

    def read_all(self) -> bytes:
        """Read the whole rest of the body, then check it."""
        data: bytes = self._raw.read_all()
        self._checksum.update(data)
        self._check()
        return data

    def release(self) -> None:
        """Give the connection back if the body was read to its end, else discard it."""
        self._raw.release()

    def discard(self) -> None:
        """Close the connection (the body was not read to its end)."""
        self._raw.discard()


def _compare(checksum: Checksum, expected: str, operation: str) -> None:
    computed = checksum.b64digest()
    if computed != expected:
        raise FlexibleChecksumError(
            f"{operation}: the response body's {checksum.algorithm} checksum {computed} does not "
            f"match the x-amz-checksum-{checksum.algorithm.lower()} value {expected[:64]} the "
            "service sent (the data was damaged in transit)",
            algorithm=checksum.algorithm, expected=expected[:64], computed=computed,
            operation=operation)


def _response_algorithms(op: OperationModel) -> tuple[str, ...]:
    listed = getattr(op, "response_algorithms", None) or ALGORITHMS
    upper = {a.upper() for a in listed}
    return tuple(a for a in ALGORITHMS if a in upper)


def validate_response(request: Request) -> None:
    """Check the response body against its ``x-amz-checksum-*`` header, when asked for."""
    op = request.operation
    if type(op) is not OperationModel:
        return
    member = op.validation_mode_member
    if member is None or member not in request.params:
        return
    response = request.http_response
    if response is None:
        return
    headers = response.headers
    lowered = getattr(headers, "lowered", None)  # hub's ResponseHeaders: lowercased already
    sent = {k: v for k, v in (lowered if type(lowered) is dict else
                              {k.lower(): v for k, v in headers.items()}).items()
            if k.startswith(_CHECKSUM_PREFIX)}
    if not sent:
        return
    for algorithm in _response_algorithms(op):
        expected = sent.get(header_name(algorithm))
        if not expected or "-" in expected:
            continue  # absent, or a composite multipart value (base64 never has "-")
        if implementation(algorithm) == "python":
            continue  # no native CRC32C/CRC64NVME installed: skipped, as botocore without CRT
        checksum = new_checksum(algorithm)
        if response.raw is not None:
            response.raw = ValidatingBody(response.raw, checksum, expected, op.name)
        else:
            checksum.update(response.body)
            _compare(checksum, expected, op.name)
        request.context[_RESPONSE_ALGORITHM] = algorithm.lower()
        return


def response_metadata(request: Request) -> None:
    """Say which algorithm checked the body: ``ResponseMetadata["ChecksumAlgorithm"]`` (as
    botocore, lower case), on the parsed result."""
    algorithm = request.context.get(_RESPONSE_ALGORITHM)
    data = request.data
    if algorithm is not None and isinstance(data, dict):
        meta = data.get("ResponseMetadata")
        if isinstance(meta, dict):
            meta["ChecksumAlgorithm"] = algorithm


# --------------------------------------------------------------------------- wiring

def checksum_handlers(handlers: Handlers) -> Handlers:
    """Return ``handlers`` plus the checksum handlers (after the protocol's were added).

    ``checksum.response_mode`` goes first in build (before ``protocol.build`` serializes the
    parameters), ``checksum.request`` last in build (the body is final), and
    ``checksum.validate`` first in unmarshal (before the body is parsed or handed over), and
    ``checksum.metadata`` right after ``protocol.unmarshal``. (Client creation adds the same
    handlers through :func:`hub._protocol_handlers.protocol_handlers`, which imports this
    module only when the first request runs one.)
    """
    from hub._protocol_handlers import add_checksum_handlers

    return add_checksum_handlers(handlers, response_mode, request_checksum, validate_response,
                                 response_metadata)
