"""Benchmark: what flexible checksums cost on uploads, and each algorithm's speed.

Usage::

    python3 benchmarks/bench_checksums.py [--quick] [--rounds N] [--size MiB] [--json PATH]

Scenarios (interleaved round by round with ``_harness.interleave``):

- ``put_object 64 MiB <body>``: one S3 PutObject of a 64 MiB body to the canned-response
  responder (a child process on 127.0.0.1, ``_servers.FastResponder``), with hub's default
  CRC32 (``request_checksum_calculation="when_supported"``) and without
  (``"when_required"``); bodies: ``bytes`` (checksum header), a seekable file object
  (``file``: a ``BytesIO``; ``disk file``: a file on disk, in the page cache; both with the
  checksum in a header, the signer's SHA-256 computed in the same pass), and a generator
  (aws-chunked with a CRC32 trailer vs plain chunked transfer). Variants: ``hub crc32`` is
  this install as it is (the CRC32 of ``checksums.implementation("CRC32")``, large blocks on
  a helper thread);
  ``hub crc32 zlib`` the same with zlib's CRC32 (the default install; shown when an extra is
  installed); ``hub crc32 zlib inline`` zlib with no helper thread (the single-core cost).
  boto3 with its default CRC32 for comparison (not for the generator: it cannot upload one).
- ``checksum 1 MiB``: each algorithm over 1 MiB in memory, and the aws-chunked encoder.

Target (issue 13): CRC32 costs at most 5 % of upload throughput on a 64 MiB upload
(``hub crc32`` vs ``hub none``, median time).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _servers
from _harness import Result, Stats, interleave, print_table, write_json

import hub
from hub import _checksum_offload, checksums

Op = Callable[[], object]
MiB = 1024 * 1024


def _hub_client(url: str, mode: str) -> Any:
    return hub.Session(hub.Config(
        region="us-east-1", endpoint_url=url, credentials=hub.Credentials("bench", "bench"),
        request_checksum_calculation=mode)).client("s3")


def _boto_client(url: str) -> Any | None:
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        return None
    return boto3.session.Session(
        aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1",
    ).client("s3", endpoint_url=url, config=Config(s3={"addressing_style": "path"}))


def _generator(data: bytes, block: int = MiB) -> Iterator[bytes]:
    view = memoryview(data)
    for i in range(0, len(data), block):
        yield bytes(view[i:i + block])


def upload_cases(url: str, data: bytes, disk_file: str) -> dict[str, dict[str, Op]]:
    """Per body kind: variant -> one upload of ``data`` (``disk_file`` holds it too)."""
    with_crc = _hub_client(url, "when_supported")
    without = _hub_client(url, "when_required")
    boto = _boto_client(url)

    def put(client: Any, body: Callable[[], Any]) -> Op:
        def op() -> object:
            payload = body()
            try:
                return client.put_object(Bucket="bench", Key="big", Body=payload)
            finally:
                if hasattr(payload, "close"):
                    payload.close()
        return op

    kinds: dict[str, Callable[[], Any]] = {
        "bytes": lambda: data,
        "file": lambda: io.BytesIO(data),
        "disk file": lambda: open(disk_file, "rb"),  # closed by put
        "generator": lambda: _generator(data),
    }
    cases: dict[str, dict[str, Op]] = {}
    impl = checksums.implementation("CRC32")
    for kind, body in kinds.items():
        variants = {"hub none": put(without, body), "hub crc32": put(with_crc, body)}
        if impl != "zlib":
            # The default install (no extra): zlib's CRC32, overlapped the same way.
            variants["hub crc32 zlib"] = _configured(put(with_crc, body), zlib=True)
        # zlib inline, no helper thread: the single-thread cost (what a one-core machine
        # pays, and what hub did before the helper).
        variants["hub crc32 zlib inline"] = _configured(put(with_crc, body), zlib=True,
                                                        inline=True)
        if boto is not None and kind != "generator":
            variants["boto3 crc32"] = put(boto, body)
        cases[kind] = variants
    return cases


def _configured(op: Op, *, zlib: bool = False, inline: bool = False) -> Op:
    """``op`` with CRC32 forced to zlib and/or the helper threads off, for its duration."""
    pool = _checksum_offload._POOL

    def run() -> object:
        saved_native = checksums._native.get("CRC32", False)
        saved_helpers = pool.max_helpers
        if zlib:
            checksums._native["CRC32"] = None
        if inline:
            pool.max_helpers = 0
        try:
            return op()
        finally:
            pool.max_helpers = saved_helpers
            if saved_native is False:
                checksums._native.pop("CRC32", None)
            else:
                checksums._native["CRC32"] = saved_native  # type: ignore[assignment]
    return run


def algorithm_cases() -> dict[str, Op]:
    """Each algorithm (and the aws-chunked encoder) over 1 MiB."""
    data = os.urandom(MiB)
    cases: dict[str, Op] = {}
    for algorithm in checksums.ALGORITHMS:
        label = f"{algorithm} ({checksums.implementation(algorithm)})"
        cases[label] = lambda a=algorithm: checksums.checksum(a, data)  # type: ignore[misc]
    if checksums.implementation("CRC32") != "zlib":
        cases["CRC32 (zlib)"] = lambda: zlib.crc32(data)
    cases["CRC32C (python fallback)"] = lambda: checksums._py_crc32c(data)

    def encode() -> None:
        for _ in checksums.AwsChunkedReader(iter((data,)), "CRC32"):
            pass

    cases["aws-chunked CRC32 encoder"] = encode
    return cases


def _cpu_timed(op: Op, into: list[float]) -> Op:
    def timed() -> object:
        start = time.process_time_ns()
        try:
            return op()
        finally:
            into.append(float(time.process_time_ns() - start))
    return timed


def run(quick: bool, *, rounds: int | None = None, size_mib: int = 64) -> list[Result]:
    """Measure every scenario; return the results."""
    rounds = rounds or (3 if quick else 9)
    data = os.urandom(size_mib * MiB)
    results: list[Result] = []
    with _servers.fast_responder() as responder, tempfile.TemporaryDirectory() as folder:
        disk_file = os.path.join(folder, "body")
        with open(disk_file, "wb") as out:
            out.write(data)  # in the page cache from here on, as a file just written is
        for kind, cases in upload_cases(responder.url, data, disk_file).items():
            cpu: dict[str, list[float]] = {name: [] for name in cases}
            timed = {name: _cpu_timed(op, cpu[name]) for name, op in cases.items()}
            stats = interleave(timed, rounds, number=1, warmup=1)
            for variant, stat in stats.items():
                results.append(Result(f"put_object {size_mib} MiB {kind}", variant, stat,
                                      {"bytes": len(data)}))
            for variant, samples in cpu.items():
                # This process's CPU per upload (all its threads): what the client itself
                # spends, whatever the responder and a busy machine add to the wall time.
                results.append(Result(f"put_object {size_mib} MiB {kind} (client CPU)", variant,
                                      Stats.from_samples(samples[1:], calls=len(samples) - 1),
                                      {"bytes": len(data)}))
    stats = interleave(algorithm_cases(), rounds, number=1 if quick else 2, warmup=0)
    for variant, stat in stats.items():
        results.append(Result("checksum 1 MiB", variant, stat, {"bytes": MiB}))
    return results


def summary(results: list[Result]) -> list[str]:
    """The target lines: CRC32's cost per body kind, and each algorithm's MB/s."""
    lines = []
    by = {(r.scenario, r.variant): r.stats for r in results}
    for (scenario, variant), stats in by.items():
        if not variant.startswith("hub crc32"):
            continue
        base = by[(scenario, "hub none")]
        scenario = f"{scenario} [{variant}]"
        cost = stats.median / base.median - 1
        size = results[0].extra["bytes"]
        if "(client CPU)" in scenario:
            lines.append(f"{scenario}: CRC32 adds {(stats.median - base.median) / 1e6:+.0f} ms "
                         f"of CPU ({cost:+.1%})")
            continue
        line = (f"{scenario}: CRC32 costs {cost:+.1%} of the upload time "
                f"({size / stats.median * 1e9 / MiB:.0f} vs {size / base.median * 1e9 / MiB:.0f}"
                f" MiB/s)")
        if variant == "hub crc32" and "generator" not in scenario:
            line += f"  [{'PASS' if cost <= 0.05 else 'MISS'} target <= 5 %]"
        lines.append(line)
    for (scenario, variant), stats in by.items():
        if scenario == "checksum 1 MiB":
            lines.append(f"{variant}: {1e9 / stats.median:.0f} MiB/s")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Command line: run, print the table and the summary, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per case")
    parser.add_argument("--size", type=int, default=64, help="upload size in MiB")
    parser.add_argument("--json", metavar="PATH", help="write results as JSON")
    args = parser.parse_args(argv)
    results = run(args.quick, rounds=args.rounds, size_mib=args.size)
    print_table(results, baseline={r.scenario: "hub none" for r in results
                                   if r.scenario.startswith("put_object")})
    print()
    for line in summary(results):
        print(line)
    if args.json:
        write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
