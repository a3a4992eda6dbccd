"""``TransferManager`` (many transfers, futures) and the client methods' one-shot calls.

Workers: a manager runs parts on at most ``min(max_concurrency, max_pool_connections)``
threads, started on first need. Every request also holds a connection slot shared by all
transfers on the same transport (``_limits``), so several managers (or the one-shot calls of
16 threads) together still never need more connections than the pool holds.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

from hub import errors
from hub._forksafe import at_fork_reinit
from hub.errors import ParamValidationError
from hub.transfer._config import (
    ALLOWED_COPY_ARGS,
    ALLOWED_DELETE_ARGS,
    ALLOWED_DOWNLOAD_ARGS,
    ALLOWED_UPLOAD_ARGS,
    TransferConfig,
    as_transfer_config,
    check_extra_args,
)
from hub.transfer._copy import Copy
from hub.transfer._delete import Delete
from hub.transfer._download import Download
from hub.transfer._future import (
    CallArgs,
    Transfer,
    TransferFuture,
    TransferManagerClosedError,
)
from hub.transfer._io import BufferPool
from hub.transfer._limits import Bandwidth
from hub.transfer._subscribers import Hooks, subscriber_hooks
from hub.transfer._tasks import PartChecksum, full_object_algorithm
from hub.transfer._upload import Upload

__all__ = ["TransferManager", "copy", "download_file", "download_fileobj", "upload_file",
           "upload_fileobj"]

Callback = Callable[[int], Any]
_DEFAULT: Any = object()  # "no checksum argument given": boto3's default applies


def _default_checksum(client: Any, extra: Mapping[str, Any]) -> PartChecksum | None:
    # As s3transfer: the algorithm of a full-object checksum the caller gives (its parts must
    # use it), else the caller's ChecksumAlgorithm, else CRC32 (when_supported, the default).
    from hub.checksums import is_supported

    algorithm = full_object_algorithm(extra) or extra.get("ChecksumAlgorithm")
    if algorithm is not None and not is_supported(algorithm):
        return None  # SHA512, XXHASH...: S3's own; hub computes no part values for them
    if algorithm is None:
        if client.client_config.config.request_checksum_calculation == "when_required":
            return None
        algorithm = "CRC32"
    from hub.checksums import PartChecksums

    return PartChecksums(algorithm)


def _check_callback(operation: str, callback: object) -> None:
    if callback is not None and not callable(callback):
        raise ParamValidationError(operation, [
            f"Callback must be callable, got {type(callback).__name__}"])


def _check_source(operation: str, field: str, source: object) -> None:
    # What would otherwise fail as a bare OSError/TypeError on a worker (or, for a text
    # file, upload str), refused before anything is sent.
    if isinstance(source, (str, os.PathLike)):
        try:
            is_dir = os.path.isdir(source)
            exists = is_dir or os.path.exists(source)
        except (TypeError, ValueError):  # NUL in the path, bytes/str mix
            exists = is_dir = False
        if is_dir:
            raise errors.LocalIsADirectoryError(
                operation, [f"{field} is a directory: {source!r}"], filename=str(source))
        if not exists:
            raise errors.LocalFileNotFoundError(
                operation, [f"{field} does not exist: {source!r}"], filename=str(source))
        return
    _check_file_object(operation, field, source, "read", "readable")


def _check_target(operation: str, field: str, target: object) -> None:
    # A download to a path writes a temporary file beside it, then renames it: the folder
    # must exist and the name must not be a folder, or the whole object would be fetched
    # only to fail at the end.
    if isinstance(target, (str, os.PathLike)):
        try:
            path = os.fspath(target)
            folder = os.path.dirname(path) or os.curdir
            is_dir, folder_ok = os.path.isdir(path), os.path.isdir(folder)
        except (TypeError, ValueError):
            is_dir, folder_ok = False, False
        if is_dir:
            raise errors.LocalIsADirectoryError(
                operation, [f"{field} is a directory: {target!r}"], filename=str(target))
        if not folder_ok:
            raise errors.LocalFileNotFoundError(
                operation, [f"{field}'s folder does not exist: {target!r}"],
                filename=str(target))
        return
    _check_file_object(operation, field, target, "write", "writable")


def _check_file_object(operation: str, field: str, value: object, method: str,
                       kind: str) -> None:
    if not hasattr(value, method):
        raise ParamValidationError(operation, [
            f"{field} must be a {kind} binary file object, got {type(value).__name__}"])
    if isinstance(value, io.TextIOBase):
        raise ParamValidationError(operation, [
            f"{field} is a text-mode file object ({type(value).__name__}); open the file in "
            "binary mode"])
    if getattr(value, "closed", False) is True:
        raise ParamValidationError(operation, [
            f"{field} is a closed file object ({type(value).__name__})"])


def _copy_source(operation: str, source: object) -> dict[str, Any]:
    if isinstance(source, str):
        head, sep, version = source.partition("?versionId=")
        bucket, slash, key = head.lstrip("/").partition("/")
        if bucket and slash and key:
            out: dict[str, Any] = {"Bucket": bucket, "Key": key}
            if sep:
                out["VersionId"] = version
            return out
    elif isinstance(source, Mapping):
        if isinstance(source.get("Bucket"), str) and isinstance(source.get("Key"), str):
            return dict(source)
    raise ParamValidationError(operation, [
        "CopySource must be a dict with string Bucket and Key (and optional VersionId), or "
        "'bucket/key'"])


class TransferManager:
    """Runs many transfers at once on one client, as s3transfer's ``TransferManager``.

    Submit transfers, get :class:`~hub.transfer.TransferFuture` objects back; the manager's
    workers (at most ``min(max_concurrency, max_pool_connections)``) run every transfer's
    parts. Use it as a context manager: leaving the block waits for every transfer (or, on an
    exception such as KeyboardInterrupt, cancels them, then waits for their cleanup).

    ``upload``, ``download``, ``copy`` and ``delete`` take s3transfer's arguments, in its
    order, ``subscribers`` included (see :class:`~hub.transfer.BaseSubscriber`); hub adds a
    keyword-only ``callback`` that gets byte counts, as ``Callback`` does in boto3's calls.

    Args:
        client: An S3 client (``session.client("s3")``); its connection pool is shared.
        config: The :class:`~hub.transfer.TransferConfig` (boto3's defaults when None); a
            boto3 or s3transfer ``TransferConfig`` is read into hub's.
        checksum: Per-part checksums for multipart uploads (a
            :class:`~hub.transfer.PartChecksum`, e.g. :class:`hub.checksums.PartChecksums`);
            None sends none. By default, as boto3: the ``ChecksumAlgorithm`` in ``ExtraArgs``,
            else CRC32 unless the client's ``request_checksum_calculation`` is
            ``"when_required"``.

    Example::

        with TransferManager(s3) as manager:
            futures = [manager.upload(path, "bucket", path.name) for path in paths]
        for future in futures:
            future.result()
    """

    #: ``extra_args`` each kind of transfer accepts (s3transfer's lists).
    ALLOWED_UPLOAD_ARGS = ALLOWED_UPLOAD_ARGS
    ALLOWED_DOWNLOAD_ARGS = ALLOWED_DOWNLOAD_ARGS
    ALLOWED_COPY_ARGS = ALLOWED_COPY_ARGS
    ALLOWED_DELETE_ARGS = ALLOWED_DELETE_ARGS

    def __init__(self, client: Any, config: TransferConfig | None = None, *,
                 checksum: PartChecksum | None | object = _DEFAULT) -> None:
        self._client = client
        config = as_transfer_config("TransferManager", config) or TransferConfig()
        self._config = config
        pool = client.client_config.config.max_pool_connections or 10
        self._workers = max(1, min(config.max_concurrency, pool)) if config.use_threads else 0
        self._checksum = checksum
        self._buffers = BufferPool(self._workers + 1)
        self._bandwidth = Bandwidth(config.max_bandwidth) if config.max_bandwidth else None
        self._executor: ThreadPoolExecutor | None = None
        self._futures: set[TransferFuture] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._next_id = 0  # transfer_id of the next transfer submitted
        at_fork_reinit(self, TransferManager._reset)

    def _reset(self) -> None:
        # A forked child has none of the parent's workers: start afresh.
        self._lock = threading.Lock()
        self._executor = None
        self._futures = set()

    @property
    def config(self) -> TransferConfig:
        """The :class:`TransferConfig` in use."""
        return self._config

    @property
    def client(self) -> Any:
        """The S3 client the transfers run on."""
        return self._client

    # -- submitting -------------------------------------------------------------------------

    def upload(self, fileobj: str | os.PathLike[str] | IO[bytes], bucket: str, key: str,
               extra_args: Mapping[str, Any] | None = None,
               subscribers: Iterable[Any] | None = None, *,
               callback: Callback | None = None) -> TransferFuture:
        """Upload a file (path) or binary file object to ``bucket``/``key``.

        Raises:
            ParamValidationError: ``extra_args`` has keys outside ``ALLOWED_UPLOAD_ARGS``, or
                ``fileobj`` is a path that does not exist or is a folder, or a file object
                that is not readable, in text mode or closed, or ``subscribers`` is not a
                list of subscribers.
        """
        extra = check_extra_args("upload", extra_args, ALLOWED_UPLOAD_ARGS)
        _check_callback("upload", callback)
        listed, hooks = subscriber_hooks("upload", subscribers)
        _check_source("upload", "fileobj", fileobj)
        call_args = CallArgs(fileobj=fileobj, bucket=bucket, key=key, extra_args=extra,
                             subscribers=listed)
        return self._start(self._upload(fileobj, bucket, key, extra, callback), call_args,
                           hooks)

    def _upload(self, source: Any, bucket: str, key: str, extra: dict[str, Any],
                callback: Callback | None) -> Upload:
        checksum = self._checksum
        if checksum is _DEFAULT:
            checksum = _default_checksum(self._client, extra)
        assert checksum is None or hasattr(checksum, "part_params")
        return Upload(self._client, self._config, self._submit, source, bucket, key, extra,
                      callback, self._bandwidth, checksum,  # type: ignore[arg-type]
                      self._buffers)

    def download(self, bucket: str, key: str, fileobj: str | os.PathLike[str] | IO[bytes],
                 extra_args: Mapping[str, Any] | None = None,
                 subscribers: Iterable[Any] | None = None, *,
                 callback: Callback | None = None) -> TransferFuture:
        """Download ``bucket``/``key`` to a file (path; written atomically) or file object.

        Raises:
            ParamValidationError: ``extra_args`` has keys outside ``ALLOWED_DOWNLOAD_ARGS``, or
                ``fileobj`` is a path that is a folder or whose folder does not exist, or a
                file object that is not writable, in text mode or closed, or ``subscribers``
                is not a list of subscribers.
        """
        extra = check_extra_args("download", extra_args, ALLOWED_DOWNLOAD_ARGS)
        _check_callback("download", callback)
        listed, hooks = subscriber_hooks("download", subscribers)
        _check_target("download", "fileobj", fileobj)
        call_args = CallArgs(bucket=bucket, key=key, fileobj=fileobj, extra_args=extra,
                             subscribers=listed)
        return self._start(Download(self._client, self._config, self._submit, bucket, key,
                                    fileobj, extra, callback, self._bandwidth),
                           call_args, hooks)

    def copy(self, copy_source: Mapping[str, Any] | str, bucket: str, key: str,
             extra_args: Mapping[str, Any] | None = None,
             subscribers: Iterable[Any] | None = None, source_client: Any = None, *,
             callback: Callback | None = None) -> TransferFuture:
        """Copy ``copy_source`` (``{"Bucket", "Key", "VersionId"?}``) to ``bucket``/``key``.

        Raises:
            ParamValidationError: Bad ``copy_source``, ``extra_args`` keys outside
                ``ALLOWED_COPY_ARGS``, or ``subscribers`` not a list of subscribers.
        """
        source = _copy_source("copy", copy_source)
        extra = check_extra_args("copy", extra_args, ALLOWED_COPY_ARGS)
        _check_callback("copy", callback)
        listed, hooks = subscriber_hooks("copy", subscribers)
        call_args = CallArgs(copy_source=copy_source, bucket=bucket, key=key, extra_args=extra,
                             subscribers=listed, source_client=source_client)
        return self._start(Copy(self._client, self._config, self._submit, source, bucket, key,
                                extra, callback, source_client, self._bandwidth),
                           call_args, hooks)

    def delete(self, bucket: str, key: str, extra_args: Mapping[str, Any] | None = None,
               subscribers: Iterable[Any] | None = None) -> TransferFuture:
        """Delete ``bucket``/``key`` (one DeleteObject on a worker, as s3transfer's
        ``delete``); the future's result is its response. ``on_progress`` is not called.

        Raises:
            ParamValidationError: ``extra_args`` keys outside ``ALLOWED_DELETE_ARGS``, or
                ``subscribers`` not a list of subscribers.
        """
        extra = check_extra_args("delete", extra_args, ALLOWED_DELETE_ARGS)
        listed, hooks = subscriber_hooks("delete", subscribers)
        call_args = CallArgs(bucket=bucket, key=key, extra_args=extra,
                             subscribers=listed)
        return self._start(Delete(self._client, self._config, self._submit, bucket, key, extra),
                           call_args, hooks)

    def _start(self, transfer: Transfer, call_args: CallArgs, hooks: Hooks) -> TransferFuture:
        future = transfer.future
        meta = future.meta
        meta.call_args = call_args
        with self._lock:
            if self._closed:
                raise TransferManagerClosedError(
                    f"{meta.kind} of {meta.key!r}: the TransferManager was shut down")
            meta.transfer_id = self._next_id
            self._next_id += 1
            self._futures.add(future)
        queued, progress, done = hooks
        for on_done in done:  # before _forget: wait() returns once they have run
            future.add_done_callback(_done_hook(on_done))
        future.add_done_callback(self._forget)
        if progress:
            def report(amount: int) -> None:
                for on_progress in progress:
                    on_progress(future=future, bytes_transferred=amount)

            transfer.watch(report)
        if queued:
            transfer.spawn(_queued_then_start, transfer, queued)
        else:
            transfer.spawn(transfer.start)
        return future

    def _forget(self, future: TransferFuture) -> None:
        with self._lock:
            self._futures.discard(future)

    def _submit(self, task: Callable[[], None]) -> None:
        if not self._workers:
            task()  # use_threads=False: everything in the calling thread, in order
            return
        executor = self._executor
        if executor is None:
            with self._lock:
                executor = self._executor
                if executor is None:
                    executor = self._executor = ThreadPoolExecutor(
                        self._workers, thread_name_prefix="hub-transfer")
        try:
            executor.submit(task)
        except RuntimeError as exc:  # shut down between the check in _start and here
            raise TransferManagerClosedError("the TransferManager was shut down") from exc

    # -- ending -----------------------------------------------------------------------------

    def cancel(self, message: str = "") -> None:
        """Cancel every transfer still running (each cleans up, then raises on ``result()``;
        ``message`` becomes its ``TransferCancelledError``'s)."""
        with self._lock:
            futures = list(self._futures)
        for future in futures:
            future._stop(message)

    def wait(self) -> None:
        """Wait until every submitted transfer has ended (errors stay on their futures)."""
        while True:
            with self._lock:
                futures = list(self._futures)
            if not futures:
                return
            for future in futures:
                future.exception()

    def shutdown(self, cancel: bool = False, cancel_msg: str = "") -> None:
        """Wait for (or, with ``cancel``, cancel) every transfer, then stop the workers.

        Args:
            cancel: Cancel the transfers still running instead of waiting for them to finish.
            cancel_msg: The message of their ``TransferCancelledError`` (as s3transfer).
        """
        with self._lock:
            self._closed = True
        if cancel:
            self.cancel(cancel_msg)
        try:
            self.wait()
        except BaseException:
            self.cancel()  # Ctrl-C while waiting: stop what is left, then wait for cleanup
            self.wait()
            raise
        finally:
            executor, self._executor = self._executor, None
            if executor is not None:
                executor.shutdown(wait=True)

    def __enter__(self) -> TransferManager:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.shutdown(cancel=exc_type is not None)

    def __repr__(self) -> str:
        return (f"<hub.transfer.TransferManager workers={self._workers} "
                f"running={len(self._futures)}>")


def _done_hook(on_done: Callable[..., Any]) -> Callable[[TransferFuture], None]:
    def call(future: TransferFuture) -> None:
        on_done(future=future)

    return call


def _queued_then_start(transfer: Transfer, queued: list[Callable[..., Any]]) -> None:
    # s3transfer's order: on_queued runs before anything is sent; if it raises, the transfer
    # fails with that error (and on_done still runs).
    for on_queued in queued:
        on_queued(future=transfer.future)
    transfer.start()


# --------------------------------------------------------------------------- one-shot calls


def _run(manager: TransferManager, transfer: Transfer) -> Any:
    # The start task runs in the calling thread: an object under the threshold is one request,
    # with no worker thread started at all. Ctrl-C cancels, waits for cleanup, re-raises.
    future = transfer.future
    try:
        with manager._lock:
            manager._futures.add(future)
        future.add_done_callback(manager._forget)
        transfer.run()
        return future.result()
    except BaseException:
        transfer.cancel()  # no-op when the transfer already failed with this error
        raise
    finally:
        manager.shutdown()


def upload_file(client: Any, Filename: str | os.PathLike[str], Bucket: str, Key: str,
                ExtraArgs: Mapping[str, Any] | None = None, Callback: Callback | None = None,
                Config: TransferConfig | None = None) -> None:
    """``client.upload_file``: see :meth:`hub.services.s3.S3Client.upload_file`."""
    manager = TransferManager(client, as_transfer_config("upload_file", Config))
    extra = check_extra_args("upload_file", ExtraArgs, ALLOWED_UPLOAD_ARGS)
    _check_callback("upload_file", Callback)
    _check_source("upload_file", "Filename", Filename)
    _run(manager, manager._upload(Filename, Bucket, Key, extra, Callback))


def upload_fileobj(client: Any, Fileobj: IO[bytes], Bucket: str, Key: str,
                   ExtraArgs: Mapping[str, Any] | None = None,
                   Callback: Callback | None = None,
                   Config: TransferConfig | None = None) -> None:
    """``client.upload_fileobj``: see :meth:`hub.services.s3.S3Client.upload_fileobj`."""
    manager = TransferManager(client, as_transfer_config("upload_fileobj", Config))
    extra = check_extra_args("upload_fileobj", ExtraArgs, ALLOWED_UPLOAD_ARGS)
    _check_callback("upload_fileobj", Callback)
    if isinstance(Fileobj, (str, os.PathLike)):
        raise ParamValidationError("upload_fileobj", [
            f"Fileobj must be a binary file object, got {type(Fileobj).__name__}"])
    _check_source("upload_fileobj", "Fileobj", Fileobj)
    _run(manager, manager._upload(Fileobj, Bucket, Key, extra, Callback))


def download_file(client: Any, Bucket: str, Key: str, Filename: str | os.PathLike[str],
                  ExtraArgs: Mapping[str, Any] | None = None, Callback: Callback | None = None,
                  Config: TransferConfig | None = None) -> None:
    """``client.download_file``: see :meth:`hub.services.s3.S3Client.download_file`."""
    manager = TransferManager(client, as_transfer_config("download_file", Config))
    extra = check_extra_args("download_file", ExtraArgs, ALLOWED_DOWNLOAD_ARGS)
    _check_callback("download_file", Callback)
    _check_target("download_file", "Filename", Filename)
    _run(manager, Download(client, manager.config, manager._submit, Bucket, Key, Filename,
                           extra, Callback, manager._bandwidth))


def download_fileobj(client: Any, Bucket: str, Key: str, Fileobj: IO[bytes],
                     ExtraArgs: Mapping[str, Any] | None = None,
                     Callback: Callback | None = None,
                     Config: TransferConfig | None = None) -> None:
    """``client.download_fileobj``: see :meth:`hub.services.s3.S3Client.download_fileobj`."""
    manager = TransferManager(client, as_transfer_config("download_fileobj", Config))
    extra = check_extra_args("download_fileobj", ExtraArgs, ALLOWED_DOWNLOAD_ARGS)
    _check_callback("download_fileobj", Callback)
    if isinstance(Fileobj, (str, os.PathLike)):
        raise ParamValidationError("download_fileobj", [
            f"Fileobj must be a writable binary file object, got {type(Fileobj).__name__}"])
    _check_target("download_fileobj", "Fileobj", Fileobj)
    _run(manager, Download(client, manager.config, manager._submit, Bucket, Key, Fileobj,
                           extra, Callback, manager._bandwidth))


def copy(client: Any, CopySource: Mapping[str, Any] | str, Bucket: str, Key: str,
         ExtraArgs: Mapping[str, Any] | None = None, Callback: Callback | None = None,
         SourceClient: Any = None, Config: TransferConfig | None = None) -> None:
    """``client.copy``: see :meth:`hub.services.s3.S3Client.copy`."""
    manager = TransferManager(client, as_transfer_config("copy", Config))
    source = _copy_source("copy", CopySource)
    extra = check_extra_args("copy", ExtraArgs, ALLOWED_COPY_ARGS)
    _check_callback("copy", Callback)
    _run(manager, Copy(client, manager.config, manager._submit, source, Bucket, Key, extra,
                       Callback, SourceClient, manager._bandwidth))
