"""One session, many processes: Dask, process pools (fork and spawn) and gunicorn (gthread).

In every engine, per worker process: credentials load once (counted by the credential_process
command, which logs its caller's pid), connections opened stay within max_pool_connections
(urllib3's counts in the worker; their sum must equal what the server accepted), and the
results are correct. The server is moto behind waitress, which keeps connections alive.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import urllib3

import hub
from tests._scaling_support import (
    CountingProvider,
    get_objects,
    loads_by_pid,
    logged_provider,
)
from tests._threads import join_all
from tests.servers.moto_keepalive import KeepAliveMoto

ROOT = Path(__file__).resolve().parents[1]
POOL = 3
OBJECTS = 200
BUCKET = "scaling"

# Forking with threads running (the servers') is what pre-forking servers do.
pytestmark = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded:DeprecationWarning")


@pytest.fixture(scope="module")
def server() -> Iterator[KeepAliveMoto]:
    with KeepAliveMoto() as running:
        session = hub.Session(hub.Config(region="us-east-1", endpoint_url=running.url,
                                         credentials=CountingProvider()))
        s3 = session.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: s3.put_object(Bucket=BUCKET, Key=f"k{i:04d}",
                                                  Body=f"body-{i}".encode()), range(OBJECTS)))
        yield running


def _keys() -> list[list[str]]:
    keys = [f"k{i:04d}" for i in range(OBJECTS)]
    return [keys[i:i + 10] for i in range(0, OBJECTS, 10)]


def _check(results: list[dict[str, Any]], log: Path, accepted: int, *, final: bool = True
           ) -> dict[int, int]:
    """Asserts the per-worker rules; returns connections opened per worker.

    ``final``: each worker's last result carries its final connection count (tasks in a worker
    run one after the other); otherwise the counts are as of each request, a lower bound.
    """
    bodies: dict[str, bytes] = {}
    connections: dict[int, int] = {}
    for result in results:
        bodies.update(result["bodies"])
        connections[result["pid"]] = max(connections.get(result["pid"], 0),
                                          result["connections"])
    assert bodies == {f"k{i:04d}": f"body-{i}".encode() for i in range(OBJECTS)}
    loads = loads_by_pid(log)
    assert {pid: loads.get(pid, 0) for pid in connections} == dict.fromkeys(connections, 1)
    assert set(loads) <= set(connections)  # nobody else loaded (not the parent)
    assert all(1 <= n <= POOL for n in connections.values()), connections
    if final:
        assert sum(connections.values()) == accepted  # the server saw exactly those
    else:
        assert sum(connections.values()) <= accepted <= POOL * len(connections)
    return connections


def _threaded(session: hub.Session, keys: list[str]) -> dict[str, Any]:
    # More threads than pooled connections: pool_block makes them share POOL connections.
    with ThreadPoolExecutor(6) as pool:
        parts = list(pool.map(lambda k: get_objects(session, BUCKET, [k]), keys))
    merged = parts[-1] | {"bodies": {}}
    for part in parts:
        merged["bodies"].update(part["bodies"])
    merged["connections"] = max(p["connections"] for p in parts)
    return merged


def threaded_task(session: hub.Session, keys: list[str]) -> dict[str, Any]:
    """A process-pool task: six threads GET the keys with the session passed in."""
    return _threaded(session, keys)


def threaded_task_worker_session(keys: list[str]) -> dict[str, Any]:
    """The same with the session installed by the pool's initializer."""
    return _threaded(hub.worker_session(), keys)


@pytest.mark.parametrize("method", ["fork", "spawn"])
@pytest.mark.parametrize("style", ["passed-in", "initializer"])
def test_process_pool(method: str, style: str, server: KeepAliveMoto, tmp_path: Path) -> None:
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} on this platform")
    log = tmp_path / "loads"
    log.touch()
    session = hub.Session(hub.Config(region="us-east-1", endpoint_url=server.url,
                                     credentials=logged_provider(log),
                                     max_pool_connections=POOL))
    before = server.accepted
    context = multiprocessing.get_context(method)
    if style == "passed-in":
        with ProcessPoolExecutor(2, mp_context=context) as pool:
            futures = [pool.submit(threaded_task, session, keys) for keys in _keys()]
            results = [f.result(timeout=120) for f in futures]
    else:
        with ProcessPoolExecutor(2, mp_context=context, initializer=hub.worker_session,
                                 initargs=(session,)) as pool:
            futures = [pool.submit(threaded_task_worker_session, keys) for keys in _keys()]
            results = [f.result(timeout=120) for f in futures]
    _check(results, log, server.accepted - before)


def test_dask_example_one_load_and_one_pool_per_worker(server: KeepAliveMoto) -> None:
    pytest.importorskip("distributed")
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        example = importlib.import_module("dask_s3_etl")
        report = example.run(server, objects=OBJECTS, batch=10, threads=4,
                             max_pool_connections=POOL)
    finally:
        sys.path.remove(str(ROOT / "examples"))
    assert report.objects == report.correct == OBJECTS
    assert len(report.per_worker) == 2
    for worker in report.per_worker.values():
        assert worker["credential_loads"] == 1, report.per_worker
        assert 1 <= worker["pooled_connections"] <= POOL, report.per_worker
    assert sum(w["tasks"] for w in report.per_worker.values()) == report.tasks
    # Every connection the server accepted from the workers is still pooled: none was thrown
    # away and reopened.
    assert report.connections_accepted == sum(
        w["pooled_connections"] for w in report.per_worker.values())


def test_gunicorn_gthread_workers(server: KeepAliveMoto, tmp_path: Path) -> None:
    pytest.importorskip("gunicorn")
    log = tmp_path / "loads"
    log.touch()
    env = {**os.environ, "HUB_TEST_ENDPOINT": server.url, "HUB_TEST_CREDENTIAL_LOG": str(log),
           "HUB_TEST_POOL": str(POOL), "HUB_TEST_BUCKET": BUCKET,
           "NO_PROXY": "127.0.0.1,localhost"}
    before = server.accepted
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:tests._gunicorn_conf",
         "-b", "127.0.0.1:0", "tests._gunicorn_app:app"],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    drain: threading.Thread | None = None
    try:
        assert proc.stderr is not None
        url = None
        for line in proc.stderr:
            lines.append(line)
            if match := re.search(r"Listening at: (http://\S+)", line):
                url = match.group(1)
                break
        assert url is not None, "".join(lines)
        drain = threading.Thread(target=lambda: lines.extend(proc.stderr or ()), daemon=True)
        drain.start()
        http = urllib3.PoolManager(retries=urllib3.Retry(total=3, connect=3),
                                   timeout=urllib3.Timeout(30))

        def fetch(i: int) -> dict[str, Any]:
            # A new connection per request, so that both workers' accept loops get some.
            response = http.request("GET", f"{url}/k{i:04d}", headers={"Connection": "close"})
            assert response.status == 200, response.data[:300]
            answer: dict[str, Any] = json.loads(response.data)
            return {"pid": answer["pid"], "bodies": {f"k{i:04d}": answer["body"].encode()},
                    "connections": answer["connections"]}

        with ThreadPoolExecutor(12) as pool:
            results = list(pool.map(fetch, range(OBJECTS)))
        http.clear()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        if drain is not None:
            join_all([drain])  # stderr closes when gunicorn exits
    connections = _check(results, log, server.accepted - before, final=False)
    assert connections, "".join(lines)
