"""Upload a file (by name) or a file object: PutObject below the threshold, else a multipart
upload. A file's parts are never held in memory: each is checksummed block by block (with its
SHA-256 over plain HTTP, where S3 signs the payload) and then sent from the file
(:class:`~hub.transfer._ranges.FileRange`); streams are read in order, a part at a time.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Callable, Mapping
from typing import IO, Any

from hub._corehandlers import payload_signing
from hub._forksafe import at_fork_reinit
from hub.errors import ParamValidationError
from hub.transfer._config import TransferConfig
from hub.transfer._future import Submit, TransferMeta
from hub.transfer._io import BufferPool, pread, pread_into
from hub.transfer._limits import Bandwidth
from hub.transfer._ranges import FileRange
from hub.transfer._tasks import (
    ABORT_ARGS,
    COMPLETE_ARGS,
    NOT_FOR_CREATE,
    NOT_FOR_PUT,
    PART_ARGS,
    PartChecksum,
    TaskBase,
    full_object_algorithm,
    pick,
)

__all__ = ["Upload"]


class Upload(TaskBase):
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
        self._sizes: dict[int, int] = {}  # bytes per part: to combine their CRCs
        self._part_size = config.multipart_chunksize
        self._next_part = 1  # unseekable sources: parts are numbered as they are read
        self._eof = False
        self._prefix = b""  # read to decide on multipart; sent first
        self._streamed = 0
        self._read_lock = threading.Lock()
        # finish and cleanup may both try to close the fd: taking it under a lock closes it
        # once, never a number the process has since reused for another file.
        self._fd_lock = threading.Lock()
        at_fork_reinit(self, Upload._reset_locks)
        self._result: Any = None
        info = client.client_config
        # Over plain HTTP S3 signs the payload's SHA-256: a part's hash is computed in the
        # pass that computes its checksum (over TLS a checksummed part goes UNSIGNED-PAYLOAD).
        # Not with s3_payload_signing_enabled=False; and over TLS the part is framed with a
        # trailer, which is never signed (botocore's rule), whatever the setting.
        https = info.info.endpoint.startswith("https:")
        self._hash_parts = (not https and payload_signing(info) is not False
                            and info.config.signature_version != "unsigned")
        self._checksum_in_scan = not https

    def _reset_locks(self) -> None:
        self._read_lock = threading.Lock()
        self._fd_lock = threading.Lock()

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
            if self._fd is not None and self._from_file():
                self._put(self._scanned(FileRange(self._fd, self._base, size)))
                return
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

    def _put(self, data: bytes | memoryview | FileRange) -> None:
        meta = self.meta
        body = data if isinstance(data, FileRange) else self.body(data)
        if isinstance(data, FileRange) and self._bandwidth is not None:
            self._bandwidth.consume(len(data))
        extra = {k: v for k, v in self._extra.items() if k not in NOT_FOR_PUT}
        self._result = self.call(self.client.put_object, Bucket=meta.bucket, Key=meta.key,
                                 Body=body, **extra)
        self.progress(len(data))

    def _create(self) -> None:
        params = {k: v for k, v in self._extra.items() if k not in NOT_FOR_CREATE}
        if self._checksum is not None:
            params.update(self._checksum.create_params())
        whole = full_object_algorithm(self._extra)
        if whole is not None:  # as s3transfer: the caller's value is checked on the complete
            params.update(ChecksumType="FULL_OBJECT", ChecksumAlgorithm=whole)
            self._extra = {**self._extra, "ChecksumType": "FULL_OBJECT"}
        meta = self.meta
        response = self.call(self.client.create_multipart_upload, Bucket=meta.bucket,
                             Key=meta.key, **params)
        self._upload_id = response["UploadId"]
        meta.extra["upload_id"] = self._upload_id

    def _file_part(self, number: int, offset: int, size: int) -> None:
        if self.failed:
            return
        if self._fd is not None and self._from_file():
            self._range_part(number, self._scanned(FileRange(self._fd, self._base + offset,
                                                             size)))
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

    def _from_file(self) -> bool:
        # A file is sent from its pages unless the part checksum is a caller's own object
        # (its part_params wants the part's bytes).
        from hub.checksums import PartChecksums  # loaded already when parts carry checksums

        return self._checksum is None or type(self._checksum) is PartChecksums

    def _scanned(self, body: FileRange) -> FileRange:
        # Over HTTP one pass over the range in cached blocks computes its checksum and (when
        # the body is signed, by default) its SHA-256, which ride on the body to the checksum
        # handler and the signer. Over TLS the checksum handler frames the range as
        # aws-chunked and its checksum goes in the trailer, computed as it is sent (as
        # botocore does): the file is read once.
        from hub.checksums import PartChecksums, new_checksum

        updates: list[Callable[[memoryview], Any]] = []
        running = None
        if self._checksum is not None and self._checksum_in_scan:
            assert isinstance(self._checksum, PartChecksums)
            running = new_checksum(self._checksum.algorithm)  # inline: blocks are reused
            updates.append(running.update)
        sha = hashlib.sha256() if self._hash_parts else None
        if sha is not None:
            updates.append(sha.update)
        if updates:  # else nothing needs the bytes before they are sent
            body.scan(*updates)
        if sha is not None:
            body.hub_payload_sha256 = sha.hexdigest()
        if running is not None:
            body.hub_checksum = (running.algorithm, running.b64digest())
        return body

    def _range_part(self, number: int, body: FileRange) -> None:
        checksum: dict[str, Any] = {}
        params: dict[str, Any] = {}
        member = None
        if body.hub_checksum is not None:
            checksum = {"Checksum" + body.hub_checksum[0]: body.hub_checksum[1]}
            params = checksum
        elif self._checksum is not None:  # over TLS: in the trailer, computed as it is sent
            from hub.checksums import PartChecksums

            assert isinstance(self._checksum, PartChecksums)
            params = {**self._checksum.create_params()}
            member = "Checksum" + self._checksum.algorithm
        if self.failed:
            return
        size = len(body)
        if self._bandwidth is not None:
            self._bandwidth.consume(size)
        response = self._put_part(number, body, params)
        if member is not None:
            framed = body.hub_framed
            value = (framed.checksum.b64digest() if framed is not None
                     else response.get(member))  # S3 echoes it (s3transfer reads it there)
            if value is not None:
                checksum = {member: value}
        self._record(number, response["ETag"], checksum, size)

    def _upload_part(self, number: int, data: bytes | memoryview) -> None:
        if self.failed:
            return
        checksum: Mapping[str, Any] = {}
        if self._checksum is not None:
            checksum = self._checksum.part_params(number, memoryview(data))
        response = self._put_part(number, self.body(data), checksum)
        self._record(number, response["ETag"], checksum, len(data))

    def _put_part(self, number: int, body: Any, params: Mapping[str, Any]) -> Any:
        # One UploadPart of this upload (holding a connection slot).
        meta = self.meta
        return self.call(self.client.upload_part, Bucket=meta.bucket, Key=meta.key,
                         UploadId=self._upload_id, PartNumber=number, Body=body,
                         **pick(self._extra, PART_ARGS), **params)

    def _record(self, number: int, etag: str, checksum: Mapping[str, Any], size: int) -> None:
        # A part is done: its entry for CompleteMultipartUpload, and its bytes for progress.
        with self._lock:
            self._parts[number] = {"ETag": etag, "PartNumber": number, **checksum}
            self._sizes[number] = size
        self.progress(size)

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
                         **pick(self._extra, COMPLETE_ARGS), **self._whole_value(parts))

    def _whole_value(self, parts: list[dict[str, Any]]) -> dict[str, str]:
        # A FULL_OBJECT upload the caller gave no value for: the whole object's CRC, joined
        # from the parts' CRCs, so that S3 checks the assembled object against what was read
        # (as the AWS CRT's transfer manager does). Not for a value the caller gave, nor a
        # composite upload, nor a SHA (a digest cannot be joined).
        if (self._extra.get("ChecksumType") != "FULL_OBJECT"
                or full_object_algorithm(self._extra) is not None or self._checksum is None):
            return {}
        from hub.checksums import PartChecksums, combine

        algorithm = self._checksum.algorithm if isinstance(self._checksum, PartChecksums) \
            else None
        if algorithm not in ("CRC32", "CRC32C", "CRC64NVME"):
            return {}
        member = "Checksum" + algorithm
        value: str | None = None
        for part in parts:
            if member not in part:
                return {}
            number = part["PartNumber"]
            value = part[member] if value is None else combine(
                algorithm, value, part[member], self._sizes[number])
        return {member: value} if value is not None else {}

    def cleanup(self) -> None:
        self._close()
        if self._upload_id is not None:
            meta = self.meta
            self.call(self.client.abort_multipart_upload, Bucket=meta.bucket, Key=meta.key,
                      UploadId=self._upload_id, **pick(self._extra, ABORT_ARGS))

    def _close(self) -> None:
        with self._fd_lock:
            fd, self._fd = self._fd, None
        if fd is not None and self._fileobj is None:
            os.close(fd)
