"""Parameter validation: every problem in one error, botocore's wording, nested paths."""

from __future__ import annotations

import datetime
import io
import time
from decimal import Decimal
from typing import Any

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


def test_common_case_is_fast() -> None:
    op = DDB.operations["PutItem"]
    params = {"TableName": "tbl", "Item": {f"a{i}": {"S": "v"} for i in range(20)}}
    start = time.perf_counter()
    for _ in range(2000):
        validate(op, params)
    per_call = (time.perf_counter() - start) / 2000
    assert per_call < 500e-6  # generous: ~20 us on a laptop
