"""Reader threads for downloads: a few threads read every download's socket.

With ten worker threads each blocking on its own TLS socket, every 16 KiB record costs a GIL
hand-off: the read releases the GIL, another worker takes it, and the first waits to get it
back, so much of the client's CPU goes to waking threads up. Here a worker that has started a
body (the request, its head and one small read, as usual) hands the rest to one of two
reader threads. A reader waits on all its sockets at once (``selectors``), reads whatever
has arrived into its own buffer with non-blocking reads, and ``pwrite``\\ s it into the
download's file at the body's offset. A plain-http body on Linux skips the buffer:
``os.splice`` moves it from the socket into the reader's pipe and from the pipe into the
file, in the kernel (one copy instead of two, and two GIL hand-offs per MiB instead of two
per 256 KiB). The worker waits for the end of its body, then carries on exactly as if it had
read the body itself: errors are raised in the worker, and ``pos`` says how far the body got,
so a broken range is asked for again from there. The user's progress callback runs in the
worker too (every ``_REPORT_EVERY`` seconds while it waits): user code never runs on a
reader, where a slow callback would stall every body it reads.

Only for downloads into hub's own temporary file (``FdWriter``) with no bandwidth limit and
more than one worker. Idle readers wait in ``select`` and cost nothing; they are daemon
threads, started on first use, and a forked child starts its own.
"""

from __future__ import annotations

import errno
import itertools
import os
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from hub._forksafe import at_fork_reinit
from hub.transfer._io import pwrite

__all__ = ["READERS", "pump"]

READERS = 2
"""Reader threads per process. Two beat one and ten blocking workers on a 2-core machine
(``benchmarks/bench_download_floor.py``): one reader decrypts while the other runs Python."""

_BUFFER = 256 * 1024  # each reader's buffer: one pwrite per 256 KiB at most
_PIPE = 1024 * 1024  # each reader's pipe for spliced bodies (the kernel may grant less)
_TURN = 1024 * 1024  # bytes moved for one body before the reader looks at its other sockets
# A file that cannot be spliced into (a filesystem without splice_write): pipe -> read -> pwrite.
_NO_SPLICE = frozenset({errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV})
_LOOK_AGAIN = 0.25  # seconds between looks at stalled bodies whose transfer was stopped
_REPORT_EVERY = 0.1  # seconds between a waiting worker's progress reports


class _Job:
    """One body being moved into a file."""

    __slots__ = ("body", "fd", "sockfd", "pos", "left", "stopped", "timeout", "idle_since",
                 "splice", "error", "cancelled", "done")

    def __init__(self, body: Any, sock: Any, fd: int, pos: int, size: int,
                 stopped: Callable[[], bool]) -> None:
        self.body = body
        self.fd = fd
        self.sockfd: int = sock.fileno()  # by number: unregistered even once it is closed
        self.pos = pos  # written by the reader only; the worker reads it to report progress
        self.left = size
        self.stopped = stopped
        self.timeout: float | None = body._wait_timeout
        self.idle_since = time.monotonic()
        self.splice = False  # moved with os.splice (set by its reader)
        self.error: BaseException | None = None
        self.cancelled = False
        self.done = threading.Event()


class _Reader:
    """One reader thread and the bodies it waits on."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_in, self._wake_out = socket.socketpair()
        self._wake_in.setblocking(False)
        self._wake_out.setblocking(False)
        self._selector.register(self._wake_in, selectors.EVENT_READ, None)
        self._incoming: deque[_Job] = deque()
        self._jobs: list[_Job] = []
        self._pipe: tuple[int, int] | None = None  # (read end, write end), made on first use
        self._pipe_size = 0
        self.broken: BaseException | None = None
        threading.Thread(target=self._run, name="hub-transfer-reader", daemon=True).start()

    def add(self, job: _Job) -> None:
        self._incoming.append(job)
        if self.broken is not None:  # its thread ended (see _run): never wait on it
            self._end(job, self.broken)
            return
        self.wake()

    def close(self) -> None:
        """Close the selector, the wake-up sockets and the pipe (in a forked child: its
        copies)."""
        for resource in (self._selector, self._wake_in, self._wake_out):
            try:
                resource.close()
            except (OSError, ValueError):
                pass
        self._drop_pipe()

    def _pipe_ends(self) -> tuple[int, int] | None:
        # The pipe spliced bodies go through; None when none can be made (then a body is read
        # into the buffer).
        if self._pipe is None:
            try:
                read_end, write_end = os.pipe()
            except OSError:
                return None
            self._pipe = (read_end, write_end)
            self._pipe_size = _grow(write_end)
        return self._pipe

    def _drop_pipe(self) -> None:
        # After a failure between its two splices the pipe may hold bytes of that body: never
        # let the next body find them.
        pipe, self._pipe = self._pipe, None
        for fd in pipe or ():
            try:
                os.close(fd)
            except OSError:
                pass

    def wake(self) -> None:
        try:
            self._wake_out.send(b"\0")
        except OSError:
            pass  # already full of wake-ups (BlockingIOError): the reader will look anyway

    def _run(self) -> None:
        view = memoryview(bytearray(_BUFFER))
        try:
            while True:
                for key, _ in self._selector.select(self._wait()):
                    job = key.data
                    if job is None:
                        self._woken(view)
                    elif not job.done.is_set():
                        self._move(job, view)
                self._expire()
        except BaseException as exc:  # noqa: BLE001 - never leave a worker waiting forever
            # Not a body's error (each ends its own job): the selector itself failed. Every
            # job gets the error, and the pump replaces this reader for the next ones.
            self.broken = exc
            for job in [*self._jobs, *self._incoming]:
                self._end(job, exc)
            self._drop_pipe()  # plain descriptors: the garbage collector would not close them

    def _wait(self) -> float | None:
        # Until the first body's read timeout would pass, and at most _LOOK_AGAIN while there
        # are bodies: a transfer that failed or was cancelled lets go of a stalled body then.
        if not self._jobs:
            return None
        ends = [job.idle_since + job.timeout for job in self._jobs if job.timeout is not None]
        return min(_LOOK_AGAIN, max(0.0, min(ends) - time.monotonic())) if ends else _LOOK_AGAIN

    def _woken(self, view: memoryview) -> None:
        try:
            while self._wake_in.recv(4096):
                pass
        except OSError:
            pass  # drained (BlockingIOError)
        for job in [job for job in self._jobs if job.cancelled]:
            self._end(job, None)
        while self._incoming:
            job = self._incoming.popleft()
            if job.cancelled:
                job.done.set()
                continue
            self._jobs.append(job)
            try:
                self._selector.register(job.sockfd, selectors.EVENT_READ, job)
            except (KeyError, ValueError, OSError) as exc:
                self._end(job, exc)
                continue
            job.splice = job.body._can_splice() and self._pipe_ends() is not None
            self._move(job, view)  # bytes may be waiting already

    def _move(self, job: _Job, view: memoryview) -> None:
        # Move what has arrived until the read would wait, or for _TURN bytes (then the other
        # sockets get their turn; epoll reports this one again at once).
        try:
            for _ in range(max(1, _TURN // (self._pipe_size if job.splice else len(view)))):
                if job.stopped():
                    break
                n = self._splice(job, view) if job.splice else self._read(job, view)
                if n is None:
                    return  # nothing more yet: wait for the socket
                if n:
                    job.idle_since = time.monotonic()
                if not n or not job.left:
                    break  # the end of the body (short: the worker asks again), or of the range
            else:
                return  # more to read: this body's next turn
            self._end(job, None)
        except BaseException as exc:  # noqa: BLE001 - raised in the worker instead
            self._end(job, exc)

    def _read(self, job: _Job, view: memoryview) -> int | None:
        # One buffer's worth: read what can be read now, then write it at the body's offset.
        want = min(len(view), job.left)
        n: int | None = job.body._readinto_nowait(view if want == len(view) else view[:want])
        if n:
            pwrite(job.fd, view[:n], job.pos)
            job.pos += n
            job.left -= n
        return n

    def _splice(self, job: _Job, view: memoryview) -> int | None:
        # One pipe's worth: socket -> pipe, then pipe -> file at the body's offset. The pipe
        # may have been dropped (another body's write failed): a new one, or no splice.
        pipe = self._pipe_ends()
        if pipe is None:
            job.splice = False
            return self._read(job, view)
        read_end, write_end = pipe
        n: int | None = job.body._splice_nowait(write_end, min(self._pipe_size, job.left))
        if not n:
            return n
        try:
            left = n
            while left:
                moved = self._from_pipe(job, read_end, left, view)
                if moved <= 0:
                    raise OSError(errno.EIO, "the reader's pipe gave back fewer bytes than it took")
                job.pos += moved
                job.left -= moved
                left -= moved
        except BaseException:
            self._drop_pipe()
            raise
        return n

    @staticmethod
    def _from_pipe(job: _Job, read_end: int, count: int, view: memoryview) -> int:
        # Up to count bytes from the pipe into the file at the body's offset: spliced, or
        # copied out once the file refused a splice (then the body is read, not spliced).
        if job.splice:
            try:
                return os.splice(read_end, job.fd, count, offset_dst=job.pos)
            except OSError as exc:
                if exc.errno not in _NO_SPLICE:
                    raise
                job.splice = False
        data = os.read(read_end, min(count, len(view)))
        pwrite(job.fd, data, job.pos)
        return len(data)

    def _expire(self) -> None:
        now = time.monotonic()
        for job in list(self._jobs):
            if job.stopped():  # its transfer failed or was cancelled: the worker goes on
                self._end(job, None)
            elif job.timeout is not None and now - job.idle_since >= job.timeout:
                try:
                    error: BaseException = job.body._wait_expired()
                except BaseException as exc:  # noqa: BLE001 - raised in the worker instead
                    error = exc
                self._end(job, error)

    def _end(self, job: _Job, error: BaseException | None) -> None:
        # Let go of the socket before the worker (or the pool) uses it again.
        try:
            self._selector.unregister(job.sockfd)
        except (KeyError, ValueError):
            pass
        if job in self._jobs:
            self._jobs.remove(job)
        job.error = error
        job.done.set()


def _grow(write_end: int) -> int:
    # Ask for a _PIPE-byte pipe (Linux: F_SETPIPE_SZ; refused above fs.pipe-max-size or past
    # the user's pipe quota) and return what it holds.
    try:
        import fcntl

        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, _PIPE)
        return int(fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ))
    except (ImportError, AttributeError, OSError):
        return 64 * 1024  # Linux's default pipe size


class _Pump:
    """The process's reader threads (started on first use)."""

    def __init__(self) -> None:
        self._readers: list[_Reader] = []
        self._lock = threading.Lock()
        self._turn = itertools.count()
        at_fork_reinit(self, _Pump._after_fork)

    def _after_fork(self) -> None:
        # The parent's reader threads do not exist in the child: start anew on first use, and
        # close the child's copies of their selectors and wake-up sockets (the parent's stay).
        for reader in self._readers:
            reader.close()
        self._readers = []
        self._lock = threading.Lock()

    def drain(self, body: Any, sock: Any, fd: int, pos: list[int], size: int,
              progress: Callable[[int], None] | None, stopped: Callable[[], bool]) -> None:
        """Move up to ``size`` bytes of ``body`` (a :class:`~hub.StreamingBody` whose reads
        ``sock``'s readiness now drives) into ``fd`` from offset ``pos[0]``, keeping
        ``pos[0]`` at the next offset. Returns at the end of the body or of ``size``, or once
        ``stopped()``; raises what reading the body raised, or what ``progress`` raised.

        ``progress(n)`` (None: nobody listens) is called in this thread with the bytes moved
        since its last call, while waiting and once at the end.
        """
        readers = self._readers
        turn = next(self._turn) % READERS
        if not readers or readers[turn].broken is not None:
            with self._lock:
                readers = [*self._readers] or [_Reader() for _ in range(READERS)]
                if readers[turn].broken is not None:
                    readers[turn] = _Reader()
                self._readers = readers
        reader = readers[turn]
        reported = pos[0]
        job = _Job(body, sock, fd, reported, size, stopped)
        reader.add(job)
        try:
            if progress is None:
                job.done.wait()
            else:
                while True:
                    ended = job.done.wait(_REPORT_EVERY)
                    moved = job.pos
                    if moved > reported:
                        progress(moved - reported)
                        reported = moved
                    if ended:
                        break
        except BaseException:
            # Interrupted (KeyboardInterrupt in the calling thread, or the callback raised):
            # the reader must let go of the file and the socket before the caller closes them.
            job.cancelled = True
            reader.wake()
            job.done.wait()
            raise
        finally:
            pos[0] = job.pos
        if job.error is not None:
            raise job.error


pump = _Pump()
"""The process's download reader threads."""
