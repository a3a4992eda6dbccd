"""Fork safety: re-create hub's locks and in-flight markers in a forked child.

``os.fork()`` copies only the calling thread. A lock held by any other thread at that moment
stays held for ever in the child, and a load that another thread had in flight never finishes
there. The rule in hub: every ``threading`` lock, condition, event, in-flight marker and pool
that hub owns is re-created in a forked child, either by registering its owner here::

    self._lock = threading.Lock()
    at_fork_reinit(self, _Owner._reset_lock)   # a function of the object, not a closure on it

or, for module-level state, by a module-level ``os.register_at_fork`` hook documented in that
module. See ``docs/internals.md`` ("Fork safety").

Locks hub does not own can be left held too, so a fork also waits for two kinds of work:

- OpenSSL 3 takes internal locks while it loads a CA bundle (with the GIL released), and a
  child forked in the middle hangs in its first hash or TLS call. Such work runs inside
  ``with FORK_GUARD:``; a fork waits (bounded) until no thread is inside.
- hub imports some modules on first use (its own, and the standard-library modules listed in
  :data:`DEFERRED_IMPORTS`). A thread in the middle of such an import holds that module's
  import lock and leaves it half-executed: a child forked then would hang on its first use.
  A fork first waits for those imports to finish.

The registry itself takes no lock (single dict operations are atomic), so it has nothing of
its own that a fork could leave held, and it is safe to use in the child while it runs.
"""

from __future__ import annotations

import _imp
import importlib
import importlib._bootstrap
import itertools
import os
import sys
import threading
import types
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

__all__ = ["DEFERRED_IMPORTS", "FORK_GUARD", "at_fork_reinit"]

#: Modules (and their submodules) that hub may import after startup, on first use: its own,
#: and the standard-library modules it keeps out of ``import hub`` and client creation. A
#: fork waits for an import of one of them in flight (and a forked child drops the import
#: locks of those that a vanished thread held).
DEFERRED_IMPORTS = ("hub", "xml", "uuid", "decimal", "configparser", "subprocess", "shlex",
                    "urllib.request", "platform", "pickle", "calendar", "locale")


_WATCHED_PACKAGES = tuple(f"{name}." for name in DEFERRED_IMPORTS)


def _watched(name: str) -> bool:
    return name in DEFERRED_IMPORTS or name.startswith(_WATCHED_PACKAGES)


T = TypeVar("T")


class _Ref(weakref.ref):  # type: ignore[type-arg]
    """A weak reference that also carries its registration (no closure per object)."""

    __slots__ = ("token", "reinit")
    token: int
    reinit: Callable[[Any], None]


# token -> registration. Tokens increase, so the child runs the reinits in registration order
# (an owner registered before its parts is reset first).
_entries: dict[int, _Ref] = {}
_tokens = itertools.count()


def _forget(ref: _Ref) -> None:
    # Only pops (atomic, no lock): it may run inside the garbage collector, in any thread,
    # even while that thread is in the middle of at_fork_reinit().
    _entries.pop(ref.token, None)


def at_fork_reinit(obj: T, reinit: Callable[[T], None]) -> T:
    """Register ``obj`` (held weakly): after ``os.fork()``, in the child, call ``reinit(obj)``.

    Used for every lock, in-flight marker and pool that hub owns. ``reinit`` runs in the child
    only, with one thread, before ``os.fork()`` returns there; it must not take a lock that
    another thread of the parent may have held, and should only replace state (a new lock, no
    flight in progress). Registrations are dropped when ``obj`` is garbage-collected. On
    platforms without ``os.register_at_fork`` (no ``fork``), nothing is registered.

    Args:
        obj: The owner of the state; must support weak references.
        reinit: Called with ``obj`` in the child. It must not itself refer to ``obj`` (that
            would keep ``obj`` alive); a method bound to ``obj`` is unbound here for that
            reason.

    Returns:
        ``obj``, so that a constructor can register and assign in one expression.

    Raises:
        TypeError: ``obj`` cannot be weakly referenced.
    """
    if not _SUPPORTED:
        return obj
    if isinstance(reinit, types.MethodType) and reinit.__self__ is obj:
        reinit = reinit.__func__  # a bound method would hold obj strongly
    ref = _Ref(obj, _forget)
    ref.token = token = next(_tokens)
    ref.reinit = reinit
    _entries[token] = ref
    return obj


def registered() -> int:
    """How many live registrations there are (for tests)."""
    return len(_entries)


class ForkGuard:
    """``with FORK_GUARD:`` marks work that a fork must not cut in half; threads run it at once.

    ``os.fork()`` waits until no thread is inside (at most ``wait`` seconds, then it forks
    anyway), and threads that arrive meanwhile wait until the fork is done (at most ``wait``
    seconds too). Meant for short work that holds locks hub cannot re-create (OpenSSL's,
    while a CA bundle is loaded), not for I/O that can block.

    Args:
        wait: The longest a fork waits for the threads inside, and a thread for a fork, in
            seconds.
    """

    __slots__ = ("_cond", "_forking", "_inside", "_wait", "__weakref__")

    def __init__(self, wait: float = 10.0) -> None:
        self._wait = wait
        self._reset()
        at_fork_reinit(self, ForkGuard._reset)

    def _reset(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._inside = 0
        self._forking = 0

    def __enter__(self) -> None:
        with self._cond:
            # Bounded too: a fork waiting for something this thread must finish first (an
            # import, see _finish_imports) stalls for ``wait`` seconds instead of deadlocking.
            self._cond.wait_for(lambda: not self._forking, timeout=self._wait)
            self._inside += 1

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        with self._cond:
            self._inside = max(0, self._inside - 1)  # 0 after a fork from inside
            if not self._inside:
                self._cond.notify_all()

    def _before_fork(self) -> None:
        with self._cond:
            self._forking += 1
            self._cond.wait_for(lambda: not self._inside, timeout=self._wait)

    def _after_fork_in_parent(self) -> None:
        with self._cond:
            self._forking -= 1
            self._cond.notify_all()


def _after_fork_in_child() -> None:
    # One thread only here. dict.copy() is atomic; entries whose object died are skipped.
    errors: list[BaseException] = []
    for ref in _entries.copy().values():
        obj = ref()
        if obj is None:
            continue
        try:
            ref.reinit(obj)
        except Exception as exc:  # noqa: BLE001 - one failing reinit must not skip the rest
            errors.append(exc)
    if errors:
        # CPython reports an exception raised by an at-fork hook as unraisable, then goes on.
        raise errors[0]


_holding_import_lock = False


def _hub_imports_in_progress() -> list[str]:
    # Modules whose code is running (in sys.modules, marked initializing), and modules whose
    # import lock another thread holds while it looks for them (not in sys.modules yet; the
    # lock table is importlib's own, unchanged from 3.10 to 3.13; skipped if it goes away).
    names = [name for name, module in list(sys.modules.items())
             if _watched(name)
             and getattr(getattr(module, "__spec__", None), "_initializing", False)]
    me = threading.get_ident()
    locks: dict[str, Any] = getattr(importlib._bootstrap, "_module_locks", {})
    for name, ref in list(locks.items()):
        if _watched(name):
            lock = ref()
            owner = getattr(lock, "owner", None)
            if owner is not None and owner != me and name not in names:
                names.append(name)
    return names


def _finish_imports() -> None:
    # Importing a module that another thread is importing waits on its import lock until that
    # import is done (importlib breaks a would-be deadlock by raising at once). The fork then
    # happens holding the global import lock (CPython takes it too, after the hooks), so no
    # other thread can start importing a module meanwhile: it would need that lock to find the
    # module. It cannot be held while waiting: the modules being imported may import others.
    # Only the modules hub imports on first use (DEFERRED_IMPORTS) are waited for.
    global _holding_import_lock
    for _ in range(100):
        _imp.acquire_lock()
        pending = _hub_imports_in_progress()
        if not pending:
            _holding_import_lock = True
            return
        _imp.release_lock()
        for name in pending:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - best effort: the fork must go on
                pass


def _release_import_lock() -> None:
    # After the fork, in the parent and in the child (where CPython has made the lock the
    # surviving thread's, at the depth held before the fork).
    global _holding_import_lock
    if _holding_import_lock:
        _holding_import_lock = False
        _imp.release_lock()


def _forget_orphaned_hub_imports() -> None:
    # The wait in _finish_imports has a window: a thread that looked up a module's lock before
    # the check can still take it (that needs no global lock) before the fork. In the child
    # that thread is gone and the lock would never be released: the child's first import of
    # that module would hang. Drop such locks and the half-run modules they guarded, so the
    # child imports them afresh. Only DEFERRED_IMPORTS, which hub knows are safe to re-run.
    locks: Any = getattr(importlib._bootstrap, "_module_locks", None)
    if not isinstance(locks, dict):
        return
    # A lock whose owner is None may still be unusable: its internal locks can have been held
    # mid-acquire by a thread that is gone. The child has one thread, so every hub module lock
    # this thread does not hold is dropped; importlib makes a new one on the next import.
    me = threading.get_ident()
    for name, ref in list(locks.items()):
        if not _watched(name):
            continue
        lock = ref()
        if lock is not None and getattr(lock, "owner", None) == me:
            continue
        locks.pop(name, None)
        module = sys.modules.get(name)
        if module is not None and getattr(getattr(module, "__spec__", None), "_initializing",
                                          False):
            del sys.modules[name]


def _release_import_lock_in_child() -> None:
    _release_import_lock()
    _forget_orphaned_hub_imports()


_SUPPORTED = hasattr(os, "register_at_fork")
if _SUPPORTED:
    os.register_at_fork(before=_finish_imports, after_in_parent=_release_import_lock,
                        after_in_child=_release_import_lock_in_child)
    os.register_at_fork(after_in_child=_after_fork_in_child)

FORK_GUARD = ForkGuard()
"""The process-wide :class:`ForkGuard` (its lock is re-created in a forked child)."""

if _SUPPORTED:
    os.register_at_fork(before=FORK_GUARD._before_fork,
                        after_in_parent=FORK_GUARD._after_fork_in_parent)
