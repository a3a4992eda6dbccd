"""``BatchWriter``: buffered ``BatchWriteItem`` for one table, safe to share between threads."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol

from hub._forksafe import at_fork_reinit
from hub.dynamodb.types import serialize_item
from hub.errors import HubError, ParamValidationError

__all__ = ["BatchGetError", "BatchWriteError", "BatchWriter"]

logger = logging.getLogger(__name__)

#: DynamoDB's limit on requests per BatchWriteItem call.
MAX_BATCH = 25


class _BatchWriteClient(Protocol):
    def batch_write_item(self, **params: Any) -> dict[str, Any]: ...


class BatchWriteError(HubError):
    """DynamoDB kept returning some requests as ``UnprocessedItems`` until retries ran out.

    Attributes:
        table_name: The table written to.
        unprocessed: The write requests (low-level form, ``{"PutRequest": {"Item": ...}}``)
            that were not written; nothing else of the batch is missing.
    """

    def __init__(self, table_name: str, unprocessed: list[dict[str, Any]], retries: int
                 ) -> None:
        super().__init__(
            f"BatchWriteItem on table {table_name!r}: {len(unprocessed)} request(s) still"
            f" unprocessed after {retries} retries without progress"
        )
        self.table_name = table_name
        self.unprocessed = unprocessed


class BatchGetError(HubError):
    """DynamoDB kept returning keys as ``UnprocessedKeys`` until retries ran out.

    Attributes:
        table_name: The table read.
        unprocessed: The keys (low-level form) that were not read.
    """

    def __init__(self, table_name: str, unprocessed: list[dict[str, Any]], retries: int
                 ) -> None:
        super().__init__(
            f"BatchGetItem on table {table_name!r}: {len(unprocessed)} key(s) still"
            f" unprocessed after {retries} retries without progress"
        )
        self.table_name = table_name
        self.unprocessed = unprocessed


class BatchWriter:
    """Buffers puts and deletes for one table and writes them 25 at a time.

    **Safe to share between threads** (boto3's is not): any number of threads may call
    :meth:`put_item`/:meth:`delete_item` on one writer. The buffer is guarded by a lock; the
    thread whose call fills a batch sends it, outside the lock, so batches from different
    threads are written concurrently. Every request is sent exactly once unless DynamoDB
    returns it in ``UnprocessedItems``, in which case the same thread retries it with
    exponential backoff and jitter before its call returns.

    Ordering: with ``overwrite_by_pkeys``, a newer request for a key replaces an older one
    still in the buffer (as in boto3), and is not sent while an older request for the same key
    is being written, so writes to one key land in the order they were buffered. Without it,
    requests sent by different threads' batches may land in any order, and two requests for
    the same key in one batch are refused by DynamoDB (as in boto3).

    Use it as a context manager (leaving the block calls :meth:`flush`) or call :meth:`flush`
    yourself. After a fork, the child starts with an empty buffer (the parent writes its own).

    Args:
        client: A DynamoDB client (``session.client("dynamodb")``).
        table_name: The table.
        flush_amount: Requests per ``BatchWriteItem`` call (1-25).
        overwrite_by_pkeys: Key attribute names to de-duplicate buffered requests by, e.g.
            ``["pk", "sk"]``.
        max_retries: Retries of ``UnprocessedItems`` in a row that write nothing before
            :class:`BatchWriteError` is raised (a retry that writes part of them resets it).
        backoff_base: First retry delay in seconds (doubling, capped by ``backoff_cap``; a
            random half of each delay is jitter).
        backoff_cap: Longest retry delay in seconds.
        sleep: Called to wait between retries (tests pass a fake).

    Raises:
        ParamValidationError: ``flush_amount`` is not 1-25 or ``max_retries`` is negative.
    """

    def __init__(self, client: _BatchWriteClient, table_name: str, *,
                 flush_amount: int = MAX_BATCH,
                 overwrite_by_pkeys: Sequence[str] | None = None,
                 max_retries: int = 10, backoff_base: float = 0.05, backoff_cap: float = 5.0,
                 sleep: Callable[[float], object] = time.sleep) -> None:
        if not 1 <= flush_amount <= MAX_BATCH:
            raise ParamValidationError(
                "BatchWriteItem", [f"flush_amount must be 1-{MAX_BATCH}, got {flush_amount}"])
        if max_retries < 0:
            raise ParamValidationError(
                "BatchWriteItem", [f"max_retries must be >= 0, got {max_retries}"])
        self._client = client
        self._table_name = table_name
        self._flush_amount = flush_amount
        self._pkeys = tuple(overwrite_by_pkeys) if overwrite_by_pkeys else ()
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._sleep = sleep
        self._reset_state()
        at_fork_reinit(self, BatchWriter._reset_state)

    def _reset_state(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        # Buffered requests in arrival order, by de-duplication key (a counter without pkeys).
        self._buffer: dict[Hashable, dict[str, Any]] = {}
        self._inflight_keys: set[Hashable] = set()
        self._inflight = 0
        self._seq = 0

    @property
    def table_name(self) -> str:
        """The table written to."""
        return self._table_name

    def put_item(self, Item: Mapping[str, Any]) -> None:
        """Buffer a put of ``Item`` (native values); may write a batch before returning.

        Raises:
            UnsupportedTypeError, NumberError: A value cannot be serialized.
            ParamValidationError: ``Item`` lacks an ``overwrite_by_pkeys`` attribute.
            BatchWriteError: A batch this call sent stayed unprocessed.
            ClientError: ``BatchWriteItem`` failed (that batch's requests are dropped).
        """
        self._add(Item, {"PutRequest": {"Item": serialize_item(Item)}}, "Item")

    def delete_item(self, Key: Mapping[str, Any]) -> None:
        """Buffer a delete of the item with ``Key`` (native values); may write a batch.

        Raises:
            Same as :meth:`put_item`.
        """
        self._add(Key, {"DeleteRequest": {"Key": serialize_item(Key)}}, "Key")

    def _dedup_key(self, native: Mapping[str, Any], param: str) -> Hashable | None:
        if not self._pkeys:
            return None  # numbered under the lock
        missing = [k for k in self._pkeys if k not in native]
        if missing:
            raise ParamValidationError("BatchWriteItem", [
                f"{param} lacks {', '.join(map(repr, missing))}, named in overwrite_by_pkeys"])
        key = tuple(native[k] for k in self._pkeys)
        try:
            hash(key)
        except TypeError:  # not a valid key value; still de-duplicate by its text
            return repr(key)
        return key

    def _add(self, native: Mapping[str, Any], request: dict[str, Any], param: str) -> None:
        key = self._dedup_key(native, param)
        with self._cond:
            buffer = self._buffer
            if key is None:
                key = self._seq
                self._seq += 1
            elif buffer.pop(key, None) is not None:
                logger.debug("overwrite_by_pkeys: replaced a buffered request for %r", key)
            buffer[key] = request
            batch = self._take() if len(buffer) >= self._flush_amount else None
        if batch is not None:
            self._send(*batch)

    def _take(self) -> tuple[list[Hashable], list[dict[str, Any]]] | None:
        # Called with the lock held. Requests whose key is being written wait their turn.
        keys: list[Hashable] = []
        inflight = self._inflight_keys
        for key in self._buffer:
            if not (self._pkeys and key in inflight):
                keys.append(key)
                if len(keys) == self._flush_amount:
                    break
        if not keys:
            return None
        requests = [self._buffer.pop(k) for k in keys]
        if self._pkeys:
            inflight.update(keys)
        self._inflight += 1
        return keys, requests

    def _send(self, keys: list[Hashable], requests: list[dict[str, Any]]) -> None:
        try:
            self._write(requests)
        finally:
            with self._cond:
                self._inflight -= 1
                if self._pkeys:
                    self._inflight_keys.difference_update(keys)
                self._cond.notify_all()

    def _write(self, pending: list[dict[str, Any]]) -> None:
        table = self._table_name
        retries = stalled = 0
        while True:
            response = self._client.batch_write_item(RequestItems={table: pending})
            unprocessed = (response.get("UnprocessedItems") or {}).get(table) or []
            logger.debug("BatchWriteItem sent %d, unprocessed %d", len(pending),
                         len(unprocessed))
            if not unprocessed:
                return
            stalled = stalled + 1 if len(unprocessed) >= len(pending) else 0
            if stalled > self._max_retries:
                raise BatchWriteError(table, unprocessed, self._max_retries)
            retries += 1
            delay = min(self._backoff_cap, self._backoff_base * 2 ** min(retries - 1, 30))
            self._sleep(delay / 2 + random.uniform(0, delay / 2))
            pending = unprocessed

    def flush(self) -> None:
        """Write everything buffered, and wait for batches other threads are writing.

        When it returns, every request buffered before the call has been written (or its
        error raised in the thread that sent it).

        Raises:
            BatchWriteError, ClientError: As :meth:`put_item`, for batches this call sends.
        """
        while True:
            with self._cond:
                batch = self._take()
                if batch is None:
                    if self._inflight == 0 and not self._buffer:
                        return
                    self._cond.wait()
                    continue
            self._send(*batch)

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.flush()

    def __repr__(self) -> str:
        return (f"<BatchWriter table={self._table_name!r} buffered={len(self._buffer)}"
                f" in_flight={self._inflight}>")
