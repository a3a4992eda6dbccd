"""Run a function in many threads at once, bounded, collecting what they raise."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_in_threads(count: int, target: Callable[[int], object], *, timeout: float = 60.0
                   ) -> list[BaseException]:
    """Start ``count`` threads that call ``target(index)`` together (behind a barrier).

    Returns:
        The exceptions the threads raised (empty when all succeeded).

    Raises:
        AssertionError: A thread was still running after ``timeout`` seconds.
    """
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            start.wait()
            target(index)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
        assert not thread.is_alive(), "a test thread hung"
    return errors
