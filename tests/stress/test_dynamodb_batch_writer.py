"""One BatchWriter shared by 8 threads: 10,000 items, none lost, none duplicated.

Two back ends: an in-memory fake that checks every BatchWriteItem call the way DynamoDB does
(at most 25 requests, no key twice) and randomly returns part of a batch as
``UnprocessedItems``; and moto's server, for the real wire path.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

import hub
from hub import Config, Session
from hub.dynamodb import BatchWriteError, Table
from hub.dynamodb.batch import BatchWriter
from hub.dynamodb.types import deserialize_item
from tests._threads import run_in_threads
from tests.servers.moto_server import MotoServer

THREADS = 8
ITEMS = 10_000


class FakeDynamoDB:
    """``batch_write_item`` over a dict, with DynamoDB's checks and random unprocessed items.

    Attributes:
        table: key -> item (native) after every applied request.
        applied: how many times each key was written (a put or a delete).
        calls: BatchWriteItem calls made; max_concurrent: most calls in progress at once.
    """

    def __init__(self, unprocessed_rate: float, seed: int = 7, delay: float = 0.0) -> None:
        self.table: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.applied: Counter[tuple[Any, ...]] = Counter()
        self.calls = 0
        self.max_concurrent = 0
        self._active = 0
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._rate = unprocessed_rate
        self._delay = delay

    def batch_write_item(self, **params: Any) -> dict[str, Any]:
        (name, requests), = params["RequestItems"].items()
        assert 1 <= len(requests) <= 25, len(requests)
        keys = [self._key(r) for r in requests]
        assert len(set(keys)) == len(keys), "DynamoDB refuses a batch with a key twice"
        with self._lock:
            self.calls += 1
            self._active += 1
            self.max_concurrent = max(self.max_concurrent, self._active)
        try:
            if self._delay:
                time.sleep(self._delay)  # lets other threads' batches overlap this one
            unprocessed = []
            with self._lock:
                for key, request in zip(keys, requests, strict=True):
                    if self._random.random() < self._rate:
                        unprocessed.append(request)
                        continue
                    self.applied[key] += 1
                    if "PutRequest" in request:
                        self.table[key] = deserialize_item(request["PutRequest"]["Item"])
                    else:
                        self.table.pop(key, None)
            return {"UnprocessedItems": {name: unprocessed} if unprocessed else {}}
        finally:
            with self._lock:
                self._active -= 1

    @staticmethod
    def _key(request: dict[str, Any]) -> tuple[Any, ...]:
        body = request.get("PutRequest", {}).get("Item") or request["DeleteRequest"]["Key"]
        return (body["pk"]["S"], body["sk"]["N"])


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Switch threads every microsecond (CPython's default is 5 ms): a missing lock in the
    writer then shows up as lost or duplicated items within a few thousand puts."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def _put_all(writer: BatchWriter) -> list[BaseException]:
    per_thread = ITEMS // THREADS

    def work(t: int) -> None:
        for i in range(per_thread):
            writer.put_item(Item={"pk": f"t{t}", "sk": i, "payload": f"{t}-{i}"})

    with writer:
        errors = run_in_threads(THREADS, work, timeout=300)
    return errors


def test_shared_writer_loses_and_duplicates_nothing_with_unprocessed_retries(
        fast_switching: None) -> None:
    fake = FakeDynamoDB(unprocessed_rate=0.2, delay=0.001)
    sleeps: list[float] = []
    writer = BatchWriter(fake, "t", sleep=sleeps.append)
    assert _put_all(writer) == []
    expected = {(f"t{t}", str(i)) for t in range(THREADS) for i in range(ITEMS // THREADS)}
    assert set(fake.table) == expected
    assert set(fake.applied.values()) == {1}  # each item applied exactly once
    assert sleeps and all(0 < s <= 5.0 for s in sleeps)  # retried with backoff
    assert fake.max_concurrent >= 2  # batches from different threads overlapped
    assert fake.calls >= ITEMS // 25


@pytest.mark.parametrize("flush_amount", [25, 7, 1])
def test_racing_puts_lose_and_duplicate_nothing(fast_switching: None, flush_amount: int) -> None:
    # No delay, nothing unprocessed: threads contend for the buffer as hard as they can. Each
    # item must reach the service exactly once (a race shows up as a lost or repeated item,
    # a "dictionary changed size" or KeyError from the buffer, or a duplicate in one batch).
    fake = FakeDynamoDB(unprocessed_rate=0.0)
    writer = BatchWriter(fake, "t", flush_amount=flush_amount)
    assert _put_all(writer) == []
    assert len(fake.table) == ITEMS and set(fake.applied.values()) == {1}
    assert repr(writer).endswith("buffered=0 in_flight=0>")


def test_overwrite_by_pkeys_keeps_each_threads_last_write_per_key() -> None:
    fake = FakeDynamoDB(unprocessed_rate=0.3, seed=11, delay=0.0005)
    writer = BatchWriter(fake, "t", overwrite_by_pkeys=["pk", "sk"], sleep=lambda s: None)
    versions = 200

    def work(t: int) -> None:
        # Every thread rewrites its own 10 keys over and over; the last version must win
        # even though retries of older versions are in flight meanwhile.
        for v in range(versions):
            for k in range(10):
                writer.put_item(Item={"pk": f"t{t}", "sk": k, "v": v})

    with writer:
        assert run_in_threads(THREADS, work, timeout=300) == []
    assert len(fake.table) == THREADS * 10
    assert {item["v"] for item in fake.table.values()} == {versions - 1}


def test_unprocessed_forever_raises_with_the_requests() -> None:
    fake = FakeDynamoDB(unprocessed_rate=1.0)
    writer = BatchWriter(fake, "t", flush_amount=5, max_retries=3, sleep=lambda s: None)
    with pytest.raises(BatchWriteError) as info:
        for i in range(5):
            writer.put_item(Item={"pk": "a", "sk": i})
    assert len(info.value.unprocessed) == 5 and "after 3 retries" in str(info.value)
    writer.flush()  # nothing buffered, nothing in flight: returns at once


def test_ten_thousand_items_from_eight_threads_on_moto(moto: MotoServer) -> None:
    session = Session(Config(region="us-east-1", endpoint_url=moto.url,
                             credentials=hub.Credentials("testing", "testing")))
    client = session.client("dynamodb")
    client.create_table(
        TableName="stress",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST")
    table = Table(client, "stress")
    assert _put_all(table.batch_writer()) == []
    seen = Counter((item["pk"], int(item["sk"])) for item in table.scan_items())
    assert len(seen) == ITEMS and set(seen.values()) == {1}
    assert set(seen) == {(f"t{t}", i) for t in range(THREADS) for i in range(ITEMS // THREADS)}
    sample = table.get_item(Key={"pk": "t3", "sk": 77})["Item"]
    assert sample["payload"] == "3-77"
