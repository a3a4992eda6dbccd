"""boto3's ``S3Transfer``: ``upload_file`` / ``download_file`` on one reusable manager."""

from __future__ import annotations

import os
from typing import Any

from hub.errors import ParamValidationError
from hub.transfer._config import (
    ALLOWED_COPY_ARGS,
    ALLOWED_DOWNLOAD_ARGS,
    ALLOWED_UPLOAD_ARGS,
    TransferConfig,
)
from hub.transfer._future import TransferFuture
from hub.transfer._manager import Callback, TransferManager

__all__ = ["S3Transfer"]


class S3Transfer:
    """boto3's ``boto3.s3.transfer.S3Transfer``, on hub's :class:`TransferManager`.

    One manager (and its worker threads) serves every call, so a loop of ``upload_file``
    calls does not start threads per file. Errors are the transfer's own (a ``ClientError``
    where boto3 wraps upload failures in ``S3UploadFailedError``; see docs/transfer.md).

    Args:
        client: An S3 client (``session.client("s3")``).
        config: A :class:`~hub.transfer.TransferConfig` for the manager made from ``client``.
        osutil: Not supported (s3transfer's file-system hooks); must be None.
        manager: A :class:`TransferManager` to use instead of ``client`` and ``config``.

    Raises:
        ParamValidationError: Neither ``client`` nor ``manager``, or ``manager`` with
            ``client``/``config``/``osutil`` (boto3's ``ValueError`` cases; this is one), or an
            ``osutil``.
    """

    ALLOWED_UPLOAD_ARGS = ALLOWED_UPLOAD_ARGS
    ALLOWED_DOWNLOAD_ARGS = ALLOWED_DOWNLOAD_ARGS
    ALLOWED_COPY_ARGS = ALLOWED_COPY_ARGS

    def __init__(self, client: Any = None, config: TransferConfig | None = None,
                 osutil: Any = None, manager: TransferManager | None = None) -> None:
        if client is None and manager is None:
            raise ParamValidationError("S3Transfer", ["give a client or a manager"])
        if manager is not None and (client is not None or config is not None
                                    or osutil is not None):
            raise ParamValidationError("S3Transfer", [
                "manager cannot be given with client, config or osutil"])
        if osutil is not None:
            raise ParamValidationError("S3Transfer", [
                "osutil is not supported (hub reads and writes files itself)"])
        self._manager = manager if manager is not None else TransferManager(client, config)

    def upload_file(self, filename: str | os.PathLike[str], bucket: str, key: str,
                    callback: Callback | None = None,
                    extra_args: dict[str, Any] | None = None) -> None:
        """Upload the file ``filename`` to ``bucket``/``key`` (see
        :meth:`TransferManager.upload`), waiting for it."""
        path = self._filename("upload_file", filename)
        self._wait(self._manager.upload(path, bucket, key, extra_args, callback=callback))

    def download_file(self, bucket: str, key: str, filename: str | os.PathLike[str],
                      extra_args: dict[str, Any] | None = None,
                      callback: Callback | None = None) -> None:
        """Download ``bucket``/``key`` to the file ``filename`` (see
        :meth:`TransferManager.download`), waiting for it."""
        path = self._filename("download_file", filename)
        self._wait(self._manager.download(bucket, key, path, extra_args, callback=callback))

    @staticmethod
    def _filename(operation: str, filename: object) -> str:
        if isinstance(filename, os.PathLike):
            filename = os.fspath(filename)
        if not isinstance(filename, str):
            raise ParamValidationError(operation, [
                f"Filename must be a string or a path-like object, got "
                f"{type(filename).__name__}"])
        return filename

    @staticmethod
    def _wait(future: TransferFuture) -> None:
        try:
            future.result()
        except KeyboardInterrupt:  # result() asked for the cancel: wait for the cleanup
            future.exception()
            raise

    def __enter__(self) -> S3Transfer:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._manager.__exit__(*exc_info)
