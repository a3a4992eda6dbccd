"""hub.transfer's I/O pieces: positional reads/writes (and their lock fallback), part bodies,
ordered writes for unseekable targets, buffer reuse, and file descriptors closed once."""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import hub
from hub.transfer import TransferConfig, _io, _ranges
from hub.transfer._download import Download
from hub.transfer._upload import Upload
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


# --------------------------------------------------------------------------- closing once

def _yielding(cls: type) -> type:
    """``cls`` whose ``_fd`` attribute hands the GIL to another thread between being read and
    being written, so an unlocked ``fd, self._fd = self._fd, None`` lets two threads take the
    same fd (as free-threaded CPython or an unlucky switch would)."""

    class Yielding(cls):  # type: ignore[misc, valid-type]
        @property
        def _fd(self) -> int | None:
            value: int | None = self.__dict__.get("_fd_value")
            time.sleep(0)  # releases the GIL: the racing thread runs here
            return value

        @_fd.setter
        def _fd(self, value: int | None) -> None:
            self.__dict__["_fd_value"] = value

    return Yielding


def _race_once(task: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # finish() and cleanup() at once from two threads. The first os.close of the task's fd
    # immediately opens a "foreign" file, which gets the freed number (POSIX hands out the
    # lowest free fd); a second close of that number would close the foreign file.
    real_close = os.close
    target: int = task.__dict__["_fd_value"]
    foreign: list[int] = []
    closes: list[int] = []

    def tracking_close(fd: int) -> None:
        real_close(fd)
        if fd == target:
            closes.append(fd)
            if not foreign:
                foreign.append(os.open(os.devnull, os.O_RDONLY))

    start = threading.Barrier(2)

    def run(fn: Any) -> None:
        start.wait()
        fn()

    monkeypatch.setattr(os, "close", tracking_close)
    try:
        threads = [threading.Thread(target=run, args=(fn,)) for fn in (task.finish,
                                                                        task.cleanup)]
        for thread in threads:
            thread.start()
        join_all(threads)
    finally:
        monkeypatch.setattr(os, "close", real_close)
    alive = []
    for fd in foreign:
        try:
            os.fstat(fd)
        except OSError:
            continue
        alive.append(fd)
        os.close(fd)
    assert closes == [target], f"the task's fd was closed {len(closes)} times"
    assert alive == foreign, "a second close hit a file the task did not own"


def _race_finish_and_cleanup(make: Any, monkeypatch: pytest.MonkeyPatch,
                             rounds: int = 200) -> None:
    for _ in range(rounds):
        _race_once(make(), monkeypatch)


def _offline_client() -> Any:
    # Never contacted: finish/cleanup of these tasks send nothing.
    return hub.Session(hub.Config(region="us-east-1", endpoint_url="http://127.0.0.1:9",
                                  credentials=hub.Credentials("a", "b"))).client("s3")


def test_download_closes_its_fd_once_when_finish_races_cleanup(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _offline_client()
    cls = _yielding(Download)

    def make() -> Any:
        task = cls(client, TransferConfig(), lambda fn: fn(), "b", "k", str(tmp_path / "out"),
                   {}, None, None)
        task._open(1)  # the temporary file and its fd, as after the first GET
        return task

    _race_finish_and_cleanup(make, monkeypatch)
    # Whoever took the temporary file either renamed it into place or removed it.
    assert not list(tmp_path.glob("*.hubtmp"))


def test_upload_closes_its_fd_once_when_finish_races_cleanup(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _offline_client()
    cls = _yielding(Upload)
    source = tmp_path / "src"
    source.write_bytes(b"x")

    def make() -> Any:
        task = cls(client, TransferConfig(), lambda fn: fn(), str(source), "b", "k", {},
                   None, None)
        task._fd = os.open(source, os.O_RDONLY)  # as start() opens it; no upload id: no calls
        return task

    _race_finish_and_cleanup(make, monkeypatch)


# --------------------------------------------------------------------------- FileRange


def _range_file(tmp_path: Path, size: int) -> tuple[bytes, int]:
    data = os.urandom(size)
    path = tmp_path / "range.bin"
    path.write_bytes(data)
    return data, os.open(path, os.O_RDONLY)


def test_file_range_reads_seeks_and_holds_no_data(tmp_path: Path) -> None:
    data, fd = _range_file(tmp_path, 50_000)
    try:
        body = _ranges.FileRange(fd, 1000, 30_000)
        assert len(body) == 30_000 and body.seekable() and body.readable()
        first = body.read(10)
        assert type(first) is bytes and first == data[1000:1010]  # new bytes, not a view
        assert body.tell() == 10
        assert body.read() == data[1010:31_000]  # never past the range
        assert body.read(5) == b""
        assert body.seek(0) == 0 and body.seek(0, 2) == 30_000 and body.seek(-3, 1) == 29_997
        assert body.read(100) == data[30_997:31_000]
        assert "1000+30000" in repr(body)
    finally:
        os.close(fd)


def test_file_range_scan_passes_every_block_once(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    monkeypatch.setattr(_ranges, "BLOCK", 4096)
    monkeypatch.setattr(_ranges, "_blocks", _ranges._Blocks())
    data, fd = _range_file(tmp_path, 20_000)
    try:
        sha = hashlib.sha256()
        sizes: list[int] = []
        body = _ranges.FileRange(fd, 7, 10_001)  # 2 full blocks and a short one
        assert body.scan(sha.update, lambda block: sizes.append(len(block))) == 10_001
        assert sha.digest() == hashlib.sha256(data[7:10_008]).digest()
        assert sizes == [4096, 4096, 1809]
        # A file that ends before the range (truncated): the range is cut to what is there,
        # so the checksum and the length sent agree.
        short = _ranges.FileRange(fd, 15_000, 10_000)
        assert short.scan() == 5000 and len(short) == 5000
    finally:
        os.close(fd)


class _Recorder:
    """A socket stand-in that is not a plain socket (as an SSL socket is not)."""

    def __init__(self) -> None:
        self.sent = bytearray()
        self.calls = 0

    def sendall(self, data: Any) -> None:
        self.sent += data
        self.calls += 1


@pytest.mark.parametrize("plain", [True, False], ids=["sendfile", "blocks"])
def test_file_range_sends_itself_from_its_position(plain: bool, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    monkeypatch.setattr(_ranges, "BLOCK", 8192)
    monkeypatch.setattr(_ranges, "_blocks", _ranges._Blocks())
    sendfiles: list[int] = []
    real_sendfile = os.sendfile

    def counting_sendfile(*args: Any) -> int:
        sendfiles.append(args[3])
        return real_sendfile(*args)

    monkeypatch.setattr(os, "sendfile", counting_sendfile)
    data, fd = _range_file(tmp_path, 100_000)
    body = _ranges.FileRange(fd, 333, 60_000)
    body.read(1000)  # sent from the current position, as a body rewound for a retry would be
    try:
        if plain:
            left, right = socket.socketpair()
            with left, right:
                got = bytearray()

                def drain() -> None:
                    while len(got) < 59_000:
                        chunk = right.recv(65536)
                        if not chunk:
                            break
                        got.extend(chunk)

                reader = threading.Thread(target=drain)
                reader.start()
                body.hub_send_to(left)
                reader.join(10)
            assert bytes(got) == data[1333:60_333]
            assert sendfiles  # the kernel sent the file's pages
        else:
            out = _Recorder()
            body.hub_send_to(out)
            assert bytes(out.sent) == data[1333:60_333]
            assert out.calls == 8  # in blocks, not one send per read
            assert not sendfiles
        assert body.tell() == 60_000
    finally:
        os.close(fd)


def test_file_range_refuses_to_send_short_when_the_file_shrank(tmp_path: Path) -> None:
    data, fd = _range_file(tmp_path, 10_000)
    try:
        body = _ranges.FileRange(fd, 0, 10_000)
        os.truncate(tmp_path / "range.bin", 4000)
        out = _Recorder()
        with pytest.raises(OSError, match="ended 6000 bytes early"):
            body.hub_send_to(out)
        assert bytes(out.sent) == data[:4000]
    finally:
        os.close(fd)


@pytest.mark.parametrize("size", [0, 1, 8192, 20_000])
def test_framed_range_sends_what_the_aws_chunked_reader_frames(
        size: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The fast send (one send per chunk from the block buffer, checksum computed meanwhile)
    # and the read path (AwsChunkedReader, used when the transport reads the body) put the
    # same bytes on the wire, with the checksum of the data in the trailer; a rewind for a
    # retry sends it all again.
    from hub.checksums import checksum, decode_aws_chunked

    monkeypatch.setattr(_ranges, "BLOCK", 8192)
    data, fd = _range_file(tmp_path, size + 10)
    try:
        source = _ranges.FileRange(fd, 10, size)
        framed = source.hub_aws_chunked("CRC32")
        assert source.hub_framed is framed
        out = _Recorder()
        framed.hub_send_to(out)
        assert len(out.sent) == len(framed) == framed.encoded_length
        payload, trailers = decode_aws_chunked(bytes(out.sent))
        assert payload == data[10:10 + size]
        assert trailers == {"x-amz-checksum-crc32": checksum("CRC32", payload)}
        assert framed.checksum.b64digest() == checksum("CRC32", payload)
        assert framed.seek(0) == 0
        read = b"".join(iter(lambda: framed.read(5000), b""))
        assert read == bytes(out.sent)
        framed.seek(0)
        again = _Recorder()
        framed.hub_send_to(again)
        assert again.sent == out.sent
    finally:
        os.close(fd)
