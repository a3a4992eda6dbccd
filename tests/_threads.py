"""Run a function in many threads at once, bounded, collecting what they raise."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def run_in_threads(count: int, target: Callable[[int], object], *, timeout: float = 60.0
                   ) -> list[BaseException]:
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

    # Daemon threads and one shared deadline: a hung thread fails the test within ``timeout``
    # and cannot keep the interpreter from exiting.
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    hung = [thread.name for thread in threads if thread.is_alive()]
    assert not hung, f"test threads hung: {hung}"
    return errors
