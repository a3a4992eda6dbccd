"""Every fault the local server can inject: the right retry behaviour or a typed hub error, and
afterwards no connection checked out of a pool, no server connection left open, no thread left.

The numbers: each case is run twice, once with ``max_attempts=1`` (the fault surfaces as a typed
error) and once with the default 3 attempts when the fault is transient (it is retried away).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from hub import Operation, Session
from hub.errors import (
    ClientError,
    ConnectionClosedError,
    HubError,
    ReadTimeoutError,
    ResponseParseError,
)
from tests.reliability._support import (
    PING,
    STREAM,
    checked_out,
    fast_retries,
    make_session,
    settle,
)
from tests.servers.local import LocalServer
from tests.servers.responses import (
    Response,
    close_after,
    malformed_json,
    malformed_xml,
    ok,
    reset,
    reset_mid_body,
    server_error,
    service_unavailable,
    stall,
    stall_body,
    throttle_json,
    throttle_xml,
    truncated,
)

READ_TIMEOUT = 0.25


def _read_timeout(case: Case) -> float:
    # Only the stall cases race the read timeout. Every other fault must reach the client as
    # itself even when a loaded CI machine keeps the server thread off the CPU for longer
    # than READ_TIMEOUT (a reset arriving late once surfaced as a ReadTimeoutError).
    return READ_TIMEOUT if case.error is ReadTimeoutError else 10.0
BODY = b"b" * 4096


@dataclass(frozen=True)
class Case:
    """One fault: what the server does and what the caller must see."""

    name: str
    fault: Response
    error: type[HubError]
    transient: bool = True
    call: str = "raw"  # "raw", "stream", "s3" (list_buckets), "dynamodb" (list_tables)


CASES = [
    Case("reset-before-response", reset(), ConnectionClosedError),
    Case("reset-mid-body", reset_mid_body(BODY), ConnectionClosedError),
    Case("reset-mid-body-streamed", reset_mid_body(BODY), ConnectionClosedError, call="stream"),
    Case("stall-beyond-read-timeout", stall(0.8), ReadTimeoutError),
    Case("stall-mid-body", stall_body(0.8), ReadTimeoutError),
    Case("stall-mid-body-streamed", stall_body(0.8), ReadTimeoutError, call="stream"),
    Case("truncated-body", truncated(BODY), ConnectionClosedError),
    Case("truncated-body-streamed", truncated(BODY), ConnectionClosedError, call="stream"),
    Case("http-500", server_error(), ClientError),
    Case("http-500-json", server_error(json=True), ClientError, call="dynamodb"),
    Case("http-503", service_unavailable(), ClientError),
    Case("http-503-retry-after", service_unavailable(retry_after=0), ClientError),
    Case("throttle-xml", throttle_xml(), ClientError, call="s3"),
    Case("throttle-xml-retry-after", throttle_xml(retry_after=0), ClientError, call="s3"),
    Case("throttle-json", throttle_json(), ClientError, call="dynamodb"),
    Case("throttle-json-retry-after", throttle_json(retry_after=0), ClientError, call="dynamodb"),
    Case("malformed-xml", malformed_xml(), ResponseParseError, transient=False, call="s3"),
    Case("malformed-json", malformed_json(), ResponseParseError, transient=False,
         call="dynamodb"),
    Case("malformed-xml-500", malformed_xml(500), ClientError, call="s3"),
    Case("malformed-json-503", malformed_json(503), ClientError, call="dynamodb"),
]

GOOD = {
    "raw": ok(BODY),
    "stream": ok(BODY),
    "s3": ok(b"<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>",
             content_type="application/xml"),
    "dynamodb": ok(b'{"TableNames": []}', content_type="application/x-amz-json-1.0"),
}


def _caller(session: Session, kind: str) -> Callable[[], Any]:
    if kind == "raw":
        return lambda: session.client("dynamodb").new_request(PING).send()
    if kind == "stream":
        def stream() -> Any:
            result = session.client("dynamodb").new_request(STREAM).send()
            assert result["Body"] == BODY
            return result
        return stream
    if kind == "s3":
        return lambda: session.client("s3").list_buckets()
    return lambda: session.client("dynamodb").list_tables()


@pytest.fixture
def baseline_threads(local_server: LocalServer) -> Iterator[int]:
    assert local_server.wait_for_idle(5)
    yield threading.active_count()


def _assert_no_leaks(session: Session, server: LocalServer, threads: int) -> None:
    assert checked_out(session) == 0, "a pooled connection was not returned"
    session.close()
    assert server.wait_for_idle(5), f"server still has {server.connections.open} open"
    assert settle(lambda: threading.active_count() <= threads, 5), (
        f"threads: {threading.active_count()} > baseline {threads}")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault_without_retries_is_a_typed_error(local_server: LocalServer, case: Case,
                                                baseline_threads: int) -> None:
    session = make_session(local_server, max_attempts=1, read_timeout=_read_timeout(case))
    local_server.script(case.fault)
    with pytest.raises(HubError) as caught:
        _caller(session, case.call)()
    error_type = type(caught.value)
    # A modeled service error is the service's ClientError subclass (client.exceptions.X).
    if case.error is ClientError and error_type.__module__.startswith("hub.services."):
        error_type = error_type.__mro__[1]
    assert error_type is case.error, repr(caught.value)
    assert caught.value.attempts == 1
    assert len(local_server.requests) == 1
    # The session is still healthy after the fault.
    local_server.set_default(GOOD[case.call])
    _caller(session, case.call)()
    _assert_no_leaks(session, local_server, baseline_threads)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault_with_retries(local_server: LocalServer, case: Case,
                            baseline_threads: int) -> None:
    session = make_session(local_server, read_timeout=_read_timeout(case))
    fast_retries(session)
    local_server.script(case.fault)
    local_server.set_default(GOOD[case.call])
    if case.transient:
        _caller(session, case.call)()  # retried away
        assert len(local_server.requests) == 2
    else:
        with pytest.raises(case.error) as caught:
            _caller(session, case.call)()
        assert caught.value.attempts == 1 and caught.value.retry_reason == "not_retryable"
        assert len(local_server.requests) == 1
    _assert_no_leaks(session, local_server, baseline_threads)


@pytest.mark.parametrize("silently", [True, False], ids=["silent-close", "announced-close"])
def test_keep_alive_closed_between_requests(local_server: LocalServer, silently: bool,
                                            baseline_threads: int) -> None:
    session = make_session(local_server, max_attempts=1)
    local_server.script(close_after(ok(b"first"), silently=silently))
    local_server.set_default(ok(b"again"))
    client = session.client("dynamodb")
    assert client.new_request(PING).send()["Body"] == b"first"
    assert settle(lambda: local_server.connections.open == 0, 5)
    # Even without retries, the dead pooled connection is noticed and replaced.
    for _ in range(3):
        assert client.new_request(PING).send()["Body"] == b"again"
    assert local_server.connections.accepted == 2
    _assert_no_leaks(session, local_server, baseline_threads)


def test_unread_streamed_error_body_is_released(local_server: LocalServer,
                                                baseline_threads: int) -> None:
    session = make_session(local_server, max_attempts=1, max_pool_connections=1,
                           pool_block=True, pool_timeout=1.0)
    local_server.set_default(Response(404, b"n" * 10000))
    for _ in range(5):  # with one pooled connection, a leak would block the second call
        with pytest.raises(ClientError):
            session.client("dynamodb").new_request(STREAM).send()
    assert local_server.connections.accepted == 1
    _assert_no_leaks(session, local_server, baseline_threads)


def test_abandoned_stream_does_not_hang_the_pool(local_server: LocalServer,
                                                 baseline_threads: int) -> None:
    session = make_session(local_server, max_attempts=1, max_pool_connections=1,
                           pool_block=True, pool_timeout=1.0)
    local_server.set_default(ok(BODY))
    get = Operation("GetObject", "GET", "/o", streaming_output=True)
    for _ in range(3):
        request = session.client("dynamodb").new_request(get)
        request.send()
        # Read through the raw-protocol result: the body is already read and released.
    _assert_no_leaks(session, local_server, baseline_threads)
