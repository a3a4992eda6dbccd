"""A small, scriptable HTTP/1.1 server on raw sockets for tests: the fault server.

Why raw sockets and not ``http.server``: fault tests need byte-level control over what goes
on the wire and when the connection dies (RST before or during a response, a body shorter
than its Content-Length, a stall after the headers), and exact connection accounting.

Typical use (through the ``local_server`` fixture)::

    server.script(throttle_xml(retry_after=1), throttle_xml(retry_after=1), ok(b"done"))
    ... client calls server.url ...
    assert len(server.requests) == 3
    assert server.connections.accepted == 1

Response resolution order for each request: the scripted queue (first matching entry), then
routes, then the default. A random fault mix, when enabled, applies to routed/default
responses only; scripted responses are always sent as written.
"""

from __future__ import annotations

import contextlib
import random
import select
import socket
import ssl
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus

from tests.servers.responses import (
    DEFAULT_FAULT_MIX,
    RecordedRequest,
    Response,
    ResponseLike,
)

__all__ = ["ConnectionStats", "LocalServer"]

_MAX_HEADER_BYTES = 64 * 1024
_MAX_BODY_BYTES = 64 * 1024 * 1024
_RECV_SIZE = 65536


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class ConnectionStats:
    """A consistent snapshot of connection counters.

    Attributes:
        accepted: Connections accepted since start (or the last ``reset()``).
        open: Connections currently open.
        peak: Highest number of simultaneously open connections.
        live_peak: Highest number of simultaneously open connections that the client had not
            closed yet, counted at each accept (``peak`` also counts sockets the client already
            closed but whose server thread has not seen the EOF yet).
        requests_per_connection: Connection id -> number of requests read on it.
    """

    accepted: int
    open: int
    peak: int
    requests_per_connection: Mapping[int, int]
    live_peak: int = 0


# --------------------------------------------------------------------------- server


class _Closed(Exception):
    """The peer closed the connection (or shutdown is in progress)."""


class _Reader:
    """Buffered reads from a socket without ``makefile`` (whose refs delay a real close)."""

    __slots__ = ("_buf", "_sock")

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buf = bytearray()

    def _fill(self) -> None:
        try:
            chunk = self._sock.recv(_RECV_SIZE)
        except (OSError, ValueError) as exc:
            raise _Closed from exc
        if not chunk:
            raise _Closed
        self._buf += chunk

    def read_until(self, sep: bytes, limit: int) -> bytes:
        start = 0
        while True:
            pos = self._buf.find(sep, start)
            if pos >= 0:
                end = pos + len(sep)
                data = bytes(self._buf[:end])
                del self._buf[:end]
                return data
            if len(self._buf) > limit:
                raise _Closed
            start = max(0, len(self._buf) - len(sep) + 1)
            self._fill()

    def read_exact(self, n: int) -> bytes:
        while len(self._buf) < n:
            self._fill()
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data


class _Conn:
    __slots__ = ("id", "sock", "thread")

    def __init__(self, conn_id: int, sock: socket.socket) -> None:
        self.id = conn_id
        self.sock = sock
        self.thread: threading.Thread | None = None


class LocalServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 with recorded requests and scripted faults.

    Args:
        ssl_context: Serve HTTPS with this server-side context.
        default: The default response or handler (empty 200 if None).
        max_stall: Upper bound in seconds for any scripted delay.
        max_requests: Request budget; later requests get a 500 "budget exhausted" and close,
            so a runaway retry loop fails instead of spinning.
        idle_timeout: Server-side timeout for a connection waiting for a request.

    Use as a context manager or call ``start()`` / ``stop()``.
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        default: ResponseLike | None = None,
        max_stall: float = 10.0,
        max_requests: int = 100_000,
        idle_timeout: float = 30.0,
    ) -> None:
        self._ssl = ssl_context
        self._max_stall = max_stall
        self._max_requests = max_requests
        self._idle_timeout = idle_timeout
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._conns: dict[int, _Conn] = {}
        self._cond = threading.Condition(self._lock)
        self._all_threads: list[threading.Thread] = []
        self.host = "127.0.0.1"
        self.port = 0
        self._initial_default = default
        self._clear()

    # -- lifecycle ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:41234`` (no trailing slash)."""
        scheme = "https" if self._ssl else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def start(self) -> LocalServer:
        """Binds 127.0.0.1:0 and starts accepting; returns self."""
        listener = socket.create_server((self.host, 0), backlog=128)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"local-server-{self.port}", daemon=True
        )
        self._accept_thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Closes the listener and every open connection, and joins threads (bounded)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        deadline = time.monotonic() + timeout
        if self._listener is not None:
            # shutdown() wakes a blocked accept() on Linux; close() alone may not.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        with self._lock:
            conns = list(self._conns.values())
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)
        threads = ([self._accept_thread] if self._accept_thread else []) + self._all_threads
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.sock.close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def alive_threads(self) -> int:
        """Server threads still running (0 after a clean ``stop()``)."""
        threads = ([self._accept_thread] if self._accept_thread else []) + self._all_threads
        return sum(t.is_alive() for t in threads)

    # -- scripting --------------------------------------------------------------------

    def _clear(self) -> None:
        self._requests: list[RecordedRequest] = []
        self._script: deque[tuple[str | None, str | None, ResponseLike]] = deque()
        self._routes: list[tuple[str, str | None, bool, ResponseLike]] = []
        self._default: ResponseLike = self._initial_default or Response()
        self._mix: tuple[float, random.Random, list[tuple[str, Callable[..., Response]]]] | None
        self._mix = None
        self.faults_injected: Counter[str] = Counter()
        self._accepted = 0
        self._peak = len(self._conns)
        self._live_peak = 0
        self._per_conn: dict[int, int] = {cid: 0 for cid in self._conns}

    def reset(self) -> None:
        """Forgets requests, scripts, routes, the fault mix and counters (keeps connections)."""
        with self._lock:
            self._clear()

    def set_default(self, response: ResponseLike) -> None:
        """Sets the response (or handler) used when nothing scripted or routed matches."""
        with self._lock:
            self._default = response

    def script(
        self, *responses: ResponseLike, path: str | None = None, method: str | None = None
    ) -> None:
        """Queues one-shot responses, consumed in order by matching requests.

        Args:
            *responses: Responses or handlers, each used for exactly one request.
            path: Only requests with exactly this path consume these entries.
            method: Only requests with this method consume these entries.
        """
        with self._lock:
            for response in responses:
                self._script.append((path, method.upper() if method else None, response))

    def route(
        self,
        path: str,
        response: ResponseLike,
        *,
        method: str | None = None,
        prefix: bool = False,
    ) -> None:
        """Answers every request to ``path`` (or paths starting with it) with ``response``.

        Later routes take precedence over earlier ones.
        """
        with self._lock:
            self._routes.insert(0, (path, method.upper() if method else None, prefix, response))

    def fault_mix(
        self,
        probability: float,
        *,
        seed: int = 0,
        kinds: Sequence[str] | Mapping[str, Callable[[Response], Response]] | None = None,
    ) -> None:
        """Turns each routed/default response into a random fault with ``probability``.

        Args:
            probability: 0..1 chance per request.
            seed: Seed of the server's own RNG (the sequence of choices is deterministic;
                which request gets which choice depends on arrival order).
            kinds: Names from ``DEFAULT_FAULT_MIX`` or a mapping name -> transform of the
                normal response. ``faults_injected`` counts each kind actually used.
        """
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"fault_mix: probability must be in [0, 1], got {probability}")
        if kinds is None:
            table = dict(DEFAULT_FAULT_MIX)
        elif isinstance(kinds, Mapping):
            table = dict(kinds)
        else:
            unknown = [k for k in kinds if k not in DEFAULT_FAULT_MIX]
            if unknown:
                raise ValueError(f"fault_mix: unknown kinds {unknown}")
            table = {k: DEFAULT_FAULT_MIX[k] for k in kinds}
        with self._lock:
            self._mix = (probability, random.Random(seed), sorted(table.items()))

    # -- observations -----------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the requests received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def connections(self) -> ConnectionStats:
        """Connection counters (a consistent snapshot)."""
        with self._lock:
            return ConnectionStats(
                accepted=self._accepted,
                open=len(self._conns),
                peak=self._peak,
                live_peak=self._live_peak,
                requests_per_connection=dict(self._per_conn),
            )

    def wait_for_requests(self, n: int, timeout: float = 5.0) -> bool:
        """Blocks until at least ``n`` requests arrived; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._requests) >= n, timeout)

    def wait_for_idle(self, timeout: float = 5.0) -> bool:
        """Blocks until no connection is open; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._conns, timeout)

    # -- internals ----------------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None
        next_id = 0
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            if self._stopping.is_set():
                sock.close()
                return
            next_id += 1
            conn = _Conn(next_id, sock)
            with self._lock:
                self._conns[conn.id] = conn
                self._accepted += 1
                self._per_conn[conn.id] = 0
                self._peak = max(self._peak, len(self._conns))
                self._live_peak = max(self._live_peak, _live(self._conns.values()))
            thread = threading.Thread(
                target=self._serve_conn, args=(conn,), name=f"local-conn-{conn.id}", daemon=True
            )
            conn.thread = thread
            self._all_threads.append(thread)
            # Drop finished threads so a long load test does not grow the list forever.
            if len(self._all_threads) > 256:
                self._all_threads = [t for t in self._all_threads if t.is_alive()]
            thread.start()

    def _serve_conn(self, conn: _Conn) -> None:
        sock = conn.sock
        try:
            sock.settimeout(self._idle_timeout)
            if self._ssl is not None:
                sock = self._ssl.wrap_socket(sock, server_side=True)
                conn.sock = sock
            reader = _Reader(sock)
            index = 0
            while not self._stopping.is_set():
                request = self._read_request(reader, sock, conn.id, index)
                index += 1
                response, over_budget = self._choose(request)
                keep_open = self._respond(sock, request, response)
                if over_budget or not keep_open:
                    break
        except (_Closed, OSError, ssl.SSLError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            with self._cond:
                self._conns.pop(conn.id, None)
                self._cond.notify_all()

    def _read_request(
        self, reader: _Reader, sock: socket.socket, conn_id: int, index: int
    ) -> RecordedRequest:
        head = reader.read_until(b"\r\n\r\n", _MAX_HEADER_BYTES)
        lines = head[:-4].decode("latin-1").split("\r\n")
        while lines and not lines[0]:  # tolerate stray CRLFs between requests
            lines.pop(0)
        method, target, version = lines[0].split(" ", 2)
        headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        lower = {k.lower(): v for k, v in headers}
        if lower.get("expect", "").lower() == "100-continue":
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in lower.get("transfer-encoding", "").lower():
            body = self._read_chunked(reader)
        else:
            length = int(lower.get("content-length", "0") or 0)
            if length > _MAX_BODY_BYTES:
                raise _Closed
            body = reader.read_exact(length) if length else b""
        path, _, query = target.partition("?")
        request = RecordedRequest(
            method, target, path, query, tuple(headers), body, conn_id, index, version
        )
        with self._cond:
            self._requests.append(request)
            self._per_conn[conn_id] = self._per_conn.get(conn_id, 0) + 1
            self._cond.notify_all()
        return request

    @staticmethod
    def _read_chunked(reader: _Reader) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size_line = reader.read_until(b"\r\n", 1024)
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                # Trailers (possibly none) end with an empty line.
                while reader.read_until(b"\r\n", _MAX_HEADER_BYTES) != b"\r\n":
                    pass
                return b"".join(parts)
            total += size
            if total > _MAX_BODY_BYTES:
                raise _Closed
            parts.append(reader.read_exact(size))
            reader.read_exact(2)

    def _choose(self, request: RecordedRequest) -> tuple[Response, bool]:
        with self._lock:
            if len(self._requests) > self._max_requests:
                body = b"local server: request budget exhausted"
                return Response(500, body, close=True), True
            chosen: ResponseLike | None = None
            for i, (path, method, response) in enumerate(self._script):
                if (path is None or path == request.path) and (
                    method is None or method == request.method
                ):
                    del self._script[i]
                    chosen = response
                    break
            scripted = chosen is not None
            if chosen is None:
                for path, method, prefix, response in self._routes:
                    hit = request.path.startswith(path) if prefix else request.path == path
                    if hit and (method is None or method == request.method):
                        chosen = response
                        break
            if chosen is None:
                chosen = self._default
            mix = None if scripted else self._mix
            fault_name: str | None = None
            if mix is not None and mix[1].random() < mix[0]:
                fault_name, transform = mix[1].choice(mix[2])
                self.faults_injected[fault_name] += 1
        # Handlers run outside the lock: they may be slow or inspect the server.
        response = chosen(request) if callable(chosen) else chosen
        if fault_name is not None:
            response = transform(response)
        return response, False

    def _sleep(self, seconds: float) -> bool:
        """Interruptible, bounded sleep; False when the server is stopping."""
        if seconds <= 0:
            return not self._stopping.is_set()
        return not self._stopping.wait(min(seconds, self._max_stall))

    def _respond(self, sock: socket.socket, request: RecordedRequest, resp: Response) -> bool:
        """Writes ``resp``; returns whether the connection stays open."""
        if not self._sleep(resp.delay):
            return False
        if resp.fault == "reset":
            _rst(sock)
            return False
        client_close = request.header("connection", "").lower() == "close" or (
            request.http_version == "HTTP/1.0"
            and request.header("connection", "").lower() != "keep-alive"
        )
        close = resp.close or client_close or resp.fault == "truncate"
        names = {k.lower() for k, _ in resp.headers}
        try:
            reason = HTTPStatus(resp.status).phrase
        except ValueError:
            reason = "Unknown"
        lines = [f"HTTP/1.1 {resp.status} {reason}"]
        lines += [f"{k}: {v}" for k, v in resp.headers]
        if "content-length" not in names and "transfer-encoding" not in names:
            lines.append(f"Content-Length: {len(resp.body)}")
        if resp.close and "connection" not in names:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        body = b"" if request.method == "HEAD" else resp.body
        if resp.fault == "reset_mid_body":
            sock.sendall(head + body[: len(body) // 2])
            time.sleep(0.01)  # let the partial data leave before the RST
            _rst(sock)
            return False
        if resp.fault == "truncate":
            sent = len(body) // 2 if resp.truncate_to is None else resp.truncate_to
            sock.sendall(head + body[:sent])
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)
            return False
        if resp.body_delay > 0:
            sock.sendall(head)
            if not self._sleep(resp.body_delay):
                return False
            sock.sendall(body)
        else:
            sock.sendall(head + body)
        return not (close or resp.fault == "close_silently")


def _live(conns: Iterable[_Conn]) -> int:
    """How many of ``conns`` the peer has not closed yet. Never blocks, never reads.

    Linux's ``POLLRDHUP`` says the peer closed (or shut down writing); elsewhere every open
    connection counts.
    """
    closed_flag = getattr(select, "POLLRDHUP", 0) | select.POLLHUP | select.POLLERR
    live = 0
    for conn in conns:
        try:
            poller = select.poll()
            poller.register(conn.sock, closed_flag)
            if not poller.poll(0):
                live += 1
        except (OSError, ValueError):
            pass
    return live


def _rst(sock: socket.socket) -> None:
    """Closes with SO_LINGER 0 so the kernel sends RST instead of FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()
