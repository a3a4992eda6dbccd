"""What the three transfers share: the base task class, the per-part checksum seam, and which
``ExtraArgs`` go to which call (as s3transfer routes them).

Each transfer (``_upload``, ``_download``, ``_copy``) is a
:class:`~hub.transfer._future.Transfer`: a start task that looks at the source and spawns the
parts, part tasks, and a finish/cleanup that runs once the last task ended. Every request
holds one of the transport's connection slots (``_limits``) while it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from hub.transfer._config import FULL_OBJECT_CHECKSUMS, TransferConfig
from hub.transfer._future import Submit, Transfer, TransferFuture, TransferMeta
from hub.transfer._io import PartBody
from hub.transfer._limits import Bandwidth, connection_slots

__all__ = ["ABORT_ARGS", "COMPLETE_ARGS", "COPY_ONLY", "COPY_PART_ARGS", "HEAD_FROM_COPY",
           "NOT_FOR_CREATE", "NOT_FOR_PUT", "PART_ARGS", "PartChecksum", "TaskBase",
           "full_object_algorithm", "pick"]

# Which ExtraArgs go to which call of a multipart upload (as s3transfer routes them).
PART_ARGS = frozenset({"SSECustomerKey", "SSECustomerAlgorithm", "SSECustomerKeyMD5",
                        "RequestPayer", "ExpectedBucketOwner"})
COMPLETE_ARGS = frozenset({"RequestPayer", "ExpectedBucketOwner", "ChecksumType",
                            "MpuObjectSize", "SSECustomerKey", "SSECustomerAlgorithm",
                            "SSECustomerKeyMD5", "ChecksumCRC32", "ChecksumCRC32C",
                            "ChecksumCRC64NVME", "ChecksumMD5", "ChecksumSHA1",
                            "ChecksumSHA256", "ChecksumSHA512", "ChecksumXXHASH3",
                            "ChecksumXXHASH64", "ChecksumXXHASH128"})
NOT_FOR_CREATE = frozenset({"MpuObjectSize", "ChecksumCRC32", "ChecksumCRC32C",
                             "ChecksumCRC64NVME", "ChecksumMD5", "ChecksumSHA1",
                             "ChecksumSHA256", "ChecksumSHA512", "ChecksumXXHASH3",
                             "ChecksumXXHASH64", "ChecksumXXHASH128"})
NOT_FOR_PUT = frozenset({"ChecksumType", "MpuObjectSize"})  # multipart-only (s3transfer's)
ABORT_ARGS = frozenset({"RequestPayer", "ExpectedBucketOwner"})
COPY_PART_ARGS = frozenset({"CopySourceIfMatch", "CopySourceIfModifiedSince",
                             "CopySourceIfNoneMatch", "CopySourceIfUnmodifiedSince",
                             "CopySourceSSECustomerAlgorithm", "CopySourceSSECustomerKey",
                             "CopySourceSSECustomerKeyMD5", "SSECustomerKey",
                             "SSECustomerAlgorithm", "SSECustomerKeyMD5", "RequestPayer",
                             "ExpectedBucketOwner"})
COPY_ONLY = frozenset({"CopySourceIfMatch", "CopySourceIfModifiedSince",
                        "CopySourceIfNoneMatch", "CopySourceIfUnmodifiedSince",
                        "CopySourceSSECustomerAlgorithm", "CopySourceSSECustomerKey",
                        "CopySourceSSECustomerKeyMD5", "MetadataDirective",
                        "TaggingDirective"})
HEAD_FROM_COPY = {"CopySourceSSECustomerAlgorithm": "SSECustomerAlgorithm",
                   "CopySourceSSECustomerKey": "SSECustomerKey",
                   "CopySourceSSECustomerKeyMD5": "SSECustomerKeyMD5",
                   "RequestPayer": "RequestPayer"}


def full_object_algorithm(extra: Mapping[str, Any]) -> str | None:
    """The algorithm of the whole-object checksum in ``extra`` (``ChecksumCRC32`` -> ``CRC32``),
    or None when the caller gave none."""
    for name in FULL_OBJECT_CHECKSUMS:
        if name in extra:
            return name[len("Checksum"):]
    return None


class PartChecksum(Protocol):
    """The seam for per-part checksums (:class:`hub.checksums.PartChecksums` implements it).

    ``create_params()`` adds parameters to CreateMultipartUpload (``ChecksumAlgorithm``);
    ``part_params(number, data)`` returns the part's checksum members, sent with its
    UploadPart and repeated in its entry of CompleteMultipartUpload's ``Parts``.
    """

    def create_params(self) -> Mapping[str, Any]:
        """Parameters added to CreateMultipartUpload."""
        ...

    def part_params(self, part_number: int, data: memoryview) -> Mapping[str, Any]:
        """Checksum members for one part."""
        ...


def pick(args: Mapping[str, Any], names: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if k in names}


class TaskBase(Transfer):
    """A transfer task set on one client: connection slots, bandwidth, upload bodies."""

    def __init__(self, client: Any, config: TransferConfig, submit: Submit, meta: TransferMeta,
                 callback: Callable[[int], Any] | None, bandwidth: Bandwidth | None,
                 checksum: PartChecksum | None = None) -> None:
        super().__init__(submit, TransferFuture(meta), callback)
        self.client = client
        self.config = config
        self.meta = meta
        self._slots = connection_slots(client)
        self._bandwidth = bandwidth
        self._checksum = checksum
        config_ = client.client_config.config
        # Over TLS with a checksum sent, S3's signing skips the body's SHA-256 for a bytes
        # body (the checksum replaces it); with no checksum at all, only a stream skips it.
        self._stream_tls = (client.client_config.info.endpoint.startswith("https:")
                            and checksum is None
                            and config_.request_checksum_calculation == "when_required")

    def call(self, method: Callable[..., Any], **params: Any) -> Any:
        """One request, holding a connection slot."""
        with self._slots:
            return method(**params)

    def body(self, data: bytes | memoryview) -> Any:
        """An upload body: the bytes (sent in one write), or a rewindable stream over TLS when
        no checksum is sent (streams go UNSIGNED-PAYLOAD, so no SHA-256 either way)."""
        if self._bandwidth is not None:
            self._bandwidth.consume(len(data))
        return PartBody(data) if self._stream_tls else data
