"""File ranges as upload bodies that are never held in memory.

:class:`FileRange`: one part of a file as an upload body that is never held in memory:
:meth:`FileRange.scan` checksums it block by block through a small per-thread buffer, and
the transport sends it with ``os.sendfile`` over plain HTTP (no copy through user space) or
block by block over TLS (:meth:`FileRange.hub_send_to`). Reading a whole part into a fresh
buffer costs a page fault per 4 KiB the first time (~0.8 s/GB measured on the 2-core
benchmark VM, more than the copy itself); a 1 MiB block stays in the CPU's cache between
the read and the hash.

:class:`FramedRange`: a :class:`FileRange` framed as ``aws-chunked`` with its checksum in a
trailer, computed while it is sent (what the checksum handler sends over TLS).
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

from hub.transfer._io import pread, pread_into

__all__ = ["BLOCK", "FileRange", "FramedRange"]


#: Bytes per block when a :class:`FileRange` is checksummed or sent through a buffer: small
#: enough to stay in the CPU's cache between the read and its use, large enough that the
#: per-block Python cost is noise (~1k blocks per GB).
BLOCK = 1024 * 1024
_HAS_SENDFILE = hasattr(os, "sendfile") and hasattr(socket.socket, "sendfile")


_HEAD = 16  # room before a framed chunk's data for its size line ("<hex>\r\n")


class _Blocks(threading.local):
    """One reused block buffer per thread (no page faults after a thread's first block),
    with room around a block for its aws-chunked framing (:class:`FramedRange`)."""

    def __init__(self) -> None:
        self.buf = bytearray(_HEAD + BLOCK + 2)


def _ended_early(missing: int) -> OSError:
    return OSError(f"the file being uploaded ended {missing} bytes early (was it truncated?)")


_blocks = _Blocks()


class _FdFile:
    """What ``socket.sendfile`` needs of a file: its descriptor (no shared position used)."""

    __slots__ = ("_fd",)
    mode = "rb"

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def fileno(self) -> int:
        return self._fd


class FileRange:
    """``length`` bytes of an open file from ``offset``, as a seekable upload body.

    It reads with ``pread`` (no shared file position: parts of one file go out in parallel)
    and holds no data itself. ``read(n)`` returns new ``bytes`` (so a checksum may keep a
    block while the next one is read); the transport calls :meth:`hub_send_to` instead, which
    sends the range in one ``os.sendfile`` on a plain socket, or in reused blocks over TLS.

    Args:
        fd: An open file descriptor (not closed here).
        offset: Where the range starts in the file.
        length: Its length in bytes.

    Attributes:
        hub_payload_sha256: The hex SHA-256 of the range when :meth:`scan` computed it (the
            request signer then uses it instead of reading the range again), else None.
        hub_checksum: ``(algorithm, base64 value)`` of the range when computed beforehand
            (the checksum handler sends it when the request's algorithm is that one).
    """

    __slots__ = ("_fd", "_length", "_offset", "_pos", "hub_checksum", "hub_framed",
                 "hub_payload_sha256")

    def __init__(self, fd: int, offset: int, length: int) -> None:
        self._fd = fd
        self._offset = offset
        self._length = length
        self._pos = 0
        self.hub_payload_sha256: str | None = None
        self.hub_checksum: tuple[str, str] | None = None
        self.hub_framed: FramedRange | None = None

    def hub_aws_chunked(self, algorithm: str) -> FramedRange:
        """This range framed as ``aws-chunked`` with ``algorithm``'s checksum in a trailer
        (what the checksum handler sends over TLS); kept as :attr:`hub_framed`, whose
        checksum is the value sent once the request is done."""
        self.hub_framed = FramedRange(self, algorithm)
        return self.hub_framed

    def __len__(self) -> int:
        return self._length

    def readable(self) -> bool:
        """True."""
        return True

    def seekable(self) -> bool:
        """True."""
        return True

    def tell(self) -> int:
        """The current position (from the range's start)."""
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move to ``offset`` (from the start, the current position or the end)."""
        base = (0, self._pos, self._length)[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes from the current position (all the rest when negative)."""
        left = self._length - self._pos
        if size is None or size < 0 or size > left:
            size = left
        if size <= 0:
            return b""
        data = pread(self._fd, size, self._offset + self._pos)
        self._pos += len(data)
        return data

    def scan(self, *updates: Any) -> int:
        """Pass every block of the range to each of ``updates`` (checksum ``update`` methods),
        through this thread's reused buffer; returns how many bytes were there.

        A file that ended early (truncated meanwhile) gives a shorter count; the range is cut
        to it, so the checksums and the length sent agree.
        """
        view = memoryview(_blocks.buf)
        got = 0
        while got < self._length:
            n = pread_into(self._fd, view[:min(BLOCK, self._length - got)], self._offset + got)
            if not n:
                break
            block = view[:n]
            for update in updates:
                update(block)
            got += n
        self._length = got
        return got

    def hub_send_to(self, sock: Any) -> None:
        """Send the range from the current position to ``sock`` (the request's connection).

        Raises:
            OSError: The file ended before the range did (it was truncated while uploading);
                the connection is then unusable, and the request fails rather than send a
                part shorter than its ``Content-Length``.
        """
        start = self._offset + self._pos
        count = self._length - self._pos
        if count <= 0:
            return
        if _HAS_SENDFILE and type(sock) is socket.socket:
            # The kernel sends the file's pages: no copy through user space. socket.sendfile
            # waits for the socket's timeout when the send buffer is full.
            sent = sock.sendfile(_FdFile(self._fd), start, count)  # type: ignore[arg-type]
        else:
            view = memoryview(_blocks.buf)
            sent = 0
            while sent < count:
                n = pread_into(self._fd, view[:min(BLOCK, count - sent)], start + sent)
                if not n:
                    break
                sock.sendall(view[:n])
                sent += n
        self._pos += sent
        if sent < count:
            raise _ended_early(count - sent)

    def __repr__(self) -> str:
        return f"<hub.transfer file range {self._offset}+{self._length}>"


class FramedRange:
    """A :class:`FileRange` framed as ``aws-chunked`` with its checksum in a trailer, computed
    while it is sent: one read of the file, never a copy of the data (each chunk goes out
    from the block buffer with its size line and CRLF around it, in one send).

    The frames are those of :class:`hub.checksums.AwsChunkedReader` with ``BLOCK``-sized
    chunks, which also serves :meth:`read` (when the transport reads the body instead of
    calling :meth:`hub_send_to`, e.g. under a call deadline).

    Args:
        source: The range (sent from its start).
        algorithm: The trailer's checksum algorithm.
    """

    def __init__(self, source: FileRange, algorithm: str) -> None:
        from hub.checksums import AwsChunkedReader

        self._source = source
        self._algorithm = algorithm
        self._reader = AwsChunkedReader(source, algorithm, chunk_size=BLOCK,
                                        decoded_length=len(source))
        self.trailer_name = self._reader.trailer_name
        self.encoded_length = self._reader.encoded_length
        self._sent: Any = None  # the checksum of the last hub_send_to, if that was the path

    def __len__(self) -> int:
        return int(self.encoded_length or 0)

    @property
    def checksum(self) -> Any:
        """The running checksum of what was sent (complete once the body was sent)."""
        return self._sent if self._sent is not None else self._reader.checksum

    def readable(self) -> bool:
        """True."""
        return True

    def seekable(self) -> bool:
        """True (only back to the start)."""
        return True

    def tell(self) -> int:
        """0 (only rewinding to the start is supported)."""
        return 0

    def seek(self, offset: int, whence: int = 0) -> int:
        """Rewind to the start (the only position supported)."""
        self._sent = None
        return self._reader.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` framed bytes (see :class:`hub.checksums.AwsChunkedReader`)."""
        return self._reader.read(size)

    def hub_send_to(self, sock: Any) -> None:
        """Send the framed range and its trailer to ``sock``.

        Raises:
            OSError: The file ended before the range did.
        """
        from hub.checksums import new_checksum

        source = self._source
        source.seek(0)
        checksum = new_checksum(self._algorithm)
        self._sent = checksum
        view = memoryview(_blocks.buf)
        left = len(source)
        offset = source._offset
        while left > 0:
            n = pread_into(source._fd, view[_HEAD:_HEAD + min(BLOCK, left)], offset)
            if not n:
                raise _ended_early(left)
            head = b"%x\r\n" % n
            start = _HEAD - len(head)
            view[start:_HEAD] = head
            view[_HEAD + n:_HEAD + n + 2] = b"\r\n"
            checksum.update(view[_HEAD:_HEAD + n])
            sock.sendall(view[start:_HEAD + n + 2])
            offset += n
            left -= n
        sock.sendall(b"0\r\n" + self.trailer_name.encode("ascii") + b":"
                     + checksum.b64digest().encode("ascii") + b"\r\n\r\n")
        source.seek(0, 2)

    def __repr__(self) -> str:
        return f"<hub.transfer aws-chunked {self._source!r}>"

