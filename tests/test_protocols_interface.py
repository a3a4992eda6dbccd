"""The WireProtocol interface, get_protocol, the lazy shape model, and the shared REST/JSON
pieces on a small synthetic model (features no single real model shows together)."""

from __future__ import annotations

import base64
import datetime
import email.utils
import json
import math
from typing import Any

import botocore.loaders
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.errors import (
    ConfigError,
    ParamValidationError,
    ResponseParseError,
    UnsupportedProtocolError,
)
from hub.protocols import (
    SUPPORTED_PROTOCOLS,
    WireProtocol,
    apply_host_prefix,
    choose_protocol,
    get_protocol,
)
from hub.protocols._shapes import (
    LazyErrorShapes,
    ShapeResolver,
    build_operation,
    build_service_model,
)
from tests._protocol_gen import ENDPOINT, models
from tests._threads import run_in_threads

UTC = datetime.timezone.utc

META = {"apiVersion": "2020-01-01", "endpointPrefix": "demo", "protocol": "rest-json",
        "protocols": ["rest-json"], "targetPrefix": "Demo_2020", "jsonVersion": "1.1"}
SHAPES: dict[str, dict[str, Any]] = {
    "In": {"type": "structure", "required": ["Id", "Account"], "members": {
        "Id": {"shape": "Str", "location": "uri", "locationName": "id"},
        "Account": {"shape": "Str", "hostLabel": True},
        "Doc": {"shape": "Doc", "location": "header", "locationName": "x-doc",
                "jsonvalue": True},
        "Since": {"shape": "Time", "location": "header", "locationName": "x-since"},
        "Flags": {"shape": "BoolList", "location": "header", "locationName": "x-flags"},
        "Ratio": {"shape": "Dbl"},
        "Any": {"shape": "Document"},
        "Choice": {"shape": "Choice"},
        "Token": {"shape": "Str", "idempotencyToken": True},
    }},
    "Out": {"type": "structure", "members": {
        "Count": {"shape": "Int", "location": "header", "locationName": "x-count"},
        "Since": {"shape": "Time", "location": "header", "locationName": "x-since"},
        "Flags": {"shape": "BoolList", "location": "header", "locationName": "x-flags"},
        "Doc": {"shape": "Doc", "location": "header", "locationName": "x-doc",
                "jsonvalue": True},
        "Meta": {"shape": "StrMap", "location": "headers", "locationName": "x-meta-"},
        "Ratio": {"shape": "Dbl"},
        "Any": {"shape": "Document"},
        "Choice": {"shape": "Choice"},
        "Items": {"shape": "NodeList"},
    }},
    "Node": {"type": "structure", "members": {"Child": {"shape": "Node"},
                                              "Name": {"shape": "Str"}}},
    "NodeList": {"type": "list", "member": {"shape": "Node"}},
    "Choice": {"type": "structure", "union": True, "members": {
        "A": {"shape": "Str"}, "B": {"shape": "Int"}}},
    "Document": {"type": "structure", "members": {}, "document": True},
    "Doc": {"type": "string"},
    "Str": {"type": "string"},
    "Int": {"type": "integer"},
    "Dbl": {"type": "double"},
    "Time": {"type": "timestamp"},
    "BoolList": {"type": "list", "member": {"shape": "Bool"}},
    "Bool": {"type": "boolean"},
    "StrMap": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}},
    "Oops": {"type": "structure", "exception": True, "error": {"code": "Oops.Code",
                                                               "httpStatusCode": 409},
             "members": {"Detail": {"shape": "Str"}}},
    "Unused": {"type": "structure", "members": {"X": {"shape": "Str"}}},
}
OPERATIONS: dict[str, dict[str, Any]] = {
    "Put": {"name": "Put", "http": {"method": "PUT", "requestUri": "/things/{id}"},
            "input": {"shape": "In"}, "output": {"shape": "Out"},
            "endpoint": {"hostPrefix": "{Account}.data-"}, "errors": [{"shape": "Oops"}]},
}
DEMO = build_service_model("demo", META, OPERATIONS, SHAPES, {})
PUT = DEMO.operations["Put"]
REST_JSON = get_protocol("rest-json")


# --------------------------------------------------------------------------- interface

@pytest.mark.parametrize("name", SUPPORTED_PROTOCOLS)
def test_get_protocol_returns_one_shared_object(name: str) -> None:
    protocol = get_protocol(name)
    assert protocol is get_protocol(name)
    assert protocol.name == name
    checked: WireProtocol = protocol  # the objects satisfy the Protocol statically too
    for method in ("serialize", "parse", "parse_error", "streaming_member"):
        assert callable(getattr(checked, method))


@pytest.mark.parametrize("name", ["ec2", "smithy-rpc-v2-cbor", "rest-xmlish"])
def test_unsupported_protocols_raise_a_typed_error(name: str) -> None:
    with pytest.raises(UnsupportedProtocolError, match=name) as info:
        get_protocol(name)
    assert info.value.protocol == name and info.value.field == "protocol"
    assert isinstance(info.value, ConfigError)


def test_choose_protocol_prefers_one_hub_speaks() -> None:
    assert choose_protocol({"protocol": "smithy-rpc-v2-cbor",
                            "protocols": ["smithy-rpc-v2-cbor", "json", "query"]}) == "json"
    assert choose_protocol({"protocol": "query"}) == "query"
    assert choose_protocol({"protocol": "ec2", "protocols": ["ec2"]}) == "ec2"
    cloudwatch = botocore.loaders.create_loader().load_service_model("cloudwatch", "service-2")
    assert choose_protocol(cloudwatch["metadata"]) == "json"


def test_protocols_are_safe_to_share_between_threads() -> None:
    sts, _ = models("sts")
    query = get_protocol("query")
    op = sts.operations["AssumeRole"]
    params = {"RoleArn": "arn:r", "RoleSessionName": "s", "Tags": [{"Key": "k", "Value": "v"}]}
    body = (b"<AssumeRoleResponse><AssumeRoleResult><PackedPolicySize>3</PackedPolicySize>"
            b"</AssumeRoleResult></AssumeRoleResponse>")
    expected = query.serialize(op, params, endpoint=ENDPOINT, service=sts).body
    results: list[tuple[Any, Any]] = []

    def work(index: int) -> None:
        for _ in range(200):
            request = query.serialize(op, params, endpoint=ENDPOINT, service=sts)
            parsed = query.parse(op, 200, {}, body)
            results.append((request.body, parsed["PackedPolicySize"]))

    assert run_in_threads(8, work) == []
    assert len(results) == 1600
    assert set(results) == {(expected, 3)}


# --------------------------------------------------------------------------- lazy shapes

def test_resolver_builds_only_what_an_operation_reaches() -> None:
    resolver = ShapeResolver(SHAPES)
    errors = LazyErrorShapes(resolver)
    op = build_operation("Put", OPERATIONS["Put"], resolver, error_shapes=errors)
    built = set(resolver.built())
    assert "Unused" not in built and "Oops" not in built
    assert {"In", "Out", "Node", "NodeList", "Choice"} <= built
    node = resolver.shape("Node")
    child = node.members["Child"]
    assert child.shape is node  # a cycle, built once
    assert list(errors) == ["Oops.Code"] and "Oops" not in resolver.built()
    assert op.error_shapes["Oops.Code"].error_status == 409
    assert "Oops" in resolver.built()
    assert op.host_prefix == "{Account}.data-" and op.input is resolver.shape("In")


def test_whole_model_and_lazy_model_agree() -> None:
    sts, _ = models("sts")
    raw = botocore.loaders.create_loader().load_service_model("sts", "service-2")
    resolver = ShapeResolver(raw["shapes"])
    lazy = build_operation("AssumeRole", raw["operations"]["AssumeRole"], resolver)
    eager = sts.operations["AssumeRole"]
    assert lazy.result_wrapper == eager.result_wrapper == "AssumeRoleResult"
    assert lazy.input is not None and eager.input is not None
    assert list(lazy.input.members) == list(eager.input.members)
    assert 0 < len(resolver.built()) < len(sts.shapes)


# --------------------------------------------------------------------------- REST binding

PARAMS: dict[str, Any] = {
    "Id": "a/b c", "Account": "123456789012", "Doc": {"k": [1, "ü"]},
    "Since": datetime.datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    "Flags": [True, False], "Ratio": float("nan"), "Any": {"free": ["form", None]},
    "Choice": {"B": 2}, "Token": "tok",
}


def test_rest_request_binding() -> None:
    request = REST_JSON.serialize(PUT, PARAMS, endpoint=ENDPOINT + "/", service=DEMO)
    assert request.url == ENDPOINT + "/things/a%2Fb%20c"
    assert request.host_prefix == "123456789012.data-"
    assert apply_host_prefix(request.url, request.host_prefix) == \
        "https://123456789012.data-svc.us-east-1.amazonaws.com/things/a%2Fb%20c"
    assert request.headers["x-since"] == "Wed, 02 Jan 2030 03:04:05 GMT"  # whole seconds
    assert request.headers["x-flags"] == "true,false"
    assert json.loads(base64.b64decode(request.headers["x-doc"])) == {"k": [1, "ü"]}
    assert isinstance(request.body, bytes)
    assert json.loads(request.body) == {"Account": "123456789012", "Ratio": "NaN",
                                        "Any": {"free": ["form", None]}, "Choice": {"B": 2},
                                        "Token": "tok"}


def test_idempotency_token_is_generated_when_missing() -> None:
    params = {k: v for k, v in PARAMS.items() if k != "Token"}
    first = REST_JSON.serialize(PUT, params, endpoint=ENDPOINT, service=DEMO)
    second = REST_JSON.serialize(PUT, params, endpoint=ENDPOINT, service=DEMO)
    assert isinstance(first.body, bytes) and isinstance(second.body, bytes)
    tokens = {json.loads(first.body)["Token"], json.loads(second.body)["Token"]}
    assert len(tokens) == 2 and all(len(t) == 36 for t in tokens)


@pytest.mark.parametrize("account", ["evil.com/", "a b", "", "x:1"])
def test_bad_host_labels_are_refused(account: str) -> None:
    with pytest.raises(ParamValidationError, match="Account"):
        REST_JSON.serialize(PUT, {**PARAMS, "Account": account}, endpoint=ENDPOINT,
                            service=DEMO)


def test_missing_uri_label_is_a_validation_error() -> None:
    with pytest.raises(ParamValidationError, match="id"):
        REST_JSON.serialize(PUT, {"Account": "a"}, endpoint=ENDPOINT, service=DEMO)


def test_rest_response_binding_and_json_codec() -> None:
    headers = {"x-count": "7", "x-since": "Wed, 02 Jan 2030 03:04:05 GMT",
               "x-flags": "true, false", "x-doc": "eyJrIjpbMSwiw7wiXX0=",
               "X-Meta-Color": "blue", "x-amzn-RequestId": "r"}
    body = json.dumps({"Ratio": "-Infinity", "Any": [1, {"x": None}], "Choice": {"C": 1},
                       "Items": [{"Name": "a", "Child": {"Name": "b"}}, None]}).encode()
    parsed = REST_JSON.parse(PUT, 200, headers, body)
    parsed.pop("ResponseMetadata")
    assert parsed == {
        "Count": 7, "Since": datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        "Flags": [True, False], "Doc": {"k": [1, "ü"]}, "Meta": {"Color": "blue"},
        "Ratio": -math.inf, "Any": [1, {"x": None}],
        "Choice": {"SDK_UNKNOWN_MEMBER": {"name": "C"}},  # a member this model does not know
        "Items": [{"Name": "a", "Child": {"Name": "b"}}, None]}


@pytest.mark.parametrize(("headers", "body"), [
    ({"x-count": "many"}, b"{}"),
    ({"x-since": "yesterday"}, b"{}"),
    ({"x-doc": "not base64!"}, b"{}"),
    ({}, b'{"Choice": {"A": "x", "B": 1}}'),  # a union with two members set
    ({}, b'{"Ratio": "lots"}'),
])
def test_malformed_values_raise_response_parse_error(headers: dict[str, str],
                                                     body: bytes) -> None:
    with pytest.raises(ResponseParseError) as info:
        REST_JSON.parse(PUT, 200, headers, body)
    assert info.value.operation == "Put"


def test_modeled_error_by_its_error_code_trait() -> None:
    error = REST_JSON.parse_error(PUT, 409, {"x-amzn-ErrorType": "Oops.Code"},
                                  b'{"message": "m", "Detail": "d"}')
    assert error.code == "Oops.Code" and error.response["Detail"] == "d"


def test_resolver_races_publish_complete_shapes() -> None:
    raw = botocore.loaders.create_loader().load_service_model("dynamodb", "service-2")
    resolver = ShapeResolver(raw["shapes"])
    seen: list[Any] = []

    def build(index: int) -> None:
        shape = resolver.shape("QueryOutput" if index % 2 else "PutItemInput")
        items = resolver.shape("AttributeValue")
        seen.append((shape.name, len(shape.members), items.members["L"].shape.member))

    assert run_in_threads(8, build) == []
    value = resolver.shape("AttributeValue")
    assert {(name, count) for name, count, _ in seen} == {
        ("QueryOutput", len(raw["shapes"]["QueryOutput"]["members"])),
        ("PutItemInput", len(raw["shapes"]["PutItemInput"]["members"]))}
    for _, _, element in seen:  # every copy a thread saw is complete and self-consistent
        assert element is not None and element.shape.members["L"].shape.member is not None
    assert resolver.shape("AttributeValue") is value  # one copy is published for good


def test_validation_knows_documents_and_unions() -> None:
    from hub.protocols.validate import validate

    validate(PUT, {**PARAMS, "Any": {"free": [1, {"nested": None}]}})  # any JSON value
    validate(PUT, {**PARAMS, "Any": ["a", 1.5, True]})
    with pytest.raises(ParamValidationError, match="tagged union structure Choice"):
        validate(PUT, {**PARAMS, "Choice": {"A": "x", "B": 1}})
    with pytest.raises(ParamValidationError, match="tagged union"):
        validate(PUT, {**PARAMS, "Choice": {}})


# --------------------------------------------------------------------------- HTTP dates

_IMF_DATES = st.builds(
    lambda weekday, day, month, year, hour, minute, second: (
        f"{weekday}, {day:02d} {month} {year:04d} {hour:02d}:{minute:02d}:{second:02d} GMT"),
    st.sampled_from(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
    st.integers(0, 32), st.sampled_from(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                                         "Aug", "Sep", "Oct", "Nov", "Dec"]),
    st.integers(0, 9999), st.integers(0, 25), st.integers(0, 60), st.integers(0, 61))


@given(st.one_of(_IMF_DATES, st.datetimes(min_value=datetime.datetime(100, 1, 1)).map(
    lambda moment: email.utils.format_datetime(moment.replace(tzinfo=datetime.timezone.utc),
                                               usegmt=True))))
def test_http_dates_parse_as_email_utils_parses_them(text: str) -> None:
    # parse_timestamp reads IMF-fixdate itself; it must agree with the general RFC 822 parser
    # (two-digit-style years, impossible days and times included).
    from hub.protocols._common import parse_timestamp

    try:
        expected: Any = email.utils.parsedate_to_datetime(text).astimezone(
            datetime.timezone.utc)
    except ValueError:
        expected = ValueError
    try:
        got: Any = parse_timestamp(text)
    except ValueError:
        got = ValueError
    assert got == expected
