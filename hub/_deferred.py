"""Module globals that are built on first use: a compiled regex, an imported module.

``import hub`` plus the first client must stay within a few milliseconds of importing urllib3,
so what only a request (or a rare path) needs is not built at import time. Each deferred
global is a placeholder in its module's namespace; the first attribute read builds the real
object and puts it in the namespace in the placeholder's place, so later reads of the global
are plain global lookups (no per-call cost)::

    _ISO8601 = deferred_regex(globals(), "_ISO8601", r"...")   # compiled by the first match()
    ET = deferred_import(globals(), "ET", "xml.etree.ElementTree")

Building twice (two threads at once) is harmless: ``re.compile`` and ``import`` are
thread-safe and both answer the same. Modules that hub imports this way are listed in
:data:`hub._forksafe.DEFERRED_IMPORTS`, so a fork waits for such an import in flight.
"""

from __future__ import annotations

import gc
import importlib
import os
import re
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["deferred", "deferred_from", "deferred_import", "deferred_regex", "pause_gc",
           "resume_gc"]


class _Deferred:
    __slots__ = ("_namespace", "_name", "_build", "_value")

    def __init__(self, namespace: dict[str, Any] | None, name: str,
                 build: Callable[[], Any]) -> None:
        self._namespace = namespace
        self._name = name
        self._build = build
        self._value: Any = None

    def _resolve(self) -> Any:
        value = self._value
        if value is None:
            value = self._value = self._build()
            if self._namespace is not None:
                self._namespace[self._name] = value  # later reads of the global get it directly
        return value

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._resolve(), attr)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<deferred {self._name}>"


def deferred(namespace: dict[str, Any], name: str, build: Callable[[], Any]) -> Any:
    """A placeholder for ``build()``, called on first use (attribute read or call).

    Args:
        namespace: The module's ``globals()``.
        name: The global's name in that module (rebound to ``build()``'s result).
        build: Makes the object; it must not return None.
    """
    return _Deferred(namespace, name, build)


def deferred_regex(namespace: dict[str, Any] | None, name: str, pattern: str,
                   flags: int = 0) -> Any:
    """A placeholder for ``re.compile(pattern, flags)``, compiled on first use.

    Args:
        namespace: The module's ``globals()``; None for a pattern held elsewhere than in a
            global (a tuple, an attribute): it then stays a placeholder that forwards.
        name: The global's name in that module (rebound to the pattern on first use).
        pattern: The regular expression.
        flags: ``re`` flags.
    """
    return _Deferred(namespace, name, lambda: re.compile(pattern, flags))


def deferred_import(namespace: dict[str, Any], name: str, module: str) -> Any:
    """A placeholder for ``import module``, imported on first attribute access.

    Args:
        namespace: The module's ``globals()``.
        name: The global's name in that module (rebound to the module on first use).
        module: The module to import.
    """
    return _Deferred(namespace, name, lambda: importlib.import_module(module))


def deferred_from(namespace: dict[str, Any], name: str, module: str) -> Any:
    """A placeholder for ``from module import name``, imported on first use (a call of a
    function, an attribute of a class).

    Args:
        namespace: The module's ``globals()``.
        name: The name to import; the global of that name is rebound to it on first use.
        module: The module that defines it.
    """
    return _Deferred(namespace, name, lambda: getattr(importlib.import_module(module), name))


def pause_gc() -> bool:
    """Stop the cyclic garbage collector while hub loads modules (``import hub``, the first
    client of a service); returns whether :func:`resume_gc` must restart it.

    Loading makes some 6,000 container objects (functions, classes, their dicts) that live as
    long as the process. Left running, the collector scans them over and over while they are
    young (about 3 ms of ``import hub`` plus the first client); :func:`resume_gc` hands them to
    the oldest generation unscanned, where they would have ended up anyway. Returns False (and
    does nothing) when the collector is already off: whoever turned it off turns it back on.
    """
    global _paused
    if not gc.isenabled():
        return False
    gc.disable()
    _paused = True
    return True


def resume_gc() -> None:
    """Restart the collector stopped by :func:`pause_gc`.

    The young objects (those loading made, and whatever the process had allocated since the
    last collection) move to the oldest generation without a scan: freeze then unfreeze, two
    list splices on CPython 3.10 to 3.13. Cyclic garbage among them is still collected, by the
    next full collection. Skipped when the application keeps objects frozen itself (a pre-fork
    server's ``gc.freeze()``), whose frozen set is left alone, and on 3.14+, whose incremental
    collector's unfreeze walks every frozen object: there the next young collection scans them.
    """
    global _paused
    if sys.version_info < (3, 14) and gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
    _paused = False
    gc.enable()


# Whether the collector is off because pause_gc turned it off. A fork while another thread
# loads (its first client of a service) would leave the child's collector off for good: the
# thread that would turn it back on does not exist there.
_paused = False


def _resume_in_child() -> None:
    global _paused
    if _paused:
        _paused = False
        gc.enable()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_resume_in_child)
