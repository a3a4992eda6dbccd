"""A managed copy: CopyObject below the threshold, UploadPartCopy ranges above it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hub.transfer._config import TransferConfig
from hub.transfer._future import Submit, TransferMeta
from hub.transfer._limits import Bandwidth
from hub.transfer._tasks import (
    ABORT_ARGS,
    COMPLETE_ARGS,
    COPY_ONLY,
    COPY_PART_ARGS,
    HEAD_FROM_COPY,
    NOT_FOR_CREATE,
    TaskBase,
    pick,
)

__all__ = ["Copy"]


class Copy(TaskBase):
    """A managed copy: CopyObject below the threshold, UploadPartCopy ranges above it."""

    def __init__(self, client: Any, config: TransferConfig, submit: Submit,
                 copy_source: Mapping[str, Any], bucket: str, key: str,
                 extra_args: dict[str, Any], callback: Callable[[int], Any] | None,
                 source_client: Any, bandwidth: Bandwidth | None) -> None:
        super().__init__(client, config, submit, TransferMeta("copy", bucket, key), callback,
                         bandwidth)
        self._copy_source = dict(copy_source)
        self._extra = extra_args
        self._source_client = source_client or client
        self._upload_id: str | None = None
        self._parts: dict[int, dict[str, Any]] = {}
        self._result: Any = None
        self._etag: str | None = None

    def start(self) -> None:
        source = self._copy_source
        head_params: dict[str, Any] = {"Bucket": source["Bucket"], "Key": source["Key"]}
        if source.get("VersionId") is not None:
            head_params["VersionId"] = source["VersionId"]
        for name, head_name in HEAD_FROM_COPY.items():
            if name in self._extra:
                head_params[head_name] = self._extra[name]
        with self._slots:
            head = self._source_client.head_object(**head_params)
        size = int(head.get("ContentLength") or 0)
        meta = self.meta
        meta.size = size
        self._etag = head.get("ETag")
        if size < self.config.multipart_threshold:
            self._result = self.call(self.client.copy_object, CopySource=source,
                                     Bucket=meta.bucket, Key=meta.key, **self._extra)
            self.progress(size)
            return
        params = {k: v for k, v in self._extra.items()
                  if k not in COPY_ONLY and k not in NOT_FOR_CREATE}
        response = self.call(self.client.create_multipart_upload, Bucket=meta.bucket,
                             Key=meta.key, **params)
        self._upload_id = response["UploadId"]
        meta.extra["upload_id"] = self._upload_id
        part_size = self.config.part_size(size)
        for number, offset in enumerate(range(0, size, part_size), 1):
            self.spawn(self._part, number, offset, min(part_size, size - offset))

    def _part(self, number: int, offset: int, size: int) -> None:
        meta = self.meta
        params = pick(self._extra, COPY_PART_ARGS)
        if self._etag and "CopySourceIfMatch" not in params:
            params["CopySourceIfMatch"] = self._etag  # every range from one version
        response = self.call(self.client.upload_part_copy, Bucket=meta.bucket, Key=meta.key,
                             CopySource=self._copy_source, UploadId=self._upload_id,
                             PartNumber=number,
                             CopySourceRange=f"bytes={offset}-{offset + size - 1}", **params)
        etag = response["CopyPartResult"]["ETag"]
        with self._lock:
            self._parts[number] = {"ETag": etag, "PartNumber": number}
        self.progress(size)

    def finish(self) -> Any:
        if self._upload_id is None:
            return self._result
        meta = self.meta
        parts = [self._parts[n] for n in sorted(self._parts)]
        return self.call(self.client.complete_multipart_upload, Bucket=meta.bucket,
                         Key=meta.key, UploadId=self._upload_id,
                         MultipartUpload={"Parts": parts},
                         **pick(self._extra, COMPLETE_ARGS - {"ChecksumType"}))

    def cleanup(self) -> None:
        if self._upload_id is not None:
            meta = self.meta
            self.call(self.client.abort_multipart_upload, Bucket=meta.bucket, Key=meta.key,
                      UploadId=self._upload_id, **pick(self._extra, ABORT_ARGS))
