"""Requests really go through urllib3 to a local server; pools are shared and bounded."""

from __future__ import annotations

import os
from typing import Any

import pytest

import hub
from hub import Config, Operation, Session
from hub.errors import (
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from tests._threads import run_in_threads
from tests.servers.local import LocalServer
from tests.servers.responses import Response, ok

PING = Operation("Ping", "GET", "/ping")
PUT = Operation("Put", "PUT", "/put")
CREDENTIALS = hub.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

# Forking with threads running is the point: servers embedding hub do exactly that.
FORK_WITH_THREADS = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded:DeprecationWarning"
)



def make_session(server: LocalServer, **settings: object) -> Session:
    return Session(Config(region="us-east-1", endpoint_url=server.url, credentials=CREDENTIALS,
                          **settings))  # type: ignore[arg-type]


def test_request_reaches_the_server_signed_with_user_agent(local_server: LocalServer) -> None:
    local_server.set_default(ok(b"pong", headers=[("x-amzn-RequestId", "req-1")]))
    client = make_session(local_server, user_agent_extra="myapp/1.0").client("dynamodb")
    request = client.new_request(PUT)
    request.http_request.body = b"payload"
    result = request.send()
    assert result["Body"] == b"pong"
    assert result["ResponseMetadata"]["RequestId"] == "req-1"
    assert result["ResponseMetadata"]["HTTPStatusCode"] == 200
    seen = local_server.requests[-1]
    assert seen.method == "PUT" and seen.body == b"payload"
    assert seen.header("Content-Length") == "7"
    agent = seen.header("User-Agent") or ""
    assert agent.startswith(f"hub/{hub.__version__} python/") and agent.endswith("myapp/1.0")
    authorization = seen.header("Authorization") or ""
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/dynamodb/aws4_request" in authorization
    assert "wJalrXUtnFEMI" not in " ".join(v for _, v in seen.headers)


def test_threads_share_a_bounded_pool(local_server: LocalServer) -> None:
    local_server.set_default(ok(b"x" * 100))
    session = make_session(local_server, max_pool_connections=4)
    threads, per_thread = 16, 25

    def worker(_: int) -> None:
        for _ in range(per_thread):
            client = session.client("dynamodb")  # a fresh client each time, shared pool
            assert client.new_request(PING).send()["Body"] == b"x" * 100

    errors = run_in_threads(threads, worker)
    assert errors == []
    assert len(local_server.requests) == threads * per_thread
    stats = local_server.connections
    assert stats.peak <= 4
    assert stats.accepted <= 4, "pool overflowed: connections were opened and thrown away"


def test_one_transport_and_ssl_context_per_settings(local_server: LocalServer) -> None:
    session = make_session(local_server)
    a = session.client("s3").client_config.transport
    b = session.client("dynamodb", Config(read_timeout=3)).client_config.transport
    c = session.copy(Config(region="eu-west-1")).client("s3").client_config.transport
    assert a is b is c
    assert a.tls_context() is b.tls_context()
    assert session.client("s3", Config(verify=False)).client_config.transport is not a


def test_close_releases_idle_connections(local_server: LocalServer) -> None:
    local_server.set_default(ok(b"ok"))
    session = make_session(local_server)
    session.client("dynamodb").new_request(PING).send()
    assert local_server.connections.open == 1
    session.close()
    assert local_server.wait_for_idle(timeout=5)
    session.client("dynamodb").new_request(PING).send()  # pools reopen
    assert local_server.connections.accepted == 2


@FORK_WITH_THREADS
@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_forked_child_gets_fresh_connections(local_server: LocalServer) -> None:
    local_server.set_default(ok(b"ok"))
    session = make_session(local_server)
    client = session.client("dynamodb")
    client.new_request(PING).send()
    assert local_server.connections.accepted == 1
    pid = os.fork()
    if pid == 0:  # child: must not reuse the parent's socket
        code = 0
        try:
            result = session.client("dynamodb").new_request(PING).send()
            code = 0 if result["Body"] == b"ok" else 3
        except BaseException:  # noqa: BLE001
            code = 4
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert local_server.connections.accepted == 2  # the child opened its own connection
    client.new_request(PING).send()  # the parent's pooled connection still works
    assert local_server.connections.accepted == 2


def test_connection_refused_is_endpoint_connection_error() -> None:
    session = Session(Config(region="us-east-1", endpoint_url="http://127.0.0.1:9",
                             credentials=CREDENTIALS, max_attempts=1))
    with pytest.raises(EndpointConnectionError, match="127.0.0.1:9"):
        session.client("dynamodb").new_request(PING).send()


def test_reset_and_stall_map_to_typed_errors(local_server: LocalServer) -> None:
    session = make_session(local_server, max_attempts=1, read_timeout=0.3)
    client = session.client("dynamodb")
    local_server.script(Response(fault="reset"))
    with pytest.raises(ConnectionClosedError) as closed:
        client.new_request(PING).send()
    assert closed.value.attempts == 1
    local_server.script(Response(body=b"late", delay=2.0))
    with pytest.raises(ReadTimeoutError):
        client.new_request(PING).send()


def test_ordinary_requests_skip_urllib3s_urlopen_and_others_take_it(
        local_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # The lean exchange sends ordinary requests itself on urllib3's pooled connections; a
    # body it does not frame (an iterable: chunked) and a call deadline go through urlopen.
    # Both kinds share the pool: every request here goes out on one connection.
    import urllib3

    local_server.set_default(ok(b"pong", headers=[("X-Dup", "a"), ("x-dup", "b")]))
    through_urllib3: list[str] = []
    urlopen = urllib3.HTTPConnectionPool.urlopen

    def recording(pool: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        through_urllib3.append(method)
        return urlopen(pool, method, url, *args, **kwargs)

    monkeypatch.setattr(urllib3.HTTPConnectionPool, "urlopen", recording)
    session = make_session(local_server)
    client = session.client("dynamodb")
    assert client.new_request(PING).send()["Body"] == b"pong"
    put = client.new_request(PUT)
    put.http_request.body = b"payload"
    result = put.send()
    assert result["Body"] == b"pong"
    assert result["ResponseMetadata"]["HTTPHeaders"]["x-dup"] == "a, b"
    assert through_urllib3 == []
    chunked = client.new_request(PUT)
    chunked.http_request.body = iter([b"pay", b"load"])
    assert chunked.send()["Body"] == b"pong"
    deadline = session.client("dynamodb", Config(call_timeout=30))
    assert deadline.new_request(PING).send()["Body"] == b"pong"
    assert through_urllib3 == ["PUT", "GET"]
    assert [r.body for r in local_server.requests] == [b"", b"payload", b"payload", b""]
    assert local_server.requests[2].header("Transfer-Encoding") == "chunked"
    assert local_server.connections.accepted == 1
