"""CRC updates on a helper thread, overlapped with the caller's own work on the same data.

An upload over http already makes one pass over its body that the checksum cannot avoid: the
signer's SHA-256 (``hub._checksum_handlers`` computes it beside the CRC). The CRC functions hub
uses (zlib, isal, zlib-ng, crc32c, awscrt) release the GIL on large buffers, so on a machine
with a spare core the CRC of a whole ``bytes`` body runs on a helper thread while the caller
hashes it, and costs no wall time. hub uses it for zlib's CRC32 (1-2 GB/s) from 256 KiB, and
for the SIMD implementations (~10 GB/s from memory) only from 4 MiB: below that they cost less
than the hand-off. A regular file's CRC (zlib only) is one job too: the helper reads the file
itself with ``os.preadv`` (into its own 256 KiB buffer, leaving the caller's file position
alone) while the caller reads and hashes the same range; handing the caller's 1 MiB blocks
over one by one measured slower than inline. The aws-chunked trailer (beside a send) keeps its
CRC inline: there too the per-block hand-offs cost more than the overlap saved.

:class:`OffloadedCrc` is a running checksum whose large updates go to a helper; each update
waits for the previous one (a CRC continues from the last value), so at most one block is in
flight per checksum and memory stays at one block. A block its helper has not started by the
time the caller needs the value (every core busy) is taken back and computed by the caller,
so a loaded machine pays the inline cost, not a wait for a core. Helpers come from one small
process-wide pool: at most ``_MAX_HELPERS`` threads (none on a one-core machine), started on
demand, each ending after ``IDLE_SECONDS`` without work. When every helper is busy the update
runs inline, so a crowd of uploads is never slower than without the pool.

Fork safety: the pool is re-created empty in a forked child (:func:`hub._forksafe.at_fork_reinit`).
A block that a helper of the parent was checksumming when the process forked is checksummed
again inline in the child (a CRC update is a pure function of the block and the previous
value, so the result is exact).
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Callable
from typing import Any

from hub._forksafe import at_fork_reinit

__all__ = ["IDLE_SECONDS", "MIN_OFFLOAD", "OffloadedCrc", "helper_threads"]

_FILE_BLOCK = 256 * 1024  # the helper's read size for a file: stays in cache for the CRC

#: Updates smaller than this run inline: handing a block to a thread costs tens of
#: microseconds, what zlib needs for ~64 KiB.
MIN_OFFLOAD = 256 * 1024
#: A helper thread ends after this long without work.
IDLE_SECONDS = 10.0
_THREAD_NAME = "hub-checksum"

CrcFn = Callable[[Any, int], int]


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# One helper per spare core, at most 4: each in-flight upload needs one.
_MAX_HELPERS = max(0, min(4, _cpus() - 1))


class _Job:
    __slots__ = ("claim", "data", "done", "error", "finished", "fn", "pid", "result", "value")

    def __init__(self, fn: CrcFn, data: Any, value: int) -> None:
        self.fn = fn
        self.data = data
        self.value = value
        self.result = 0
        self.error: BaseException | None = None
        self.finished = False
        self.pid = os.getpid()
        self.claim = threading.Lock()  # taken by whichever thread computes the job
        self.done = threading.Lock()  # released by the helper once it has
        self.done.acquire()

    def compute(self) -> None:
        try:
            self.result = self.fn(self.data, self.value)
        except BaseException as exc:  # noqa: BLE001 (raised in the waiting thread)
            self.error = exc

    def finish(self) -> None:
        self.finished = True
        self.done.release()

    def wait(self) -> int:
        if self.pid != os.getpid():
            # Submitted before a fork: no helper here will release ``done``. A finished job
            # has its result; else compute it now (exact: the previous value is unchanged).
            if not self.finished:
                self.finished = True
                self.compute()
        elif self.claim.acquire(blocking=False):
            # The helper has not started it (no free core came in all this time): computing
            # it here costs what it would have inline, where waiting could cost far more.
            self.compute()
        else:
            self.done.acquire()
        self.data = None
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        return self.result


class _Helper:
    __slots__ = ("job", "wake")

    def __init__(self, job: _Job) -> None:
        self.job: _Job | None = job
        self.wake = threading.Lock()  # released by a submitter when a job is set
        self.wake.acquire()


class _Pool:
    """The process-wide helpers: idle ones on a stack, started on demand up to a cap."""

    def __init__(self, max_helpers: int, name: str = _THREAD_NAME) -> None:
        self.max_helpers = max_helpers
        self.name = name
        self._after_fork_in_child()
        at_fork_reinit(self, _Pool._after_fork_in_child)

    def _after_fork_in_child(self) -> None:
        # The parent's helper threads do not exist here.
        self._lock = threading.Lock()
        self._idle: list[_Helper] = []
        self._count = 0

    def submit(self, job: _Job) -> bool:
        """Start ``job`` on an idle or a new helper; False when all are busy (run it inline)."""
        with self._lock:
            if self._idle:
                helper: _Helper | None = self._idle.pop()
            elif self._count < self.max_helpers:
                self._count += 1
                helper = None
            else:
                return False
        if helper is not None:
            helper.job = job
            helper.wake.release()
            return True
        try:
            threading.Thread(target=self._serve, args=(_Helper(job),), name=self.name,
                             daemon=True).start()
        except RuntimeError:  # can't start a thread (interpreter shutting down, limits)
            with self._lock:
                self._count -= 1
            return False
        return True

    def _serve(self, helper: _Helper) -> None:
        while True:
            job = helper.job
            helper.job = None
            if job is not None:
                mine = job.claim.acquire(blocking=False)  # else the waiter took it back
                if mine:
                    job.compute()
                with self._lock:
                    # Idle again before the waiter wakes: its next block finds this helper.
                    self._idle.append(helper)
                if mine:
                    job.finish()
            if helper.wake.acquire(timeout=IDLE_SECONDS):
                continue
            with self._lock:
                if helper in self._idle:
                    self._idle.remove(helper)
                    self._count -= 1
                    return
            helper.wake.acquire()  # a submitter took this helper just now: its job follows

    def threads(self) -> int:
        """How many helper threads are running."""
        return self._count


_POOL = _Pool(_MAX_HELPERS)


def helper_threads() -> int:
    """How many checksum helper threads this process runs now (for tests and diagnostics)."""
    return _POOL.threads()


def _file_crc(fn: CrcFn, fd: int, offset: int) -> CrcFn:
    def crc_to_end(_: Any, value: int) -> int:
        block = memoryview(bytearray(_FILE_BLOCK))
        position = offset
        while True:
            count = os.preadv(fd, [block], position)
            if not count:
                return value
            value = fn(block[:count], value)
            position += count
    return crc_to_end


class OffloadedCrc:
    """A running CRC (the :class:`hub.checksums.Checksum` interface) whose large updates run
    on a helper thread while the caller goes on.

    The caller must not change a buffer it passed to :meth:`update` until the next call on
    this object (``bytes`` never change; hub passes only those).

    Args:
        algorithm: The algorithm's name (``"CRC32"``).
        fn: ``fn(data, value) -> value``, a CRC that releases the GIL on large buffers.
        size: The digest's size in bytes.
        min_offload: Updates smaller than this run inline.
    """

    __slots__ = ("_file_min", "_fn", "_job", "_min", "_size", "_value", "algorithm")

    def __init__(self, algorithm: str, fn: CrcFn, size: int,
                 min_offload: int = MIN_OFFLOAD, file_min_offload: int | None = None) -> None:
        self.algorithm = algorithm
        self._fn = fn
        self._size = size
        self._min = min_offload
        # None: files stay inline (a SIMD CRC costs less than the helper's second read).
        self._file_min = file_min_offload
        self._value = 0
        self._job: _Job | None = None

    def _settle(self) -> None:
        job = self._job
        if job is not None:
            self._job = None
            self._value = job.wait()

    def update(self, data: bytes | bytearray | memoryview) -> None:
        """Add ``data``: on a helper when it is large and one is free, else now."""
        self._settle()
        size = data.nbytes if isinstance(data, memoryview) else len(data)
        if not size:
            return
        if size >= self._min and _POOL.max_helpers:
            job = _Job(self._fn, data, self._value)
            if _POOL.submit(job):
                self._job = job
                return
        self._value = self._fn(data, self._value)

    def update_file(self, fd: int, offset: int, size: int) -> bool:
        """Add the file ``fd`` from ``offset`` to its end on a helper, which reads it itself.

        ``size`` is how many bytes the caller expects there (it decides whether the file is
        large enough to be worth a helper). The file's position is not used or moved
        (``os.preadv``), so the caller may read the same range meanwhile. Returns False, having
        added nothing, when the file stays inline: too small, no spare core or free helper,
        no ``os.preadv`` (Windows), or files are not offloaded for this implementation.
        """
        self._settle()
        if (self._file_min is None or size < self._file_min or not _POOL.max_helpers
                or not hasattr(os, "preadv")):
            return False
        job = _Job(_file_crc(self._fn, fd, offset), None, self._value)
        if not _POOL.submit(job):
            return False
        self._job = job
        return True

    def digest(self) -> bytes:
        """The CRC of everything added (waits for a block still on a helper)."""
        self._settle()
        return self._value.to_bytes(self._size, "big")

    def b64digest(self) -> str:
        """:meth:`digest` in base64."""
        return base64.b64encode(self.digest()).decode("ascii")
