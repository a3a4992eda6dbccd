"""The same scripted calls through boto3 and through hub, against one moto server, compared.

Values that legitimately differ between two runs are masked: request ids, host ids, dates,
upload ids and the HTTP headers (only the set of status codes and retry counts is compared).
Both run with their default checksum settings (``when_supported``): each sends a CRC32 with
every upload and asks for checksums on download, so the ``ChecksumCRC32`` fields moto echoes
back must match too.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from hub import Config, Credentials, Session
from hub.errors import ClientError as HubClientError
from tests.servers.moto_server import MotoServer

boto3 = pytest.importorskip("boto3")
botocore_config = pytest.importorskip("botocore.config")
botocore_exceptions = pytest.importorskip("botocore.exceptions")

_MASKED = {"RequestId", "HostId", "UploadId", "HTTPHeaders"}


def _normalize(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<masked>" if k in _MASKED else _normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    if isinstance(value, datetime.datetime):
        return "<datetime>"
    if hasattr(value, "read") and hasattr(value, "close"):  # a StreamingBody
        data = value.read()
        value.close()
        return ("<body>", data)
    return value


def _run(client: Any, script: list[tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]],
         errors: tuple[type[BaseException], ...]) -> list[Any]:
    state: dict[str, Any] = {}
    out: list[Any] = []
    for method, make_params in script:
        try:
            result = getattr(client, method)(**make_params(state))
            state[method] = result
            out.append((method, _normalize(result)))
        except errors as exc:
            response: dict[str, Any] = exc.response  # type: ignore[attr-defined]
            out.append((method, "error", _normalize(response)))
    return out


def _s3_script() -> list[tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]]:
    b = "parity"
    return [
        ("create_bucket", lambda s: {"Bucket": b}),
        ("create_bucket", lambda s: {"Bucket": "parity-eu", "CreateBucketConfiguration":
                                     {"LocationConstraint": "eu-west-1"}}),
        ("list_buckets", lambda s: {}),
        ("head_bucket", lambda s: {"Bucket": b}),
        ("put_object", lambda s: {"Bucket": b, "Key": "dir/a b.txt", "Body": b"hello world",
                                  "Metadata": {"owner": "me"}, "ContentType": "text/plain"}),
        ("put_object", lambda s: {"Bucket": b, "Key": "dir/second", "Body": "text"}),
        ("head_object", lambda s: {"Bucket": b, "Key": "dir/a b.txt"}),
        ("get_object", lambda s: {"Bucket": b, "Key": "dir/a b.txt"}),
        ("get_object", lambda s: {"Bucket": b, "Key": "dir/a b.txt", "Range": "bytes=0-4"}),
        ("get_object", lambda s: {"Bucket": b, "Key": "missing"}),
        ("head_object", lambda s: {"Bucket": b, "Key": "missing"}),
        ("copy_object", lambda s: {"Bucket": b, "Key": "copy",
                                   "CopySource": {"Bucket": b, "Key": "dir/a b.txt"}}),
        ("list_objects_v2", lambda s: {"Bucket": b}),
        ("list_objects_v2", lambda s: {"Bucket": b, "Delimiter": "/", "MaxKeys": 1}),
        ("list_objects_v2", lambda s: {"Bucket": "nope"}),
        ("create_multipart_upload", lambda s: {"Bucket": b, "Key": "mp"}),
        ("upload_part", lambda s: {"Bucket": b, "Key": "mp", "PartNumber": 1, "Body": b"p" * 10,
                                   "UploadId": s["create_multipart_upload"]["UploadId"]}),
        ("list_parts", lambda s: {"Bucket": b, "Key": "mp",
                                  "UploadId": s["create_multipart_upload"]["UploadId"]}),
        ("list_multipart_uploads", lambda s: {"Bucket": b}),
        ("complete_multipart_upload", lambda s: {
            "Bucket": b, "Key": "mp", "UploadId": s["create_multipart_upload"]["UploadId"],
            "MultipartUpload": {"Parts": [{"PartNumber": 1,
                                           "ETag": s["upload_part"]["ETag"]}]}}),
        ("delete_object", lambda s: {"Bucket": b, "Key": "copy"}),
        ("delete_objects", lambda s: {"Bucket": b, "Delete": {"Objects": [
            {"Key": "dir/second"}, {"Key": "mp"}]}}),
        ("delete_bucket", lambda s: {"Bucket": b}),
    ]


def _ddb_script() -> list[tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]]:
    t = "parity"
    key = {"pk": {"S": "a"}}
    return [
        ("create_table", lambda s: {
            "TableName": t, "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST"}),
        ("list_tables", lambda s: {}),
        ("put_item", lambda s: {"TableName": t, "Item": {**key, "n": {"N": "1"},
                                                         "b": {"B": b"\x00\x01"},
                                                         "l": {"L": [{"S": "x"}]}}}),
        ("get_item", lambda s: {"TableName": t, "Key": key}),
        ("update_item", lambda s: {"TableName": t, "Key": key,
                                   "UpdateExpression": "SET n = n + :o",
                                   "ExpressionAttributeValues": {":o": {"N": "2"}},
                                   "ReturnValues": "ALL_NEW"}),
        ("put_item", lambda s: {"TableName": t, "Item": key,
                                "ConditionExpression": "attribute_not_exists(pk)"}),
        ("query", lambda s: {"TableName": t, "KeyConditionExpression": "pk = :p",
                             "ExpressionAttributeValues": {":p": {"S": "a"}}}),
        ("scan", lambda s: {"TableName": t}),
        ("batch_write_item", lambda s: {"RequestItems": {t: [
            {"PutRequest": {"Item": {"pk": {"S": "b"}}}}]}}),
        ("batch_get_item", lambda s: {"RequestItems": {t: {"Keys": [{"pk": {"S": "b"}}]}}}),
        ("transact_write_items", lambda s: {"TransactItems": [
            {"Put": {"TableName": t, "Item": {"pk": {"S": "c"}}}}]}),
        ("transact_get_items", lambda s: {"TransactItems": [
            {"Get": {"TableName": t, "Key": {"pk": {"S": "c"}}}}]}),
        ("delete_item", lambda s: {"TableName": t, "Key": key, "ReturnValues": "ALL_OLD"}),
        ("describe_table", lambda s: {"TableName": "missing"}),
        ("delete_table", lambda s: {"TableName": t}),
    ]


def _clients(moto: MotoServer, service: str) -> tuple[Any, Any]:
    boto = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1",
    ).client(service, endpoint_url=moto.url, config=botocore_config.Config(
        s3={"addressing_style": "path"},
    ))
    ours = Session(Config(region="us-east-1", endpoint_url=moto.url,
                          credentials=Credentials("testing", "testing"))).client(service)
    return boto, ours


@pytest.mark.parametrize("service, script", [("s3", _s3_script), ("dynamodb", _ddb_script)])
def test_same_results_as_boto3(moto: MotoServer, service: str,
                               script: Callable[[], list[Any]]) -> None:
    boto, ours = _clients(moto, service)
    expected = _run(boto, script(), (botocore_exceptions.ClientError,))
    moto.reset()
    actual = _run(ours, script(), (HubClientError,))
    assert len(actual) == len(expected)
    for want, got in zip(expected, actual, strict=True):
        assert got == want, f"{want[0]} differs"
