"""Per-process rehydration: an unpickled Session joins this process's family of its identity.

A :class:`~hub.Session` pickles as one opaque *payload*: the bytes of
``pickle.dumps((config, handlers))``, made once per snapshot, where the Config follows its
pickling rule (static credentials and proxy passwords are dropped unless
``Config.pickle_credentials`` is set; see ``docs/security.md``). Unpickling calls
:func:`rehydrate` with those bytes.

**Identity.** Two pickled sessions have the same identity when their payloads are the same
bytes: the same config fields as pickled (credentials only as the pickling rule ships them) and
the same handlers, each by its name and its function's module-qualified name (plus the state
of a handler object that pickles state). The payload bytes are the key of this process's
table; nothing else (no process id, no time) takes part.

**Families.** The first unpickle of an identity in a process builds a Session there (the
process's defaults resolved under the pickled config) and records its snapshot as the
family's base. Every later unpickle of the same identity returns a *new* Session object
pointing at that base snapshot, so all of them share the snapshot's credentials cache, the
runtime (transports, retry quotas, rate limiters) and the resolved client configs. Snapshots
are immutable: a builder (``update()``, handler edits) on one of these Sessions publishes a new
snapshot on that Session object only, still on the family's runtime (copy-on-write, exactly as
for :meth:`~hub.Session.copy`).

**Lifetime.** The table holds families weakly: a family lives while any Session, snapshot or
client of it is alive, plus a keep-alive: each unpickle holds its family strongly for
:data:`KEEP_ALIVE` seconds after the last unpickle, so back-to-back tasks in a worker that
each receive (and then drop) the session still share one pool and one credentials load.
Expired keep-alives are released at the next unpickle or garbage collection after the time
has passed; after that, a worker that dropped all its sessions frees their pools.
:func:`worker_session` pins a family for the life of the process instead.

**Fork.** A forked child starts with an empty table (see :mod:`hub._forksafe`): it never joins
the parent's families, whose sockets belong to the parent.
"""

from __future__ import annotations

import gc
import pickle
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hub._forksafe import at_fork_reinit
from hub.errors import ConfigError

if TYPE_CHECKING:
    from hub._runtime import Runtime
    from hub._session import Session
    from hub._snapshot import Snapshot
    from hub.credentials import CredentialsCache

__all__ = ["KEEP_ALIVE", "families", "payload_of", "rehydrate", "worker_session"]

#: Seconds an unpickled family stays strongly held after the last unpickle of its identity.
KEEP_ALIVE = 60.0

# Protocol 5 exists on every Python hub supports (3.8+), so payloads travel between versions.
_PROTOCOL = 5


class _Family:
    """One identity's shared state in this process: weak references plus what rebuilds a base."""

    __slots__ = ("payload", "table", "config", "handlers", "base", "runtime", "credentials",
                 "rehydrations", "__weakref__")

    def __init__(self, payload: bytes, snapshot: Snapshot, table: dict[bytes, _Family]) -> None:
        self.payload = payload
        self.table = table
        # Immutable values: kept so that a base snapshot can be rebuilt while the runtime
        # lives on in snapshots that sessions derived from it (update()).
        self.config = snapshot.config
        self.handlers = snapshot.handlers
        self.base: weakref.ref[Snapshot] = weakref.ref(snapshot)
        self.runtime: weakref.ref[Runtime] = weakref.ref(snapshot.runtime, self._runtime_died)
        self.credentials: weakref.ref[CredentialsCache] = weakref.ref(snapshot.credentials)
        self.rehydrations = 0

    def _runtime_died(self, _ref: object) -> None:
        # The last snapshot of the family is gone: forget it (only if it is still this entry).
        # The dict is the one it was added to (module globals may be gone at exit; a forked
        # child's table has a new dict).
        families = self.table
        if families.get(self.payload) is self:
            families.pop(self.payload, None)


class _Table:
    """The process's families; re-created empty in a forked child."""

    __slots__ = ("families", "recent", "pinned", "pinned_last", "next_sweep", "lock", "clock",
                 "__weakref__")

    def __init__(self) -> None:
        self.clock: Callable[[], float] = time.monotonic  # replaceable in tests
        self._reset()
        at_fork_reinit(self, _Table._reset)

    def _reset(self) -> None:
        # In a forked child: drop every reference to the parent's families (their transports
        # were reset by their own fork hooks; the child simply never joins them).
        self.families: dict[bytes, _Family] = {}
        self.recent: dict[bytes, tuple[Snapshot, float]] = {}
        self.pinned: dict[bytes, Snapshot] = {}
        self.pinned_last: bytes | None = None
        self.next_sweep = float("inf")
        self.lock = threading.Lock()


_TABLE = _Table()

# snapshot -> its payload: made once per snapshot when a session pickles, and recorded for
# the base snapshots built here, so that re-pickling an unpickled session keeps its identity.
_PAYLOADS: weakref.WeakKeyDictionary[Snapshot, bytes] = weakref.WeakKeyDictionary()


def payload_of(snapshot: Snapshot) -> bytes | None:
    """The pickled identity of ``snapshot``, or None when its handlers do not plain-pickle.

    Raises:
        TypeError: The config holds something that refuses to pickle (an ``EnvironmentProvider``
            built with an explicit mapping, say).
    """
    payload = _PAYLOADS.get(snapshot)
    if payload is not None:
        return payload
    try:
        payload = pickle.dumps((snapshot.config, snapshot.handlers), protocol=_PROTOCOL)
    except (pickle.PicklingError, AttributeError):
        # A lambda or closure among the handlers: the session still travels (the caller's
        # pickler, cloudpickle say, may handle it), but it cannot join a family.
        return None
    _PAYLOADS[snapshot] = payload
    return payload


def rehydrate(payload: bytes) -> Session:
    """Return a new Session on this process's family for ``payload`` (unpickling calls this).

    Args:
        payload: The bytes a Session pickled as (see the module docstring).

    Returns:
        A new Session object whose snapshot is the family's base snapshot.
    """
    table = _TABLE
    family = table.families.get(payload)
    snapshot = None
    if family is not None:
        snapshot = family.base()
        family.rehydrations += 1  # statistics only: a lost increment under a race is harmless
    if snapshot is None:
        snapshot = _join_slow(table, payload)
    now = table.clock()
    if now >= table.next_sweep:
        _sweep(table, now)
    until = now + KEEP_ALIVE
    table.recent[payload] = (snapshot, until)
    if until < table.next_sweep:
        table.next_sweep = until
    return _session_on()(snapshot)


def _session_on() -> Callable[[Snapshot], Session]:
    # hub._session imports this module: bind its constructor on first use, not per call (a
    # function-level import statement costs a lookup on every unpickle).
    global _SESSION_ON
    if _SESSION_ON is None:
        from hub._session import session_on

        _SESSION_ON = session_on
    return _SESSION_ON


_SESSION_ON: Callable[[Snapshot], Session] | None = None


def _join_slow(table: _Table, payload: bytes) -> Snapshot:
    with table.lock:
        family = table.families.get(payload)
        snapshot = family.base() if family is not None else None
        if snapshot is not None:
            return snapshot
        runtime = family.runtime() if family is not None else None
        if family is not None and runtime is not None:
            # The base snapshot died but sessions derived from it keep the runtime alive:
            # rebuild a base on that runtime (and on its credentials cache, if still alive).
            from hub._snapshot import Snapshot, credentials_cache

            credentials = family.credentials()
            snapshot = Snapshot(
                config=family.config,
                handlers=family.handlers,
                credentials=credentials if credentials is not None
                else credentials_cache(family.config),
                runtime=runtime,
                version=1,
            )
            family.base = weakref.ref(snapshot)
            family.credentials = weakref.ref(snapshot.credentials)
        else:
            from hub._session import Session

            config, handlers = pickle.loads(payload)
            snapshot = Session(config, handlers=handlers).snapshot
            family = _Family(payload, snapshot, table.families)
            family.rehydrations = 1
            table.families[payload] = family
        _PAYLOADS[snapshot] = payload
        return snapshot


def _sweep(table: _Table, now: float) -> None:
    # Release keep-alives that have run out. Dict copies and pops are atomic; a keep-alive
    # renewed by another thread meanwhile is at worst released early (then re-made).
    expired = [key for key, (_, until) in table.recent.copy().items() if until <= now]
    for key in expired:
        table.recent.pop(key, None)
    remaining = [until for _, until in table.recent.copy().values()]
    table.next_sweep = min(remaining) if remaining else float("inf")


def _on_gc(phase: str, _info: dict[str, Any], _table: _Table = _TABLE) -> None:
    # Runs after each garbage collection: cheap unless a keep-alive has run out. The default
    # binds the table (module globals may already be None while the interpreter exits).
    if phase == "stop" and _table.clock() >= _table.next_sweep:
        try:
            _sweep(_table, _table.clock())
        except Exception:  # noqa: BLE001 - never raise inside the garbage collector
            pass


gc.callbacks.append(_on_gc)


def worker_session(session: Session | None = None) -> Session:
    """Install ``session`` as this worker process's session, or return the one installed.

    For engines with a per-process setup hook (a Dask worker plugin's ``setup``,
    ``ProcessPoolExecutor(initializer=...)``, gunicorn's ``post_fork``): call it there with
    the session, then call it with no argument in each task or request. The session's family
    (its identity, see :doc:`/scaling`) is joined as an unpickle would join it, and pinned for
    the life of the process, so sessions unpickled later in tasks share the same pools and
    credentials cache. Each call returns a new Session object on the family's snapshot:
    builders such as ``update()`` on it change only that object (copy-on-write).

    Args:
        session: The session to install; None returns the one installed last.

    Returns:
        A new Session on this process's family for ``session`` (or for the installed one).

    Raises:
        ConfigError: No argument and none installed in this process (``field="session"``);
            a forked child starts with none.
        TypeError: ``session`` is not a :class:`~hub.Session`, or its config or handlers do
            not pickle.
    """
    from hub._session import Session, session_on

    table = _TABLE
    if session is None:
        key = table.pinned_last
        snapshot = table.pinned.get(key) if key is not None else None
        if snapshot is None:
            raise ConfigError(
                "no worker session in this process: call hub.worker_session(session) in the "
                "worker's setup hook first", field="session")
        return session_on(snapshot)
    if not isinstance(session, Session):
        raise TypeError(f"worker_session() takes a hub.Session, got {type(session).__name__}")
    payload = payload_of(session.snapshot)
    if payload is None:
        raise TypeError(
            "worker_session() needs a session whose handlers pickle (module-level functions "
            "or NamedHandlers of them, not lambdas or closures): its identity is its pickle")
    snapshot = rehydrate(payload).snapshot
    with table.lock:
        table.pinned[payload] = snapshot
        table.pinned_last = payload
    return session_on(snapshot)


def families() -> list[dict[str, Any]]:
    """This process's live families, for tests, benchmarks and diagnostics.

    Returns:
        One dict per family: ``rehydrations`` (unpickles and installs that joined it),
        ``pinned`` (installed by :func:`worker_session`), ``kept_alive``, ``transports``
        (the runtime's transports) and ``runtime`` (the Runtime, or None once collected).
    """
    table = _TABLE
    out = []
    for payload, family in table.families.copy().items():
        out.append({
            "rehydrations": family.rehydrations,
            "pinned": payload in table.pinned,
            "kept_alive": payload in table.recent,
            "runtime": family.runtime(),
            "transports": (rt.transports.transports()
                           if (rt := family.runtime()) is not None else ()),
        })
    return out
