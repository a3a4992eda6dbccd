"""Per-process rehydration of pickled sessions (hub/_rehydrate.py, docs/scaling.md).

An unpickled Session joins its process's family of the same identity (the pickled config and
handlers): one runtime (pools, quotas) and one credentials cache per identity, new Session
objects with copy-on-write builders, weakly held, empty in a forked child.
"""

from __future__ import annotations

import gc
import os
import pickle
import threading
import time
import weakref

import pytest

import hub
from hub import Config, Session
from hub import _rehydrate as rehydration
from hub.errors import ConfigError
from tests._scaling_support import CountingProvider
from tests._threads import join_all
from tests.reliability._support import PING
from tests.servers.local import LocalServer
from tests.servers.responses import ok


def _session(**settings: object) -> Session:
    return Session(Config(region="us-east-1", endpoint_url="http://127.0.0.1:9",
                          **settings))  # type: ignore[arg-type]


def _family_of(session: Session) -> dict[str, object]:
    runtime = session.snapshot.runtime
    return next(f for f in rehydration.families() if f["runtime"] is runtime)


def add_trace_header(request: object) -> None:
    """A module-level handler: it travels by its qualified name."""


def test_unpickled_copies_join_one_family_as_new_session_objects() -> None:
    sender = _session(credentials=CountingProvider())
    data = pickle.dumps(sender)
    a, b = pickle.loads(data), pickle.loads(data)
    assert a is not b and a is not sender
    assert a.snapshot is b.snapshot
    assert a.snapshot.runtime is b.snapshot.runtime is not sender.snapshot.runtime
    assert a.snapshot.credentials is b.snapshot.credentials
    assert _family_of(a)["rehydrations"] == 2
    # Re-pickling an unpickled copy (a nested task) keeps its identity.
    assert pickle.loads(pickle.dumps(a)).snapshot is a.snapshot
    # Credentials load once for the family, however many copies use them.
    loads = CountingProvider.loads
    for copy in (a, b, pickle.loads(data)):
        copy.snapshot.credentials.get()
    assert CountingProvider.loads == loads + 1


def test_update_on_one_copy_changes_only_that_copy() -> None:
    data = pickle.dumps(_session(read_timeout=7.0))
    a, b = pickle.loads(data), pickle.loads(data)
    a.update(Config(read_timeout=1.5))
    a.push_back("build", add_trace_header)
    assert a.config.read_timeout == 1.5 and b.config.read_timeout == 7.0
    assert b.handlers.build.names.count("add_trace_header") == 0
    assert pickle.loads(data).config.read_timeout == 7.0  # later unpickles: the family's base
    # Still one family: the edited copy keeps the runtime and credentials cache.
    assert a.snapshot.runtime is b.snapshot.runtime
    assert a.snapshot.credentials is b.snapshot.credentials


def test_identity_is_the_pickled_config_and_handlers() -> None:
    base = pickle.loads(pickle.dumps(_session()))
    same = pickle.loads(pickle.dumps(_session()))
    other_config = pickle.loads(pickle.dumps(_session(max_attempts=9)))
    edited = _session()
    edited.push_back("build", add_trace_header)
    other_handlers = pickle.loads(pickle.dumps(edited))
    assert same.snapshot.runtime is base.snapshot.runtime
    assert other_config.snapshot.runtime is not base.snapshot.runtime
    assert other_handlers.snapshot.runtime is not base.snapshot.runtime
    assert other_handlers.handlers.build.names[-1] == "add_trace_header"


def test_static_credentials_do_not_travel_unless_opted_in() -> None:
    key_a = hub.Credentials("AKIDAAAA", "secret-a-1234567890")
    key_b = hub.Credentials("AKIDBBBB", "secret-b-1234567890")
    a = pickle.dumps(_session(credentials=key_a))
    b = pickle.dumps(_session(credentials=key_b))
    assert b"secret-a" not in a and a == b  # dropped: both mean "the receiver's own chain"
    assert pickle.loads(a).config.credentials is None
    shipped_a = pickle.dumps(_session(credentials=key_a, pickle_credentials=True))
    shipped_b = pickle.dumps(_session(credentials=key_b, pickle_credentials=True))
    one, two = pickle.loads(shipped_a), pickle.loads(shipped_b)
    # Different shipped keys are different identities: never one cache for both.
    assert one.snapshot.credentials is not two.snapshot.credentials
    assert one.snapshot.credentials.get() == key_a and two.snapshot.credentials.get() == key_b


def test_handlers_plain_pickle_cannot_write_still_travel_without_joining() -> None:
    cloudpickle = pytest.importorskip("cloudpickle")  # installed with the test extra (Dask)
    session = _session()
    session.push_back("build", lambda request: None, name="inline")
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(session)
    data = cloudpickle.dumps(session)
    a, b = pickle.loads(data), pickle.loads(data)
    assert a.handlers.build.names[-1] == "inline"
    assert a.snapshot.runtime is not b.snapshot.runtime  # no identity: each builds its own


def test_worker_session_pins_the_family_for_tasks() -> None:
    sender = _session(max_attempts=4)
    installed = hub.worker_session(sender)
    task_copy = pickle.loads(pickle.dumps(sender))
    assert task_copy.snapshot is installed.snapshot
    again = hub.worker_session()
    assert again is not installed and again.snapshot is installed.snapshot
    again.update(Config(max_attempts=2))
    assert hub.worker_session().config.max_attempts == 4
    # Installing an unpickled copy is the same identity (its pickle is the original's).
    assert hub.worker_session(task_copy).snapshot is installed.snapshot
    assert _family_of(installed)["pinned"] is True
    with pytest.raises(TypeError, match="hub.Session"):
        hub.worker_session("session")  # type: ignore[arg-type]


def test_worker_session_without_one_installed_names_the_field(
        monkeypatch: pytest.MonkeyPatch) -> None:
    empty = rehydration._Table()
    monkeypatch.setattr(rehydration, "_TABLE", empty)
    with pytest.raises(ConfigError) as caught:
        hub.worker_session()
    assert caught.value.field == "session"


def test_families_are_weakly_held_after_the_keep_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [time.monotonic()]
    monkeypatch.setattr(rehydration._TABLE, "clock", lambda: now[0])
    data = pickle.dumps(_session(max_attempts=6, connect_timeout=3.0))
    copy = pickle.loads(data)
    runtime = weakref.ref(copy.snapshot.runtime)
    del copy
    gc.collect()
    # Within the keep-alive, a back-to-back task joins the same family.
    assert runtime() is not None
    joined = pickle.loads(data)
    assert joined.snapshot.runtime is runtime()
    del joined
    now[0] += rehydration.KEEP_ALIVE + 1
    gc.collect()  # the collector's callback releases expired keep-alives ...
    gc.collect()  # ... and the next collection frees the family's cycles
    assert runtime() is None
    assert all(f["runtime"] is not None for f in rehydration.families())


def test_family_outlives_its_base_snapshot_while_a_derived_copy_lives(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rehydration, "KEEP_ALIVE", 0.0)
    data = pickle.dumps(_session(max_attempts=8, read_timeout=4.0))
    first = pickle.loads(data)
    first.update(Config(read_timeout=2.0))  # the copy no longer points at the base snapshot
    gc.collect()
    gc.collect()
    later = pickle.loads(data)
    assert later.snapshot.runtime is first.snapshot.runtime
    assert later.snapshot.credentials is first.snapshot.credentials
    assert later.config.read_timeout == 4.0


def test_threads_unpickling_at_once_build_one_family() -> None:
    data = pickle.dumps(_session(max_attempts=5, read_timeout=9.0))
    seen: list[Session] = []
    start = threading.Barrier(8)

    def task() -> None:
        start.wait()
        seen.append(pickle.loads(data))

    threads = [threading.Thread(target=task) for _ in range(8)]
    for thread in threads:
        thread.start()
    join_all(threads)
    assert len({id(s.snapshot.runtime) for s in seen}) == 1
    assert len({id(s) for s in seen}) == 8


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_forked_child_starts_with_an_empty_table(local_server: LocalServer) -> None:
    local_server.set_default(ok(b"ok"))
    sender = Session(Config(region="us-east-1", endpoint_url=local_server.url,
                            credentials=hub.Credentials("AKIDFORK", "secret"),
                            pickle_credentials=True))
    data = pickle.dumps(sender)
    parent_copy = pickle.loads(data)
    hub.worker_session(sender)
    parent_copy.client("dynamodb").new_request(PING).send()
    parent_conn = local_server.requests[-1].connection_id
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read)
            assert rehydration.families() == []
            with pytest.raises(ConfigError):
                hub.worker_session()
            child_copy = pickle.loads(data)
            assert child_copy.snapshot.runtime is not parent_copy.snapshot.runtime
            child_copy.client("dynamodb").new_request(PING).send()
            code = 0
        finally:
            os.write(write, bytes([code]))
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        outcome = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert outcome == b"\x00" and os.waitstatus_to_exitcode(status) == 0
    assert local_server.requests[-1].connection_id != parent_conn
    parent_copy.client("dynamodb").new_request(PING).send()
    assert local_server.requests[-1].connection_id == parent_conn
