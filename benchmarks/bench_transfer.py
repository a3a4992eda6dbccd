"""Managed transfers: hub vs boto3 (s3transfer) vs obstore (Rust), on a local in-memory S3.

Cases: one 256 MiB object up and down, and 64 x 4 MiB objects up and down (through each
library's transfer manager: hub's ``TransferManager``, s3transfer's ``TransferManager``, obstore
calls on 10 threads), over HTTP and over HTTPS (a trustme CA). Each library uses its
defaults (8 MiB parts, 10 at a time; obstore: 8 MiB chunks, 10 at a time).

How it is measured:

- The server (``tests/servers/fast_s3.py``) runs in its own process, so its CPU is not counted
  as the client's; it is reported beside it ("server CPU s/GB", read from ``/proc`` around the
  timed transfer), since on a small machine the two share the cores. The same server serves
  every library. Uploaded objects are deleted after each measurement (not timed), so the
  server's buffers are reused; a first upload of each case's shape, deleted before the rounds
  start, fills its buffer pool, so no library pays the server's first page faults.
- Each measurement runs in a fresh child process: after imports and one warm-up request, the
  child times the transfer (wall clock), takes the process CPU time it used (user + system,
  every thread) and reads its peak RSS (``ru_maxrss``) before and after.
- Rounds are interleaved: every round runs every library once per case, in turn (each round
  starts with the next library). One more round before them, untimed, warms up each case for
  every library: on a fresh VM the first transfers after the server started ran up to 3-4x
  slower (the kernel touching fresh memory), and that would land on whichever library
  happened to go first.

Reported: MB/s (MiB/s of payload), client CPU seconds per GiB, and peak RSS (and its growth
over the warmed-up process). obstore rows are skipped (with a note) when it is not installed.

With ``--unsigned-payload`` every library skips the body's SHA-256 that S3 signs over plain
http by default (each library's own setting for it), to show what that hash costs.

Run: ``python3 benchmarks/bench_transfer.py [--quick] [--rounds N] [--json PATH]``; part of
``benchmarks/run.py`` as the ``transfer`` scenario.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUCKET = "bench"
MIB = 1024 * 1024
IMPLS = ("hub", "boto3", "obstore")
WARM = 1 * MIB  # the warm-up transfer (multipart, in two parts where the library allows)


@dataclass(frozen=True)
class Shape:
    """A case's payload: ``count`` objects of ``size`` bytes."""

    name: str
    count: int
    size: int


FULL_SHAPES = (Shape("256 MiB", 1, 256 * MIB), Shape("64 x 4 MiB", 64, 4 * MIB))
QUICK_SHAPES = (Shape("16 MiB", 1, 16 * MIB),)


@dataclass
class Row:
    """One (shape, direction, scheme, library) result: medians over the rounds."""

    shape: str
    direction: str
    scheme: str
    impl: str
    mb_s: float = float("nan")
    cpu_s_per_gb: float = float("nan")
    peak_rss_mb: float = float("nan")
    rss_growth_mb: float = float("nan")
    server_cpu_s_per_gb: float = float("nan")
    samples: list[dict[str, float]] = field(default_factory=list)
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"scenario": f"transfer.{self.direction} {self.shape} ({self.scheme})",
                "variant": self.impl, "mb_s": self.mb_s, "cpu_s_per_gb": self.cpu_s_per_gb,
                "peak_rss_mb": self.peak_rss_mb, "rss_growth_mb": self.rss_growth_mb,
                "server_cpu_s_per_gb": self.server_cpu_s_per_gb, "samples": self.samples,
                "skipped": self.skipped}


# --------------------------------------------------------------------------- server


@contextmanager
def server(tls: bool, workdir: str) -> Iterator[tuple[str, str | None, int]]:
    """The fast S3 server in a child process: yields (endpoint URL, CA bundle or None, pid)."""
    args = [sys.executable, "-m", "tests.servers.fast_s3", "--bucket", BUCKET]
    if tls:
        args += ["--tls-dir", workdir]
    proc = subprocess.Popen(args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().split()[1]
        ca = proc.stdout.readline().split()[1] if tls else None
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}", ca, proc.pid
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


# --------------------------------------------------------------------------- child side


def _keys(shape: Shape, prefix: str) -> list[str]:
    return [f"{prefix}/{shape.name}/{i}" for i in range(shape.count)]


def _hub_ops(url: str, ca: str | None, unsigned: bool) -> tuple[Callable[[], None], Any]:
    import hub
    from hub.transfer import TransferConfig, TransferManager

    config = hub.Config(region="us-east-1", endpoint_url=url,
                        credentials=hub.Credentials("bench", "bench"),
                        verify=ca if ca else None,
                        s3_payload_signing_enabled=False if unsigned else None)
    s3 = hub.Session(config).client("s3")
    small = TransferConfig(multipart_threshold=WARM // 2, multipart_chunksize=WARM // 2)

    def warm(path: str) -> None:
        s3.upload_file(path, BUCKET, "warm/hub", Config=small)
        s3.download_file(BUCKET, "warm/hub", path + ".out", Config=small)

    def run(direction: str, shape: Shape, files: list[str], keys: list[str]) -> None:
        if shape.count == 1:
            if direction == "upload":
                s3.upload_file(files[0], BUCKET, keys[0])
            else:
                s3.download_file(BUCKET, keys[0], files[0])
            return
        with TransferManager(s3) as manager:
            futures = [manager.upload(f, BUCKET, k) if direction == "upload"
                       else manager.download(BUCKET, k, f)
                       for f, k in zip(files, keys, strict=True)]
        for future in futures:
            future.result()

    return warm, run


def _boto3_ops(url: str, ca: str | None, unsigned: bool) -> tuple[Callable[[], None], Any]:
    import boto3
    import botocore.config
    from boto3.s3.transfer import TransferConfig
    from s3transfer.manager import TransferManager

    s3 = boto3.session.Session().client(
        "s3", region_name="us-east-1", endpoint_url=url, aws_access_key_id="bench",
        aws_secret_access_key="bench", verify=ca if ca else None,
        config=botocore.config.Config(s3={"payload_signing_enabled": False}) if unsigned
        else None)
    small = TransferConfig(multipart_threshold=WARM // 2)

    def warm(path: str) -> None:
        s3.upload_file(path, BUCKET, "warm/boto3", Config=small)
        s3.download_file(BUCKET, "warm/boto3", path + ".out", Config=small)

    def run(direction: str, shape: Shape, files: list[str], keys: list[str]) -> None:
        if shape.count == 1:
            if direction == "upload":
                s3.upload_file(files[0], BUCKET, keys[0])
            else:
                s3.download_file(BUCKET, keys[0], files[0])
            return
        with TransferManager(s3, TransferConfig()) as manager:
            futures = [manager.upload(f, BUCKET, k) if direction == "upload"
                       else manager.download(BUCKET, k, f)
                       for f, k in zip(files, keys, strict=True)]
        for future in futures:
            future.result()

    return warm, run


def _obstore_ops(url: str, ca: str | None, unsigned: bool) -> tuple[Callable[[], None], Any]:
    from concurrent.futures import ThreadPoolExecutor

    import obstore
    from obstore.store import S3Store

    options: dict[str, Any] = {"allow_http": True}
    if ca:
        options["root_certificate"] = Path(ca).read_text()
    store = S3Store(BUCKET, endpoint=url, region="us-east-1", access_key_id="bench",
                    secret_access_key="bench", virtual_hosted_style_request=False,
                    unsigned_payload=unsigned, client_options=options)
    def one(direction: str, path: str, key: str, chunk: int = 8 * MIB) -> None:
        if direction == "upload":
            obstore.put(store, key, Path(path), chunk_size=chunk, max_concurrency=10)
            return
        with open(path, "wb") as out:
            for part in obstore.get(store, key).stream(min_chunk_size=chunk):
                out.write(part)

    def warm(path: str) -> None:
        one("upload", path, "warm/obstore", WARM // 2)
        one("download", path + ".out", "warm/obstore", WARM // 2)

    def run(direction: str, shape: Shape, files: list[str], keys: list[str]) -> None:
        if shape.count == 1:
            one(direction, files[0], keys[0])
            return
        with ThreadPoolExecutor(10) as pool:
            for future in [pool.submit(one, direction, f, k)
                           for f, k in zip(files, keys, strict=True)]:
                future.result()

    return warm, run


def _status_mb(field_name: str) -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak_rss() -> float:
    # Linux: writing 5 to clear_refs resets VmHWM (the peak) to the current RSS, so the peak
    # read afterwards is the transfer's own (ru_maxrss would include what the parent held
    # before exec). Returns the RSS the transfer starts from.
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        pass
    current = _status_mb("VmRSS")
    if current is None:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return current


def _peak_rss() -> float:
    peak = _status_mb("VmHWM")
    if peak is None:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return peak


def _cpu_of(pid: int | None) -> float:
    # User + system CPU seconds of another process (Linux /proc; NaN elsewhere).
    if pid is None:
        return float("nan")
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child(spec: dict[str, Any]) -> dict[str, float]:
    """Run one measurement in this (fresh) process; return its figures."""
    shape = Shape(**spec["shape"])
    impl, direction, url, ca = spec["impl"], spec["direction"], spec["url"], spec["ca"]
    warm, run = {"hub": _hub_ops, "boto3": _boto3_ops, "obstore": _obstore_ops}[impl](
        url, ca, bool(spec.get("unsigned")))
    workdir = Path(spec["workdir"])
    warm_file = workdir / f"warm-{impl}-{os.getpid()}"
    warm_file.write_bytes(os.urandom(WARM))
    warm(str(warm_file))  # first use of each library's transfer path is not measured
    for path in (warm_file, Path(str(warm_file) + ".out")):
        path.unlink()
    if direction == "upload":
        files = [str(workdir / f"src-{i}") for i in range(shape.count)]
        keys = _keys(shape, f"up/{impl}")
    else:
        out = workdir / f"out-{impl}"
        out.mkdir(exist_ok=True)
        files = [str(out / f"dst-{i}") for i in range(shape.count)]
        keys = _keys(shape, "seed")
    base_rss = _reset_peak_rss()
    server0 = _cpu_of(spec.get("server_pid"))
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    run(direction, shape, files, keys)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    server_cpu = _cpu_of(spec.get("server_pid")) - server0
    peak = _peak_rss()
    if direction == "download":
        for path in files:
            if os.path.getsize(path) != shape.size:
                raise AssertionError(f"{impl} wrote {os.path.getsize(path)} bytes to {path}")
        shutil.rmtree(workdir / f"out-{impl}")
    total = shape.count * shape.size
    return {"mb_s": total / MIB / wall, "cpu_s_per_gb": cpu / (total / 1024 / MIB),
            "peak_rss_mb": peak, "rss_growth_mb": peak - base_rss, "wall_s": wall, "cpu_s": cpu,
            "server_cpu_s_per_gb": server_cpu / (total / 1024 / MIB)}


# --------------------------------------------------------------------------- parent side


def obstore_available() -> bool:
    """True when obstore imports (it is an optional bench dependency)."""
    try:
        import obstore  # noqa: F401
    except ImportError:
        return False
    return True


def _parent_client(url: str, ca: str | None) -> Any:
    import hub

    return hub.Session(hub.Config(region="us-east-1", endpoint_url=url,
                                  credentials=hub.Credentials("bench", "bench"),
                                  verify=ca if ca else None)).client("s3")


def _seed(url: str, ca: str | None, shapes: Sequence[Shape], workdir: Path) -> None:
    s3 = _parent_client(url, ca)
    s3.put_object(Bucket=BUCKET, Key="seed/warm", Body=b"x")
    for shape in shapes:
        for key in _keys(shape, "seed"):
            s3.upload_file(str(workdir / shape.name.replace(" ", "_") / "src-0"), BUCKET, key)
    # Fill the server's buffer pool with each shape once (uploaded, then deleted).
    for shape in shapes:
        keys = _keys(shape, "prewarm")
        for key in keys:
            s3.upload_file(str(workdir / shape.name.replace(" ", "_") / "src-0"), BUCKET, key)
        for key in keys:
            s3.delete_object(Bucket=BUCKET, Key=key)


def _delete_uploads(url: str, ca: str | None, shape: Shape, impl: str) -> None:
    # Not timed: the server's buffers go back to its pool for the next measurement.
    s3 = _parent_client(url, ca)
    for key in _keys(shape, f"up/{impl}"):
        s3.delete_object(Bucket=BUCKET, Key=key)


def _make_sources(shapes: Sequence[Shape], workdir: Path) -> None:
    for shape in shapes:
        folder = workdir / shape.name.replace(" ", "_")
        folder.mkdir(parents=True, exist_ok=True)
        blob = os.urandom(shape.size)
        for i in range(shape.count):
            (folder / f"src-{i}").write_bytes(blob)


def run(quick: bool = False, rounds: int | None = None, schemes: Sequence[str] | None = None,
        progress: Callable[[str], None] | None = None, only: Sequence[str] = (),
        warmup: int | None = None, unsigned: bool = False) -> tuple[list[Row], list[str]]:
    """Measure every case; return (rows, notes).

    ``quick``: one 16 MiB object over http only, one round and no warm-up round (a smoke run
    for CI). ``rounds``: timed rounds per case [5]; ``warmup``: untimed rounds before them
    [1]. ``only``: run just the cases whose "direction shape" contains one of these strings
    (e.g. ``"upload 256"``), for a focused look. ``unsigned``: every library skips the
    body's SHA-256 in the signature (hub's ``s3_payload_signing_enabled=False``, boto3's
    ``s3={"payload_signing_enabled": False}``, obstore's ``unsigned_payload``), which S3 signs
    over plain http by default.
    """
    shapes = QUICK_SHAPES if quick else FULL_SHAPES
    schemes = schemes or (("http",) if quick else ("http", "https"))
    rounds = rounds or (1 if quick else 5)
    warmup = (0 if quick else 1) if warmup is None else warmup
    if warmup < 0:  # range(-warmup, rounds) would silently drop timed rounds instead
        raise ValueError(f"warmup must be 0 or more, got {warmup}")
    notes: list[str] = []
    impls = [i for i in IMPLS if i != "obstore" or obstore_available()]
    if "obstore" not in impls:
        notes.append("obstore is not installed (pip install obstore): its rows are skipped")
    rows: dict[tuple[str, str, str, str], Row] = {}
    with tempfile.TemporaryDirectory(prefix="hub-bench-transfer-") as tmp:
        workdir = Path(tmp)
        _make_sources(shapes, workdir)
        for scheme in schemes:
            with server(scheme == "https", tmp) as (url, ca, server_pid):
                _seed(url, ca, shapes, workdir)
                for shape in shapes:
                    src_dir = workdir / shape.name.replace(" ", "_")
                    for direction in ("upload", "download"):
                        if only and not any(o in f"{direction} {shape.name}" for o in only):
                            continue
                        for impl in IMPLS:
                            row = Row(shape.name, direction, scheme, impl)
                            if impl not in impls:
                                row.skipped = "obstore not installed"
                            rows[(shape.name, direction, scheme, impl)] = row
                        for r in range(-warmup, rounds):  # r < 0: untimed warm-up rounds
                            order = impls[r % len(impls):] + impls[:r % len(impls)]
                            for impl in order:
                                spec = {"impl": impl, "direction": direction, "url": url,
                                        "ca": ca, "workdir": str(src_dir),
                                        "server_pid": server_pid, "unsigned": unsigned,
                                        "shape": {"name": shape.name, "count": shape.count,
                                                  "size": shape.size}}
                                if progress:
                                    progress(f"{direction} {shape.name} {scheme} {impl}"
                                             + (" (warm-up)" if r < 0 else ""))
                                result = _spawn(spec)
                                if r >= 0:
                                    rows[(shape.name, direction, scheme, impl)].samples.append(
                                        result)
                                if direction == "upload":
                                    _delete_uploads(url, ca, shape, impl)
    for row in rows.values():
        if row.samples:
            for name in ("mb_s", "cpu_s_per_gb", "peak_rss_mb", "rss_growth_mb",
                         "server_cpu_s_per_gb"):
                setattr(row, name, statistics.median(s[name] for s in row.samples))
    return list(rows.values()), notes


def _spawn(spec: dict[str, Any]) -> dict[str, float]:
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{spec['impl']} {spec['direction']} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def targets(rows: Sequence[Row]) -> list[tuple[str, bool | None, str]]:
    """The issue's targets per case: (description, met, figures)."""
    cells = {(r.shape, r.direction, r.scheme, r.impl): r for r in rows}
    out: list[tuple[str, bool | None, str]] = []
    for (shape, direction, scheme, impl), row in cells.items():
        if impl != "hub" or not row.samples:
            continue
        case = f"{direction} {shape} {scheme}"
        boto = cells.get((shape, direction, scheme, "boto3"))
        if boto is not None and boto.samples:
            x = row.mb_s / boto.mb_s
            out.append((f"{case}: >= 2x s3transfer throughput", x >= 2, f"{x:.2f}x"))
            c = row.cpu_s_per_gb / boto.cpu_s_per_gb
            out.append((f"{case}: <= 0.5x s3transfer CPU/GB", c <= 0.5, f"{c:.2f}x"))
        obs = cells.get((shape, direction, scheme, "obstore"))
        if obs is not None and obs.samples:
            x = row.mb_s / obs.mb_s
            need = "above" if scheme == "https" else "at least"
            out.append((f"{case}: throughput {need} obstore's",
                        x > 1 if scheme == "https" else x >= 1, f"{x:.2f}x"))
    return out


def format_table(rows: Sequence[Row]) -> str:
    """A plain-text table of the rows."""
    lines = [f"{'case':<34} {'library':<8} {'MB/s':>8} {'CPU s/GB':>9} {'peak RSS MB':>12} "
             f"{'growth MB':>10} {'server CPU s/GB':>16}"]
    for r in rows:
        case = f"{r.direction} {r.shape} ({r.scheme})"
        if r.skipped:
            lines.append(f"{case:<34} {r.impl:<8} skipped: {r.skipped}")
            continue
        lines.append(f"{case:<34} {r.impl:<8} {r.mb_s:>8.0f} {r.cpu_s_per_gb:>9.2f} "
                     f"{r.peak_rss_mb:>12.0f} {r.rss_growth_mb:>10.0f} "
                     f"{r.server_cpu_s_per_gb:>16.2f}")
    return "\n".join(lines)


def write_chart(path: Path, rows: Sequence[Row]) -> None:
    """Bars: MB/s and CPU s/GB per case, one bar per library."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = list(dict.fromkeys(f"{r.direction}\n{r.shape}\n{r.scheme}" for r in rows))
    impls = [i for i in IMPLS if any(r.impl == i and r.samples for r in rows)]
    fig, axes = plt.subplots(2, 1, figsize=(max(8, 1.3 * len(cases)), 7))
    width = 0.8 / max(1, len(impls))
    for panel, (metric, label) in zip(axes, (("mb_s", "MB/s (higher is better)"),
                                             ("cpu_s_per_gb", "client CPU s/GB (lower)")),
                                      strict=True):
        for k, impl in enumerate(impls):
            values = []
            for case in cases:
                match = [r for r in rows if f"{r.direction}\n{r.shape}\n{r.scheme}" == case
                         and r.impl == impl]
                values.append(getattr(match[0], metric) if match and match[0].samples
                              else 0.0)
            panel.bar([i + k * width for i in range(len(cases))], values, width, label=impl)
        panel.set_xticks([i + width * (len(impls) - 1) / 2 for i in range(len(cases))], cases,
                         fontsize="small")
        panel.set_ylabel(label)
        panel.grid(True, axis="y", alpha=0.3)
        panel.legend(fontsize="small")
    fig.suptitle(f"Managed transfers on a local in-memory S3 ({os.cpu_count()} CPUs, "
                 f"Python {sys.version.split()[0]})")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="16 MiB over http, one round")
    parser.add_argument("--rounds", type=int, help="interleaved rounds [5 / 1 with --quick]")
    parser.add_argument("--warmup", type=int,
                        help="untimed rounds before them [1 / 0 with --quick]")
    parser.add_argument("--schemes", help="http,https [http with --quick]")
    parser.add_argument("--only", action="append", default=[],
                        help='just the cases matching this ("upload 256"); repeatable')
    parser.add_argument("--json", type=Path, help="write the rows here")
    parser.add_argument("--chart", type=Path, help="write a PNG chart here")
    parser.add_argument("--unsigned-payload", action="store_true",
                        help="every library sends UNSIGNED-PAYLOAD (no SHA-256 of the body)")
    args = parser.parse_args(argv)
    if args.warmup is not None and args.warmup < 0:
        parser.error(f"--warmup must be 0 or more, got {args.warmup}")
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    rows, notes = run(args.quick, args.rounds,
                      tuple(args.schemes.split(",")) if args.schemes else None,
                      progress=lambda text: print(f"  ... {text}", file=sys.stderr),
                      only=args.only, warmup=args.warmup, unsigned=args.unsigned_payload)
    print(format_table(rows))
    print()
    for text, met, how in targets(rows):
        print(f"[{'PASS' if met else 'MISS'}] {text}: {how}")
    for note in notes:
        print(f"note: {note}")
    if args.json:
        args.json.write_text(json.dumps({"rows": [r.to_dict() for r in rows], "notes": notes},
                                        indent=2) + "\n")
    if args.chart:
        write_chart(args.chart, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
