"""hub.dynamodb.Table against moto, side by side with boto3's Table on the same server."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Attr as BotoAttr
from boto3.dynamodb.conditions import Key as BotoKey

import hub
from hub import Config, Session
from hub.dynamodb import Attr, Binary, Key, Table, WaiterError, batch_get_item, batch_write_item
from hub.errors import ClientError
from tests._threads import run_in_threads
from tests.servers.moto_server import MotoServer

SCHEMA: dict[str, Any] = {
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                  {"AttributeName": "sk", "KeyType": "RANGE"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                             {"AttributeName": "sk", "AttributeType": "N"}],
    "BillingMode": "PAY_PER_REQUEST",
}


class Pair:
    """A hub Table and a boto3 Table with the same schema on one moto server."""

    def __init__(self, moto: MotoServer, name: str) -> None:
        session = Session(Config(region="us-east-1", endpoint_url=moto.url,
                                 credentials=hub.Credentials("testing", "testing")))
        self.client = session.client("dynamodb")
        self.client.create_table(TableName=f"hub-{name}", **SCHEMA)
        self.resource = boto3.resource("dynamodb", endpoint_url=moto.url,
                                       region_name="us-east-1")
        self.resource.meta.client.create_table(TableName=f"boto-{name}", **SCHEMA)
        self.hub = Table(self.client, f"hub-{name}")
        self.boto = self.resource.Table(f"boto-{name}")


@pytest.fixture
def pair(moto: MotoServer) -> Iterator[Pair]:
    yield Pair(moto, "t")


def strip(result: dict[str, Any]) -> dict[str, Any]:
    """A result without what differs between the two tables (metadata, the table name)."""
    return {k: v for k, v in result.items() if k not in ("ResponseMetadata", "ConsumedCapacity")}


def plain(value: Any) -> Any:
    """Either library's Binary -> bytes, so results compare across libraries."""
    if hasattr(value, "value") and isinstance(value.value, (bytes, bytearray)):
        return bytes(value.value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return frozenset(plain(v) for v in value)
    return value


def both(pair: Pair, method: str, **kwargs: Any) -> tuple[Any, Any]:
    """Call ``method`` on both tables (hub gets hub conditions, boto3 gets boto3's)."""
    def call(table: Any, key: Any, attr: Any) -> Any:
        params = {k: (v(key, attr) if callable(v) else v) for k, v in kwargs.items()}
        try:
            return plain(strip(getattr(table, method)(**params)))
        except Exception as exc:  # noqa: BLE001 - compared by the caller
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            return ("error", code, None) if code else ("raised", exc)
    return call(pair.hub, Key, Attr), call(pair.boto, BotoKey, BotoAttr)


ITEM = {"pk": "user#1", "sk": 1, "name": "Ada", "score": Decimal("9.5"), "tags": {"a", "b"},
        "nums": {1, 2}, "blob": b"\x00\x01", "map": {"nested": [1, "x", None, True]},
        "empty": "", "flag": False}


def test_item_calls_match_boto3(pair: Pair) -> None:
    hub_item = dict(ITEM, bins={Binary(b"q")})
    ours = pair.hub.put_item(Item=hub_item, ReturnValues="ALL_OLD")
    assert "Attributes" not in ours
    from boto3.dynamodb.types import Binary as BotoBinary
    pair.boto.put_item(Item=dict(ITEM, bins={BotoBinary(b"q")}))

    mine, theirs = both(pair, "get_item", Key={"pk": "user#1", "sk": 1}, ConsistentRead=True)
    assert mine == theirs and mine["Item"]["score"] == Decimal("9.5")
    assert mine["Item"]["blob"] == b"\x00\x01"

    mine, theirs = both(
        pair, "update_item", Key={"pk": "user#1", "sk": 1},
        UpdateExpression="SET score = score + :d, #n = :n ADD nums :more",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":d": Decimal("0.5"), ":n": "Grace", ":more": {3}},
        ConditionExpression=lambda k, a: a("score").lt(10) & a("tags").contains("a"),
        ReturnValues="ALL_NEW")
    assert mine == theirs
    assert mine["Attributes"]["score"] == Decimal(10) and mine["Attributes"]["nums"] == {1, 2, 3}

    # A failing condition: the same service error from both.
    mine, theirs = both(pair, "delete_item", Key={"pk": "user#1", "sk": 1},
                        ConditionExpression=lambda k, a: a("name").eq("nobody"))
    assert mine == theirs == ("error", "ConditionalCheckFailedException", None)

    mine, theirs = both(pair, "delete_item", Key={"pk": "user#1", "sk": 1},
                        ConditionExpression=lambda k, a: a("name").eq("Grace")
                        & ~a("gone").exists(), ReturnValues="ALL_OLD")
    assert mine == theirs and mine["Attributes"]["name"] == "Grace"
    assert both(pair, "get_item", Key={"pk": "user#1", "sk": 1}) == ({}, {})


def test_serialization_errors_match_boto3(pair: Pair) -> None:
    for bad in (1.5, Decimal("1." + "1" * 40), 1j, {"deep": [{1.5}]}):
        mine, theirs = both(pair, "put_item", Item={"pk": "a", "sk": 1, "v": bad})
        assert mine[0] == theirs[0] == "raised"
        assert isinstance(mine[1], type(theirs[1])) and str(mine[1]) == str(theirs[1])


def _claim(table: Any, attr: Any, job: int, worker: int) -> bool:
    """One conditional claim: queued -> running, owned by ``worker``; False if taken."""
    try:
        table.update_item(
            Key={"pk": "queue", "sk": job},
            UpdateExpression="SET #s = :running, #o = :me ADD tries :one",
            ConditionExpression=attr("state").eq("queued") & attr("owner").not_exists(),
            ExpressionAttributeNames={"#s": "state", "#o": "owner"},
            ExpressionAttributeValues={":running": "running", ":me": worker, ":one": 1})
    except Exception as exc:  # noqa: BLE001 - either library's ClientError
        code = exc.response["Error"]["Code"]  # type: ignore[attr-defined]
        assert code == "ConditionalCheckFailedException"
        return False
    return True


def test_job_queue_conditional_claims(pair: Pair) -> None:
    # moto applies conditional writes without a lock, so two truly concurrent claims can both
    # win there; the contest is interleaved in one thread (the thread-safety of hub's side is
    # covered by tests/stress). hub and boto3 must take the same decisions.
    runs = {}
    for table, key_cls, attr in ((pair.hub, Key, Attr), (pair.boto, BotoKey, BotoAttr)):
        for i in range(12):
            table.put_item(Item={"pk": "queue", "sk": i, "state": "queued", "tries": 0})
        claims: dict[int, list[int]] = {}
        # Three workers each poll for queued jobs and try to claim what they saw.
        for _round in range(5):
            seen = {w: [item["sk"] for item in table.query(
                KeyConditionExpression=key_cls("pk").eq("queue"),
                FilterExpression=attr("state").eq("queued"))["Items"][:4]]
                for w in range(3)}
            for w, jobs in seen.items():
                for job in jobs:
                    if _claim(table, attr, int(job), w):
                        claims.setdefault(int(job), []).append(w)
        # Only the owner may complete a job.
        for job, (owner,) in claims.items():
            for worker in (owner + 1, owner):
                try:
                    table.update_item(
                        Key={"pk": "queue", "sk": job}, UpdateExpression="SET #s = :done",
                        ConditionExpression=attr("owner").eq(worker)
                        & attr("state").eq("running"),
                        ExpressionAttributeNames={"#s": "state"},
                        ExpressionAttributeValues={":done": "done"})
                except Exception as exc:  # noqa: BLE001
                    assert worker != owner, exc
                else:
                    assert worker == owner
        items = table.query(KeyConditionExpression=key_cls("pk").eq("queue"))["Items"]
        runs[table is pair.hub] = (claims, plain(items))
    assert runs[True] == runs[False]
    claims, items = runs[True]
    assert sorted(claims) == list(range(12)) and all(len(w) == 1 for w in claims.values())
    assert {item["state"] for item in items} == {"done"}
    assert {item["tries"] for item in items} == {1}


def key(item: dict[str, Any]) -> tuple[Any, Any]:
    """Sort key for items of either table."""
    return (item["pk"], item["sk"])


def _boto_all(call: Any, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = call(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_pagination_matches_boto3(pair: Pair) -> None:
    for table in (pair.hub, pair.boto):
        for i in range(57):
            table.put_item(Item={"pk": f"p{i % 3}", "sk": i, "even": i % 2 == 0,
                                 "size": i})  # "size" is a reserved word
    mine = list(pair.hub.query_items(
        KeyConditionExpression=Key("pk").eq("p1") & Key("sk").between(10, 50),
        FilterExpression=Attr("even").eq(True) & Attr("size").gte(12), Limit=4))
    theirs = _boto_all(
        pair.boto.query,
        KeyConditionExpression=BotoKey("pk").eq("p1") & BotoKey("sk").between(10, 50),
        FilterExpression=BotoAttr("even").eq(True) & BotoAttr("size").gte(12), Limit=4)
    assert mine == theirs and len(mine) == 6

    # A page at a time, resumed from LastEvaluatedKey, as boto3 users write it.
    page = pair.hub.query(KeyConditionExpression=Key("pk").eq("p0"), Limit=5)
    boto_page = pair.boto.query(KeyConditionExpression=BotoKey("pk").eq("p0"), Limit=5)
    assert strip(page) == strip(boto_page) and page["LastEvaluatedKey"] == {"pk": "p0", "sk": 12}
    page = pair.hub.query(KeyConditionExpression=Key("pk").eq("p0"), Limit=5,
                          ExclusiveStartKey=page["LastEvaluatedKey"])
    assert page["Items"][0]["sk"] == 15

    mine = sorted(pair.hub.scan_items(Limit=7, FilterExpression=Attr("sk").lt(40)), key=key)
    theirs = sorted(_boto_all(pair.boto.scan, Limit=7, FilterExpression=BotoAttr("sk").lt(40)),
                    key=key)
    assert mine == theirs and len(mine) == 40


def test_batch_writes_from_threads(pair: Pair) -> None:
    per_thread, threads = 150, 8

    with pair.hub.batch_writer() as writer:
        assert run_in_threads(threads, lambda t: [
            writer.put_item(Item={"pk": f"t{t}", "sk": i, "v": {"n": i}})
            for i in range(per_thread)]) == []
    with pair.boto.batch_writer() as boto_writer:
        for t in range(threads):
            for i in range(per_thread):
                boto_writer.put_item(Item={"pk": f"t{t}", "sk": i, "v": {"n": i}})

    mine = sorted(pair.hub.scan_items(), key=key)
    assert mine == sorted(_boto_all(pair.boto.scan), key=key)
    assert len(mine) == per_thread * threads

    with pair.hub.batch_writer() as writer:
        for t in range(threads):
            writer.delete_item(Key={"pk": f"t{t}", "sk": 0})
    assert sum(1 for _ in pair.hub.scan_items()) == (per_thread - 1) * threads


def test_overwrite_by_pkeys_matches_boto3(pair: Pair) -> None:
    for table in (pair.hub, pair.boto):
        with table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as writer:
            for version in range(3):
                for i in range(10):
                    writer.put_item(Item={"pk": "d", "sk": i, "version": version})
            writer.delete_item(Key={"pk": "d", "sk": 9})
    mine = list(pair.hub.query_items(KeyConditionExpression=Key("pk").eq("d")))
    theirs = pair.boto.query(KeyConditionExpression=BotoKey("pk").eq("d"))["Items"]
    assert mine == theirs and len(mine) == 9 and {i["version"] for i in mine} == {2}

    # Without de-duplication DynamoDB refuses a batch with one key twice; same for both.
    errors = []
    for table in (pair.hub, pair.boto):
        try:
            with table.batch_writer() as writer:
                writer.put_item(Item={"pk": "dup", "sk": 1})
                writer.put_item(Item={"pk": "dup", "sk": 1})
        except Exception as exc:  # noqa: BLE001
            errors.append(exc.response["Error"]["Code"])  # type: ignore[attr-defined]
    assert errors == ["ValidationException", "ValidationException"]


def test_batch_get_and_native_batch_calls(pair: Pair) -> None:
    pair.hub.batch_put([{"pk": "g", "sk": i, "b": Binary(bytes([i]))} for i in range(130)])
    got = pair.hub.batch_get([{"pk": "g", "sk": i} for i in range(0, 140, 2)],
                             ProjectionExpression="sk")
    assert sorted(item["sk"] for item in got) == list(range(0, 130, 2))

    result = batch_write_item(pair.client, RequestItems={pair.hub.name: [
        {"PutRequest": {"Item": {"pk": "n", "sk": 1, "s": {"x"}}}},
        {"DeleteRequest": {"Key": {"pk": "g", "sk": 0}}}]})
    assert result["UnprocessedItems"] == {}
    result = batch_get_item(pair.client, RequestItems={pair.hub.name: {
        "Keys": [{"pk": "n", "sk": 1}, {"pk": "g", "sk": 0}, {"pk": "g", "sk": 3}]}})
    items = sorted(result["Responses"][pair.hub.name], key=lambda i: (i["pk"], i["sk"]))
    assert items == [{"pk": "g", "sk": 3, "b": Binary(b"\x03")}, {"pk": "n", "sk": 1,
                                                                  "s": {"x"}}]
    assert pair.hub.batch_delete([{"pk": "g", "sk": i} for i in range(130)]) == 130
    assert [i["pk"] for i in pair.hub.scan_items()] == ["n"]


def test_describe_attributes_match_boto3(pair: Pair) -> None:
    pair.hub.put_item(Item={"pk": "a", "sk": 1})
    pair.boto.put_item(Item={"pk": "a", "sk": 1})
    for attr in ("table_status", "key_schema", "item_count", "attribute_definitions",
                 "billing_mode_summary", "provisioned_throughput", "table_size_bytes",
                 "global_secondary_indexes", "stream_specification", "table_class_summary"):
        assert getattr(pair.hub, attr) == getattr(pair.boto, attr), attr
    assert pair.hub.table_name == "hub-t" and pair.hub.table_arn.endswith("table/hub-t")
    pair.hub.put_item(Item={"pk": "b", "sk": 1})
    assert pair.hub.item_count == 1  # cached until reload, as boto3
    pair.hub.reload()
    assert pair.hub.item_count == 2 and pair.hub.meta.data is not None
    assert repr(pair.hub) == "hub.dynamodb.Table(name='hub-t')"


def test_waiters(pair: Pair) -> None:
    fast = {"WaiterConfig": {"Delay": 0.01, "MaxAttempts": 3}}
    assert pair.hub.table_status == "ACTIVE"
    pair.hub.wait_until_exists(**fast)
    assert pair.hub.meta.data is None  # re-read on next access
    assert pair.hub.table_status == "ACTIVE"
    with pytest.raises(WaiterError, match="Max attempts exceeded"):
        pair.hub.wait_until_not_exists(**fast)
    pair.hub.delete()
    pair.hub.wait_until_not_exists(**fast)
    missing = Table(pair.client, "never-created")
    with pytest.raises(WaiterError, match="TableExists failed: Max attempts exceeded") as info:
        missing.wait_until_exists(**fast)
    assert info.value.last_response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError):
        missing.load()


# --------------------------------------------------------------------------- low-level client


def test_client_table_is_the_table_layer(pair: Pair) -> None:
    table = pair.client.Table("hub-t")
    assert isinstance(table, Table) and table == pair.hub and table.meta.client is pair.client
    table.put_item(Item={"pk": "c", "sk": 1, "n": 5})
    assert pair.hub.get_item(Key={"pk": "c", "sk": 1})["Item"]["n"] == 5


def test_low_level_client_accepts_condition_objects_like_boto3s(pair: Pair) -> None:
    client, boto_client = pair.client, pair.resource.meta.client
    for i in range(6):
        client.put_item(TableName="hub-t", Item={"pk": {"S": "q"}, "sk": {"N": str(i)},
                                                 "state": {"S": "new" if i % 2 else "old"}})
        boto_client.put_item(TableName="boto-t",
                             Item={"pk": "q", "sk": i, "state": "new" if i % 2 else "old"})

    mine = client.query(TableName="hub-t",
                        KeyConditionExpression=Key("pk").eq("q") & Key("sk").gte(2),
                        FilterExpression=Attr("state").eq("new"))
    # boto3's resource client (which takes native values) answers the same query alike.
    theirs = boto_client.query(TableName="boto-t",
                               KeyConditionExpression=BotoKey("pk").eq("q") & BotoKey("sk").gte(2),
                               FilterExpression=BotoAttr("state").eq("new"))
    assert [i["sk"] for i in mine["Items"]] == [{"N": "3"}, {"N": "5"}]
    assert [int(i["sk"]) for i in theirs["Items"]] == [3, 5]

    # ConditionExpression on writes, merged with the caller's own placeholders.
    with pytest.raises(ClientError) as info:
        client.put_item(TableName="hub-t", Item={"pk": {"S": "q"}, "sk": {"N": "1"}},
                        ConditionExpression=Attr("pk").not_exists())
    assert info.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    result = client.update_item(
        TableName="hub-t", Key={"pk": {"S": "q"}, "sk": {"N": "1"}},
        UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":s": {"S": "done"}},
        ConditionExpression=Attr("state").is_in(["new", "old"]) & Attr("sk").between(0, 9),
        ReturnValues="ALL_NEW")
    assert result["Attributes"]["state"] == {"S": "done"}

    # Inside a transaction each item gets its own placeholders.
    client.transact_write_items(TransactItems=[
        {"ConditionCheck": {"TableName": "hub-t", "Key": {"pk": {"S": "q"}, "sk": {"N": "1"}},
                            "ConditionExpression": Attr("state").eq("done")}},
        {"Delete": {"TableName": "hub-t", "Key": {"pk": {"S": "q"}, "sk": {"N": "0"}},
                    "ConditionExpression": Attr("state").eq("old") & Attr("sk").lt(1)}},
    ])
    assert "Item" not in client.get_item(TableName="hub-t",
                                         Key={"pk": {"S": "q"}, "sk": {"N": "0"}})

    # An Attr in a key condition is refused before anything is sent, as boto3 does.
    from hub.dynamodb.conditions import DynamoDBNeedsKeyConditionError
    with pytest.raises(DynamoDBNeedsKeyConditionError):
        client.query(TableName="hub-t", KeyConditionExpression=Attr("pk").eq("q"))
