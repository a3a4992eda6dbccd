"""Benchmark: hub's DynamoDB table layer vs hub's low-level client and boto3's Table.

Usage::

    python3 benchmarks/bench_table.py [--quick] [--rounds N] [--json PATH]

Scenarios, against a canned-response responder in a child process (``_servers.serve`` with a
20-attribute GetItem answer), interleaved round by round (``_harness.interleave``):

- ``put_item``/``get_item`` of a 20-attribute item: ``hub.client`` is hub's low-level call
  with values serialized beforehand (the target's baseline), ``hub.table`` is
  ``hub.dynamodb.Table`` with native values, ``boto3.table`` is boto3's
  ``resource("dynamodb").Table``, ``boto3.client`` boto3's low-level call, pre-serialized.
- ``serialize``/``deserialize`` of the item alone: hub's vs boto3's TypeSerializer.
- ``batch_writer``: 10,000 items; hub's writer shared by 8 threads and used by 1, boto3's by
  one thread (it is not thread-safe); reported per item. Every hub run is checked: each item
  sent exactly once (a `complete` handler counts the keys of every BatchWriteItem).
- ``put_item cpu``/``get_item cpu``: the same calls timed with this process's CPU clock (the
  responder is another process), the client-side cost even on a busy machine.

Targets (issue 15): ``hub.table`` at most 1.3x ``hub.client`` and at least 3x faster than
``boto3.table``.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _baselines
import _servers
from _harness import Progress, Result, Stats, interleave, print_table, write_json

import hub
from hub.dynamodb import Table
from hub.dynamodb.types import deserialize_item, serialize_item

Op = Callable[[], object]
TABLE = _baselines.TABLE
BATCH_ITEMS = 10_000
BATCH_THREADS = 8

#: A 20-attribute item of the usual kinds: strings, numbers, a flag, a set, a list, a map.
ITEM: dict[str, Any] = {
    "pk": "tenant#0042", "sk": 1700000000, "name": "Ada Lovelace", "email": "ada@example.com",
    "status": "active", "plan": "enterprise", "region": "eu-west-1", "score": Decimal("98.25"),
    "balance": Decimal("-12.5"), "logins": 1234, "verified": True, "deleted": False,
    "notes": None, "tags": {"admin", "beta", "ops"}, "limits": {5, 10, 20},
    "history": ["created", "upgraded", 3], "address": {"city": "London", "zip": "NW1"},
    "avatar": b"\x89PNG\r\n", "created": "2024-01-01T00:00:00Z", "version": 7,
}
KEY = {"pk": ITEM["pk"], "sk": ITEM["sk"]}


# --------------------------------------------------------------------------- responder


def _responder_main() -> None:
    # Child process: the shared responder with a 20-attribute GetItem answer and a JSON
    # answer ({"UnprocessedItems": {}}) for everything else (BatchWriteItem).
    wire = serialize_item(ITEM)
    wire["avatar"] = {"B": "iVBORw0K"}  # base64 on the wire
    original = _servers.build_responses

    def build(object_size: int = 1024) -> dict[str, bytes]:
        canned = original(object_size)
        canned["get_item"] = _servers._json_response({"Item": _sorted_sets(wire)})
        canned["empty"] = _servers._json_response({"UnprocessedItems": {}})
        return canned

    _servers.build_responses = build
    listener = socket.create_server(("127.0.0.1", 0), backlog=256)
    print(f"PORT {listener.getsockname()[1]}", flush=True)
    _servers.serve(listener, sys.stdin.buffer, 1024)


def _sorted_sets(item: dict[str, Any]) -> dict[str, Any]:
    return {k: {t: sorted(v) if t in ("SS", "NS") else v for t, v in av.items()}
            for k, av in item.items()}


class Responder:
    """This script's responder in a child process (stopped by closing its stdin)."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--responder"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline().decode()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"responder did not start (got {line!r})")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def stop(self) -> None:
        """Closes the child's stdin and waits for it (bounded)."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.close()
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(5)
        self._proc.stdout.close()


# --------------------------------------------------------------------------- cases


def hub_client(url: str, on_complete: Callable[[Any], None] | None = None) -> Any:
    """A hub DynamoDB client for the responder (``on_complete``: a ``complete`` handler)."""
    session = hub.Session(hub.Config(region="us-east-1", endpoint_url=url,
                                     credentials=hub.Credentials("testing", "testing"),
                                     max_pool_connections=32))
    if on_complete is not None:
        session.push_back("complete", on_complete, name="bench.delivered")
    return session.client("dynamodb")


def boto3_table(url: str) -> Any:
    """boto3's Table on a warm resource (None without boto3)."""
    import boto3
    from botocore.config import Config

    resource = boto3.session.Session().resource(
        "dynamodb", endpoint_url=url, config=Config(max_pool_connections=32,
                                                    retries={"mode": "standard"}),
        **_baselines.BOTO3_CREDENTIALS)
    return resource.Table(TABLE)


def request_cases(url: str) -> dict[str, Op]:
    """scenario|variant -> operation, each warmed once and checked."""
    client = hub_client(url)
    table = Table(client, TABLE)
    wire_item, wire_key = serialize_item(ITEM), serialize_item(KEY)
    cases: dict[str, Op] = {
        "put_item|hub.client": lambda: client.put_item(TableName=TABLE, Item=wire_item),
        "put_item|hub.table": lambda: table.put_item(Item=ITEM),
        "get_item|hub.client": lambda: client.get_item(TableName=TABLE, Key=wire_key),
        "get_item|hub.table": lambda: table.get_item(Key=KEY),
    }
    try:
        boto = boto3_table(url)
        boto_client = _baselines.boto3_client("dynamodb", url)
    except ImportError:
        boto = None
    if boto is not None:
        cases.update({
            "put_item|boto3.client": lambda: boto_client.put_item(TableName=TABLE,
                                                                  Item=wire_item),
            "put_item|boto3.table": lambda: boto.put_item(Item=ITEM),
            "get_item|boto3.client": lambda: boto_client.get_item(TableName=TABLE,
                                                                  Key=wire_key),
            "get_item|boto3.table": lambda: boto.get_item(Key=KEY),
        })
    for op in cases.values():
        op()
    got = table.get_item(Key=KEY)["Item"]
    assert len(got) == 20 and got["score"] == Decimal("98.25"), got
    return cases


def codec_cases() -> dict[str, Op]:
    """The item's serialization and deserialization alone."""
    wire = serialize_item(ITEM)
    cases: dict[str, Op] = {
        "serialize|hub": lambda: serialize_item(ITEM),
        "deserialize|hub": lambda: deserialize_item(wire),
    }
    try:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
    except ImportError:
        return cases
    ser, de = TypeSerializer(), TypeDeserializer()
    cases["serialize|boto3"] = lambda: {k: ser.serialize(v) for k, v in ITEM.items()}
    cases["deserialize|boto3"] = lambda: {k: de.deserialize(v) for k, v in wire.items()}
    return cases


# --------------------------------------------------------------------------- batch_writer


def _timed_batch(put: Callable[[int, int], None], threads: int, close: Callable[[], None]
                 ) -> float:
    per_thread = BATCH_ITEMS // threads
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        barrier.wait()
        try:
            for i in range(per_thread):
                put(t, i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    start = time.perf_counter_ns()
    for w in workers:
        w.join()
    close()
    elapsed = time.perf_counter_ns() - start
    if errors:
        raise errors[0]
    return elapsed / BATCH_ITEMS


class Delivered:
    """Counts the (pk, sk) keys of every request the writer sent (a ``complete`` handler).

    The responder accepts every batch (no ``UnprocessedItems``), so each item must be sent
    exactly once: :meth:`check` raises if one was lost or sent twice.
    """

    def __init__(self) -> None:
        self.keys: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def __call__(self, request: Any) -> None:
        if request.operation.name != "BatchWriteItem" or request.error is not None:
            return
        (requests,) = request.params["RequestItems"].values()
        keys = [(r["PutRequest"]["Item"]["pk"]["S"], r["PutRequest"]["Item"]["sk"]["N"])
                for r in requests]
        with self._lock:
            self.keys.update(keys)

    def check(self, threads: int) -> None:
        """Raises AssertionError unless each of the run's items was sent exactly once."""
        per_thread = BATCH_ITEMS // threads
        expected = {(f"t{t}", str(i)) for t in range(threads) for i in range(per_thread)}
        sent, self.keys = self.keys, Counter()
        twice = sum(1 for n in sent.values() if n > 1)
        lost = len(expected - set(sent))
        if lost or twice or len(sent) != len(expected):
            raise AssertionError(f"batch_writer x{threads}: {lost} lost, {twice} sent twice")


def batch_results(url: str, repeat: int) -> list[Result]:
    """Per-item cost of 10,000 puts through a batch writer, ``repeat`` times each; hub's runs
    are checked for lost or duplicated items."""
    client = hub_client(url, delivered := Delivered())
    table = Table(client, TABLE)
    variants: dict[str, Callable[[], float]] = {}

    def hub_run(threads: int) -> Callable[[], float]:
        def run() -> float:
            writer = table.batch_writer()
            per_item = _timed_batch(
                lambda t, i: writer.put_item(dict(ITEM, sk=i, pk=f"t{t}")), threads,
                writer.flush)
            delivered.check(threads)
            return per_item
        return run

    variants[f"hub x{BATCH_THREADS} threads"] = hub_run(BATCH_THREADS)
    variants["hub x1 thread"] = hub_run(1)
    try:
        boto = boto3_table(url)
    except ImportError:
        boto = None
    if boto is not None:
        def boto_run() -> float:
            writer = boto.batch_writer()
            writer.__enter__()
            return _timed_batch(lambda t, i: writer.put_item(Item=dict(ITEM, sk=i, pk=f"t{t}")),
                                1, lambda: writer.__exit__(None, None, None))
        variants["boto3 x1 thread"] = boto_run
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeat):
        for name, run in variants.items():
            samples[name].append(run())
    return [Result("batch_writer (per item)", name, Stats.from_samples(
        values, calls=BATCH_ITEMS * len(values),
        threads=BATCH_THREADS if "x8" in name else 1), {"items": BATCH_ITEMS})
        for name, values in samples.items()]


def cpu_results(cases: dict[str, Op], rounds: int, calls: int = 100) -> list[Result]:
    """Client CPU time per call (``time.process_time``), interleaved round by round.

    On a loaded machine wall time mostly measures waiting for a core; the CPU time of this
    process (the responder runs in another) is the client-side cost itself.
    """
    samples: dict[str, list[float]] = {name: [] for name in cases if "_item|" in name}
    for r in range(rounds):
        names = list(samples)
        names = names[r % len(names):] + names[: r % len(names)]
        for name in names:
            op = cases[name]
            start = time.process_time_ns()
            for _ in range(calls):
                op()
            samples[name].append((time.process_time_ns() - start) / calls)
    return [Result(f"{name.split('|')[0]} cpu", name.split("|")[1],
                   Stats.from_samples(values, calls=calls * len(values)),
                   {"clock": "process_time"})
            for name, values in samples.items()]


# --------------------------------------------------------------------------- run


def run(quick: bool, *, rounds: int | None = None) -> list[Result]:
    """All scenarios; returns harness rows (scenario, variant, stats)."""
    rounds = rounds or (5 if quick else 25)
    responder = Responder()
    try:
        cases = {**request_cases(responder.url), **codec_cases()}
        progress = Progress(rounds * len(cases), label="table") if sys.stderr.isatty() else None
        stats = interleave(cases, rounds, progress=progress)
        results = [Result(*name.split("|"), value, {"server": "responder"})
                   for name, value in stats.items()]
        order = ["hub.client", "hub.table", "boto3.table", "boto3.client", "hub", "boto3"]
        results.sort(key=lambda r: (r.scenario, order.index(r.variant)))
        cpu = cpu_results(cases, rounds)
        cpu.sort(key=lambda r: (r.scenario, order.index(r.variant)))
        results += cpu
        results += batch_results(responder.url, 1 if quick else 3)
    finally:
        responder.stop()
    return results


def summary(results: list[Result]) -> list[str]:
    """The target lines: table vs low-level client, and vs boto3's Table."""
    by = {(r.scenario, r.variant): r.stats.median for r in results}
    lines = []
    for op in ("put_item", "get_item", "put_item cpu", "get_item cpu"):
        table, low = by.get((op, "hub.table")), by.get((op, "hub.client"))
        boto = by.get((op, "boto3.table"))
        if table and low:
            line = f"{op}: hub.table / hub.client = {table / low:.2f}x (target <= 1.3x)"
            if boto:
                line += f"; boto3.table / hub.table = {boto / table:.2f}x (target >= 3x)"
            lines.append(line)
    shared = by.get(("batch_writer (per item)", f"hub x{BATCH_THREADS} threads"))
    boto_bw = by.get(("batch_writer (per item)", "boto3 x1 thread"))
    if shared:
        line = (f"batch_writer: {BATCH_ITEMS:,} items from {BATCH_THREADS} threads in "
                f"{shared * BATCH_ITEMS / 1e9:.2f} s ({1e9 / shared:,.0f} items/s; every run"
                f" checked: none lost, none sent twice)")
        if boto_bw:
            line += f"; boto3 (1 thread) {boto_bw * BATCH_ITEMS / 1e9:.2f} s"
        lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> int:
    """Command line: run, print the table and the target lines, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per case")
    parser.add_argument("--json", metavar="PATH", help="write results as JSON")
    parser.add_argument("--responder", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.responder:
        _responder_main()
        return 0
    results = run(args.quick, rounds=args.rounds)
    print_table(results, baseline={"put_item": "hub.client", "get_item": "hub.client",
                                   "put_item cpu": "hub.client", "get_item cpu": "hub.client",
                                   "serialize": "hub", "deserialize": "hub",
                                   "batch_writer (per item)": f"hub x{BATCH_THREADS} threads"})
    print()
    for line in summary(results):
        print(line)
    if args.json:
        write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
