"""``StreamingBody``: a streamed response body (S3 ``GetObject``'s ``Body``), boto3-compatible.

It is an :class:`io.IOBase`: readable, ``read``/``readinto``/``readline``/``readlines``, usable
under :class:`io.TextIOWrapper`, and a context manager. It also keeps boto3's API: ``read(amt)``,
``iter_chunks``, ``iter_lines``, iteration in 1 KiB chunks, and a ``Content-Length`` check
that raises :class:`~hub.errors.ConnectionClosedError` on a short body.

The body holds a pooled connection until it is read to the end or closed. Read to the end, the
connection goes back to the pool; closed early (or dropped unread), the connection is closed
instead (the unread rest would otherwise have to be downloaded first). Either happens exactly
once, in the transport's reader (``hub._transport``), which also maps every read error to a
hub error. Use it as a context manager, or read it to the end.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from hub.errors import ConnectionClosedError

if TYPE_CHECKING:
    from hub._request import RawBody

__all__ = ["StreamingBody"]

_DEFAULT_CHUNK = 1024
_LINE_CHUNK = 8192


class StreamingBody(io.IOBase):
    """A file-like, read-once view of a response body.

    Args:
        raw: The transport's unread body (``HTTPResponse.raw``); this object takes it over.
        content_length: The declared length (``Content-Length``), or None when unknown. A body
            that ends before it raises :class:`~hub.errors.ConnectionClosedError`.
        url: The request URL (for error messages; the query string is not shown).
    """

    _DEFAULT_CHUNK_SIZE = _DEFAULT_CHUNK

    def __init__(self, raw: RawBody, content_length: int | None, url: str = "") -> None:
        super().__init__()
        self._raw: RawBody | None = raw
        self._content_length = content_length
        self._amount_read = 0  # bytes taken from the connection
        self._pending = b""  # read ahead by readline(), given out first
        self._url = url.partition("?")[0]

    # -- reading -------------------------------------------------------------------------------

    def readable(self) -> bool:
        """True: this is a readable stream."""
        return True

    def read(self, amt: int | None = None) -> bytes:
        """Read up to ``amt`` bytes (all the rest when None or negative); ``b""`` at the end.

        Raises:
            ConnectionClosedError: The connection broke, or the body ended before
                ``Content-Length`` bytes arrived.
            ReadTimeoutError: No data arrived within ``read_timeout``.
        """
        if amt is not None and amt < 0:
            amt = None
        pending = self._pending
        if pending:
            if amt is not None and amt <= len(pending):
                self._pending = pending[amt:]
                return pending[:amt]
            self._pending = b""
            rest = self._read_raw(None if amt is None else amt - len(pending))
            return pending + rest
        return self._read_raw(amt)

    def read1(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes with at most one read from the connection."""
        return self.read(size if size is not None and size > 0 else _LINE_CHUNK)

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` (a writable bytes-like object); return the count (less only at the
        end, 0 there). The bytes go from the connection straight into ``buffer``.

        Raises:
            ConnectionClosedError: As :meth:`read`.
            ReadTimeoutError: As :meth:`read`.
        """
        view = memoryview(buffer).cast("B")
        pending = self._pending
        got = 0
        if pending:  # read ahead by readline(): given out first
            got = min(len(view), len(pending))
            view[:got] = pending[:got]
            self._pending = pending[got:]
            if got == len(view):
                return got
        raw = self._raw
        if raw is None:  # read to the end, or closed
            return got
        try:
            n = raw.readinto(view[got:])  # raises hub errors; discards its connection on error
        except BaseException:
            self._raw = None
            raise
        self._took(raw, n)
        return got + n

    def _took(self, raw: Any, count: int) -> None:
        # count bytes came from raw: at its end, let it go and check the length.
        self._amount_read += count
        if raw.done:
            self._raw = None
            self._verify_length()

    # -- for hub.transfer's reader threads, which wait on many bodies' sockets at once -----

    def _wait_socket(self) -> Any:
        """The socket to wait on for :meth:`_readinto_nowait`, its reads now non-blocking;
        None (nothing changed) when this body cannot be read that way."""
        raw = self._raw
        if raw is None or self._pending:
            return None
        wait = getattr(raw, "wait_socket", None)
        return wait() if wait is not None else None

    @property
    def _wait_timeout(self) -> float | None:
        """Seconds a caller of :meth:`_readinto_nowait` waits for progress before giving up."""
        return getattr(self._raw, "wait_timeout", None)

    def _wait_expired(self) -> BaseException:
        """Close a body that made no progress within :attr:`_wait_timeout`; the error to raise."""
        raw: Any = self._raw  # a body _wait_socket switched: its raw body has wait_expired
        self._raw = None
        return raw.wait_expired()  # type: ignore[no-any-return]

    def _readinto_nowait(self, buffer: Any) -> int | None:
        """:meth:`readinto` after :meth:`_wait_socket`: what can be read now (None: nothing
        yet; 0: the end). Raises as :meth:`readinto`."""
        return self._nowait(lambda raw: raw.readinto_nowait(buffer))

    def _can_splice(self) -> bool:
        """True when :meth:`_splice_nowait` can move this body (after :meth:`_wait_socket`,
        a plain TCP body read as it came: no checksum to compute on the way)."""
        return bool(getattr(self._raw, "can_splice", False))

    def _splice_nowait(self, pipe: int, nbytes: int) -> int | None:
        """Move up to ``nbytes`` into the pipe ``pipe`` in the kernel (see
        :meth:`hub._transport._Body.splice_nowait`); as :meth:`_readinto_nowait`."""
        return self._nowait(lambda raw: raw.splice_nowait(pipe, nbytes))

    def _nowait(self, step: Callable[[Any], int | None]) -> int | None:
        # One non-blocking step on the raw body; at its end, as readinto.
        raw: Any = self._raw
        if raw is None:
            return 0
        try:
            n = step(raw)
        except BaseException:
            self._raw = None
            raise
        if n is not None:
            self._took(raw, n)
        return n

    def readline(self, size: int | None = -1) -> bytes:
        """Read one line (up to and including ``\\n``), at most ``size`` bytes when given."""
        limit = -1 if size is None else size
        parts: list[bytes] = []
        total = 0
        while limit < 0 or total < limit:
            if not self._pending:
                self._pending = self._read_raw(_LINE_CHUNK)
                if not self._pending:
                    break
            pending = self._pending
            end = pending.find(b"\n") + 1 or len(pending)
            if limit >= 0:
                end = min(end, limit - total)
            parts.append(pending[:end])
            self._pending = pending[end:]
            total += end
            if parts[-1].endswith(b"\n"):
                break
        return b"".join(parts)

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        """Read the remaining lines (stopping once ``hint`` bytes were read, when given)."""
        lines: list[bytes] = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                return lines

    def iter_chunks(self, chunk_size: int = _DEFAULT_CHUNK) -> Iterator[bytes]:
        """Yield the body in chunks of at most ``chunk_size`` bytes."""
        while True:
            chunk = self.read(chunk_size)
            if not chunk:
                return
            yield chunk

    def iter_lines(self, chunk_size: int = _DEFAULT_CHUNK, keepends: bool = False
                   ) -> Iterator[bytes]:
        """Yield the body line by line (split on ``\\n``/``\\r\\n``, like boto3)."""
        pending = b""
        for chunk in self.iter_chunks(chunk_size):
            lines = (pending + chunk).splitlines(True)
            for line in lines[:-1]:
                yield line if keepends else line.splitlines()[0]
            pending = lines[-1] if lines else b""
        if pending:
            yield pending if keepends else pending.splitlines()[0]

    def __iter__(self) -> Iterator[bytes]:
        """Iterate over 1 KiB chunks (as boto3's StreamingBody does, not over lines)."""
        return self.iter_chunks(_DEFAULT_CHUNK)

    def __next__(self) -> bytes:
        chunk = self.read(_DEFAULT_CHUNK)
        if not chunk:
            raise StopIteration
        return chunk

    def _read_raw(self, amt: int | None) -> bytes:
        raw = self._raw
        if raw is None:  # read to the end, or closed: nothing more to give (as boto3)
            return b""
        try:
            chunk = raw.read(amt)  # raises hub errors; discards its connection on error
        except BaseException:
            self._raw = None
            raise
        self._amount_read += len(chunk)
        if raw.done:
            self._raw = None
            self._verify_length()
        return chunk

    def _verify_length(self) -> None:
        expected = self._content_length
        if expected is not None and self._amount_read != expected:
            raise ConnectionClosedError(
                f"the body from {self._url} ended after {self._amount_read} of {expected} bytes",
                endpoint=self._url,
            )

    # -- lifetime ------------------------------------------------------------------------------

    def seekable(self) -> bool:
        """False: a response body cannot seek."""
        return False

    def writable(self) -> bool:
        """False: a response body is read-only."""
        return False

    def tell(self) -> int:
        """Bytes given out so far."""
        return self._amount_read - len(self._pending)

    def close(self) -> None:
        """Stop reading: the connection is closed unless the body was read to its end (then it
        already went back to the pool). Idempotent; also run when the body is dropped."""
        raw, self._raw = getattr(self, "_raw", None), None
        if raw is not None:
            raw.release()  # back to the pool when read to its end, else closed
        super().close()

    def __del__(self) -> None:
        # The garbage collector may run this after the socket objects were finalized: only
        # discard (close, return the slot); never hand the connection back from here.
        raw = getattr(self, "_raw", None)
        if raw is not None:
            self._raw = None
            raw.discard()

    def __repr__(self) -> str:
        return f"<StreamingBody read={self.tell()} length={self._content_length}>"
