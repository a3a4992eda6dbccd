"""The table layer's wire path (``hub.dynamodb._wire``) against its ordinary path.

A ``Table`` on hub's DynamoDB client sends items it serialized itself without re-validating or
re-copying them. These tests hold it to the ordinary path (the same Table on a client it
cannot vouch for, which goes through the client's methods and full validation): the same
request bodies, the same results, and the same errors for every kind of bad input.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

import hub
from hub.dynamodb import Attr, BatchWriteError, Binary, Key, Table
from hub.dynamodb.batch import BatchWriter
from hub.errors import HubError, ParamValidationError, ResponseParseError
from hub.testing import MemoryResponse, MemoryTransport

ITEM: dict[str, Any] = {
    "pk": "a", "sk": 1, "n": Decimal("-1.5E+3"), "big": 10**37, "s": "x", "e": "",
    "t": True, "f": False, "none": None, "blob": b"\x00\x01", "barr": bytearray(b"\xff"),
    "bin": Binary(b"zz"), "ss": {"p", "q"}, "ns": {1, Decimal("2.5")}, "bs": {b"a", b"b"},
    "list": [1, "two", None, [b"\x02"], {"k": {"deep": b"\x03"}}], "tuple": (1, 2),
    "map": {"a": {"b": [{"c": {Decimal(1), 2}}]}}, "fs": frozenset({"z"}),
}
WIRE_ITEM = {  # how DynamoDB would send ITEM back
    "pk": {"S": "a"}, "sk": {"N": "1"}, "blob": {"B": "AAE="}, "bs": {"BS": ["YQ==", "Yg=="]},
    "ns": {"NS": ["1", "2.5"]}, "ss": {"SS": ["p"]}, "none": {"NULL": True},
    "t": {"BOOL": True}, "m": {"M": {"x": {"L": [{"B": "Ag=="}, {"N": "3"}]}}},
}


class Service:
    """Answers by X-Amz-Target from ``answers`` (a list is served in order) and keeps every
    request body; ``seen`` records ``request.params`` as a session handler saw them."""

    def __init__(self) -> None:
        self.answers: dict[str, Any] = {}
        self.bodies: list[tuple[str, dict[str, Any]]] = []
        self.seen: list[dict[str, Any]] = []

    def __call__(self, request: hub.HTTPRequest) -> MemoryResponse:
        op = request.headers["X-Amz-Target"].split(".")[1]
        assert isinstance(request.body, bytes)
        self.bodies.append((op, json.loads(request.body)))
        answer = self.answers.get(op, {})
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        return MemoryResponse(200, {"x-amzn-RequestId": "r"}, json.dumps(answer).encode())


class Opaque:
    """A client the table layer cannot vouch for (any wrapper or fake): the ordinary path."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def service() -> Iterator[tuple[Service, Any]]:
    svc = Service()
    session = hub.Session(hub.Config(region="us-east-1", endpoint_url="http://127.0.0.1:9",
                                     credentials=hub.Credentials("testing", "testing")))
    session.push_back("complete", lambda request: svc.seen.append(request.params),
                      name="test.seen")
    MemoryTransport(svc).install(session)
    yield svc, session.client("dynamodb")


def both(svc: Service, client: Any, method: str, **kwargs: Any) -> list[Any]:
    """Call ``method`` on the wire path and on the ordinary path; each outcome with the
    request bodies it sent."""
    outcomes = []
    answers = copy.deepcopy(svc.answers)
    for table in (Table(client, "t"), Table(Opaque(client), "t")):
        svc.bodies.clear()
        svc.answers = copy.deepcopy(answers)  # each path gets the same scripted answers
        try:
            result: Any = getattr(table, method)(**kwargs)
            if not isinstance(result, dict):
                result = list(result)
            else:
                result.pop("ResponseMetadata", None)
        except Exception as exc:  # noqa: BLE001 - compared below
            result = (type(exc), str(exc))
        outcomes.append((result, list(svc.bodies)))
    return outcomes


def test_the_wire_path_is_taken_only_for_hubs_client(service: tuple[Service, Any]) -> None:
    svc, client = service
    Table(client, "t").put_item(Item={"blob": b"\x00\x01"})
    Table(Opaque(client), "t").put_item(Item={"blob": b"\x00\x01"})
    # What a session handler sees: wire form on the wire path (documented), bytes otherwise.
    assert svc.seen[0]["Item"] == {"blob": {"B": "AAE="}}
    assert svc.seen[1]["Item"] == {"blob": {"B": b"\x00\x01"}}
    assert svc.bodies[0] == svc.bodies[1]


@pytest.mark.parametrize(("method", "kwargs"), [
    ("put_item", {"Item": ITEM, "ConditionExpression": Attr("pk").not_exists()}),
    ("get_item", {"Key": {"pk": "a", "sk": 1}, "ConsistentRead": True}),
    ("update_item", {"Key": {"pk": "a", "sk": 1}, "UpdateExpression": "SET #b = :b",
                     "ExpressionAttributeNames": {"#b": "b"},
                     "ExpressionAttributeValues": {":b": {b"x"}},
                     "ConditionExpression": Attr("m.x[0]").eq(b"\x02") | Attr("s").is_in([1]),
                     "ReturnValues": "ALL_NEW"}),
    ("delete_item", {"Key": {"pk": "a", "sk": 1}, "Expected": {
        "s": {"Value": "x"}, "bs": {"ComparisonOperator": "IN",
                                    "AttributeValueList": [b"q", 1]}}}),
    ("query", {"KeyConditionExpression": Key("pk").eq("a") & Key("sk").between(1, 9),
               "FilterExpression": Attr("blob").eq(b"\x00"), "ExclusiveStartKey": {
                   "pk": "a", "sk": Decimal(2)}}),
    ("scan", {"ScanFilter": {"s": {"ComparisonOperator": "EQ", "AttributeValueList": ["x"]}}}),
])
def test_same_bodies_and_results_as_the_ordinary_path(service: tuple[Service, Any], method: str,
                                                      kwargs: dict[str, Any]) -> None:
    svc, client = service
    svc.answers = {"GetItem": {"Item": WIRE_ITEM}, "UpdateItem": {"Attributes": WIRE_ITEM},
                   "DeleteItem": {"Attributes": WIRE_ITEM, "ItemCollectionMetrics": {
                       "ItemCollectionKey": {"pk": {"B": "AAE="}}}},
                   "Query": {"Items": [WIRE_ITEM, WIRE_ITEM], "LastEvaluatedKey": {
                       "pk": {"S": "a"}, "sk": {"N": "1"}}},
                   "Scan": {"Items": [WIRE_ITEM], "Count": 1}}
    wire, ordinary = both(svc, client, method, **kwargs)
    assert wire == ordinary
    result = wire[0]
    assert isinstance(result, dict), result
    for item in [result.get("Item"), result.get("Attributes"), *result.get("Items", [])]:
        if item is not None:
            assert item["blob"] == Binary(b"\x00\x01") and item["bs"] == {Binary(b"a"),
                                                                        Binary(b"b")}
            assert item["m"] == {"x": [Binary(b"\x02"), Decimal(3)]}
            assert item["ns"] == {Decimal(1), Decimal("2.5")} and item["none"] is None


@pytest.mark.parametrize("kwargs", [
    {"Item": {1: "x"}},                       # top-level key not a str: the validator's
    {"Item": {"a": {1: "x"}}},                # nested: the wire path falls back
    {"Item": {"a": [{"b": {2: 1, "c": 1.5}}]}},
    {"Item": {"a": {1: 1.5}}},                # the serializer's error comes first, as boto3
    {"Item": {"a": 1.5}},
    {"Item": {"a": object()}},
    {"Item": {"a": Decimal("1E+200")}},
    {"Item": "not a map"},
    {"Item": None},
    {"Key": [("pk", "a")]},
    {"Item": {"a": 1}, "ExpressionAttributeValues": [1]},
    {"Item": {"a": 1}, "ExpressionAttributeValues": {5: 1}},
    {"Item": {"a": 1}, "Expected": {"a": "not a condition"}},
    {"Item": {"a": 1}, "Expected": {"a": {"AttributeValueList": ("tuple", 1.0)}}},
    {"Item": {"a": 1}, "Unknown": 1},
    {"Item": {"a": 1}, "TableName": 5},
    {"Item": {"a": 1}, "ReturnValues": 3},
    {"Item": {"a": 1}, "ConditionExpression": Key("pk").eq(1.5)},
])
def test_bad_input_fails_the_same_way_on_both_paths(service: tuple[Service, Any],
                                                    kwargs: dict[str, Any]) -> None:
    svc, client = service
    wire, ordinary = both(svc, client, "put_item", **kwargs)
    assert wire == ordinary
    assert isinstance(wire[0], tuple) and issubclass(wire[0][0], (HubError, TypeError))
    assert wire[1] == []  # nothing was sent


@pytest.mark.parametrize("bad", [{"B": "not base64!"}, {"M": "not a map"}, {"BS": [1]}, {}])
def test_malformed_response_values_are_parse_errors(service: tuple[Service, Any],
                                                    bad: dict[str, Any]) -> None:
    svc, client = service
    svc.answers = {"GetItem": {"Item": {"v": bad}}, "Query": {"Items": [{"v": bad}]}}
    for call in (lambda t: t.get_item(Key={"pk": "a"}), lambda t: list(t.query_items())):
        with pytest.raises(ResponseParseError, match="GetItem|Query") as info:
            call(Table(client, "t"))
        assert info.value.operation in ("GetItem", "Query")


def test_pages_follow_the_key_as_received(service: tuple[Service, Any]) -> None:
    svc, client = service
    last = {"pk": {"B": "AAE="}, "sk": {"N": "7"}}
    svc.answers = {"Query": [{"Items": [WIRE_ITEM], "LastEvaluatedKey": last},
                             {"Items": [WIRE_ITEM]}]}
    wire, ordinary = both(svc, client, "query_items", KeyConditionExpression=Key("pk").eq("a"))
    assert wire == ordinary and len(wire[0]) == 2
    assert [body.get("ExclusiveStartKey") for _, body in wire[1]] == [None, last]


def test_batch_writer_on_the_wire_path(service: tuple[Service, Any]) -> None:
    svc, client = service
    put = {"PutRequest": {"Item": {"pk": {"S": "p1"}, "b": {"B": "AAE="}}}}
    svc.answers = {"BatchWriteItem": [{"UnprocessedItems": {"t": [put]}},
                                      {"UnprocessedItems": {}}]}
    with BatchWriter(client, "t", sleep=lambda s: None) as writer:
        writer.put_item({"pk": "p0", "b": b"\x00"})
        writer.put_item({"pk": "p1", "b": b"\x00\x01"})
        writer.delete_item({"pk": "p2"})
    sent = [body["RequestItems"]["t"] for _, body in svc.bodies]
    assert len(sent) == 2 and sent[1] == [put]  # the unprocessed request resent as received
    assert sent[0][0] == {"PutRequest": {"Item": {"pk": {"S": "p0"}, "b": {"B": "AA=="}}}}

    svc.answers = {"BatchWriteItem": {"UnprocessedItems": {"t": [put]}}}
    writer = BatchWriter(client, "t", flush_amount=1, max_retries=1, sleep=lambda s: None)
    with pytest.raises(BatchWriteError) as info:
        writer.put_item({"pk": "p1", "b": b"\x00\x01"})
    # The error's requests are in low-level form, as documented.
    assert info.value.unprocessed == [
        {"PutRequest": {"Item": {"pk": {"S": "p1"}, "b": {"B": b"\x00\x01"}}}}]

    with pytest.raises(ParamValidationError, match="not a str"):
        writer.put_item({"pk": "x", "m": {1: "x"}})
    assert "buffered=0" in repr(writer)


def test_batch_get_on_the_wire_path(service: tuple[Service, Any]) -> None:
    svc, client = service
    key = {"pk": {"B": "AAE="}}
    svc.answers = {"BatchGetItem": [
        {"Responses": {"t": [WIRE_ITEM]}, "UnprocessedKeys": {"t": {"Keys": [key]}}},
        {"Responses": {"t": [WIRE_ITEM]}}]}
    items = Table(client, "t").batch_get([{"pk": b"\x00"}, {"pk": b"\x00\x01"}],
                                         sleep=lambda s: None)
    assert len(items) == 2 and items[0]["blob"] == Binary(b"\x00\x01")
    sent = [body["RequestItems"]["t"]["Keys"] for _, body in svc.bodies]
    assert sent == [[{"pk": {"B": "AA=="}}, key], [key]]


def _documents(shape: Any, path: str) -> set[str]:
    if shape.document:
        return {path}
    if shape.type == "structure":
        return set().union(*(_documents(m.shape, f"{path}.{name}")
                             for name, m in shape.members.items()))
    if shape.type == "list":
        return _documents(shape.member.shape, f"{path}[]")
    if shape.type == "map":
        return _documents(shape.value.shape, f"{path}{{}}")
    return set()


def test_every_unvalidated_position_is_one_the_table_layer_fills(
        service: tuple[Service, Any]) -> None:
    # The wire path skips validation only where an AttributeValue sits; each such position in
    # the operations it calls must be one the serializer writes (a model update adding another
    # would fail here, not send unchecked values).
    from hub.dynamodb._transform import _INPUTS
    from hub.dynamodb._wire import _Operations
    from hub.services.dynamodb import _model

    _, client = service
    ops = _Operations(_model, client.client_config.spec.model)
    fills = {f".{name}{{}}" for name, fn in _INPUTS.items() if fn.__name__ == "_ser_map"}
    fills |= {f".{name}{{}}{suffix}" for name, fn in _INPUTS.items()
              if fn.__name__ == "_ser_legacy" for suffix in (".Value", ".AttributeValueList[]")}
    fills.add(".ExpressionAttributeValues{}")  # serialized after conditions are merged in
    for name in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan"):
        found = _documents(ops.get(name).input, "")
        assert found and found <= fills, (name, found - fills)
    assert _documents(ops.get("BatchWriteItem").input, "") == {
        ".RequestItems{}[].PutRequest.Item{}", ".RequestItems{}[].DeleteRequest.Key{}"}
    assert _documents(ops.get("BatchGetItem").input, "") == {".RequestItems{}.Keys[]{}"}
    # Everything else is the model's own: e.g. the table name is still checked.
    assert ops.get("PutItem").input.members["TableName"].shape.min == 1
