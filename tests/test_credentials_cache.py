"""CredentialsCache: lock-free reads, single-flight loads, the refresh windows, invalidate."""

from __future__ import annotations

import logging
import sys
import textwrap
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from hub.credentials import (
    Credentials,
    CredentialsCache,
    RefreshableProvider,
    SharedConfigProvider,
    StaticProvider,
)
from hub.errors import (
    ConfigError,
    CredentialProviderError,
    CredentialRefreshError,
    CredentialsError,
    NoCredentialsError,
)
from tests._threads import join_all

UTC = timezone.utc  # datetime.UTC is 3.11+
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzCACHEzSECRET"
TOKEN = "FwoGZXIvYXdzEJr//////////CACHEzTOKEN"
THREADS = 64
T0 = 1_900_000_000.0  # the fake clock's start (2030-03-17)
WAIT = 10.0  # generous upper bound for anything that should happen "at once"


class Clock:
    """An injectable clock: time only moves when a test says so."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def expiring(at: float, key: str = "AKIDTEMP") -> Credentials:
    return Credentials(key, SECRET, TOKEN, datetime.fromtimestamp(at, UTC))


class Source:
    """A provider whose next results are scripted; counts load() calls thread-safely."""

    name = "scripted"

    def __init__(self, *results: Credentials | Exception | None) -> None:
        self.results = list(results)
        self.loads = 0
        self.gate: threading.Event | None = None  # when set, load() waits for it
        self.started = threading.Event()
        self._lock = threading.Lock()

    def load(self) -> Credentials | None:
        with self._lock:
            self.loads += 1
            result = self.results.pop(0) if len(self.results) > 1 else self.results[0]
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(WAIT), "test never opened the gate"
        if isinstance(result, Exception):
            raise result
        return result


def storm(
    fn: Callable[[], Credentials],
    threads: int = THREADS,
    *,
    then: Callable[[], None] | None = None,
) -> list[Credentials | BaseException]:
    """Call fn from many threads released at once by a barrier; return results in order.

    ``then`` runs shortly after every thread is about to call ``fn`` (to open a gate once all
    callers are queued behind a load, whatever the machine's load).
    """
    barrier = threading.Barrier(threads)
    results: list[Credentials | BaseException | None] = [None] * threads
    arrived = [0]
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        with lock:
            arrived[0] += 1
            last = arrived[0] == threads
        if last and then is not None:
            threading.Timer(0.1, then).start()
        try:
            results[i] = fn()
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    join_all(workers, WAIT)  # fails naming any caller that never returned
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


# -- basics --------------------------------------------------------------------------------------


def test_static_credentials_load_once_and_never_refresh() -> None:
    creds = Credentials("AKIDSTATIC", SECRET)
    source = Source(creds)
    clock = Clock()
    cache = CredentialsCache(source, clock=clock)
    assert cache.peek() is None
    assert cache.get() is creds
    clock.now += 10 * 365 * 86400
    assert cache.get() is creds
    assert source.loads == 1
    assert cache.peek() is creds


def test_accepts_credentials_value() -> None:
    creds = Credentials("AKIDVALUE", SECRET)
    cache = CredentialsCache(creds)
    assert isinstance(cache.provider, StaticProvider)
    assert cache.get() is creds


def test_fast_path_takes_no_lock() -> None:
    class NoLock:
        def __enter__(self) -> None:
            raise AssertionError("the lock was taken on the read path")

        def __exit__(self, *exc: object) -> None:
            pass

    clock = Clock()
    cache = CredentialsCache(Source(expiring(T0 + 3600)), clock=clock)
    first = cache.get()
    cache._lock = NoLock()  # type: ignore[assignment]
    for _ in range(1000):
        assert cache.get() is first
    clock.now = T0 + 3600 - 900 + 1  # advisory window: the slow path needs the lock
    with pytest.raises(AssertionError, match="read path"):
        cache.get()


@pytest.mark.parametrize(("advisory", "mandatory"), [(10.0, 20.0), (900.0, -1.0)])
def test_bad_windows(advisory: float, mandatory: float) -> None:
    with pytest.raises(ConfigError):
        CredentialsCache(Source(None), advisory_refresh=advisory, mandatory_refresh=mandatory)


def test_rejects_non_provider() -> None:
    with pytest.raises(ConfigError):
        CredentialsCache(object())  # type: ignore[arg-type]


def test_provider_returning_none_or_junk() -> None:
    with pytest.raises(NoCredentialsError) as info:
        CredentialsCache(Source(None)).get()
    assert info.value.tried == ("scripted",)
    with pytest.raises(CredentialProviderError, match="returned str"):
        CredentialsCache(Source("AKID")).get()  # type: ignore[arg-type]


def test_already_expired_credentials_are_an_error() -> None:
    clock = Clock()
    cache = CredentialsCache(Source(expiring(T0 - 1)), clock=clock)
    with pytest.raises(CredentialProviderError, match="expired at"):
        cache.get()


def test_repr_hides_secrets() -> None:
    clock = Clock()
    cache = CredentialsCache(Source(expiring(T0 + 3600)), clock=clock)
    assert repr(cache) == "CredentialsCache(provider='scripted', empty)"
    cache.get()
    text = repr(cache)
    assert text.startswith("CredentialsCache(provider='scripted', expires 2030-")
    assert SECRET not in text and TOKEN not in text
    assert SECRET not in str(cache)


# -- single-flight first load ---------------------------------------------------------------------


def test_cold_storm_loads_exactly_once() -> None:
    source = Source(expiring(T0 + 3600))
    source.gate = threading.Event()
    cache = CredentialsCache(source, clock=Clock())
    # Hold the load until every thread has piled up behind it.
    results = storm(cache.get, then=source.gate.set)
    assert source.loads == 1
    assert all(r is results[0] for r in results)
    assert isinstance(results[0], Credentials)


def test_cold_storm_failure_reaches_every_waiter_then_retries() -> None:
    boom = CredentialProviderError("scripted", "broken file")
    good = expiring(T0 + 3600)
    source = Source(boom, good)
    source.gate = threading.Event()
    cache = CredentialsCache(source, clock=Clock())
    results = storm(cache.get, then=source.gate.set)
    assert source.loads == 1
    assert all(r is boom for r in results)  # the provider's own error, to all waiters
    assert cache.get() is good  # the next get() tries again
    assert source.loads == 2


def test_cold_storm_runs_credential_process_once(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    script = tmp_path / "helper.py"
    payload = {
        "Version": 1,
        "AccessKeyId": "AKIDPROC",
        "SecretAccessKey": SECRET,
        "SessionToken": TOKEN,
        "Expiration": "2099-01-01T00:00:00Z",
    }
    script.write_text(
        textwrap.dedent(
            f"""
            import json, time
            with open({str(runs)!r}, "a") as f:
                f.write("run\\n")
            time.sleep(0.3)
            print(json.dumps({payload!r}))
            """
        )
    )
    config = tmp_path / "config"
    config.write_text(f'[profile p]\ncredential_process = "{sys.executable}" "{script}"\n')
    cache = CredentialsCache(SharedConfigProvider("p", config))
    results = storm(cache.get)
    assert runs.read_text().splitlines() == ["run"]
    assert all(r is results[0] for r in results)
    first = results[0]
    assert isinstance(first, Credentials) and first.access_key == "AKIDPROC"
    assert first.secret_key == SECRET


# -- advisory window -----------------------------------------------------------------------------


def test_advisory_storm_refreshes_once_without_blocking_others() -> None:
    clock = Clock()
    old, new = expiring(T0 + 3600, "AKIDOLD"), expiring(T0 + 7200, "AKIDNEW")
    source = Source(old, new)
    cache = CredentialsCache(source, clock=clock)
    assert cache.get() is old
    clock.now = T0 + 3600 - 899  # inside the advisory window (900 s), outside the mandatory one
    source.gate = threading.Event()
    source.started.clear()
    returned = threading.Semaphore(0)

    def get() -> Credentials:
        creds = cache.get()
        returned.release()
        return creds

    def open_gate_when_others_returned() -> None:
        # The refresh stays blocked until 63 callers have returned: they cannot have waited.
        for _ in range(THREADS - 1):
            assert returned.acquire(timeout=WAIT), "a caller blocked behind the refresh"
        assert source.gate is not None
        source.gate.set()

    opener = threading.Thread(target=open_gate_when_others_returned)
    opener.start()
    results = storm(get)
    join_all([opener], WAIT)
    assert source.loads == 2  # the first load and exactly one refresh
    assert sum(r is new for r in results) == 1  # the refreshing thread
    assert sum(r is old for r in results) == THREADS - 1  # still valid, served at once
    assert cache.get() is new


def test_advisory_refresh_failure_keeps_serving(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    old = expiring(T0 + 3600)
    source = Source(old, RuntimeError(f"leaky {SECRET}"), expiring(T0 + 7200, "AKIDNEW"))
    cache = CredentialsCache(source, clock=clock)
    cache.get()
    clock.now = T0 + 3600 - 800
    with caplog.at_level(logging.WARNING, logger="hub.credentials"):
        assert cache.get() is old  # the refresh failed; the current ones are still good
    assert source.loads == 2
    assert "still using the current ones" in caplog.text
    assert SECRET not in caplog.text and TOKEN not in caplog.text
    # Not retried on every call: backed off for 30 s.
    clock.now += 29
    assert cache.get() is old
    assert source.loads == 2
    clock.now += 2
    assert cache.get().access_key == "AKIDNEW"
    assert source.loads == 3


def test_advisory_backoff_never_passes_the_mandatory_window() -> None:
    clock = Clock()
    source = Source(expiring(T0 + 3600), CredentialProviderError("scripted", "down"))
    cache = CredentialsCache(source, clock=clock)
    cache.get()
    clock.now = T0 + 3600 - 610  # 10 s before the mandatory window
    cache.get()
    clock.now += 10
    with pytest.raises(CredentialRefreshError):
        cache.get()
    assert source.loads == 3


# -- mandatory window ----------------------------------------------------------------------------


def test_mandatory_storm_blocks_for_one_refresh() -> None:
    clock = Clock()
    old, new = expiring(T0 + 3600, "AKIDOLD"), expiring(T0 + 7200, "AKIDNEW")
    source = Source(old, new)
    cache = CredentialsCache(source, clock=clock)
    cache.get()
    clock.now = T0 + 3600 - 599  # inside the mandatory window, not yet expired
    source.gate = threading.Event()
    returned = threading.Event()

    def get() -> Credentials:
        creds = cache.get()
        returned.set()
        return creds

    def check_blocked_then_open() -> None:
        assert source.started.wait(WAIT)
        assert not returned.wait(0.2), "a caller got the old credentials in the mandatory window"
        assert source.gate is not None
        source.gate.set()

    checker = threading.Thread(target=check_blocked_then_open)
    source.started.clear()
    checker.start()
    results = storm(get)
    join_all([checker], WAIT)
    assert source.loads == 2
    assert all(r is new for r in results)


def test_mandatory_refresh_failure_raises_to_everyone_then_retries() -> None:
    clock = Clock()
    cause = CredentialProviderError("scripted", "endpoint down")
    new = expiring(T0 + 7200, "AKIDNEW")
    source = Source(expiring(T0 + 3600), cause, new)
    cache = CredentialsCache(source, clock=clock)
    cache.get()
    clock.now = T0 + 3600 + 5  # already expired
    source.gate = threading.Event()
    results = storm(cache.get, then=source.gate.set)
    assert source.loads == 2
    assert all(isinstance(r, CredentialRefreshError) for r in results)
    error = results[0]
    assert isinstance(error, CredentialRefreshError) and error.__cause__ is cause
    assert all(r is error for r in results)
    assert "scripted: endpoint down" in str(error)
    assert cache.get() is new  # the next get() tries again
    assert source.loads == 3


def test_mandatory_failure_does_not_quote_foreign_errors() -> None:
    clock = Clock()
    source = Source(expiring(T0 + 3600), ValueError(f"token {TOKEN}"))
    cache = CredentialsCache(RefreshableProvider(source.load, name="sts"), clock=clock)
    cache.get()
    clock.now = T0 + 3600 - 10
    with pytest.raises(CredentialRefreshError) as info:
        cache.get()
    assert str(info.value) == (
        "refreshing credentials from sts failed: sts: fetching credentials raised ValueError"
    )
    assert TOKEN not in str(info.value) and SECRET not in repr(info.value)
    assert isinstance(info.value, CredentialsError)


def test_short_lived_credentials_do_not_refresh_on_every_call() -> None:
    clock = Clock()
    source = Source(expiring(T0 + 300, "AKIDSHORT"))  # shorter than both windows
    cache = CredentialsCache(source, clock=clock)
    cache.get()
    for _ in range(100):
        cache.get()
    assert source.loads == 1
    clock.now = T0 + 76  # a quarter of the life: advisory refresh by this caller
    cache.get()
    assert source.loads == 2


# -- invalidate ----------------------------------------------------------------------------------


def test_invalidate_forces_a_reload() -> None:
    first, second = Credentials("AKIDONE", SECRET), Credentials("AKIDTWO", SECRET)
    source = Source(first, second)
    cache = CredentialsCache(source)
    assert cache.get() is first
    cache.invalidate()
    assert cache.peek() is None
    assert cache.get() is second
    assert source.loads == 2


def test_invalidate_with_stale_credentials_collapses_to_one_reload() -> None:
    first, second = Credentials("AKIDONE", SECRET), Credentials("AKIDTWO", SECRET)
    source = Source(first, second)
    cache = CredentialsCache(source)
    rejected = cache.get()
    cache.invalidate(rejected)
    assert cache.get() is second
    for _ in range(10):  # other threads that saw the same ExpiredToken
        cache.invalidate(rejected)
    assert cache.get() is second
    assert source.loads == 2


def test_invalidate_storm_reloads_once() -> None:
    source = Source(Credentials("AKIDONE", SECRET), Credentials("AKIDTWO", SECRET))
    cache = CredentialsCache(source)
    rejected = cache.get()

    def rejected_then_get() -> Credentials:
        cache.invalidate(rejected)
        return cache.get()

    results = storm(rejected_then_get)
    assert source.loads == 2
    assert all(isinstance(r, Credentials) and r.access_key == "AKIDTWO" for r in results)


def test_interrupted_load_completes_the_flight() -> None:
    class Interrupting:
        name = "interrupting"

        def __init__(self) -> None:
            self.calls = 0

        def load(self) -> Credentials:
            self.calls += 1
            if self.calls == 1:
                raise KeyboardInterrupt
            return Credentials("AKIDAFTER", SECRET)

    cache = CredentialsCache(Interrupting())
    with pytest.raises(KeyboardInterrupt):
        cache.get()
    assert cache.get().access_key == "AKIDAFTER"  # not stuck behind a dead flight


def test_the_provider_check_is_remembered_per_class_only_when_the_class_decides() -> None:
    import types

    from hub.credentials import CredentialProvider, _values

    class ClassLevel:
        name = "class-level"

        def load(self) -> Credentials:
            return Credentials("a", "b")

    class Slotted:  # ``name`` is a slot: an instance may not have set it
        __slots__ = ("name",)

        def load(self) -> Credentials:
            return Credentials("a", "b")

    assert _values.is_provider(ClassLevel()) and ClassLevel in _values._PROVIDER_CLASSES
    assert CredentialsCache(ClassLevel()).get() == Credentials("a", "b")
    per_instance = types.SimpleNamespace(name="ns", load=lambda: Credentials("a", "b"))
    assert _values.is_provider(per_instance)
    assert types.SimpleNamespace not in _values._PROVIDER_CLASSES
    assert not _values.is_provider(types.SimpleNamespace(name="ns"))  # no load: refused
    named = Slotted()
    named.name = "slotted"
    assert _values.is_provider(named) and Slotted not in _values._PROVIDER_CLASSES
    # Same class, no name set: the answer is typing's own (refused up to 3.11; 3.12+ checks
    # attributes statically and sees the slot), and the class is still not remembered.
    assert _values.is_provider(Slotted()) == isinstance(Slotted(), CredentialProvider)
    assert Slotted not in _values._PROVIDER_CLASSES
    with pytest.raises(ConfigError, match="not a credential provider"):
        CredentialsCache(types.SimpleNamespace(name="ns"))  # type: ignore[arg-type]


def test_hubs_own_provider_classes_are_known_without_asking_typing() -> None:
    import importlib
    import types

    from hub.credentials import _values

    for module in ("_assume_role", "_chain", "_container", "_imds", "_process", "_providers",
                   "_sso", "_web_identity"):
        importlib.import_module(f"hub.credentials.{module}")
    known = {cls.__name__ for cls in _values._PROVIDER_CLASSES}
    assert {"StaticProvider", "ChainProvider", "EnvironmentProvider", "SharedConfigProvider",
            "SharedCredentialsProvider", "ProcessProvider", "ContainerProvider",
            "InstanceMetadataProvider", "SSOProvider", "WebIdentityProvider",
            "AssumeRoleProvider", "CredentialProcessProvider"} <= known
    for cls in _values._PROVIDER_CLASSES:  # what remembering a class relies on
        name, load = getattr(cls, "name", None), getattr(cls, "load", None)
        assert name is not None and callable(load), cls
        assert not isinstance(name, types.MemberDescriptorType), cls
