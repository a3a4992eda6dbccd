"""A fast, threaded, in-memory S3-compatible server for transfer tests and benchmarks.

Enough of S3 for managed transfers, over HTTP or HTTPS (any ``ssl.SSLContext``, e.g. from
trustme), path-style addressing only:

- buckets: CreateBucket, HeadBucket, ListObjectsV2 (no paging);
- objects: PutObject, GetObject (``Range``, ``If-Match``, ``If-None-Match``), HeadObject,
  DeleteObject, CopyObject;
- multipart: CreateMultipartUpload, UploadPart, UploadPartCopy (``x-amz-copy-source-range``),
  CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads.

Bodies may come with a Content-Length, HTTP chunked, and/or ``Content-Encoding: aws-chunked``
(the SDKs' trailing-checksum framing); ``Expect: 100-continue`` is answered at once.
Signatures are not checked.

Made cheap per byte, since in the benchmarks it shares the machine's cores with the client it
measures (the same server serves every client compared):

- Bodies of 64 KiB or more are received (``recv_into``) straight into pooled buffers that go
  back to the pool when their object is replaced or deleted, or their upload completed or
  aborted; a reused buffer costs no page faults. On Linux the large ones are memfd-backed
  mmaps, so a GET over http leaves with ``os.sendfile`` (the kernel sends the pages without
  copying them through user space); over https they are written from the mapping.
- A completed multipart upload keeps its parts as they arrived (segments, never joined); a
  ranged GET sends the pieces of the segments it covers. CopyObject and UploadPartCopy share
  the source's buffers instead of copying them.
- aws-chunked bodies are not copied to unframe them: the object keeps the segments of the
  received buffer that hold its chunks' data.
- ETags are random (not MD5s: hashing every body would cost the server more than the clients
  it measures; S3's multipart ETags are not MD5s of the body either). For the same reason a
  PutObject's ``x-amz-checksum-*`` headers (or aws-chunked trailer) are stored as sent, not
  verified, and with ``checksums=True`` returned (as ``FULL_OBJECT``) by a whole-object GET
  with ``x-amz-checksum-mode: ENABLED``; so a test can store a wrong one to stand for damage.

Faults for tests: ``server.fail(op, ...)`` makes the next matching request(s) answer an
error status, or (``truncate``) send the head and part of the body, then drop the connection.

Run in its own process (benchmarks: its CPU is not the client's)::

    python3 -m tests.servers.fast_s3 [--tls-dir DIR] [--checksums]

prints ``PORT <n>`` (and ``CA <path>`` with ``--tls-dir``) and serves until stdin closes.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import email.utils
import mmap
import os
import re
import socket
import ssl
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote
from xml.sax.saxutils import escape

__all__ = ["FastS3Server", "Fault"]

_RECV = 1 << 18
_MAX_HEAD = 64 * 1024
_XML = '<?xml version="1.0" encoding="UTF-8"?>\n'
_NS = ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


class _Closed(Exception):
    pass


_POOLED = 64 * 1024  # bodies this size or larger are received into pooled buffers
_MAPPED = 1024 * 1024  # pooled buffers this size or larger are memfd mappings (Linux)
_HAS_MEMFD = hasattr(os, "memfd_create") and hasattr(os, "sendfile")
_KEEP_FREE = 1 << 30  # bytes of free buffers kept for reuse
_MSG_MORE = getattr(socket, "MSG_MORE", 0)  # Linux: hold the head for the body that follows


class _Buffer:
    """A pooled body buffer: ``length`` bytes of ``mem`` are in use; ``fd`` is its memfd (or
    None for a plain bytearray). ``refs`` counts the holders (objects, parts, GETs sending)."""

    __slots__ = ("capacity", "fd", "mem", "length", "refs")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.fd: int | None = None
        self.mem: Any = None
        if _HAS_MEMFD and capacity >= _MAPPED:
            try:
                fd = os.memfd_create("fast-s3", os.MFD_CLOEXEC)
            except OSError:
                pass  # out of fds: a bytearray does
            else:
                try:
                    os.ftruncate(fd, capacity)
                    self.mem = mmap.mmap(fd, capacity)
                    self.fd = fd
                except OSError:
                    os.close(fd)
        if self.mem is None:
            self.mem = bytearray(capacity)
        self.length = 0
        self.refs = 0

    def __len__(self) -> int:
        return self.length

    def view(self) -> memoryview:
        return memoryview(self.mem)[:self.length]

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(BufferError, ValueError):
                self.mem.close()  # BufferError: a view still exists; it goes with the GC
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


class _Pool:
    """Free buffers by capacity (powers of two); see the module docstring."""

    def __init__(self) -> None:
        self._free: dict[int, list[_Buffer]] = {}
        self._free_bytes = 0
        self._all: list[_Buffer] = []
        self._lock = threading.Lock()

    def get(self, size: int) -> _Buffer:
        capacity = max(_POOLED, 1 << (size - 1).bit_length())
        with self._lock:
            free = self._free.get(capacity)
            buf = free.pop() if free else None
            if buf is not None:
                self._free_bytes -= capacity
        if buf is None:
            buf = _Buffer(capacity)
            with self._lock:
                self._all.append(buf)
        buf.length = size
        buf.refs = 1
        return buf

    def ref(self, segments: list[_Seg]) -> None:
        with self._lock:
            for store, _, _ in segments:
                if type(store) is _Buffer:
                    store.refs += 1

    def unref(self, segments: list[_Seg]) -> None:
        with self._lock:
            for store, _, _ in segments:
                if type(store) is _Buffer:
                    store.refs -= 1
                    if store.refs == 0 and self._free_bytes + store.capacity <= _KEEP_FREE:
                        self._free.setdefault(store.capacity, []).append(store)
                        self._free_bytes += store.capacity

    def close(self) -> None:
        with self._lock:
            buffers, self._all, self._free = self._all, [], {}
        for buf in buffers:
            buf.close()


# A stored stretch of bytes: (a pooled buffer or bytes, offset, length).
_Seg = tuple["_Buffer | bytes", int, int]


def _segment(body: bytes | _Buffer) -> _Seg:
    return (body, 0, len(body))


def _segments(body: bytes | _Buffer | list[_Seg]) -> list[_Seg]:
    return body if type(body) is list else [_segment(body)]  # type: ignore[arg-type, list-item]


def _bytes(body: bytes | _Buffer | list[_Seg]) -> bytes:
    if type(body) is bytes:
        return body
    return b"".join(bytes(_view(piece)) for piece in _segments(body))


def _pieces(segments: list[_Seg], start: int, end: int) -> list[_Seg]:
    # The stretches of the segments that cover [start, end).
    out: list[_Seg] = []
    pos = 0
    for store, offset, length in segments:
        seg_end = pos + length
        if seg_end > start and pos < end:
            a = max(start, pos)
            b = min(end, seg_end)
            out.append((store, offset + a - pos, b - a))
        pos = seg_end
        if pos >= end:
            break
    return out


def _view(piece: _Seg) -> memoryview:
    store, offset, length = piece
    mem = store.mem if type(store) is _Buffer else store
    return memoryview(mem)[offset:offset + length]


@dataclass(slots=True)
class _Object:
    segments: list[_Seg]  # a completed upload's parts stay as they arrived
    etag: str
    modified: float
    content_type: str = "binary/octet-stream"
    metadata: dict[str, str] = field(default_factory=dict)
    #: A PutObject's x-amz-checksum-* headers, as sent (not verified: see the module docstring)
    checksums: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(length for _, _, length in self.segments)

    def read(self) -> bytes:
        return b"".join(bytes(_view(piece)) for piece in self.segments)


class _Payload:
    """A response body made of stored pieces (held, refs taken, until sent)."""

    __slots__ = ("length", "pieces")

    def __init__(self, pieces: list[_Seg], length: int | None = None) -> None:
        self.pieces = pieces
        self.length = sum(n for _, _, n in pieces) if length is None else length

    def __len__(self) -> int:
        return self.length

    def head(self, n: int) -> bytes:
        return b"".join(bytes(_view(p)) for p in _pieces(self.pieces, 0, n))


@dataclass(slots=True)
class _Upload:
    bucket: str
    key: str
    started: float
    content_type: str
    metadata: dict[str, str]
    parts: dict[int, tuple[_Seg, str]] = field(default_factory=dict)


@dataclass(slots=True)
class Fault:
    """One scripted failure (see :meth:`FastS3Server.fail`)."""

    op: str
    count: int
    status: int
    code: str
    truncate: int | None
    match: Callable[[dict[str, str]], bool] | None
    stall: float = 0.0


def _etag() -> str:
    return f'"{uuid.uuid4().hex}"'


def _http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


class _Reader:
    __slots__ = ("buf", "pool", "scratch", "sock")

    def __init__(self, sock: socket.socket, pool: _Pool) -> None:
        self.sock = sock
        self.pool = pool
        self.buf = bytearray()
        self.scratch = memoryview(bytearray(_RECV))  # recv(n) would allocate n every call

    def _fill(self) -> None:
        n = self.sock.recv_into(self.scratch)
        if not n:
            raise _Closed
        self.buf += self.scratch[:n]

    def until(self, sep: bytes, limit: int = _MAX_HEAD) -> bytes:
        start = 0
        while True:
            pos = self.buf.find(sep, start)
            if pos >= 0:
                end = pos + len(sep)
                data = bytes(self.buf[:end])
                del self.buf[:end]
                return data
            if len(self.buf) > limit:
                raise _Closed
            start = max(0, len(self.buf) - len(sep) + 1)
            self._fill()

    def _into(self, view: memoryview) -> None:
        # Fill view: first from what is buffered, then straight from the socket (no copy).
        have = min(len(self.buf), len(view))
        if have:
            view[:have] = memoryview(self.buf)[:have]
            del self.buf[:have]
        got, n = have, len(view)
        while got < n:
            r = self.sock.recv_into(view[got:], min(n - got, 1 << 22))
            if not r:
                raise _Closed
            got += r

    def exact(self, n: int) -> bytes | _Buffer:
        if n < _POOLED or len(self.buf) >= n:
            while len(self.buf) < n:
                self._fill()
            data = bytes(memoryview(self.buf)[:n])
            del self.buf[:n]
            return data
        out = self.pool.get(n)  # received in place: once reused, no fresh pages either
        try:
            self._into(memoryview(out.mem)[:n])
        except BaseException:
            self.pool.unref([_segment(out)])
            raise
        return out

    def chunked(self, hint: int) -> bytes | _Buffer:
        # HTTP chunked: the chunks' data received into one pooled buffer (grown by doubling
        # when the hint, the declared decoded length, was short).
        out = self.pool.get(max(hint, _POOLED))
        used = 0
        try:
            while True:
                size = int(self.until(b"\r\n", 1024).split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.until(b"\r\n") != b"\r\n":
                        pass
                    break
                if used + size > out.capacity:
                    bigger = self.pool.get(2 * (used + size))
                    memoryview(bigger.mem)[:used] = memoryview(out.mem)[:used]
                    self.pool.unref([_segment(out)])
                    out = bigger
                self._into(memoryview(out.mem)[used:used + size])
                used += size
                self._into(memoryview(bytearray(2)))  # the chunk's CRLF
        except BaseException:
            self.pool.unref([_segment(out)])
            raise
        out.length = used
        if used >= _POOLED:
            return out
        data = bytes(out.view())
        self.pool.unref([_segment(out)])
        return data


def _aws_unchunk(body: bytes | _Buffer) -> tuple[list[_Seg], dict[str, str]]:
    # aws-chunked: "<hex>[;chunk-signature=...]\r\n<data>\r\n" ... "0\r\n<trailers>\r\n\r\n"
    # Nothing is copied: the body becomes the list of its chunks' data (segments of it), and
    # its trailer fields (lower-cased names), e.g. a checksum sent after the data.
    mem = body.mem if type(body) is _Buffer else body
    segments: list[_Seg] = []
    pos = 0
    while True:
        eol = mem.find(b"\r\n", pos, pos + 1024)
        if eol < 0:
            raise ValueError("bad aws-chunked framing")
        size = int(bytes(mem[pos:eol]).split(b";", 1)[0], 16)
        pos = eol + 2
        if size == 0:
            break
        segments.append((body, pos, size))
        pos += size + 2
    trailers: dict[str, str] = {}
    while True:
        eol = mem.find(b"\r\n", pos, pos + 1024)
        if eol <= pos:  # the empty line that ends the trailer (or no more framing)
            return segments, trailers
        name, _, value = bytes(mem[pos:eol]).decode("latin-1").partition(":")
        trailers[name.strip().lower()] = value.strip()
        pos = eol + 2


class FastS3Server:
    """The server; ``start()`` binds 127.0.0.1 on a free port.

    Args:
        ssl_context: Serve HTTPS with this server-side context; None for HTTP.
        checksums: Answer a whole-object GET with ``x-amz-checksum-mode: ENABLED`` with the
            ``x-amz-checksum-*`` value its PutObject sent (as S3; off by default, so bodies
            are not validated where a test looks at how they are read). Also check the
            whole-object CRC a ``FULL_OBJECT`` CompleteMultipartUpload sends against the
            assembled object (``BadDigest`` if it differs), as S3 does, and keep it.
    """

    def __init__(self, ssl_context: ssl.SSLContext | None = None, *,
                 checksums: bool = False) -> None:
        self._ssl = ssl_context
        self.checksums = checksums
        self.buckets: dict[str, dict[str, _Object]] = {}
        self.uploads: dict[str, _Upload] = {}
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._socks: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._pool = _Pool()
        self.requests: list[tuple[str, str]] = []  # (operation, key), in arrival order
        self.last_headers: dict[str, dict[str, str]] = {}  # op -> its latest request headers
        self.last_body: dict[str, bytes] = {}  # op -> its latest request body (if small)
        self.connections = 0

    @property
    def url(self) -> str:
        """The endpoint URL (``http://127.0.0.1:<port>`` or ``https://...``)."""
        assert self._listener is not None
        scheme = "https" if self._ssl is not None else "http"
        return f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}"

    def start(self) -> FastS3Server:
        """Start accepting connections (a daemon thread); returns self."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(256)
        self._listener = listener
        thread = threading.Thread(target=self._accept, name="fast-s3-accept", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, close every connection and join the threads (bounded)."""
        self._stopping.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            with contextlib.suppress(OSError):
                self._listener.close()
        with self._lock:
            socks = list(self._socks)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._pool.close()

    def __enter__(self) -> FastS3Server:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- test helpers -----------------------------------------------------------------------

    def create_bucket(self, name: str) -> None:
        """Create a bucket directly."""
        with self._lock:
            self.buckets.setdefault(name, {})

    def fail(self, op: str, *, count: int = 1, status: int = 500, code: str = "InternalError",
             truncate: int | None = None,
             match: Callable[[dict[str, str]], bool] | None = None,
             stall: float = 0.0) -> None:
        """Make the next ``count`` requests of operation ``op`` (e.g. ``"UploadPart"``) fail.

        Args:
            op: The S3 operation name.
            count: How many matching requests fail.
            status: The error status sent.
            code: The error code sent.
            truncate: Instead of an error, answer normally but send only this many body
                bytes, then drop the connection.
            match: Only requests whose query parameters (a dict) satisfy it.
            stall: With ``truncate``: seconds to keep the connection open, sending nothing
                more, before dropping it (or until the server stops).
        """
        with self._lock:
            self._faults.append(Fault(op, count, status, code, truncate, match, stall))

    def object(self, bucket: str, key: str) -> bytes:
        """The stored bytes of an object (KeyError when absent)."""
        return self.buckets[bucket][key].read()

    def ops(self, op: str) -> int:
        """How many requests of operation ``op`` arrived."""
        with self._lock:
            return sum(1 for name, _ in self.requests if name == op)

    # -- serving ----------------------------------------------------------------------------

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self.connections += 1
                self._socks.add(sock)
                self._threads = [t for t in self._threads if t.is_alive()]
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True,
                                      name="fast-s3-conn")
            self._threads.append(thread)
            thread.start()

    def _serve(self, raw: socket.socket) -> None:
        sock: Any = raw
        try:
            if self._ssl is not None:
                sock = self._ssl.wrap_socket(raw, server_side=True)
                # wrap_socket took the descriptor over (raw is now closed): stop() must shut
                # down the TLS socket to wake this thread, or every TLS test waits out the
                # join timeout.
                with self._lock:
                    self._socks.discard(raw)
                    self._socks.add(sock)
            reader = _Reader(sock, self._pool)
            while not self._stopping.is_set():
                if not self._one(sock, reader):
                    break
        except (_Closed, OSError, ssl.SSLError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            with self._lock:
                self._socks.discard(raw)
                self._socks.discard(sock)

    def _one(self, sock: Any, reader: _Reader) -> bool:
        head = reader.until(b"\r\n\r\n")
        lines = head[:-4].decode("latin-1").split("\r\n")
        while lines and not lines[0]:
            lines.pop(0)
        method, target, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("expect", "").lower() == "100-continue":
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        body: bytes | _Buffer
        if "chunked" in headers.get("transfer-encoding", "").lower():
            hint = headers.get("x-amz-decoded-content-length", "")
            body = reader.chunked(int(hint) + 4096 if hint.isdigit() else 0)
        else:
            length = int(headers.get("content-length") or 0)
            body = reader.exact(length) if length else b""
        try:
            return self._answer(sock, method, target, headers, body)
        finally:
            self._pool.unref([_segment(body)])  # handlers that keep it took their own ref

    def _answer(self, sock: Any, method: str, target: str, headers: dict[str, str],
                received: bytes | _Buffer) -> bool:
        body: bytes | _Buffer | list[_Seg] = received
        if "aws-chunked" in headers.get("content-encoding", ""):
            body, trailers = _aws_unchunk(received)
        else:
            trailers = {}
        path, _, query_string = target.partition("?")
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        bucket, _, key = unquote(path).lstrip("/").partition("/")
        op = self._operation(method, bucket, key, query, headers)
        with self._lock:
            self.requests.append((op, key))
            self.last_headers[op] = headers
            small = sum(n for _, _, n in _segments(body)) <= 65536
            self.last_body[op] = _bytes(body) if small else b""
            fault = self._take_fault(op, query)
        if fault is not None and fault.truncate is None:
            self._send(sock, fault.status, {}, self._error(fault.code, "injected fault"),
                       method)
            return True
        # A trailing checksum reaches the operation as if it had been a header.
        status, out_headers, payload = self._handle(op, method, bucket, key, query,
                                                    {**headers, **trailers}, body)
        if fault is not None:  # truncate: head and a part of the body, then hang up
            self._send(sock, status, out_headers, payload, method, truncate=fault.truncate,
                       stall=fault.stall)
            return False
        self._send(sock, status, out_headers, payload, method)
        return headers.get("connection", "").lower() != "close"

    def _take_fault(self, op: str, query: dict[str, str]) -> Fault | None:
        for fault in self._faults:
            if fault.op == op and fault.count > 0 and (fault.match is None
                                                       or fault.match(query)):
                fault.count -= 1
                return fault
        return None

    @staticmethod
    def _operation(method: str, bucket: str, key: str, query: dict[str, str],
                   headers: dict[str, str]) -> str:
        if not key:
            if method == "PUT":
                return "CreateBucket"
            if method == "HEAD":
                return "HeadBucket"
            if method == "GET":
                return "ListMultipartUploads" if "uploads" in query else "ListObjectsV2"
            return "DeleteBucket" if method == "DELETE" else "Unknown"
        if method == "POST":
            return "CreateMultipartUpload" if "uploads" in query else (
                "CompleteMultipartUpload")
        if method == "PUT":
            copy = "x-amz-copy-source" in headers
            if "partNumber" in query:
                return "UploadPartCopy" if copy else "UploadPart"
            return "CopyObject" if copy else "PutObject"
        if method == "GET":
            return "ListParts" if "uploadId" in query else "GetObject"
        if method == "HEAD":
            return "HeadObject"
        if method == "DELETE":
            return "AbortMultipartUpload" if "uploadId" in query else "DeleteObject"
        return "Unknown"

    @staticmethod
    def _error(code: str, message: str) -> bytes:
        return (f"{_XML}<Error><Code>{code}</Code><Message>{escape(message)}</Message>"
                f"<RequestId>fast-s3</RequestId></Error>").encode()

    def _send(self, sock: Any, status: int, headers: dict[str, str], payload: Any,
              method: str, truncate: int | None = None, stall: float = 0.0) -> None:
        try:
            self._send_payload(sock, status, headers, payload, method, truncate, stall)
        finally:
            if type(payload) is _Payload:
                self._pool.unref(payload.pieces)

    def _send_payload(self, sock: Any, status: int, headers: dict[str, str], payload: Any,
                      method: str, truncate: int | None, stall: float = 0.0) -> None:
        length = len(payload)
        lines = [f"HTTP/1.1 {status} X", f"Content-Length: {length}",
                 "x-amz-request-id: fast-s3", "x-amz-id-2: fast-s3"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if method == "HEAD":
            sock.sendall(head)
            return
        if truncate is not None:
            start = payload.head(truncate) if type(payload) is _Payload else bytes(
                payload[:truncate])
            sock.sendall(head + start)
            if stall:
                self._stopping.wait(stall)
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            return
        if type(payload) is not _Payload:
            sock.sendall(head + bytes(payload))
            return
        plain = not isinstance(sock, ssl.SSLSocket)
        if plain and length:
            sock.sendall(head, _MSG_MORE)  # goes out with the first piece
        else:
            sock.sendall(head)
        for piece in payload.pieces:
            store, offset, n = piece
            if plain and type(store) is _Buffer and store.fd is not None:
                out = sock.fileno()
                while n:  # the kernel sends the memfd's pages: no copy in user space
                    sent = os.sendfile(out, store.fd, offset, n)
                    if not sent:
                        raise _Closed
                    offset += sent
                    n -= sent
            else:
                sock.sendall(_view(piece))

    # -- operations -------------------------------------------------------------------------

    def _handle(self, op: str, method: str, bucket: str, key: str, query: dict[str, str],
                headers: dict[str, str], body: Any) -> tuple[int, dict[str, str], Any]:
        if op == "CreateBucket":
            self.create_bucket(bucket)
            return 200, {"Location": f"/{bucket}"}, b""
        objects = self.buckets.get(bucket)
        if objects is None:
            return 404, {}, self._error("NoSuchBucket", f"no bucket {bucket}")
        if op == "HeadBucket":
            return 200, {}, b""
        if op == "ListObjectsV2":
            return self._list(bucket, objects, query)
        if op == "ListMultipartUploads":
            return self._list_uploads(bucket)
        handler = getattr(self, "_op_" + op, None)
        if handler is None:
            return 501, {}, self._error("NotImplemented", op)
        result: tuple[int, dict[str, str], Any] = handler(objects, bucket, key, query,
                                                          headers, body)
        return result

    @staticmethod
    def _meta(headers: dict[str, str]) -> dict[str, str]:
        return {k[11:]: v for k, v in headers.items() if k.startswith("x-amz-meta-")}

    def _replace(self, objects: dict[str, _Object], key: str, obj: _Object | None) -> None:
        # Swap under the lock (GETs take their refs under it too), release the old outside.
        with self._lock:
            old = objects.pop(key, None)
            if obj is not None:
                objects[key] = obj
        if old is not None:
            self._pool.unref(old.segments)

    def _op_PutObject(self, objects: dict[str, _Object], bucket: str, key: str,
                      query: dict[str, str], headers: dict[str, str],
                      body: Any) -> tuple[int, dict[str, str], Any]:
        segments = _segments(body)
        self._pool.ref(segments)  # kept beyond the request
        obj = _Object(segments, _etag(), time.time(),
                      headers.get("content-type", "binary/octet-stream"), self._meta(headers),
                      {k: v for k, v in headers.items()
                       if k.startswith("x-amz-checksum-") and k != "x-amz-checksum-type"})
        self._replace(objects, key, obj)
        return 200, {"ETag": obj.etag}, b""

    def _object_headers(self, obj: _Object) -> dict[str, str]:
        out = {"ETag": obj.etag, "Last-Modified": _http_date(obj.modified),
               "Content-Type": obj.content_type, "Accept-Ranges": "bytes"}
        for name, value in obj.metadata.items():
            out["x-amz-meta-" + name] = value
        return out

    def _op_HeadObject(self, objects: dict[str, _Object], bucket: str, key: str,
                       query: dict[str, str], headers: dict[str, str],
                       body: Any) -> tuple[int, dict[str, str], Any]:
        obj = objects.get(key)
        if obj is None:
            return 404, {}, b""
        # HEAD: the length is sent, not the body.
        return 200, self._object_headers(obj), _Payload([], obj.size)

    def _op_GetObject(self, objects: dict[str, _Object], bucket: str, key: str,
                      query: dict[str, str], headers: dict[str, str],
                      body: Any) -> tuple[int, dict[str, str], Any]:
        with self._lock:  # the pieces sent are held until sent (see _replace)
            obj = objects.get(key)
            if obj is None:
                return 404, {}, self._error("NoSuchKey", "The specified key does not exist.")
            if "if-match" in headers and headers["if-match"] != obj.etag:
                return 412, {}, self._error("PreconditionFailed", "If-Match failed")
            if "if-none-match" in headers and headers["if-none-match"] == obj.etag:
                return 304, {}, b""
            out = self._object_headers(obj)
            size = obj.size
            start, end = 0, size - 1
            status = 200
            spec = headers.get("range")
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", spec.strip()) if spec else None
            if m is not None:
                first, last = m.groups()
                if first:
                    start, end = int(first), (int(last) if last else size - 1)
                else:
                    start, end = max(0, size - int(last or 0)), size - 1
                end = min(end, size - 1)
                if start >= size or start > end:
                    return 416, {}, self._error("InvalidRange", "The requested range is not "
                                                                "satisfiable")
                out["Content-Range"] = f"bytes {start}-{end}/{size}"
                status = 206
            elif (self.checksums and obj.checksums
                  and headers.get("x-amz-checksum-mode", "").lower() == "enabled"):
                # As S3: a whole-object GET with ChecksumMode=ENABLED gets the stored value
                # (a ranged GET gets none).
                out.update(obj.checksums)
                out["x-amz-checksum-type"] = "FULL_OBJECT"
            pieces = _pieces(obj.segments, start, end + 1)
            self._pool.ref(pieces)
        return status, out, _Payload(pieces)

    def _op_DeleteObject(self, objects: dict[str, _Object], bucket: str, key: str,
                         query: dict[str, str], headers: dict[str, str],
                         body: Any) -> tuple[int, dict[str, str], Any]:
        self._replace(objects, key, None)
        return 204, {}, b""

    def _source(self, headers: dict[str, str], spec: str | None = None
                ) -> tuple[_Object | None, list[_Seg]]:
        # The copy source and the pieces of it to copy, ref'd: the copy shares its buffers.
        source = unquote(headers["x-amz-copy-source"].partition("?")[0]).lstrip("/")
        bucket, _, key = source.partition("/")
        with self._lock:
            obj = self.buckets.get(bucket, {}).get(key)
            if obj is None:
                return None, []
            start, end = 0, obj.size
            if spec is not None:
                m = re.fullmatch(r"bytes=(\d+)-(\d+)", spec.strip())
                if m is None:
                    raise ValueError(spec)
                start, end = int(m.group(1)), min(int(m.group(2)) + 1, end)
            pieces = _pieces(obj.segments, start, end)
            self._pool.ref(pieces)
        return obj, pieces

    def _op_CopyObject(self, objects: dict[str, _Object], bucket: str, key: str,
                       query: dict[str, str], headers: dict[str, str],
                       body: Any) -> tuple[int, dict[str, str], Any]:
        src, pieces = self._source(headers)
        if src is None:
            return 404, {}, self._error("NoSuchKey", "The specified key does not exist.")
        replace = headers.get("x-amz-metadata-directive", "COPY") == "REPLACE"
        obj = _Object(pieces, _etag(), time.time(),
                      headers.get("content-type", src.content_type) if replace
                      else src.content_type,
                      self._meta(headers) if replace else dict(src.metadata))
        self._replace(objects, key, obj)
        xml = (f"{_XML}<CopyObjectResult{_NS}><LastModified>{_iso(obj.modified)}"
               f"</LastModified><ETag>{escape(obj.etag)}</ETag></CopyObjectResult>")
        return 200, {}, xml.encode()

    def _op_CreateMultipartUpload(self, objects: dict[str, _Object], bucket: str, key: str,
                                  query: dict[str, str], headers: dict[str, str],
                                  body: Any) -> tuple[int, dict[str, str], Any]:
        upload_id = uuid.uuid4().hex
        with self._lock:
            self.uploads[upload_id] = _Upload(
                bucket, key, time.time(), headers.get("content-type", "binary/octet-stream"),
                self._meta(headers))
        xml = (f"{_XML}<InitiateMultipartUploadResult{_NS}><Bucket>{escape(bucket)}</Bucket>"
               f"<Key>{escape(key)}</Key><UploadId>{upload_id}</UploadId>"
               "</InitiateMultipartUploadResult>")
        return 200, {}, xml.encode()

    def _upload(self, query: dict[str, str]) -> _Upload | None:
        return self.uploads.get(query.get("uploadId", ""))

    def _set_part(self, upload: _Upload, number: int, segments: list[_Seg], etag: str) -> None:
        with self._lock:
            old = upload.parts.get(number)
            upload.parts[number] = (segments, etag)
        if old is not None:
            self._pool.unref(old[0])

    def _op_UploadPart(self, objects: dict[str, _Object], bucket: str, key: str,
                       query: dict[str, str], headers: dict[str, str],
                       body: Any) -> tuple[int, dict[str, str], Any]:
        upload = self._upload(query)
        if upload is None:
            return 404, {}, self._error("NoSuchUpload", "The upload does not exist.")
        etag = _etag()
        segments = _segments(body)
        self._pool.ref(segments)  # kept beyond the request
        self._set_part(upload, int(query["partNumber"]), segments, etag)
        return 200, {"ETag": etag}, b""

    def _op_UploadPartCopy(self, objects: dict[str, _Object], bucket: str, key: str,
                           query: dict[str, str], headers: dict[str, str],
                           body: Any) -> tuple[int, dict[str, str], Any]:
        upload = self._upload(query)
        try:
            src, pieces = self._source(headers, headers.get("x-amz-copy-source-range"))
        except ValueError:
            return 400, {}, self._error("InvalidArgument", "bad copy source range")
        if upload is None or src is None:
            self._pool.unref(pieces)
            return 404, {}, self._error("NoSuchUpload" if upload is None else "NoSuchKey",
                                        "not found")
        if headers.get("x-amz-copy-source-if-match", src.etag) != src.etag:
            self._pool.unref(pieces)
            return 412, {}, self._error("PreconditionFailed", "x-amz-copy-source-if-match")
        etag = _etag()
        self._set_part(upload, int(query["partNumber"]), pieces, etag)
        xml = (f"{_XML}<CopyPartResult{_NS}><LastModified>{_iso(time.time())}</LastModified>"
               f"<ETag>{escape(etag)}</ETag></CopyPartResult>")
        return 200, {}, xml.encode()

    def _op_CompleteMultipartUpload(self, objects: dict[str, _Object], bucket: str, key: str,
                                    query: dict[str, str], headers: dict[str, str],
                                    body: Any) -> tuple[int, dict[str, str], Any]:
        upload = self._upload(query)
        if upload is None:
            return 404, {}, self._error("NoSuchUpload", "The upload does not exist.")
        text = _bytes(body).decode()
        listed = self._parts_listed(text)
        numbers = [n for n, _ in listed]
        if not listed or numbers != sorted(set(numbers)):
            return 400, {}, self._error("InvalidPartOrder", "parts not in ascending order")
        segments: list[_Seg] = []
        with self._lock:
            for number, etag in listed:
                part = upload.parts.get(number)
                if part is None or part[1] != etag:
                    return 400, {}, self._error("InvalidPart", f"part {number} not found")
                segments += part[0]
            if self.uploads.pop(query["uploadId"], None) is None:
                return 404, {}, self._error("NoSuchUpload", "The upload does not exist.")
            unlisted = [seg for n, (segs, _) in upload.parts.items() if n not in set(numbers)
                        for seg in segs]
        whole = self._whole_checksum(headers, segments)
        if whole is not None and not whole:
            with self._lock:  # the upload stays open, as S3 leaves it: it can be aborted
                self.uploads[query["uploadId"]] = upload
            return 400, {}, self._error("BadDigest", "The full-object checksum does not match")
        self._pool.unref(unlisted)  # the listed parts' refs pass to the object
        obj = _Object(segments, f'"{uuid.uuid4().hex}-{len(listed)}"', time.time(),
                      upload.content_type, upload.metadata, whole or {})
        self._replace(objects, key, obj)
        xml = (f"{_XML}<CompleteMultipartUploadResult{_NS}><Bucket>{escape(bucket)}</Bucket>"
               f"<Key>{escape(key)}</Key><ETag>{escape(obj.etag)}</ETag>"
               "</CompleteMultipartUploadResult>")
        return 200, {}, xml.encode()

    def _whole_checksum(self, headers: dict[str, str],
                        segments: list[_Seg]) -> dict[str, str] | None:
        # With checksums on, a FULL_OBJECT complete's CRC, checked (it costs a pass over the
        # object): {header: value} when it matches, {} when not, None when there is none.
        if not self.checksums or headers.get("x-amz-checksum-type") != "FULL_OBJECT":
            return None
        for name in ("crc32", "crc32c", "crc64nvme"):
            value = headers.get(f"x-amz-checksum-{name}")
            if value is None:
                continue
            from hub.checksums import new_checksum  # CRC32C/CRC64NVME; CRC32 is zlib's below

            running = new_checksum(name)
            crc32 = 0
            for piece in segments:
                if name == "crc32":
                    crc32 = zlib.crc32(_view(piece), crc32)
                else:
                    running.update(_view(piece))
            digest = crc32.to_bytes(4, "big") if name == "crc32" else running.digest()
            matches = base64.b64encode(digest).decode("ascii") == value
            return {f"x-amz-checksum-{name}": value} if matches else {}
        return None

    @staticmethod
    def _parts_listed(text: str) -> list[tuple[int, str]]:
        out = []
        for part in re.findall(r"<Part>(.*?)</Part>", text, re.S):
            number = re.search(r"<PartNumber>(\d+)</PartNumber>", part)
            etag = re.search(r"<ETag>(.*?)</ETag>", part, re.S)
            if number and etag:
                out.append((int(number.group(1)),
                            etag.group(1).replace("&quot;", '"').replace("&#34;", '"')))
        return out

    def _op_AbortMultipartUpload(self, objects: dict[str, _Object], bucket: str, key: str,
                                 query: dict[str, str], headers: dict[str, str],
                                 body: Any) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            upload = self.uploads.pop(query.get("uploadId", ""), None)
        if upload is None:
            return 404, {}, self._error("NoSuchUpload", "The upload does not exist.")
        self._pool.unref([seg for segs, _ in upload.parts.values() for seg in segs])
        return 204, {}, b""

    def _op_ListParts(self, objects: dict[str, _Object], bucket: str, key: str,
                      query: dict[str, str], headers: dict[str, str],
                      body: Any) -> tuple[int, dict[str, str], Any]:
        upload = self._upload(query)
        if upload is None:
            return 404, {}, self._error("NoSuchUpload", "The upload does not exist.")
        with self._lock:
            listed = sorted(upload.parts.items())
        parts = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>{escape(e)}</ETag>"
                        f"<Size>{sum(x for _, _, x in segs)}</Size></Part>"
                        for n, (segs, e) in listed)
        xml = (f"{_XML}<ListPartsResult{_NS}><Bucket>{escape(bucket)}</Bucket>"
               f"<Key>{escape(key)}</Key><UploadId>{query['uploadId']}</UploadId>"
               f"<IsTruncated>false</IsTruncated>{parts}</ListPartsResult>")
        return 200, {}, xml.encode()

    def _list_uploads(self, bucket: str) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            uploads = [(uid, u) for uid, u in self.uploads.items() if u.bucket == bucket]
        items = "".join(f"<Upload><Key>{escape(u.key)}</Key><UploadId>{uid}</UploadId>"
                        f"<Initiated>{_iso(u.started)}</Initiated></Upload>"
                        for uid, u in uploads)
        xml = (f"{_XML}<ListMultipartUploadsResult{_NS}><Bucket>{escape(bucket)}</Bucket>"
               f"<IsTruncated>false</IsTruncated>{items}</ListMultipartUploadsResult>")
        return 200, {}, xml.encode()

    def _list(self, bucket: str, objects: dict[str, _Object],
              query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        prefix = query.get("prefix", "")
        with self._lock:
            items = sorted((k, o) for k, o in objects.items() if k.startswith(prefix))
        contents = "".join(f"<Contents><Key>{escape(k)}</Key><ETag>{escape(o.etag)}</ETag>"
                           f"<Size>{o.size}</Size>"
                           f"<LastModified>{_iso(o.modified)}</LastModified></Contents>"
                           for k, o in items)
        xml = (f"{_XML}<ListBucketResult{_NS}><Name>{escape(bucket)}</Name>"
               f"<Prefix>{escape(prefix)}</Prefix><KeyCount>{len(items)}</KeyCount>"
               f"<IsTruncated>false</IsTruncated>{contents}</ListBucketResult>")
        return 200, {}, xml.encode()


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tls-dir", help="serve HTTPS with a trustme CA written here")
    parser.add_argument("--bucket", action="append", default=[], help="create this bucket")
    parser.add_argument("--checksums", action="store_true",
                        help="return stored checksums on whole-object GETs (as S3)")
    args = parser.parse_args()
    context = None
    if args.tls_dir:
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        ca_path = f"{args.tls_dir}/fast-s3-ca.pem"
        ca.cert_pem.write_to_path(ca_path)
    server = FastS3Server(context, checksums=args.checksums).start()
    for name in args.bucket:
        server.create_bucket(name)
    print(f"PORT {server.url.rsplit(':', 1)[1]}", flush=True)
    if args.tls_dir:
        print(f"CA {ca_path}", flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin
    server.stop(timeout=1.0)


if __name__ == "__main__":
    _main()
