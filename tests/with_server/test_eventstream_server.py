"""Event streams over real sockets: S3 Select on moto and Lambda response streaming on a fake,
each in parity with boto3; connection ownership (read to the end: reused; closed early or
dropped: closed); and events handed out as they arrive, not when the body ends.
"""

from __future__ import annotations

import contextlib
import gc
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import pytest

import hub
from hub.errors import EventStreamError
from hub.protocols._eventstream import encode_message
from tests._threads import join_all
from tests.servers import recv_request
from tests.servers.local import LocalServer
from tests.servers.moto_server import MotoServer
from tests.servers.responses import Response

_CSV = b"name,city,age\nana,lisbon,31\nbo,oslo,45\ncy,lima,27\n" + b"zed,rome,50\n" * 300
_LINES = b"".join(json.dumps({"n": i, "tag": "even" if i % 2 == 0 else "odd"}).encode() + b"\n"
                  for i in range(200))


def _clients(url: str, service: str) -> tuple[Any, Any]:
    boto = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1",
    ).client(service, endpoint_url=url, config=botocore.config.Config(
        s3={"addressing_style": "path"}, retries={"max_attempts": 0}))
    ours = hub.Session(hub.Config(region="us-east-1", endpoint_url=url, max_attempts=1,
                                  credentials=hub.Credentials("testing", "testing")))
    return boto, ours.client(service)


def _drain(stream: Any) -> tuple[list[Any], Any]:
    events: list[Any] = []
    try:
        for item in stream:
            events.append(item)
    except (EventStreamError, botocore.exceptions.EventStreamError) as exc:
        return events, exc
    return events, None


def _without_metadata(response: dict[str, Any], member: str) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k not in (member, "ResponseMetadata")}


# --------------------------------------------------------------------------- S3 Select, moto

# moto's S3 Select (py-partiql-parser) answers these; it fails on WHERE over CSV.
@pytest.mark.parametrize(("key", "body", "params"), [
    ("people.csv", _CSV, {
        "Expression": "SELECT * FROM S3Object",
        "InputSerialization": {"CSV": {"FileHeaderInfo": "USE"}},
        "OutputSerialization": {"CSV": {}}}),
    ("people.csv", _CSV, {
        "Expression": "SELECT name FROM S3Object",
        "InputSerialization": {"CSV": {"FileHeaderInfo": "USE"}},
        "OutputSerialization": {"JSON": {"RecordDelimiter": "\n"}}}),
    ("people.csv", _CSV, {
        "Expression": "SELECT count(*) FROM S3Object",
        "InputSerialization": {"CSV": {"FileHeaderInfo": "USE"}},
        "OutputSerialization": {"CSV": {}}}),
    ("numbers.json", _LINES, {
        "Expression": "SELECT * FROM s3object s WHERE s.tag = 'even'",
        "InputSerialization": {"JSON": {"Type": "DOCUMENT"}},
        "OutputSerialization": {"JSON": {}}}),
])
def test_select_object_content_same_as_boto3(moto: MotoServer, key: str, body: bytes,
                                             params: dict[str, Any]) -> None:
    boto, ours = _clients(moto.url, "s3")
    boto.create_bucket(Bucket="sel")
    boto.put_object(Bucket="sel", Key=key, Body=body)
    call = {"Bucket": "sel", "Key": key, "ExpressionType": "SQL", **params}
    theirs = boto.select_object_content(**call)
    mine = ours.select_object_content(**call)
    assert isinstance(mine["Payload"], hub.services.EventStream)
    assert _without_metadata(mine, "Payload") == _without_metadata(theirs, "Payload")
    assert mine["ResponseMetadata"]["HTTPStatusCode"] == 200
    their_events, their_error = _drain(theirs["Payload"])
    with mine["Payload"] as stream:
        events, error = _drain(stream)
    assert events == their_events
    assert error is None and their_error is None
    assert any("Records" in e for e in events) and events[-1] == {"End": {}}
    records = b"".join(e["Records"]["Payload"] for e in events if "Records" in e)
    assert records  # the query selected something


def test_select_on_a_missing_key_raises_the_modeled_error(moto: MotoServer) -> None:
    boto, ours = _clients(moto.url, "s3")
    boto.create_bucket(Bucket="sel")
    call = {"Bucket": "sel", "Key": "nope.csv", "ExpressionType": "SQL",
            "Expression": "SELECT * FROM S3Object", "InputSerialization": {"CSV": {}},
            "OutputSerialization": {"CSV": {}}}
    with pytest.raises(botocore.exceptions.ClientError) as theirs:
        boto.select_object_content(**call)
    with pytest.raises(ours.exceptions.NoSuchKey) as mine:
        ours.select_object_content(**call)
    assert mine.value.code == theirs.value.response["Error"]["Code"] == "NoSuchKey"


# --------------------------------------------------------------------------- Lambda, a fake

_STREAM_PATH = "/2021-11-15/functions/echo/response-streaming-invocations"


def _event(kind: str, payload: bytes) -> bytes:
    return encode_message({":message-type": "event", ":event-type": kind,
                           ":content-type": "application/octet-stream"}, payload)


def _lambda_body(chunks: int) -> bytes:
    frames = [_event("PayloadChunk", f'{{"part": {i}}}'.encode() * (i + 1))
              for i in range(chunks)]
    frames.append(_event("InvokeComplete", b'{"LogResult": "bG9n"}'))
    return b"".join(frames)


def _chunked(body: bytes, size: int) -> bytes:
    pieces = [body[i:i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


_HEADERS = (("Content-Type", "application/vnd.amazon.eventstream"),
            ("X-Amz-Executed-Version", "$LATEST"), ("x-amzn-RequestId", "req-1"))


def _lambda_response(chunks: int = 4, *, chunked: bool = False,
                     body: bytes | None = None) -> Response:
    data = _lambda_body(chunks) if body is None else body
    if chunked:
        return Response(200, _chunked(data, 37),
                        (*_HEADERS, ("Transfer-Encoding", "chunked")))
    return Response(200, data, _HEADERS)


@pytest.fixture
def fake_lambda() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


@pytest.mark.parametrize("chunked", [False, True])
def test_invoke_with_response_stream_same_as_boto3(fake_lambda: LocalServer,
                                                   chunked: bool) -> None:
    fake_lambda.route(_STREAM_PATH, _lambda_response(chunked=chunked), method="POST")
    boto, ours = _clients(fake_lambda.url, "lambda")
    theirs = boto.invoke_with_response_stream(FunctionName="echo", Payload=b'{"a": 1}')
    mine = ours.invoke_with_response_stream(FunctionName="echo", Payload=b'{"a": 1}')
    assert _without_metadata(mine, "EventStream") == _without_metadata(theirs, "EventStream") \
        == {"StatusCode": 200, "ExecutedVersion": "$LATEST",
            "ResponseStreamContentType": "application/vnd.amazon.eventstream"}
    their_events, _ = _drain(theirs["EventStream"])
    events, error = _drain(mine["EventStream"])
    assert events == their_events and error is None
    assert events[0] == {"PayloadChunk": {"Payload": b'{"part": 0}'}}
    assert events[-1] == {"InvokeComplete": {"LogResult": "bG9n"}}
    sent = fake_lambda.requests[-1]
    assert sent.body == b'{"a": 1}' and sent.header("Authorization", "").startswith("AWS4")


def test_an_error_event_raises_event_stream_error_like_boto3(fake_lambda: LocalServer) -> None:
    body = _event("PayloadChunk", b"x") + encode_message(
        {":message-type": "error", ":error-code": "ServiceException",
         ":error-message": "the function crashed"})
    fake_lambda.route(_STREAM_PATH, _lambda_response(body=body, chunked=True), method="POST")
    boto, ours = _clients(fake_lambda.url, "lambda")
    their_events, theirs = _drain(
        boto.invoke_with_response_stream(FunctionName="echo")["EventStream"])
    events, mine = _drain(ours.invoke_with_response_stream(FunctionName="echo")["EventStream"])
    assert events == their_events == [{"PayloadChunk": {"Payload": b"x"}}]
    assert isinstance(mine, EventStreamError) and isinstance(mine, hub.errors.ClientError)
    assert mine.response == theirs.response
    assert str(mine) == str(theirs)


@pytest.mark.parametrize("chunked", [False, True])
def test_read_to_the_end_returns_the_connection(fake_lambda: LocalServer,
                                                chunked: bool) -> None:
    fake_lambda.route(_STREAM_PATH, _lambda_response(chunked=chunked), method="POST")
    _, ours = _clients(fake_lambda.url, "lambda")
    for _ in range(3):
        assert len(list(ours.invoke_with_response_stream(FunctionName="echo")["EventStream"])) \
            == 5
    assert fake_lambda.connections.accepted == 1
    assert fake_lambda.connections.requests_per_connection == {1: 3}


@pytest.mark.parametrize("how", ["close", "with", "drop"])
def test_an_unfinished_stream_closes_its_connection(fake_lambda: LocalServer, how: str) -> None:
    fake_lambda.route(_STREAM_PATH, _lambda_response(chunks=50, chunked=True), method="POST")
    _, ours = _clients(fake_lambda.url, "lambda")
    response = ours.invoke_with_response_stream(FunctionName="echo")
    stream = response.pop("EventStream")
    if how == "with":
        with stream:
            assert "PayloadChunk" in next(stream)
    elif how == "close":
        assert "PayloadChunk" in next(stream)
        stream.close()
        stream.close()  # idempotent
        assert list(stream) == []
    else:
        assert "PayloadChunk" in next(stream)
        del stream
        gc.collect()
    # The client closed its socket (the server saw it go), and the next call opens another.
    assert fake_lambda.wait_for_idle(10)
    assert len(list(ours.invoke_with_response_stream(FunctionName="echo")["EventStream"])) == 51
    assert fake_lambda.connections.accepted == 2


# --------------------------------------------------------------------------- as they arrive

class _TrickleServer:
    """Sends one event frame, then waits for the test to say it was received, then the next.

    A client that waited for more bytes than the frame it is decoding would never see the
    first event: the server gives up after ``patience`` seconds and drops the connection, and
    the client's read fails.
    """

    def __init__(self, frames: list[bytes], patience: float = 30.0) -> None:
        self.frames = frames
        self.received = [threading.Event() for _ in frames]
        self.gave_up = False
        self._patience = patience
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        conn, _ = self._listener.accept()
        with conn:
            if recv_request(conn) is None:
                return
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream"
                         b"\r\nTransfer-Encoding: chunked\r\n\r\n")
            for frame, received in zip(self.frames, self.received, strict=True):
                conn.sendall(b"%x\r\n%s\r\n" % (len(frame), frame))
                if not received.wait(self._patience):
                    self.gave_up = True
                    return
            conn.sendall(b"0\r\n\r\n")

    def stop(self) -> None:
        for event in self.received:
            event.set()
        with contextlib.suppress(OSError):  # wakes an accept() that close() alone would not
            self._listener.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._listener.close()
        join_all([self._thread])


def test_each_event_is_handed_out_before_the_next_is_sent() -> None:
    frames = [_event("PayloadChunk", b"a"), _event("PayloadChunk", b"b" * 5000),
              _event("InvokeComplete", b"{}")]
    server = _TrickleServer(frames)
    try:
        _, ours = _clients(server.url, "lambda")
        stream = ours.invoke_with_response_stream(FunctionName="echo")["EventStream"]
        seen = []
        for index, item in enumerate(stream):
            seen.append(item)
            server.received[index].set()  # only now does the server send the next frame
        assert seen == [{"PayloadChunk": {"Payload": b"a"}},
                        {"PayloadChunk": {"Payload": b"b" * 5000}},
                        {"InvokeComplete": {}}]
        assert not server.gave_up
    finally:
        server.stop()


def test_threads_sharing_a_client_each_read_their_own_stream(fake_lambda: LocalServer) -> None:
    from tests._threads import run_in_threads

    for n in range(8):
        fake_lambda.route(f"/2021-11-15/functions/fn{n}/response-streaming-invocations",
                          _lambda_response(chunks=n + 3, chunked=n % 2 == 0), method="POST")
    session = hub.Session(hub.Config(region="us-east-1", endpoint_url=fake_lambda.url,
                                     max_pool_connections=4,
                                     credentials=hub.Credentials("testing", "testing")))
    client = session.client("lambda")

    def work(index: int) -> None:
        n = index % 8
        for _ in range(5):
            events = list(client.invoke_with_response_stream(
                FunctionName=f"fn{n}")["EventStream"])
            assert len(events) == n + 4, (n, len(events))
            assert events[n] == {"PayloadChunk": {"Payload": f'{{"part": {n}}}'.encode()
                                                  * (n + 1)}}

    assert run_in_threads(16, work) == []
    assert len(fake_lambda.requests) == 80
    assert fake_lambda.connections.accepted <= 4  # streams read to the end were reused
