"""Wrong calls the type checker must refuse (tests/test_typing.py expects these errors)."""

from __future__ import annotations

import hub


def wrong(session: hub.Session) -> None:
    s3 = session.client("s3")
    s3.put_object(Bucket="b", Key="k", Bodyy=b"typo")  # E1: unknown parameter
    s3.put_object(Key="k")  # E2: Bucket is required
    s3.get_object(Bucket="b", Key=3)  # E3: Key is a str
    size: str = s3.head_object(Bucket="b", Key="k")["ContentLength"]  # E4: an int
    print(size)


def wrong_enums_and_conditions(session: hub.Session) -> None:
    from hub.dynamodb.conditions import Attr

    s3 = session.client("s3")
    s3.put_object(Bucket="b", Key="k", StorageClass="CHEAP")  # E5: not a StorageClass
    ddb = session.client("dynamodb")
    ddb.query(TableName="t", Select="EVERYTHING")  # E6: not a Select value
    ddb.get_item(TableName="t", Key={}, ProjectionExpression=Attr("a").exists())  # E7: text only
    status: int = ddb.describe_table(TableName="t")["Table"]["TableStatus"]  # E8: a Literal str
    print(status)
