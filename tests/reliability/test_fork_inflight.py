"""Forks while hub's work is in flight in other threads: no child may hang (issue 9 §1).

Each scenario forks many times, with ``os.fork()`` and with fork-context
``multiprocessing.Pool`` workers, while other threads keep one kind of work in flight
(transport creation, session builders, a slow first credentials load, a refresh, client-config
resolution, requests). Every child then does its own work with the session it inherited: a new
transport and client config, a credentials load, requests to the local server, session edits.

A watchdog in the parent gives each child ``WATCHDOG`` seconds, then kills it and fails the
test. It detects hangs (a child blocked on a lock some dead thread held); it times nothing. A
hung child first dumps its stack (faulthandler), so the failure says where it hung.
"""

from __future__ import annotations

import contextlib
import dataclasses
import faulthandler
import gc
import importlib
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
import types
import weakref
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from multiprocessing.synchronize import Barrier as MPBarrier
from pathlib import Path
from typing import Any

import pytest
from urllib3.exceptions import InsecureRequestWarning

import hub
from hub import Config, Session
from hub import _forksafe as forksafe
from hub._forksafe import FORK_GUARD, at_fork_reinit
from hub._transport import TransportSettings
from hub.credentials import ProcessProvider
from tests.reliability._support import CREDENTIALS, PING
from tests.servers.fixtures import HTTPSServer
from tests.servers.local import LocalServer
from tests.servers.responses import ok

# Forking with threads running is the point (servers embedding hub do exactly that), so the
# 3.12+ warning about it is expected here, and only that warning is ignored.
pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only"),
    pytest.mark.filterwarnings(
        r"ignore:This process \(pid=\d+\) is multi-threaded, use of fork\(\) may lead to"
        r" deadlocks in the child:DeprecationWarning"
    ),
]

WATCHDOG = 30.0  # seconds one child (or one pool's tasks) may take before it counts as hung
FORKS = 30  # children per scenario: os.fork() calls, or pool workers (POOL_WORKERS per pool)
SLOW_FORKS = 20  # for scenarios whose every fork waits for a slow credentials load
POOL_WORKERS = 2
SLOW_LOAD = 0.05  # seconds a slow provider holds the credentials single-flight

_CHILD_PROCESS_KEYS = "AKIDPROCESS"


# -- running children under a watchdog ----------------------------------------------------------


def _arm_dump(file: Any) -> None:
    # A hung child writes where it hangs before the parent's watchdog kills it.
    faulthandler.dump_traceback_later(WATCHDOG * 0.8, exit=True, file=file)


def fork_child(work: Callable[[], None]) -> str:
    """Fork; the child runs ``work`` and exits. Returns "ok", "hang..." or the child's error."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            os.close(read_fd)
            with os.fdopen(write_fd, "w", closefd=False) as report:
                _arm_dump(report)
                try:
                    work()
                    code = 0
                except BaseException:  # noqa: BLE001 - reported to the parent by the pipe
                    report.write(traceback.format_exc()[-4000:])
        finally:
            os._exit(code)
    os.close(write_fd)
    try:
        deadline = time.monotonic() + WATCHDOG
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return "hang"
            time.sleep(0.002)
        if os.waitstatus_to_exitcode(status) == 0:
            return "ok"
        with os.fdopen(read_fd, "rb", closefd=False) as pipe:
            report = pipe.read().decode(errors="replace") or f"exit status {status}"
        return f"hang: {report}" if report.startswith("Timeout (") else report
    finally:
        os.close(read_fd)


_POOL_WORK: Callable[[], None] | None = None  # inherited by the pool's workers
_POOL_BARRIER: MPBarrier | None = None


def _pool_task(_: int) -> str:
    # One task per worker: each waits at the barrier until every worker has taken its task.
    assert _POOL_WORK is not None and _POOL_BARRIER is not None
    _arm_dump(sys.stderr)  # where a hung worker hangs, in the captured output
    try:
        _POOL_WORK()
        result = "ok"
    except BaseException:  # noqa: BLE001 - reported to the parent as the task's result
        result = traceback.format_exc()[-4000:]
    try:
        _POOL_BARRIER.wait(WATCHDOG)
    except threading.BrokenBarrierError:
        result = "another worker never got here"
    faulthandler.cancel_dump_traceback_later()
    return result


def pool_children(work: Callable[[], None]) -> list[str]:
    """Create a fork-context Pool now (threads running); every worker runs ``work``."""
    global _POOL_WORK, _POOL_BARRIER
    context = multiprocessing.get_context("fork")
    _POOL_WORK, _POOL_BARRIER = work, context.Barrier(POOL_WORKERS)
    try:
        with context.Pool(POOL_WORKERS) as pool:
            pending = pool.map_async(_pool_task, range(POOL_WORKERS), chunksize=1)
            try:
                return list(pending.get(timeout=WATCHDOG))
            except multiprocessing.TimeoutError:
                return ["hang"] * POOL_WORKERS  # the with-block terminates the workers
    finally:
        _POOL_WORK = _POOL_BARRIER = None


@contextlib.contextmanager
def busy(work: Callable[[int], object], threads: int = 2) -> Iterator[None]:
    """Keep ``work(i)`` running in ``threads`` threads (i increases) for the block's length."""
    stop = threading.Event()
    started = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def loop(index: int) -> None:
        started.wait()
        i = index * 10_000_000
        while not stop.is_set():
            try:
                work(i)
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                errors.append(exc)
                return
            i += 1

    workers = [threading.Thread(target=loop, args=(n,), daemon=True, name=f"busy-{n}")
               for n in range(threads)]
    for worker in workers:
        worker.start()
    started.wait(WATCHDOG)
    try:
        yield
    finally:
        stop.set()
        for worker in workers:
            worker.join(WATCHDOG)
    assert not [w.name for w in workers if w.is_alive()], "busy threads hung"
    assert not errors, errors


# -- what every child does ----------------------------------------------------------------------


def child_work(session: Session) -> None:
    """Use every lock a session family owns, from the child; raise on anything wrong."""
    pid = os.getpid()
    # A client config and a transport the parent never made: the snapshot's cache lock and
    # the transport registry's lock.
    fresh = session.client("dynamodb", Config(max_pool_connections=1000 + pid % 1_000_000,
                                              read_timeout=30.0 + pid % 1000))
    credentials = session.snapshot.credentials.get()  # the credentials single-flight
    assert credentials.access_key
    # Requests: pools (the parent's are dropped), retry quota, rate limiter (adaptive mode).
    for client in (session.client("dynamodb"), fresh):
        assert client.new_request(PING).send()["Body"] == b"ok"
    # Builders: the session's lock.
    session.update(Config(user_agent_extra=f"child/{pid}"))
    with session.edit() as editor:
        editor.update(Config(connect_timeout=5.0 + pid % 100))
    copy = session.copy(Config(read_timeout=61.0))
    for client in (session.client("dynamodb"), copy.client("dynamodb")):
        assert client.new_request(PING).send()["Body"] == b"ok"


def run_forks(prepare: Callable[[], tuple[Session, Callable[[], None]]], *, mode: str,
              count: int, child: Callable[[Session], None] = child_work) -> list[str]:
    """Fork ``count`` children (or pool workers) while work is in flight; return outcomes.

    ``prepare()`` runs in the parent before each fork (or pool) and returns the session the
    children use and a function the parent calls once they are done (to join what it
    started). Each child runs ``child(session)``.
    """
    outcomes: list[str] = []
    for _ in range(count if mode == "fork" else count // POOL_WORKERS):
        session, finish = prepare()

        def work(session: Session = session) -> None:
            child(session)

        try:
            if mode == "fork":
                outcomes.append(fork_child(work))
            else:
                outcomes.extend(pool_children(work))
        finally:
            finish()
        if outcomes[-1] != "ok":
            break  # one hang or failure is enough; the watchdog already waited for it
    return outcomes


def assert_all_ok(outcomes: list[str], count: int) -> None:
    failed = [o for o in outcomes if o != "ok"]
    assert not failed, f"{len(failed)} of {len(outcomes)} children failed: {failed[0]}"
    assert len(outcomes) == count


def _nothing() -> None:
    pass


def _session(server: LocalServer, **settings: Any) -> Session:
    server.set_default(ok(b"ok"))
    settings.setdefault("credentials", CREDENTIALS)
    return Session(Config(region="us-east-1", endpoint_url=server.url, **settings))


MODES = pytest.mark.parametrize("mode", ["fork", "pool"])


# -- the scenarios ------------------------------------------------------------------------------


@MODES
def test_fork_while_transports_are_created(local_server: LocalServer, mode: str) -> None:
    session = _session(local_server)
    registry = session.snapshot.transports
    base = TransportSettings.from_config(session.config)

    def create(i: int) -> None:
        # New settings every time: the registry's lock is held while each transport is built.
        registry.get(dataclasses.replace(base, max_pool_connections=10**8 + i))

    with busy(create, threads=1):
        outcomes = run_forks(lambda: (session, _nothing), mode=mode, count=FORKS)
    assert_all_ok(outcomes, FORKS)


@MODES
def test_fork_during_session_builders(local_server: LocalServer, mode: str) -> None:
    session = _session(local_server)

    def build(i: int) -> None:
        if i % 3 == 0:
            session.update(Config(read_timeout=1.0 + i % 97))
        elif i % 3 == 1:
            with session.edit() as editor:
                editor.update(Config(connect_timeout=1.0 + i % 89))
        else:
            session.copy(Config(read_timeout=2.0 + i % 83)).client("dynamodb")

    with busy(build):
        outcomes = run_forks(lambda: (session, _nothing), mode=mode, count=FORKS)
    assert_all_ok(outcomes, FORKS)


@MODES
def test_fork_during_client_config_resolution(local_server: LocalServer, mode: str) -> None:
    session = _session(local_server)

    def resolve(i: int) -> None:
        # A config never seen before: resolved, then added under the snapshot's cache lock.
        session.client("dynamodb", Config(read_timeout=1.0 + i))

    with busy(resolve):
        outcomes = run_forks(lambda: (session, _nothing), mode=mode, count=FORKS)
    assert_all_ok(outcomes, FORKS)


@MODES
def test_fork_during_requests(local_server: LocalServer, mode: str) -> None:
    session = _session(local_server, retry_mode="adaptive")

    def send(i: int) -> None:
        assert session.client("dynamodb").new_request(PING).send()["Body"] == b"ok"

    with busy(send):
        outcomes = run_forks(lambda: (session, _nothing), mode=mode, count=FORKS)
    assert_all_ok(outcomes, FORKS)


class SlowProvider:
    """Returns fixed credentials; every load after the first ``fast`` ones is slow.

    In the process that created it, a slow load holds the single-flight until ``release`` is
    set (after the forks: pool workers start one by one, and a load that finished before the
    last one would leave nothing in flight). Elsewhere it takes ``SLOW_LOAD`` seconds. Records
    the pid of each load, so a child can tell that it loaded for itself.
    """

    name = "slow-test-provider"

    def __init__(self, *, fast: int = 0, lifetime: float | None = None) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        self.pids: list[int] = []
        self._origin = os.getpid()
        self._fast = fast
        self._lifetime = lifetime

    def load(self) -> hub.Credentials:
        if len(self.pids) >= self._fast:
            self.started.set()
            if os.getpid() == self._origin:
                self.release.wait(WATCHDOG)
            else:
                time.sleep(SLOW_LOAD)
        self.pids.append(os.getpid())
        if self._lifetime is None:
            return CREDENTIALS
        expiry = datetime.now(timezone.utc) + timedelta(seconds=self._lifetime)
        return dataclasses.replace(CREDENTIALS, expiry=expiry)

    def finish_after(self, join: Callable[[], None]) -> Callable[[], None]:
        """What the parent runs after the forks: let its load finish, then join its thread."""
        def finish() -> None:
            self.release.set()
            join()

        return finish


def _start(target: Callable[[], object]) -> Callable[[], None]:
    """Run ``target`` in a thread; return a function joining it (bounded)."""
    thread = threading.Thread(target=target, daemon=True, name="in-flight")
    thread.start()

    def join() -> None:
        thread.join(WATCHDOG)
        assert not thread.is_alive(), "the parent's in-flight thread hung"

    return join


def _loaded_in_this_process(session: Session) -> None:
    child_work(session)
    provider = session.snapshot.credentials.provider
    assert isinstance(provider, SlowProvider)
    assert os.getpid() in provider.pids, "the child never loaded credentials itself"


@MODES
def test_fork_during_first_credentials_load(local_server: LocalServer, mode: str) -> None:
    def prepare() -> tuple[Session, Callable[[], None]]:
        provider = SlowProvider()
        session = _session(local_server, credentials=provider)
        join = _start(session.snapshot.credentials.get)
        assert provider.started.wait(WATCHDOG)  # the load is in flight, holding the flight
        return session, provider.finish_after(join)

    outcomes = run_forks(prepare, mode=mode, count=SLOW_FORKS, child=_loaded_in_this_process)
    assert_all_ok(outcomes, SLOW_FORKS)


@MODES
def test_fork_during_credentials_refresh(local_server: LocalServer, mode: str) -> None:
    lifetime = 0.4  # loaded credentials enter the mandatory window after half of it

    def prepare() -> tuple[Session, Callable[[], None]]:
        provider = SlowProvider(fast=1, lifetime=lifetime)
        session = _session(local_server, credentials=provider)
        cache = session.snapshot.credentials
        cache.get()  # the first, fast load
        time.sleep(lifetime / 2)  # now every get() must wait for a refresh
        join = _start(cache.get)
        assert provider.started.wait(WATCHDOG)  # the refresh is in flight
        return session, provider.finish_after(join)

    outcomes = run_forks(prepare, mode=mode, count=SLOW_FORKS, child=_loaded_in_this_process)
    assert_all_ok(outcomes, SLOW_FORKS)


@MODES
def test_fork_during_credential_process(local_server: LocalServer, tmp_path: Path,
                                        mode: str) -> None:
    # The command first writes started.<pid of the process running it>, so each process can
    # tell whether the command ran for it. Run for the parent, it then waits for started.go
    # (written after the forks), so the parent's load is in flight at every fork.
    script = tmp_path / "creds.sh"
    script.write_text(
        '#!/bin/sh\n: > "$1.$PPID"\n'
        'if [ "$PPID" = "$2" ]; then\n'
        '  n=0; while [ ! -e "$1.go" ] && [ $n -lt 3000 ]; do sleep 0.01; n=$((n+1)); done\n'
        'else\n  sleep 0.1\nfi\n'
        f'printf \'{{"Version": 1, "AccessKeyId": "{_CHILD_PROCESS_KEYS}",'
        ' "SecretAccessKey": "process-secret"}\'\n'
    )
    marker = tmp_path / "started"
    go = tmp_path / "started.go"

    def started(pid: int) -> Path:
        return tmp_path / f"started.{pid}"

    def prepare() -> tuple[Session, Callable[[], None]]:
        with contextlib.suppress(FileNotFoundError):
            go.unlink()
        provider = ProcessProvider(f"sh {script} {marker} {os.getpid()}", timeout=WATCHDOG)
        session = _session(local_server, credentials=provider)
        join = _start(session.snapshot.credentials.get)
        deadline = time.monotonic() + WATCHDOG
        while not started(os.getpid()).exists():  # the first load is in flight
            assert time.monotonic() < deadline, "credential_process never started"
            time.sleep(0.002)
        started(os.getpid()).unlink()

        def finish() -> None:
            go.touch()
            join()

        return session, finish

    def loaded_here(session: Session) -> None:
        child_work(session)
        assert session.snapshot.credentials.get().access_key == _CHILD_PROCESS_KEYS
        assert started(os.getpid()).exists(), "the child never ran credential_process itself"

    outcomes = run_forks(prepare, mode=mode, count=SLOW_FORKS, child=loaded_here)
    assert_all_ok(outcomes, SLOW_FORKS)


# -- every lock hub owns, held by another thread at the fork --------------------------------------

def _held_locks(session: Session) -> dict[str, Any]:
    config = session.client_config("dynamodb")
    policy: Any = config.retry_policy
    from hub import _transport

    return {
        "session": session._lock,
        "snapshot-cache": session.snapshot._cache_lock,
        "transport-registry": session.snapshot.transports._lock,
        "transport-origins": config.transport._origins_lock,
        "credentials-cache": session.snapshot.credentials._lock,
        "retry-quota": policy.quota._lock,
        "rate-limiter": policy.limiter._lock,
        "insecure-warning": _transport._insecure_lock,
    }


@pytest.mark.parametrize("name", ["session", "snapshot-cache", "transport-registry",
                                  "transport-origins", "credentials-cache", "retry-quota",
                                  "rate-limiter", "insecure-warning"])
def test_fork_while_another_thread_holds_each_lock(local_server: LocalServer,
                                                   https_server: HTTPSServer, name: str) -> None:
    # Deterministic: the lock is certainly held at the fork, by a thread the child lacks.
    session = _session(local_server, retry_mode="adaptive")
    session.client("dynamodb").new_request(PING).send()  # resolve and warm everything
    https_server.set_default(ok(b"ok"))
    insecure = session.copy(Config(endpoint_url=https_server.url, verify=False))
    with pytest.warns(InsecureRequestWarning):
        insecure.client("dynamodb").new_request(PING).send()
    session.snapshot.credentials.invalidate()  # the child must load (under the cache's lock)
    lock = _held_locks(session)[name]

    def child() -> None:
        child_work(session)
        session.close()  # takes the origins lock
        assert insecure.client("dynamodb").new_request(PING).send()["Body"] == b"ok"

    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            held.set()
            release.wait(WATCHDOG)

    join = _start(hold)
    assert held.wait(WATCHDOG)
    try:
        outcome = fork_child(child)
    finally:
        release.set()
        join()
    assert outcome == "ok", f"{name}: {outcome}"


# -- hub._forksafe itself ---------------------------------------------------------------------


class _Owner:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.resets = 0

    def reset(self) -> None:
        self.lock = threading.Lock()
        self.resets += 1


def test_at_fork_reinit_runs_in_the_child_and_holds_weakly() -> None:
    owner = at_fork_reinit(_Owner(), _Owner.reset)
    bound = at_fork_reinit(_Owner(), _Owner().reset)  # another object's method: kept as is
    same = _Owner()
    at_fork_reinit(same, same.reset)  # its own bound method: must not keep it alive
    tokens = [token for token, ref in forksafe._entries.items() if ref() is same]
    assert len(tokens) == 1 and forksafe.registered() >= 3
    same_ref = weakref.ref(same)
    del same
    gc.collect()
    assert same_ref() is None  # not kept alive by its registration ...
    assert tokens[0] not in forksafe._entries  # ... which went with it
    owner.lock.acquire()  # held by this thread: the child must still get a free lock

    def child() -> None:
        assert owner.resets == 1 and owner.lock.acquire(blocking=False)
        assert bound.resets == 0  # its reinit reset the other object

    assert fork_child(child) == "ok"
    assert owner.resets == 0 and owner.lock.locked()  # the parent is untouched
    owner.lock.release()


def test_a_fork_waits_for_threads_inside_the_fork_guard() -> None:
    inside, release = threading.Event(), threading.Event()
    order: list[str] = []

    def work() -> None:
        with FORK_GUARD:
            inside.set()
            release.wait(WATCHDOG)
            order.append("left the guard")

    join = _start(work)
    assert inside.wait(WATCHDOG)

    def release_once_the_fork_waits() -> None:
        deadline = time.monotonic() + WATCHDOG
        while not FORK_GUARD._forking and time.monotonic() < deadline:
            time.sleep(0.001)
        release.set()

    join_releaser = _start(release_once_the_fork_waits)
    try:
        outcome = fork_child(_nothing)
        order.append("forked")
    finally:
        release.set()
        join_releaser()
        join()
    assert outcome == "ok"
    assert order == ["left the guard", "forked"]
    with FORK_GUARD:  # usable again after the fork
        pass


_FORK_STARTED = threading.Event()
_FORK_STARTED_ARMED = False


def _note_fork_started() -> None:
    # Registered after hub's hooks, so it runs before them: the fork has begun.
    if _FORK_STARTED_ARMED:
        _FORK_STARTED.set()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_note_fork_started)


def _fork_while_importing(package: types.ModuleType, probe: str, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A thread imports ``package.probe`` (held mid-import) when a fork starts: the child must
    be able to import it (the fork waited for the import instead of inheriting its lock)."""
    global _FORK_STARTED_ARMED
    name = f"{package.__name__}.{probe}"
    channel = types.ModuleType("hub_fork_probe_channel")
    channel.started, channel.release = threading.Event(), threading.Event()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "hub_fork_probe_channel", channel)
    (tmp_path / f"{probe}.py").write_text(
        "import hub_fork_probe_channel as channel\n"
        "channel.started.set()\n"
        "channel.release.wait(30)\n"
        "READY = True\n"
    )
    monkeypatch.setattr(package, "__path__", [*package.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, name, raising=False)
    join_import = _start(lambda: importlib.import_module(name))
    assert channel.started.wait(WATCHDOG)  # type: ignore[attr-defined]

    def release_once_the_fork_started() -> None:
        _FORK_STARTED.wait(WATCHDOG)
        channel.release.set()  # type: ignore[attr-defined]

    def child() -> None:
        module = importlib.import_module(name)
        assert module.READY

    _FORK_STARTED.clear()
    _FORK_STARTED_ARMED = True
    join_releaser = _start(release_once_the_fork_started)
    try:
        outcome = fork_child(child)
    finally:
        _FORK_STARTED_ARMED = False
        channel.release.set()  # type: ignore[attr-defined]
        join_releaser()
        join_import()
    assert outcome == "ok", outcome
    monkeypatch.delitem(sys.modules, name)


def test_a_fork_waits_for_a_hub_module_being_imported(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # A thread is importing a hub module (its first use) when the fork starts. Without the
    # wait, the child would get the half-executed module and its import lock held for ever.
    _fork_while_importing(hub, "_fork_probe", tmp_path, monkeypatch)


def test_a_fork_waits_for_a_deferred_stdlib_module_being_imported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # hub imports some standard-library modules on first use (xml.etree at the first XML
    # body, ...: hub._forksafe.DEFERRED_IMPORTS); a fork waits for those imports as for hub's.
    import xml

    from hub._forksafe import DEFERRED_IMPORTS

    assert "xml" in DEFERRED_IMPORTS
    _fork_while_importing(xml, "_hub_fork_probe", tmp_path, monkeypatch)
