"""The three transfers: upload (file or file object), download (file or file object), copy.

Each is a :class:`~hub.transfer._future.Transfer`: a start task that looks at the source and
spawns the parts, part tasks, and a finish/cleanup that runs once the last task ended.
Every request holds one of the transport's connection slots (``_limits``) while it runs.
"""

from __future__ import annotations

import io
import os
import secrets
import threading
from collections.abc import Callable, Mapping
from typing import IO, Any, Protocol

from hub._forksafe import at_fork_reinit
from hub.errors import HTTPClientError, ParamValidationError
from hub.transfer._config import TransferConfig
from hub.transfer._future import Submit, Transfer, TransferFuture, TransferMeta
from hub.transfer._io import (
    BufferPool,
    FdWriter,
    OrderedWriter,
    PartBody,
    SeekWriter,
    pread,
    pread_into,
)
from hub.transfer._limits import Bandwidth, connection_slots

__all__ = ["Copy", "Download", "PartChecksum", "Upload"]

# Which ExtraArgs go to which call of a multipart upload (as s3transfer routes them).
_PART_ARGS = frozenset({"SSECustomerKey", "SSECustomerAlgorithm", "SSECustomerKeyMD5",
                        "RequestPayer", "ExpectedBucketOwner"})
_COMPLETE_ARGS = frozenset({"RequestPayer", "ExpectedBucketOwner", "ChecksumType",
                            "MpuObjectSize", "SSECustomerKey", "SSECustomerAlgorithm",
                            "SSECustomerKeyMD5", "ChecksumCRC32", "ChecksumCRC32C",
                            "ChecksumCRC64NVME", "ChecksumMD5", "ChecksumSHA1",
                            "ChecksumSHA256", "ChecksumSHA512", "ChecksumXXHASH3",
                            "ChecksumXXHASH64", "ChecksumXXHASH128"})
_NOT_FOR_CREATE = frozenset({"MpuObjectSize", "ChecksumCRC32", "ChecksumCRC32C",
                             "ChecksumCRC64NVME", "ChecksumMD5", "ChecksumSHA1",
                             "ChecksumSHA256", "ChecksumSHA512", "ChecksumXXHASH3",
                             "ChecksumXXHASH64", "ChecksumXXHASH128"})
_ABORT_ARGS = frozenset({"RequestPayer", "ExpectedBucketOwner"})
_COPY_PART_ARGS = frozenset({"CopySourceIfMatch", "CopySourceIfModifiedSince",
                             "CopySourceIfNoneMatch", "CopySourceIfUnmodifiedSince",
                             "CopySourceSSECustomerAlgorithm", "CopySourceSSECustomerKey",
                             "CopySourceSSECustomerKeyMD5", "SSECustomerKey",
                             "SSECustomerAlgorithm", "SSECustomerKeyMD5", "RequestPayer",
                             "ExpectedBucketOwner"})
_COPY_ONLY = frozenset({"CopySourceIfMatch", "CopySourceIfModifiedSince",
                        "CopySourceIfNoneMatch", "CopySourceIfUnmodifiedSince",
                        "CopySourceSSECustomerAlgorithm", "CopySourceSSECustomerKey",
                        "CopySourceSSECustomerKeyMD5", "MetadataDirective",
                        "TaggingDirective"})
_HEAD_FROM_COPY = {"CopySourceSSECustomerAlgorithm": "SSECustomerAlgorithm",
                   "CopySourceSSECustomerKey": "SSECustomerKey",
                   "CopySourceSSECustomerKeyMD5": "SSECustomerKeyMD5",
                   "RequestPayer": "RequestPayer"}


class PartChecksum(Protocol):
    """The seam for per-part checksums (the checksums work plugs in here; none is built in).

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


def _pick(args: Mapping[str, Any], names: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if k in names}


class _Base(Transfer):
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


# --------------------------------------------------------------------------- upload


class Upload(_Base):
    """Upload a file (by name) or a file object.

    Args:
        source: A file name, or a binary file object (seekable or not).
        extra_args: Checked ``ExtraArgs``.
    """

    def __init__(self, client: Any, config: TransferConfig, submit: Submit,
                 source: str | os.PathLike[str] | IO[bytes], bucket: str, key: str,
                 extra_args: dict[str, Any], callback: Callable[[int], Any] | None,
                 bandwidth: Bandwidth | None, checksum: PartChecksum | None = None,
                 buffers: BufferPool | None = None) -> None:
        super().__init__(client, config, submit, TransferMeta("upload", bucket, key), callback,
                         bandwidth, checksum)
        self._buffers = buffers or BufferPool(1)
        self._source = source
        self._extra = extra_args
        self._fd: int | None = None
        self._fileobj: IO[bytes] | None = None
        self._base = 0  # the file object's position when the upload started
        self._upload_id: str | None = None
        self._parts: dict[int, dict[str, Any]] = {}
        self._part_size = config.multipart_chunksize
        self._next_part = 1  # unseekable sources: parts are numbered as they are read
        self._eof = False
        self._prefix = b""  # read to decide on multipart; sent first
        self._streamed = 0
        self._read_lock = threading.Lock()
        at_fork_reinit(self, Upload._reset_read_lock)
        self._result: Any = None

    def _reset_read_lock(self) -> None:
        self._read_lock = threading.Lock()

    # -- start ------------------------------------------------------------------------------

    def start(self) -> None:
        source = self._source
        if isinstance(source, (str, os.PathLike)):
            self._fd = os.open(source, os.O_RDONLY | getattr(os, "O_BINARY", 0))
            size: int | None = os.fstat(self._fd).st_size
        else:
            if not hasattr(source, "read"):
                raise ParamValidationError("upload_fileobj", [
                    f"Fileobj must be a binary file object, got {type(source).__name__}"])
            self._fileobj = source
            size = self._fileobj_size(source)
            if size is not None and self._is_plain_file(source):
                self._fd = source.fileno()
        self.meta.size = size
        threshold = self.config.multipart_threshold
        if size is None:
            first = self._read_stream(threshold)
            if len(first) < threshold:
                self.meta.size = len(first)
                self._put(first)
                return
            self._create()
            self._prefix = first  # what was read to decide goes out first
            self.spawn(self._stream_part)
            return
        if size < threshold:
            data, buf = self._read_part(0, size)
            try:
                self._put(data)
            finally:
                self._release(buf)
            return
        self._part_size = self.config.part_size(size)
        self._create()
        for number, offset in enumerate(range(0, size, self._part_size), 1):
            self.spawn(self._file_part, number, offset, min(self._part_size, size - offset))

    @staticmethod
    def _fileobj_size(fileobj: IO[bytes]) -> int | None:
        try:
            if not fileobj.seekable():
                return None
            start = fileobj.tell()
            end = fileobj.seek(0, io.SEEK_END)
            fileobj.seek(start)
        except (AttributeError, OSError, ValueError):
            return None
        return int(end - start)

    def _is_plain_file(self, fileobj: IO[bytes]) -> bool:
        # A real file read from its start position with pread (no shared file position).
        if not isinstance(fileobj, (io.BufferedReader, io.FileIO)):
            return False
        try:
            self._base = fileobj.tell()
            fileobj.fileno()
        except (OSError, ValueError):
            return False
        return True

    def _read_part(self, offset: int, size: int) -> tuple[memoryview | bytes, bytearray | None]:
        # A file: read into a reused buffer (returned with _release once the part is sent).
        if self._fd is None:
            return self._read_at(offset, size), None
        buf = self._buffers.get(size)
        view = memoryview(buf)[:size]
        n = pread_into(self._fd, view, self._base + offset)
        return view[:n], buf

    def _release(self, buf: bytearray | None) -> None:
        if buf is not None:
            self._buffers.put(buf)

    def _read_at(self, offset: int, size: int) -> bytes:
        if self._fd is not None:
            return pread(self._fd, size, self._base + offset)
        fileobj = self._fileobj
        assert fileobj is not None
        with self._read_lock:
            if self._base == 0 and offset == 0:
                self._base = fileobj.tell()
            fileobj.seek(self._base + offset)
            return self._read_full(fileobj, size)

    @staticmethod
    def _read_full(fileobj: IO[bytes], size: int) -> bytes:
        data = fileobj.read(size)
        if data is None or len(data) >= size or not data:
            return data or b""
        chunks = [data]
        got = len(data)
        while got < size:
            more = fileobj.read(size - got)
            if not more:
                break
            chunks.append(more)
            got += len(more)
        return b"".join(chunks)

    def _read_stream(self, size: int) -> bytes:
        assert self._fileobj is not None
        prefix = self._prefix
        if not prefix:
            return self._read_full(self._fileobj, size)
        if len(prefix) >= size:
            self._prefix = prefix[size:]
            return prefix[:size]
        self._prefix = b""
        return prefix + self._read_full(self._fileobj, size - len(prefix))

    # -- calls ------------------------------------------------------------------------------

    def _put(self, data: bytes | memoryview) -> None:
        meta = self.meta
        self._result = self.call(self.client.put_object, Bucket=meta.bucket, Key=meta.key,
                                 Body=self.body(data), **self._extra)
        self.progress(len(data))

    def _create(self) -> None:
        params = {k: v for k, v in self._extra.items() if k not in _NOT_FOR_CREATE}
        if self._checksum is not None:
            params.update(self._checksum.create_params())
        meta = self.meta
        response = self.call(self.client.create_multipart_upload, Bucket=meta.bucket,
                             Key=meta.key, **params)
        self._upload_id = response["UploadId"]
        meta.extra["upload_id"] = self._upload_id

    def _file_part(self, number: int, offset: int, size: int) -> None:
        if self.failed:
            return
        data, buf = self._read_part(offset, size)
        try:
            self._upload_part(number, data)
        finally:
            self._release(buf)

    def _stream_part(self) -> None:
        # Unseekable source: read the next part in order, queue the read after it, send.
        with self._read_lock:
            if self._eof or self.failed:
                return
            data = self._read_stream(self._part_size)
            number = self._next_part
            self._eof = len(data) < self._part_size
            self._next_part += 1
            self._streamed += len(data)
        if not self._eof:
            self.spawn(self._stream_part)
        if data:
            self._upload_part(number, data)

    def _upload_part(self, number: int, data: bytes | memoryview) -> None:
        if self.failed:
            return
        meta = self.meta
        checksum: Mapping[str, Any] = {}
        if self._checksum is not None:
            checksum = self._checksum.part_params(number, memoryview(data))
        response = self.call(self.client.upload_part, Bucket=meta.bucket, Key=meta.key,
                             UploadId=self._upload_id, PartNumber=number,
                             Body=self.body(data), **_pick(self._extra, _PART_ARGS),
                             **checksum)
        with self._lock:
            self._parts[number] = {"ETag": response["ETag"], "PartNumber": number, **checksum}
        self.progress(len(data))

    def finish(self) -> Any:
        self._close()
        if self._upload_id is None:
            return self._result
        meta = self.meta
        if meta.size is None:
            meta.size = self._streamed
        parts = [self._parts[n] for n in sorted(self._parts)]
        return self.call(self.client.complete_multipart_upload, Bucket=meta.bucket,
                         Key=meta.key, UploadId=self._upload_id,
                         MultipartUpload={"Parts": parts},
                         **_pick(self._extra, _COMPLETE_ARGS))

    def cleanup(self) -> None:
        self._close()
        if self._upload_id is not None:
            meta = self.meta
            self.call(self.client.abort_multipart_upload, Bucket=meta.bucket, Key=meta.key,
                      UploadId=self._upload_id, **_pick(self._extra, _ABORT_ARGS))

    def _close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None and self._fileobj is None:
            os.close(fd)


# --------------------------------------------------------------------------- download


class Download(_Base):
    """Download to a file (by name, via a temporary file renamed into place) or a file object.

    Ranged GETs are pinned to the version first seen: ``If-Match`` on its ETag (and the
    ``VersionId`` when given), so an object replaced mid-download fails with 412 instead of
    mixing two versions.
    """

    def __init__(self, client: Any, config: TransferConfig, submit: Submit, bucket: str,
                 key: str, target: str | os.PathLike[str] | IO[bytes],
                 extra_args: dict[str, Any], callback: Callable[[int], Any] | None,
                 bandwidth: Bandwidth | None) -> None:
        super().__init__(client, config, submit, TransferMeta("download", bucket, key),
                         callback, bandwidth)
        self._target = target
        self._extra = extra_args
        self._fd: int | None = None
        self._temp: str | None = None
        self._writer: FdWriter | SeekWriter | OrderedWriter | None = None
        self._etag: str | None = None

    def start(self) -> None:
        meta = self.meta
        head = self.call(self.client.head_object, Bucket=meta.bucket, Key=meta.key,
                         **self._extra)
        size = int(head.get("ContentLength") or 0)
        meta.size = size
        self._etag = head.get("ETag")
        meta.extra["etag"] = self._etag
        config = self.config
        part_size = config.part_size(size) if size >= config.multipart_threshold else max(
            size, 1)
        self._open(part_size)
        if size < config.multipart_threshold:
            self._get(0, 0, size)  # one GET: in this task (no worker thread needed)
            return
        for number, offset in enumerate(range(0, size, part_size)):
            self.spawn(self._get, number, offset, min(part_size, size - offset))

    def _open(self, part_size: int) -> None:
        target = self._target
        if isinstance(target, (str, os.PathLike)):
            final = os.fspath(target)
            temp = f"{final}.{secrets.token_hex(4)}.hubtmp"
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            self._fd = os.open(temp, flags, 0o666)
            self._temp = temp
            self._writer = FdWriter(self._fd)
            return
        if not hasattr(target, "write"):
            raise ParamValidationError("download_fileobj", [
                f"Fileobj must be a writable binary file object, got {type(target).__name__}"])
        seekable = False
        try:
            seekable = bool(target.seekable())
        except (AttributeError, OSError, ValueError):
            pass
        if seekable:
            self._writer = SeekWriter(target)
        else:
            config = self.config
            queued = config.max_io_queue * config.io_chunksize // part_size
            workers = max(1, config.max_concurrency) if config.use_threads else 1
            self._writer = OrderedWriter(target, part_size, workers + queued)

    def _get(self, number: int, offset: int, size: int) -> None:
        writer = self._writer
        assert writer is not None
        if isinstance(writer, OrderedWriter):
            writer.wait_turn(number, lambda: self.failed)
        meta = self.meta
        params = dict(self._extra)
        if self._etag:
            params["IfMatch"] = self._etag
        chunk = self.config.io_chunksize
        end = offset + size
        attempts = self.config.num_download_attempts
        while offset < end or size == 0:
            if self.failed:
                return
            ranged = size != 0 and (offset > 0 or size != meta.size)
            if ranged:
                params["Range"] = f"bytes={offset}-{end - 1}"
            with self._slots:
                response = self.client.get_object(Bucket=meta.bucket, Key=meta.key, **params)
                body = response["Body"]
                try:
                    while True:
                        data = body.read(chunk)
                        if not data:
                            break
                        if self._bandwidth is not None:
                            self._bandwidth.consume(len(data))
                        writer.write_at(offset, data)
                        offset += len(data)
                        self.progress(len(data))
                        if self.failed:
                            return
                except HTTPClientError:
                    attempts -= 1
                    if attempts <= 0:
                        raise
                    continue  # ask again for the rest of the range
                finally:
                    body.close()
            if size == 0 or offset >= end:
                return
            # The body ended early without an error: its length check raises instead, so
            # this is a server that lied about the range; ask again for the rest.
            attempts -= 1
            if attempts <= 0:
                raise HTTPClientError(f"GetObject {meta.key!r}: range ended at {offset}")

    def finish(self) -> Any:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        if self._temp is not None:
            os.replace(self._temp, os.fspath(self._target))  # type: ignore[arg-type]
            self._temp = None
        return None

    def cleanup(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        temp, self._temp = self._temp, None
        if temp is not None:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass


# --------------------------------------------------------------------------- copy


class Copy(_Base):
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
        for name, head_name in _HEAD_FROM_COPY.items():
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
                  if k not in _COPY_ONLY and k not in _NOT_FOR_CREATE}
        response = self.call(self.client.create_multipart_upload, Bucket=meta.bucket,
                             Key=meta.key, **params)
        self._upload_id = response["UploadId"]
        meta.extra["upload_id"] = self._upload_id
        part_size = self.config.part_size(size)
        for number, offset in enumerate(range(0, size, part_size), 1):
            self.spawn(self._part, number, offset, min(part_size, size - offset))

    def _part(self, number: int, offset: int, size: int) -> None:
        meta = self.meta
        params = _pick(self._extra, _COPY_PART_ARGS)
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
                         **_pick(self._extra, _COMPLETE_ARGS - {"ChecksumType"}))

    def cleanup(self) -> None:
        if self._upload_id is not None:
            meta = self.meta
            self.call(self.client.abort_multipart_upload, Bucket=meta.bucket, Key=meta.key,
                      UploadId=self._upload_id, **_pick(self._extra, _ABORT_ARGS))
