"""Reading parts and writing ranges: positional I/O where the platform has it, a lock elsewhere.

- :func:`pread`: ``os.pread`` (no shared file position, so parts read in parallel), or
  ``lseek`` + ``read`` under a lock on platforms without it (Windows).
- :class:`PartBody`: one part as a seekable, read-only file object over a memoryview. Given as
  an upload body it can be rewound for a retry and, over HTTPS, is sent ``UNSIGNED-PAYLOAD``
  (S3's signing options), so its SHA-256 is never computed.
- Writers for downloads: :class:`FdWriter` (``os.pwrite`` into the temporary file),
  :class:`SeekWriter` (a seekable file object: ``seek`` + ``write`` under a lock) and
  :class:`OrderedWriter` (an unseekable target: ranges are written in order; ranges that
  arrive early wait in memory, bounded by the download's part window).
"""

from __future__ import annotations

import os
import threading
from typing import IO, Any

from hub._forksafe import at_fork_reinit

__all__ = ["BufferPool", "FdWriter", "OrderedWriter", "PartBody", "SeekWriter", "pread",
           "pread_into", "pwrite"]

_HAS_PREAD = hasattr(os, "pread") and hasattr(os, "pwrite")
_HAS_PREADV = hasattr(os, "preadv")


class _FdLock:
    """The lock for ``lseek`` + ``read``/``write`` where positional I/O is missing."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        at_fork_reinit(self, _FdLock._reset)

    def _reset(self) -> None:
        self.lock = threading.Lock()


_fd_lock = _FdLock()


def pread(fd: int, size: int, offset: int) -> bytes:
    """Read ``size`` bytes at ``offset`` (fewer only at the end of the file)."""
    if _HAS_PREAD:
        data = os.pread(fd, size, offset)
        if len(data) == size or not data:
            return data
        chunks = [data]
        got = len(data)
        while got < size:
            more = os.pread(fd, size - got, offset + got)
            if not more:
                break
            chunks.append(more)
            got += len(more)
        return b"".join(chunks)
    with _fd_lock.lock:  # pragma: no cover - platforms without os.pread
        os.lseek(fd, offset, os.SEEK_SET)
        out = bytearray()
        while len(out) < size:
            more = os.read(fd, size - len(out))
            if not more:
                break
            out += more
        return bytes(out)


def pread_into(fd: int, view: memoryview, offset: int) -> int:
    """Fill ``view`` from ``offset`` (``os.preadv``: no new buffer, so no page faults on a
    fresh allocation); returns the count (smaller only at the end of the file)."""
    if not _HAS_PREADV:
        data = pread(fd, len(view), offset)
        view[:len(data)] = data
        return len(data)
    got = 0
    while got < len(view):
        n = os.preadv(fd, [view[got:]], offset + got)
        if not n:
            break
        got += n
    return got


class BufferPool:
    """Reusable part buffers: a part read into a buffer that was used before costs no page
    faults (a fresh 8 MiB allocation is a new mapping the kernel must fault in and zero).

    Args:
        keep: Buffers kept for reuse (the most that are in use at once: the workers).
    """

    def __init__(self, keep: int) -> None:
        self._free: list[bytearray] = []
        self._keep = max(1, keep)
        self._lock = threading.Lock()
        at_fork_reinit(self, BufferPool._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._free = []

    def get(self, size: int) -> bytearray:
        """A buffer of at least ``size`` bytes."""
        with self._lock:
            for i, buf in enumerate(self._free):
                if len(buf) >= size:
                    return self._free.pop(i)
        return bytearray(size)

    def put(self, buf: bytearray) -> None:
        """Give a buffer back (kept when there is room, else freed)."""
        with self._lock:
            if len(self._free) < self._keep:
                self._free.append(buf)


def pwrite(fd: int, data: Any, offset: int) -> None:
    """Write all of ``data`` at ``offset``."""
    view = memoryview(data).cast("B")
    if _HAS_PREAD:
        while view:
            n = os.pwrite(fd, view, offset)
            view, offset = view[n:], offset + n
        return
    with _fd_lock.lock:  # pragma: no cover - platforms without os.pwrite
        os.lseek(fd, offset, os.SEEK_SET)
        while view:
            n = os.write(fd, view)
            view = view[n:]


class PartBody:
    """A part's bytes as a seekable, read-only file object (an upload body).

    ``read(n)`` hands out memoryview slices of the part (no copies).

    Args:
        data: The part's bytes.
    """

    __slots__ = ("_view", "_pos")

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._view = memoryview(data).cast("B")
        self._pos = 0

    def __len__(self) -> int:
        return len(self._view)

    def readable(self) -> bool:
        """True."""
        return True

    def seekable(self) -> bool:
        """True."""
        return True

    def read(self, size: int = -1) -> memoryview | bytes:
        """The next slice of the part (empty bytes at the end)."""
        start = self._pos
        end = len(self._view) if size is None or size < 0 else min(
            len(self._view), start + size)
        if start >= end:
            return b""
        self._pos = end
        return self._view[start:end]

    def tell(self) -> int:
        """The current position."""
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move to ``offset`` (from the start, the current position or the end)."""
        base = (0, self._pos, len(self._view))[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def __repr__(self) -> str:
        return f"<hub.transfer part body {len(self._view)} bytes>"


class FdWriter:
    """Writes ranges into an open file descriptor with ``os.pwrite``."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def write_at(self, offset: int, data: bytes | memoryview) -> None:
        """Write ``data`` at ``offset``."""
        pwrite(self.fd, data, offset)


class SeekWriter:
    """Writes ranges into a seekable file object (``seek`` + ``write`` under a lock)."""

    def __init__(self, fileobj: IO[bytes]) -> None:
        self._fileobj = fileobj
        self._lock = threading.Lock()
        at_fork_reinit(self, SeekWriter._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()

    def write_at(self, offset: int, data: bytes | memoryview) -> None:
        """Write ``data`` at ``offset``."""
        with self._lock:
            self._fileobj.seek(offset)
            self._fileobj.write(data)


class OrderedWriter:
    """Writes ranges to an unseekable target in order; early ranges wait in memory.

    Args:
        fileobj: The target (only ``write`` is used).
        part_size: The download's part size (for :meth:`wait_turn`).
        window: Parts allowed in flight ahead of the first unwritten one.
    """

    def __init__(self, fileobj: IO[bytes], part_size: int, window: int) -> None:
        self._fileobj = fileobj
        self._part_size = part_size
        self._window = max(1, window)
        self._pos = 0
        self._early: dict[int, bytes] = {}
        self._cond = threading.Condition()
        at_fork_reinit(self, OrderedWriter._reset)

    def _reset(self) -> None:
        self._cond = threading.Condition()

    def wait_turn(self, part: int, stop: Any) -> None:
        """Block a part until it is within the window of the first unwritten part.

        ``stop()`` returning True ends the wait (the transfer failed or was cancelled).
        Parts are started in order, so the part at the head is never the one waiting.
        """
        with self._cond:
            while part >= self._pos // self._part_size + self._window and not stop():
                self._cond.wait(0.1)

    def write_at(self, offset: int, data: bytes) -> None:
        """Write ``data`` now if it is next, else keep it until the gap before it is filled."""
        with self._cond:
            if offset != self._pos:
                self._early[offset] = data
                return
            self._fileobj.write(data)
            self._pos += len(data)
            early = self._early
            while self._pos in early:
                chunk = early.pop(self._pos)
                self._fileobj.write(chunk)
                self._pos += len(chunk)
            self._cond.notify_all()
