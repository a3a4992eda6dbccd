"""What bounds a transfer: connection slots shared per transport, and a bandwidth limit.

Connection slots: every request a transfer sends holds one slot of a semaphore sized
``max_pool_connections`` and shared by all transfers on the same transport (one session
family) and endpoint. urllib3 opens a throwaway connection when its pool is empty and
``pool_block`` is off; holding a slot first means transfers never make it do that, however
many managers and threads run at once.

The registry is a module-level weak dictionary; a forked child starts with an empty one
(``os.register_at_fork`` below), since a semaphore held by a parent's thread would never be
released in the child.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from typing import Any

from hub._forksafe import at_fork_reinit

__all__ = ["Bandwidth", "connection_slots"]

_registry: weakref.WeakKeyDictionary[Any, dict[tuple[str, int], threading.BoundedSemaphore]]
_registry = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def _reset_registry() -> None:
    global _registry, _registry_lock
    _registry = weakref.WeakKeyDictionary()
    _registry_lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_registry)


def connection_slots(client: Any) -> threading.BoundedSemaphore:
    """The semaphore transfers on ``client``'s transport and endpoint take per request."""
    client_config = client.client_config
    size = client_config.config.max_pool_connections or 10
    key = (client_config.info.endpoint, size)
    transport = client_config.transport
    slots = _registry.get(transport)
    if slots is not None:
        sem = slots.get(key)
        if sem is not None:
            return sem
    with _registry_lock:
        slots = _registry.setdefault(transport, {})
        sem = slots.get(key)
        if sem is None:
            sem = slots[key] = threading.BoundedSemaphore(size)
        return sem


class Bandwidth:
    """A token bucket shared by a manager's transfers: ``consume(n)`` sleeps to keep the rate.

    Args:
        rate: Bytes per second.
    """

    def __init__(self, rate: int) -> None:
        self._rate = rate
        self._lock = threading.Lock()
        self._next = time.monotonic()  # when the bucket is next empty of debt
        at_fork_reinit(self, Bandwidth._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()

    def consume(self, amount: int) -> None:
        """Account for ``amount`` bytes; sleep until the rate allows them."""
        with self._lock:
            now = time.monotonic()
            start = max(self._next, now)
            self._next = start + amount / self._rate
            wait = start - now
        if wait > 0:
            time.sleep(wait)
