"""Download to a file (a temporary file renamed into place) or a file object, with ranged
parallel GETs pinned to the ETag first seen.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from typing import IO, Any

from hub.errors import HTTPClientError, ParamValidationError
from hub.transfer._config import TransferConfig
from hub.transfer._future import Submit, TransferMeta
from hub.transfer._io import FdWriter, OrderedWriter, SeekWriter
from hub.transfer._limits import Bandwidth
from hub.transfer._tasks import TaskBase

__all__ = ["Download"]


class Download(TaskBase):
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
