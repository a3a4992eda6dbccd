"""Retry behaviour against the local server: what is retried, how often, how long, at what cost.

Backoff sleeps are replaced by a recording ``core.after_retry`` (what handlers are for), except
where the delay itself is under test: there the policy's backoff scale is made tiny and the
server-side arrival times of the attempts are measured.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from hub import Config, Operation, Session
from hub.errors import ClientError, ConnectionClosedError, ReadTimeoutError
from hub.retry import RetryQuota, StandardRetryPolicy
from tests.reliability._support import PING, fast_retries, make_session
from tests.servers.local import LocalServer
from tests.servers.responses import (
    RecordedRequest,
    Response,
    ok,
    reset,
    server_error,
    service_unavailable,
    stall,
    throttle_json,
    throttle_xml,
)

PUT = Operation("Put", "PUT", "/put")


def _policy(session: Session, *configs: Config) -> StandardRetryPolicy:
    policy = session.client("dynamodb", *configs).client_config.retry_policy
    assert isinstance(policy, StandardRetryPolicy)
    return policy


def _fast(server: LocalServer, **settings: Any) -> tuple[Session, list[float]]:
    session = make_session(server, **settings)
    delays: list[float] = []
    fast_retries(session, delays)
    return session, delays


@pytest.mark.parametrize(
    "failure",
    [throttle_xml(), service_unavailable(), server_error(), server_error(json=True),
     throttle_json(status=503)],
    ids=["xml-slowdown-503", "xml-unavailable-503", "xml-500", "json-500", "json-throttle-503"],
)
def test_transient_statuses_are_retried_until_success(local_server: LocalServer,
                                                      failure: Response) -> None:
    session, delays = _fast(local_server)
    local_server.script(failure, failure, ok(b"done"))
    result = session.client("dynamodb").new_request(PING).send()
    assert result["Body"] == b"done"
    assert result["ResponseMetadata"]["RetryAttempts"] == 2
    assert len(local_server.requests) == 3
    assert len(delays) == 2


def test_max_attempts_bounds_the_attempts(local_server: LocalServer) -> None:
    session, delays = _fast(local_server, max_attempts=4)
    local_server.set_default(throttle_xml())
    with pytest.raises(ClientError) as caught:
        session.client("dynamodb").new_request(PING).send()
    assert caught.value.status_code == 503
    assert caught.value.attempts == 4 and caught.value.retry_reason == "max_attempts"
    assert "gave up after 4 attempts" in str(caught.value)
    assert len(local_server.requests) == 4 and len(delays) == 3


def test_max_attempts_one_means_no_retry(local_server: LocalServer) -> None:
    session, delays = _fast(local_server, max_attempts=1)
    local_server.script(service_unavailable(), ok(b"never"))
    with pytest.raises(ClientError) as caught:
        session.client("dynamodb").new_request(PING).send()
    assert caught.value.attempts == 1
    assert len(local_server.requests) == 1 and delays == []


def test_client_errors_are_not_retried(local_server: LocalServer) -> None:
    session, delays = _fast(local_server)
    local_server.set_default(Response(403, b"denied"))
    with pytest.raises(ClientError) as caught:
        session.client("dynamodb").new_request(PING).send()
    assert caught.value.retry_reason == "not_retryable" and caught.value.attempts == 1
    assert len(local_server.requests) == 1 and delays == []


def test_throttling_code_on_a_400_is_retried(local_server: LocalServer) -> None:
    """The raw protocol maps a 400 to code "400"; a handler naming the code makes it retryable."""
    session, delays = _fast(local_server)

    def throttling_code(request: Any) -> None:
        if request.http_response is not None and request.http_response.status == 400:
            request.error = ClientError("ThrottlingException", "slow down", status_code=400,
                                        operation=request.operation.name)

    session.push_back("unmarshal_error", throttling_code, name="test.throttling_code")
    local_server.script(throttle_json(), throttle_json(), ok(b"done"))
    result = session.client("dynamodb").new_request(PING).send()
    assert result["ResponseMetadata"]["RetryAttempts"] == 2
    assert len(local_server.requests) == 3 and len(delays) == 2


def test_dynamodb_json_throttling_is_retried(local_server: LocalServer) -> None:
    session, delays = _fast(local_server)
    local_server.script(throttle_json(), ok(b'{"TableNames": ["t"]}',
                                            content_type="application/x-amz-json-1.0"))
    result = session.client("dynamodb").list_tables()
    assert result["TableNames"] == ["t"]
    assert result["ResponseMetadata"]["RetryAttempts"] == 1
    assert len(local_server.requests) == 2 and len(delays) == 1


def test_s3_xml_slowdown_is_retried(local_server: LocalServer) -> None:
    session, delays = _fast(local_server)
    local_server.script(throttle_xml(), ok(b""))
    result = session.client("s3").put_object(Bucket="b", Key="k", Body=b"data")
    assert result["ResponseMetadata"]["RetryAttempts"] == 1
    assert [r.body for r in local_server.requests] == [b"data", b"data"]
    assert len(delays) == 1


def test_connection_reset_is_retried(local_server: LocalServer) -> None:
    session, delays = _fast(local_server)
    local_server.script(reset(), ok(b"done"))
    result = session.client("dynamodb").new_request(PING).send()
    assert result["Body"] == b"done" and result["ResponseMetadata"]["RetryAttempts"] == 1
    assert len(local_server.requests) == 2
    assert local_server.connections.accepted == 2  # the reset connection was not reused


def test_connection_reset_every_time_gives_typed_error(local_server: LocalServer) -> None:
    session, _ = _fast(local_server)
    local_server.set_default(reset())
    with pytest.raises(ConnectionClosedError) as caught:
        session.client("dynamodb").new_request(PING).send()
    assert caught.value.attempts == 3 and caught.value.retry_reason == "max_attempts"
    assert len(local_server.requests) == 3


def _arrivals(server: LocalServer, responses: list[Response]) -> list[float]:
    times: list[float] = []
    queue: Iterator[Response] = iter(responses)

    def handler(_request: RecordedRequest) -> Response:
        times.append(time.monotonic())
        return next(queue)

    server.set_default(handler)
    return times


def test_retry_after_is_honoured(local_server: LocalServer) -> None:
    session = make_session(local_server)
    policy = _policy(session)
    policy.base = 0.001  # jitter negligible: the wait is the server's
    times = _arrivals(local_server, [
        Response(503, b"", (("x-amz-retry-after", "200"),)),  # milliseconds
        ok(b"done"),
    ])
    result = session.client("dynamodb").new_request(PING).send()
    assert result["ResponseMetadata"]["RetryAttempts"] == 1
    # Only a lower bound: how much longer a loaded machine takes is not under test.
    assert times[1] - times[0] >= 0.18


@pytest.mark.parametrize("retry_after", ["40", "86400", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_hostile_retry_after_is_clamped_to_backoff_plus_allowance(
        local_server: LocalServer, retry_after: str) -> None:
    session, delays = _fast(local_server, max_attempts=3)
    policy = _policy(session)
    hostile = Response(503, b"", (("Retry-After", retry_after),))
    local_server.script(hostile, hostile, ok(b"done"))
    result = session.client("dynamodb").new_request(PING).send()
    assert result["ResponseMetadata"]["RetryAttempts"] == 2
    # Each wait is at most that attempt's backoff cap (1 s, then 2 s) plus 5 s, and the
    # server did push it past the plain backoff.
    assert len(delays) == 2
    for n, delay in enumerate(delays):
        assert 5.0 <= delay <= policy.base * 2**n + policy.retry_after_allowance, delays


def test_without_retry_after_the_backoff_is_jittered(local_server: LocalServer) -> None:
    session, delays = _fast(local_server, max_attempts=4)
    local_server.set_default(service_unavailable())
    with pytest.raises(ClientError):
        session.client("dynamodb").new_request(PING).send()
    # Full jitter below base * 2 ** n with base 1 s.
    assert len(delays) == 3
    assert all(0 <= d <= 2**n for n, d in enumerate(delays)), delays


# --- quota accounting -----------------------------------------------------------------------

def test_quota_takes_5_per_retry_and_refunds_on_success(local_server: LocalServer) -> None:
    session = make_session(local_server)
    policy = _policy(session)
    seen: list[int] = []

    def record(request: Any) -> None:
        if request.retry_delay is not None:
            seen.append(policy.quota.available)
            request.retry_delay = 0.0

    session.push_front("after_retry", record, name="test.record_quota")
    policy = _policy(session)  # the handler edit made a new snapshot: read its policy
    policy.quota.acquire(100)  # start below capacity so refunds are visible
    assert policy.quota.available == 400
    local_server.script(service_unavailable(), service_unavailable(), ok(b"done"))
    session.client("dynamodb").new_request(PING).send()
    assert seen == [395, 390]
    assert policy.quota.available == 395  # success refunds the last retry's cost (5)
    session.client("dynamodb").new_request(PING).send()
    assert policy.quota.available == 396  # a success with no retry refunds 1


def test_quota_takes_10_per_timeout_retry(local_server: LocalServer) -> None:
    session = make_session(local_server, read_timeout=0.2)
    fast_retries(session)
    policy = _policy(session)
    policy.quota.acquire(100)
    local_server.script(stall(1.0), ok(b"done"))
    session.client("dynamodb").new_request(PING).send()
    # 400 - 10 (timeout retry) + 10 (refund of the last retry's cost on success)
    assert policy.quota.available == 400
    local_server.script(stall(1.0), stall(1.0))
    session2 = make_session(local_server, read_timeout=0.2, max_attempts=2)
    fast_retries(session2)
    policy2 = _policy(session2)
    with pytest.raises(ReadTimeoutError) as caught:
        session2.client("dynamodb").new_request(PING).send()
    assert caught.value.attempts == 2
    assert policy2.quota.available == 490


def test_quota_exhaustion_stops_retries_and_says_so(local_server: LocalServer) -> None:
    session, delays = _fast(local_server)
    policy = _policy(session)
    policy.quota.acquire(policy.quota.available - 7)  # room for exactly one retry
    local_server.set_default(service_unavailable())
    with pytest.raises(ClientError) as caught:
        session.client("dynamodb").new_request(PING).send()
    error = caught.value
    assert error.retry_reason == "retry_quota" and error.attempts == 2
    assert "client-side retry quota" in str(error)
    assert len(local_server.requests) == 2 and len(delays) == 1
    assert policy.quota.available == 2


def test_quota_is_shared_by_the_clients_of_a_config(local_server: LocalServer) -> None:
    session, _ = _fast(local_server)
    a, b = session.client("dynamodb"), session.client("dynamodb")
    assert a.client_config.retry_policy is b.client_config.retry_policy
    local_server.script(service_unavailable(), ok())
    a.new_request(PING).send()
    quota = b.client_config.retry_policy
    assert isinstance(quota, StandardRetryPolicy)
    assert quota.quota.available == RetryQuota().capacity


# --- bodies -----------------------------------------------------------------------------------

def test_generator_bodies_are_never_resent(local_server: LocalServer) -> None:
    session, delays = _fast(local_server)
    local_server.script(service_unavailable(), ok(b"never"))
    request = session.client("dynamodb").new_request(PUT)
    request.http_request.body = (chunk for chunk in (b"one-", b"shot"))
    with pytest.raises(ClientError) as caught:
        request.send()
    assert caught.value.retry_reason == "not_retryable" and caught.value.attempts == 1
    assert len(local_server.requests) == 1 and delays == []
    assert local_server.requests[0].body == b"one-shot"


def test_file_bodies_are_rewound_for_each_attempt(local_server: LocalServer, tmp_path: Any
                                                  ) -> None:
    session, _ = _fast(local_server)
    path = tmp_path / "payload"
    path.write_bytes(b"0123456789")
    local_server.script(reset(), service_unavailable(), ok())
    with open(path, "rb") as fh:
        fh.seek(2)
        request = session.client("dynamodb").new_request(PUT)
        request.http_request.body = fh
        request.send()
    assert [r.body for r in local_server.requests] == [b"23456789"] * 3
