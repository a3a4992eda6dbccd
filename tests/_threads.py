"""Run a function in many threads at once, bounded, collecting what they raise; join bounded.

Every thread a test starts is joined with a timeout (:func:`join_all`), so a hang fails the
test instead of hanging the run; an exception escaping a thread fails the test too
(``PytestUnhandledThreadExceptionWarning`` is an error in setup.cfg).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

JOIN_TIMEOUT = 60.0
"""Seconds a test waits for its threads before failing (a hang detector, not a speed check)."""


def join_all(threads: Iterable[threading.Thread], timeout: float = JOIN_TIMEOUT) -> None:
    """Join ``threads`` against one shared deadline.

    Raises:
        AssertionError: Naming the threads still running ``timeout`` seconds from now.
    """
    threads = list(threads)
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    hung = [thread.name for thread in threads if thread.is_alive()]
    assert not hung, f"test threads hung: {hung}"


def run_in_threads(count: int, target: Callable[[int], object], *,
                   timeout: float = JOIN_TIMEOUT) -> list[BaseException]:
    """Start ``count`` threads that call ``target(index)`` together (behind a barrier).

    Returns:
        The exceptions the threads raised (empty when all succeeded).

    Raises:
        AssertionError: A thread was still running ``timeout`` seconds after the start.
    """
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            start.wait()
            target(index)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)

    # Daemon threads: a hung thread fails the test within ``timeout`` and cannot keep the
    # interpreter from exiting.
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    join_all(threads, timeout)
    return errors
