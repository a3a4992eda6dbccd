"""Bounded resources (issue 9 §6): buffered bodies stop at ``max_response_bytes`` (also chunked
floods, read in steps), and ``call_timeout`` bounds a whole call, retries, backoff, a byte
trickle and endless ``100 Continue`` included, with typed errors."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator

import pytest

from hub import Config
from hub.errors import CallTimeoutError, ClientError, ResponseTooLargeError
from tests._threads import join_all
from tests.reliability._support import PING, STREAM, checked_out, make_session, settle
from tests.servers import recv_request
from tests.servers.local import LocalServer
from tests.servers.responses import Response, ok, service_unavailable, stall

LIMIT = 100_000


def test_declared_body_over_the_limit_is_refused_unread(local_server: LocalServer) -> None:
    session = make_session(local_server, max_response_bytes=LIMIT)
    local_server.set_default(ok(b"a" * (LIMIT + 1)))
    with pytest.raises(ResponseTooLargeError) as caught:
        session.client("dynamodb").new_request(PING).send()
    assert caught.value.field == "max_response_bytes" and caught.value.limit == LIMIT
    assert caught.value.attempts == 1  # not retried: the same request gets the same body
    assert str(LIMIT) in str(caught.value)
    local_server.set_default(ok(b"a" * LIMIT))  # exactly the limit is fine
    assert session.client("dynamodb").new_request(PING).send()["Body"] == b"a" * LIMIT
    assert checked_out(session) == 0


def test_chunked_flood_stops_at_the_limit_in_bounded_memory() -> None:
    with raw_server(chunked_flood) as url:
        session = make_session_at(url, max_response_bytes=LIMIT, max_attempts=1)
        request = session.client("dynamodb").new_request(PING)  # type: ignore[attr-defined]
        request.build()  # first-use imports and models are not the body's memory
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError) as caught:
                request.send()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert "more than" in str(caught.value)
        # An endless flood, refused after LIMIT bytes: memory stays near the limit (measured:
        # 0.2-0.4 MB; before: it grew until the process died).
        assert peak < 10 * LIMIT, f"peak {peak} bytes with max_response_bytes={LIMIT}"
        assert checked_out(session) == 0


def test_error_bodies_are_capped_too(local_server: LocalServer) -> None:
    session = make_session(local_server, max_response_bytes=LIMIT, max_attempts=1)
    local_server.set_default(Response(500, b"e" * (LIMIT * 3)))
    with pytest.raises(ResponseTooLargeError):
        session.client("s3").list_buckets()


def test_streamed_bodies_are_not_capped(local_server: LocalServer) -> None:
    session = make_session(local_server, max_response_bytes=1000)
    local_server.set_default(ok(b"s" * 50_000))
    body = session.client("s3").get_object(Bucket="b", Key="k")["Body"]
    assert body.read() == b"s" * 50_000


def test_the_default_limit_is_64_mib() -> None:
    from hub._settings import BUILTIN

    assert BUILTIN.max_response_bytes == 64 * 1024 * 1024


# --------------------------------------------------------------------------- call_timeout


@contextlib.contextmanager
def raw_server(respond: Callable[[socket.socket, threading.Event], None]) -> Iterator[str]:
    """A one-behaviour server: reads a request head, then runs ``respond`` until stopped."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def serve(conn: socket.socket) -> None:
        with conn:
            if recv_request(conn, body=False) is None:
                return
            with contextlib.suppress(OSError):
                respond(conn, stop)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            thread = threading.Thread(target=serve, args=(conn,), daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        join_all([acceptor, *threads], 10)
        listener.close()


def trickle_body(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    while not stop.wait(0.02):
        conn.sendall(b"t")  # one byte well within read_timeout, for ever


def trickle_headers(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    while not stop.wait(0.02):
        conn.sendall(b"X-Slow: 1\r\n")


def chunked_flood(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    piece = b"2000\r\n" + b"c" * 0x2000 + b"\r\n"
    while not stop.is_set():
        conn.sendall(piece)  # for ever (until the client hangs up)


def endless_continue(conn: socket.socket, stop: threading.Event) -> None:
    while not stop.wait(0.02):
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")


@pytest.mark.parametrize("respond", [trickle_body, trickle_headers, endless_continue],
                         ids=["body-trickle", "header-trickle", "endless-100-continue"])
def test_call_timeout_ends_what_read_timeout_never_does(
        respond: Callable[[socket.socket, threading.Event], None]) -> None:
    with raw_server(respond) as url:
        session = make_session_at(url, call_timeout=0.5, read_timeout=5.0, max_attempts=1)
        started = time.monotonic()
        with pytest.raises(CallTimeoutError) as caught:
            session.client("dynamodb").new_request(PING).send()
        elapsed = time.monotonic() - started
        assert isinstance(caught.value, TimeoutError)
        assert caught.value.field == "call_timeout" and caught.value.timeout == 0.5
        # It ends at the deadline, not at some later read_timeout (a lower bound only; the
        # whole exchange would otherwise last for ever).
        assert elapsed >= 0.5
        assert checked_out(session) == 0


def make_session_at(url: str, **settings: object) -> object:
    from hub import Session
    from tests.reliability._support import CREDENTIALS

    return Session(Config(region="us-east-1", endpoint_url=url, credentials=CREDENTIALS,
                          **settings))  # type: ignore[arg-type]


def test_call_timeout_bounds_retries_and_backoff(local_server: LocalServer) -> None:
    session = make_session(local_server, call_timeout=0.6, max_attempts=10)
    local_server.set_default(service_unavailable(retry_after=30))
    with pytest.raises(CallTimeoutError) as caught:
        session.client("s3").list_buckets()
    assert caught.value.retry_reason == "not_retryable"  # a spent budget is not retried
    assert 1 <= len(local_server.requests) < 10
    assert checked_out(session) == 0


def test_call_timeout_covers_a_stall_before_the_response(local_server: LocalServer) -> None:
    session = make_session(local_server, call_timeout=0.3, read_timeout=5.0)
    local_server.script(stall(2.0, ok(b"late")))
    with pytest.raises(CallTimeoutError):
        session.client("dynamodb").new_request(PING).send()
    assert len(local_server.requests) == 1


def test_a_returned_stream_is_not_bound_by_call_timeout(local_server: LocalServer) -> None:
    session = make_session(local_server, call_timeout=0.3)
    local_server.set_default(ok(b"r" * 1000))
    body = session.client("s3").get_object(Bucket="b", Key="k")["Body"]
    time.sleep(0.4)  # past the call's deadline: reading is the caller's business now
    assert body.read() == b"r" * 1000


def test_calls_within_call_timeout_are_unaffected(local_server: LocalServer) -> None:
    session = make_session(local_server, call_timeout=30.0)
    local_server.set_default(ok(b"fine"))
    client = session.client("dynamodb")
    for _ in range(20):
        assert client.new_request(PING).send()["Body"] == b"fine"
    assert local_server.connections.accepted == 1
    local_server.set_default(Response(404, b"nope"))
    with pytest.raises(ClientError):
        client.new_request(STREAM).send()
    assert settle(lambda: checked_out(session) == 0)
