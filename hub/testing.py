"""Test helpers: :class:`MemoryTransport`, a transport that answers from a function.

It plugs in where hub's urllib3 transport sits (``Transport.send``), so everything above the
network runs for real (validation, signing, retries, parsing, streaming bodies) without a
socket::

    from hub.testing import MemoryResponse, MemoryTransport

    def handler(request: hub.HTTPRequest) -> MemoryResponse:
        return MemoryResponse(200, {"x-amzn-RequestId": "r1"}, b'{"TableNames": []}')

    transport = MemoryTransport(handler).install(session)   # before creating clients
    session.client("dynamodb").list_tables()
    assert transport.requests[0].headers["X-Amz-Target"] == "DynamoDB_20120810.ListTables"

A handler may raise a :class:`~hub.errors.HubError` (e.g. ``ConnectionClosedError``) to act as
a network fault; retries then happen as they would on the wire.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from hub._forksafe import at_fork_reinit
from hub._request import HTTPRequest, HTTPResponse, ResponseHeaders
from hub._transport import BaseTransport, Deadline, Timeout
from hub._value import dataclass, field
from hub.errors import ConnectionClosedError, ResponseTooLargeError

if TYPE_CHECKING:
    from hub._session import Session

__all__ = ["MemoryResponse", "MemoryTransport"]


@dataclass(frozen=True, slots=True)
class MemoryResponse:
    """What a :class:`MemoryTransport` handler returns.

    Attributes:
        status: The HTTP status.
        headers: Response headers (looked up case-insensitively by hub).
        body: The body: bytes, or an iterable of byte chunks (sent as they come, like a
            chunked response).
        content_length: The declared length, when it should differ from the real one (a short
            body); None declares ``len(body)`` for bytes and nothing for chunks.
    """

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    content_length: int | None = None


class _MemoryBody:
    """An in-memory :class:`~hub._request.RawBody` with the same release-once contract."""

    __slots__ = ("_chunks", "_buffer", "_limit", "_url", "_declared", "_read", "done",
                 "releases", "discarded")

    def __init__(self, body: bytes | Iterable[bytes], declared: int | None, limit: int | None,
                 url: str) -> None:
        self._chunks = iter([body] if isinstance(body, (bytes, bytearray)) else body)
        self._buffer = b""
        self._limit = limit
        self._url = url
        self._declared = declared
        self._read = 0
        self.done = False
        self.releases = 0  # how often the "connection" was given back: never more than 1
        self.discarded = False

    def read(self, amt: int | None = None) -> bytes:
        if self.done:
            return b""
        if amt is not None and amt < 0:
            amt = None
        while amt is None or len(self._buffer) < amt:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if amt is None:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:amt], self._buffer[amt:]
        self._read += len(data)
        if not data and amt != 0 or amt is None:
            self._end()
        return data

    def _end(self) -> None:
        if self._declared is not None and self._read < self._declared:
            self.discard()
            raise ConnectionClosedError(
                f"connection was closed before a complete response from {self._url}",
                endpoint=self._url)
        self.done = True
        self.releases += 1

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

    def read_all(self) -> bytes:
        limit = self._limit
        if limit is not None and self._declared is not None and self._declared > limit:
            self.discard()
            raise ResponseTooLargeError(
                f"the response from {self._url} declares {self._declared} bytes, over "
                f"max_response_bytes={limit}", limit=limit, endpoint=self._url)
        parts: list[bytes] = []
        total = 0
        while True:
            chunk = self.read(65536)
            if not chunk:
                return b"".join(parts)
            total += len(chunk)
            if limit is not None and total > limit:
                self.discard()
                raise ResponseTooLargeError(
                    f"the response from {self._url} sent more than {limit} bytes, over "
                    f"max_response_bytes={limit}", limit=limit, endpoint=self._url)
            parts.append(chunk)

    def release(self) -> None:
        if not self.done:
            self.discard()

    def discard(self) -> None:
        if not self.done:
            self.done = True
            self.discarded = True
            self.releases += 1


class MemoryTransport(BaseTransport):
    """A transport whose responses come from ``handler(request)``; records every request.

    Args:
        handler: Called with each :class:`~hub.HTTPRequest` (its body read into bytes when it
            was a stream); returns a :class:`MemoryResponse` or raises a hub error.

    Attributes:
        requests: The requests sent so far, in order (thread-safe to read).
        bodies: The raw bodies handed out for streamed responses (to check releases).
    """

    __slots__ = ("_handler", "requests", "bodies", "_lock")

    def __init__(self, handler: Callable[[HTTPRequest], MemoryResponse]) -> None:
        self._handler = handler
        self.requests: list[HTTPRequest] = []
        self.bodies: list[_MemoryBody] = []
        self._lock = threading.Lock()
        at_fork_reinit(self, MemoryTransport._after_fork_in_child)

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()  # the rule: every lock hub owns is new in a child

    def install(self, session: Session) -> MemoryTransport:
        """Make every client resolved from ``session`` (and its copies) use this transport.

        Call it before creating clients: configs resolved earlier keep their transport.

        Returns:
            self.
        """
        session.snapshot.runtime.transports.override(self)
        return self

    def send(self, request: HTTPRequest, *, timeout: Timeout, stream: bool,
             pool_timeout: float | None = None, deadline: Deadline | None = None,
             max_response_bytes: int | None = None) -> HTTPResponse:
        """Answer ``request`` from the handler (see :meth:`hub._transport.BaseTransport.send`)."""
        if deadline is not None and deadline.remaining() <= 0:
            raise deadline.error(request.url)
        body = request.body
        if body is not None and hasattr(body, "read"):
            body = body.read()
        elif body is not None and not isinstance(body, (bytes, bytearray, memoryview)):
            body = b"".join(body)
        sent = HTTPRequest(request.method, request.url, dict(request.headers), body)
        with self._lock:
            self.requests.append(sent)
        reply = self._handler(sent)
        declared = reply.content_length
        if declared is None and isinstance(reply.body, (bytes, bytearray)):
            declared = len(reply.body)
        headers = dict(reply.headers)
        if declared is not None and not any(k.lower() == "content-length" for k in headers):
            headers["Content-Length"] = str(declared)
        raw = _MemoryBody(reply.body, declared, max_response_bytes, request.url.partition("?")[0])
        response = HTTPResponse(status=reply.status, headers=ResponseHeaders(headers), raw=raw,
                                url=request.url)
        if stream:
            with self._lock:
                self.bodies.append(raw)
        else:
            response.read_body()
        return response
