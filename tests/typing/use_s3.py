"""A tiny user program, type-checked by tests/test_typing.py (never run by pytest).

It proves ``session.client("s3")`` is typed through the generated index: parameters are
checked against the operation's TypedDict and results have their fields' types.
"""

from __future__ import annotations

import hub
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


def any_service(session: hub.Session) -> hub.Client:
    return session.client("some-future-service")
