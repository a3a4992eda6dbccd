"""A caller's body that fails while hub reads it before sending (to sign or checksum it, or to
rewind it for a retry): a typed error naming Body, nothing half-sent, no helper left reading
the file."""

from __future__ import annotations

import io
import os
import pickle
from typing import Any

import pytest

from hub import Config, Credentials, Session
from hub import _checksum_offload as offload
from hub import checksums as checksums_module
from hub.checksums import AwsChunkedReader, checksum, decode_aws_chunked
from hub.errors import ParamValidationError, RequestBodyError
from tests.servers.local import LocalServer
from tests.servers.responses import ok, server_error


def _s3(url: str, **settings: Any) -> Any:
    return Session(Config(region="us-east-1", endpoint_url=url,
                          credentials=Credentials("testing", "testing"), max_attempts=2,
                          **settings)).client("s3")


class FailingFile(io.FileIO):
    """A real file whose ``fail_on``-th read raises EIO."""

    fail_on = 3

    def __init__(self, path: Any) -> None:
        super().__init__(path, "rb")
        self.reads = 0

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        self.reads += 1
        if self.reads == self.fail_on:
            raise OSError(5, "Input/output error")
        return super().read(size)


@pytest.fixture
def big_file(tmp_path: Any) -> Any:
    path = tmp_path / "body"
    path.write_bytes(os.urandom(5 * 1024 * 1024))
    return path


@pytest.mark.parametrize("mode", ["when_required", "when_supported"])
def test_a_read_failing_before_the_send_raises_request_body_error(
        local_server: LocalServer, big_file: Any, mode: str) -> None:
    # when_required: the signer's SHA-256 pass reads it; when_supported: the checksum's pass.
    local_server.set_default(ok(b""))
    with FailingFile(big_file) as body, pytest.raises(RequestBodyError) as info:
        _s3(local_server.url, request_checksum_calculation=mode).put_object(
            Bucket="bkt", Key="k", Body=body)
    error = info.value
    assert isinstance(error, OSError)  # what boto3 would have let through, still catchable
    assert isinstance(error.__cause__, OSError) and error.__cause__.errno == 5
    assert error.field == "Body" and error.operation == "PutObject"
    assert "reading the request body (Body) failed" in str(error)
    assert "Input/output error" in str(error)
    assert body.reads == FailingFile.fail_on  # not retried: the body is the caller's
    assert local_server.requests == []  # nothing was sent
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is RequestBodyError and copy.field == "Body" and str(copy) == str(error)


def test_a_failing_read_waits_for_the_helper_reading_the_same_file(
        local_server: LocalServer, big_file: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The default install (zlib) checksums a file on a helper that reads its descriptor: the
    # error must not reach the caller (who then closes the file) while the helper still reads.
    monkeypatch.setattr(checksums_module, "_native", {"CRC32": None})
    pool = offload._Pool(1, "test-body-error-helper")
    monkeypatch.setattr(offload, "_POOL", pool)
    local_server.set_default(ok(b""))
    with FailingFile(big_file) as body, pytest.raises(RequestBodyError):
        _s3(local_server.url).put_object(Bucket="bkt", Key="k", Body=body)
    assert pool.threads() == 1
    assert len(pool._idle) == 1  # the helper finished its job and is idle again
    assert local_server.requests == []


def test_a_closed_file_is_refused_as_a_parameter(local_server: LocalServer,
                                                 big_file: Any) -> None:
    body = open(big_file, "rb")
    body.close()
    with pytest.raises(ParamValidationError) as info:
        _s3(local_server.url).put_object(Bucket="bkt", Key="k", Body=body)
    assert info.value.problems == [
        "Invalid value for parameter Body: the file object (BufferedReader) is closed"]
    assert local_server.requests == []


def test_a_seek_failing_when_a_retry_rewinds_raises_request_body_error(
        local_server: LocalServer, tmp_path: Any) -> None:
    path = tmp_path / "small"
    path.write_bytes(b"x" * 1000)
    local_server.set_default(server_error())  # retryable: the retry must rewind the body

    class NoRewind(io.FileIO):
        def seek(self, offset: int, whence: int = 0) -> int:
            if local_server.requests:  # the first attempt was sent: the rewind fails
                raise OSError(29, "Illegal seek")
            return super().seek(offset, whence)

    with NoRewind(path, "rb") as body, pytest.raises(RequestBodyError) as info:
        _s3(local_server.url).put_object(Bucket="bkt", Key="k", Body=body)
    assert info.value.__cause__ is not None and "Illegal seek" in str(info.value)
    assert len(local_server.requests) == 1


# --------------------------------------------------------------------------- iterable bodies

@pytest.mark.parametrize("mode", ["when_required", "when_supported"])
def test_str_chunks_go_as_utf8_with_or_without_a_checksum(local_server: LocalServer,
                                                          mode: str) -> None:
    # urllib3 sends a str chunk as UTF-8; the aws-chunked encoder (checksum on) used to fail
    # on one. Both now send the same bytes, and the trailer covers them.
    local_server.set_default(ok(b""))
    _s3(local_server.url, request_checksum_calculation=mode).put_object(
        Bucket="bkt", Key="k", Body=iter(["héllo ", b"w", None, "", "orld"]))
    sent = local_server.requests[-1]
    expected = "héllo world".encode()
    if mode == "when_supported":
        body, trailers = decode_aws_chunked(sent.body)
        assert body == expected
        assert trailers["x-amz-checksum-crc32"] == checksum("CRC32", expected)
    else:
        assert sent.body == expected


@pytest.mark.parametrize("mode", ["when_required", "when_supported"])
def test_a_chunk_that_is_not_bytes_raises_request_body_error(local_server: LocalServer,
                                                             mode: str) -> None:
    # bytes(3) is three zero bytes: an int chunk used to go out as that (checksum on) or fail
    # as a broken HTTP request (checksum off).
    local_server.set_default(ok(b""))
    with pytest.raises(RequestBodyError) as info:
        _s3(local_server.url, request_checksum_calculation=mode).put_object(
            Bucket="bkt", Key="k", Body=iter([b"abc", 3]))
    assert str(info.value) == (
        "PutObject: the request body (Body) gave a chunk of type int: a body's chunks must be "
        "bytes, bytearray, memoryview or str")
    assert info.value.operation == "PutObject" and info.value.field == "Body"
    assert not [r for r in local_server.requests if r.body.endswith(b"\x00\x00\x00")]


@pytest.mark.parametrize("mode", ["when_required", "when_supported"])
def test_a_failing_iterator_raises_request_body_error_with_its_cause(
        local_server: LocalServer, mode: str) -> None:
    local_server.set_default(ok(b""))

    def chunks() -> Any:
        yield b"first"
        raise ValueError("the source went away")

    with pytest.raises(RequestBodyError) as info:
        _s3(local_server.url, request_checksum_calculation=mode).put_object(
            Bucket="bkt", Key="k", Body=chunks())
    assert isinstance(info.value.__cause__, ValueError)
    assert "reading the request body (Body) failed: ValueError: the source went away" in str(
        info.value)


def test_the_aws_chunked_encoder_refuses_a_chunk_that_is_not_bytes() -> None:
    with pytest.raises(RequestBodyError, match="chunk of type int"):
        AwsChunkedReader(iter([b"a", 2]), "CRC32").read()
    assert AwsChunkedReader(iter(["é"]), "CRC32").read() == AwsChunkedReader(
        iter(["é".encode()]), "CRC32").read()


def test_map_error_passes_a_hub_error_urllib3_wrapped_through() -> None:
    from urllib3.exceptions import ProtocolError

    from hub._transport import map_error

    inner = RequestBodyError("x", operation="PutObject")
    assert map_error(ProtocolError("Connection aborted.", inner), "http://h/") is inner
