"""Connection ownership (issue 9 §2, §3): a connection goes back to its pool at most once,
never with a closed socket and never from a finalizer; ``close()`` leaves nothing open once
in-flight requests end; the per-origin connection count stays within ``max_pool_connections``
while builders run. Connections are counted on the server."""

from __future__ import annotations

import gc
import threading
from typing import Any

from hub import Config
from hub._transport import _Body
from tests._threads import join_all, run_in_threads
from tests.reliability._support import (
    PING,
    checked_out,
    fast_retries,
    make_session,
    settle,
)
from tests.servers.local import LocalServer
from tests.servers.responses import Response, ok, reset, stall

BODY = b"x" * 1000
POISON_RUNS = 40


def _collect_in_another_thread() -> None:
    thread = threading.Thread(target=gc.collect, name="gc")
    thread.start()
    join_all([thread])


def test_retried_unread_stream_collected_in_a_cycle_never_poisons_the_pool(
        local_server: LocalServer) -> None:
    # The recipe: the first attempt of a streamed call fails at the connection level
    # (reset, or read timeout), the retry succeeds, the body is never read and the result sits
    # in a reference cycle; the cyclic collector (in another thread) finalizes it after the
    # socket objects. The next requests must all work (before: ValueError, fd -1).
    session = make_session(local_server, read_timeout=0.3, pool_timeout=2.0)
    fast_retries(session)
    local_server.set_default(ok(b"pong"))
    s3, client = session.client("s3"), session.client("dynamodb")
    failures: list[str] = []
    for run in range(POISON_RUNS):
        local_server.script(stall(0.6) if run % 8 == 0 else reset(), ok(BODY), path="/b/k")
        result: dict[str, Any] = s3.get_object(Bucket="b", Key="k")
        # At least one retry (a loaded machine may time out the retried attempt too).
        assert result["ResponseMetadata"]["RetryAttempts"] >= 1
        result["self"] = result  # a cycle only the cyclic collector frees
        del result
        _collect_in_another_thread()
        for _ in range(3):
            try:
                assert client.new_request(PING).send()["Body"] == b"pong"
            except Exception as exc:  # noqa: BLE001 - counted and reported below
                failures.append(f"run {run}: {type(exc).__name__}")
    assert failures == [], f"{len(failures)} of {POISON_RUNS * 3} requests failed"
    assert checked_out(session) == 0


def test_streamed_body_dropped_unread_returns_only_its_slot(local_server: LocalServer) -> None:
    session = make_session(local_server, max_attempts=1, max_pool_connections=1,
                           pool_timeout=2.0)
    local_server.set_default(ok(BODY * 100))
    client = session.client("s3")
    for _ in range(5):
        body = client.get_object(Bucket="b", Key="k")["Body"]
        body.read(10)
        holder = [body]
        holder.append(holder)  # a cycle
        del body, holder
        _collect_in_another_thread()
    # One slot, never lost, never handed a dead socket; each dropped body closed its socket.
    assert client.get_object(Bucket="b", Key="k")["Body"].read() == BODY * 100
    assert checked_out(session) == 0
    assert local_server.connections.accepted == 6


def test_a_body_releases_its_connection_exactly_once(local_server: LocalServer) -> None:
    session = make_session(local_server, max_attempts=1, max_pool_connections=2)
    local_server.set_default(ok(BODY))
    response = session.client("s3").get_object(Bucket="b", Key="k")
    body = response["Body"]
    raw = body._raw
    assert isinstance(raw, _Body)
    pool = raw._pool
    puts: list[object] = []
    original = pool._put_conn
    pool._put_conn = lambda conn: (puts.append(conn), original(conn))[1]
    assert body.read() == BODY
    body.close()
    body.close()
    raw.release()
    raw.discard()
    del body, response
    gc.collect()
    assert len(puts) == 1 and puts[0] is not None  # once, and the live connection
    assert checked_out(session) == 0


def test_close_with_a_body_in_flight_leaves_nothing_open(local_server: LocalServer) -> None:
    session = make_session(local_server, max_attempts=1)
    local_server.set_default(ok(BODY))
    client = session.client("s3")
    body = client.get_object(Bucket="b", Key="k")["Body"]
    client.new_request(PING).send()  # a second, idle connection
    assert local_server.connections.open == 2
    session.close()
    assert settle(lambda: local_server.connections.open == 1)  # the idle one, now
    assert body.read() == BODY  # the in-flight one ends after close() ...
    # ... and is closed instead of pooled, although the body (and its pool) is still alive.
    assert local_server.wait_for_idle(5), f"{local_server.connections.open} still open"
    assert checked_out(session) == 0
    assert body.read() == b""
    client.new_request(PING).send()  # the session stays usable
    assert local_server.connections.accepted == 3


def test_close_during_concurrent_requests_leaves_nothing_open(local_server: LocalServer) -> None:
    session = make_session(local_server, max_pool_connections=8)
    local_server.set_default(Response(body=BODY, delay=0.05))
    held: list[Any] = []

    def worker(index: int) -> None:
        client = session.client("s3")
        for _ in range(4):
            body = client.get_object(Bucket="b", Key=f"k{index}")["Body"]
            held.append(body)  # keep every body (and so its pool) referenced
            if index == 0:
                session.close()
            assert body.read() == BODY

    assert run_in_threads(8, worker) == []
    session.close()
    assert local_server.wait_for_idle(5), f"{local_server.connections.open} sockets open"
    assert checked_out(session) == 0
    assert len(held) == 32


def test_pool_limit_holds_while_builders_run(local_server: LocalServer) -> None:
    limit = 10
    session = make_session(local_server, max_pool_connections=limit, pool_timeout=30.0)
    local_server.set_default(Response(body=b"p", delay=0.002))
    stop = threading.Event()
    requests = 32
    per_thread = 40

    def builder(index: int) -> None:
        round_ = 0
        while not stop.is_set():
            round_ += 1
            if index == 0:
                session.update(Config(user_agent_extra=f"b{round_ % 7}"))
            elif index == 1:
                copy = session.copy(Config(read_timeout=5 + round_ % 3))
                copy.client("dynamodb").new_request(PING).send()
            else:
                session.close()
            stop.wait(0.003)

    builders = [threading.Thread(target=builder, args=(i,), daemon=True) for i in range(3)]
    for thread in builders:
        thread.start()

    def worker(_: int) -> None:
        for _ in range(per_thread):
            assert session.client("dynamodb").new_request(PING).send()["Body"] == b"p"

    try:
        errors = run_in_threads(requests, worker)
    finally:
        stop.set()
        join_all(builders)
    assert errors == []
    stats = local_server.connections
    assert stats.live_peak <= limit, f"{stats.live_peak} connections against a limit of {limit}"
    assert len(local_server.requests) >= requests * per_thread
    session.close()
    assert local_server.wait_for_idle(5)
    assert checked_out(session) == 0
