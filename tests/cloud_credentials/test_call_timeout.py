"""``Config.call_timeout`` bounds the whole call: credential loading and rate-limiter waits too.

A slow credential source (the fake container endpoint answering late) must not hold a call
past its budget, and the load must stay single-flight: one fetch serves every caller, the ones
that gave up included, and the next call uses it. No wall-clock bounds: "returned before the
load ended" is shown by the cache still being empty when the error arrives.
"""

from __future__ import annotations

import threading
import time

import pytest

import hub
from hub.credentials import ContainerProvider
from hub.errors import CallTimeoutError
from hub.retry import AdaptiveRateLimiter
from tests._threads import join_all
from tests.reliability._support import PING, make_session
from tests.servers.cloud import FakeContainer
from tests.servers.local import LocalServer
from tests.servers.responses import ok


def _session(container: FakeContainer, server: LocalServer, cloud_env: dict[str, str],
             **settings: object) -> hub.Session:
    env = {**cloud_env, "AWS_CONTAINER_CREDENTIALS_FULL_URI": container.url + container.path}
    return hub.Session(hub.Config(region="us-east-1", endpoint_url=server.url,
                                  credentials=ContainerProvider(environ=env),
                                  **settings))  # type: ignore[arg-type]


def _slow_source(container: FakeContainer, server: LocalServer, cloud_env: dict[str, str],
                 seconds: float, **settings: object) -> hub.Session:
    """A session whose credentials come from ``container``, answering its first fetch late."""
    container.slow_seconds = seconds
    container.fail("slow", times=1)
    server.set_default(ok(b"{}"))
    return _session(container, server, cloud_env, **settings)


def _wait_loaded(session: hub.Session) -> None:
    for _ in range(500):  # bounded: the fake answers after slow_seconds
        if session.snapshot.credentials.peek() is not None:
            return
        time.sleep(0.02)
    raise AssertionError("the credential load never finished")


def test_a_slow_credential_source_does_not_outlast_call_timeout(
        cloud_env: dict[str, str], container: FakeContainer, local_server: LocalServer) -> None:
    session = _slow_source(container, local_server, cloud_env, 1.5, call_timeout=0.2)
    client = session.client("dynamodb")
    with pytest.raises(CallTimeoutError) as caught:
        client.new_request(PING).send()
    # The call gave up while the load was still running (nothing cached yet), without
    # reaching the service.
    assert session.snapshot.credentials.peek() is None
    assert caught.value.field == "call_timeout" and caught.value.timeout == 0.2
    assert "credentials" in str(caught.value) and isinstance(caught.value, TimeoutError)
    assert local_server.requests == []
    # The load it started finishes for everyone: the next call signs with it, no new fetch.
    _wait_loaded(session)
    client.new_request(PING).send()
    assert container.count("credentials") == 1
    assert len(local_server.requests) == 1


def test_callers_that_time_out_share_one_load(
        cloud_env: dict[str, str], container: FakeContainer, local_server: LocalServer) -> None:
    session = _slow_source(container, local_server, cloud_env, 1.5, call_timeout=0.2)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def call() -> None:
        barrier.wait()
        try:
            session.client("dynamodb").new_request(PING).send()
        except CallTimeoutError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    join_all(threads)
    assert len(errors) == 8
    _wait_loaded(session)
    assert container.count("credentials") == 1  # single flight, timeouts or not


def test_without_call_timeout_a_slow_load_is_waited_for(
        cloud_env: dict[str, str], container: FakeContainer, local_server: LocalServer) -> None:
    session = _slow_source(container, local_server, cloud_env, 0.3)
    session.client("dynamodb").new_request(PING).send()
    assert container.count("credentials") == 1 and len(local_server.requests) == 1


def test_the_adaptive_rate_limiter_wait_is_bounded_by_call_timeout(
        local_server: LocalServer) -> None:
    local_server.set_default(ok(b"{}"))
    session = make_session(local_server, retry_mode="adaptive", call_timeout=0.2)
    client = session.client("dynamodb")
    limiter = client._client_config.retry_policy.limiter  # type: ignore[attr-defined]
    for _ in range(3):  # throttled: the rate drops to its floor (0.5 sends/s), no tokens
        limiter.update(True)
    with pytest.raises(CallTimeoutError) as caught:
        client.new_request(PING).send()
    assert "rate limiter" in str(caught.value)
    assert caught.value.endpoint is not None and local_server.url in caught.value.endpoint
    assert local_server.requests == []


def test_try_acquire_never_sleeps_past_its_timeout() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = AdaptiveRateLimiter(clock=lambda: now[0], sleep=sleep)
    assert limiter.try_acquire(0.0)  # not limited yet: always a token
    limiter.update(True)
    limiter.update(True)
    rate = limiter.fill_rate
    assert not limiter.try_acquire(0.5 / rate)  # a token takes 1/rate s: not in time
    assert slept == []  # gave the time back at once
    assert limiter.try_acquire(2.0 / rate)  # in time: sleeps until the token is there
    assert 0 < sum(slept) <= 2.0 / rate
