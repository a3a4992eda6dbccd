"""Tests for hub.retry: standard mode, quota, classification, Retry-After, adaptive mode."""

from __future__ import annotations

import email.utils
import random
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.retries import standard as botocore_standard

import hub.retry
from hub.errors import (
    ClientError,
    ConfigError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialsError,
    EndpointConnectionError,
    HTTPClientError,
    HubError,
    ParamValidationError,
    ProxyConnectionError,
    ReadTimeoutError,
    ResponseParseError,
    SSLError,
)
from hub.retry import (
    THROTTLING_CODES,
    TRANSIENT_CODES,
    AdaptiveRateLimiter,
    AdaptiveRetryPolicy,
    RetryQuota,
    StandardRetryPolicy,
    is_expired_token,
    is_throttling,
    is_timeout,
    is_transient,
    make_policy,
)
from tests._threads import join_all

# --- stand-ins for hub._request.Request --------------------------------------------------------


@dataclass
class FakeResponse:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeRequest:
    error: HubError | None = None
    http_response: FakeResponse | None = None
    retry_count: int = 0
    body_rewindable: bool = True
    context: dict[str, Any] = field(default_factory=dict)


def client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(code, "boom", status_code=status, operation="GetObject")


def failed(error: HubError, *, headers: dict[str, str] | None = None, **kw: Any) -> FakeRequest:
    """A request whose attempt just failed with ``error``."""
    status = getattr(error, "status_code", None)
    response = FakeResponse(status, headers or {}) if status is not None else None
    return FakeRequest(error=error, http_response=response, **kw)


def run(policy: StandardRetryPolicy, outcomes: Iterator[HubError | None]) -> FakeRequest:
    """Drive a policy the way the request loop does; ``None`` outcomes are successes."""
    request = FakeRequest()
    for outcome in outcomes:
        policy.before_attempt(request)
        if outcome is None:
            request.error = None
            policy.on_success(request)
            return request
        request.error = outcome
        status = getattr(outcome, "status_code", None)
        request.http_response = FakeResponse(status) if status is not None else None
        if policy.decide(request) is None:
            return request
        request.retry_count += 1
    raise AssertionError("ran out of outcomes")


def zero() -> float:
    return 0.0


# --- attempts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("max_attempts", [1, 2, 3, 5])
def test_gives_up_after_max_attempts(max_attempts: int) -> None:
    policy = StandardRetryPolicy(max_attempts, rng=zero)
    errors = iter([client_error("InternalError", 500)] * 10)
    request = run(policy, errors)
    assert request.retry_count == max_attempts - 1
    assert request.error is not None
    assert request.error.attempts == max_attempts
    assert request.error.retry_reason == "max_attempts"
    assert f"gave up after {max_attempts} attempts" in str(request.error)


def test_success_after_retries() -> None:
    policy = StandardRetryPolicy(3, rng=zero)
    request = run(policy, iter([client_error("SlowDown", 503), None]))
    assert request.retry_count == 1 and request.error is None


def test_not_retryable_error_stops_at_once() -> None:
    policy = StandardRetryPolicy(3)
    error = client_error("NoSuchKey", 404)
    request = failed(error)
    assert policy.decide(request) is None
    assert error.retry_reason == "not_retryable"
    assert error.attempts == 1
    assert policy.quota.available == 500
    assert str(error).endswith("NoSuchKey) when calling the GetObject operation: boom")


def test_no_error_means_no_retry() -> None:
    assert StandardRetryPolicy().decide(FakeRequest()) is None


def test_non_rewindable_body_never_retried() -> None:
    policy = StandardRetryPolicy(5)
    error = ReadTimeoutError("read timed out")
    request = failed(error, body_rewindable=False)
    assert policy.decide(request) is None
    assert error.retry_reason == "not_retryable"
    assert policy.quota.available == 500


# --- backoff -----------------------------------------------------------------------------------


def test_backoff_bounds_full_jitter_seeded() -> None:
    rng = random.Random(1234)
    policy = StandardRetryPolicy(100, rng=rng.random, quota=RetryQuota(10**9))
    seen_nonzero = set()
    for n in range(12):
        cap = min(20.0, 1.0 * 2**n)
        for _ in range(200):
            delay = policy.decide(failed(client_error("Throttling"), retry_count=n))
            assert delay is not None
            assert 0.0 <= delay <= cap
            if delay > cap / 2:
                seen_nonzero.add(n)
    assert seen_nonzero == set(range(12))  # the whole range is used, not just the bottom


@pytest.mark.parametrize(
    ("retry_count", "expected"),
    [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (6, 10.0), (200, 10.0)],
)
def test_backoff_is_exponential_and_capped(retry_count: int, expected: float) -> None:
    policy = StandardRetryPolicy(1000, rng=lambda: 0.5, quota=RetryQuota(10**9))
    delay = policy.decide(failed(client_error("Throttling"), retry_count=retry_count))
    assert delay == pytest.approx(expected)


def test_backoff_base_and_max_backoff() -> None:
    policy = StandardRetryPolicy(10, rng=lambda: 1.0, base=0.1, max_backoff=0.5)
    delays = [policy.decide(failed(client_error("Throttling"), retry_count=n)) for n in range(5)]
    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5])


# --- quota -------------------------------------------------------------------------------------


def test_quota_retry_cost_and_refund() -> None:
    policy = StandardRetryPolicy(3, rng=zero)
    request = run(policy, iter([client_error("InternalError", 500), None]))
    assert request.retry_count == 1
    assert policy.quota.available == 500  # 500 -> 495 -> refunded 5 on success

    policy.quota.acquire(100)
    request = failed(client_error("InternalError", 500))
    assert policy.decide(request) is not None
    assert policy.quota.available == 395
    request.error = None
    policy.on_success(request)
    assert policy.quota.available == 400


@pytest.mark.parametrize(
    ("error", "cost"),
    [
        (ReadTimeoutError("read timeout"), 10),
        (ConnectTimeoutError("connect timeout"), 10),
        (EndpointConnectionError("refused"), 5),
        (ConnectionClosedError("reset"), 5),
        (client_error("ThrottlingException"), 5),
        (client_error("InternalError", 500), 5),
    ],
)
def test_quota_cost_by_error(error: HubError, cost: int) -> None:
    policy = StandardRetryPolicy(3, rng=zero)
    request = failed(error)
    assert policy.decide(request) is not None
    assert policy.quota.available == 500 - cost
    policy.on_success(request)
    assert policy.quota.available == 500


def test_refund_is_the_last_retry_cost() -> None:
    policy = StandardRetryPolicy(5, rng=zero)
    run(policy, iter([ReadTimeoutError("t"), client_error("SlowDown", 503), None]))
    # Took 10 then 5; the success refunds the last acquisition (5), as botocore does.
    assert policy.quota.available == 500 - 10


def test_success_without_retry_refunds_one_token_up_to_capacity() -> None:
    quota = RetryQuota()
    policy = StandardRetryPolicy(quota=quota)
    policy.on_success(FakeRequest())
    assert quota.available == 500
    quota.acquire(3)
    for _ in range(2):
        policy.on_success(FakeRequest())
    assert quota.available == 499
    for _ in range(5):
        policy.on_success(FakeRequest())
    assert quota.available == 500


def test_quota_exhaustion() -> None:
    quota = RetryQuota(12)
    policy = StandardRetryPolicy(3, quota=quota, rng=zero)
    assert policy.decide(failed(client_error("InternalError", 500))) is not None
    assert policy.decide(failed(client_error("InternalError", 500))) is not None
    assert quota.available == 2
    error = client_error("InternalError", 500)
    assert policy.decide(failed(error)) is None
    assert error.retry_reason == "retry_quota"
    assert error.attempts == 1
    assert "client-side retry quota is exhausted" in str(error)
    assert quota.available == 2
    # Not retrying does not stop the quota from refilling.
    timeout = ReadTimeoutError("t")
    assert policy.decide(failed(timeout)) is None and timeout.retry_reason == "retry_quota"


def test_quota_shared_between_policies() -> None:
    quota = RetryQuota()
    a, b = StandardRetryPolicy(quota=quota, rng=zero), StandardRetryPolicy(quota=quota, rng=zero)
    a.decide(failed(client_error("Throttling")))
    b.decide(failed(ReadTimeoutError("t")))
    assert quota.available == 485


def test_quota_release_never_exceeds_capacity() -> None:
    quota = RetryQuota(10)
    quota.release(100)
    assert quota.available == 10
    assert not quota.acquire(11)
    assert quota.acquire(10) and quota.available == 0
    assert repr(quota) == "RetryQuota(available=0, capacity=10)"


def test_quota_thread_safety_32_threads() -> None:
    capacity = 10**7
    quota = RetryQuota(capacity)
    threads_n, rounds = 32, 2000
    barrier = threading.Barrier(threads_n)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible

    def drain() -> None:
        barrier.wait()
        for i in range(rounds):
            assert quota.acquire(5 if i % 2 else 10)

    def churn() -> None:
        barrier.wait()
        for i in range(rounds):
            quota.acquire(5)
            quota.release(5 if i % 3 else 1)

    try:
        for target in (drain, churn):
            workers = [threading.Thread(target=target, daemon=True) for _ in range(threads_n)]
            for w in workers:
                w.start()
            join_all(workers)
    finally:
        sys.setswitchinterval(old)
    drained = threads_n * (rounds // 2) * (5 + 10)
    churn_loss = threads_n * sum(4 for i in range(rounds) if i % 3 == 0)
    assert quota.available == capacity - drained - churn_loss


def test_policy_thread_safety_shared_quota() -> None:
    quota = RetryQuota(10**6)
    policy = StandardRetryPolicy(3, quota=quota, rng=zero)
    threads_n, rounds = 32, 300
    barrier = threading.Barrier(threads_n)

    def worker() -> None:
        barrier.wait()
        for i in range(rounds):
            request = failed(ReadTimeoutError("t") if i % 2 else client_error("Throttling"))
            assert policy.decide(request) is not None
            if i % 4 == 0:
                policy.on_success(request)

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(threads_n)]
    for w in workers:
        w.start()
    join_all(workers)
    # i even -> 5 taken; i odd -> 10 taken; i % 4 == 0 (even) -> 5 refunded.
    per_thread = sum(10 if i % 2 else 5 for i in range(rounds)) - 5 * len(range(0, rounds, 4))
    assert quota.available == 10**6 - threads_n * per_thread


# --- Retry-After -------------------------------------------------------------------------------

NOW = 1_700_000_000.0


def throttled_with(headers: dict[str, str], **kw: Any) -> float | None:
    policy = StandardRetryPolicy(3, rng=zero, clock=lambda: NOW, **kw)
    return policy.decide(failed(client_error("Throttling", 429), headers=headers))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        # rng() is 0 here, so the computed backoff is 0 and the server may add up to 5 s.
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after": " 7 "}, 5.0),
        ({"RETRY-AFTER": "0"}, 0.0),
        ({"Retry-After": "40"}, 5.0),  # hostile: clamped to backoff + allowance
        ({"Retry-After": "120"}, 5.0),
        ({"Retry-After": "9" * 5000}, 5.0),  # absurdly long: not even parsed
        ({"Retry-After": email.utils.formatdate(NOW + 4, usegmt=True)}, 4.0),
        ({"Retry-After": email.utils.formatdate(NOW + 40, usegmt=True)}, 5.0),
        ({"Retry-After": email.utils.formatdate(NOW - 60, usegmt=True)}, 0.0),
        ({"Retry-After": email.utils.formatdate(NOW + 3600, usegmt=True)}, 5.0),
        ({"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}, 5.0),
        ({"Retry-After": "Sat, 99 Foo 99999 99:99:99 GMT"}, 0.0),  # malformed date: ignored
        ({"x-amz-retry-after": "1500"}, 1.5),
        ({"X-Amz-Retry-After": "250"}, 0.25),
        ({"x-amz-retry-after": "40000"}, 5.0),
        ({"x-amz-retry-after": "1500", "Retry-After": "9"}, 1.5),  # the precise one wins
        ({"x-amz-retry-after": "junk", "Retry-After": "3"}, 3.0),
        ({"x-amz-retry-after": "-5"}, 0.0),
        ({"Retry-After": "soon"}, 0.0),
        ({"Retry-After": "-3"}, 0.0),
        ({"Retry-After": "1.5"}, 0.0),  # not an integer: ignored
        ({"Retry-After": "\u00b2"}, 0.0),  # a digit to str.isdigit, not to int()
        ({}, 0.0),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float) -> None:
    assert throttled_with(headers) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("jitter", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("retry_count", [0, 1, 3, 10])
def test_retry_after_adds_at_most_the_allowance_to_each_attempts_backoff(
        jitter: float, retry_count: int) -> None:
    # botocore's rule: max(t, min(asked, t + 5)), t being this attempt's jittered backoff.
    policy = StandardRetryPolicy(20, rng=lambda: jitter, clock=lambda: NOW)
    backoff = jitter * min(20.0, 2.0**retry_count)
    for asked, expected in (("40", backoff + 5.0), ("0", backoff),
                            (email.utils.formatdate(NOW + 40, usegmt=True), backoff + 5.0)):
        request = failed(client_error("Throttling", 429), headers={"Retry-After": asked},
                         retry_count=retry_count)
        assert policy.decide(request) == pytest.approx(expected, abs=1e-6)


class _BotocoreContext:
    """The parts of botocore's RetryContext its ExponentialBackoff reads."""

    def __init__(self, attempt_number: int, headers: dict[str, str]) -> None:
        self.attempt_number = attempt_number
        self.http_response = type("Response", (), {"headers": headers})()


class _AlwaysThrottling:
    def is_throttling_error_from_context(self, context: object) -> bool:
        return True


@pytest.mark.parametrize("millis", ["0", "500", "3000", "40000", "junk", "-5"])
@pytest.mark.parametrize("attempt", [1, 2, 3, 6])
@pytest.mark.parametrize("jitter", [0.0, 0.3, 1.0])
def test_x_amz_retry_after_clamp_matches_botocore(monkeypatch: pytest.MonkeyPatch,
                                                  millis: str, attempt: int,
                                                  jitter: float) -> None:
    # botocore 1.43 ships the clamp behind its new-retries switch (AWS_NEW_RETRIES_2026); its
    # default standard mode ignores the header. hub always applies it.
    monkeypatch.setattr(botocore_standard, "NEW_RETRIES_ENABLED", True)
    reference = botocore_standard.ExponentialBackoff(
        random=lambda: jitter, throttling_detector=_AlwaysThrottling())
    expected = reference.delay_amount(_BotocoreContext(attempt, {"x-amz-retry-after": millis}))
    policy = StandardRetryPolicy(10, rng=lambda: jitter, clock=lambda: NOW)
    request = failed(client_error("Throttling", 400), headers={"x-amz-retry-after": millis},
                     retry_count=attempt - 1)
    assert policy.decide(request) == pytest.approx(expected, abs=1e-9)


def test_retry_after_allowance_is_configurable() -> None:
    assert throttled_with({"Retry-After": "9"}, retry_after_allowance=2.0) == 2.0
    assert throttled_with({"Retry-After": "9"}, retry_after_allowance=0.0) == 0.0
    with pytest.raises(ConfigError):
        StandardRetryPolicy(3, retry_after_allowance=-1.0)


def test_retry_after_never_shortens_the_jittered_delay() -> None:
    policy = StandardRetryPolicy(5, rng=lambda: 1.0, clock=lambda: NOW)
    request = failed(client_error("Throttling", 429), headers={"Retry-After": "1"}, retry_count=3)
    assert policy.decide(request) == 8.0


def test_retry_after_ignored_when_not_retryable() -> None:
    policy = StandardRetryPolicy(3)
    error = client_error("AccessDenied", 403)
    assert policy.decide(failed(error, headers={"Retry-After": "1"})) is None
    assert error.retry_reason == "not_retryable"


# --- classification ----------------------------------------------------------------------------

# botocore (a pinned test dependency) is the reference for standard mode's tables.
BOTOCORE_THROTTLING = set(botocore_standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES)


def test_code_tables_match_botocore_standard_mode() -> None:
    assert THROTTLING_CODES == BOTOCORE_THROTTLING
    transient = botocore_standard.TransientRetryableChecker._TRANSIENT_ERROR_CODES
    assert set(transient) == TRANSIENT_CODES


@pytest.mark.parametrize("code", sorted(BOTOCORE_THROTTLING))
def test_throttling_codes_are_retried(code: str) -> None:
    assert is_throttling(code, 400)
    error = client_error(code)
    assert StandardRetryPolicy(rng=zero).decide(failed(error)) == 0.0


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        (None, 429, True),
        ("Whatever", 429, True),
        ("ThrottlingException", None, True),
        ("throttlingexception", 400, False),  # codes are case-sensitive
        ("ValidationException", 400, False),
        (None, 503, False),
        (None, None, False),
    ],
)
def test_is_throttling(code: str | None, status: int | None, expected: bool) -> None:
    assert is_throttling(code, status) is expected


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (EndpointConnectionError("refused"), True),
        (ConnectTimeoutError("slow connect"), True),
        (ProxyConnectionError("proxy down"), True),
        (ReadTimeoutError("slow read"), True),
        (ConnectionClosedError("reset by peer"), True),
        (HTTPClientError("other"), True),
        (SSLError("bad certificate"), False),
        (client_error("InternalError", 500), True),
        (client_error("BadGateway", 502), True),
        (client_error("ServiceUnavailable", 503), True),
        (client_error("GatewayTimeout", 504), True),
        (client_error("NotImplemented", 501), False),
        (client_error("RequestTimeout", 400), True),
        (client_error("RequestTimeoutException", 400), True),
        (client_error("PriorRequestNotComplete", 400), True),
        (client_error("ValidationException", 400), False),
        (client_error("AccessDenied", 403), False),
        (ResponseParseError("html body", status_code=503), True),
        (ResponseParseError("bad xml", status_code=200), False),
        (ResponseParseError("bad xml"), False),
        (ParamValidationError("PutItem", ["missing TableName"]), False),
        (CredentialsError("no creds"), False),
        (ConfigError("bad"), False),
    ],
)
def test_is_transient(error: HubError, expected: bool) -> None:
    assert is_transient(error) is expected


def test_is_transient_with_status_from_response() -> None:
    assert is_transient(HubError("opaque"), 503)
    assert not is_transient(HubError("opaque"), 400)


def test_status_from_http_response_counts() -> None:
    policy = StandardRetryPolicy(rng=zero)
    request = FakeRequest(error=HubError("opaque"), http_response=FakeResponse(502))
    assert policy.decide(request) == 0.0


def test_ssl_errors_are_not_retried() -> None:
    error = SSLError("certificate verify failed")
    assert StandardRetryPolicy().decide(failed(error)) is None
    assert error.retry_reason == "not_retryable"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ReadTimeoutError("t"), True),
        (ConnectTimeoutError("t"), True),
        (EndpointConnectionError("t"), False),
        (client_error("RequestTimeout"), False),
    ],
)
def test_is_timeout(error: HubError, expected: bool) -> None:
    assert is_timeout(error) is expected


# --- expired tokens ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ExpiredToken", "ExpiredTokenException", "RequestExpired"])
def test_expired_token_retried_once_without_quota(code: str) -> None:
    assert is_expired_token(code)
    policy = StandardRetryPolicy(5, rng=lambda: 0.9)
    calls: list[int] = []
    request = failed(client_error(code, 400))
    request.context["invalidate_credentials"] = lambda: calls.append(1)
    assert policy.decide(request) == 0.0
    assert calls == [1]
    assert policy.quota.available == 500

    request.retry_count += 1
    second = client_error(code, 400)
    request.error = second
    assert policy.decide(request) is None
    assert second.retry_reason == "not_retryable"
    assert second.attempts == 2
    assert calls == [1]


def test_expired_token_without_hook() -> None:
    request = failed(client_error("ExpiredToken"))
    assert StandardRetryPolicy().decide(request) == 0.0


def test_expired_token_respects_max_attempts_and_rewindability() -> None:
    error = client_error("ExpiredToken")
    assert StandardRetryPolicy(1).decide(failed(error)) is None
    assert error.retry_reason == "max_attempts"
    error = client_error("ExpiredToken")
    assert StandardRetryPolicy(3).decide(failed(error, body_rewindable=False)) is None
    assert error.retry_reason == "not_retryable"


def test_other_errors_still_retried_after_expired_token() -> None:
    policy = StandardRetryPolicy(4, rng=zero)
    request = run(
        policy,
        iter([client_error("ExpiredToken"), client_error("Throttling"), None]),
    )
    assert request.retry_count == 2 and request.error is None
    assert policy.quota.available == 500


# --- construction ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_make_policy(mode: str) -> None:
    policy = make_policy(mode, 5)
    assert policy.max_attempts == 5
    assert isinstance(policy, AdaptiveRetryPolicy) is (mode == "adaptive")
    assert isinstance(policy, StandardRetryPolicy)


def test_make_policy_gives_each_policy_its_own_quota() -> None:
    a, b = make_policy("standard", 3), make_policy("standard", 3)
    assert isinstance(a, StandardRetryPolicy) and isinstance(b, StandardRetryPolicy)
    assert a.quota is not b.quota


@pytest.mark.parametrize("mode", ["legacy", "Standard", "", "fast"])
def test_make_policy_bad_mode(mode: str) -> None:
    with pytest.raises(ConfigError) as info:
        make_policy(mode, 3)
    assert info.value.field == "retry_mode"
    assert repr(mode) in str(info.value)


@pytest.mark.parametrize("value", [0, -1, True, 2.5, "3", None])
def test_bad_max_attempts(value: Any) -> None:
    with pytest.raises(ConfigError) as info:
        make_policy("standard", value)
    assert info.value.field == "max_attempts"
    with pytest.raises(ConfigError):
        StandardRetryPolicy(value)


@pytest.mark.parametrize("kwargs", [{"max_backoff": -1.0}, {"base": 0.0}, {"base": float("nan")}])
def test_bad_policy_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        StandardRetryPolicy(3, **kwargs)


def test_standard_before_attempt_is_a_no_op() -> None:
    StandardRetryPolicy().before_attempt(FakeRequest())


def test_public_names() -> None:
    for name in hub.retry.__all__:
        obj = getattr(hub.retry, name)
        if callable(obj) and hasattr(obj, "__module__") and name != "RetryPolicy":
            assert obj.__module__ == "hub.retry", name
    expected = {
        name
        for name, obj in vars(hub.retry).items()
        if not name.startswith("_") and getattr(obj, "__module__", None) == "hub.retry"
    }
    assert expected <= set(hub.retry.__all__)


# --- adaptive ----------------------------------------------------------------------------------


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


def limiter_with(clock: FakeClock) -> AdaptiveRateLimiter:
    return AdaptiveRateLimiter(clock=clock, sleep=clock.sleep)


def warm_up(limiter: AdaptiveRateLimiter, clock: FakeClock, rate: float, seconds: float) -> None:
    """Report successes at ``rate`` per second for ``seconds``."""
    for _ in range(int(rate * seconds)):
        clock.advance(1.0 / rate)
        limiter.update(False)


def test_adaptive_unlimited_until_first_throttle() -> None:
    clock = FakeClock()
    limiter = limiter_with(clock)
    warm_up(limiter, clock, rate=20, seconds=3)
    for _ in range(100):
        assert limiter.acquire() == 0.0
    assert not limiter.enabled and clock.slept == []


def test_adaptive_throttle_cuts_rate_by_beta_and_limits_sends() -> None:
    clock = FakeClock()
    limiter = limiter_with(clock)
    warm_up(limiter, clock, rate=20, seconds=3)
    measured = limiter.measured_rate
    assert measured == pytest.approx(20, rel=0.05)
    limiter.update(True)
    assert limiter.enabled
    assert limiter.fill_rate == pytest.approx(0.7 * limiter.measured_rate)
    # The bucket holds at most one second's worth (the rate), banked while unlimited; once
    # that is spent, each send waits one token's worth.
    rate = limiter.fill_rate
    start = clock.now
    waits = [limiter.acquire() for _ in range(40)]
    free = sum(1 for w in waits if w == 0.0)
    assert free <= int(rate) + 1
    assert 0.0 < waits[free] <= 1 / rate + 1e-9  # the rest of a partly banked token
    assert waits[free + 1 :] == pytest.approx([1 / rate] * (39 - free))
    assert clock.now - start == pytest.approx(sum(waits))


def test_adaptive_cubic_recovery() -> None:
    clock = FakeClock()
    limiter = limiter_with(clock)
    warm_up(limiter, clock, rate=40, seconds=3)
    limiter.update(True)
    w_max = limiter.fill_rate / 0.7
    k = (w_max * 0.3 / 0.4) ** (1 / 3)
    # Shortly after the throttle the rate is still well below w_max ...
    clock.advance(0.1)
    limiter.update(False)
    assert limiter.fill_rate < 0.8 * w_max
    # ... it is back at w_max k seconds after it (if the measured rate allows) ...
    clock.advance(k - 0.1)
    limiter.update(False)
    assert limiter.fill_rate == pytest.approx(min(w_max, 2 * limiter.measured_rate), rel=1e-6)
    # ... and then probes above it, never beyond twice the measured rate.
    clock.advance(2.0)
    limiter.update(False)
    assert limiter.fill_rate > w_max or limiter.fill_rate == pytest.approx(
        2 * limiter.measured_rate
    )
    assert limiter.fill_rate <= 2 * limiter.measured_rate + 1e-9


def test_adaptive_rate_has_a_floor() -> None:
    clock = FakeClock()
    limiter = limiter_with(clock)
    for _ in range(20):
        clock.advance(1.0)
        limiter.update(True)
    assert limiter.fill_rate == 0.5
    limiter.acquire()  # may take the one banked token
    assert limiter.acquire() == pytest.approx(2.0)


def test_adaptive_policy_feeds_the_limiter() -> None:
    clock = FakeClock()
    policy = AdaptiveRetryPolicy(3, limiter=limiter_with(clock), rng=zero)
    request = FakeRequest()
    policy.before_attempt(request)
    assert clock.slept == []
    # A non-throttling failure and a success do not enable limiting.
    assert policy.decide(failed(client_error("InternalError", 500))) == 0.0
    policy.on_success(FakeRequest())
    assert not policy.limiter.enabled
    # A throttling response does, and before_attempt starts to wait.
    clock.advance(1.0)
    assert policy.decide(failed(client_error("ThrottlingException"))) == 0.0
    assert policy.limiter.enabled
    policy.before_attempt(request)
    assert clock.slept and clock.slept[0] > 0
    assert policy.quota.available == 500 - 5 - 5 + 1


def test_adaptive_limiter_thread_safety() -> None:
    clock = FakeClock()
    limiter = limiter_with(clock)
    warm_up(limiter, clock, rate=50, seconds=2)
    limiter.update(True)
    threads_n, rounds = 16, 50
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            for j in range(rounds):
                limiter.acquire()
                limiter.update((i + j) % 17 == 0)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    workers = [threading.Thread(target=worker, args=(i,), daemon=True)
               for i in range(threads_n)]
    for w in workers:
        w.start()
    join_all(workers)
    assert not errors
    assert limiter.fill_rate >= 0.5
