"""Event-stream responses: parsed as botocore's own response parser parses the same bytes.

Each case hands one byte stream, cut in pieces, to botocore's parser (``create_parser``, with a
raw stream as botocore's endpoint gives it) and to hub (the real client pipeline through a
``MemoryTransport``, or the protocol hook for a synthetic model), then compares the output,
every event and any ``EventStreamError``. Services: S3 ``SelectObjectContent`` (rest-xml),
Lambda ``InvokeWithResponseStream`` (rest-json), Bedrock ``ConverseStream`` (rest-json, modeled
exception events, a service loaded from botocore's data), Kinesis ``SubscribeToShard`` (json,
``initial-response``), and a synthetic model for header-bound members (no AWS model has them).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import botocore.exceptions
import botocore.model
import botocore.parsers
import botocore.session
import pytest
from hypothesis import given
from hypothesis import strategies as st

import hub
from hub._request import HTTPResponse
from hub.errors import (
    ConnectionClosedError,
    EventStreamChecksumError,
    EventStreamError,
    ResponseParseError,
    UnsupportedProtocolError,
)
from hub.protocols import get_protocol
from hub.protocols._events import EventStream, open_event_stream
from hub.protocols._eventstream import encode_message
from hub.protocols._shapes import ShapeResolver, build_operation
from hub.testing import MemoryResponse, MemoryTransport

_BOTOCORE = botocore.session.get_session()


def event(kind: str, payload: bytes = b"", **headers: Any) -> bytes:
    return encode_message({":message-type": "event", ":event-type": kind, **headers}, payload)


def error_frame(code: str, message: str) -> bytes:
    return encode_message({":message-type": "error", ":error-code": code,
                           ":error-message": message})


def exception_frame(kind: str, payload: bytes) -> bytes:
    return encode_message({":message-type": "exception", ":exception-type": kind,
                           ":content-type": "application/json"}, payload)


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)] or [b""]


class _BotocoreRaw:
    """What botocore's endpoint hands its parser for a streamed body (``.stream()``)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks
        self.closed = False

    def stream(self) -> Iterator[bytes]:
        yield from self._chunks

    def close(self) -> None:
        self.closed = True


def _drain(stream: Any) -> tuple[list[Any], Any]:
    events: list[Any] = []
    try:
        for item in stream:
            events.append(item)
    except (EventStreamError, botocore.exceptions.EventStreamError) as exc:
        return events, exc
    return events, None


def botocore_result(service: str, operation: str, headers: dict[str, str],
                    chunks: list[bytes], status: int = 200) -> tuple[dict[str, Any], list[Any],
                                                                     Any]:
    model = _BOTOCORE.get_service_model(service)
    return _botocore_parse(model, operation, headers, chunks, status)


def _botocore_parse(model: botocore.model.ServiceModel, operation: str,
                    headers: dict[str, str], chunks: list[bytes],
                    status: int = 200) -> tuple[dict[str, Any], list[Any], Any]:
    op = model.operation_model(operation)
    parser = botocore.parsers.create_parser(model.metadata["protocol"])
    parsed = parser.parse({"status_code": status, "headers": headers,
                           "body": _BotocoreRaw(chunks),
                           "context": {"operation_name": operation}}, op.output_shape)
    events, error = _drain(parsed.pop(_stream_member(op)))
    parsed.pop("ResponseMetadata", None)
    return parsed, events, error


def _stream_member(op: botocore.model.OperationModel) -> str:
    for name, shape in op.output_shape.members.items():
        if shape.serialization.get("eventstream"):
            return str(name)
    raise AssertionError("no event stream member")


def hub_result(client: Any, method: str, member: str,
               **params: Any) -> tuple[dict[str, Any], list[Any], Any, EventStream]:
    response = getattr(client, method)(**params)
    stream = response.pop(member)
    assert isinstance(stream, EventStream)
    response.pop("ResponseMetadata")
    events, error = _drain(stream)
    return response, events, error, stream


def assert_same_error(ours: Any, theirs: Any) -> None:
    if theirs is None:
        assert ours is None
        return
    assert isinstance(ours, EventStreamError) and isinstance(ours, hub.errors.ClientError)
    assert ours.response == theirs.response
    assert str(ours) == str(theirs)
    assert ours.code == theirs.response["Error"]["Code"]


def _session(handler: Any) -> tuple[hub.Session, MemoryTransport]:
    session = hub.Session(hub.Config(region="us-east-1",
                                     credentials=hub.Credentials("AKIDEXAMPLE", "secret")))
    transport = MemoryTransport(handler).install(session)
    return session, transport


# --------------------------------------------------------------------------- S3 Select

_SELECT = {"Bucket": "b", "Key": "k.csv", "Expression": "select * from s3object",
           "ExpressionType": "SQL", "InputSerialization": {"CSV": {}},
           "OutputSerialization": {"CSV": {}}}


def _stats(kind: str, scanned: int, processed: int, returned: int) -> bytes:
    xml = (f"<{kind}><BytesScanned>{scanned}</BytesScanned><BytesProcessed>{processed}"
           f"</BytesProcessed><BytesReturned>{returned}</BytesReturned></{kind}>")
    return event(kind, xml.encode(), **{":content-type": "text/xml"})


s3_events = st.lists(st.one_of(
    st.binary(max_size=500).map(lambda p: event("Records", p)),
    st.tuples(st.integers(0, 2**40), st.integers(0, 2**40), st.integers(0, 2**40)).map(
        lambda n: _stats("Stats", *n)),
    st.tuples(st.integers(0, 2**40), st.integers(0, 2**40), st.integers(0, 2**40)).map(
        lambda n: _stats("Progress", *n)),
    st.just(event("Cont")),
    st.just(event("SomeFutureEvent", b"<x/>")),  # unknown types are skipped by both
), max_size=12)


@given(s3_events, st.booleans(), st.integers(1, 700))
def test_select_object_content_parses_as_botocore(frames: list[bytes], fail: bool,
                                                   piece: int) -> None:
    tail = error_frame("InternalError", "We encountered an internal error.") if fail \
        else event("End")
    body = b"".join([*frames, tail])
    headers = {"x-amz-request-id": "req-1", "x-amz-id-2": "host-1"}
    session, transport = _session(lambda _: MemoryResponse(200, headers, _pieces(body, piece)))
    ours, events, error, stream = hub_result(session.client("s3"), "select_object_content",
                                             "Payload", **_SELECT)
    theirs, their_events, their_error = botocore_result("s3", "SelectObjectContent", headers,
                                                        _pieces(body, piece))
    assert ours == theirs
    assert events == their_events
    assert_same_error(error, their_error)
    # Read to its end (or ended by the error): the connection was released exactly once.
    assert transport.bodies[0].releases == 1
    assert repr(stream).endswith("closed>")


def test_select_request_is_serialized_and_events_are_bytes() -> None:
    body = event("Records", b"1,2\n") + _stats("Stats", 9, 9, 4) + event("End")
    session, transport = _session(lambda _: MemoryResponse(200, {}, body))
    response = session.client("s3").select_object_content(**_SELECT)
    with response["Payload"] as stream:
        assert next(stream) == {"Records": {"Payload": b"1,2\n"}}
        assert list(stream) == [
            {"Stats": {"Details": {"BytesScanned": 9, "BytesProcessed": 9, "BytesReturned": 4}}},
            {"End": {}}]
    sent = transport.requests[0]
    assert sent.method == "POST" and "select&select-type=2" in sent.url
    assert b"<Expression>select * from s3object</Expression>" in sent.body


# --------------------------------------------------------------------------- Lambda

lambda_events = st.lists(st.binary(max_size=300).map(lambda p: event("PayloadChunk", p)),
                         max_size=8)


@given(lambda_events, st.sampled_from([b"{}", b'{"ErrorCode": "Unhandled", "ErrorDetails": '
                                       b'"boom", "LogResult": "bG9n"}', b""]),
       st.integers(1, 300))
def test_invoke_with_response_stream_parses_as_botocore(frames: list[bytes], complete: bytes,
                                                         piece: int) -> None:
    body = b"".join([*frames, event("InvokeComplete", complete)])
    headers = {"X-Amz-Executed-Version": "$LATEST", "x-amzn-RequestId": "r-1",
               "Content-Type": "application/vnd.amazon.eventstream"}
    session, _ = _session(lambda _: MemoryResponse(200, headers, _pieces(body, piece)))
    ours, events, error, _ = hub_result(session.client("lambda"), "invoke_with_response_stream",
                                        "EventStream", FunctionName="f", Payload=b"{}")
    theirs, their_events, their_error = botocore_result("lambda", "InvokeWithResponseStream",
                                                        headers, _pieces(body, piece))
    assert ours == theirs == {"StatusCode": 200, "ExecutedVersion": "$LATEST",
                              "ResponseStreamContentType": "application/vnd.amazon.eventstream"}
    assert events == their_events
    assert error is None and their_error is None


# --------------------------------------------------------------------------- Bedrock (loaded)

def test_converse_stream_events_and_modeled_exception_as_botocore() -> None:
    frames = [
        event("messageStart", b'{"role": "assistant"}'),
        event("contentBlockDelta", b'{"delta": {"text": "Hel"}, "contentBlockIndex": 0}'),
        event("contentBlockDelta", b'{"delta": {"text": "lo"}, "contentBlockIndex": 0}'),
        event("contentBlockStop", b'{"contentBlockIndex": 0}'),
        event("messageStop", b'{"stopReason": "end_turn", '
                             b'"additionalModelResponseFields": {"a": [1, {"b": null}]}}'),
        event("metadata", b'{"usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5},'
                          b' "metrics": {"latencyMs": 12}}'),
        exception_frame("throttlingException", b'{"message": "Too many tokens"}'),
    ]
    body = b"".join(frames)
    headers = {"x-amzn-RequestId": "r-2"}
    session, transport = _session(lambda _: MemoryResponse(200, headers, _pieces(body, 13)))
    ours, events, error, _ = hub_result(
        session.client("bedrock-runtime"), "converse_stream", "stream", modelId="m",
        messages=[{"role": "user", "content": [{"text": "hi"}]}])
    theirs, their_events, their_error = botocore_result("bedrock-runtime", "ConverseStream",
                                                        headers, _pieces(body, 13))
    assert ours == theirs
    assert events == their_events and len(events) == 6
    assert_same_error(error, their_error)
    assert error.code == "throttlingException" and error.message == "Too many tokens"
    assert transport.bodies[0].releases == 1


def test_an_exception_type_the_model_lacks_uses_the_error_headers() -> None:
    body = encode_message({":message-type": "exception", ":exception-type": "newException",
                           ":error-code": "Odd", ":error-message": "odd"}, b'{"message": "x"}')
    session, _ = _session(lambda _: MemoryResponse(200, {}, body))
    _, events, error, _ = hub_result(
        session.client("bedrock-runtime"), "converse_stream", "stream", modelId="m",
        messages=[{"role": "user", "content": [{"text": "hi"}]}])
    theirs = botocore_result("bedrock-runtime", "ConverseStream", {}, [body])
    assert events == [] and error.response == {"Error": {"Code": "Odd", "Message": "odd"}}
    assert_same_error(error, theirs[2])


# --------------------------------------------------------------------------- Kinesis (json)

def _kinesis_frames() -> list[bytes]:
    record = {"SequenceNumber": "1", "ApproximateArrivalTimestamp": 1700000000.5,
              "Data": "aGVsbG8=", "PartitionKey": "p"}
    return [
        event("initial-response", b'{"Extra": 1}'),
        event("SubscribeToShardEvent", json.dumps({
            "Records": [record], "ContinuationSequenceNumber": "2",
            "MillisBehindLatest": 0}).encode()),
        event("SubscribeToShardEvent", json.dumps({
            "Records": [], "ContinuationSequenceNumber": "3", "MillisBehindLatest": 5,
            "ChildShards": [{"ShardId": "s2", "ParentShards": ["s1"],
                             "HashKeyRange": {"StartingHashKey": "0",
                                              "EndingHashKey": "9"}}]}).encode()),
    ]


@pytest.mark.parametrize("piece", [1, 7, 4096])
def test_subscribe_to_shard_reads_the_initial_response_as_botocore(piece: int) -> None:
    body = b"".join(_kinesis_frames())
    headers = {"x-amzn-RequestId": "r-3"}
    session, _ = _session(lambda _: MemoryResponse(200, headers, _pieces(body, piece)))
    ours, events, error, _ = hub_result(
        session.client("kinesis"), "subscribe_to_shard", "EventStream", ConsumerARN="arn:c",
        ShardId="s1", StartingPosition={"Type": "LATEST"})
    theirs, their_events, their_error = botocore_result("kinesis", "SubscribeToShard",
                                                        headers, _pieces(body, piece))
    assert ours == theirs == {}  # read as the output shape: unmodeled keys are dropped
    assert events == their_events
    assert events[0]["SubscribeToShardEvent"]["Records"][0]["Data"] == b"hello"
    stamp = events[0]["SubscribeToShardEvent"]["Records"][0]["ApproximateArrivalTimestamp"]
    assert isinstance(stamp, datetime.datetime)
    assert error is None and their_error is None


def test_json_stream_without_initial_response_is_a_parse_error() -> None:
    session, transport = _session(
        lambda _: MemoryResponse(200, {}, b"".join(_kinesis_frames()[1:])))
    with pytest.raises(ResponseParseError, match="initial-response"):
        session.client("kinesis", hub.Config(max_attempts=1)).subscribe_to_shard(
            ConsumerARN="arn:c", ShardId="s1", StartingPosition={"Type": "LATEST"})
    assert transport.bodies[0].discarded  # its connection is not reused half-read


# --------------------------------------------------------------------------- header members

_SYNTHETIC = {
    "version": "2.0",
    "metadata": {"apiVersion": "2024-01-01", "endpointPrefix": "ev", "protocol": "rest-json",
                 "protocols": ["rest-json"], "serviceId": "Ev", "signatureVersion": "v4",
                 "uid": "ev-2024-01-01"},
    "operations": {"Watch": {"name": "Watch", "http": {"method": "GET", "requestUri": "/w"},
                             "input": {"shape": "WatchRequest"},
                             "output": {"shape": "WatchResponse"}}},
    "shapes": {
        "WatchRequest": {"type": "structure", "members": {}},
        "WatchResponse": {"type": "structure", "payload": "Events", "members": {
            "Events": {"shape": "Events"},
            "Mode": {"shape": "String", "location": "header", "locationName": "x-mode"}}},
        "Events": {"type": "structure", "eventstream": True, "members": {
            "Tick": {"shape": "Tick"}, "Note": {"shape": "Note"}, "Raw": {"shape": "Raw"},
            "Boom": {"shape": "Boom"}}},
        "Tick": {"type": "structure", "event": True, "members": {
            "Seq": {"shape": "Long", "eventheader": True},
            "Flag": {"shape": "Boolean", "eventheader": True},
            "At": {"shape": "Time", "eventheader": True},
            "Who": {"shape": "String", "eventheader": True},
            "Body": {"shape": "Detail", "eventpayload": True}}},
        "Note": {"type": "structure", "event": True, "members": {
            "Text": {"shape": "String", "eventpayload": True},
            "Tag": {"shape": "Blob", "eventheader": True}}},
        "Raw": {"type": "structure", "event": True, "members": {
            "Count": {"shape": "Long"}, "When": {"shape": "Time"}}},
        "Boom": {"type": "structure", "exception": True, "members": {
            "Message": {"shape": "String"}}},
        "Detail": {"type": "structure", "members": {"Items": {"shape": "List"}}},
        "List": {"type": "list", "member": {"shape": "String"}},
        "String": {"type": "string"}, "Long": {"type": "long"}, "Boolean": {"type": "boolean"},
        "Time": {"type": "timestamp"}, "Blob": {"type": "blob"},
    },
}


def _synthetic_hub(chunks: list[bytes], protocol: str = "rest-json") -> tuple[dict[str, Any],
                                                                               list[Any], Any]:
    resolver = ShapeResolver(_SYNTHETIC["shapes"])
    op = build_operation("Watch", _SYNTHETIC["operations"]["Watch"], resolver)
    raw = _Raw(chunks)
    response = HTTPResponse(status=200, headers={"x-mode": "live"}, raw=raw)
    data = open_event_stream(op, get_protocol(protocol), response, "http://h/w?q=1")
    events, error = _drain(data.pop("Events"))
    data.pop("ResponseMetadata")
    assert raw.releases == 1
    return data, events, error


class _Raw:
    """A RawBody over chunks, counting how it ended."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._data = b"".join(chunks)
        self.done = False
        self.releases = 0
        self.discarded = False

    def read(self, amt: int | None = None) -> bytes:
        if self.done:
            return b""
        size = len(self._data) if amt is None else amt
        data, self._data = self._data[:size], self._data[size:]
        if not data:
            self.done = True
            self.releases += 1
        return data

    def release(self) -> None:
        if not self.done:
            self.discard()

    def discard(self) -> None:
        if not self.done:
            self.done = self.discarded = True
            self.releases += 1


def test_header_bound_members_payload_members_and_body_members_as_botocore() -> None:
    moment = datetime.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc)
    frames = [
        event("Tick", b'{"Items": ["a", "b"]}', Seq=("long", 2**40), Flag=False, At=moment,
              Who="me"),
        event("Tick", b"", Seq=("integer", 5)),  # an empty structure payload is {}
        event("Note", "héllo".encode(), Tag=b"\x00\x01"),
        event("Raw", b'{"Count": 3, "When": 1700000000}', Extra="ignored"),
        exception_frame("Boom", b'{"Message": "it broke"}'),
    ]
    body = b"".join(frames)
    ours, events, error = _synthetic_hub(_pieces(body, 5))
    model = botocore.model.ServiceModel(_SYNTHETIC, service_name="ev")
    theirs, their_events, their_error = _botocore_parse(model, "Watch", {"x-mode": "live"},
                                                        _pieces(body, 5))
    assert ours == theirs == {"Mode": "live"}
    # botocore hands a timestamp header over as milliseconds and turns it into a datetime for
    # a timestamp member; hub's decoder already has the datetime. Both end the same.
    assert events == their_events
    assert events[0] == {"Tick": {"Seq": 2**40, "Flag": False, "At": moment, "Who": "me",
                                  "Body": {"Items": ["a", "b"]}}}
    assert_same_error(error, their_error)


def _synthetic_stream(chunks: list[bytes]) -> tuple[EventStream, _Raw]:
    resolver = ShapeResolver(_SYNTHETIC["shapes"])
    op = build_operation("Watch", _SYNTHETIC["operations"]["Watch"], resolver)
    raw = _Raw(chunks)
    data = open_event_stream(op, get_protocol("rest-json"),
                             HTTPResponse(status=200, headers={}, raw=raw), "http://h/w?q=1")
    return data["Events"], raw


def test_truncated_and_corrupt_streams_are_typed_errors() -> None:
    whole = event("Tick", b"{}", Seq=("integer", 1))
    stream, raw = _synthetic_stream([whole, whole[:20]])
    assert next(stream) == {"Tick": {"Seq": 1, "Body": {}}}
    with pytest.raises(ConnectionClosedError,
                       match=r"from http://h/w ended inside a message \(20 bytes"):
        next(stream)
    assert raw.releases == 1
    bad = bytearray(whole)
    bad[-2] ^= 0xFF
    stream, raw = _synthetic_stream([whole, bytes(bad), whole])
    assert next(stream) == {"Tick": {"Seq": 1, "Body": {}}}
    with pytest.raises(EventStreamChecksumError) as caught:
        next(stream)
    assert caught.value.operation == "Watch" and caught.value.field == "message_crc"
    assert raw.discarded  # the rest of a corrupt stream is never read, nor reused
    assert list(stream) == []


def test_early_close_discards_and_read_to_end_releases() -> None:
    body = event("Tick", b"{}") * 3
    stream, raw = _synthetic_stream([body])
    with stream:
        assert next(stream) == {"Tick": {"Body": {}}}
    assert raw.discarded and raw.releases == 1
    assert list(stream) == []  # closed: nothing more, no error
    stream.close()
    assert raw.releases == 1
    stream, raw = _synthetic_stream([body])
    assert len(list(stream)) == 3
    stream.close()
    assert not raw.discarded and raw.releases == 1


def test_input_event_streams_are_refused_with_a_typed_error() -> None:
    session, transport = _session(lambda _: MemoryResponse(200, {}, b""))
    client = session.client("bedrock-runtime")
    with pytest.raises(UnsupportedProtocolError, match="input event stream") as caught:
        client.invoke_model_with_bidirectional_stream(modelId="m", body=iter(()))
    assert caught.value.operation == "InvokeModelWithBidirectionalStream"
    assert caught.value.protocol == "rest-json"
    assert "HTTP/2" in str(caught.value)
    assert transport.requests == []


def test_query_protocol_refuses_event_streams() -> None:
    resolver = ShapeResolver(_SYNTHETIC["shapes"])
    op = build_operation("Watch", _SYNTHETIC["operations"]["Watch"], resolver)
    with pytest.raises(UnsupportedProtocolError, match="not query"):
        get_protocol("query").parse(op, 200, {}, b"")


def test_event_stream_error_pickles_and_is_a_client_error() -> None:
    import pickle

    error = EventStreamError("Boom", "it broke", status_code=200, operation="Watch",
                             response={"Error": {"Code": "Boom", "Message": "it broke"}})
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is EventStreamError and copy.response == error.response
    assert str(copy) == "An error occurred (Boom) when calling the Watch operation: it broke"
