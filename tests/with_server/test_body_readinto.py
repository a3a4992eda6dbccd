"""Bodies read with ``readinto`` go straight from the socket into the caller's buffer
(``hub._transport._DirectReader``): checked byte for byte over http and https against real
local servers, with the head's leftover bytes, mixed reads, short bodies, resets, a server
that trickles, stalls, response checksums and managed downloads whose bodies break midway.
"""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import hub
from hub.errors import (
    ConnectionClosedError,
    FlexibleChecksumError,
    HTTPClientError,
    ReadTimeoutError,
)
from hub.transfer import MB, TransferConfig
from tests.servers import recv_request
from tests.servers.fast_s3 import FastS3Server
from tests.servers.local import LocalServer
from tests.servers.responses import ok, reset_mid_body, truncated

BUCKET = "bkt"


def _client(url: str, ca: str | None = None, **config: Any) -> Any:
    return hub.Session(hub.Config(region="us-east-1", endpoint_url=url,
                                  credentials=hub.Credentials("testing", "testing"),
                                  verify=ca, **config)).client("s3")


def _data(size: int) -> bytes:
    return os.urandom(size)


def _server_and_ca(request: pytest.FixtureRequest, tls: bool) -> tuple[LocalServer, str | None]:
    if tls:
        server = request.getfixturevalue("https_server")
        return server, server.ca_bundle
    return request.getfixturevalue("local_server"), None


def _read_all_into(body: Any, size: int) -> bytes:
    buf = bytearray(size)
    out = bytearray()
    while True:
        n = body.readinto(buf)
        if not n:
            return bytes(out)
        out += buf[:n]


def _direct(body: Any) -> Any:
    """The transport body's socket reader (None: not set up yet; False: not used)."""
    raw = body._raw
    return getattr(raw, "_direct", None) if raw is not None else "done"


# --------------------------------------------------------------------------- byte for byte


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("size", [0, 1, 8191, 8192, 100_003, 3 * MB + 5])
@pytest.mark.parametrize("chunk", [1000, 64 * 1024, 1 * MB])
def test_readinto_round_trips_and_reuses_the_connection(
        tls: bool, size: int, chunk: int, request: pytest.FixtureRequest) -> None:
    server, ca = _server_and_ca(request, tls)
    data = _data(size)
    server.set_default(ok(data))  # head and body leave in one send: the head's read holds body
    s3 = _client(server.url, ca)
    for _ in range(2):
        body = s3.get_object(Bucket=BUCKET, Key="k")["Body"]
        raw = body._raw  # kept alive: the end of the body, not garbage collection, must close
        http_client_response = raw._u3._fp
        assert _read_all_into(body, chunk) == data
        assert body.readinto(bytearray(10)) == 0
        assert http_client_response.isclosed()  # ended as http.client ends a body (file closed)
        assert raw.done and raw._direct is None
    assert server.connections.accepted == 1  # read to its end: back to the pool, in sync


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_the_socket_reader_is_the_one_used(tls: bool, request: pytest.FixtureRequest) -> None:
    server, ca = _server_and_ca(request, tls)
    data = _data(300_000)
    server.set_default(ok(data))
    body = _client(server.url, ca).get_object(Bucket=BUCKET, Key="k")["Body"]
    buf = bytearray(100_000)
    assert body.readinto(buf) == 100_000 and bytes(buf) == data[:100_000]
    assert type(_direct(body)).__name__ == "_DirectReader"
    assert _read_all_into(body, 100_000) == data[100_000:]


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_mixed_read_readline_and_readinto(tls: bool, request: pytest.FixtureRequest) -> None:
    server, ca = _server_and_ca(request, tls)
    data = b"first line\nsecond\n" + _data(200_000) + b"\nlast"
    server.set_default(ok(data))
    s3 = _client(server.url, ca)
    body = s3.get_object(Bucket=BUCKET, Key="k")["Body"]
    got = body.readline() + body.read(5)  # buffered by readline, then http.client's reader
    buf = bytearray(70_000)
    n = body.readinto(buf)
    got += buf[:n]
    got += body.read(3)  # http.client again after the socket reader
    got += _read_all_into(body, 50_000)
    assert got == data
    body2 = s3.get_object(Bucket=BUCKET, Key="k")["Body"]
    assert body2.read() == data
    assert server.connections.accepted == 1


def test_a_small_buffer_stays_on_http_clients_reader_until_it_is_empty(
        local_server: LocalServer) -> None:
    # Reads smaller than the buffered reader's buffer take bytes from it first; the socket is
    # read directly only once it holds nothing (else bytes would come out of order).
    data = bytes(range(256)) * 400
    local_server.set_default(ok(data))
    body = _client(local_server.url).get_object(Bucket=BUCKET, Key="k")["Body"]
    assert _read_all_into(body, 10) == data


# --------------------------------------------------------------------------- broken bodies


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_short_body_raises_connection_closed(tls: bool, request: pytest.FixtureRequest
                                               ) -> None:
    server, ca = _server_and_ca(request, tls)
    data = _data(500_000)
    server.set_default(truncated(data, sent=300_000))  # Content-Length 500000, then FIN
    body = _client(server.url, ca).get_object(Bucket=BUCKET, Key="k")["Body"]
    buf = bytearray(64 * 1024)
    out = bytearray()
    with pytest.raises(ConnectionClosedError):
        while True:
            n = body.readinto(buf)
            assert n, "the end of a short body must raise, not read as the end"
            out += buf[:n]
    assert bytes(out) == data[:len(out)] and len(out) <= 300_000
    assert body.readinto(buf) == 0  # the connection is gone; nothing more comes


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_reset_mid_body_raises_a_typed_error(tls: bool, request: pytest.FixtureRequest
                                               ) -> None:
    server, ca = _server_and_ca(request, tls)
    server.set_default(reset_mid_body(_data(2 * MB)))
    s3 = _client(server.url, ca)
    body = s3.get_object(Bucket=BUCKET, Key="k")["Body"]
    with pytest.raises(HTTPClientError) as caught:
        _read_all_into(body, 256 * 1024)
    if not tls:
        assert isinstance(caught.value, ConnectionClosedError)
    server.set_default(ok(b"fine"))
    assert s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"fine"  # a new connection
    assert server.connections.accepted == 2


# --------------------------------------------------------------------------- a trickling server


class _TrickleServer:
    """Answers every request with ``pieces``: (delay before, bytes) sent one by one."""

    def __init__(self, pieces: Sequence[tuple[float, bytes]],
                 context: ssl.SSLContext | None = None) -> None:
        self.pieces = pieces
        self._context = context
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)

    @property
    def url(self) -> str:
        scheme = "https" if self._context else "http"
        return f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._conns.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, raw: socket.socket) -> None:
        sock: Any = raw
        with contextlib.suppress(OSError, ssl.SSLError):
            if self._context is not None:
                sock = self._context.wrap_socket(raw, server_side=True)
            if recv_request(sock, body=False) is None:
                return
            for delay, piece in self.pieces:
                if self._stop.wait(delay):
                    return
                sock.sendall(piece)
            self._stop.wait(10)  # hold the connection open (a stall) until stopped

    def stop(self) -> None:
        self._stop.set()
        # close() alone does not wake a thread blocked in accept(); shutdown() does (Linux).
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._listener.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()
        for thread in self._threads:
            thread.join(5)


@pytest.fixture
def trickle(_tls_material: tuple[str, str, str]) -> Iterator[Any]:
    """Start trickle servers: ``trickle(pieces, tls)`` -> (server, ca or None)."""
    servers: list[_TrickleServer] = []
    ca_bundle, chain, key = _tls_material

    def start(pieces: Sequence[tuple[float, bytes]], tls: bool) -> tuple[_TrickleServer,
                                                                          str | None]:
        context = None
        if tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(chain, key)
        server = _TrickleServer(pieces, context)
        servers.append(server)
        return server, ca_bundle if tls else None

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


def _head(length: int) -> bytes:
    return (f"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nETag: \"e\"\r\n\r\n"
            ).encode("ascii")


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_trickling_body_arrives_whole(tls: bool, trickle: Any) -> None:
    data = _data(60_000)
    pieces = [(0.0, _head(len(data)))]
    pieces += [(0.001 if i % 10 == 0 else 0.0, data[i:i + 997])
               for i in range(0, len(data), 997)]
    server, ca = trickle(pieces, tls)
    body = _client(server.url, ca).get_object(Bucket=BUCKET, Key="k")["Body"]
    buf = bytearray(32 * 1024)
    n = body.readinto(buf)
    assert n == len(buf)  # filled in full: a readinto waits for the rest, as read(n) does
    assert bytes(buf) + _read_all_into(body, 32 * 1024) == data


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_body_that_stalls_midway_times_out(tls: bool, trickle: Any) -> None:
    data = _data(200_000)
    server, ca = trickle([(0.0, _head(len(data)) + data[:100_000])], tls)  # then silence
    s3 = _client(server.url, ca, read_timeout=0.5, retry_mode="standard", max_attempts=1)
    body = s3.get_object(Bucket=BUCKET, Key="k")["Body"]
    buf = bytearray(64 * 1024)
    assert body.readinto(buf) == len(buf)  # the first 64 KiB come; the rest never does
    assert type(_direct(body)).__name__ == "_DirectReader"
    with pytest.raises(ReadTimeoutError):
        body.readinto(buf)


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_body_streamed_from_a_call_with_call_timeout(tls: bool, trickle: Any) -> None:
    # The call's deadline ends when it returns the stream (the socket keeps its read
    # timeout), so the body is read from the socket directly, like any other.
    data = _data(150_000)
    server, ca = trickle([(0.0, _head(len(data)) + data[:1000]), (0.05, data[1000:])], tls)
    s3 = _client(server.url, ca, call_timeout=5)
    body = s3.get_object(Bucket=BUCKET, Key="k")["Body"]
    buf = bytearray(16 * 1024)
    assert body.readinto(buf) == len(buf)
    assert type(_direct(body)).__name__ == "_DirectReader"
    assert bytes(buf) + _read_all_into(body, 16 * 1024) == data


# --------------------------------------------------------------------------- checksums


def _crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_readinto_validates_the_response_checksum(tls: bool, request: pytest.FixtureRequest
                                                  ) -> None:
    server, ca = _server_and_ca(request, tls)
    data = _data(700_000)
    s3 = _client(server.url, ca)
    server.set_default(ok(data, headers=[("x-amz-checksum-crc32", _crc32(data))]))
    response = s3.get_object(Bucket=BUCKET, Key="k")
    assert _read_all_into(response["Body"], 100_000) == data
    assert response["ResponseMetadata"]["ChecksumAlgorithm"] == "crc32"
    server.set_default(ok(data, headers=[("x-amz-checksum-crc32", _crc32(data + b"x"))]))
    body = s3.get_object(Bucket=BUCKET, Key="k")["Body"]
    with pytest.raises(FlexibleChecksumError):
        _read_all_into(body, 100_000)


# --------------------------------------------------------------------------- managed downloads


@pytest.fixture
def fast_both(_tls_material: tuple[str, str, str]) -> Iterator[dict[bool, tuple[FastS3Server,
                                                                               str | None]]]:
    ca_bundle, chain, key = _tls_material
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain, key)
    plain, secure = FastS3Server().start(), FastS3Server(context).start()
    for server in (plain, secure):
        server.create_bucket(BUCKET)
    try:
        yield {False: (plain, None), True: (secure, ca_bundle)}
    finally:
        plain.stop()
        secure.stop()


SMALL = TransferConfig(multipart_threshold=2 * MB, multipart_chunksize=1 * MB,
                       max_concurrency=4, io_chunksize=100_000)


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_download_cut_midway_resumes_byte_for_byte(
        tls: bool, fast_both: dict[bool, tuple[FastS3Server, str | None]],
        tmp_path: Path) -> None:
    server, ca = fast_both[tls]
    s3 = _client(server.url, ca)
    data = _data(5 * MB + 12345)
    s3.put_object(Bucket=BUCKET, Key="obj", Body=data)
    server.fail("GetObject", count=2, truncate=300_000)  # the first two GETs break midway
    dst = tmp_path / "dst.bin"
    seen: list[int] = []
    s3.download_file(BUCKET, "obj", str(dst), Config=SMALL, Callback=seen.append)
    assert dst.read_bytes() == data
    assert sum(seen) == len(data)  # progress counts each byte once, resumed parts included
    assert sorted(os.listdir(tmp_path)) == ["dst.bin"]


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_download_fileobj_to_an_unseekable_target_keeps_its_own_copies(
        tls: bool, fast_both: dict[bool, tuple[FastS3Server, str | None]]) -> None:
    # An unseekable target gets ranges in order; ranges that arrive early wait in memory, so
    # they must be copies, not views of the reused read buffer.
    server, ca = fast_both[tls]
    s3 = _client(server.url, ca)
    data = _data(6 * MB + 777)
    s3.put_object(Bucket=BUCKET, Key="obj", Body=data)

    class Pipe:
        def __init__(self) -> None:
            self.out = bytearray()

        def write(self, chunk: Any) -> int:
            time.sleep(0.001)  # a slow consumer: later parts arrive first
            self.out += chunk
            return len(chunk)

        def seekable(self) -> bool:
            return False

    pipe = Pipe()
    s3.download_fileobj(BUCKET, "obj", pipe, Config=SMALL)
    assert bytes(pipe.out) == data
