"""``TransferConfig`` (boto3's fields) and the ``ExtraArgs`` each transfer accepts (boto3's
lists)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import Any

from hub._value import dataclass
from hub.errors import ConfigError, ParamValidationError

__all__ = [
    "ALLOWED_COPY_ARGS",
    "ALLOWED_DELETE_ARGS",
    "ALLOWED_DOWNLOAD_ARGS",
    "ALLOWED_UPLOAD_ARGS",
    "KB",
    "MB",
    "TransferConfig",
    "as_transfer_config",
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
#: ``ExtraArgs`` that carry the caller's checksum of the whole object (s3transfer's list): a
#: multipart upload given one is made a ``FULL_OBJECT`` one with that algorithm.
FULL_OBJECT_CHECKSUMS: tuple[str, ...] = (
    "ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumMD5", "ChecksumSHA1",
    "ChecksumSHA256", "ChecksumSHA512", "ChecksumXXHASH3", "ChecksumXXHASH64",
    "ChecksumXXHASH128",
)

#: ``ExtraArgs`` accepted by ``upload_file``/``upload_fileobj`` (boto3's list).
ALLOWED_UPLOAD_ARGS: tuple[str, ...] = (
    *_SHARED_ARGS, "ChecksumType", "MpuObjectSize", *FULL_OBJECT_CHECKSUMS)
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


_TRANSFER_CLIENTS = ("auto", "classic", "crt")


@dataclass(frozen=True, slots=True)
class TransferConfig:
    """How managed transfers split and schedule their work (boto3's ``TransferConfig``).

    The fields are boto3's, in boto3's order (so positional arguments mean the same), and
    None means the default, as in boto3. ``max_request_concurrency`` and
    ``max_io_queue_size`` read the fields boto3 aliases them to.

    Args:
        multipart_threshold: Objects of this size or larger go in parts (bytes, >= 1).
        max_concurrency: Parts in flight at once. Also capped by the client's
            ``max_pool_connections``: transfers never open more connections than the pool.
        multipart_chunksize: Part size (bytes, >= 5 MiB for S3 uploads except the last; any
            size >= 1 is accepted so tests can use small parts against local servers).
        num_download_attempts: Attempts per downloaded part when the body breaks while read
            (the request itself retries under the client's retry policy).
        max_io_queue: Chunks of ``io_chunksize`` that may wait to be written in order
            (``download_fileobj`` to an unseekable target); bounds memory with
            ``max_concurrency``.
        io_chunksize: Bytes per read/write while streaming a part (also the callback step).
        use_threads: False runs every part in the calling thread, one after another.
        max_bandwidth: Bytes per second for all of a manager's transfers together; None for
            no limit.
        preferred_transfer_client: boto3's choice between its classic manager and the AWS
            CRT (``"auto"``, ``"classic"``, ``"crt"``, any case). hub has one transfer engine,
            so every value runs it; as boto3 does without the CRT installed.

    Raises:
        ConfigError: A field out of range or of the wrong type (naming it).
    """

    _hub_generic_init = True  # built by users, not in bulk: every wrong call is typed

    multipart_threshold: int = 8 * MB
    max_concurrency: int = 10
    multipart_chunksize: int = 8 * MB
    num_download_attempts: int = 5
    max_io_queue: int = 100
    io_chunksize: int = 256 * KB
    use_threads: bool = True
    max_bandwidth: int | None = None
    preferred_transfer_client: str = "auto"

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.name != "max_bandwidth":  # boto3: None is the default
                value = f.default
                object.__setattr__(self, f.name, value)
            if f.name == "use_threads":
                if not isinstance(value, bool):
                    raise ConfigError(f"TransferConfig.use_threads must be a bool, got "
                                      f"{type(value).__name__}", field="use_threads")
                continue
            if f.name == "preferred_transfer_client":
                if not isinstance(value, str) or value.lower() not in _TRANSFER_CLIENTS:
                    raise ConfigError(
                        "TransferConfig.preferred_transfer_client must be one of "
                        f"{', '.join(_TRANSFER_CLIENTS)}, got {value!r}", field=f.name)
                continue
            if value is None:  # max_bandwidth: no limit
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"TransferConfig.{f.name} must be an int >= 1, got {value!r}",
                                  field=f.name)

    @property
    def max_request_concurrency(self) -> int:
        """``max_concurrency``, by the name s3transfer gives it."""
        return self.max_concurrency

    @property
    def max_io_queue_size(self) -> int:
        """``max_io_queue``, by the name s3transfer gives it."""
        return self.max_io_queue

    def part_size(self, size: int) -> int:
        """The part size for an object of ``size`` bytes (at most 10,000 parts, as S3 allows)."""
        chunk = self.multipart_chunksize
        if size > chunk * 10_000:
            chunk = -(-size // 10_000)
        return chunk


# boto3's and s3transfer's TransferConfig attribute names for each field (the first set wins).
_FOREIGN_NAMES = {
    "multipart_threshold": ("multipart_threshold",),
    "max_concurrency": ("max_concurrency", "max_request_concurrency"),
    "multipart_chunksize": ("multipart_chunksize",),
    "num_download_attempts": ("num_download_attempts",),
    "max_io_queue": ("max_io_queue", "max_io_queue_size"),
    "io_chunksize": ("io_chunksize",),
    "use_threads": ("use_threads",),
    "max_bandwidth": ("max_bandwidth",),
    "preferred_transfer_client": ("preferred_transfer_client",),
}


def _is_foreign_config(config: object) -> bool:
    # boto3.s3.transfer.TransferConfig, s3transfer.manager.TransferConfig or a subclass; told
    # by name, so neither is ever imported.
    return any(cls.__name__ == "TransferConfig"
               and cls.__module__.partition(".")[0] in ("boto3", "s3transfer")
               for cls in type(config).__mro__)


def as_transfer_config(operation: str, config: object) -> TransferConfig | None:
    """``config`` as hub's :class:`TransferConfig`: hub's own or None as they are; boto3's or
    s3transfer's ``TransferConfig`` (code written for boto3 that still builds one) read field
    by field into hub's.

    Raises:
        ParamValidationError: ``config`` is something else.
        ConfigError: A field of a boto3 config that hub's refuses (naming it).
    """
    if config is None or isinstance(config, TransferConfig):
        return config
    if _is_foreign_config(config):
        values: dict[str, Any] = {}
        for name, names in _FOREIGN_NAMES.items():
            for attr in names:
                value = getattr(config, attr, None)
                if value is not None:
                    values[name] = value
                    break
        return TransferConfig(**values)
    raise ParamValidationError(operation, [
        f"Config must be a hub.transfer.TransferConfig (or boto3's), got "
        f"{type(config).__name__}"])
