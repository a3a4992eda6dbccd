"""Downloads whose bodies hub.transfer's reader threads read (hub.transfer._pump).

A worker hands a large body over after its first chunk; a reader thread reads every such
socket as data arrives and writes into the download's file. These run real downloads against
the in-memory S3 server, over http and https, and check the bytes, the hand-over itself, and
what happens when a handed-over body breaks, stalls, or its download is interrupted.
"""

from __future__ import annotations

import errno
import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from hub.errors import LocalFileError, ReadTimeoutError
from hub.transfer import (
    MB,
    TransferCancelledError,
    TransferConfig,
    TransferManager,
    _download,
    _pump,
)
from tests.servers.fast_s3 import FastS3Server
from tests.with_server.test_transfer import BUCKET, _client, fast_tls  # noqa: F401

# Bodies of 3-4 MiB in one GET: the readers take over after the worker's first small read.
CONFIG = TransferConfig(multipart_threshold=8 * MB, max_concurrency=4, io_chunksize=64 * 1024)
FIRST = _download._FIRST_READ


@pytest.fixture
def handovers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each body handed to the readers."""
    sizes: list[int] = []
    drain = _pump.pump.drain

    def recording(body: Any, sock: Any, fd: int, pos: list[int], size: int,
                  *args: Any) -> None:
        sizes.append(size)
        drain(body, sock, fd, pos, size, *args)

    monkeypatch.setattr(_pump.pump, "drain", recording)
    return sizes


def _objects(s3: Any, count: int, size: int) -> dict[str, bytes]:
    objects = {f"obj-{i}": os.urandom(size) for i in range(count)}
    for key, data in objects.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    return objects


def _server_and_client(request: pytest.FixtureRequest, tls: bool) -> tuple[FastS3Server, Any]:
    if tls:
        server, ca_bundle = request.getfixturevalue("fast_tls")
        return server, _client(server.url, verify=ca_bundle)
    server = request.getfixturevalue("fast")
    return server, _client(server.url)


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_many_downloads_are_read_by_the_reader_threads_byte_for_byte(
        request: pytest.FixtureRequest, tmp_path: Path, handovers: list[int],
        tls: bool) -> None:
    server, s3 = _server_and_client(request, tls)
    objects = _objects(s3, 12, 3 * MB + 12345)
    progress: list[int] = []
    lock = threading.Lock()

    def callback(n: int) -> None:
        with lock:
            progress.append(n)

    with TransferManager(s3, CONFIG) as manager:
        futures = [manager.download(BUCKET, key, str(tmp_path / key), callback=callback)
                   for key in objects]
    for future in futures:
        future.result()
    for key, data in objects.items():
        assert (tmp_path / key).read_bytes() == data
    assert handovers == [3 * MB + 12345 - FIRST] * 12
    assert sum(progress) == 12 * (3 * MB + 12345)
    assert sorted(os.listdir(tmp_path)) == sorted(objects)  # no temporary file left
    assert all(not reader._jobs for reader in _pump.pump._readers)
    # The connections went back to the pool at the end of each body and were used again.
    assert server.connections <= 4


def test_progress_of_a_handed_over_body_is_reported_by_its_worker_not_a_reader(
        fast: FastS3Server, tmp_path: Path, handovers: list[int]) -> None:
    s3 = _client(fast.url)
    objects = _objects(s3, 4, 3 * MB)
    threads: set[str] = set()
    total = [0]
    lock = threading.Lock()

    def callback(n: int) -> None:
        with lock:
            threads.add(threading.current_thread().name)
            total[0] += n

    with TransferManager(s3, CONFIG) as manager:
        for key in objects:
            manager.download(BUCKET, key, str(tmp_path / key), callback=callback)
    assert len(handovers) == 4
    assert total[0] == 4 * 3 * MB
    assert threads and not any(name.startswith("hub-transfer-reader") for name in threads)


def test_a_callback_that_blocks_stalls_only_its_own_download(
        fast: FastS3Server, tmp_path: Path, handovers: list[int]) -> None:
    # Readers take bodies in turn: of one blocked download and four others, at least two of
    # the others share its reader. They must finish while its callback is blocked.
    s3 = _client(fast.url)
    objects = _objects(s3, 5, 3 * MB)
    blocked, release = threading.Event(), threading.Event()
    seen = [0]

    def stuck(n: int) -> None:
        seen[0] += n
        if seen[0] > FIRST:  # past the worker's own first read: the body is handed over
            blocked.set()
            release.wait(30)

    config = TransferConfig(multipart_threshold=8 * MB, max_concurrency=6,
                            io_chunksize=64 * 1024)
    keys = list(objects)
    with TransferManager(s3, config) as manager:
        slow = manager.download(BUCKET, keys[0], str(tmp_path / keys[0]), callback=stuck)
        assert blocked.wait(30)
        others = [manager.download(BUCKET, key, str(tmp_path / key)) for key in keys[1:]]
        try:
            for future in others:
                future.result(timeout=30)
            assert not slow.done()
        finally:
            release.set()
        slow.result()
    for key, data in objects.items():
        assert (tmp_path / key).read_bytes() == data
    assert seen[0] == 3 * MB


def test_a_callback_that_raises_fails_its_download_and_leaves_no_file(
        fast: FastS3Server, tmp_path: Path, handovers: list[int]) -> None:
    s3 = _client(fast.url)
    _objects(s3, 1, 4 * MB)
    seen = [0]

    def broken(n: int) -> None:
        seen[0] += n
        if seen[0] > FIRST:
            raise RuntimeError("the progress bar broke")

    with pytest.raises(RuntimeError, match="progress bar broke"):
        s3.download_file(BUCKET, "obj-0", str(tmp_path / "out"), Config=CONFIG,
                         Callback=broken)
    assert handovers == [4 * MB - FIRST]
    assert os.listdir(tmp_path) == []
    assert all(not reader._jobs for reader in _pump.pump._readers)


@pytest.fixture
def spliced(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each step a reader took on a body: True when it moved it with os.splice."""
    steps: list[bool] = []
    read, splice = _pump._Reader._read, _pump._Reader._splice

    def reading(self: Any, job: Any, view: memoryview) -> Any:
        steps.append(False)
        return read(self, job, view)

    def splicing(self: Any, job: Any, view: memoryview) -> Any:
        steps.append(True)
        return splice(self, job, view)

    monkeypatch.setattr(_pump._Reader, "_read", reading)
    monkeypatch.setattr(_pump._Reader, "_splice", splicing)
    return steps


@pytest.mark.skipif(not hasattr(os, "splice"), reason="os.splice is Linux-only")
@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_plain_http_bodies_are_spliced_and_tls_bodies_read(
        request: pytest.FixtureRequest, tmp_path: Path, handovers: list[int],
        spliced: list[bool], tls: bool) -> None:
    _, s3 = _server_and_client(request, tls)
    objects = _objects(s3, 3, 4 * MB + 1)
    with TransferManager(s3, CONFIG) as manager:
        for key in objects:
            manager.download(BUCKET, key, str(tmp_path / key))
    for key, data in objects.items():
        assert (tmp_path / key).read_bytes() == data
    assert len(handovers) == 3
    assert spliced and set(spliced) == {not tls}


def _failing_file_splice(monkeypatch: pytest.MonkeyPatch, code: int, times: int,
                         after: int = 0) -> list[int]:
    # os.splice into a file (the call with offset_dst) fails with code, `times` times once
    # `after` such calls went through; the socket -> pipe splices are real.
    splice = os.splice
    failed: list[int] = []
    passed = [0]

    def flaky(src: int, dst: int, count: int, *args: Any, **kwargs: Any) -> int:
        if kwargs.get("offset_dst") is not None:
            if passed[0] >= after and len(failed) < times:
                failed.append(code)
                raise OSError(code, os.strerror(code))
            passed[0] += 1
        return splice(src, dst, count, *args, **kwargs)

    monkeypatch.setattr(os, "splice", flaky)
    return failed


@pytest.mark.skipif(not hasattr(os, "splice"), reason="os.splice is Linux-only")
def test_a_file_that_cannot_be_written_fails_its_download_and_not_the_next(
        fast: FastS3Server, tmp_path: Path, handovers: list[int],
        spliced: list[bool], monkeypatch: pytest.MonkeyPatch) -> None:
    # The failed write leaves bytes of the first body in the reader's pipe: the pipe is
    # replaced, so they never reach the next body's file.
    s3 = _client(fast.url)
    objects = _objects(s3, 2, 3 * MB)
    failed = _failing_file_splice(monkeypatch, errno.ENOSPC, 1)
    with pytest.raises(LocalFileError) as info:
        s3.download_file(BUCKET, "obj-0", str(tmp_path / "first"), Config=CONFIG)
    assert info.value.errno == errno.ENOSPC
    assert failed == [errno.ENOSPC]
    assert os.listdir(tmp_path) == []
    for name in ("second", "third"):  # readers take bodies in turn: both have had one since
        s3.download_file(BUCKET, "obj-1", str(tmp_path / name), Config=CONFIG)
        assert (tmp_path / name).read_bytes() == objects["obj-1"]
    assert handovers == [3 * MB - FIRST] * 3 and all(spliced)


@pytest.mark.skipif(not hasattr(os, "splice"), reason="os.splice is Linux-only")
def test_a_failed_file_write_leaves_the_other_bodies_of_its_reader_alone(
        fast: FastS3Server, tmp_path: Path, handovers: list[int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # One file write fails while other spliced bodies are in flight on the same readers (the
    # sixth of 32 writes: every body has been handed over by then): the reader's pipe is
    # replaced, and the other bodies go on without a broken read (each is fetched by one GET).
    s3 = _client(fast.url)
    objects = _objects(s3, 4, 8 * MB - 1)
    started = threading.Barrier(4, timeout=30)
    drain = _pump.pump.drain

    def together(*args: Any) -> None:
        started.wait()  # all four bodies are with the readers before any is moved
        drain(*args)

    monkeypatch.setattr(_pump.pump, "drain", together)
    failed = _failing_file_splice(monkeypatch, errno.ENOSPC, 1, after=5)
    with TransferManager(s3, CONFIG) as manager:
        futures = {key: manager.download(BUCKET, key, str(tmp_path / key)) for key in objects}
    errors = {key: future.exception() for key, future in futures.items()}
    broken = [key for key, error in errors.items() if error is not None]
    assert failed == [errno.ENOSPC] and len(broken) == 1
    assert isinstance(errors[broken[0]], LocalFileError)
    for key, data in objects.items():
        if key not in broken:
            assert (tmp_path / key).read_bytes() == data
    assert fast.ops("GetObject") == len(objects)
    assert sorted(os.listdir(tmp_path)) == sorted(set(objects) - set(broken))


@pytest.mark.skipif(not hasattr(os, "splice"), reason="os.splice is Linux-only")
def test_a_file_that_takes_no_splice_gets_the_body_copied_instead(
        fast: FastS3Server, tmp_path: Path, handovers: list[int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = _client(fast.url)
    data = _objects(s3, 1, 4 * MB + 3)["obj-0"]
    failed = _failing_file_splice(monkeypatch, errno.EINVAL, 1)
    s3.download_file(BUCKET, "obj-0", str(tmp_path / "out"), Config=CONFIG)
    assert (tmp_path / "out").read_bytes() == data
    assert failed == [errno.EINVAL] and handovers == [4 * MB + 3 - FIRST]


def test_a_body_broken_under_a_reader_is_asked_for_again_from_where_it_broke(
        fast: FastS3Server, tmp_path: Path, handovers: list[int]) -> None:
    s3 = _client(fast.url)
    data = _objects(s3, 1, 4 * MB)["obj-0"]
    fast.fail("GetObject", truncate=MB + 777)
    s3.download_file(BUCKET, "obj-0", str(tmp_path / "out"), Config=CONFIG)
    assert (tmp_path / "out").read_bytes() == data
    assert handovers[0] == 4 * MB - FIRST
    assert fast.ops("GetObject") == 2
    assert fast.last_headers["GetObject"]["range"] == f"bytes={MB + 777}-{4 * MB - 1}"


def test_a_body_that_stalls_under_a_reader_is_a_read_timeout(
        fast: FastS3Server, tmp_path: Path, handovers: list[int]) -> None:
    s3 = _client(fast.url, read_timeout=0.3)
    _objects(s3, 1, 4 * MB)
    fast.fail("GetObject", truncate=MB, stall=30, count=2)
    config = TransferConfig(multipart_threshold=8 * MB, max_concurrency=4,
                            io_chunksize=64 * 1024, num_download_attempts=1)
    with pytest.raises(ReadTimeoutError, match="read timeout on endpoint URL"):
        s3.download_file(BUCKET, "obj-0", str(tmp_path / "out"), Config=config)
    assert handovers  # the stall happened under a reader
    assert os.listdir(tmp_path) == []
    assert all(not reader._jobs for reader in _pump.pump._readers)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")
def test_interrupting_a_download_a_reader_holds_lets_go_of_its_file_first(
        fast: FastS3Server, tmp_path: Path, handovers: list[int]) -> None:
    # The first GET's body is read in the calling thread, so it waits for the reader
    # there; Ctrl-C (a KeyboardInterrupt from a signal handler) must reach the caller only
    # after the reader let go of the temporary file, which is then removed.
    s3 = _client(fast.url, read_timeout=60)
    _objects(s3, 1, 4 * MB)
    fast.fail("GetObject", truncate=MB, stall=30)

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        with pytest.raises(KeyboardInterrupt):
            s3.download_file(BUCKET, "obj-0", str(tmp_path / "out"), Config=CONFIG)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert handovers
    assert os.listdir(tmp_path) == []
    assert all(not reader._jobs for reader in _pump.pump._readers)


def test_small_bodies_and_single_worker_downloads_are_read_by_their_worker(
        fast: FastS3Server, tmp_path: Path, handovers: list[int]) -> None:
    s3 = _client(fast.url)
    objects = _objects(s3, 2, _download._PUMP_MIN - 1)
    s3.download_file(BUCKET, "obj-0", str(tmp_path / "a"), Config=CONFIG)
    big = _objects(s3, 1, 3 * MB)["obj-0"]
    s3.download_file(BUCKET, "obj-0", str(tmp_path / "b"),
                     Config=TransferConfig(max_concurrency=1, io_chunksize=64 * 1024))
    assert (tmp_path / "a").read_bytes() == objects["obj-0"]
    assert (tmp_path / "b").read_bytes() == big
    assert handovers == []


def test_a_reader_whose_selector_fails_is_replaced(
        fast: FastS3Server, tmp_path: Path, handovers: list[int]) -> None:
    # A failure of the reader's own machinery (not of a body) must not leave later
    # downloads waiting on a thread that is gone.
    s3 = _client(fast.url)
    objects = _objects(s3, 1, 3 * MB)
    s3.download_file(BUCKET, "obj-0", str(tmp_path / "a"), Config=CONFIG)
    broken = list(_pump.pump._readers)
    for reader in broken:
        reader._selector.close()
        reader.wake()
    for _ in range(500):
        if all(reader.broken is not None for reader in broken):
            break
        threading.Event().wait(0.01)
    assert all(reader.broken is not None for reader in broken)
    assert all(reader._pipe is None for reader in broken)  # its descriptors closed
    for name in ("b", "c", "d"):
        s3.download_file(BUCKET, "obj-0", str(tmp_path / name), Config=CONFIG)
        assert (tmp_path / name).read_bytes() == objects["obj-0"]
    assert len(handovers) == 4
    assert not set(_pump.pump._readers) & set(broken)


def test_cancelling_lets_go_of_a_stalled_body_without_waiting_for_it(
        fast: FastS3Server, tmp_path: Path, handovers: list[int]) -> None:
    # A worker blocked in a read would wait for the read timeout (60 s here) or the stall
    # (30 s); the reader notices the cancel while the body is stalled.
    s3 = _client(fast.url, read_timeout=60)
    _objects(s3, 1, 4 * MB)
    fast.fail("GetObject", truncate=MB, stall=30)
    with TransferManager(s3, CONFIG) as manager:
        future = manager.download(BUCKET, "obj-0", str(tmp_path / "out"))
        for _ in range(1000):
            if handovers:
                break
            threading.Event().wait(0.01)
        assert handovers
        future.cancel()
        with pytest.raises(TransferCancelledError):
            future.result(timeout=10)  # a hang guard, far below the stall
    assert os.listdir(tmp_path) == []
    assert all(not reader._jobs for reader in _pump.pump._readers)


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_a_forked_child_gets_its_own_readers(
        fast: FastS3Server, tmp_path: Path, handovers: list[int]) -> None:
    s3 = _client(fast.url)
    data = _objects(s3, 1, 3 * MB)["obj-0"]
    s3.download_file(BUCKET, "obj-0", str(tmp_path / "parent"), Config=CONFIG)
    inherited = [fd for reader in _pump.pump._readers
                 for fd in (reader._selector.fileno(), reader._wake_in.fileno(),
                            reader._wake_out.fileno(), *(reader._pipe or ()))]
    # On Linux the reader that spliced the body holds a pipe: the child closes it too.
    assert any(reader._pipe for reader in _pump.pump._readers) == hasattr(os, "splice")
    # Another thread holds the pump's lock at the fork: the child must get a fresh one.
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with _pump.pump._lock:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(30)
    try:
        pid = os.fork()
    except BaseException:
        release.set()
        raise
    if pid == 0:  # the child: the parent's readers do not exist here
        signal.alarm(30)  # a child stuck on the parent's lock dies instead of hanging the test
        code = 0
        try:
            for fd in inherited:  # the child's copies are closed, not leaked
                try:
                    os.fstat(fd)
                    code = 3
                except OSError:
                    pass
            s3.download_file(BUCKET, "obj-0", str(tmp_path / "child"), Config=CONFIG)
            if (tmp_path / "child").read_bytes() != data:
                code = 4
        except BaseException:  # noqa: BLE001
            code = 5
        os._exit(code)
    release.set()
    holder.join(30)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    s3.download_file(BUCKET, "obj-0", str(tmp_path / "again"), Config=CONFIG)
    assert (tmp_path / "again").read_bytes() == data
    assert len(handovers) == 2  # the parent's two downloads (the child's list is its own)


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_body_switched_to_non_blocking_reads_can_still_be_read_plainly(
        request: pytest.FixtureRequest, tls: bool) -> None:
    # The transport's side of the hand-over: after wait_socket, non-blocking reads give what
    # has arrived (None: nothing yet), and a plain read() gets the socket's timeout back and
    # reads the rest; the connection then goes back to the pool.
    server, s3 = _server_and_client(request, tls)
    data = _objects(s3, 1, 3 * MB)["obj-0"]
    body = s3.get_object(Bucket=BUCKET, Key="obj-0")["Body"]
    first = bytearray(FIRST)
    assert body.readinto(first) == FIRST
    sock = body._wait_socket()
    assert sock is not None and sock.gettimeout() == 0.0
    got = bytearray(64 * 1024)
    n = None
    for _ in range(1000):  # until something arrived
        n = body._readinto_nowait(got)
        if n:
            break
        threading.Event().wait(0.001)
    assert n
    rest = body.read()
    assert bytes(first) + bytes(got[:n]) + rest == data
    assert sock.gettimeout() is not None and sock.gettimeout() > 0
    s3.get_object(Bucket=BUCKET, Key="obj-0")["Body"].read()
    assert server.connections == 1  # the same connection served the next call
