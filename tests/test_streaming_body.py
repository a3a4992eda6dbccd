"""StreamingBody in the core (issue 10 §5) and the in-memory transport (issue 10 §6): an
io.IOBase that works under TextIOWrapper, keeps boto3's API, checks Content-Length with a typed
error, and releases its connection exactly once, whichever way it ends."""

from __future__ import annotations

import gc
import io
from collections.abc import Callable

import pytest

import hub
from hub import Config, HTTPRequest, Session
from hub.errors import ConnectionClosedError, ReadTimeoutError
from hub.services import StreamingBody
from hub.testing import MemoryResponse, MemoryTransport

TEXT = b"first line\nsecond line\r\nthird\xc3\xa9 line\nlast"


def s3_with(handler: Callable[[HTTPRequest], MemoryResponse]) -> tuple[MemoryTransport, object]:
    session = Session(Config(region="us-east-1", endpoint_url="http://memory.test",
                             credentials=hub.Credentials("AKID", "SECRET"), max_attempts=2))
    transport = MemoryTransport(handler).install(session)
    return transport, session.client("s3")


def body_of(data: bytes | list[bytes], **kwargs: object) -> tuple[MemoryTransport, StreamingBody]:
    transport, s3 = s3_with(lambda request: MemoryResponse(200, {"ETag": '"e"'}, data,
                                                           **kwargs))  # type: ignore[arg-type]
    body = s3.get_object(Bucket="b", Key="k")["Body"]  # type: ignore[attr-defined]
    assert isinstance(body, StreamingBody) and isinstance(body, io.IOBase)
    return transport, body


def test_it_is_a_readable_io_object() -> None:
    transport, body = body_of(TEXT)
    assert body.readable() and not body.writable() and not body.seekable()
    assert body.readline() == b"first line\n"
    assert body.read(6) == b"second"
    buffer = bytearray(6)
    assert body.readinto(buffer) == 6 and bytes(buffer) == b" line\r"
    assert body.tell() == 23
    assert body.readlines() == [b"\n", "third\u00e9 line\n".encode(), b"last"]
    assert body.read() == b""
    assert transport.bodies[0].releases == 1 and not transport.bodies[0].discarded
    body.close()
    assert body.closed and transport.bodies[0].releases == 1


def test_text_io_wrapper_reads_lines() -> None:
    _, body = body_of([TEXT[:7], TEXT[7:15], TEXT[15:]])  # chunked, split mid-line
    with io.TextIOWrapper(body, encoding="utf-8", newline=None) as text:
        assert list(text) == ["first line\n", "second line\n", "third\u00e9 line\n", "last"]
    assert body.closed


def test_boto3_api_chunks_and_lines() -> None:
    _, body = body_of(TEXT)
    assert next(iter(body)) == TEXT[:1024]  # iteration yields chunks, as in boto3
    _, body = body_of(TEXT)
    assert b"".join(body.iter_chunks(5)) == TEXT
    _, body = body_of(TEXT)
    assert list(body.iter_lines(chunk_size=4)) == [
        b"first line", b"second line", "third\u00e9 line".encode(), b"last"]
    _, body = body_of(TEXT)
    with body as same:
        assert same.read(5) == b"first"
    assert body.closed and body.read() == b""


def test_short_body_raises_a_typed_error() -> None:
    transport, body = body_of(b"only half", content_length=100)
    with pytest.raises(ConnectionClosedError):
        body.read()
    assert transport.bodies[0].releases == 1 and transport.bodies[0].discarded


@pytest.mark.parametrize("ending", ["read-to-end", "closed-early", "dropped-unread",
                                    "dropped-in-a-cycle", "closed-twice"])
def test_the_connection_is_released_exactly_once(ending: str) -> None:
    transport, body = body_of(b"z" * 5000)
    raw = transport.bodies[0]
    if ending == "read-to-end":
        body.read()
        body.close()
    elif ending == "closed-early":
        body.read(10)
        body.close()
    elif ending == "dropped-unread":
        del body
    elif ending == "dropped-in-a-cycle":
        cycle: list[object] = [body]
        cycle.append(cycle)
        del body, cycle
        gc.collect()
    else:
        body.close()
        body.close()
    gc.collect()
    assert raw.releases == 1
    assert raw.discarded is (ending != "read-to-end")


def test_memory_transport_runs_the_whole_pipeline() -> None:
    def handler(request: HTTPRequest) -> MemoryResponse:
        assert request.headers["X-Amz-Target"] == "DynamoDB_20120810.ListTables"
        authorization = request.headers["Authorization"]  # a SensitiveValue: repr hides it
        assert authorization.reveal().startswith("AWS4-HMAC-SHA256 Credential=AKID/")
        return MemoryResponse(200, {"x-amzn-RequestId": "r1"}, b'{"TableNames": ["t"]}')

    session = Session(Config(region="eu-west-1", credentials=hub.Credentials("AKID", "SECRET")))
    transport = MemoryTransport(handler).install(session)
    result = session.client("dynamodb").list_tables()
    assert result["TableNames"] == ["t"]
    assert result["ResponseMetadata"]["RequestId"] == "r1"
    assert [r.url for r in transport.requests] == ["https://dynamodb.eu-west-1.amazonaws.com/"]
    assert transport.requests[0].body == b"{}"


def test_memory_transport_faults_are_retried() -> None:
    calls: list[int] = []

    def handler(request: HTTPRequest) -> MemoryResponse:
        calls.append(1)
        if len(calls) == 1:
            raise ReadTimeoutError("simulated", endpoint=request.url)
        return MemoryResponse(200, {}, b"<ListAllMyBucketsResult><Buckets/>"
                                       b"</ListAllMyBucketsResult>")

    _, s3 = s3_with(handler)
    result = s3.list_buckets()  # type: ignore[attr-defined]
    assert result["Buckets"] == [] and result["ResponseMetadata"]["RetryAttempts"] == 1
    assert len(calls) == 2
