"""``BatchWriter``: buffered ``BatchWriteItem`` for one table, safe to share between threads."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol

from hub._forksafe import at_fork_reinit
from hub.dynamodb._wire import malformed, wire_call
from hub.dynamodb.errors import BatchGetError, BatchWriteError
from hub.dynamodb.types import (
    LOW_LEVEL,
    WIRE,
    UncheckedValueError,
    deserialize_item,
    serialize_item,
)
from hub.errors import ParamValidationError

__all__ = ["BatchWriter", "batch_get", "batch_get_item", "batch_write_item"]

logger = logging.getLogger(__name__)

#: DynamoDB's limit on requests per BatchWriteItem call.
MAX_BATCH = 25
#: DynamoDB's limit on keys per BatchGetItem call.
MAX_BATCH_GET = 100


class _BatchWriteClient(Protocol):
    def batch_write_item(self, **params: Any) -> dict[str, Any]: ...


class _BatchGetClient(Protocol):
    def batch_get_item(self, **params: Any) -> dict[str, Any]: ...


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
        self._wire = wire_call(client)
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
        self._add(Item, {"PutRequest": {"Item": self._serialize(Item, "Item")}}, "Item")

    def delete_item(self, Key: Mapping[str, Any]) -> None:
        """Buffer a delete of the item with ``Key`` (native values); may write a batch.

        Raises:
            Same as :meth:`put_item`.
        """
        self._add(Key, {"DeleteRequest": {"Key": self._serialize(Key, "Key")}}, "Key")

    def _serialize(self, native: Mapping[str, Any], param: str) -> dict[str, Any]:
        if self._wire is None:
            return serialize_item(native)
        return _wire_item(native, param)

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
            if self._wire is not None:
                response = self._wire("BatchWriteItem", {"RequestItems": {table: pending}})
            else:
                response = self._client.batch_write_item(RequestItems={table: pending})
            unprocessed = (response.get("UnprocessedItems") or {}).get(table) or []
            logger.debug("BatchWriteItem sent %d, unprocessed %d", len(pending),
                         len(unprocessed))
            if not unprocessed:
                return
            stalled = stalled + 1 if len(unprocessed) >= len(pending) else 0
            if stalled > self._max_retries:
                if self._wire is not None:
                    unprocessed = _low_level_requests(unprocessed, "BatchWriteItem")
                raise BatchWriteError(table, unprocessed, self._max_retries)
            retries += 1
            self._sleep(_backoff(retries, self._backoff_base, self._backoff_cap))
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


# --------------------------------------------------------------------------- one-call helpers


def _backoff(retries: int, base: float = 0.05, cap: float = 5.0) -> float:
    delay = min(cap, base * 2.0 ** min(retries - 1, 30))
    return delay / 2 + random.uniform(0, delay / 2)


def _wire_item(native: Mapping[str, Any], param: str) -> dict[str, Any]:
    try:
        return WIRE.serialize_item(native)
    except UncheckedValueError:
        # Found before anything is buffered, rather than failing a whole batch later.
        raise ParamValidationError("BatchWriteItem", [
            f"Invalid type for parameter {param}: a nested map has a key that is not a str, "
            "valid types: <class 'str'>"]) from None


def _low_level_requests(requests: list[dict[str, Any]], operation: str
                        ) -> list[dict[str, Any]]:
    # Wire-form write requests back in the form BatchWriteError documents.
    try:
        return _map_requests(requests, lambda item: LOW_LEVEL.serialize_item(
            WIRE.deserialize_item(item)))
    except (TypeError, ValueError, AttributeError) as exc:
        raise malformed(operation, exc) from exc


def batch_get(client: _BatchGetClient, table_name: str, keys: Iterable[Mapping[str, Any]], *,
              max_retries: int = 10, sleep: Callable[[float], object] = time.sleep,
              **params: Any) -> list[dict[str, Any]]:
    """Get the items with ``keys`` (native) from one table, 100 keys per BatchGetItem call,
    retrying ``UnprocessedKeys`` with backoff (:meth:`hub.dynamodb.Table.batch_get`).

    Raises:
        BatchGetError: Keys stayed unprocessed after ``max_retries`` retries in a row that
            returned nothing.
        ClientError: The service refused.
    """
    out: list[dict[str, Any]] = []
    wire = wire_call(client)
    codec = LOW_LEVEL if wire is None else WIRE

    def fetch(pending: list[dict[str, Any]]) -> None:
        stalled = retries = 0
        while pending:
            request = {table_name: {**params, "Keys": pending}}
            result = (client.batch_get_item(RequestItems=request) if wire is None
                      else wire("BatchGetItem", {"RequestItems": request}))
            got = result.get("Responses", {}).get(table_name, [])
            try:
                out.extend(codec.deserialize_item(item) for item in got)
            except (TypeError, ValueError, AttributeError) as exc:
                if wire is None:
                    raise
                raise malformed("BatchGetItem", exc) from exc
            left = (result.get("UnprocessedKeys") or {}).get(table_name, {}).get("Keys") or []
            if not left:
                return
            stalled = 0 if got else stalled + 1
            if stalled > max_retries:
                if wire is not None:
                    try:
                        left = [serialize_item(WIRE.deserialize_item(k)) for k in left]
                    except (TypeError, ValueError, AttributeError) as exc:
                        raise malformed("BatchGetItem", exc) from exc
                raise BatchGetError(table_name, left, max_retries)
            retries += 1
            sleep(_backoff(retries))
            pending = left

    chunk: list[dict[str, Any]] = []
    for key in keys:
        chunk.append(serialize_item(key) if wire is None else _wire_item(key, "Keys"))
        if len(chunk) == MAX_BATCH_GET:
            fetch(chunk)
            chunk = []
    if chunk:
        fetch(chunk)
    return out


def _map_requests(requests: list[dict[str, Any]],
                  convert: Callable[[Any], dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for request in requests:
        if "PutRequest" in request:
            out.append({"PutRequest": {"Item": convert(request["PutRequest"]["Item"])}})
        elif "DeleteRequest" in request:
            out.append({"DeleteRequest": {"Key": convert(request["DeleteRequest"]["Key"])}})
        else:
            out.append(request)
    return out


def batch_get_item(client: _BatchGetClient, **kwargs: Any) -> dict[str, Any]:
    """BatchGetItem with native keys and items (boto3's ``dynamodb`` resource method).

    ``RequestItems={"t": {"Keys": [{"pk": "a"}], ...}}``; ``Responses`` and ``UnprocessedKeys``
    come back native. One call: retrying ``UnprocessedKeys`` is the caller's (or use
    :meth:`Table.batch_get`).
    """
    request = {
        table: {**spec, "Keys": [serialize_item(k) for k in spec.get("Keys", ())]}
        for table, spec in kwargs.get("RequestItems", {}).items()
    }
    result = client.batch_get_item(**{**kwargs, "RequestItems": request})
    result["Responses"] = {t: [deserialize_item(i) for i in items]
                           for t, items in result.get("Responses", {}).items()}
    result["UnprocessedKeys"] = {
        t: {**spec, "Keys": [deserialize_item(k) for k in spec.get("Keys", ())]}
        for t, spec in (result.get("UnprocessedKeys") or {}).items()}
    return result


def batch_write_item(client: _BatchWriteClient, **kwargs: Any) -> dict[str, Any]:
    """BatchWriteItem with native items and keys (boto3's ``dynamodb`` resource method).

    ``UnprocessedItems`` come back native. One call: for buffering and retries use
    :meth:`Table.batch_writer`.
    """
    request = {table: _map_requests(requests, serialize_item)
               for table, requests in kwargs.get("RequestItems", {}).items()}
    result = client.batch_write_item(**{**kwargs, "RequestItems": request})
    result["UnprocessedItems"] = {t: _map_requests(reqs, deserialize_item)
                                  for t, reqs in (result.get("UnprocessedItems") or {}).items()}
    return result
