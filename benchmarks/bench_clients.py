"""Client-side scenarios: client creation, cold start, memory per client, connections per host.

Every scenario measures hub and boto3 in the same run; timed scenarios interleave them.

- ``client_creation``: ``session.client("s3")`` from a warm session, single thread (interleaved
  with a bare ``__slots__`` object, the floor) and N threads aggregate. hub threads share ONE
  session (the point of hub); boto3 threads get one session each, as boto3's documentation
  requires (its sessions are not thread-safe).
- ``cold_start``: ``import`` plus the first client, timed inside a fresh interpreter (the
  interpreter's own start-up is the same for both and is left out).
- ``memory``: bytes per live client (tracemalloc), for ``clients`` clients kept alive.
- ``connections``: 64 threads making requests through one hub session / one boto3 client (and
  one boto3 session per thread); the server counts the TCP connections it accepted.

``python3 benchmarks/bench_clients.py --quick`` runs them alone; ``benchmarks/run.py`` runs them
with the request benchmarks and writes the table, JSON and chart.
"""

from __future__ import annotations

import gc
import logging
import os
import statistics
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
for _path in (str(ROOT), str(BENCH_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import _baselines  # noqa: E402
from _harness import Progress, Result, Stats, interleave, measure_threads  # noqa: E402

import hub  # noqa: E402

__all__ = [
    "Measurement",
    "client_creation",
    "cold_start",
    "connections",
    "hub_client_creation",
    "hub_session",
    "memory",
]

Op = Callable[[], object]

#: Static dummy credentials: neither library searches the environment, files or IMDS.
HUB_CREDENTIALS = hub.Credentials("testing", "testing")
#: The variant names used in every table, JSON file and chart.
HUB, BOTO3, FLOOR = "hub", "boto3", "bare object"


@dataclass(frozen=True, slots=True)
class Measurement:
    """A result that is not a time: bytes per client, connections opened, ...

    Attributes:
        scenario: What was measured, e.g. ``"memory.per_client"``.
        variant: Who, e.g. ``"hub"``.
        value: The number (see ``unit``).
        unit: ``"bytes"``, ``"connections"``, ...
        extra: Context carried into the JSON (counts, settings).
    """

    scenario: str
    variant: str
    value: float
    unit: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"scenario": self.scenario, "variant": self.variant, "value": self.value,
                "unit": self.unit, "extra": dict(self.extra)}


def hub_session(endpoint_url: str, **config: Any) -> hub.Session:
    """A hub session for ``endpoint_url`` with static dummy credentials."""
    return hub.Session(hub.Config(region="us-east-1", endpoint_url=endpoint_url,
                                  credentials=HUB_CREDENTIALS, **config))


def hub_client_creation(endpoint_url: str, *, session: hub.Session | None = None,
                        service: str = "s3") -> Op:
    """Creating a client from a warm hub session (the session may be shared).

    ``service="iam"`` measures a service built from botocore's model files (no shipped
    package): after its first load, creation takes the same path as S3's.
    """
    shared = session if session is not None else hub_session(endpoint_url)
    shared.client(service)  # warm: the client config is resolved and cached on the snapshot

    def op() -> object:
        return shared.client(service)

    return op


# --------------------------------------------------------------------------- creation


def client_creation(
    endpoint_url: str,
    *,
    threads: Sequence[int] = (1, 2, 4, 8, 16),
    rounds: int = 15,
    duration: float = 1.0,
    progress: Progress | None = None,
) -> list[Result]:
    """Client creation: single thread interleaved with the floor, then aggregate over threads.

    Args:
        endpoint_url: Any URL (creating a client does not connect).
        threads: Thread counts for the aggregate runs.
        rounds: Interleaved rounds (samples) for the single-thread run.
        duration: Seconds per (variant, thread count) aggregate run.
        progress: Advanced per batch / per run.

    Returns:
        ``client.create`` rows (1 thread) and ``client.create.threads`` rows (one per count).
    """
    session = hub_session(endpoint_url)
    cases = {
        FLOOR: _baselines.slots_object(),
        HUB: hub_client_creation(endpoint_url, session=session),
        BOTO3: _baselines.boto3_client_creation(endpoint_url),
    }
    # boto3 batches are ~2 ms per call: calibrate to a short batch so rounds stay quick.
    stats = interleave(cases, rounds, target_s=0.01, progress=progress)
    results = [Result("client.create", name, st) for name, st in stats.items()]
    # A service loaded from botocore's model files (iam) beside the shipped S3, same session.
    loaded = {
        f"{HUB} s3": cases[HUB],
        f"{HUB} iam (botocore data)": hub_client_creation(endpoint_url, session=session,
                                                          service="iam"),
        f"{BOTO3} iam": _baselines.boto3_client_creation(endpoint_url, "iam"),
    }
    stats = interleave(loaded, rounds, target_s=0.01, progress=progress)
    results += [Result("client.create.loaded", name, st) for name, st in stats.items()]
    factories: dict[str, Callable[[], Op]] = {
        FLOOR: _baselines.slots_object,
        # One op for all threads: every thread calls client() on the same Session.
        HUB: lambda op=cases[HUB]: op,
        BOTO3: lambda: _baselines.boto3_client_creation(endpoint_url),
    }
    for n in threads:
        for name, factory in factories.items():
            st = measure_threads(factory, n, duration=duration)
            note = "one session per thread" if name == BOTO3 else "one shared session"
            results.append(Result("client.create.threads", name, st,
                                  {"sharing": note if name != FLOOR else "-"}))
            if progress is not None:
                progress.advance(label=f"client creation: {name} x{n}")
    return results


# --------------------------------------------------------------------------- cold start

_COLD = {
    # The floor the service-layer target is stated against: importing urllib3 alone.
    "urllib3": "import urllib3\n",
    HUB: (
        "import hub\n"
        "s = hub.Session(hub.Config(region='us-east-1', endpoint_url=URL,\n"
        "                           credentials=hub.Credentials('testing', 'testing')))\n"
        "c = s.client('s3')\n"
    ),
    BOTO3: (
        "import boto3\n"
        "c = boto3.session.Session().client('s3', endpoint_url=URL, region_name='us-east-1',\n"
        "    aws_access_key_id='testing', aws_secret_access_key='testing')\n"
    ),
}


def _cold_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    # An installed package runs from bytecode (pip compiles boto3's at install); without this,
    # a machine that sets PYTHONDONTWRITEBYTECODE would make hub recompile on every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update({
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    return env


def _cold_once(variant: str, env: dict[str, str]) -> float:
    code = (
        "import time\nURL = 'http://127.0.0.1:9'\nt0 = time.perf_counter_ns()\n"
        + _COLD[variant]
        + "print(time.perf_counter_ns() - t0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def cold_start(*, runs: int = 9, progress: Progress | None = None) -> list[Result]:
    """``import`` + first client in fresh interpreters, hub and boto3 (and the floor,
    ``import urllib3`` alone) taking turns.

    One untimed run each first, so both find their bytecode caches and the OS file cache warm.

    Returns:
        One ``cold_start`` row per variant; samples are per-run nanoseconds.
    """
    env = _cold_env()
    samples: dict[str, list[float]] = {"urllib3": [], HUB: [], BOTO3: []}
    for variant in samples:
        _cold_once(variant, env)
    variants = list(samples)
    for i in range(runs):
        order = variants[i % 3:] + variants[:i % 3]
        for variant in order:
            samples[variant].append(_cold_once(variant, env))
            if progress is not None:
                progress.advance(label=f"cold start: {variant}")
    return [Result("cold_start", v, Stats.from_samples(s, calls=len(s))) for v, s in
            samples.items()]


# --------------------------------------------------------------------------- memory


def _bytes_per_client(make: Op, count: int) -> float:
    make()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        keep = [make() for _ in range(count)]
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del keep
    return (after - before) / count


def memory(endpoint_url: str, *, clients: int = 1000, repeat: int = 3,
           progress: Progress | None = None) -> list[Measurement]:
    """Memory held per live client: ``clients`` clients kept in a list, traced with tracemalloc.

    Returns:
        One ``memory.per_client`` measurement per variant (median of ``repeat`` runs, bytes).
    """
    makers = {HUB: hub_client_creation(endpoint_url),
              BOTO3: _baselines.boto3_client_creation(endpoint_url)}
    out = []
    for variant, make in makers.items():
        runs = []
        for _ in range(repeat):
            runs.append(_bytes_per_client(make, clients))
            if progress is not None:
                progress.advance(label=f"memory: {variant}")
        out.append(Measurement("memory.per_client", variant, statistics.median(runs), "bytes",
                               {"clients": clients, "runs": runs}))
    return out


# --------------------------------------------------------------------------- model memory

# Each runs in a fresh interpreter: imports and the client are set up first (not counted), then
# tracemalloc counts what building the S3 model for the operations used keeps alive.
_MODEL_SETUP = (
    "import gc, tracemalloc\n"
    "import hub\n"
    "from hub.services._lazy import model_data\n"
    "s = hub.Session(hub.Config(region='us-east-1', credentials=hub.Credentials('a', 'b')))\n"
    "ops = s.client('s3').client_config.spec.model.operations\n"
)
_MODEL_CODE = {
    "hub (one operation)": "ops['PutObject']\n",
    "hub (all operations)": "model_data('hub.services.s3._model')\nfor n in ops: ops[n]\n",
    BOTO3: "import botocore.session\nbs = botocore.session.get_session()\n"
           "bs.get_service_model('s3').operation_model('PutObject')\n",
}


def model_memory() -> list[Measurement]:
    """Memory the S3 service model holds in a process that used one operation (PutObject),
    for hub and for botocore (which loads the whole model), and for hub with every operation
    built.

    Returns:
        One ``memory.s3_model`` measurement per variant (bytes).
    """
    out = []
    for variant, code in _MODEL_CODE.items():
        setup = _MODEL_SETUP if variant != BOTO3 else "import gc, tracemalloc\n"
        script = (setup + "gc.collect(); tracemalloc.start()\n"
                  "before = tracemalloc.get_traced_memory()[0]\n" + code
                  + "gc.collect(); print(tracemalloc.get_traced_memory()[0] - before)\n")
        done = subprocess.run([sys.executable, "-c", script], env=_cold_env(),
                              capture_output=True, text=True, timeout=300, check=True)
        value = float(done.stdout.split()[-1])
        out.append(Measurement("memory.s3_model", variant if variant == BOTO3 else HUB
                               if variant == "hub (one operation)" else variant, value, "bytes",
                               {"what": variant}))
    return out


# --------------------------------------------------------------------------- connections


def _hub_request(session: hub.Session, bucket: str, key: str) -> Op | None:
    """One GetObject through a client created per call, or None before hub has S3 methods."""
    if not hasattr(session.client("s3"), "get_object"):
        return None

    def op() -> object:
        return session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()

    return op


def _run_threads(factory: Callable[[], Op], threads: int, calls: int) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def worker() -> None:
        try:
            op = factory()
            barrier.wait(30)
            for _ in range(calls):
                op()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            errors.append(exc)
            barrier.abort()

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(120)
    if errors:
        raise RuntimeError(f"connections: a worker failed: {errors[0]!r}") from errors[0]


def connections(*, threads: int = 64, calls: int = 20, pool_size: int = 10,
                progress: Progress | None = None) -> list[Measurement]:
    """TCP connections opened to one host by ``threads`` threads (server-side count).

    Both libraries use a pool of ``pool_size`` connections per host (both default to 10).
    hub waits for a pooled connection (``pool_block``, its default); boto3's urllib3 pools
    open extra connections under contention and throw them away afterwards.

    Returns:
        One ``connections.64_threads`` measurement (accepted connections) per variant.
    """
    from tests.servers.local import LocalServer
    from tests.servers.responses import ok

    body = b"x" * 1024
    response = ok(body, headers=[("ETag", '"0123456789abcdef0123456789abcdef"')])
    bucket, key = _baselines.BUCKET, _baselines.KEY

    def hub_variant(url: str) -> Callable[[], Op] | None:
        op = _hub_request(hub_session(url, max_pool_connections=pool_size), bucket, key)
        return None if op is None else (lambda: op)

    def boto3_shared(url: str) -> Callable[[], Op]:
        op = _baselines.boto3_get_object(
            url, client=_baselines.boto3_client("s3", url, max_pool_connections=pool_size))
        return lambda: op

    def boto3_per_thread(url: str) -> Callable[[], Op]:
        return lambda: _baselines.boto3_get_object(
            url, client=_baselines.boto3_client("s3", url, max_pool_connections=pool_size))

    variants = {HUB: hub_variant, BOTO3: boto3_shared, "boto3 (session per thread)":
                boto3_per_thread}
    out = []
    # boto3 logs "Connection pool is full, discarding connection" per extra socket.
    pool_log = logging.getLogger("urllib3.connectionpool")
    level = pool_log.level
    pool_log.setLevel(logging.ERROR)
    try:
        for variant, make in variants.items():
            with LocalServer(default=response, max_requests=10_000_000) as server:
                factory = make(server.url)
                if factory is None:
                    out.append(Measurement(f"connections.{threads}_threads", variant, float("nan"),
                                           "connections", {"skipped": "no S3 methods in hub yet"}))
                else:
                    _run_threads(factory, threads, calls)
                    stats = server.connections
                    out.append(Measurement(
                        f"connections.{threads}_threads", variant, stats.accepted, "connections",
                        {"peak_open": stats.peak, "requests": threads * calls,
                         "pool_size": pool_size}))
            if progress is not None:
                progress.advance(label=f"connections: {variant}")
    finally:
        pool_log.setLevel(level)
    return out


def _main() -> int:
    import argparse

    from _harness import print_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run")
    args = parser.parse_args()
    url = "http://127.0.0.1:9"
    quick = args.quick
    results = client_creation(url, threads=(1, 8), rounds=5 if quick else 15,
                              duration=0.2 if quick else 1.0)
    results += cold_start(runs=3 if quick else 9)
    print_table(results, baseline={"client.create": FLOOR, "client.create.threads": FLOOR})
    for m in memory(url, clients=100 if quick else 1000) + connections(calls=5 if quick else 20):
        print(f"{m.scenario:<24} {m.variant:<28} {m.value:>12,.0f} {m.unit}")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
