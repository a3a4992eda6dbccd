"""A ThreadPoolExecutor job sharing ONE hub Session: upload N objects, then download and check them.

Each task creates its own client from the shared session (``session.client("s3")`` is
lock-free and nearly free); all tasks share the session's connection pool, so however many
workers run, at most ``max_pool_connections`` connections are open to the endpoint at once
(hub's ``pool_block`` default makes extra workers wait for a pooled connection instead of
opening throw-away sockets).

Run it with hub and moto installed (``pip install -e '.[test]'``, or the venv that
``python3 tools/dev.py test`` creates: ``.venv-3.11/bin/python``). It starts an embedded
moto server unless ``--endpoint-url``/``AWS_ENDPOINT_URL`` is set::

    python3 examples/thread_pool_job.py --objects 500 --workers 32
"""

from __future__ import annotations

import argparse
import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import _embedded

import hub
from hub.errors import ClientError


@dataclass(frozen=True, slots=True)
class JobReport:
    """What a job did.

    Attributes:
        uploaded: Objects written.
        verified: Objects read back with the expected content.
        seconds: Wall time of both phases.
    """

    uploaded: int
    verified: int
    seconds: float


def payload(i: int, size: int = 1024) -> bytes:
    """The deterministic body of object ``i`` (so downloads can be checked)."""
    seed = hashlib.sha256(str(i).encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def run_job(session: hub.Session, *, bucket: str, objects: int = 200, workers: int = 32,
            size: int = 1024) -> JobReport:
    """Uploads ``objects`` objects with ``workers`` threads, then downloads and verifies them.

    Args:
        session: Shared by every worker.
        bucket: Target bucket (created when missing).
        objects: How many objects.
        workers: Thread-pool size.
        size: Bytes per object.

    Raises:
        AssertionError: A downloaded object differs from what was uploaded.
        hub.errors.HubError: A request failed after hub's retries.
    """
    s3 = session.client("s3")
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        s3.create_bucket(Bucket=bucket)

    def upload(i: int) -> None:
        session.client("s3").put_object(Bucket=bucket, Key=f"obj/{i:06d}", Body=payload(i, size))

    def verify(i: int) -> bool:
        body = session.client("s3").get_object(Bucket=bucket, Key=f"obj/{i:06d}")["Body"].read()
        return bool(body == payload(i, size))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job") as pool:
        # list() re-raises the first failure here instead of losing it in a future.
        list(pool.map(upload, range(objects)))
        verified = sum(pool.map(verify, range(objects)))
    if verified != objects:
        raise AssertionError(f"{objects - verified} of {objects} objects came back different")
    return JobReport(uploaded=objects, verified=verified,
                     seconds=time.perf_counter() - started)


def main(argv: list[str] | None = None) -> None:
    """Runs the job once and prints a one-line report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-url", help="AWS-compatible endpoint (default: embedded moto)")
    parser.add_argument("--bucket", default="example-job")
    parser.add_argument("--objects", type=int, default=200)
    parser.add_argument("--workers", type=int, default=32)
    args = parser.parse_args(argv)
    with _embedded.endpoint(args.endpoint_url) as (_url, config), hub.Session(config) as session:
        report = run_job(session, bucket=args.bucket, objects=args.objects, workers=args.workers)
    rate = 2 * report.uploaded / report.seconds
    print(f"uploaded {report.uploaded}, verified {report.verified} in {report.seconds:.2f} s "
          f"({rate:,.0f} requests/s with {args.workers} workers)")


if __name__ == "__main__":
    main()
