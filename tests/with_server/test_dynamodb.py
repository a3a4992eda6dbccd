"""The DynamoDB client against moto's standalone server."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import hub
from hub import Config, Session
from hub.errors import ClientError, ParamValidationError
from hub.services import DynamoDBClient
from hub.services.dynamodb_types import TypeDeserializer, TypeSerializer
from tests.servers.moto_server import MotoServer

CREDENTIALS = hub.Credentials("testing", "testing")


@pytest.fixture
def ddb(moto: MotoServer) -> Any:
    session = Session(Config(region="us-east-1", endpoint_url=moto.url, credentials=CREDENTIALS))
    client = session.client("dynamodb")
    client.create_table(
        TableName="tbl",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_client_class(ddb: Any) -> None:
    assert isinstance(ddb, DynamoDBClient)


def test_table_lifecycle(ddb: Any) -> None:
    described = ddb.describe_table(TableName="tbl")["Table"]
    assert described["TableName"] == "tbl" and described["TableStatus"] == "ACTIVE"
    assert [k["AttributeName"] for k in described["KeySchema"]] == ["pk", "sk"]
    assert ddb.list_tables()["TableNames"] == ["tbl"]
    updated = ddb.update_table(TableName="tbl", BillingMode="PROVISIONED",
                               ProvisionedThroughput={"ReadCapacityUnits": 2,
                                                      "WriteCapacityUnits": 3})
    assert updated["TableDescription"]["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    deleted = ddb.delete_table(TableName="tbl")
    assert deleted["TableDescription"]["TableName"] == "tbl"
    with pytest.raises(ClientError) as exc:
        ddb.describe_table(TableName="tbl")
    assert _code(exc) == "ResourceNotFoundException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_list_tables_paginator(ddb: Any) -> None:
    for i in range(4):
        ddb.create_table(TableName=f"x0{i}",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
    pages = list(ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2}))
    names = [n for p in pages for n in p["TableNames"]]
    assert names == ["tbl", "x00", "x01", "x02", "x03"]
    assert len(pages) >= 3


def test_item_round_trip_all_types(ddb: Any) -> None:
    item = {"pk": "a", "sk": 1, "s": "text", "n": Decimal("12.5"), "b": b"\x00\xff", "bool": True,
            "null": None, "l": [1, "two"], "m": {"k": "v"}, "ss": {"x", "y"}, "ns": {1, 2},
            "bs": {b"1", b"2"}}
    ser, de = TypeSerializer(), TypeDeserializer()
    wire = {k: ser.serialize(v) for k, v in item.items()}
    put = ddb.put_item(TableName="tbl", Item=wire)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = ddb.get_item(TableName="tbl", Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                       ConsistentRead=True)
    assert got["Item"] == wire or {k: de.deserialize(v) for k, v in got["Item"].items()} == {
        k: de.deserialize(v) for k, v in wire.items()}
    assert "Item" not in ddb.get_item(TableName="tbl", Key={"pk": {"S": "z"}, "sk": {"N": "1"}})


def test_update_and_delete_item(ddb: Any) -> None:
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "c": {"N": "1"}})
    updated = ddb.update_item(
        TableName="tbl", Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
        UpdateExpression="SET c = c + :one", ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="ALL_NEW",
    )
    assert updated["Attributes"]["c"] == {"N": "2"}
    old = ddb.delete_item(TableName="tbl", Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                          ReturnValues="ALL_OLD")
    assert old["Attributes"]["c"] == {"N": "2"}


def test_conditional_check_failed(ddb: Any) -> None:
    item = {"pk": {"S": "a"}, "sk": {"N": "1"}}
    ddb.put_item(TableName="tbl", Item=item)
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName="tbl", Item=item, ConditionExpression="attribute_not_exists(pk)")
    assert _code(exc) == "ConditionalCheckFailedException"
    assert exc.value.code == "ConditionalCheckFailedException"


def test_query_scan_and_paginators(ddb: Any) -> None:
    for i in range(10):
        ddb.put_item(TableName="tbl", Item={"pk": {"S": "p" if i < 7 else "q"},
                                          "sk": {"N": str(i)}})
    query = ddb.query(TableName="tbl", KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": "p"}})
    assert query["Count"] == 7
    pages = list(ddb.get_paginator("query").paginate(
        TableName="tbl", KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}}, PaginationConfig={"PageSize": 3}))
    assert [int(i["sk"]["N"]) for p in pages for i in p["Items"]] == list(range(7))
    assert len(pages) >= 3
    scan = ddb.get_paginator("scan").paginate(
        TableName="tbl", PaginationConfig={"PageSize": 4, "MaxItems": 6}).build_full_result()
    assert len(scan["Items"]) == 6 and "NextToken" in scan
    rest = ddb.get_paginator("scan").paginate(
        TableName="tbl", PaginationConfig={"PageSize": 4, "StartingToken": scan["NextToken"]}
    ).build_full_result()
    keys = {(i["pk"]["S"], i["sk"]["N"]) for i in scan["Items"] + rest["Items"]}
    assert len(keys) == 10
    assert ddb.scan(TableName="tbl")["Count"] == 10


def test_batch_write_and_get(ddb: Any) -> None:
    result = ddb.batch_write_item(RequestItems={"tbl": [
        {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": str(i)}}}} for i in range(5)
    ]})
    assert result["UnprocessedItems"] == {}
    got = ddb.batch_get_item(RequestItems={"tbl": {"Keys": [
        {"pk": {"S": "b"}, "sk": {"N": str(i)}} for i in range(5)]}})
    assert sorted(int(i["sk"]["N"]) for i in got["Responses"]["tbl"]) == list(range(5))
    ddb.batch_write_item(RequestItems={"tbl": [
        {"DeleteRequest": {"Key": {"pk": {"S": "b"}, "sk": {"N": "0"}}}}]})
    assert ddb.scan(TableName="tbl")["Count"] == 4


def test_transactions(ddb: Any) -> None:
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "tbl", "Item": {"pk": {"S": "tx"}, "sk": {"N": "1"}}}},
        {"Put": {"TableName": "tbl", "Item": {"pk": {"S": "tx"}, "sk": {"N": "2"}}}},
    ])
    got = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": "tbl", "Key": {"pk": {"S": "tx"}, "sk": {"N": "1"}}}},
        {"Get": {"TableName": "tbl", "Key": {"pk": {"S": "tx"}, "sk": {"N": "2"}}}},
    ])
    assert [r["Item"]["sk"]["N"] for r in got["Responses"]] == ["1", "2"]
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "tbl", "Item": {"pk": {"S": "tx"}, "sk": {"N": "1"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
        ])
    assert _code(exc) == "TransactionCanceledException"
    assert exc.value.response["CancellationReasons"][0]["Code"] == "ConditionalCheckFailed"


def test_validation_lists_every_problem(ddb: Any) -> None:
    with pytest.raises(ParamValidationError) as exc:
        ddb.put_item(TableName=1, Item={"pk": {"S": 2}}, Bogus=True)
    message = str(exc.value)
    assert "TableName" in message and "Item.pk.S" in message and '"Bogus"' in message
