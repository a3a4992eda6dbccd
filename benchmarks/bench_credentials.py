"""Credential herds: 64 threads, one session, a cold cache; hub beside boto3, same fakes, same run.

For each cloud credential source (EC2 instance metadata, the container endpoint, web identity,
an assume-role profile) a fake of that source runs on 127.0.0.1 and answers every call after
``--latency`` seconds (a source under load). 64 threads start together and each makes one S3
``ListBuckets`` call to a local server through one shared session: a ``hub.Session`` with the
default chain, or one ``boto3.Session`` (each thread calls ``session.client("s3")``, the way a
threaded server shares a session). Counted: how many times the source was asked for
credentials, and how many of the 64 requests failed.

hub's refresh storm is measured too: the credentials are moved into the mandatory refresh
window (10 minutes before expiry, by the cache's clock) while 64 threads sign; the source
must be asked exactly once more and no request may fail.

``python3 benchmarks/bench_credentials.py`` (``--rounds``, ``--threads``, ``--latency``,
``--json PATH``) prints a Markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import hub  # noqa: E402
from hub.credentials import CredentialsCache  # noqa: E402
from tests.servers.cloud import FakeContainer, FakeIMDS, FakeSTS  # noqa: E402
from tests.servers.local import LocalServer  # noqa: E402
from tests.servers.responses import ok  # noqa: E402

SOURCES = ("iam-role", "container-role", "assume-role-with-web-identity", "assume-role")
LIST_BUCKETS = (b'<?xml version="1.0"?><ListAllMyBucketsResult><Buckets></Buckets>'
                b"</ListAllMyBucketsResult>")
ROLE = "arn:aws:iam::123456789012:role/bench"


@contextlib.contextmanager
def environment(updates: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with every AWS/proxy variable removed and ``updates`` set; restored."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.upper().startswith("AWS_") or name.upper().endswith("_PROXY"):
            del os.environ[name]
    os.environ.update(updates)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def source(kind: str, latency: float) -> Iterator[tuple[Any, str, dict[str, str]]]:
    """Start the fake for ``kind``; yield (fake, operation counted, environment)."""
    with tempfile.TemporaryDirectory() as tmp:
        config, credentials = Path(tmp, "config"), Path(tmp, "credentials")
        config.write_text("")
        credentials.write_text("")
        env = {"HOME": tmp, "AWS_CONFIG_FILE": str(config),
               "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
               "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"}
        fake: Any
        if kind == "iam-role":
            fake, op = FakeIMDS(), "credentials"
        elif kind == "container-role":
            fake, op = FakeContainer(), "credentials"
        else:
            fake = FakeSTS()
            op = "AssumeRole" if kind == "assume-role" else "AssumeRoleWithWebIdentity"
        fake.start()
        fake.delay = latency
        try:
            if kind == "iam-role":
                del env["AWS_EC2_METADATA_DISABLED"]
                env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = fake.url
            elif kind == "container-role":
                env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = fake.url + fake.path
            elif kind == "assume-role-with-web-identity":
                token = Path(tmp, "token")
                token.write_text("web-token")
                env |= {"AWS_WEB_IDENTITY_TOKEN_FILE": str(token), "AWS_ROLE_ARN": ROLE,
                        "AWS_ENDPOINT_URL_STS": fake.url}
            else:
                config.write_text(f"[default]\nrole_arn = {ROLE}\nsource_profile = base\n")
                credentials.write_text("[base]\naws_access_key_id = AKIDBASE\n"
                                       "aws_secret_access_key = baseSecretKeyForBench\n")
                env["AWS_ENDPOINT_URL_STS"] = fake.url
            yield fake, op, env
        finally:
            fake.stop()


def run_threads(count: int, target: Callable[[], object]) -> Counter[str]:
    """Run ``target`` in ``count`` threads released together; count failures by type."""
    barrier = threading.Barrier(count)
    failures: Counter[str] = Counter()
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        try:
            target()
        except Exception as exc:  # noqa: BLE001 - counted and reported
            with lock:
                failures[type(exc).__name__] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return failures


def hub_herd(s3_url: str, threads: int) -> Callable[[], Counter[str]]:
    session = hub.Session(hub.Config(region="us-east-1", endpoint_url=s3_url))
    return lambda: run_threads(threads, lambda: session.client("s3").list_buckets())


def boto3_herd(s3_url: str, threads: int) -> Callable[[], Counter[str]]:
    import boto3

    session = boto3.Session()
    return lambda: run_threads(
        threads,
        lambda: session.client("s3", endpoint_url=s3_url, region_name="us-east-1").list_buckets(),
    )


def hub_storm(fake: Any, op: str, s3_url: str, threads: int) -> tuple[int, Counter[str]]:
    """Load once, jump the cache's clock into the mandatory window, then 64 threads sign."""
    now = [datetime.now(timezone.utc).timestamp()]
    import hub._snapshot as setting

    original = setting.CredentialsCache
    setting.CredentialsCache = functools.partial(  # type: ignore[misc]
        CredentialsCache, clock=lambda: now[0])
    try:
        session = hub.Session(hub.Config(region="us-east-1", endpoint_url=s3_url))
        session.client("s3").list_buckets()
    finally:
        setting.CredentialsCache = original  # type: ignore[misc]
    before = fake.count(op)
    expiry = datetime.strptime(fake.issued[-1]["Expiration"], "%Y-%m-%dT%H:%M:%SZ")
    now[0] = expiry.replace(tzinfo=timezone.utc).timestamp() - 300
    failures = run_threads(threads, lambda: session.client("s3").list_buckets())
    return fake.count(op) - before, failures


def measure(rounds: int, threads: int, latency: float) -> dict[str, Any]:
    """Run every source for hub and boto3 ``rounds`` times; return the raw figures."""
    results: dict[str, Any] = {"threads": threads, "latency": latency, "rounds": rounds,
                               "sources": {}}
    with LocalServer() as s3:
        s3.set_default(ok(LIST_BUCKETS, content_type="application/xml"))
        for kind in SOURCES:
            figures: dict[str, list[Any]] = {"hub_fetches": [], "hub_failed": [],
                                             "boto3_fetches": [], "boto3_failed": [],
                                             "boto3_errors": [], "storm_refreshes": [],
                                             "storm_failed": []}
            for _ in range(rounds):
                for lib, make in (("hub", hub_herd), ("boto3", boto3_herd)):
                    with source(kind, latency) as (fake, op, env), environment(env):
                        failures = make(s3.url, threads)()
                        figures[f"{lib}_fetches"].append(fake.count(op))
                        figures[f"{lib}_failed"].append(sum(failures.values()))
                        if lib == "boto3":
                            figures["boto3_errors"].append(dict(failures))
                with source(kind, latency) as (fake, op, env), environment(env):
                    refreshes, failures = hub_storm(fake, op, s3.url, threads)
                    figures["storm_refreshes"].append(refreshes)
                    figures["storm_failed"].append(sum(failures.values()))
            results["sources"][kind] = figures
    return results


def span(values: list[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def table(results: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    lines = [
        f"{results['threads']} threads, one session, cold cache; source latency "
        f"{results['latency'] * 1000:.0f} ms; {results['rounds']} round(s) (ranges are min-max)",
        "",
        "| source | hub: source calls | hub: failed requests | boto3: source calls |"
        " boto3: failed requests | hub refresh storm: refreshes / failed |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for kind, f in results["sources"].items():
        lines.append(
            f"| {kind} | {span(f['hub_fetches'])} | {span(f['hub_failed'])} |"
            f" {span(f['boto3_fetches'])} | {span(f['boto3_failed'])} |"
            f" {span(f['storm_refreshes'])} / {span(f['storm_failed'])} |")
    errors: Counter[str] = Counter()
    for f in results["sources"].values():
        for round_errors in f["boto3_errors"]:
            errors.update(round_errors)
    if errors:
        lines += ["", "boto3 failures by type: " + ", ".join(
            f"{name} x{count}" for name, count in errors.most_common())]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.1,
                        help="seconds each fake source takes to answer (default 0.1)")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args(argv)
    results = measure(args.rounds, args.threads, args.latency)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
