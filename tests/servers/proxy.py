"""A real forward proxy on 127.0.0.1: absolute-URI forwarding and CONNECT tunnels.

``ForwardProxy().start()`` listens on a free port; ``.url`` is ``http://127.0.0.1:PORT`` (or
``https://`` when built with an ``ssl_context``). It records each request line it was asked
(``.seen``: ``("GET", "http://127.0.0.1:1234/x")`` or ``("CONNECT", "127.0.0.1:4321")``) and
forwards it to the target, which must be on loopback: it refuses any other host (the tests never
leave the machine). One request per client connection; responses are relayed with
``Connection: close``.
"""

from __future__ import annotations

import select
import socket
import socketserver
import ssl
import threading
from urllib.parse import urlsplit

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: ForwardProxy


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        owner = self.server.owner  # type: ignore[attr-defined]
        sock: socket.socket = self.request
        sock.settimeout(10)
        if owner.ssl_context is not None:
            try:
                sock = owner.ssl_context.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                owner.tls_failures.append(type(exc).__name__)
                return
        reader = sock.makefile("rb")
        line = reader.readline(65536).decode("latin-1").rstrip("\r\n")
        if not line:
            return
        method, target, _ = line.split(" ", 2)
        headers: list[tuple[str, str]] = []
        while True:
            raw = reader.readline(65536).decode("latin-1").rstrip("\r\n")
            if not raw:
                break
            name, _, value = raw.partition(":")
            headers.append((name.strip(), value.strip()))
        owner.record(method, target, headers)
        if method == "CONNECT":
            self._tunnel(sock, reader, target)
        else:
            self._forward(sock, reader, method, target, headers)

    @staticmethod
    def _open(host: str, port: int) -> socket.socket:
        if host not in _LOOPBACK:
            raise OSError(f"refusing to connect beyond loopback: {host}")
        return socket.create_connection((host, port), timeout=10)

    def _tunnel(self, sock: socket.socket, reader: object, target: str) -> None:
        host, _, port = target.rpartition(":")
        upstream = self._open(host.strip("[]"), int(port))
        sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        _pipe(sock, upstream)

    def _forward(self, sock: socket.socket, reader: object, method: str, target: str,
                 headers: list[tuple[str, str]]) -> None:
        parts = urlsplit(target)
        https = parts.scheme == "https"
        upstream = self._open(parts.hostname or "", parts.port or (443 if https else 80))
        if https:  # forwarding for HTTPS (urllib3's use_forwarding_for_https): TLS upstream
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            upstream = context.wrap_socket(upstream, server_hostname=parts.hostname)
        length = 0
        out = [f"{method} {parts.path or '/'}{'?' + parts.query if parts.query else ''} "
               "HTTP/1.1"]
        for name, value in headers:
            lowered = name.lower()
            if lowered.startswith("proxy-") or lowered == "connection":
                continue
            if lowered == "content-length":
                length = int(value)
            out.append(f"{name}: {value}")
        out.append("Connection: close")
        upstream.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
        if length:
            upstream.sendall(reader.read(length))  # type: ignore[attr-defined]
        # Relay the response, with the client told that this connection then closes.
        response = upstream.makefile("rb")
        status = response.readline(65536)
        sock.sendall(status)
        while True:
            raw = response.readline(65536)
            if raw in (b"\r\n", b"\n", b""):
                break
            if not raw.lower().startswith(b"connection:"):
                sock.sendall(raw)
        sock.sendall(b"Connection: close\r\n\r\n")
        while chunk := response.read1(65536):
            sock.sendall(chunk)
        upstream.close()


def _pipe(a: socket.socket, b: socket.socket) -> None:
    sockets = [a, b]
    try:
        while True:
            readable, _, _ = select.select(sockets, [], [], 10)
            if not readable:
                return
            for src in readable:
                data = src.recv(65536)
                if not data:
                    return
                (b if src is a else a).sendall(data)
    except OSError:
        return
    finally:
        b.close()


class ForwardProxy:
    """A recording HTTP forward proxy with CONNECT support, bound to 127.0.0.1.

    Args:
        ssl_context: When given, clients talk TLS to the proxy itself (an ``https://`` proxy).

    Attributes:
        seen: ``(method, target)`` of every request the proxy received, in order.
        headers: The header list of each request in ``seen``.
        tls_failures: TLS handshakes with clients that failed (exception names).
    """

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context
        self.seen: list[tuple[str, str]] = []
        self.headers: list[list[tuple[str, str]]] = []
        self.tls_failures: list[str] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https://`` for a TLS proxy)."""
        assert self._server is not None
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def record(self, method: str, target: str, headers: list[tuple[str, str]]) -> None:
        """Note one request (called by the handler threads)."""
        with self._lock:
            self.seen.append((method, target))
            self.headers.append(headers)

    def start(self) -> ForwardProxy:
        """Listen and serve in a daemon thread; returns self."""
        server = _Server(("127.0.0.1", 0), _Handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="forward-proxy",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket (bounded wait)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
