"""s3transfer's manager surface on hub's TransferManager: subscribers, ``delete``, the future's
``meta`` (``call_args``, ``transfer_id``, ``user_context``, ``provide_object_etag``),
``shutdown(cancel_msg=)``, ``set_exception``, and boto3's ``S3Transfer``.

s3transfer itself (boto3's client on the same server) is the oracle for what subscribers see.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from hub.errors import ClientError, ParamValidationError
from hub.transfer import (
    MB,
    BaseSubscriber,
    CallArgs,
    S3Transfer,
    TransferCancelledError,
    TransferConfig,
    TransferManager,
    TransferNotDoneError,
)
from tests.servers.fast_s3 import FastS3Server
from tests.with_server.test_transfer import SMALL, _client

BUCKET = "subs"


class Recorder:
    """Records every hook call, in order, with what the future showed at the time."""

    def __init__(self, server: FastS3Server | None = None) -> None:
        self.events: list[tuple[str, Any]] = []
        self.server = server
        self.lock = threading.Lock()

    def on_queued(self, future: Any, **kwargs: Any) -> None:
        sent = len(self.server.requests) if self.server is not None else None
        with self.lock:
            self.events.append(("queued", sent))

    def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
        with self.lock:
            self.events.append(("progress", bytes_transferred))

    def on_done(self, future: Any, **kwargs: Any) -> None:
        with self.lock:
            self.events.append(("done", future.done()))

    def shape(self) -> list[str]:
        """The kinds in order, runs of progress collapsed."""
        kinds: list[str] = []
        for kind, _ in self.events:
            if not kinds or kinds[-1] != kind or kind != "progress":
                kinds.append(kind)
        return kinds

    def progressed(self) -> int:
        return sum(n for kind, n in self.events if kind == "progress")


def _boto3_client(url: str) -> Any:
    boto3 = pytest.importorskip("boto3")
    return boto3.session.Session().client(
        "s3", region_name="us-east-1", endpoint_url=url, aws_access_key_id="testing",
        aws_secret_access_key="testing")


def _run_all(manager: Any, src: Path, tmp_path: Path, tag: str,
             recorders: dict[str, Recorder]) -> dict[str, Any]:
    # One of each kind, one at a time (the order of transfer_id is then the order here).
    futures = {}
    futures["upload"] = manager.upload(str(src), BUCKET, f"{tag}/obj", None,
                                       [recorders["upload"]])
    futures["upload"].result()
    futures["download"] = manager.download(BUCKET, f"{tag}/obj", str(tmp_path / f"{tag}.out"),
                                           None, [recorders["download"]])
    futures["download"].result()
    futures["copy"] = manager.copy({"Bucket": BUCKET, "Key": f"{tag}/obj"}, BUCKET,
                                   f"{tag}/copy", None, [recorders["copy"]])
    futures["copy"].result()
    futures["delete"] = manager.delete(BUCKET, f"{tag}/copy", None, [recorders["delete"]])
    futures["delete"].result()
    return futures


def test_subscribers_see_what_s3transfers_subscribers_see(fast: FastS3Server,
                                                          tmp_path: Path) -> None:
    from s3transfer.manager import TransferConfig as S3TransferConfig
    from s3transfer.manager import TransferManager as S3TransferManager

    data = os.urandom(5 * MB + 123)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    kinds = ("upload", "download", "copy", "delete")
    ours = {kind: Recorder() for kind in kinds}
    theirs = {kind: Recorder() for kind in kinds}
    with TransferManager(_client(fast.url), SMALL) as manager:
        hub_futures = _run_all(manager, src, tmp_path, "hub", ours)
    config = S3TransferConfig(multipart_threshold=2 * MB, multipart_chunksize=1 * MB,
                              max_request_concurrency=4)
    with S3TransferManager(_boto3_client(fast.url), config) as manager:
        boto_futures = _run_all(manager, src, tmp_path, "boto3", theirs)
    assert (tmp_path / "hub.out").read_bytes() == data
    assert fast.object(BUCKET, "hub/obj") == data and "hub/copy" not in fast.buckets[BUCKET]
    for kind in kinds:
        mine, oracle = ours[kind], theirs[kind]
        assert mine.shape() == oracle.shape(), kind
        assert mine.progressed() == oracle.progressed(), kind
        assert mine.events[-1] == oracle.events[-1] == ("done", True), kind
        ours_meta, their_meta = hub_futures[kind].meta, boto_futures[kind].meta
        assert ours_meta.transfer_id == their_meta.transfer_id, kind
        assert ours_meta.size == their_meta.size, kind
        assert ours_meta.call_args.bucket == their_meta.call_args.bucket
        assert ours_meta.call_args.subscribers == [mine]
        assert their_meta.call_args.subscribers == [oracle]
        # s3transfer writes its default ChecksumAlgorithm into an upload's extra_args; hub
        # keeps them as given.
        their_extra = dict(their_meta.call_args.extra_args)
        if kind == "upload":
            assert their_extra.pop("ChecksumAlgorithm") == "CRC32"
        assert ours_meta.call_args.extra_args == their_extra == {}
        assert ours_meta.call_args.key.removeprefix("hub/") == \
            their_meta.call_args.key.removeprefix("boto3/")
    # Progress covered every byte, and deletes report none (as s3transfer documents).
    assert ours["upload"].progressed() == ours["download"].progressed() == len(data)
    assert ours["copy"].progressed() == len(data) and ours["delete"].progressed() == 0


def test_on_queued_runs_before_anything_is_sent_and_can_stop_the_transfer(
        fast: FastS3Server, tmp_path: Path) -> None:
    s3 = _client(fast.url)
    recorder = Recorder(fast)

    class Refuse(BaseSubscriber):
        def on_queued(self, future: Any, **kwargs: Any) -> None:
            raise RuntimeError("not today")

    with TransferManager(s3, SMALL) as manager:
        ok = manager.upload(io.BytesIO(b"x" * 3 * MB), BUCKET, "ok", subscribers=[recorder])
        ok.result()
        before = len(fast.requests)
        refused = manager.upload(io.BytesIO(b"y" * 3 * MB), BUCKET, "refused", None,
                                 [Refuse(), recorder])
        with pytest.raises(RuntimeError, match="not today"):
            refused.result()
    assert recorder.events[0] == ("queued", 0)  # the first upload had sent nothing yet
    assert len(fast.requests) == before  # the refused one sent nothing at all
    assert "refused" not in fast.buckets[BUCKET] and fast.uploads == {}
    assert recorder.events.count(("done", True)) == 2  # on_done ran for the failed one too


def test_a_raising_on_progress_fails_the_transfer_and_aborts(fast: FastS3Server,
                                                              tmp_path: Path) -> None:
    class Boom(BaseSubscriber):
        def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
            raise ValueError("progress bar broke")

    with TransferManager(_client(fast.url), SMALL) as manager:
        future = manager.upload(io.BytesIO(os.urandom(4 * MB)), BUCKET, "k", None, [Boom()])
        with pytest.raises(ValueError, match="progress bar broke"):
            future.result()
    assert fast.uploads == {} and fast.ops("AbortMultipartUpload") == 1
    assert "k" not in fast.buckets[BUCKET]


def test_a_raising_on_done_is_logged_and_the_rest_still_run(
        fast: FastS3Server, caplog: pytest.LogCaptureFixture) -> None:
    class Broken(BaseSubscriber):
        def on_done(self, future: Any, **kwargs: Any) -> None:
            raise RuntimeError("done hook broke")

    after = Recorder()
    seen: list[Any] = []
    with caplog.at_level(logging.ERROR, logger="hub.transfer"):
        with TransferManager(_client(fast.url), SMALL) as manager:
            future = manager.upload(io.BytesIO(b"data"), BUCKET, "k", None, [Broken(), after])
            future.add_done_callback(seen.append)
        # The manager's own bookkeeping ran too: it waited and shut down.
    assert future.result() is not None and fast.object(BUCKET, "k") == b"data"
    assert after.events[-1] == ("done", True) and seen == [future]
    assert "done hook broke" in caplog.text
    # A done callback added after the end runs at once, under the same rule.
    with caplog.at_level(logging.ERROR, logger="hub.transfer"):
        future.add_done_callback(lambda f: 1 / 0)
    assert "ZeroDivisionError" in caplog.text


def test_subscribers_are_checked_with_typed_errors(fast: FastS3Server) -> None:
    class NoKwargs(BaseSubscriber):
        def on_progress(self, future: Any, bytes_transferred: int) -> None:  # type: ignore[override]
            pass

    with pytest.raises(ParamValidationError, match=r"on_progress must accept keyword"):
        NoKwargs()
    with pytest.raises(ParamValidationError, match=r"on_progress must accept keyword"):
        NoKwargs()  # a failed check is not remembered as a pass
    manager = TransferManager(_client(fast.url), SMALL)
    with pytest.raises(ParamValidationError, match=r"callback=") as error:
        manager.upload(io.BytesIO(b"x"), BUCKET, "k", None, print)  # type: ignore[arg-type]
    assert "subscribers must be a list" in str(error.value)
    with pytest.raises(ParamValidationError, match=r"subscribers\[1\] \(object\) has none"):
        manager.download(BUCKET, "k", io.BytesIO(), None, [Recorder(), object()])
    with pytest.raises(ParamValidationError, match=r"subscribers\[0\].on_done must be"):
        manager.copy(f"{BUCKET}/k", BUCKET, "c", None, [type("S", (), {"on_done": 3})()])
    with pytest.raises(ParamValidationError, match="subscribers must be a list"):
        manager.delete(BUCKET, "k", None, "on_done")  # type: ignore[arg-type]
    with pytest.raises(ParamValidationError, match="MFA2"):
        manager.delete(BUCKET, "k", {"MFA2": "x"})
    manager.shutdown()
    assert fast.requests == []  # every refusal came before a request


def test_delete_and_the_meta_s3transfer_exposes(fast: FastS3Server) -> None:
    s3 = _client(fast.url)
    s3.put_object(Bucket=BUCKET, Key="gone", Body=b"bye")
    extra = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": "k" * 32}
    recorder = Recorder()
    with TransferManager(s3, SMALL) as manager:
        first = manager.delete(BUCKET, "gone", {"ExpectedBucketOwner": "123456789012"},
                               (r for r in [recorder]))  # any iterable, a generator too
        second = manager.upload(io.BytesIO(b"x"), BUCKET, "enc", extra)
    assert first.meta.call_args.subscribers == [recorder]
    assert recorder.shape() == ["queued", "done"]
    assert first.result()["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "gone" not in fast.buckets[BUCKET]
    assert fast.last_headers["DeleteObject"]["x-amz-expected-bucket-owner"] == "123456789012"
    assert first.meta.kind == "delete" and first.meta.size is None
    assert (first.meta.transfer_id, second.meta.transfer_id) == (0, 1)
    assert first.meta.call_args.extra_args == {"ExpectedBucketOwner": "123456789012"}
    second.result()
    # user_context is the caller's, one per transfer; neither reprs show an SSE-C key.
    second.meta.user_context["mine"] = 1
    assert first.meta.user_context == {}
    assert "k" * 32 not in repr(second.meta) + repr(second.meta.call_args)
    assert isinstance(second.meta.call_args, CallArgs)
    # Typed refusals, and the meta left as it was.
    with pytest.raises(ParamValidationError, match="size must be an int >= 0"):
        second.meta.provide_transfer_size(-1)
    with pytest.raises(ParamValidationError, match="etag must be a non-empty string"):
        second.meta.provide_object_etag(None)  # type: ignore[arg-type]
    assert second.meta.size == 1 and second.meta.etag is None
    assert repr(second.meta.call_args).startswith("CallArgs(fileobj, bucket, key")


def test_provide_object_etag_pins_the_download(fast: FastS3Server, tmp_path: Path) -> None:
    s3 = _client(fast.url)
    data = os.urandom(3 * MB)
    s3.put_object(Bucket=BUCKET, Key="v", Body=data)
    etag = fast.buckets[BUCKET]["v"].etag

    class Pin(BaseSubscriber):
        def __init__(self, value: str) -> None:
            self.value = value

        def on_queued(self, future: Any, **kwargs: Any) -> None:
            future.meta.provide_object_etag(self.value)
            future.meta.provide_transfer_size(len(data))

    with TransferManager(s3, SMALL) as manager:
        good = manager.download(BUCKET, "v", str(tmp_path / "good"), None, [Pin(etag)])
        good.result()
        assert fast.last_headers["GetObject"]["if-match"] == etag
        stale = manager.download(BUCKET, "v", str(tmp_path / "stale"), None,
                                 [Pin('"0123456789abcdef"')])
        with pytest.raises(ClientError) as failed:
            stale.result()
    assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert (tmp_path / "good").read_bytes() == data and good.meta.etag == etag
    assert sorted(os.listdir(tmp_path)) == ["good"]  # the stale one left no file


def test_shutdown_cancel_msg_and_set_exception(fast: FastS3Server) -> None:
    s3 = _client(fast.url)
    started, release = threading.Event(), threading.Event()

    def hold(n: int) -> None:
        started.set()
        release.wait(30)

    config = TransferConfig(multipart_threshold=MB, multipart_chunksize=MB, max_concurrency=1)
    manager = TransferManager(s3, config)
    future = manager.upload(io.BytesIO(os.urandom(4 * MB)), BUCKET, "k", callback=hold)
    assert started.wait(30)
    with pytest.raises(TransferNotDoneError):
        future.set_exception(RuntimeError("too early"))
    threading.Timer(0.2, release.set).start()
    manager.shutdown(cancel=True, cancel_msg="closing for the night")
    with pytest.raises(TransferCancelledError, match="closing for the night"):
        future.result()
    assert fast.uploads == {}
    future.set_exception(OSError("replaced"))
    with pytest.raises(OSError, match="replaced"):
        future.result()
    with pytest.raises(ParamValidationError, match="must be an exception"):
        future.set_exception("nope")  # type: ignore[arg-type]


def test_ctrl_c_in_result_cancels_the_transfer(fast: FastS3Server) -> None:
    # As s3transfer's future.result(): a KeyboardInterrupt while waiting cancels the transfer.
    s3 = _client(fast.url)
    release = threading.Event()
    config = TransferConfig(multipart_threshold=MB, multipart_chunksize=MB, max_concurrency=1)

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        with TransferManager(s3, config) as manager:
            future = manager.upload(io.BytesIO(os.urandom(4 * MB)), BUCKET, "k",
                                    callback=lambda n: release.wait(30))
            signal.setitimer(signal.ITIMER_REAL, 0.2)
            with pytest.raises(KeyboardInterrupt):
                future.result()
            release.set()
            assert isinstance(future.exception(30), TransferCancelledError)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert fast.uploads == {} and "k" not in fast.buckets[BUCKET]


def test_s3transfer_class_as_boto3s(fast: FastS3Server, tmp_path: Path) -> None:
    s3 = _client(fast.url)
    data = os.urandom(3 * MB + 1)
    src = tmp_path / "src"
    src.write_bytes(data)
    up: list[int] = []
    down: list[int] = []
    with S3Transfer(s3, SMALL) as transfer:
        transfer.upload_file(src, BUCKET, "k", callback=up.append,
                             extra_args={"ContentType": "text/x-test"})
        transfer.download_file(BUCKET, "k", str(tmp_path / "dst"), callback=down.append)
        manager = transfer._manager
    assert (tmp_path / "dst").read_bytes() == data and sum(up) == sum(down) == len(data)
    assert fast.last_headers["CreateMultipartUpload"]["content-type"] == "text/x-test"
    assert manager._closed  # leaving the block shut the manager down
    with pytest.raises(ParamValidationError, match="give a client or a manager"):
        S3Transfer()
    with pytest.raises(ParamValidationError, match="cannot be given with"):
        S3Transfer(s3, manager=TransferManager(s3))
    with pytest.raises(ParamValidationError, match="osutil is not supported"):
        S3Transfer(s3, osutil=object())
    with pytest.raises(ParamValidationError, match="Filename must be a string"):
        S3Transfer(s3).upload_file(b"bytes-name", BUCKET, "k")  # type: ignore[arg-type]
    with pytest.raises(ParamValidationError, match="ExtraArgs|extra"):
        S3Transfer(manager=TransferManager(s3)).download_file(
            BUCKET, "k", str(tmp_path / "x"), extra_args={"ContentType": "no"})
    assert isinstance(S3Transfer.ALLOWED_UPLOAD_ARGS, tuple)
