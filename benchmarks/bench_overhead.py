"""Where hub's time goes, without the network: per-phase request cost and thread scaling.

Usage::

    python3 benchmarks/bench_overhead.py

1. **Request phases, no I/O**: a DynamoDB ``PutItem`` request is created, validated, built,
   signed, and its canned response unmarshalled, timed cumulatively (``timeit``, best of 5).
   This is hub's own client-side work per request; everything else in a request is urllib3.
2. **Thread scaling**: the aggregate rate of 8 threads vs 1 for ``session.client("s3")``, for a
   bare ``__slots__`` object and for a plain ``dict.get``. On a GIL build the interpreter's
   own switching cost shows in all three; a lock convoy in hub would show as hub alone falling.
"""

from __future__ import annotations

import sys
import threading
import time
import timeit
import zlib
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _baselines
from urllib3 import HTTPHeaderDict

import hub
from hub._request import HTTPResponse, Request
from hub.services.dynamodb.client import MODEL

_PARAMS = {"TableName": "t", "Item": {"pk": {"S": "key"}, "value": {"S": "v" * 64},
                                      "n": {"N": "42"}}}
_BODY = b'{"ConsumedCapacity":{"TableName":"t","CapacityUnits":1.0}}'


def phase_costs() -> dict[str, float]:
    """Cumulative microseconds per request after each stage (best of 5 x 20,000)."""
    session = hub.Session(hub.Config(region="us-east-1", endpoint_url="http://127.0.0.1:1",
                                     credentials=hub.Credentials("testing", "testing")))
    client_config = session.client("dynamodb").client_config
    handlers, op = client_config.handlers, MODEL.operations["PutItem"]
    headers = HTTPHeaderDict({"x-amzn-RequestId": "abc", "x-amz-crc32": str(zlib.crc32(_BODY)),
                              "Content-Type": "application/x-amz-json-1.0"})

    def new() -> Request:
        return Request(client_config, op, dict(_PARAMS))

    def validated() -> Request:
        r = new()
        r._run(handlers.validate)
        return r

    def built() -> Request:
        r = validated()
        r._run(handlers.build)
        return r

    def signed() -> Request:
        r = built()
        r._run(handlers.sign)
        return r

    def parsed() -> Request:
        r = signed()
        r.http_response = HTTPResponse(200, headers, _BODY)
        for phase in (handlers.unmarshal_meta, handlers.validate_response, handlers.unmarshal):
            r._run(phase)
        for phase in (handlers.retry, handlers.after_retry, handlers.complete):
            r._run_all(phase)
        assert r.error is None, r.error
        return r

    stages: dict[str, Callable[[], Request]] = {
        "create Request": new, "+ validate": validated, "+ build (serialize)": built,
        "+ sign (SigV4)": signed, "+ unmarshal, retry, complete": parsed,
    }
    number = 20_000
    return {name: min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6
            for name, fn in stages.items()}


def _rate(fn: Callable[[], object], threads: int, total: int = 1_000_000) -> float:
    per = total // threads
    barrier = threading.Barrier(threads + 1)

    def worker() -> None:
        barrier.wait()
        for _ in range(per):
            fn()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in pool:
        thread.join()
    return per * threads / (time.perf_counter() - start)


def thread_scaling(threads: int = 8) -> dict[str, tuple[float, float]]:
    """(1-thread rate, N-thread aggregate rate) in calls/s, best of 3 each."""
    session = hub.Session(hub.Config(region="us-east-1",
                                     credentials=hub.Credentials("testing", "testing")))
    session.client("s3")
    table = {("s3", ()): 1}
    cases: dict[str, Callable[[], object]] = {
        "dict.get": lambda: table.get(("s3", ())),
        "bare object": _baselines.slots_object(),
        "hub session.client('s3')": lambda: session.client("s3"),
    }
    return {name: (max(_rate(fn, 1) for _ in range(3)),
                   max(_rate(fn, threads) for _ in range(3))) for name, fn in cases.items()}


def main() -> None:
    """Print both measurements."""
    print("hub's own work per DynamoDB PutItem, no I/O (cumulative):")
    for name, micros in phase_costs().items():
        print(f"  {name:32s} {micros:6.1f} µs")
    print("\naggregate rate, 8 threads vs 1 (same interpreter, same machine):")
    for name, (one, eight) in thread_scaling().items():
        print(f"  {name:28s} 1 thread {one / 1e6:5.2f} M/s   8 threads {eight / 1e6:5.2f} M/s"
              f"   ratio {eight / one:.2f}")


if __name__ == "__main__":
    main()
