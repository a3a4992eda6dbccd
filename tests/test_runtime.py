"""Session-family runtime state (issue 10 §6): retry quotas and adaptive rate limiters live in
one registry beside the snapshots, keyed by service and endpoint, not in a client-config cache
entry; it is shared by copies, separate between sessions, and usable in a forked child."""

from __future__ import annotations

import os

import pytest

import hub
from hub import Config, Session
from hub._runtime import Runtime
from hub._snapshot import MAX_CACHED_CLIENT_CONFIGS

LOCAL = Config(region="us-east-1", credentials=hub.Credentials("AKID", "SECRET"))


def _quota(session: Session, *configs: Config) -> hub.retry.RetryQuota:
    policy = session.client_config("dynamodb", *configs).retry_policy
    return policy.quota  # type: ignore[attr-defined,no-any-return]


def _noop(request: object) -> None:
    return None


def test_push_back_keeps_a_drained_quota() -> None:
    session = Session(LOCAL)
    quota = _quota(session)
    assert quota.acquire(quota.available)  # drained by a retry storm
    session.push_back("build", _noop, name="trace")  # a new snapshot
    session.update(Config(user_agent_extra="app/1"))
    assert _quota(session) is quota
    assert _quota(session).available == 0  # before: a fresh 500-token quota


def test_clients_past_the_config_cache_share_the_quota() -> None:
    session = Session(LOCAL)
    first = _quota(session)
    for i in range(MAX_CACHED_CLIENT_CONFIGS + 20):
        assert _quota(session, Config(user_agent_extra=f"c{i}")) is first
    assert len(session.snapshot.client_configs) <= MAX_CACHED_CLIENT_CONFIGS


def test_quota_is_keyed_by_service_and_endpoint_not_by_retry_settings() -> None:
    session = Session(LOCAL)
    base = _quota(session)
    assert _quota(session, Config(max_attempts=7)) is base
    assert _quota(session, Config(retry_mode="adaptive")) is base
    assert _quota(session, Config(region="eu-west-1")) is not base  # another endpoint
    assert session.client_config("s3").retry_policy.quota is not base  # type: ignore[attr-defined]


def test_copies_share_the_runtime_and_new_sessions_do_not() -> None:
    session = Session(LOCAL)
    copy = session.copy(Config(read_timeout=3))
    assert copy.snapshot.runtime is session.snapshot.runtime
    assert _quota(copy) is _quota(session)
    assert _quota(Session(LOCAL)) is not _quota(session)


def test_adaptive_rate_limiter_is_shared_like_the_quota() -> None:
    session = Session(LOCAL, Config(retry_mode="adaptive"))
    limiter = session.client_config("dynamodb").retry_policy.limiter  # type: ignore[attr-defined]
    limiter.update(True)  # a throttle turns limiting on
    session.push_back("build", _noop, name="trace")
    again = session.client_config("dynamodb", Config(max_attempts=5)).retry_policy
    assert again.limiter is limiter and limiter.enabled  # type: ignore[attr-defined]


def test_policies_are_built_once_per_key() -> None:
    runtime = Runtime()
    one = runtime.retry_policy("s3", "https://x", "standard", 3)
    assert runtime.retry_policy("s3", "https://x", "standard", 3) is one
    assert runtime.retry_policy("s3", "https://x", "standard", 4) is not one
    with pytest.raises(hub.errors.ConfigError) as caught:
        runtime.retry_policy("s3", "https://x", "legacy", 3)
    assert caught.value.field == "retry_mode"


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_forked_child_can_use_a_runtime_whose_lock_was_held() -> None:
    session = Session(LOCAL)
    runtime = session.snapshot.runtime
    with runtime._lock:  # held at the fork, as by another thread adding an entry
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                quota = runtime.retry_quota("sqs", "https://new.example")
                code = 0 if quota.available == quota.capacity else 2
            finally:
                os._exit(code)
    deadline_status = _wait(pid)
    assert deadline_status == 0


def _wait(pid: int, timeout: float = 30.0) -> int:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    raise AssertionError("the forked child hung on the runtime's lock")
