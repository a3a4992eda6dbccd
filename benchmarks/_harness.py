"""Benchmark harness: timing, thread scaling, interleaving, progress, table, JSON and chart.

No dependencies beyond the standard library (matplotlib is imported lazily for charts).

- ``measure(fn, repeat=, number=, warmup=)``: batches of ``number`` calls timed with
  ``perf_counter_ns`` while the garbage collector is off; one sample per batch.
- ``measure_threads(fn_factory, threads, duration=| calls=)``: N threads released together
  by a ``Barrier``; aggregate calls/s over the wall time plus per-call latency samples.
- ``interleave(cases, rounds)``: several cases in alternating rounds, so machine noise (other
  processes, frequency changes) hits every case alike.
- ``Progress``, ``format_table`` / ``print_table``, ``write_json``, ``write_chart``.

``python3 benchmarks/_harness.py --selftest`` runs the harness on the baselines (~5 s), prints
a table and writes ``/tmp/harness_selftest.png``.
"""

from __future__ import annotations

import gc
import itertools
import json
import math
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

__all__ = [
    "Progress",
    "Result",
    "Stats",
    "calibrate",
    "environment",
    "format_ns",
    "format_table",
    "interleave",
    "measure",
    "measure_threads",
    "print_table",
    "write_chart",
    "write_json",
]

Op = Callable[[], object]


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True, slots=True)
class Stats:
    """Summary of per-call timings.

    Attributes:
        samples_ns: Per-call time of each sample (one batch each), in nanoseconds.
        calls: Total timed calls behind the samples.
        threads: Threads that ran concurrently (1 for ``measure``).
        ops_per_sec: Throughput: ``1e9 / median`` for one thread; total calls / wall time
            for ``measure_threads``.
        median: Median per-call ns. p10, p90: 10th/90th percentile per-call ns.
        mean, stdev: Mean and sample standard deviation (0 for one sample) per-call ns.
        mad: Median absolute deviation per-call ns (robust spread).
    """

    samples_ns: tuple[float, ...]
    calls: int
    threads: int
    ops_per_sec: float
    median: float
    p10: float
    p90: float
    mean: float
    stdev: float
    mad: float

    @classmethod
    def from_samples(
        cls,
        samples_ns: Sequence[float],
        *,
        calls: int,
        threads: int = 1,
        ops_per_sec: float | None = None,
    ) -> Stats:
        """Builds the summary from per-call samples (at least one)."""
        if not samples_ns:
            raise ValueError("Stats.from_samples: no samples")
        data = sorted(samples_ns)
        median = statistics.median(data)
        if len(data) >= 2:
            deciles = statistics.quantiles(data, n=10, method="inclusive")
            p10, p90 = deciles[0], deciles[-1]
            stdev = statistics.stdev(data)
        else:
            p10 = p90 = data[0]
            stdev = 0.0
        mad = statistics.median(abs(x - median) for x in data)
        if ops_per_sec is None:
            ops_per_sec = 1e9 / median if median > 0 else math.inf
        return cls(
            samples_ns=tuple(samples_ns),
            calls=calls,
            threads=threads,
            ops_per_sec=ops_per_sec,
            median=median,
            p10=p10,
            p90=p90,
            mean=statistics.fmean(data),
            stdev=stdev,
            mad=mad,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (samples included)."""
        return {
            "calls": self.calls,
            "threads": self.threads,
            "ops_per_sec": self.ops_per_sec,
            "median_ns": self.median,
            "p10_ns": self.p10,
            "p90_ns": self.p90,
            "mean_ns": self.mean,
            "stdev_ns": self.stdev,
            "mad_ns": self.mad,
            "samples_ns": list(self.samples_ns),
        }


# --------------------------------------------------------------------------- timing


class _GCOff:
    """Disables the cyclic GC for a timed region, restoring it after.

    No collection here: a full collection of a big heap (boto3 loaded) costs tens of ms per
    batch. Garbage made during a batch is collected after it, outside the timing.
    """

    __slots__ = ("_enabled", "_active")

    def __init__(self, active: bool = True) -> None:
        self._active = active
        self._enabled = False

    def __enter__(self) -> None:
        if self._active:
            self._enabled = gc.isenabled()
            gc.disable()

    def __exit__(self, *exc_info: object) -> None:
        if self._active and self._enabled:
            gc.enable()


def _time_batch(fn: Op, number: int) -> int:
    """Total ns for ``number`` calls of ``fn`` (loop overhead included, as in timeit)."""
    loop = itertools.repeat(None, number)
    start = time.perf_counter_ns()
    for _ in loop:
        fn()
    return time.perf_counter_ns() - start


def calibrate(fn: Op, target_s: float = 0.02, *, max_number: int = 1_000_000) -> int:
    """Calls per batch so that one batch takes about ``target_s`` (like timeit.autorange)."""
    number = 1
    while True:
        elapsed = _time_batch(fn, number) / 1e9
        # Grow 10x until a batch is long enough to be timed reliably, then scale once.
        if elapsed >= target_s / 10 or number >= max_number:
            break
        number *= 10
    if elapsed <= 0:
        return number
    return max(1, min(max_number, round(number * target_s / elapsed)))


def measure(
    fn: Op,
    *,
    repeat: int = 7,
    number: int | None = None,
    warmup: int = 1,
    disable_gc: bool = True,
    target_s: float = 0.02,
) -> Stats:
    """Times ``fn`` in ``repeat`` batches of ``number`` calls each.

    Args:
        fn: The operation (zero arguments).
        repeat: Timed batches (= samples).
        number: Calls per batch; None calibrates to about ``target_s`` per batch.
        warmup: Untimed batches first (caches, pools, branch predictors).
        disable_gc: Turn the cyclic GC off during each batch (one collection first).
        target_s: Batch duration for calibration.

    Returns:
        Per-call statistics.
    """
    if number is None:
        number = calibrate(fn, target_s)
    gc.collect()
    for _ in range(warmup):
        _time_batch(fn, number)
    samples = []
    for _ in range(repeat):
        with _GCOff(disable_gc):
            samples.append(_time_batch(fn, number) / number)
    return Stats.from_samples(samples, calls=repeat * number)


def measure_threads(
    fn_factory: Callable[[], Op],
    threads: int,
    *,
    duration: float | None = None,
    calls: int | None = None,
    disable_gc: bool = True,
    timeout: float = 300.0,
) -> Stats:
    """Aggregate throughput of ``threads`` threads running an operation at once.

    Each thread calls ``fn_factory()`` (untimed) to get its operation, then all threads are
    released together by a ``Barrier``. To share one client between threads, build it once
    and pass ``lambda: op``.

    Args:
        fn_factory: Returns the operation a thread runs.
        threads: Number of threads.
        duration: Run for about this many seconds (each thread checks between batches).
        calls: Or: run this many calls in total (split evenly across threads).
        disable_gc: Turn the cyclic GC off while the threads run.
        timeout: Upper bound for joining the threads.

    Returns:
        Stats whose ``ops_per_sec`` is total calls / wall time, and whose samples are per-call
        times of batches of each thread.

    Raises:
        ValueError: Neither or both of ``duration`` and ``calls`` given.
        RuntimeError: A worker thread raised (the first error is chained).
    """
    if (duration is None) == (calls is None):
        raise ValueError("measure_threads: give exactly one of duration= or calls=")
    barrier = threading.Barrier(threads + 1)
    results: list[tuple[int, int, int, list[float]]] = []  # start, end, calls, samples
    errors: list[BaseException] = []
    lock = threading.Lock()
    per_thread = None if calls is None else max(1, calls // threads)

    def worker() -> None:
        try:
            op = fn_factory()
            op()  # warm this thread's path (connections, thread-locals)
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            with lock:
                errors.append(exc)
            barrier.abort()
            return
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return
        samples: list[float] = []
        done = 0
        batch = 1
        start = time.perf_counter_ns()
        deadline = None if duration is None else start + int(duration * 1e9)
        try:
            while True:
                if per_thread is not None:
                    batch = min(batch, per_thread - done)
                    if batch <= 0:
                        break
                elapsed = _time_batch(op, batch)
                samples.append(elapsed / batch)
                done += batch
                # Batches of ~1 ms keep clock reads negligible even for nanosecond ops.
                if elapsed < 1_000_000:
                    batch *= 2
                if deadline is not None and time.perf_counter_ns() >= deadline:
                    break
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            with lock:
                errors.append(exc)
        end = time.perf_counter_ns()
        with lock:
            results.append((start, end, done, samples))

    workers = [
        threading.Thread(target=worker, name=f"bench-{i}", daemon=True) for i in range(threads)
    ]
    gc.collect()
    with _GCOff(disable_gc):
        for t in workers:
            t.start()
        try:
            barrier.wait(timeout)
        except threading.BrokenBarrierError:
            pass
        deadline = time.monotonic() + timeout
        for t in workers:
            t.join(max(0.0, deadline - time.monotonic()))
    if errors:
        raise RuntimeError(f"measure_threads: a worker failed: {errors[0]!r}") from errors[0]
    if len(results) != threads:
        raise RuntimeError("measure_threads: workers did not finish within the timeout")
    wall = max(r[1] for r in results) - min(r[0] for r in results)
    total = sum(r[2] for r in results)
    samples = [s for r in results for s in r[3]]
    return Stats.from_samples(
        samples, calls=total, threads=threads, ops_per_sec=total / (wall / 1e9)
    )


def interleave(
    cases: Mapping[str, Op],
    rounds: int,
    *,
    number: Mapping[str, int] | int | None = None,
    warmup: int = 1,
    disable_gc: bool = True,
    target_s: float = 0.02,
    progress: Progress | None = None,
) -> dict[str, Stats]:
    """Times several cases in alternating rounds; one batch per case per round.

    The order rotates every round (A B C, B C A, C A B, ...) so neither position nor a
    burst of background load favours one case.

    Args:
        cases: Name -> operation.
        rounds: Number of rounds (= samples per case).
        number: Calls per batch, per case or for all; None calibrates each case.
        warmup: Untimed batches per case before the first round.
        disable_gc: Turn the cyclic GC off during each batch.
        target_s: Batch duration for calibration.
        progress: Advanced by one per batch (``rounds * len(cases)`` in total).

    Returns:
        Name -> Stats, in the order of ``cases``.
    """
    names = list(cases)
    counts: dict[str, int] = {}
    for name in names:
        if isinstance(number, Mapping):
            counts[name] = number.get(name) or calibrate(cases[name], target_s)
        elif number is not None:
            counts[name] = number
        else:
            counts[name] = calibrate(cases[name], target_s)
        for _ in range(warmup):
            _time_batch(cases[name], counts[name])
    samples: dict[str, list[float]] = {name: [] for name in names}
    gc.collect()
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            with _GCOff(disable_gc):
                elapsed = _time_batch(cases[name], counts[name])
            samples[name].append(elapsed / counts[name])
            if progress is not None:
                progress.advance()
    return {name: Stats.from_samples(samples[name], calls=rounds * counts[name]) for name in names}


# --------------------------------------------------------------------------- progress


class Progress:
    """A one-line text progress bar on stderr.

    Args:
        total: Steps to 100 %.
        label: Text before the bar.
        quiet: Never draw.
        stream: Where to draw (default ``sys.stderr``); disabled when it is not a tty.
    """

    def __init__(
        self, total: int, label: str = "", *, quiet: bool = False, stream: TextIO | None = None
    ) -> None:
        self.total = max(1, total)
        self.label = label
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet and self._stream.isatty()
        self._started = time.monotonic()
        self._last_draw = 0.0

    def advance(self, steps: int = 1, label: str | None = None) -> None:
        """Moves the bar forward (redraws at most ~20 times a second)."""
        self.done = min(self.total, self.done + steps)
        if label is not None:
            self.label = label
        now = time.monotonic()
        if self.enabled and (now - self._last_draw > 0.05 or self.done == self.total):
            self._last_draw = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        width = 30
        filled = int(width * self.done / self.total)
        bar = "#" * filled + "-" * (width - filled)
        pct = 100 * self.done / self.total
        line = f"\r{self.label[:40]:<40} [{bar}] {pct:5.1f}% {now - self._started:6.1f}s"
        self._stream.write(line)
        self._stream.flush()

    def close(self) -> None:
        """Clears the line."""
        if self.enabled:
            self._stream.write("\r" + " " * 90 + "\r")
            self._stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --------------------------------------------------------------------------- reporting


@dataclass(frozen=True, slots=True)
class Result:
    """One measured (scenario, variant[, threads]) cell.

    Attributes:
        scenario: What was done, e.g. ``"s3.get_object"``.
        variant: Who did it, e.g. ``"hub"``, ``"boto3"``, ``"urllib3"`` (a floor).
        stats: The measurement.
        extra: Free-form notes carried into the JSON.
    """

    scenario: str
    variant: str
    stats: Stats
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "scenario": self.scenario,
            "variant": self.variant,
            **self.stats.to_dict(),
            "extra": dict(self.extra),
        }


def format_ns(ns: float) -> str:
    """Human time: ``812 ns``, ``3.41 µs``, ``12.3 ms``, ``1.20 s``."""
    if ns < 1e3:
        return f"{ns:.0f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.3g} µs"
    if ns < 1e9:
        return f"{ns / 1e6:.3g} ms"
    return f"{ns / 1e9:.3g} s"


def _baseline_for(
    results: Sequence[Result], baseline: str | Mapping[str, str] | None
) -> dict[tuple[str, int], Result]:
    """(scenario, threads) -> the baseline row of that group (its first row by default)."""
    groups: dict[tuple[str, int], list[Result]] = {}
    for r in results:
        groups.setdefault((r.scenario, r.stats.threads), []).append(r)
    out = {}
    for (scenario, threads), rows in groups.items():
        want = baseline.get(scenario) if isinstance(baseline, Mapping) else baseline
        out[(scenario, threads)] = next((r for r in rows if r.variant == want), rows[0])
    return out


def format_table(
    results: Sequence[Result], *, baseline: str | Mapping[str, str] | None = None
) -> str:
    """A fixed-width text table.

    Columns: scenario, variant, threads, median, p10-p90 spread, ops/s and the ratio to the
    baseline variant of the same scenario and thread count: baseline ops/s / variant ops/s,
    i.e. a time ratio (``0.50x`` = twice as fast as the baseline).

    Args:
        results: Rows, printed in order.
        baseline: Baseline variant name, or scenario -> name; the first variant of each
            scenario when None or absent.
    """
    bases = _baseline_for(results, baseline)
    header = ("scenario", "variant", "thr", "median", "p10 - p90", "ops/s", "vs base")
    rows = [header]
    for r in results:
        s = r.stats
        base = bases[(r.scenario, s.threads)]
        ratio = base.stats.ops_per_sec / s.ops_per_sec if s.ops_per_sec else math.inf
        ratio_text = "base" if base is r else (f"{ratio:.2f}x" if ratio < 100 else f"{ratio:,.0f}x")
        if base is not r:
            ratio_text += f" {base.variant}"
        rows.append(
            (
                r.scenario,
                r.variant,
                str(s.threads),
                format_ns(s.median),
                f"{format_ns(s.p10)} - {format_ns(s.p90)}",
                f"{s.ops_per_sec:,.0f}",
                ratio_text,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    right = {2, 3, 4, 5}
    lines = []
    for n, row in enumerate(rows):
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def print_table(
    results: Sequence[Result],
    *,
    baseline: str | Mapping[str, str] | None = None,
    file: TextIO | None = None,
) -> None:
    """Prints ``format_table(results, baseline=...)`` (to stdout by default)."""
    print(format_table(results, baseline=baseline), file=file if file is not None else sys.stdout)


def environment() -> dict[str, Any]:
    """Facts about the machine and versions, recorded with every result file."""
    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "gil_enabled": getattr(sys, "_is_gil_enabled", lambda: True)(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    from importlib import metadata

    for dist in ("hub", "urllib3", "boto3", "botocore", "moto"):
        try:
            info[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            info[dist] = None
    return info


def write_json(
    path: str | os.PathLike[str],
    results: Iterable[Result],
    *,
    meta: Mapping[str, Any] | None = None,
) -> None:
    """Writes ``{"environment": ..., "meta": ..., "results": [...]}`` to ``path``."""
    doc = {
        "environment": environment(),
        "meta": dict(meta or {}),
        "results": [r.to_dict() for r in results],
    }
    directory = os.path.dirname(os.fspath(path))
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")


def write_chart(
    path: str | os.PathLike[str],
    results: Sequence[Result],
    *,
    title: str = "Throughput vs threads",
) -> None:
    """Writes a PNG: ops/s against thread count, one line per variant, one panel per scenario.

    Args:
        path: Output PNG path.
        results: Rows; those of a scenario with one thread count still plot (as points).
        title: Figure title.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display needed; must precede pyplot
    import matplotlib.pyplot as plt

    scenarios = list(dict.fromkeys(r.scenario for r in results))
    if not scenarios:
        raise ValueError("write_chart: no results")
    cols = min(3, len(scenarios))
    nrows = math.ceil(len(scenarios) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(5.2 * cols, 3.8 * nrows), squeeze=False)
    for ax, scenario in zip(axes.flat, scenarios, strict=False):
        rows = [r for r in results if r.scenario == scenario]
        thread_counts = sorted({r.stats.threads for r in rows})
        for variant in dict.fromkeys(r.variant for r in rows):
            points = sorted(
                (r.stats.threads, r.stats.ops_per_sec) for r in rows if r.variant == variant
            )
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="o", label=variant)
        ax.set_title(scenario)
        ax.set_xscale("log", base=2)
        ax.set_xticks(thread_counts)
        ax.set_xticklabels([str(t) for t in thread_counts])
        ax.set_xlabel("threads")
        ax.set_ylabel("ops/s")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    for ax in list(axes.flat)[len(scenarios) :]:
        ax.set_visible(False)
    fig.suptitle(title)
    fig.tight_layout()
    directory = os.path.dirname(os.fspath(path))
    if directory:
        os.makedirs(directory, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------- self-test


def _selftest(*, quiet: bool, png: str, seconds: float) -> None:
    """Runs the harness on the baselines against the fast responder.

    About ``seconds`` of measuring, plus ~2-3 s of fixed cost (imports, client warm-up, the
    chart)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _baselines
    import _servers

    results: list[Result] = []
    thread_counts = (1, 2, 4, 8)
    with _servers.fast_responder() as responder:
        url = responder.url
        single = {
            ("client", "slots_object"): _baselines.slots_object(),
            ("client", "boto3"): _baselines.boto3_client_creation(url),
            ("s3.get_object", "urllib3"): _baselines.urllib3_get(url),
            ("s3.get_object", "boto3"): _baselines.boto3_get_object(url),
            ("s3.put_object", "urllib3"): _baselines.urllib3_put(url),
            ("s3.put_object", "boto3"): _baselines.boto3_put_object(url),
            ("dynamodb.get_item", "boto3"): _baselines.boto3_get_item(url),
        }
        names = {f"{s}/{v}": op for (s, v), op in single.items()}
        rounds = 5
        with Progress(rounds * len(names), "single thread (interleaved)", quiet=quiet) as bar:
            stats = interleave(
                names, rounds, target_s=seconds * 0.25 / (rounds * len(names)), progress=bar
            )
        for (scenario, variant), name in zip(single, names, strict=True):
            results.append(Result(scenario, variant, stats[name]))

        # Threads share one pool / one client, as an application would.
        shared = {
            ("threads.get_object", "urllib3"): _baselines.urllib3_get(url),
            ("threads.get_object", "boto3"): _baselines.boto3_get_object(url),
        }
        per_run = seconds * 0.4 / (len(shared) * len(thread_counts))
        with Progress(len(shared) * len(thread_counts), "threads", quiet=quiet) as bar:
            for n in thread_counts:
                for (scenario, variant), op in shared.items():
                    st = measure_threads(lambda op=op: op, n, duration=per_run)
                    results.append(Result(scenario, variant, st))
                    bar.advance(label=f"threads: {variant} x{n}")

    print_table(
        results,
        baseline={"client": "slots_object"}
        | {s: "urllib3" for s in ("s3.get_object", "s3.put_object", "threads.get_object")},
    )
    write_json(os.path.splitext(png)[0] + ".json", results, meta={"selftest": True})
    write_chart(
        png,
        [r for r in results if r.scenario.startswith("threads.")],
        title="harness self-test: GET throughput vs threads (fast responder)",
    )
    print(f"chart: {png}")


def _main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="hub benchmark harness")
    parser.add_argument("--selftest", action="store_true", help="run on the baselines (~5 s)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--seconds", type=float, default=5.0, help="self-test time budget")
    parser.add_argument("--chart", default="/tmp/harness_selftest.png", help="self-test PNG")
    args = parser.parse_args(argv)
    if not args.selftest:
        parser.print_help()
        return 2
    _selftest(quiet=args.quiet, png=args.chart, seconds=args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
