"""A tiny user program, type-checked by tests/test_typing.py (never run by pytest).

It proves ``session.client("s3")`` is typed through the generated index: parameters are
checked against the operation's TypedDict and results have their fields' types.
"""

from __future__ import annotations

from typing import Literal

import hub
from hub.dynamodb.conditions import Attr, Key
from hub.services import DynamoDBClient, S3Client


def upload(session: hub.Session) -> str:
    s3 = session.client("s3")
    client: S3Client = s3
    result = client.put_object(Bucket="b", Key="k", Body=b"data", Metadata={"a": "b"})
    etag: str = result["ETag"]
    status: int = result["ResponseMetadata"]["HTTPStatusCode"]
    listing = s3.list_objects_v2(Bucket="b", MaxKeys=10)
    keys = [obj["Key"] for obj in listing.get("Contents", [])]
    return f"{etag} {status} {keys}"


def items(session: hub.Session) -> list[str]:
    ddb: DynamoDBClient = session.client("dynamodb")
    page = ddb.query(TableName="t", KeyConditionExpression="pk = :v",
                     ExpressionAttributeValues={":v": {"S": "a"}})
    return [item["pk"]["S"] for item in page.get("Items", [])]


def enums_and_conditions(session: hub.Session) -> int:
    """Enum members are Literal types; DynamoDB's expressions also take condition objects."""
    s3 = session.client("s3")
    s3.put_object(Bucket="b", Key="k", StorageClass="STANDARD_IA", ACL="private")
    ddb = session.client("dynamodb")
    page = ddb.query(TableName="t", KeyConditionExpression=Key("pk").eq(1),
                     FilterExpression=Attr("n").gt(2) & ~Attr("gone").exists(), Select="COUNT")
    ddb.put_item(TableName="t", Item={"pk": {"N": "1"}},
                 ConditionExpression=Attr("pk").not_exists(), ReturnValues="ALL_OLD")
    ddb.scan(TableName="t", FilterExpression="attribute_exists(pk)")
    ddb.transact_write_items(TransactItems=[{"ConditionCheck": {
        "TableName": "t", "Key": {"pk": {"N": "1"}}, "ConditionExpression": Attr("v").eq(3)}}])
    status: Literal["CREATING", "UPDATING", "DELETING", "ACTIVE", "ARCHIVING", "ARCHIVED",
                    "INACCESSIBLE_ENCRYPTION_CREDENTIALS", "REPLICATION_NOT_AUTHORIZED"] | None = (
        ddb.describe_table(TableName="t")["Table"].get("TableStatus"))
    print(status)
    return page["Count"]


def any_service(session: hub.Session) -> hub.Client:
    return session.client("some-future-service")
