"""Where a many-object download's time goes: hub's manager against its own floors and obstore.

The transfer benchmark (``bench_transfer.py``) leaves hub behind obstore on 64 x 4 MiB
downloads over https. This one takes that case apart, in one process and one interleaved run
against the same fast S3 server (``tests/servers/fast_s3.py``, in its own process), each
variant fetching the same 64 objects into new files on 10 threads:

- ``hub manager``: ``hub.transfer.TransferManager.download`` (what users call): its bodies
  are read by two reader threads (``hub.transfer._pump``);
- ``manager, workers read``: the same, each body read by its own worker thread (as before the
  reader threads; the same-run A/B for them);
- ``hub get_object``: 10 threads each calling ``get_object`` and ``readinto`` + ``os.pwrite``
  (hub's request pipeline, urllib3 and http.client, without the manager);
- ``raw sockets``: 10 threads, one kept-alive connection each, a hand-written unsigned GET and
  a head parsed by hand, then the same reads (one C read per TLS record) and ``os.pwrite``:
  the cost of moving the bytes with no HTTP client at all (the server does not check
  signatures);
- ``obstore`` (Rust; skipped when it is not installed): ``get`` + ``stream``, 10 at a time.

Reported per variant: MiB/s, this process's CPU per GiB (all threads) and the server's. The
gap between ``raw sockets`` and ``hub get_object`` is the per-request cost of the HTTP client
stack; between ``hub get_object`` and ``hub manager`` the manager's own.

Run: ``python3 benchmarks/bench_download_floor.py [--rounds N] [--scheme https|http]``.
"""

from __future__ import annotations

import argparse
import os
import socket
import ssl
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_transfer as bt

SHAPE = bt.Shape("64 x 4 MiB", 64, 4 * bt.MIB)
THREADS = 10
CHUNK = 256 * 1024  # what hub's manager reads per call (TransferConfig.io_chunksize)


def _write_all(fd: int, view: memoryview, offset: int) -> None:
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def _raw_get(conn: Any, key: str, path: str, buffer: memoryview) -> None:
    conn.sendall(f"GET /{bt.BUCKET}/{quote(key)} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        more = conn.recv(65536)
        if not more:
            raise ConnectionError("closed before the response head")
        head += more
    head, _, rest = head.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    if not lines[0].startswith(b"HTTP/1.1 200"):
        raise ConnectionError(lines[0].decode("latin-1"))
    length = next(int(line.split(b":", 1)[1]) for line in lines[1:]
                  if line.lower().startswith(b"content-length:"))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        _write_all(fd, memoryview(rest), 0)
        position = len(rest)
        sslobj = getattr(conn, "_sslobj", None)
        read = sslobj.read if sslobj is not None else None
        while position < length:
            want = min(len(buffer), length - position)
            got = 0
            while got < want:
                count = (read(want - got, buffer[got:]) if read is not None
                         else conn.recv_into(buffer[got:want]))
                if not count:
                    raise ConnectionError("closed mid-body")
                got += count
            _write_all(fd, buffer[:got], position)
            position += got
    finally:
        os.close(fd)


def variants(url: str, ca: str | None, keys: list[str]) -> dict[str, Callable[[list[str]], None]]:
    """Variant name -> fetch the objects ``keys`` into these new file paths."""
    import hub
    from hub.transfer import TransferManager, _download

    s3 = hub.Session(hub.Config(region="us-east-1", endpoint_url=url, verify=ca,
                                credentials=hub.Credentials("bench", "bench"))).client("s3")
    pool = ThreadPoolExecutor(THREADS)
    local = threading.local()

    def hub_manager(paths: list[str]) -> None:
        with TransferManager(s3) as manager:
            futures = [manager.download(bt.BUCKET, key, path)
                       for key, path in zip(keys, paths, strict=True)]
        for future in futures:
            future.result()

    def workers_read(paths: list[str]) -> None:
        handover = _download._PUMP_MIN
        _download._PUMP_MIN = 1 << 62  # no body is large enough to be handed over
        try:
            hub_manager(paths)
        finally:
            _download._PUMP_MIN = handover

    def hub_one(key: str, path: str) -> None:
        buffer = memoryview(bytearray(CHUNK))
        body = s3.get_object(Bucket=bt.BUCKET, Key=key)["Body"]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        try:
            position = 0
            while count := body.readinto(buffer):
                _write_all(fd, buffer[:count], position)
                position += count
        finally:
            os.close(fd)
            body.close()

    split = urlsplit(url)
    context = ssl.create_default_context(cafile=ca) if ca else None

    def raw_one(key: str, path: str) -> None:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = socket.create_connection((split.hostname, split.port))
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if context is not None:
                conn = context.wrap_socket(conn, server_hostname=split.hostname)
            conn.settimeout(60)  # as an SDK's socket: reads wait with a timeout
            local.conn = conn
            local.buffer = memoryview(bytearray(CHUNK))
        _raw_get(conn, key, path, local.buffer)

    def threaded(one: Callable[[str, str], None]) -> Callable[[list[str]], None]:
        return lambda paths: list(pool.map(one, keys, paths))

    chosen = {"hub manager": hub_manager, "manager, workers read": workers_read,
              "hub get_object": threaded(hub_one),
              "raw sockets": threaded(raw_one)}
    if bt.obstore_available():
        _, obstore_run = bt._obstore_ops(url, ca, False)
        chosen["obstore"] = lambda paths: obstore_run("download", SHAPE, paths, keys)
    return chosen


def run(rounds: int, scheme: str) -> dict[str, list[tuple[float, float, float]]]:
    """(MiB/s, client CPU s/GiB, server CPU s/GiB) per variant and round."""
    gib = SHAPE.count * SHAPE.size / (1024 * bt.MIB)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        bt._make_sources([SHAPE], workdir)
        with bt.server(scheme == "https", folder) as (url, ca, pid):
            bt._seed(url, ca, [SHAPE], workdir)
            keys = bt._keys(SHAPE, "seed")
            chosen = variants(url, ca, keys)
            out = workdir / "out"
            out.mkdir()
            results: dict[str, list[tuple[float, float, float]]] = {n: [] for n in chosen}
            for number in range(rounds + 1):  # round 0 warms every variant up, untimed
                for name, fetch in chosen.items():
                    paths = [str(out / f"{i}") for i in range(SHAPE.count)]
                    cpu, server, start = time.process_time(), bt._cpu_of(pid), time.perf_counter()
                    fetch(paths)
                    wall = time.perf_counter() - start
                    cpu, server = time.process_time() - cpu, bt._cpu_of(pid) - server
                    for path in paths:
                        if os.path.getsize(path) != SHAPE.size:
                            raise AssertionError(f"{name} wrote {os.path.getsize(path)} bytes")
                        os.unlink(path)
                    if number:
                        results[name].append((gib * 1024 / wall, cpu / gib, server / gib))
    return results


def main(argv: list[str] | None = None) -> int:
    """Command line: run and print one line per variant (medians, and each round)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds [5]")
    parser.add_argument("--scheme", choices=("https", "http"), default="https")
    args = parser.parse_args(argv)
    results = run(args.rounds, args.scheme)
    print(f"64 x 4 MiB download over {args.scheme}, {THREADS} threads, {args.rounds} rounds "
          "(medians; each round in brackets)")
    for name, samples in results.items():
        mb_s, cpu, server = (statistics.median(s[i] for s in samples) for i in range(3))
        rounds = " ".join(f"{s[0]:.0f}" for s in samples)
        print(f"{name:22s} {mb_s:6.0f} MiB/s [{rounds}]  client CPU {cpu:.2f} s/GiB  "
              f"server CPU {server:.2f} s/GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
