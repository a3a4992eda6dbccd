"""hub.transfer's I/O pieces: positional reads/writes (and their lock fallback), part bodies,
ordered writes for unseekable targets, buffer reuse."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest

from hub.transfer import _io
from tests._threads import join_all


@pytest.mark.parametrize("positional", [True, False], ids=["pread", "lseek-fallback"])
def test_reads_and_writes_at_offsets(positional: bool, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_io, "_HAS_PREAD", positional)
    monkeypatch.setattr(_io, "_HAS_PREADV", positional)
    data = os.urandom(100_000)
    path = tmp_path / "f"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDWR)
    try:
        assert _io.pread(fd, 10, 5) == data[5:15]
        assert _io.pread(fd, 50, len(data) - 20) == data[-20:]  # short only at the end
        buf = bytearray(1000)
        assert _io.pread_into(fd, memoryview(buf), 99_500) == 500
        assert bytes(buf[:500]) == data[99_500:]
        _io.pwrite(fd, b"xyz", 7)
        assert _io.pread(fd, 5, 6) == data[6:7] + b"xyz" + data[10:11]
    finally:
        os.close(fd)


def test_part_body_reads_slices_and_rewinds() -> None:
    body = _io.PartBody(b"abcdefghij")
    assert len(body) == 10 and body.seekable() and body.readable()
    assert bytes(body.read(4)) == b"abcd"  # never more than asked
    assert body.tell() == 4
    assert bytes(body.read()) == b"efghij"
    assert body.read(3) == b""
    assert body.seek(0) == 0 and body.seek(0, 2) == 10 and body.seek(-3, 1) == 7
    assert bytes(body.read(10)) == b"hij"


def test_ordered_writer_writes_in_order_and_holds_early_ranges() -> None:
    out = io.BytesIO()
    writer = _io.OrderedWriter(out, part_size=4, window=2)
    writer.write_at(8, b"IJKL")
    writer.write_at(4, b"EFGH")
    assert out.getvalue() == b""  # nothing before offset 0 yet
    writer.write_at(0, b"ABCD")
    assert out.getvalue() == b"ABCDEFGHIJKL"


def test_ordered_writer_window_blocks_far_parts_until_the_head_moves() -> None:
    writer = _io.OrderedWriter(io.BytesIO(), part_size=4, window=1)
    passed = threading.Event()
    thread = threading.Thread(target=lambda: (writer.wait_turn(1, lambda: False),
                                              passed.set()))
    thread.start()
    assert not passed.wait(0.3)  # part 1 waits while part 0 is unwritten
    writer.write_at(0, b"ABCD")
    join_all([thread])
    assert passed.is_set()
    asked: list[int] = []
    writer.wait_turn(5, lambda: asked.append(1) or True)  # a failed transfer stops waiting
    assert asked


def test_buffer_pool_reuses_and_caps() -> None:
    pool = _io.BufferPool(keep=1)
    first = pool.get(100)
    pool.put(first)
    assert pool.get(50) is first  # big enough: reused
    pool.put(first)
    pool.put(bytearray(10))  # over the cap: dropped
    assert pool.get(100) is first and len(pool.get(100)) == 100
