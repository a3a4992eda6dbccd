"""Benchmark: hub.signing.sign() against botocore's SigV4 signers.

Usage::

    python3 benchmarks/bench_signing.py [--quick] [--json PATH]

Two requests: a DynamoDB-style JSON POST (SigV4Auth) and an S3 GET (S3SigV4Auth). Both
implementations run interleaved in the same process, sample by sample, so drift (CPU frequency,
other load) hits them alike. A sample times a batch of calls with ``time.perf_counter_ns`` and
is divided by the batch size; the table shows the median and p90 per call.

What is timed: hub's ``sign()`` including ``datetime.now(timezone.utc)`` (a caller needs a
timestamp), and botocore's ``add_auth()`` on a fresh ``AWSRequest`` (it reads the clock itself
and mutates the request, so requests are built outside the timed region).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub import signing
from hub.credentials import Credentials

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CREDENTIALS = Credentials(ACCESS_KEY, SECRET_KEY)
USER_AGENT = "hub/0.1 Python/3.11"

DYNAMODB_URL = "https://dynamodb.us-east-1.amazonaws.com/"
DYNAMODB_BODY = (
    b'{"TableName": "users", "Key": {"pk": {"S": "user#12345"}, "sk": {"S": "profile"}}, '
    b'"ConsistentRead": true}'
)
DYNAMODB_HEADERS = [
    ("Content-Type", "application/x-amz-json-1.0"),
    ("X-Amz-Target", "DynamoDB_20120810.GetItem"),
    ("User-Agent", USER_AGENT),
    ("Content-Length", str(len(DYNAMODB_BODY))),
]
S3_URL = "https://example-bucket.s3.us-east-1.amazonaws.com/photos/2024/cat%20picture.jpg"
S3_HEADERS = [("User-Agent", USER_AGENT), ("Range", "bytes=0-1023")]

BATCH = 10


def _hub_dynamodb() -> None:
    signing.sign(
        "POST",
        DYNAMODB_URL,
        DYNAMODB_HEADERS,
        DYNAMODB_BODY,
        credentials=CREDENTIALS,
        region="us-east-1",
        service="dynamodb",
        timestamp=datetime.now(timezone.utc),
    )


def _hub_s3() -> None:
    signing.sign(
        "GET",
        S3_URL,
        S3_HEADERS,
        None,
        credentials=CREDENTIALS,
        region="us-east-1",
        service="s3",
        timestamp=datetime.now(timezone.utc),
        normalize_path=False,
        payload_hash=signing.EMPTY_SHA256,
    )


def _botocore_cases() -> dict[str, tuple[Callable[[], Any], Callable[[Any], None]]] | None:
    """(make a fresh request, sign it) per case, or None when botocore is not installed."""
    try:
        from botocore.auth import S3SigV4Auth, SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials as BotoCredentials
    except ImportError:
        return None
    creds = BotoCredentials(ACCESS_KEY, SECRET_KEY)
    dynamodb = SigV4Auth(creds, "dynamodb", "us-east-1")
    s3 = S3SigV4Auth(creds, "s3", "us-east-1")

    def make_dynamodb() -> Any:
        return AWSRequest("POST", DYNAMODB_URL, headers=dict(DYNAMODB_HEADERS), data=DYNAMODB_BODY)

    def make_s3() -> Any:
        return AWSRequest("GET", S3_URL, headers=dict(S3_HEADERS))

    return {
        "dynamodb_post": (make_dynamodb, dynamodb.add_auth),
        "s3_get": (make_s3, s3.add_auth),
    }


def _time_hub(fn: Callable[[], None]) -> float:
    clock = time.perf_counter_ns
    start = clock()
    for _ in range(BATCH):
        fn()
    return (clock() - start) / BATCH


def _time_botocore(make: Callable[[], Any], add_auth: Callable[[Any], None]) -> float:
    batch = [make() for _ in range(BATCH)]
    clock = time.perf_counter_ns
    start = clock()
    for request in batch:
        add_auth(request)
    return (clock() - start) / BATCH


def _summary(case: str, impl: str, samples: list[float]) -> dict[str, Any]:
    ordered = sorted(samples)
    return {
        "suite": "signing",
        "case": case,
        "impl": impl,
        "median_ns": statistics.median(ordered),
        "p90_ns": ordered[int(len(ordered) * 0.9) - 1],
        "samples": len(ordered),
        "calls_per_sample": BATCH,
    }


def run(quick: bool) -> list[dict[str, Any]]:
    """Run the benchmark and return one result row per (case, implementation).

    Args:
        quick: Fewer samples (a few seconds in all) for smoke runs and CI.

    Returns:
        Rows with ``suite``, ``case``, ``impl`` (``hub``/``botocore``), ``median_ns`` and
        ``p90_ns`` per call, ``samples``, ``calls_per_sample``; botocore rows also carry
        ``ratio_vs_hub`` (botocore median / hub median).
    """
    samples_per_case = 300 if quick else 3000
    hub_cases: dict[str, Callable[[], None]] = {"dynamodb_post": _hub_dynamodb, "s3_get": _hub_s3}
    boto_cases = _botocore_cases()
    rows: list[dict[str, Any]] = []
    for case, hub_fn in hub_cases.items():
        for _ in range(samples_per_case // 10):  # warm up both (caches, lazy imports)
            hub_fn()
            if boto_cases is not None:
                _time_botocore(*boto_cases[case])
        hub_samples: list[float] = []
        boto_samples: list[float] = []
        gc.collect()
        for _ in range(samples_per_case):
            hub_samples.append(_time_hub(hub_fn))
            if boto_cases is not None:
                boto_samples.append(_time_botocore(*boto_cases[case]))
        hub_row = _summary(case, "hub", hub_samples)
        rows.append(hub_row)
        if boto_samples:
            boto_row = _summary(case, "botocore", boto_samples)
            boto_row["ratio_vs_hub"] = boto_row["median_ns"] / hub_row["median_ns"]
            rows.append(boto_row)
    return rows


def _print_table(rows: list[dict[str, Any]]) -> None:
    by_case: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_case.setdefault(row["case"], {})[row["impl"]] = row
    print(f"{'case':<15}{'hub med':>10}{'hub p90':>10}{'boto med':>11}{'boto p90':>11}{'ratio':>8}")
    for case, impls in by_case.items():
        hub_row, boto_row = impls["hub"], impls.get("botocore")
        line = f"{case:<15}{hub_row['median_ns'] / 1000:>8.2f}us{hub_row['p90_ns'] / 1000:>8.2f}us"
        if boto_row is not None:
            line += (
                f"{boto_row['median_ns'] / 1000:>9.2f}us{boto_row['p90_ns'] / 1000:>9.2f}us"
                f"{boto_row['ratio_vs_hub']:>7.1f}x"
            )
        else:
            line += "   (botocore not installed)"
        print(line)
    print("ratio = botocore median / hub median (higher is better for hub)")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (smoke run)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    args = parser.parse_args(argv)
    rows = run(args.quick)
    _print_table(rows)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
