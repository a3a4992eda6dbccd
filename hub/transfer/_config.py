"""``TransferConfig`` (boto3's fields) and the ``ExtraArgs`` each transfer accepts (boto3's
lists)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from hub.errors import ConfigError, ParamValidationError

__all__ = [
    "ALLOWED_COPY_ARGS",
    "ALLOWED_DELETE_ARGS",
    "ALLOWED_DOWNLOAD_ARGS",
    "ALLOWED_UPLOAD_ARGS",
    "KB",
    "MB",
    "TransferConfig",
    "check_extra_args",
]

KB = 1024
MB = KB * KB

_SHARED_ARGS = (
    "ACL", "CacheControl", "ChecksumAlgorithm", "ContentDisposition", "ContentEncoding",
    "ContentLanguage", "ContentType", "ExpectedBucketOwner", "Expires", "GrantFullControl",
    "GrantRead", "GrantReadACP", "GrantWriteACP", "Metadata", "ObjectLockLegalHoldStatus",
    "ObjectLockMode", "ObjectLockRetainUntilDate", "RequestPayer", "ServerSideEncryption",
    "StorageClass", "SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5",
    "SSEKMSKeyId", "SSEKMSEncryptionContext", "Tagging", "WebsiteRedirectLocation",
)
_FULL_OBJECT_CHECKSUMS = (
    "ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumMD5", "ChecksumSHA1",
    "ChecksumSHA256", "ChecksumSHA512", "ChecksumXXHASH3", "ChecksumXXHASH64",
    "ChecksumXXHASH128",
)

#: ``ExtraArgs`` accepted by ``upload_file``/``upload_fileobj`` (boto3's list).
ALLOWED_UPLOAD_ARGS: tuple[str, ...] = (
    *_SHARED_ARGS, "ChecksumType", "MpuObjectSize", *_FULL_OBJECT_CHECKSUMS)
#: ``ExtraArgs`` accepted by ``download_file``/``download_fileobj`` (boto3's list).
ALLOWED_DOWNLOAD_ARGS: tuple[str, ...] = (
    "ChecksumMode", "VersionId", "SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5",
    "RequestPayer", "ExpectedBucketOwner")
#: ``ExtraArgs`` accepted by ``copy`` (boto3's list).
ALLOWED_COPY_ARGS: tuple[str, ...] = (
    *_SHARED_ARGS, "CopySourceIfMatch", "CopySourceIfModifiedSince", "CopySourceIfNoneMatch",
    "CopySourceIfUnmodifiedSince", "CopySourceSSECustomerAlgorithm", "CopySourceSSECustomerKey",
    "CopySourceSSECustomerKeyMD5", "MetadataDirective", "TaggingDirective")
#: ``extra_args`` accepted by ``TransferManager.delete`` (s3transfer's list).
ALLOWED_DELETE_ARGS: tuple[str, ...] = ("MFA", "VersionId", "RequestPayer", "ExpectedBucketOwner")


def check_extra_args(operation: str, extra_args: Mapping[str, Any] | None,
                     allowed: Iterable[str]) -> dict[str, Any]:
    """Return a copy of ``extra_args``, or raise naming every key that is not allowed.

    Raises:
        ParamValidationError: ``extra_args`` is not a mapping, or has keys outside ``allowed``.
    """
    if extra_args is None:
        return {}
    if not isinstance(extra_args, Mapping):
        raise ParamValidationError(operation, [
            f"ExtraArgs must be a dict, got {type(extra_args).__name__}"])
    allowed_set = frozenset(allowed)
    bad = [key for key in extra_args if key not in allowed_set]
    if bad:
        raise ParamValidationError(operation, [
            f"ExtraArgs: invalid key {key!r}; allowed: {', '.join(sorted(allowed_set))}"
            for key in bad])
    return dict(extra_args)


@dataclass(frozen=True, slots=True)
class TransferConfig:
    """How managed transfers split and schedule their work (boto3's ``TransferConfig`` fields).

    Args:
        multipart_threshold: Objects of this size or larger go in parts (bytes, >= 1).
        multipart_chunksize: Part size (bytes, >= 5 MiB for S3 uploads except the last; any
            size >= 1 is accepted so tests can use small parts against local servers).
        max_concurrency: Parts in flight at once. Also capped by the client's
            ``max_pool_connections``: transfers never open more connections than the pool.
        num_download_attempts: Attempts per downloaded part when the body breaks while read
            (the request itself retries under the client's retry policy).
        max_io_queue: Chunks of ``io_chunksize`` that may wait to be written in order
            (``download_fileobj`` to an unseekable target); bounds memory with
            ``max_concurrency``.
        io_chunksize: Bytes per read/write while streaming a part (also the callback step).
        use_threads: False runs every part in the calling thread, one after another.
        max_bandwidth: Bytes per second for all of a manager's transfers together; None for
            no limit.
    """

    multipart_threshold: int = 8 * MB
    multipart_chunksize: int = 8 * MB
    max_concurrency: int = 10
    num_download_attempts: int = 5
    max_io_queue: int = 100
    io_chunksize: int = 256 * KB
    use_threads: bool = True
    max_bandwidth: int | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "use_threads":
                if not isinstance(value, bool):
                    raise ConfigError(f"TransferConfig.use_threads must be a bool, got "
                                      f"{type(value).__name__}", field="use_threads")
                continue
            if value is None and f.name == "max_bandwidth":
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"TransferConfig.{f.name} must be an int >= 1, got {value!r}",
                                  field=f.name)

    def part_size(self, size: int) -> int:
        """The part size for an object of ``size`` bytes (at most 10,000 parts, as S3 allows)."""
        chunk = self.multipart_chunksize
        if size > chunk * 10_000:
            chunk = -(-size // 10_000)
        return chunk
