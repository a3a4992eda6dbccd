"""Every wire protocol against botocore's own serializers and parsers, on generated inputs.

hub's models are built from botocore's JSON models (so every operation of each service below
is covered, not only those hub ships). For each example hypothesis picks an operation and
generates parameters or a response value from its shapes -- timestamps, blobs, nested
lists/maps, flattened members, empty lists, unions, documents, unicode -- then:

* serialize: botocore's serializer and hub's protocol build the request; method, URL,
  headers, body (form bodies as sorted pairs, JSON decoded) and host prefix must match;
* parse: the value is rendered on the wire the way a service would (botocore's own XML/JSON
  writers, its header formatting); both parsers read it and the dicts must match;
* parse_error: an error body for a modeled (or unmodeled) error is rendered per protocol;
  code, message, extra ``Error`` fields, modeled fields and the request id must match.
"""

from __future__ import annotations

import datetime
import json
from typing import Any
from xml.etree import ElementTree

import botocore.model
import botocore.parsers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from urllib3 import HTTPHeaderDict

from hub.protocols import get_protocol
from tests._protocol_gen import (
    ENDPOINT,
    REQUEST_ID,
    TEXT,
    botocore_request,
    canonical_body,
    header_values,
    input_params,
    json_members,
    models,
    operation_names,
    output_value,
    sample_structure,
    xml_element,
    xml_members,
)

#: service -> protocol, covering every protocol hub speaks with several real models each.
SERVICES = {
    "sts": "query", "sns": "query", "iam": "query", "sdb": "query",
    "lambda": "rest-json", "glacier": "rest-json", "apigateway": "rest-json",
    "kms": "json", "secretsmanager": "json", "sqs": "json", "dynamodb": "json",
    "s3": "rest-xml", "route53": "rest-xml", "s3control": "rest-xml", "cloudfront": "rest-xml",
    "cloudformation": "query", "logs": "json", "eks": "rest-json",
}
EXAMPLES = 200
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
BASE_HEADERS = {"x-amzn-RequestId": REQUEST_ID}
# S3's GetBucketLocation body is a bare root element that botocore fills in a later handler;
# restxml has its own test for it. The deprecated GetBucketNotification names two members
# (Event, flattened Events) with the same element: its responses are ambiguous by model.
SKIP_PARSE = {("s3", "GetBucketLocation"), ("s3", "GetBucketNotification")}


def _protocol(service: str) -> str:
    ours, _ = models(service)
    assert ours.protocol == SERVICES[service]
    return ours.protocol


# --------------------------------------------------------------------------- serialize

def _check_serialize(service: str, name: str, params: dict[str, Any]) -> None:
    ours_model, theirs_model = models(service)
    theirs = botocore_request(service, name, params)
    protocol = get_protocol(_protocol(service))
    mine = protocol.serialize(ours_model.operations[name], params, endpoint=ENDPOINT,
                              service=ours_model)
    assert mine.method == theirs["method"]
    assert mine.url == theirs["url"]
    headers = dict(mine.headers)
    if "Content-MD5" not in theirs["headers"]:
        headers.pop("Content-MD5", None)  # botocore adds it in a later handler
    assert headers == dict(theirs["headers"])
    content_type = next((v for k, v in theirs["headers"].items()
                         if k.lower() == "content-type"), "")
    assert canonical_body(mine.body, content_type) == canonical_body(theirs["body"],
                                                                     content_type)
    assert mine.host_prefix == theirs["host_prefix"]


@pytest.mark.parametrize("service", sorted(SERVICES))
@SETTINGS
@given(data=st.data())
def test_serialize_matches_botocore(service: str, data: st.DataObject) -> None:
    _, theirs_model = models(service)
    name = data.draw(st.sampled_from(operation_names(service)), label="operation")
    params = data.draw(input_params(theirs_model.operation_model(name)), label="params")
    _check_serialize(service, name, params)


# --------------------------------------------------------------------------- parse

def _render(service: str, op: botocore.model.OperationModel,
            value: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    """Headers and body a service would send for the output ``value``."""
    protocol = SERVICES[service]
    shape = op.output_shape
    if protocol == "query":
        root = ElementTree.Element(f"{op.name}Response")
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper")
            node = ElementTree.SubElement(root, wrapper) if wrapper else root
            xml_members(shape, value, node)
        meta = ElementTree.SubElement(root, "ResponseMetadata")
        ElementTree.SubElement(meta, "RequestId").text = REQUEST_ID
        return {}, ElementTree.tostring(root, encoding="utf-8")
    if protocol == "json":
        return {}, json.dumps(json_members(shape, value) if shape else {}).encode()
    headers = header_values(shape, value)
    if shape is None:
        return headers, b""
    payload = shape.serialization.get("payload")
    if payload is not None:
        member = shape.members[payload]
        item = value.get(payload)
        if member.type_name in ("blob", "string"):
            if item is None:
                return headers, b""
            return headers, item if isinstance(item, bytes) else item.encode()
        if item is None:
            return headers, b""
        if protocol == "rest-json":
            return headers, json.dumps(json_members(member, item)).encode()
        element = xml_element(member, item, member.serialization.get("name", payload))
        return headers, ElementTree.tostring(element, encoding="utf-8")
    if protocol == "rest-json":
        return headers, json.dumps(json_members(shape, value)).encode()
    root = ElementTree.Element(shape.serialization.get("name", "Result"))
    xml_members(shape, value, root)
    return headers, ElementTree.tostring(root, encoding="utf-8")


def _botocore_parse(service: str, status: int, headers: dict[str, str], body: bytes,
                    shape: botocore.model.Shape | None) -> dict[str, Any]:
    parser = botocore.parsers.create_parser(SERVICES[service])
    parsed: dict[str, Any] = parser.parse(
        {"status_code": status, "headers": HTTPHeaderDict(headers), "body": body,
         "context": {"operation_name": "x"}}, shape)
    return parsed


def _check_parse(service: str, name: str, value: dict[str, Any]) -> None:
    ours_model, theirs_model = models(service)
    op = theirs_model.operation_model(name)
    headers, body = _render(service, op, value)
    headers = {**BASE_HEADERS, **headers}
    protocol = get_protocol(_protocol(service))
    our_op = ours_model.operations[name]
    streaming = protocol.streaming_member(our_op)
    if streaming is not None:
        # A blob payload is streamed: the caller attaches the stream (hub) or wraps the raw
        # body (botocore); both parse the headers from an empty body.
        body = b""
    theirs = _botocore_parse(service, 200, headers, body, op.output_shape)
    mine = protocol.parse(our_op, 200, headers, body)
    if streaming is not None:
        assert streaming not in mine
        theirs.pop(streaming, None)
    our_meta, their_meta = mine.pop("ResponseMetadata"), theirs.pop("ResponseMetadata")
    assert mine == theirs
    assert our_meta["RequestId"] == their_meta["RequestId"] == REQUEST_ID
    assert our_meta["HTTPStatusCode"] == their_meta["HTTPStatusCode"] == 200
    assert our_meta["HTTPHeaders"] == their_meta["HTTPHeaders"]


def _parse_operations(service: str) -> list[str]:
    _, theirs_model = models(service)
    return [n for n in operation_names(service)
            if theirs_model.operation_model(n).output_shape is not None
            and (service, n) not in SKIP_PARSE]


@pytest.mark.parametrize("service", sorted(SERVICES))
@SETTINGS
@given(data=st.data())
def test_parse_matches_botocore(service: str, data: st.DataObject) -> None:
    _, theirs_model = models(service)
    name = data.draw(st.sampled_from(_parse_operations(service)), label="operation")
    body_only = SERVICES[service] in ("query", "json")
    value = data.draw(output_value(theirs_model.operation_model(name).output_shape,
                                   body_only=body_only), label="value")
    _check_parse(service, name, value)


# --------------------------------------------------------------------------- errors

_RESERVED = {"code", "Code", "__type", "message", "Message", "Type", "RequestId", "HostId"}


def _render_error(service: str, shape: botocore.model.StructureShape | None, code: str,
                  message: str, value: dict[str, Any], *, message_key: str = "message",
                  style: str = "type", type_form: str = "{code}",
                  query_error: bool = False) -> tuple[dict[str, str], bytes]:
    """Headers and body of an error response as the service's protocol writes it."""
    protocol = SERVICES[service]
    headers = dict(BASE_HEADERS)
    if protocol == "query":
        root = ElementTree.Element("ErrorResponse")
        error = ElementTree.SubElement(root, "Error")
        ElementTree.SubElement(error, "Type").text = "Sender"
        ElementTree.SubElement(error, "Code").text = code
        ElementTree.SubElement(error, "Message").text = message
        if shape is not None:
            xml_members(shape, value, error)
        ElementTree.SubElement(root, "RequestId").text = REQUEST_ID
        return headers, ElementTree.tostring(root, encoding="utf-8")
    if protocol == "rest-xml":
        error = ElementTree.Element("Error")
        ElementTree.SubElement(error, "Code").text = code
        ElementTree.SubElement(error, "Message").text = message
        if shape is not None:
            xml_members(shape, value, error)
        return headers, ElementTree.tostring(error, encoding="utf-8")
    document: dict[str, Any] = {}
    if shape is not None:
        document.update(json_members(shape, value))
        headers.update(header_values(shape, value))
    document[message_key] = message
    if style == "type":
        document["__type"] = type_form.format(code=code)
    elif style == "header":
        headers["x-amzn-ErrorType"] = f"{code}:http://internal.amazon.com/coral/com.amazon/"
    else:
        document["code"] = code
    if query_error:
        # A query-compatible service names its old query code in a header.
        headers["x-amzn-query-error"] = f"AWS.SimpleQueueService.{code};Sender"
    return headers, json.dumps(document).encode()


def _modeled_value(shape: botocore.model.StructureShape, value: dict[str, Any]) -> dict[str, Any]:
    # Members named like the protocol's own error fields would collide with them.
    return {k: v for k, v in value.items()
            if shape.members[k].serialization.get("name", k) not in _RESERVED}


def _error_case(service: str, draw: Any) -> tuple[str, int, dict[str, str], bytes]:
    """(operation, status, headers, body) of a generated error response."""
    _, theirs_model = models(service)
    protocol = SERVICES[service]
    name = draw(st.sampled_from(operation_names(service)))
    op = theirs_model.operation_model(name)
    shapes = list(op.error_shapes)
    shape: botocore.model.StructureShape | None = draw(st.sampled_from(shapes)) if shapes \
        and draw(st.booleans()) else None
    code = shape.error_code if shape is not None else draw(
        st.from_regex(r"[A-Z][A-Za-z]{0,12}(Exception|Error)?", fullmatch=True))
    status = (shape.metadata.get("error", {}).get("httpStatusCode", 400)
              if shape is not None else draw(st.sampled_from([400, 403, 404, 409, 500])))
    message = draw(TEXT)
    value: dict[str, Any] = {}
    if shape is not None:
        value = _modeled_value(shape, draw(output_value(
            shape, body_only=protocol != "rest-json")))
    headers, body = _render_error(
        service, shape, code, message, value,
        message_key=draw(st.sampled_from(["message", "Message"])),
        style=draw(st.sampled_from(["type", "header", "body"] if protocol == "rest-json"
                                   else ["type"])),
        type_form=draw(st.sampled_from(["{code}", "com.amazonaws.x#{code}",
                                        "{code}:http://internal.amazon.com/"])),
        query_error=service == "sqs" and draw(st.booleans()))
    return name, status, headers, body


def _check_error(service: str, name: str, status: int, headers: dict[str, str],
                 body: bytes) -> None:
    ours_model, _ = models(service)
    protocol = get_protocol(_protocol(service))
    error = protocol.parse_error(ours_model.operations[name], status, headers, body)
    theirs = _botocore_error(service, name, status, headers, body)
    mine = dict(error.response)
    our_meta, their_meta = mine.pop("ResponseMetadata"), theirs.pop("ResponseMetadata")
    assert mine == theirs
    assert error.code == theirs["Error"]["Code"]
    assert error.message == (theirs["Error"]["Message"] or "")  # always a str in hub
    assert error.status_code == status and error.operation == name
    assert our_meta["RequestId"] == their_meta["RequestId"] == REQUEST_ID
    assert error.request_id == REQUEST_ID


def _botocore_error(service: str, name: str, status: int, headers: dict[str, str],
                    body: bytes) -> dict[str, Any]:
    _, theirs_model = models(service)
    op = theirs_model.operation_model(name)
    parsed = _botocore_parse(service, status, headers, body, op.output_shape)
    shape = theirs_model.shape_for_error_code(parsed["Error"]["Code"])
    if shape is not None:  # what botocore's endpoint does for modeled errors
        parsed.update(_botocore_parse(service, status, headers, body, shape))
    return parsed


@pytest.mark.parametrize("service", sorted(SERVICES))
@SETTINGS
@given(data=st.data())
def test_parse_error_matches_botocore(service: str, data: st.DataObject) -> None:
    _check_error(service, *_error_case(service, data.draw))


# --------------------------------------------------------------------------- pinned cases

UTC = datetime.timezone.utc
PINNED_PARSE: list[tuple[str, str, dict[str, Any]]] = [
    # xsi:type attribute in a namespaced element.
    ("s3", "GetObjectAcl", {"Owner": {"ID": "o"}, "Grants": [
        {"Grantee": {"Type": "CanonicalUser", "ID": "i", "DisplayName": "ü"},
         "Permission": "READ"}]}),
    # Flattened list in a query response, element named by its locationName.
    ("sdb", "GetAttributes", {"Attributes": [{"Name": "a", "Value": "1"},
                                             {"Name": "b", "Value": ""}]}),
    # Map in a query response; an empty list; a nested timestamp.
    ("sns", "GetTopicAttributes", {"Attributes": {"Policy": "{}", "Owner": "1"}}),
    ("iam", "ListUsers", {"Users": [], "IsTruncated": False}),
    ("sts", "AssumeRole", {"Credentials": {
        "AccessKeyId": "a", "SecretAccessKey": "s", "SessionToken": "t",
        "Expiration": datetime.datetime(2030, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)}}),
    # rest-json: header, statusCode and body members together; a union; a document.
    ("lambda", "GetFunctionConfiguration", {"FunctionName": "f", "Timeout": 3,
                                            "Environment": {"Variables": {}}}),
    # json: recursive AttributeValue with blobs and sets.
    ("dynamodb", "GetItem", {"Item": {"m": {"M": {"l": {"L": [{"B": b"\x00"}, {"NULL": True},
                                                              {"BS": [b"a", b""]}]}}}}}),
]


@pytest.mark.parametrize(("service", "name", "value"), PINNED_PARSE,
                         ids=[f"{s}-{n}" for s, n, _ in PINNED_PARSE])
def test_pinned_parse_cases(service: str, name: str, value: dict[str, Any]) -> None:
    _check_parse(service, name, value)


PINNED_SERIALIZE: list[tuple[str, str, dict[str, Any]]] = [
    ("sdb", "BatchPutAttributes", {"DomainName": "d", "Items": [
        {"Name": "i", "Attributes": [{"Name": "a", "Value": "v", "Replace": True}]}]}),
    ("sns", "SetSubscriptionAttributes", {"SubscriptionArn": "a", "AttributeName": "n"}),
    ("iam", "CreateRole", {"RoleName": "r", "AssumeRolePolicyDocument": "{}", "Tags": []}),
    ("s3control", "GetAccessPoint", {"AccountId": "123456789012", "Name": "ap"}),
    ("s3", "PutObjectAcl", {"Bucket": "b", "Key": "k", "AccessControlPolicy": {"Grants": [
        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
         "Permission": "READ"}], "Owner": {"ID": "o"}}}),
    ("sqs", "SendMessage", {"QueueUrl": "q", "MessageBody": "ü", "DelaySeconds": 1,
                            "MessageAttributes": {"a": {"DataType": "Binary",
                                                        "BinaryValue": b"\x00"}}}),
    ("apigateway", "GetExport", {"restApiId": "a", "stageName": "s", "exportType": "swagger",
                                 "parameters": {"k": "v w"}}),
    ("glacier", "InitiateJob", {"accountId": "-", "vaultName": "v", "jobParameters": {
        "Type": "inventory-retrieval", "InventoryRetrievalParameters": {
            "StartDate": "2020-01-01T00:00:00Z"}}}),
    ("lambda", "ListFunctions", {"MaxItems": 5, "Marker": "m/=", "FunctionVersion": "ALL"}),
]


@pytest.mark.parametrize(("service", "name", "params"), PINNED_SERIALIZE,
                         ids=[f"{s}-{n}" for s, n, _ in PINNED_SERIALIZE])
def test_pinned_serialize_cases(service: str, name: str, params: dict[str, Any]) -> None:
    _check_serialize(service, name, params)


# --------------------------------------------------------------------------- every operation

@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_operation_once(service: str) -> None:
    """Each operation of the model with every member set (request and response), and each
    modeled error of the service."""
    _, theirs_model = models(service)
    protocol = SERVICES[service]
    failures: list[str] = []
    for name in operation_names(service):
        op = theirs_model.operation_model(name)
        if op.input_shape is not None:
            try:
                _check_serialize(service, name, sample_structure(op.input_shape))
            except AssertionError as exc:
                failures.append(f"{name} serialize: {exc}")
        if op.output_shape is not None and (service, name) not in SKIP_PARSE:
            skip = ("statusCode", "uri", "querystring") + (
                ("header", "headers") if protocol in ("query", "json") else ())
            value = sample_structure(op.output_shape, inputs=False, skip_locations=skip)
            try:
                _check_parse(service, name, value)
            except AssertionError as exc:
                failures.append(f"{name} parse: {exc}")
    first = operation_names(service)[0]
    for shape in theirs_model.error_shapes:  # every modeled error, once
        status = shape.metadata.get("error", {}).get("httpStatusCode", 400)
        value = _modeled_value(shape, sample_structure(
            shape, inputs=False, skip_locations=() if protocol == "rest-json" else (
                "header", "headers", "statusCode")))
        headers, body = _render_error(service, shape, shape.error_code, "m ü", value)
        try:
            _check_error(service, first, status, headers, body)
        except AssertionError as exc:
            failures.append(f"{shape.name} error: {exc}")
    assert failures == []
