"""CRC updates on helper threads (hub._checksum_offload): exact values, bounded and ending
helper threads, errors carried back, and fork safety."""

from __future__ import annotations

import os
import threading
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from hub import _checksum_offload as offload
from hub import checksums
from hub._checksum_offload import MIN_OFFLOAD, OffloadedCrc
from tests._threads import join_all, run_in_threads

FORK_WITH_THREADS = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded:DeprecationWarning")

_NAME = "test-checksum-helper"
DATA = os.urandom(3 * MIN_OFFLOAD + 12345)


def _helpers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == _NAME]


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[offload._Pool]:
    """A private pool of two helpers (even on a one-core machine), idle helpers ending fast."""
    monkeypatch.setattr(offload, "IDLE_SECONDS", 0.05)
    private = offload._Pool(2, _NAME)
    monkeypatch.setattr(offload, "_POOL", private)
    yield private
    join_all(_helpers())


def _crc(blocks: list[bytes], fn: Any = zlib.crc32) -> int:
    running = OffloadedCrc("CRC32", fn, 4)
    for block in blocks:
        running.update(block)
    return int.from_bytes(running.digest(), "big")


@pytest.mark.parametrize("block", [7, 1000, MIN_OFFLOAD - 1, MIN_OFFLOAD, 1 << 20, len(DATA)])
def test_values_equal_zlib_for_any_block_size(pool: offload._Pool, block: int) -> None:
    blocks = [DATA[i:i + block] for i in range(0, len(DATA), block)]
    assert _crc(blocks) == zlib.crc32(DATA)
    view = memoryview(DATA)
    assert _crc([view[i:i + block] for i in range(0, len(DATA), block)]) == zlib.crc32(DATA)


def test_large_blocks_go_to_a_helper_and_small_ones_stay(pool: offload._Pool) -> None:
    seen: list[str] = []

    def recording(data: Any, value: int) -> int:
        seen.append(threading.current_thread().name)
        return zlib.crc32(data, value)

    assert _crc([DATA[:100], DATA[100:]], recording) == zlib.crc32(DATA)
    assert seen == [threading.current_thread().name, _NAME]


def test_overlap_applies_to_crc32_only(pool: offload._Pool,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checksums, "_native", {"CRC32": None})
    assert type(checksums.new_checksum("CRC32", overlap=True)) is OffloadedCrc
    assert type(checksums.new_checksum("CRC32")).__name__ == "_Crc"
    assert type(checksums.new_checksum("SHA256", overlap=True)).__name__ == "_Hash"
    assert type(checksums.new_checksum("CRC32C", overlap=True)).__name__ == "_Crc"
    running = checksums.new_checksum("crc32", overlap=True)
    running.update(DATA)
    assert running.b64digest() == checksums.checksum("CRC32", DATA)
    assert running.algorithm == "CRC32"


def test_a_native_crc32_offloads_only_whole_large_bodies(pool: offload._Pool,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # A SIMD CRC32 is faster than the hand-off for a file's 256 KiB blocks, but a large bytes
    # body's CRC (~7 ms per 64 MiB) is worth overlapping with the signer's SHA-256.
    seen: list[str] = []

    def native(data: Any, value: int = 0) -> int:
        seen.append(threading.current_thread().name)
        return zlib.crc32(data, value)

    monkeypatch.setattr(checksums, "_native", {"CRC32": (native, "isal")})
    assert type(checksums.new_checksum("CRC32")).__name__ == "_Crc"
    big = DATA * (checksums._NATIVE_MIN_OFFLOAD // len(DATA) + 1)
    running = checksums.new_checksum("CRC32", overlap=True)
    running.update(big[:MIN_OFFLOAD])  # a file-sized block: inline
    running.update(big[MIN_OFFLOAD:])  # the rest, over 4 MiB: on a helper
    assert running.digest() == zlib.crc32(big).to_bytes(4, "big")
    assert seen == [threading.current_thread().name, _NAME]


def _file(tmp_path: Any, data: bytes) -> Any:
    path = tmp_path / "body"
    path.write_bytes(data)
    return open(path, "rb")  # closed by the caller


def test_a_regular_file_is_checksummed_by_a_helper_reading_it_itself(
        pool: offload._Pool, tmp_path: Any) -> None:
    seen: list[str] = []

    def recording(data: Any, value: int) -> int:
        seen.append(threading.current_thread().name)
        return zlib.crc32(data, value)

    with _file(tmp_path, DATA) as body:
        body.seek(1000)
        body.read(77)  # the file object's own buffer and position must not matter
        running = OffloadedCrc("CRC32", recording, 4, file_min_offload=MIN_OFFLOAD)
        running.update(DATA[:10])  # a value carried in from before the file
        assert running.update_file(body.fileno(), 1000, len(DATA) - 1000)
        assert running.digest() == zlib.crc32(DATA[1000:], zlib.crc32(DATA[:10])).to_bytes(
            4, "big")
        assert body.tell() == 1077
        assert body.read(5) == DATA[1077:1082]
    # The helper read the file in several blocks (the 256 KiB reads), all of them itself.
    assert seen[0] == threading.current_thread().name  # the 10 bytes: inline
    assert len(seen) > 2 and set(seen[1:]) == {_NAME}


def test_a_file_stays_inline_when_small_native_or_without_helpers(
        pool: offload._Pool, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with _file(tmp_path, DATA) as body:
        fd = body.fileno()
        small = OffloadedCrc("CRC32", zlib.crc32, 4, file_min_offload=MIN_OFFLOAD)
        assert not small.update_file(fd, 0, MIN_OFFLOAD - 1)
        native = OffloadedCrc("CRC32", zlib.crc32, 4)  # no file_min_offload: SIMD CRCs
        assert not native.update_file(fd, 0, len(DATA))
        for running in (small, native):
            assert running.digest() == b"\0\0\0\0"  # nothing was added
        monkeypatch.setattr(pool, "max_helpers", 0)
        none = OffloadedCrc("CRC32", zlib.crc32, 4, file_min_offload=MIN_OFFLOAD)
        assert not none.update_file(fd, 0, len(DATA))
    # The default install's CRC32 (zlib) offloads files from 1 MiB; a native one never.
    monkeypatch.setattr(checksums, "_native", {"CRC32": None})
    assert checksums.new_checksum("CRC32", overlap=True)._file_min == 1024 * 1024  # type: ignore[attr-defined]
    monkeypatch.setattr(checksums, "_native", {"CRC32": (zlib.crc32, "isal")})
    assert checksums.new_checksum("CRC32", overlap=True)._file_min is None  # type: ignore[attr-defined]


def test_a_file_error_in_the_helper_is_raised_to_the_caller(pool: offload._Pool) -> None:
    read, write = os.pipe()  # preadv on a pipe fails (ESPIPE) in the helper
    try:
        running = OffloadedCrc("CRC32", zlib.crc32, 4, file_min_offload=1)
        assert running.update_file(read, 0, 10)
        with pytest.raises(OSError):
            running.digest()
    finally:
        os.close(read)
        os.close(write)


def test_helpers_are_bounded_shared_and_end_when_idle(pool: offload._Pool) -> None:
    results: list[int] = []
    lock = threading.Lock()

    def upload(index: int) -> None:
        for _ in range(5):
            value = _crc([DATA[i:i + MIN_OFFLOAD] for i in range(0, len(DATA), MIN_OFFLOAD)])
            with lock:
                results.append(value)

    assert run_in_threads(8, upload) == []
    assert results == [zlib.crc32(DATA)] * 40  # busy helpers: the rest ran inline, exactly
    assert 1 <= len(_helpers()) <= 2 and pool.threads() <= 2
    join_all(_helpers())  # IDLE_SECONDS is 0.05 here
    assert _helpers() == [] and pool.threads() == 0
    assert _crc([DATA]) == zlib.crc32(DATA)  # and a new one starts on demand
    assert pool.threads() <= 1


def test_no_helper_without_a_spare_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(offload, "_POOL", offload._Pool(0))
    assert _crc([DATA]) == zlib.crc32(DATA)
    assert offload.helper_threads() == 0


def test_an_error_in_the_helper_is_raised_to_the_caller(pool: offload._Pool) -> None:
    def broken(data: Any, value: int) -> int:
        raise ValueError("bad buffer")

    running = OffloadedCrc("CRC32", broken, 4)
    running.update(DATA)  # handed over: the error comes with the result
    with pytest.raises(ValueError, match="bad buffer"):
        running.digest()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
@FORK_WITH_THREADS
def test_fork_while_a_helper_computes(pool: offload._Pool) -> None:
    parent = os.getpid()
    release = threading.Event()

    def slow_in_parent(data: Any, value: int) -> int:
        if os.getpid() == parent:
            release.wait(30)  # the parent's helper is in here when the process forks
        return zlib.crc32(data, value)

    running = OffloadedCrc("CRC32", slow_in_parent, 4)
    running.update(DATA[:MIN_OFFLOAD])
    assert running._job is not None  # on the helper
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no helper threads; the block is checksummed again here
        code = 1
        try:
            os.close(read_fd)
            assert offload.helper_threads() == 0
            running.update(DATA[MIN_OFFLOAD:])  # a new helper (the pool is fresh) or inline
            os.write(write_fd, running.digest())
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        child_digest = pipe.read()
    _, status = os.waitpid(pid, 0)
    release.set()
    assert os.waitstatus_to_exitcode(status) == 0
    assert child_digest == zlib.crc32(DATA).to_bytes(4, "big")
    running.update(DATA[MIN_OFFLOAD:])
    assert running.digest() == zlib.crc32(DATA).to_bytes(4, "big")  # the parent goes on


def test_a_job_from_before_a_fork_never_waits_for_the_parents_helper() -> None:
    # A child sees the parent's jobs as they were at the fork: finished (maybe before the
    # helper released the lock), or not started. Neither may wait on a helper that is gone.
    finished = offload._Job(zlib.crc32, DATA, 0)
    finished.compute()
    finished.finished = True  # forked between these two steps of the helper: lock still held
    finished.pid = -1
    assert finished.wait() == zlib.crc32(DATA)
    pending = offload._Job(zlib.crc32, DATA, 7)
    pending.pid = -1
    assert pending.wait() == zlib.crc32(DATA, 7)


def test_a_job_the_helper_has_not_started_is_taken_back(pool: offload._Pool) -> None:
    # Not handed to any helper yet (as if every core were busy): the waiter computes it.
    waiting = offload._Job(zlib.crc32, DATA, 0)
    assert waiting.wait() == zlib.crc32(DATA)
    # Taken back before the helper got to it: the helper skips it and serves the next ones.
    pool.max_helpers = 1
    calls: list[str] = []

    def recording(data: Any, value: int) -> int:
        calls.append(threading.current_thread().name)
        return zlib.crc32(data, value)

    taken = offload._Job(recording, DATA, 0)
    assert taken.claim.acquire(blocking=False)
    assert pool.submit(taken)
    taken.compute()
    assert taken.result == zlib.crc32(DATA)
    assert _crc([DATA, DATA], recording) == zlib.crc32(DATA + DATA)
    join_all(_helpers())  # the one helper has handled ``taken`` before it ended
    assert len(calls) == 3 and calls[0] == threading.current_thread().name
