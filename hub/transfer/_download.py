"""Download to a file (a temporary file renamed into place) or a file object, with ranged
parallel GETs pinned to the ETag first seen.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Mapping
from typing import IO, Any, NoReturn

from hub._forksafe import at_fork_reinit
from hub._streaming import StreamingBody
from hub.errors import FlexibleChecksumError, HTTPClientError, ParamValidationError
from hub.transfer._config import TransferConfig
from hub.transfer._future import Submit, TransferMeta
from hub.transfer._io import FdWriter, OrderedWriter, SeekWriter
from hub.transfer._limits import Bandwidth
from hub.transfer._pump import pump
from hub.transfer._ranges import FileRange
from hub.transfer._tasks import TaskBase

__all__ = ["Download"]

# A smaller body is read by its worker to the end; a larger one, after a first read of
# _FIRST_READ bytes (at least http.client's buffer, so that read empties it), by the readers.
_PUMP_MIN = 1024 * 1024
_FIRST_READ = 16 * 1024


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
        # finish and cleanup may both reach for the fd and the temporary file (a failed finish
        # is followed by a cleanup): taking them under a lock closes the fd once, never a
        # number the process has since reused for another file.
        self._fd_lock = threading.Lock()
        self._temp: str | None = None
        self._writer: FdWriter | SeekWriter | OrderedWriter | None = None
        self._etag: str | None = None
        # (algorithm, base64 value): the object's full-object checksum, which a multipart
        # download is checked against: hub's own file is read back before it is renamed into
        # place; a caller's file object cannot be, so each range's CRC is computed as it is
        # written (_runs: offset, length, value) and the CRCs are combined at the end.
        self._whole: tuple[str, str] | None = None
        self._runs: list[tuple[int, int, str]] | None = None
        self._parallel = config.use_threads and config.max_concurrency > 1
        at_fork_reinit(self, Download._reset_fd_lock)

    def _reset_fd_lock(self) -> None:
        self._fd_lock = threading.Lock()

    def _take(self) -> tuple[int | None, str | None]:
        # The fd and the temporary file's name, taken once: whoever comes second gets None.
        with self._fd_lock:
            fd, self._fd = self._fd, None
            temp, self._temp = self._temp, None
        return fd, temp

    def start(self) -> None:
        # The first GET is a plain one (no Range, no HeadObject round trip before it): an
        # object of up to multipart_threshold bytes arrives whole in this one request, with
        # its checksum validated as boto3 validates a small download (S3 sends no checksum for
        # a ranged GET). A larger one tells its size and ETag; its first multipart_threshold
        # bytes are read from this response, the connection is dropped, and the rest goes in
        # ranged parts pinned to that ETag.
        meta = self.meta
        config = self.config
        first = config.multipart_threshold
        got = [0]  # bytes of the first range written so far
        params = dict(self._extra)
        if meta.etag is not None:  # provided (provide_object_etag): this version or a 412
            params["IfMatch"] = meta.etag
        with self._slots:
            response = self.client.get_object(Bucket=meta.bucket, Key=meta.key, **params)
            body = response["Body"]
            try:
                total = self._describe(response)
                part_size = config.part_size(total) if total > first else max(total, 1)
                self._open(part_size)
                if total > first:
                    self._expect_whole(response)
                self._drain(body, got, min(first, total))
            except HTTPClientError:
                pass  # the body broke: what is missing is asked for again below
            finally:
                body.close()
        head_end = min(first, total)
        if got[0] < head_end:
            self._get(0, got[0], head_end - got[0])
        for number, offset in enumerate(range(head_end, total, part_size), 1):
            self.spawn(self._get, number, offset, min(part_size, total - offset))

    def _describe(self, response: Mapping[str, Any]) -> int:
        # The object's size and ETag from the first answer (206 with Content-Range, or 200).
        meta = self.meta
        content_range = response.get("ContentRange")
        total = (int(content_range.rpartition("/")[2]) if content_range
                 else int(response.get("ContentLength") or 0))
        meta.size = total
        self._etag = response.get("ETag")
        meta.extra["etag"] = self._etag
        return total

    def _expect_whole(self, response: Mapping[str, Any]) -> None:
        whole = _full_object_checksum(response)
        if whole is None:
            return
        if self._temp is not None:
            self._whole = whole
        elif whole[0] in _COMBINABLE:  # a SHA digest cannot be assembled from ranges
            self._whole = whole
            self._runs = []

    def _open(self, part_size: int) -> None:
        target = self._target
        if isinstance(target, (str, os.PathLike)):
            final = os.fspath(target)
            temp = f"{final}.{secrets.token_hex(4)}.hubtmp"
            # Read back too: a full-object checksum is checked on the finished file.
            flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
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
        end = offset + size
        attempts = self.config.num_download_attempts
        while offset < end:
            if self.failed:
                return
            params["Range"] = f"bytes={offset}-{end - 1}"
            pos = [offset]
            with self._slots:
                response = self.client.get_object(Bucket=meta.bucket, Key=meta.key, **params)
                body = response["Body"]
                try:
                    self._drain(body, pos, end - offset)
                except HTTPClientError:
                    attempts -= 1
                    if attempts <= 0:
                        raise
                    offset = pos[0]
                    continue  # ask again for the rest of the range
                finally:
                    body.close()
            offset = pos[0]
            if offset >= end:
                return
            # The body ended early without an error: its length check raises instead, so
            # this is a server that lied about the range; ask again for the rest.
            attempts -= 1
            if attempts <= 0:
                raise HTTPClientError(f"GetObject {meta.key!r}: range ended at {offset}")

    def _drain(self, body: Any, pos: list[int], size: int) -> None:
        # Stream (at most) size bytes of a body into the writer from pos[0], keeping pos[0] at
        # the next offset (so after a read error the caller knows what arrived). The socket
        # fills one reused buffer (readinto: no bytes object per chunk), no larger than the
        # body; only an ordered writer, which may keep a chunk until the gap before it is
        # filled, gets a copy.
        writer = self._writer
        assert writer is not None
        bandwidth = self._bandwidth
        # A large body into hub's own file goes to the reader threads (_pump), when there are
        # other workers whose bodies they can read at the same time: after one small read
        # here, which takes the body bytes that came with the head.
        handover = (type(writer) is FdWriter and bandwidth is None and self._parallel
                    and size >= _PUMP_MIN)
        view = memoryview(bytearray(
            min(_FIRST_READ, size) if handover else max(1, min(self.config.io_chunksize, size))))
        # A file object checked against the whole object's CRC: the CRC of what this call
        # writes (one run of the object, from pos[0]) is kept for finish to combine, also when
        # the body breaks (the retry's run starts where this one ended).
        runs, running = self._runs, None
        if runs is not None:
            from hub.checksums import new_checksum

            assert self._whole is not None
            running = new_checksum(self._whole[0])
        start = pos[0]
        left = size  # the first GET's body runs on past its range: stop at the range's end
        try:
            while left > 0:
                if handover and left < size:
                    handover = False
                    sock = body._wait_socket() if type(body) is StreamingBody else None
                    if sock is not None:
                        pump.drain(body, sock, writer.fd, pos, left,  # type: ignore[union-attr]
                                   self.progress if self._callback is not None else None,
                                   lambda: self.failed)
                        return
                    view = memoryview(bytearray(max(1, min(self.config.io_chunksize, left))))
                n = body.readinto(view if left >= len(view) else view[:left])
                if not n:
                    return
                left -= n
                if bandwidth is not None:
                    bandwidth.consume(n)
                if isinstance(writer, OrderedWriter):
                    writer.write_at(pos[0], bytes(view[:n]))
                else:
                    writer.write_at(pos[0], view[:n])
                if running is not None:
                    running.update(view[:n])
                pos[0] += n
                self.progress(n)
                if self.failed:
                    return
        finally:
            if runs is not None and running is not None and pos[0] > start:
                run = (start, pos[0] - start, running.b64digest())
                with self._lock:
                    runs.append(run)

    def finish(self) -> Any:
        if self._runs is not None:
            assert self._whole is not None
            self._check_runs(*self._whole)
        elif self._whole is not None:
            self._check_whole(*self._whole)  # raises: cleanup then removes the temporary file
        fd, temp = self._take()
        if fd is not None:
            os.close(fd)
        if temp is not None:
            try:
                os.replace(temp, os.fspath(self._target))  # type: ignore[arg-type]
            except BaseException:
                _remove(temp)  # cleanup, which runs next, no longer knows the name
                raise
        return None

    def _check_whole(self, algorithm: str, expected: str) -> None:
        # One pass over the finished file, in order, through the worker's reused block
        # buffer (the parts arrived out of order, so their checksums could not be chained).
        from hub.checksums import new_checksum

        fd, size = self._fd, self.meta.size
        assert fd is not None and size is not None
        checksum = new_checksum(algorithm)
        scanned = FileRange(fd, 0, size).scan(checksum.update)
        computed = checksum.b64digest()
        if scanned != size or computed != expected:
            self._mismatch(algorithm, expected, computed, scanned)

    def _check_runs(self, algorithm: str, expected: str) -> None:
        # The runs' CRCs combined in object order; they tile the object (a retried range's run
        # starts where the broken one ended), so their total is the object's CRC.
        from hub.checksums import checksum, combine

        assert self._runs is not None
        computed, covered = checksum(algorithm, b""), 0
        for start, length, crc in sorted(self._runs):
            if start != covered:
                break  # a gap or an overlap: cannot be the object
            computed = combine(algorithm, computed, crc, length)
            covered += length
        if covered != self.meta.size or computed != expected:
            self._mismatch(algorithm, expected, computed, covered)

    def _mismatch(self, algorithm: str, expected: str, computed: str, count: int) -> NoReturn:
        raise FlexibleChecksumError(
            f"download of {self.meta.key!r}: the {algorithm} checksum {computed} of the "
            f"{count} bytes downloaded does not match the object's full-object checksum "
            f"{expected[:64]} (the data was damaged in transit)",
            algorithm=algorithm, expected=expected[:64], computed=computed,
            operation="GetObject")

    def cleanup(self) -> None:
        fd, temp = self._take()
        if fd is not None:
            os.close(fd)
        if temp is not None:
            _remove(temp)


_COMBINABLE = ("CRC32", "CRC32C", "CRC64NVME")


def _full_object_checksum(response: Mapping[str, Any]) -> tuple[str, str] | None:
    # What the client's response validation chose for the first GET (ResponseMetadata's
    # ChecksumAlgorithm: validation on, a native implementation, not a composite value): S3
    # sends the whole object's checksum for a GET without Range, none for ranged ones.
    meta = response.get("ResponseMetadata")
    algorithm = meta.get("ChecksumAlgorithm") if isinstance(meta, Mapping) else None
    if not isinstance(algorithm, str):
        return None
    if response.get("ChecksumType", "FULL_OBJECT") != "FULL_OBJECT":
        return None
    expected = response.get("Checksum" + algorithm.upper())
    return (algorithm.upper(), expected) if isinstance(expected, str) else None


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass

