"""Parameter validation: every problem in one error, botocore's wording, nested paths."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import botocore.exceptions
import botocore.session
import pytest
from botocore.validate import ParamValidator

from hub.errors import ParamValidationError
from hub.protocols.validate import validate
from hub.services._registry import SERVICES

S3 = SERVICES["s3"]
DDB = SERVICES["dynamodb"]


def problems(op_name: str, params: Any, service: str = "dynamodb") -> list[str]:
    with pytest.raises(ParamValidationError) as info:
        validate(SERVICES[service].operations[op_name], params)
    assert info.value.operation == op_name
    return info.value.problems


def test_valid_params_pass() -> None:
    validate(DDB.operations["PutItem"], {"TableName": "tbl", "Item": {
        "pk": {"S": "a"}, "n": {"N": "1"}, "b": {"B": b"x"}, "m": {"M": {"l": {"L": [
            {"NULL": True}, {"BOOL": False}, {"NS": ["1"]}]}}}}})
    validate(DDB.operations["Query"], {"TableName": "tbl", "Limit": 1,
                                        "KeyConditionExpression": "pk = :v"})
    validate(S3.operations["PutObject"], {"Bucket": "b", "Key": "k", "Body": io.BytesIO(b"x"),
                                          "Expires": datetime.datetime.now(),
                                          "Metadata": {"a": "b"}, "ContentLength": 1})
    validate(S3.operations["PutObject"], {"Bucket": "b", "Key": "k", "Body": "text",
                                          "Expires": "2030-01-01T00:00:00Z"})
    validate(S3.operations["PutObject"], {"Bucket": "b", "Key": "k", "Body": iter([b"a"])})
    validate(S3.operations["ListBuckets"], {})
    validate(S3.operations["DeleteObjects"], {"Bucket": "b", "Delete": {
        "Objects": ({"Key": "a"},), "Quiet": True}})


def test_every_problem_is_listed_once() -> None:
    found = problems("PutItem", {
        "Item": {"foo": {"S": 1, "X": 2}, "l": {"L": [{"N": "1"}, {"BOOL": "yes"}]}},
        "Nope": 1,
        "ReturnValues": 5,
    })
    assert 'Missing required parameter in input: "TableName"' in found
    assert any(p.startswith('Unknown parameter in input: "Nope", must be one of: TableName')
               for p in found)
    assert any(p.startswith("Invalid type for parameter Item.foo.S, value: 1") and
               "valid types: <class 'str'>" in p for p in found)
    assert any(p.startswith('Unknown parameter in Item.foo: "X"') for p in found)
    assert any(p.startswith("Invalid type for parameter Item.l.L[1].BOOL") for p in found)
    assert any(p.startswith("Invalid type for parameter ReturnValues") for p in found)
    assert len(found) == 6


def test_messages_match_botocore_for_the_same_input() -> None:
    params = {"Item": {"foo": {"X": {}}}, "Extra": True}
    shape = botocore.session.get_session().get_service_model("dynamodb").operation_model(
        "PutItem").input_shape
    report = ParamValidator().validate(params, shape).generate_report().splitlines()
    assert sorted(problems("PutItem", params)) == sorted(report)


def test_nested_lists_and_missing_members() -> None:
    found = problems("DeleteObjects", {"Bucket": "b", "Delete": {"Objects": [{}, {"Key": 3}]}},
                     "s3")
    assert found == [
        'Missing required parameter in Delete.Objects[0]: "Key"',
        "Invalid type for parameter Delete.Objects[1].Key, value: 3, type: <class 'int'>, "
        "valid types: <class 'str'>",
    ]


def test_ranges_and_lengths() -> None:
    found = problems("Query", {"TableName": "", "Limit": 0})
    assert "Invalid length for parameter TableName, value: 0, valid min length: 1" in found
    assert "Invalid value for parameter Limit, value: 0, valid min value: 1" in found


def test_wrong_container_and_scalar_types() -> None:
    found = problems("PutObject", {"Bucket": "b", "Key": "k", "Body": 5, "Metadata": [],
                                   "ContentLength": True, "Expires": "not a date"}, "s3")
    joined = "\n".join(found)
    for name in ("Body", "Metadata", "ContentLength", "Expires"):
        assert f"Invalid type for parameter {name}," in joined
    assert len(found) == 4


def test_map_keys_are_checked() -> None:
    found = problems("PutItem", {"TableName": "tbl", "Item": {1: {"S": "a"}}})
    assert found[0].startswith("Invalid type for parameter Item (key: 1)")


def test_params_must_be_a_dict() -> None:
    assert problems("GetItem", ["TableName"])[0].startswith("Invalid type for parameter input")


def test_numbers_accept_decimal_for_doubles() -> None:
    validate(DDB.shapes["ConsumedCapacity"], {"CapacityUnits": Decimal("1.5")})
    validate(DDB.shapes["ConsumedCapacity"], {"CapacityUnits": 2})


def test_validation_neither_mutates_nor_depends_on_call_history() -> None:
    # Its speed is measured in benchmarks/bench_overhead.py ("+ validate"), not here.
    op = DDB.operations["PutItem"]
    params = {"TableName": "tbl", "Item": {f"a{i}": {"S": "v"} for i in range(20)}}
    snapshot = repr(params)
    for _ in range(3):
        validate(op, params)
    assert repr(params) == snapshot
    bad = {**params, "Item": {"a": {"S": 1}}}
    first = problems("PutItem", bad)
    validate(op, params)
    assert problems("PutItem", bad) == first

# --- header-bound parameters ---------------------------------------------------------------------

HOSTILE_HEADER_PARAMS: list[tuple[str, dict[str, Any], str]] = [
    ("ContentType", {"ContentType": "text/plain\r\nX-Evil: 1"}, "CR, LF"),
    ("ContentType", {"ContentType": "a\nb"}, "CR, LF"),
    ("ContentType", {"ContentType": "a\rb"}, "CR, LF"),
    ("ContentType", {"ContentType": "a\x00b"}, "control"),
    ("ContentType", {"ContentType": "a\x7fb"}, "control"),
    ("ContentType", {"ContentType": "\u4e2d"}, "non-ASCII"),
    ("ContentType", {"ContentType": "caf\xe9"}, "non-ASCII"),
    ("CacheControl", {"CacheControl": "max-age=1\r\n"}, "CR, LF"),
    ("ContentDisposition", {"ContentDisposition": "attachment; filename=\u00fc.txt"}, "non-ASCII"),
    ("Metadata.a", {"Metadata": {"a": "x\r\ny"}}, "CR, LF"),
    ("Metadata.a", {"Metadata": {"a": "\u4e2d"}}, "non-ASCII"),
    ("Metadata.a", {"Metadata": {"a": "\xe9"}}, "non-ASCII"),
    ("Metadata", {"Metadata": {"a:b": "x"}}, "header name"),
    ("Metadata", {"Metadata": {"a b": "x"}}, "header name"),
    ("Metadata", {"Metadata": {"a\r\nb": "x"}}, "header name"),
    ("Metadata", {"Metadata": {"\u4e2d": "x"}}, "header name"),
    ("Metadata", {"Metadata": {"a(b)": "x"}}, "header name"),
]


@pytest.mark.parametrize(("field", "extra", "why"), HOSTILE_HEADER_PARAMS)
def test_header_bound_params_that_http_cannot_carry_are_refused(
        field: str, extra: dict[str, Any], why: str) -> None:
    found = problems("PutObject", {"Bucket": "b", "Key": "k", **extra}, service="s3")
    assert len(found) == 1
    assert f"parameter {field}" in found[0] and why in found[0], found


def test_header_bound_lists_and_other_operations_are_checked() -> None:
    found = problems("GetObject", {"Bucket": "b", "Key": "k", "Range": "bytes=0-1\r\nX: y"},
                     service="s3")
    assert "parameter Range" in found[0]
    found = problems("DeleteObjects", {"Bucket": "b", "Delete": {"Objects": []},
                                       "MFA": "x\ny"}, service="s3")
    assert any("parameter MFA" in p for p in found)


def test_every_problem_is_reported_with_type_problems() -> None:
    found = problems("PutObject", {"Bucket": "b", "Key": "k", "ContentType": "a\nb",
                                   "Metadata": {"x:y": "\u4e2d"}, "ContentLength": "x"},
                     service="s3")
    assert len(found) == 4, found


@pytest.mark.parametrize("value", ["text/plain; charset=utf-8", "a\tb", "", " spaced ",
                                   "!#$%&'*+-.^_`|~ \"quoted\" (c) [x] {y} <z> @ , ; = ? /"])
def test_printable_ascii_and_tab_are_accepted(value: str) -> None:
    validate(S3.operations["PutObject"], {"Bucket": "b", "Key": "k", "ContentType": value,
                                          "Metadata": {"Name-1_x.~!": value}})


def test_non_ascii_metadata_is_refused_like_botocore() -> None:
    # botocore refuses non-ASCII Metadata with its own ParamValidationError too.
    client = botocore.session.get_session().create_client(
        "s3", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    with pytest.raises(botocore.exceptions.ParamValidationError):
        client.put_object(Bucket="b", Key="k", Body=b"", Metadata={"a": "\u4e2d"})
    assert problems("PutObject", {"Bucket": "b", "Key": "k", "Metadata": {"a": "\u4e2d"}},
                    service="s3")


def test_refused_header_values_are_not_quoted() -> None:
    # Header-bound members include secrets: the message names the member and the position only.
    secret = "sEcReTkEy\u00e9sEcReT\r\n"
    found = problems("PutObject", {"Bucket": "b", "Key": "k", "SSECustomerKey": secret},
                     service="s3")
    assert "parameter SSECustomerKey" in found[0] and "position 9" in found[0]
    assert "sEcReT" not in found[0]


# --------------------------------------------------------------------------- secrets

@pytest.mark.parametrize("member", ["SSECustomerKey", "CopySourceSSECustomerKey"])
def test_wrong_typed_sse_c_keys_are_not_quoted(member: str) -> None:
    # A wrong type names the parameter and the types, never the value (a raw key).
    secret = ["sEcReT-cUsToMeR-kEy"]
    params = {"Bucket": "b", "Key": "k", "CopySource": "src/key", member: secret}
    found = problems("CopyObject", params, service="s3")
    assert any(f"parameter {member}" in problem for problem in found)
    assert not any("sEcReT" in problem for problem in found), found


def test_members_the_model_marks_sensitive_are_not_quoted() -> None:
    from hub.protocols._shapes import build_service_model

    shapes = {
        "In": {"type": "structure", "members": {"Password": {"shape": "Secret"},
                                                "Tokens": {"shape": "Secrets"},
                                                "Count": {"shape": "Small"},
                                                "Name": {"shape": "Plain"}}},
        "Secret": {"type": "string", "sensitive": True},
        "Secrets": {"type": "list", "member": {"shape": "Secret"}},
        "Small": {"type": "integer", "min": 5, "sensitive": True},
        "Plain": {"type": "string"},
    }
    model = build_service_model(
        "svc", {"apiVersion": "1", "endpointPrefix": "svc", "protocol": "json"},
        {"Op": {"http": {"method": "POST", "requestUri": "/"}, "input": {"shape": "In"}}},
        shapes, {})
    op = model.operations["Op"]
    with pytest.raises(ParamValidationError) as info:
        validate(op, {"Password": 123456789, "Tokens": [987654321], "Count": 3,
                      "Name": 42424242})
    text = str(info.value)
    assert "123456789" not in text and "987654321" not in text and "value: 3," not in text
    assert "parameter Password" in text and "parameter Tokens[0]" in text
    assert "parameter Count" in text
    assert "value: 42424242" in text  # a member that is not secret is still quoted


# --------------------------------------------------------------------------- compiled checks

def _corrupt(value: Any, choice: int) -> Any:
    """One mutation of a valid value (wrong type, None, unknown key, dropped member...)."""
    if isinstance(value, dict) and value:
        key = sorted(value)[choice % len(value)]
        mode = choice % 4
        if mode == 0:
            return {k: v for k, v in value.items() if k != key}  # maybe a required member
        if mode == 1:
            return {**value, "NoSuchMember": 1}
        if mode == 2:
            return {**value, key: _corrupt(value[key], choice // 4 + 1)}
        return {**value, key: None}
    if isinstance(value, list) and value:
        return [_corrupt(value[0], choice + 1), *value[1:]] if choice % 2 else value + [object()]
    if isinstance(value, list):
        return "not a list"
    if isinstance(value, str):
        return [value] if choice % 3 else value + "\r\n\u00e9"
    if isinstance(value, bool):
        return 1
    if isinstance(value, (int, float)):
        return True if choice % 2 else "1"
    return object()


@pytest.mark.parametrize("service", ["dynamodb", "s3", "sqs", "sts", "lambda"])
def test_compiled_predicate_agrees_with_the_full_walk(service: str) -> None:
    # validate() answers from a per-shape compiled predicate and walks the value only when it
    # says no: it must refuse everything the walk reports (and the walk decides the rest).
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from hub.protocols.validate import _check, _check_headers, _predicate
    from tests import _protocol_gen as gen

    ours, theirs = gen.models(service)
    names = gen.operation_names(service)

    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(names))
        op = ours.operations[name]
        if op.input is None:
            return
        params = data.draw(gen.input_params(theirs.operation_model(name)))
        for value in (params, _corrupt(params, data.draw(st.integers(0, 50)))):
            found: list[str] = []
            _check(op.input, value, "", found)
            if isinstance(value, dict):
                _check_headers(op.input, value, found)
            if found:
                assert not _predicate(op.input)(value), (name, found)

    check()


def test_a_text_mode_file_body_is_refused_before_anything_is_sent(tmp_path: Any) -> None:
    # Its reads give str: botocore fails with a TypeError while hashing it; hub names the
    # parameter and the fix. A binary file, a BytesIO and an iterable of chunks still pass.
    path = tmp_path / "body.txt"
    path.write_text("hello")
    with open(path) as text:
        found = problems("PutObject", {"Bucket": "b", "Key": "k", "Body": text}, "s3")
        assert found == ["Invalid type for parameter Body: a text-mode file object "
                         "(TextIOWrapper); open the file in binary mode ('rb')"]
        found = problems("PutObject", {"Bucket": "b", "Key": "k", "Body": io.StringIO("x")},
                         "s3")
        assert "a text-mode file object (StringIO)" in found[0]
    with open(path, "rb") as binary:
        validate(S3.operations["PutObject"], {"Bucket": "b", "Key": "k", "Body": binary})
    validate(S3.operations["PutObject"], {"Bucket": "b", "Key": "k",
                                          "Body": iter([b"a", b"b"])})
