"""Managed S3 transfers: multipart uploads, ranged parallel downloads and managed copies.

The S3 client's ``upload_file``, ``upload_fileobj``, ``download_file``, ``download_fileobj``
and ``copy`` (boto3's signatures) run through this package; :class:`TransferManager` runs many
transfers at once and hands back futures, with s3transfer's arguments and subscribers
(:class:`BaseSubscriber`); :class:`S3Transfer` is boto3's class of that name. See
``docs/transfer.md``.

::

    from hub.transfer import TransferConfig, TransferManager

    s3.upload_file("big.bin", "bucket", "big.bin",
                   Config=TransferConfig(multipart_chunksize=16 * MB))
    with TransferManager(s3) as manager:
        futures = [manager.download("bucket", key, f"/tmp/{key}") for key in keys]
"""

from hub.transfer._config import (
    ALLOWED_COPY_ARGS,
    ALLOWED_DELETE_ARGS,
    ALLOWED_DOWNLOAD_ARGS,
    ALLOWED_UPLOAD_ARGS,
    KB,
    MB,
    TransferConfig,
)
from hub.transfer._future import (
    CallArgs,
    TransferCancelledError,
    TransferFuture,
    TransferManagerClosedError,
    TransferMeta,
    TransferNotDoneError,
)
from hub.transfer._manager import TransferManager
from hub.transfer._s3transfer import S3Transfer
from hub.transfer._subscribers import BaseSubscriber
from hub.transfer._tasks import PartChecksum

__all__ = [
    "ALLOWED_COPY_ARGS",
    "ALLOWED_DELETE_ARGS",
    "ALLOWED_DOWNLOAD_ARGS",
    "ALLOWED_UPLOAD_ARGS",
    "KB",
    "MB",
    "BaseSubscriber",
    "CallArgs",
    "PartChecksum",
    "S3Transfer",
    "TransferCancelledError",
    "TransferConfig",
    "TransferFuture",
    "TransferManager",
    "TransferManagerClosedError",
    "TransferMeta",
    "TransferNotDoneError",
]
