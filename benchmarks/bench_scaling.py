"""Sessions that travel: per-task setup, tasks/s, connections and credential loads per worker.

1,000 small S3 GETs (``--gets``) spread over ``--tasks`` tasks run in a process pool (fork) and
on a Dask ``LocalCluster`` (2 worker processes each, ``--workers``), against the fast
canned-response responder (``_servers.py``) on 127.0.0.1. Four ways to get a client in a task:

``hub passed-in``   the task receives the pickled ``hub.Session`` (it unpickles it itself, so
                    the unpickle is inside the timed setup) and calls ``.client("s3")``;
``hub global``      a hub Session built once per process in a module global, ``.client("s3")``;
``boto3 per-task``  ``boto3.session.Session().client("s3")`` in every task (the common pattern);
``boto3 global``    a hand-rolled per-process global boto3 client.

Measured per variant: the per-task setup (from task start until the client is ready, median
and p90 over tasks), wall time and tasks/s for the whole job, and per worker process the TCP
connections opened (urllib3's ``create_connection`` counted in the worker: both SDKs use it)
and the credential loads (the environment provider's ``load`` counted in the worker: both read
the dummy keys from the environment). Also: the per-task overhead end to end, as the engine
sees it (tasks of zero GETs: dispatch, argument transfer and setup).

``python3 benchmarks/bench_scaling.py`` (``--engines pool,dask``, ``--gets``, ``--tasks``,
``--json PATH``, ``--quick``) prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import pickle
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
for _path in (str(ROOT), str(BENCH_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import hub  # noqa: E402

BUCKET, KEY = "bench-bucket", "bench-key"
VARIANTS = ("hub passed-in", "hub global", "boto3 per-task", "boto3 global")
ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/bench/config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/bench/credentials",
    "AWS_EC2_METADATA_DISABLED": "true", "NO_PROXY": "127.0.0.1,localhost",
}

# ---------------------------------------------------------------- in the worker processes

_COUNTS = {"connections": 0, "credential_loads": 0}
_INSTRUMENTED = False
_GLOBALS: dict[str, Any] = {}


def _instrument() -> None:
    """Count TCP connects and credential loads in this process (idempotent)."""
    global _INSTRUMENTED
    if _INSTRUMENTED:
        return
    _INSTRUMENTED = True
    import botocore.credentials
    import urllib3.util.connection

    import hub.credentials

    def counting(owner: Any, name: str, key: str) -> None:
        original = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _COUNTS[key] += 1
            return original(*args, **kwargs)

        setattr(owner, name, wrapper)

    counting(urllib3.util.connection, "create_connection", "connections")
    counting(hub.credentials.EnvironmentProvider, "load", "credential_loads")
    counting(botocore.credentials.EnvProvider, "load", "credential_loads")


def _stats() -> dict[str, int]:
    return {"pid": os.getpid(), **_COUNTS}


def _reset() -> None:
    _instrument()
    for key in _COUNTS:
        _COUNTS[key] = 0


def _get_all(s3: Any, gets: int) -> None:
    for _ in range(gets):
        s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read()


def task_hub_passed(data: bytes, gets: int) -> tuple[dict[str, int], int]:
    """``hub passed-in``: unpickle the session, make a client, GET."""
    _instrument()
    started = time.perf_counter_ns()
    s3 = pickle.loads(data).client("s3")
    setup = time.perf_counter_ns() - started
    _get_all(s3, gets)
    return _stats(), setup


def task_hub_global(gets: int) -> tuple[dict[str, int], int]:
    """``hub global``: a per-process session in a module global."""
    _instrument()
    started = time.perf_counter_ns()
    session = _GLOBALS.get("hub")
    if session is None:
        session = _GLOBALS["hub"] = hub.Session(hub.Config(
            region="us-east-1", endpoint_url=os.environ["BENCH_ENDPOINT"]))
    s3 = session.client("s3")
    setup = time.perf_counter_ns() - started
    _get_all(s3, gets)
    return _stats(), setup


def task_boto3_per_task(gets: int) -> tuple[dict[str, int], int]:
    """``boto3 per-task``: a boto3 session and client in every task."""
    _instrument()
    import boto3

    started = time.perf_counter_ns()
    s3 = boto3.session.Session().client("s3", region_name="us-east-1",
                                        endpoint_url=os.environ["BENCH_ENDPOINT"])
    setup = time.perf_counter_ns() - started
    _get_all(s3, gets)
    return _stats(), setup


def task_boto3_global(gets: int) -> tuple[dict[str, int], int]:
    """``boto3 global``: a hand-rolled per-process global boto3 client."""
    _instrument()
    import boto3

    started = time.perf_counter_ns()
    s3 = _GLOBALS.get("boto3")
    if s3 is None:
        s3 = _GLOBALS["boto3"] = boto3.session.Session().client(
            "s3", region_name="us-east-1", endpoint_url=os.environ["BENCH_ENDPOINT"])
    setup = time.perf_counter_ns() - started
    _get_all(s3, gets)
    return _stats(), setup


# ---------------------------------------------------------------- the driver


def _calls(variant: str, data: bytes, gets: int) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    if variant == "hub passed-in":
        return task_hub_passed, (data, gets)
    return {"hub global": task_hub_global, "boto3 per-task": task_boto3_per_task,
            "boto3 global": task_boto3_global}[variant], (gets,)


def _summary(variant: str, results: list[tuple[dict[str, int], int]], seconds: float,
             tasks: int, gets: int, workers: dict[int, dict[str, int]]) -> dict[str, Any]:
    setups = sorted(setup for _, setup in results)
    return {
        "variant": variant, "tasks": tasks, "gets": gets * tasks, "seconds": seconds,
        "tasks_per_s": tasks / seconds, "gets_per_s": gets * tasks / seconds,
        "setup_median_us": statistics.median(setups) / 1000,
        "setup_p90_us": setups[int(len(setups) * 0.9)] / 1000,
        "per_worker": workers,
    }


def _per_worker(results: list[tuple[dict[str, int], int]]) -> dict[int, dict[str, int]]:
    workers: dict[int, dict[str, int]] = {}
    for stats, _ in results:  # counters are cumulative: the largest is the worker's total
        seen = workers.setdefault(stats["pid"], {"connections": 0, "credential_loads": 0})
        for key in seen:
            seen[key] = max(seen[key], stats[key])
    return workers


def run_pool(variant: str, data: bytes, tasks: int, gets: int, processes: int
             ) -> dict[str, Any]:
    """One variant in a fresh fork-context process pool (started and warmed before timing)."""
    fn, args = _calls(variant, data, gets)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_reset) as pool:
        for future in [pool.submit(_reset) for _ in range(processes * 2)]:
            future.result()
        started = time.perf_counter()
        results = [f.result() for f in [pool.submit(fn, *args) for _ in range(tasks)]]
        seconds = time.perf_counter() - started
    return _summary(variant, results, seconds, tasks, gets, _per_worker(results))


def run_dask(client: Any, variant: str, data: bytes, tasks: int, gets: int) -> dict[str, Any]:
    """One variant on the Dask cluster (counters reset on every worker first)."""
    fn, args = _calls(variant, data, gets)
    client.run(_reset)
    started = time.perf_counter()
    futures = [client.submit(fn, *args, pure=False) for _ in range(tasks)]
    results = client.gather(futures)
    seconds = time.perf_counter() - started
    workers = {s["pid"]: {"connections": s["connections"],
                          "credential_loads": s["credential_loads"]}
               for s in client.run(_stats).values()}
    return _summary(variant, results, seconds, tasks, gets, workers)


def _table(title: str, rows: list[dict[str, Any]]) -> str:
    lines = [f"### {title}", "",
             "| variant | setup median (µs) | setup p90 (µs) | tasks/s | GETs/s | "
             "connections per worker | credential loads per worker |",
             "| --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for row in rows:
        workers = row["per_worker"].values()
        lines.append(
            f"| {row['variant']} | {row['setup_median_us']:,.1f} | {row['setup_p90_us']:,.1f} | "
            f"{row['tasks_per_s']:,.0f} | {row['gets_per_s']:,.0f} | "
            f"{', '.join(str(w['connections']) for w in workers)} | "
            f"{', '.join(str(w['credential_loads']) for w in workers)} |")
    return "\n".join(lines)


def _targets(rows: list[dict[str, Any]], empty: list[dict[str, Any]], pool_size: int
             ) -> list[str]:
    by = {row["variant"]: row for row in rows}
    empty_by = {row["variant"]: row for row in empty}
    passed, glob = by["hub passed-in"], by["hub global"]
    per_task = by["boto3 per-task"]
    setup_ratio = passed["setup_median_us"] / glob["setup_median_us"]
    overhead_ratio = (1 / empty_by["hub passed-in"]["tasks_per_s"]) / (
        1 / empty_by["hub global"]["tasks_per_s"])
    cheaper = per_task["setup_median_us"] / passed["setup_median_us"]
    loads = [w["credential_loads"] for w in passed["per_worker"].values()]
    conns = [w["connections"] for w in passed["per_worker"].values()]

    def mark(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    return [
        f"{mark(overhead_ratio <= 2)} per-task overhead end to end (tasks of 0 GETs), passed-in "
        f"vs global: {overhead_ratio:.2f}x (target <= 2x); setup alone {setup_ratio:.1f}x "
        f"({passed['setup_median_us']:.1f} vs {glob['setup_median_us']:.1f} µs)",
        f"{mark(cheaper >= 100)} passed-in setup vs boto3 session+client per task: "
        f"{cheaper:,.0f}x cheaper (target >= 100x)",
        f"{mark(all(n == 1 for n in loads))} credential loads per worker (passed-in): {loads}",
        f"{mark(all(n <= pool_size for n in conns))} connections per worker (passed-in): "
        f"{conns} (max_pool_connections={pool_size})",
    ]


def _run_engine(engine: str, data: bytes, tasks: int, gets: int, empty_tasks: int,
                workers: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every variant on one engine, then the zero-GET tasks for the end-to-end overhead."""
    if engine == "pool":
        rows = [run_pool(variant, data, tasks, gets, workers) for variant in VARIANTS]
        empty = [run_pool(variant, data, empty_tasks, 0, workers)
                 for variant in ("hub passed-in", "hub global")]
        return rows, empty
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        rows = [run_dask(client, variant, data, tasks, gets) for variant in VARIANTS]
        empty = [run_dask(client, variant, data, empty_tasks, 0)
                 for variant in ("hub passed-in", "hub global")]
    return rows, empty


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print Markdown; exit 1 on a missed target with ``--check``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--engines", default="pool,dask")
    parser.add_argument("--gets", type=int, default=1000, help="GETs in all, per variant")
    parser.add_argument("--tasks", type=int, default=250, help="tasks the GETs are spread over")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--empty-tasks", type=int, default=500,
                        help="tasks of 0 GETs for the end-to-end per-task overhead")
    parser.add_argument("--quick", action="store_true", help="200 GETs over 50 tasks")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    if args.quick:
        args.gets, args.tasks, args.empty_tasks = 200, 50, 100
    os.environ.update(ENV)
    from _servers import FastResponder

    results: dict[str, Any] = {"gets": args.gets, "tasks": args.tasks, "engines": {}}
    missed = False
    with FastResponder() as responder:
        os.environ["BENCH_ENDPOINT"] = responder.url
        session = hub.Session(hub.Config(region="us-east-1", endpoint_url=responder.url))
        data = pickle.dumps(session)
        pool_size = session.config.max_pool_connections or 10
        gets = max(1, args.gets // args.tasks)
        for engine in args.engines.split(","):
            if engine not in ("pool", "dask"):
                parser.error(f"unknown engine {engine!r} (pool, dask)")
            rows, empty = _run_engine(engine, data, args.tasks, gets, args.empty_tasks,
                                      args.workers)
            targets = _targets(rows, empty, pool_size)
            missed |= any(t.startswith("MISS") for t in targets)
            results["engines"][engine] = {"rows": rows, "empty": empty, "targets": targets}
            title = {"pool": "ProcessPoolExecutor (fork)", "dask": "Dask LocalCluster"}[engine]
            print(_table(f"{title}: {gets * args.tasks} GETs over {args.tasks} tasks, "
                         f"{args.workers} worker processes", rows))
            print()
            print("| end to end, tasks of 0 GETs | tasks/s | µs per task |")
            print("| --- | ---: | ---: |")
            for row in empty:
                print(f"| {row['variant']} | {row['tasks_per_s']:,.0f} | "
                      f"{1e6 / row['tasks_per_s']:,.0f} |")
            print()
            for line in targets:
                print(f"- {line}")
            print()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    # Run as the importable module, so that tasks pickle as bench_scaling.<name> (by reference)
    # and keep their per-process counters, instead of as __main__ functions copied by value.
    import bench_scaling

    sys.exit(bench_scaling.main())
