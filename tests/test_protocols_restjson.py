"""The rest-json protocol (Lambda, Glacier, API Gateway): exact wire forms and errors.

The generated parity tests (test_protocols_parity.py) compare hub with botocore on every
operation; these pin down the wire format itself on readable examples.
"""

from __future__ import annotations

import base64
import datetime
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.errors import ClientError, ResponseParseError, UnsupportedProtocolError
from hub.protocols import get_protocol
from hub.protocols._shapes import ShapeResolver, build_operation
from tests._protocol_gen import ENDPOINT, models

REST_JSON = get_protocol("rest-json")
LAMBDA, _ = models("lambda")
GLACIER, _ = models("glacier")
APIGW, _ = models("apigateway")
UTC = datetime.timezone.utc


def test_invoke_sends_the_payload_raw_with_headers_and_query() -> None:
    stream = io.BytesIO(b"{}")
    request = REST_JSON.serialize(LAMBDA.operations["Invoke"], {
        "FunctionName": "my fn", "InvocationType": "Event", "Qualifier": "$LATEST",
        "ClientContext": base64.b64encode(b'{"a":1}').decode(), "Payload": stream},
        endpoint=ENDPOINT, service=LAMBDA)
    assert request.method == "POST"
    assert request.url == ENDPOINT + "/2015-03-31/functions/my%20fn/invocations?Qualifier=%24LATEST"
    assert request.headers == {"X-Amz-Invocation-Type": "Event",
                               "X-Amz-Client-Context": "eyJhIjoxfQ=="}
    assert request.body is stream  # streamed as given; no Content-Type for a blob payload
    text = REST_JSON.serialize(LAMBDA.operations["Invoke"], {
        "FunctionName": "f", "Payload": '{"ü": 1}'}, endpoint=ENDPOINT, service=LAMBDA)
    assert text.body == '{"ü": 1}'.encode()


def test_json_body_members_and_content_type() -> None:
    request = REST_JSON.serialize(LAMBDA.operations["UpdateFunctionConfiguration"], {
        "FunctionName": "f", "Timeout": 30, "Environment": {"Variables": {"A": "1"}},
        "Layers": []}, endpoint=ENDPOINT, service=LAMBDA)
    assert request.method == "PUT"
    assert request.url == ENDPOINT + "/2015-03-31/functions/f/configuration"
    assert request.headers == {"Content-Type": "application/json"}
    assert isinstance(request.body, bytes)
    assert json.loads(request.body) == {"Timeout": 30, "Environment": {"Variables": {"A": "1"}},
                                        "Layers": []}
    # No body members given: still an empty JSON object, as botocore sends.
    empty = REST_JSON.serialize(LAMBDA.operations["UpdateFunctionConfiguration"],
                                {"FunctionName": "f"}, endpoint=ENDPOINT, service=LAMBDA)
    assert empty.body == b"{}" and empty.headers == {"Content-Type": "application/json"}
    # An operation with no body members at all sends nothing.
    get = REST_JSON.serialize(LAMBDA.operations["GetFunction"], {"FunctionName": "f"},
                              endpoint=ENDPOINT, service=LAMBDA)
    assert get.body == b"" and get.headers == {} and get.method == "GET"


def test_query_maps_lists_and_header_timestamps() -> None:
    request = REST_JSON.serialize(APIGW.operations["GetExport"], {
        "restApiId": "a", "stageName": "s", "exportType": "oas30",
        "parameters": {"extensions": "integrations", "x y": "ü"}, "accepts": "application/json"},
        endpoint=ENDPOINT, service=APIGW)
    assert request.url == (ENDPOINT + "/restapis/a/stages/s/exports/oas30"
                           "?extensions=integrations&x%20y=%C3%BC")
    assert request.headers == {"Accept": "application/json"}


def test_glacier_uri_labels_and_checksum_header() -> None:
    request = REST_JSON.serialize(GLACIER.operations["UploadArchive"], {
        "vaultName": "v", "accountId": "-", "checksum": "abc", "body": b"data",
        "archiveDescription": "d"}, endpoint=ENDPOINT, service=GLACIER)
    assert request.url == ENDPOINT + "/-/vaults/v/archives"
    assert request.headers == {"x-amz-archive-description": "d", "x-amz-sha256-tree-hash": "abc"}
    assert request.body == b"data"


def test_parse_status_headers_and_streaming_payload() -> None:
    op = LAMBDA.operations["Invoke"]
    assert REST_JSON.streaming_member(op) == "Payload"
    parsed = REST_JSON.parse(op, 202, {"X-Amz-Function-Error": "Unhandled",
                                       "X-Amz-Executed-Version": "$LATEST",
                                       "x-amzn-RequestId": "r"}, b"")
    meta = parsed.pop("ResponseMetadata")
    assert parsed == {"StatusCode": 202, "FunctionError": "Unhandled",
                      "ExecutedVersion": "$LATEST"}
    assert meta["RequestId"] == "r" and meta["HTTPStatusCode"] == 202


def test_parse_body_types() -> None:
    body = json.dumps({"FunctionName": "f", "CodeSize": 12, "Timeout": 3, "MemorySize": 128,
                       "LastModified": "2030-01-02T03:04:05.000+0000",
                       "Environment": {"Variables": {"K": "V"}},
                       "Layers": [{"Arn": "a", "CodeSize": 1}]}).encode()
    parsed = REST_JSON.parse(LAMBDA.operations["GetFunctionConfiguration"], 200, {}, body)
    assert parsed["CodeSize"] == 12 and parsed["Environment"] == {"Variables": {"K": "V"}}
    assert parsed["Layers"] == [{"Arn": "a", "CodeSize": 1}]
    vault = REST_JSON.parse(GLACIER.operations["DescribeVault"], 200, {},
                            b'{"VaultName": "v", "SizeInBytes": 5, "NumberOfArchives": 1}')
    assert vault["SizeInBytes"] == 5


@pytest.mark.parametrize(("headers", "body", "code"), [
    ({"x-amzn-ErrorType": "ResourceNotFoundException:http://internal.amazon.com/coral/x/"},
     b'{"Type": "User", "message": "Function not found: f"}', "ResourceNotFoundException"),
    ({}, b'{"code": "ResourceNotFoundException", "message": "Function not found: f"}',
     "ResourceNotFoundException"),
    ({}, b'{"__type": "com.amazon.coral#ResourceNotFoundException", "Message": "Function'
         b' not found: f"}', "ResourceNotFoundException"),
])
def test_error_code_sources(headers: dict[str, str], body: bytes, code: str) -> None:
    error = REST_JSON.parse_error(LAMBDA.operations["GetFunction"], 404,
                                  {"x-amzn-RequestId": "r", **headers}, body)
    assert isinstance(error, ClientError)
    assert (error.code, error.status_code, error.request_id) == (code, 404, "r")
    assert error.message == "Function not found: f"


def test_modeled_error_fields_from_body_and_headers() -> None:
    error = REST_JSON.parse_error(
        LAMBDA.operations["Invoke"], 429,
        {"x-amzn-ErrorType": "TooManyRequestsException", "Retry-After": "7"},
        b'{"message": "Rate exceeded", "Type": "User", "Reason": "ReservedFunction"}')
    assert error.code == "TooManyRequestsException"
    assert error.response["retryAfterSeconds"] == "7"
    assert error.response["Reason"] == "ReservedFunction"
    assert error.response["Type"] == "User"


def test_generic_and_unparseable_errors() -> None:
    op = LAMBDA.operations["GetFunction"]
    assert REST_JSON.parse_error(op, 502, {}, b"").code == "502"
    assert REST_JSON.parse_error(op, 503, {}, b"<html>busy</html>").message == \
        "Service Unavailable"
    bad = REST_JSON.parse_error(op, 400, {}, b"not json")
    assert bad.code == "400" and bad.message == "not json"


def test_output_event_streams_serialize_and_parse_input_ones_are_refused() -> None:
    # Output event streams are read by hub.protocols._events (tests/test_eventstream.py);
    # the protocol serializes the call and parses the located members.
    op = LAMBDA.operations["InvokeWithResponseStream"]
    assert op.event_stream_member == op.streaming_output_member == "EventStream"
    request = REST_JSON.serialize(op, {"FunctionName": "f"}, endpoint=ENDPOINT, service=LAMBDA)
    assert request.url.endswith("/functions/f/response-streaming-invocations")
    assert REST_JSON.parse(op, 200, {"X-Amz-Executed-Version": "1"}, b"")["ExecutedVersion"] \
        == "1"
    input_stream = {"metadata": {"protocol": "rest-json"}, "shapes": {
        "In": {"type": "structure", "payload": "Audio", "members": {
            "Audio": {"shape": "AudioStream"}}},
        "AudioStream": {"type": "structure", "eventstream": True, "members": {
            "Chunk": {"shape": "Chunk"}}},
        "Chunk": {"type": "structure", "event": True, "members": {
            "Bytes": {"shape": "Blob", "eventpayload": True}}},
        "Blob": {"type": "blob"}}}
    resolver = ShapeResolver(input_stream["shapes"])
    talk = build_operation("Talk", {"http": {"method": "POST", "requestUri": "/talk"},
                                    "input": {"shape": "In"}}, resolver)
    with pytest.raises(UnsupportedProtocolError, match="input event stream") as info:
        REST_JSON.serialize(talk, {}, endpoint=ENDPOINT, service=LAMBDA)
    assert info.value.operation == "Talk"
    assert info.value.protocol == "rest-json"


def test_malformed_bodies_raise_response_parse_error() -> None:
    op = LAMBDA.operations["GetFunctionConfiguration"]
    for body in (b"{", b"[1]", b'{"CodeSize": "big"}', b'{"Layers": {"a": 1}}', b"\xff",
                 b'{"LastModified": true}'):
        with pytest.raises(ResponseParseError) as info:
            REST_JSON.parse(op, 200, {}, body)
        assert info.value.operation == "GetFunctionConfiguration"

@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=200) | st.from_regex(
    r'\{("[A-Za-z]{1,8}": ?[0-9a-z"\[\]{}]{1,6},? ?){0,4}\}', fullmatch=True).map(str.encode))
def test_fuzzed_bodies_only_raise_response_parse_error(body: bytes) -> None:
    try:
        REST_JSON.parse(LAMBDA.operations["GetFunctionConfiguration"], 200, {}, body)
    except ResponseParseError:
        pass
    assert isinstance(REST_JSON.parse_error(LAMBDA.operations["GetFunction"], 400, {}, body),
                      ClientError)


def test_scalars_sent_as_strings_are_accepted_as_botocore_does() -> None:
    body = b'{"CodeSize": "12", "Timeout": 3.0, "MemorySize": 128}'
    parsed = REST_JSON.parse(LAMBDA.operations["GetFunctionConfiguration"], 200, {}, body)
    assert (parsed["CodeSize"], parsed["Timeout"], parsed["MemorySize"]) == (12, 3, 128)
    assert isinstance(parsed["Timeout"], int)
    # The json protocol keeps botocore's raw values and hub's strict types instead.
    from hub.protocols import jsonrpc

    ddb, _ = models("dynamodb")
    with pytest.raises(ResponseParseError):
        jsonrpc.parse(ddb.operations["Query"], 200, {}, b'{"Count": "2"}')
