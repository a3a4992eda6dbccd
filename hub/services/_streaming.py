"""``StreamingBody``: a streamed response body (S3 ``GetObject``'s ``Body``), boto3-compatible.

The body holds a pooled connection until it is read to the end or closed; then the connection
goes back to the pool (when fully read) or is discarded (when closed early: the unread rest of
the response would otherwise have to be downloaded first). Use it as a context manager, or read
it to the end, so connections are never leaked.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any

from hub.errors import ConnectionClosedError

__all__ = ["StreamingBody"]

_DEFAULT_CHUNK = 1024


class StreamingBody:
    """A file-like, read-once view of a response body.

    Args:
        raw: The urllib3 response whose body is still unread.
        content_length: The declared length (``Content-Length``), or None when unknown. Reading
            fewer bytes than declared raises :class:`~hub.errors.ConnectionClosedError`.
        url: The request URL (for error messages; the query string is not shown).
    """

    __slots__ = ("_raw", "_content_length", "_amount_read", "_url", "_closed")

    def __init__(self, raw: Any, content_length: int | None, url: str = "") -> None:
        self._raw = raw
        self._content_length = content_length
        self._amount_read = 0
        self._url = url.partition("?")[0]
        self._closed = False

    # -- reading -------------------------------------------------------------------------------

    def read(self, amt: int | None = None) -> bytes:
        """Read up to ``amt`` bytes (all the rest when None); ``b""`` at the end.

        Raises:
            ConnectionClosedError: The connection broke, or ended before ``Content-Length``
                bytes arrived.
        """
        if self._closed:  # fully read or closed: nothing more to give (as boto3)
            return b""
        raw = self._raw
        try:
            chunk: bytes = raw.read(amt)
        except Exception as exc:
            self._discard()
            raise ConnectionClosedError(
                f"connection broke while reading the body from {self._url}: {exc}",
                endpoint=self._url,
            ) from exc
        self._amount_read += len(chunk)
        if amt is None or (not chunk and amt != 0):
            self._finish()
        elif self._content_length is not None and self._amount_read >= self._content_length:
            self._finish()
        return chunk

    def readable(self) -> bool:
        """Always True while open (file-like protocol)."""
        return not self._closed

    def readinto(self, buffer: bytearray | memoryview) -> int:
        """Read into ``buffer``; return the number of bytes read (0 at the end)."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

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
        """Iterate over 1 KiB chunks (as boto3's StreamingBody does)."""
        return self.iter_chunks(_DEFAULT_CHUNK)

    def __next__(self) -> bytes:
        chunk = self.read(_DEFAULT_CHUNK)
        if not chunk:
            raise StopIteration
        return chunk

    # -- lifetime ------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once the body was fully read or closed."""
        return self._closed

    def tell(self) -> int:
        """Bytes read so far."""
        return self._amount_read

    def close(self) -> None:
        """Stop reading: a fully read body returns its connection to the pool; otherwise the
        connection is dropped (cheaper than downloading the rest)."""
        if not self._closed:
            self._discard()

    def _finish(self) -> None:
        self._closed = True
        raw, self._raw = self._raw, None
        if raw is None:
            return
        raw.release_conn()
        expected = self._content_length
        if expected is not None and self._amount_read != expected:
            raise ConnectionClosedError(
                f"the body from {self._url} ended after {self._amount_read} of {expected}"
                " bytes",
                endpoint=self._url,
            )

    def _discard(self) -> None:
        self._closed = True
        raw, self._raw = self._raw, None
        if raw is None:
            return
        try:
            # A response read to its end can go back to the pool; otherwise close the socket.
            if raw.isclosed() or (self._content_length is not None
                                  and self._amount_read >= self._content_length):
                raw.release_conn()
            else:
                raw.close()
                raw.release_conn()
        except Exception:  # noqa: BLE001 - a broken connection is simply not reused
            pass

    def __enter__(self) -> StreamingBody:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:
        # A body dropped unread must not pin its pooled connection forever.
        if not getattr(self, "_closed", True):
            self._discard()

    def __repr__(self) -> str:
        return f"<StreamingBody read={self._amount_read} length={self._content_length}>"
