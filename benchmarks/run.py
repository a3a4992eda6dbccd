"""Run hub's benchmarks against boto3 and the floors; print a table, write JSON and a chart.

With no arguments and no AWS account this starts everything it needs on 127.0.0.1: an embedded
moto server and the fast canned-response responder (``_servers.py``) for the request scenarios,
and a connection-counting local server for the connections scenario. hub and boto3 are measured
in the same run, interleaved, so machine noise hits both alike.

Scenarios (``--scenarios``, default all):

``creation``     ``session.client("s3")`` from a warm session: 1 thread (with the bare-object
                 floor) and the aggregate rate of N threads (``--threads``).
``cold``         ``import`` + first client in a fresh interpreter (``--cold-runs`` runs).
``memory``       bytes per live client, ``--clients`` clients kept alive (tracemalloc).
``requests``     per-request cost of S3 GetObject/PutObject and DynamoDB GetItem/PutItem,
                 1 and N threads (``--request-threads``) sharing one session, against the fast
                 responder and moto, with raw urllib3 as the floor (``bench_requests.py``).
``connections``  TCP connections a server accepts from 64 threads sharing one session/client.
``transfer``     managed transfers (upload_file/download_file, 256 MiB and 64 x 4 MiB, http and
                 https) vs boto3's s3transfer and obstore (``bench_transfer.py``; 16 MiB, one
                 round with ``--quick``).

Examples::

    python3 benchmarks/run.py                      # everything (~5 min on 2 cores)
    python3 benchmarks/run.py --quick              # smoke run for CI (< 60 s)
    python3 benchmarks/run.py --scenarios creation,memory --threads 1,4,16
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
for _path in (str(ROOT), str(BENCH_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import bench_clients  # noqa: E402
from _harness import Progress, Result, Stats, environment, format_ns  # noqa: E402

SCENARIOS = ("creation", "cold", "memory", "requests", "connections", "transfer")
FLOORS = ("bare object", "urllib3")
RESULTS_DIR = BENCH_DIR / "results"


# --------------------------------------------------------------------------- arguments


def _ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _scenarios(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown scenario(s) {', '.join(unknown) or '(none)'}; choose from "
            f"{', '.join(SCENARIOS)}")
    return names


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; every number left unset takes its full-run or ``--quick`` default."""
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description=__doc__,
        epilog="Defaults in brackets are for a full run / --quick.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true",
                        help="short smoke run for CI (fewer rounds, threads and runs; < ~60 s)")
    parser.add_argument("--scenarios", type=_scenarios, default=SCENARIOS, metavar="LIST",
                        help=f"comma-separated subset of: {', '.join(SCENARIOS)} [all]")
    parser.add_argument("--threads", type=_ints, metavar="LIST",
                        help="thread counts for client creation [1,2,4,8,16 / 1,8]")
    parser.add_argument("--request-threads", type=_ints, metavar="LIST",
                        help="thread counts for the request scenarios [1,8,32 / 1,8]")
    parser.add_argument("--rounds", type=int, metavar="N",
                        help="interleaved rounds (samples) per single-thread case [15 / 5]")
    parser.add_argument("--duration", type=float, metavar="SEC",
                        help="seconds per thread-scaling run [1.0 / 0.2]")
    parser.add_argument("--cold-runs", type=int, metavar="N",
                        help="fresh interpreters per library for the cold start [9 / 3]")
    parser.add_argument("--clients", type=int, metavar="N",
                        help="live clients for the memory scenario [1000 / 200]")
    parser.add_argument("--connection-threads", type=int, default=64, metavar="N",
                        help="threads for the connections scenario [64]")
    parser.add_argument("--json", type=Path, default=RESULTS_DIR / "latest.json", metavar="PATH",
                        help="where to write the JSON results [%(default)s]")
    parser.add_argument("--chart", type=Path, default=RESULTS_DIR / "throughput.png",
                        metavar="PATH", help="where to write the PNG chart [%(default)s]")
    parser.add_argument("--no-chart", action="store_true", help="skip the chart (no matplotlib)")
    parser.add_argument("--check", action="store_true",
                        help="exit with status 1 when a target (see the end of the table) misses")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    full = not args.quick
    for name, full_value, quick_value in (
        ("threads", (1, 2, 4, 8, 16), (1, 8)),
        ("request_threads", (1, 8, 32), (1, 8)),
        ("rounds", 15, 5),
        ("duration", 1.0, 0.2),
        ("cold_runs", 9, 3),
        ("clients", 1000, 200),
    ):
        if getattr(args, name) is None:
            setattr(args, name, full_value if full else quick_value)
    return args


# --------------------------------------------------------------------------- requests


def _as_result(row: Any) -> Result:
    """Accepts a harness ``Result`` or a dict row (``scenario``/``case``, ``variant``/``impl``)."""
    if isinstance(row, Result):
        return row
    if isinstance(row, dict):
        scenario = row.get("scenario") or row.get("case") or "request"
        variant = row.get("variant") or row.get("impl") or "?"
        samples = row.get("samples_ns") or [row["median_ns"]]
        stats = Stats.from_samples(samples, calls=int(row.get("calls", len(samples))),
                                   threads=int(row.get("threads", 1)),
                                   ops_per_sec=row.get("ops_per_sec"))
        return Result(str(scenario), str(variant), stats, dict(row.get("extra", {})))
    raise TypeError(f"bench_requests.run() returned an unexpected row: {row!r}")


def run_requests(args: argparse.Namespace) -> tuple[list[Result], str | None]:
    """Runs ``bench_requests.run`` with the options it accepts, then the thread scaling.

    The integration point: ``bench_requests.run(quick: bool, **options)`` returning harness
    ``Result`` rows (or dicts with the same fields). Options passed when the function accepts
    them: ``threads``, ``quiet``, ``rounds``, ``duration``, and ``moto`` (full runs only).
    Rows measured against moto (``extra["server"] == "moto"``) get ``(moto)`` appended to their
    scenario. While ``run`` does not take ``threads``, the 8/32-thread runs are measured here
    (:func:`threaded_requests`) against the fast responder.

    Returns:
        (rows, None), or ([], why) when the module is missing or failed.
    """
    try:
        import bench_requests
    except ImportError as exc:
        return [], f"benchmarks/bench_requests.py not available ({exc})"
    run: Callable[..., Iterable[Any]] = bench_requests.run
    accepted = inspect.signature(run).parameters
    offered = {"threads": args.request_threads, "quiet": args.quiet, "rounds": args.rounds,
               "duration": args.duration, "moto": not args.quick}
    kwargs = {k: v for k, v in offered.items() if k in accepted}
    try:
        rows = [_as_result(row) for row in run(args.quick, **kwargs)]
        if "threads" not in accepted:
            rows += threaded_requests(bench_requests, args)
    except Exception as exc:  # noqa: BLE001 - report and keep the other scenarios' results
        return [], f"bench_requests failed: {exc!r}"
    return [_tag_server(r) for r in rows], None


def _tag_server(r: Result) -> Result:
    server = r.extra.get("server")
    if server in (None, "fast-responder") or f"({server})" in r.scenario:
        return r
    return Result(f"{r.scenario} ({server})", r.variant, r.stats, r.extra)


def threaded_requests(bench_requests: Any, args: argparse.Namespace) -> list[Result]:
    """Aggregate request throughput of N threads sharing one session / client / pool.

    hub: one session (``bench_requests.hub_cases``); boto3: one client per service (boto3
    clients are thread-safe); urllib3: one ``PoolManager``. All sized for 32 connections,
    against the fast responder.
    """
    from _harness import measure_threads
    from _servers import fast_responder

    counts = [n for n in args.request_threads if n > 1]
    if not counts:
        return []
    results: list[Result] = []
    with fast_responder() as server:
        url = server.url
        boto3 = bench_requests.boto3_cases(url)
        variants: dict[str, dict[str, Callable[[], object]]] = {
            "urllib3": bench_requests.floor_cases(url),
            "hub": bench_requests.hub_cases(url),
            **({"boto3": boto3} if boto3 is not None else {}),
        }
        steps = len(counts) * sum(len(ops) for ops in variants.values())
        with Progress(steps, "requests x threads", quiet=args.quiet) as bar:
            for n in counts:
                for variant, ops in variants.items():
                    for scenario, op in ops.items():
                        st = measure_threads(lambda op=op: op, n, duration=args.duration)
                        results.append(Result(scenario, variant, st,
                                              {"server": "fast-responder", "shared": True}))
                        bar.advance(label=f"{scenario} {variant} x{n}")
    return results


# --------------------------------------------------------------------------- reporting


def _group_key(r: Result) -> tuple[str, int]:
    return r.scenario, r.stats.threads


def format_table(results: Sequence[Result]) -> str:
    """The timing table: median, p10-p90, ops/s, time vs the floor, hub's speed-up vs boto3.

    ``vs floor`` is floor ops/s / variant ops/s (how many floors a call costs); ``hub speed-up``
    is hub ops/s / boto3 ops/s, on hub rows (``>1`` means hub is faster).
    """
    groups: dict[tuple[str, int], dict[str, Result]] = {}
    for r in results:
        groups.setdefault(_group_key(r), {})[r.variant] = r
    header = ("scenario", "thr", "variant", "median", "p10 - p90", "ops/s", "vs floor",
              "hub speed-up")
    rows = [header]
    for r in results:
        group = groups[_group_key(r)]
        s = r.stats
        floor = next((group[f] for f in FLOORS if f in group), None)
        vs_floor = "-" if floor is None or floor is r else _ratio(floor.stats.ops_per_sec,
                                                                   s.ops_per_sec)
        boto = group.get("boto3")
        speed = _ratio(s.ops_per_sec, boto.stats.ops_per_sec) if (
            r.variant == "hub" and boto is not None) else ""
        rows.append((r.scenario, str(s.threads), r.variant, format_ns(s.median),
                     f"{format_ns(s.p10)} - {format_ns(s.p90)}", f"{s.ops_per_sec:,.0f}",
                     vs_floor, speed))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [c.rjust(w) if i >= 1 and i != 2 else c.ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _ordered(results: Sequence[Result]) -> list[Result]:
    """Rows grouped by scenario (first-seen order), then threads, then floor/hub/boto3."""
    first = {s: i for i, s in reversed(list(enumerate(r.scenario for r in results)))}
    rank = {name: i for i, name in enumerate((*FLOORS, "hub", "boto3"))}
    return sorted(results, key=lambda r: (first[r.scenario], r.stats.threads,
                                          rank.get(r.variant, len(rank))))


def _ratio(a: float, b: float) -> str:
    if not b or math.isinf(a) or math.isnan(a):
        return "-"
    x = a / b
    return f"{x:.2f}x" if x < 100 else f"{x:,.0f}x"


def format_measurements(measurements: Sequence[bench_clients.Measurement]) -> str:
    """The non-time results (memory, connections), with hub's advantage over boto3."""
    lines = []
    by_scenario: dict[str, dict[str, bench_clients.Measurement]] = {}
    for m in measurements:
        by_scenario.setdefault(m.scenario, {})[m.variant] = m
    for m in measurements:
        boto = by_scenario[m.scenario].get("boto3")
        note = ""
        if m.variant == "hub" and boto is not None and m.value and not math.isnan(m.value):
            note = f"  (boto3 / hub = {_ratio(boto.value, m.value)})"
        value = "skipped: " + m.extra["skipped"] if "skipped" in m.extra else (
            f"{m.value:,.0f} {m.unit}")
        extra = f", peak open {m.extra['peak_open']}" if "peak_open" in m.extra else ""
        lines.append(f"{m.scenario:<24} {m.variant:<28} {value}{extra}{note}")
    return "\n".join(lines)


def targets(results: Sequence[Result]) -> list[tuple[str, bool | None, str]]:
    """The issue's targets for client creation: (description, met or None if unmeasured, how)."""
    cells = {(r.scenario, r.variant, r.stats.threads): r.stats for r in results}
    out: list[tuple[str, bool | None, str]] = []
    hub1, floor1, boto1 = (cells.get(("client.create", v, 1)) for v in ("hub", "bare object",
                                                                        "boto3"))
    if hub1 and floor1:
        x = hub1.median / floor1.median
        out.append(("hub client creation within 8x of a bare object", x <= 8, f"{x:.2f}x"))
    if hub1 and boto1:
        x = boto1.median / hub1.median
        out.append(("hub client creation >1,000x faster than boto3", x > 1000, f"{x:,.0f}x"))
    t1, t8 = (cells.get(("client.create.threads", "hub", n)) for n in (1, 8))
    f1, f8 = (cells.get(("client.create.threads", "bare object", n)) for n in (1, 8))
    if t1 and t8:
        x = t8.ops_per_sec / t1.ops_per_sec
        # The bare object's own scaling shows what the interpreter (GIL switching on this
        # machine's cores) costs any code: a lock convoy in hub would put hub far below it.
        floor = (f" (bare object: {f8.ops_per_sec / f1.ops_per_sec:.2f}x)" if f1 and f8
                 else "")
        out.append(("hub 8-thread aggregate >= 0.8x its 1-thread rate", x >= 0.8,
                    f"{x:.2f}x{floor}"))
    return out


def write_chart(path: Path, results: Sequence[Result]) -> bool:
    """Throughput vs threads, one panel per scenario measured at 2+ thread counts (log y).

    A log scale because the variants differ by up to four orders of magnitude.

    Returns:
        False when nothing had several thread counts (no file written).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scenarios = [s for s in dict.fromkeys(r.scenario for r in results)
                 if len({r.stats.threads for r in results if r.scenario == s}) > 1]
    if not scenarios:
        return False
    cols = min(3, len(scenarios))
    nrows = math.ceil(len(scenarios) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(5.2 * cols, 3.9 * nrows), squeeze=False)
    for ax, scenario in zip(axes.flat, scenarios, strict=False):
        rows = [r for r in results if r.scenario == scenario]
        counts = sorted({r.stats.threads for r in rows})
        for variant in dict.fromkeys(r.variant for r in rows):
            pts = sorted((r.stats.threads, r.stats.ops_per_sec) for r in rows
                         if r.variant == variant)
            ax.plot(*zip(*pts, strict=True), marker="o", label=variant,
                    linestyle="--" if variant in FLOORS else "-")
        ax.set_title(scenario.replace(".threads", ""))
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(counts, [str(c) for c in counts])
        ax.set_xlabel("threads")
        ax.set_ylabel("aggregate ops/s (log)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small")
    for ax in list(axes.flat)[len(scenarios):]:
        ax.set_visible(False)
    fig.suptitle(f"hub vs boto3: throughput vs threads ({os.cpu_count()} CPUs, "
                 f"Python {sys.version.split()[0]})")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the chosen scenarios and reports; returns the exit status."""
    args = parse_args(argv)
    started = time.monotonic()
    results: list[Result] = []
    measurements: list[bench_clients.Measurement] = []
    notes: list[str] = []
    url = "http://127.0.0.1:9"  # creating clients never connects; any local URL will do
    chosen = set(args.scenarios)

    if "creation" in chosen:
        steps = args.rounds * 3 + len(args.threads) * 3
        with Progress(steps, "client creation", quiet=args.quiet) as bar:
            results += bench_clients.client_creation(
                url, threads=args.threads, rounds=args.rounds, duration=args.duration,
                progress=bar)
    if "cold" in chosen:
        with Progress(args.cold_runs * 3, "cold start", quiet=args.quiet) as bar:
            results += bench_clients.cold_start(runs=args.cold_runs, progress=bar)
    if "memory" in chosen:
        repeat = 1 if args.quick else 3
        with Progress(repeat * 2, "memory", quiet=args.quiet) as bar:
            measurements += bench_clients.memory(url, clients=args.clients, repeat=repeat,
                                                 progress=bar)
        measurements += bench_clients.model_memory()
    if "requests" in chosen:
        rows, why = run_requests(args)
        results += rows
        if why:
            notes.append(f"requests scenario skipped: {why}")
    if "connections" in chosen:
        with Progress(3, "connections", quiet=args.quiet) as bar:
            measurements += bench_clients.connections(
                threads=args.connection_threads, calls=5 if args.quick else 20, progress=bar)

    transfer_rows: list[Any] = []
    transfer_checks: list[tuple[str, bool | None, str]] = []
    if "transfer" in chosen:
        import bench_transfer

        try:
            transfer_rows, transfer_notes = bench_transfer.run(quick=args.quick)
        except Exception as exc:  # noqa: BLE001 - report and keep the other scenarios' results
            notes.append(f"transfer scenario failed: {type(exc).__name__}: {exc}")
        else:
            notes += transfer_notes
            transfer_checks = bench_transfer.targets(transfer_rows)

    results = _ordered(results)
    print(format_table(results))
    if measurements:
        print()
        print(format_measurements(measurements))
    if transfer_rows:
        print()
        print(bench_transfer.format_table(transfer_rows))
    checks = targets(results) + transfer_checks
    if checks:
        print()
        for text, met, how in checks:
            print(f"[{'PASS' if met else 'MISS'}] {text}: {how}")
    for note in notes:
        print(f"note: {note}")
    elapsed = time.monotonic() - started

    doc = {
        "environment": environment(),
        "meta": {"argv": list(sys.argv[1:] if argv is None else argv), "quick": args.quick,
                 "scenarios": list(args.scenarios), "elapsed_s": elapsed, "notes": notes},
        "results": [r.to_dict() for r in results],
        "measurements": [m.to_dict() for m in measurements],
        "transfer": [r.to_dict() for r in transfer_rows],
        "targets": [{"target": t, "met": m, "value": v} for t, m, v in checks],
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"\njson: {args.json}")
    if not args.no_chart and write_chart(args.chart, results):
        print(f"chart: {args.chart}")
    print(f"elapsed: {elapsed:.1f} s")
    return 1 if args.check and any(met is False for _, met, _ in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
