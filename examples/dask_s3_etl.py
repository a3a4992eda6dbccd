"""ETL on Dask: two worker processes read, transform and write back S3 objects, ONE hub.Session.

The session is created once, in the client process, and passed into every task as an ordinary
argument. Each task receives a pickled copy; on the worker, unpickling joins that process's
*family* of the session (same pickled configuration and handlers): one connection pool and one
credentials load per worker process, however many tasks arrive. See ``docs/scaling.md``.

Credentials come from a ``credential_process`` command (``_credential_process.py``) that logs
which process ran it, so the run can show one load per worker; the local moto server (served
by waitress, which keeps connections alive) counts the connections it accepts. Run it with
hub, moto, waitress and Dask's ``distributed`` installed (``pip install -e '.[test]'``)::

    python3 examples/dask_s3_etl.py --objects 3000
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]  # run from a checkout: hub and tests.servers importable

import hub  # noqa: E402
from hub.credentials import ProcessProvider  # noqa: E402


def record(i: int) -> bytes:
    """Input object ``i``: a small JSON record."""
    return json.dumps({"id": i, "name": f"item-{i}", "values": [i % 7, i % 11, i % 13]}).encode()


def transform(body: bytes) -> bytes:
    """The "T" of the ETL: parse, enrich, serialize."""
    item = json.loads(body)
    item["total"] = sum(item["values"])
    item["digest"] = hashlib.sha256(body).hexdigest()[:16]
    return json.dumps(item, sort_keys=True).encode()


def etl_task(session: hub.Session, bucket: str, keys: list[str]) -> dict[str, Any]:
    """One Dask task: read ``keys``, transform each object, write it under ``out/``.

    ``session`` arrives pickled; on the worker it is a Session of the process's family for
    that identity, so ``session.client("s3")`` uses the worker's pool and cached credentials.
    """
    s3 = session.client("s3")
    for key in keys:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        s3.put_object(Bucket=bucket, Key=f"out/{key}", Body=transform(body))
    return {"pid": os.getpid(), "objects": len(keys)}


def worker_stats(session: hub.Session) -> dict[str, Any]:
    """Run on each worker after the job: its pid and pooled connections of the family."""
    pooled = sum(sum(t.pool_stats().values()) for t in session.snapshot.transports.transports())
    return {"pid": os.getpid(), "pooled_connections": pooled}


@dataclass
class Report:
    """What a run did and measured.

    Attributes:
        objects: Objects transformed.
        tasks: Dask tasks run.
        seconds: Wall time of the Dask phase.
        correct: Output objects that matched ``transform(input)``.
        per_worker: pid -> tasks, credential loads, pooled connections at the end.
        connections_accepted: Connections the server accepted during the Dask phase.
        max_pool_connections: The session's pool size per host.
    """

    objects: int
    tasks: int
    seconds: float
    correct: int
    per_worker: dict[int, dict[str, int]] = field(default_factory=dict)
    connections_accepted: int = 0
    max_pool_connections: int = 0


def _batches(keys: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(keys), size):
        yield keys[start:start + size]


def run(server: Any, *, objects: int = 3000,
        batch: int = 25, workers: int = 2, threads: int = 4,
        max_pool_connections: int = 4) -> Report:
    """Seed ``objects`` inputs, run the ETL on a 2-process LocalCluster, check every output.

    Args:
        server: The S3-compatible server: ``url`` and ``accepted`` (connections it accepted
            so far), as ``tests.servers.moto_keepalive.KeepAliveMoto`` has.
        objects: How many input objects.
        batch: Objects per task.
        workers: Dask worker processes.
        threads: Threads per worker.
        max_pool_connections: The session's pool size.
    """
    from distributed import Client, LocalCluster

    log = Path(tempfile.mkdtemp(prefix="hub-etl-")) / "credential-loads"
    log.touch()
    command = f"{sys.executable} {HERE / '_credential_process.py'} {log}"
    session = hub.Session(hub.Config(
        region="us-east-1", endpoint_url=server.url, credentials=ProcessProvider(command),
        max_pool_connections=max_pool_connections))
    bucket = "etl-example"
    s3 = session.client("s3")
    s3.create_bucket(Bucket=bucket)
    keys = [f"in/{i:06d}.json" for i in range(objects)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: s3.put_object(Bucket=bucket, Key=keys[i], Body=record(i)),
                      range(objects)))
    log.write_text("")  # count the workers' loads only
    before = server.accepted

    with LocalCluster(n_workers=workers, threads_per_worker=threads, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        started = time.perf_counter()
        batches = list(_batches(keys, batch))
        futures = client.map(etl_task, [session] * len(batches), [bucket] * len(batches),
                             batches, pure=False)
        results = client.gather(futures)
        seconds = time.perf_counter() - started
        stats = client.run(worker_stats, session)
    accepted_now = server.accepted - before

    tasks = collections.Counter(r["pid"] for r in results)
    loads = collections.Counter(int(line) for line in log.read_text().split())
    per_worker = {
        s["pid"]: {"tasks": tasks.get(s["pid"], 0), "credential_loads": loads.get(s["pid"], 0),
                   "pooled_connections": s["pooled_connections"]}
        for s in stats.values()
    }

    def check(i: int) -> bool:
        out = s3.get_object(Bucket=bucket, Key=f"out/{keys[i]}")["Body"].read()
        return bool(out == transform(record(i)))

    with ThreadPoolExecutor(8) as pool:
        correct = sum(pool.map(check, range(objects)))
    return Report(objects=sum(r["objects"] for r in results), tasks=len(results),
                  seconds=seconds, correct=correct, per_worker=per_worker,
                  connections_accepted=accepted_now, max_pool_connections=max_pool_connections)


def main() -> None:
    """Command line: run against an embedded moto server and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--max-pool-connections", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    from tests.servers.moto_keepalive import KeepAliveMoto

    with KeepAliveMoto() as server:
        report = run(server, objects=args.objects, batch=args.batch,
                     max_pool_connections=args.max_pool_connections)
    print(f"{report.objects} objects in {report.tasks} tasks, {report.seconds:.2f} s "
          f"({report.objects / report.seconds:.0f} objects/s); {report.correct} outputs correct")
    for pid, worker in sorted(report.per_worker.items()):
        print(f"worker {pid}: {worker['tasks']} tasks, {worker['credential_loads']} credential "
              f"load(s), {worker['pooled_connections']} pooled connection(s) "
              f"(max_pool_connections={report.max_pool_connections})")
    print(f"server accepted {report.connections_accepted} connection(s) from the workers")


if __name__ == "__main__":
    main()
