"""The wider service surface through boto3 and through hub, against one moto server, compared.

Every shape family the generated packages added: S3 bucket configuration round trips, object
sub-resources, DynamoDB TTL, tags, PartiQL, backups and PITR, limits. Same method as
test_boto3_parity.py (one script, both clients, masked values that differ between runs).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from hub.errors import ClientError as HubClientError
from tests.servers.moto_server import MotoServer
from tests.with_server.test_boto3_parity import _clients

boto3 = pytest.importorskip("boto3")
botocore_exceptions = pytest.importorskip("botocore.exceptions")

_MASKED = {"RequestId", "HostId", "UploadId", "HTTPHeaders", "VersionId", "BackupArn",
           "NextKeyMarker", "KeyMarker", "NextVersionIdMarker", "VersionIdMarker", "TableId",
           "LatestStreamArn", "LatestStreamLabel", "CopySourceVersionId"}

# A restored object's expiry is "now + Days": the two runs differ by the seconds between them.
_EXPIRY = re.compile(r'expiry-date="[^"]*"')

Script = list[tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]]


def _normalize(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<masked>" if k in _MASKED else
                _EXPIRY.sub('expiry-date="<date>"', v) if k == "Restore" and isinstance(v, str)
                else _normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return "<datetime>"
    if hasattr(value, "read") and hasattr(value, "close"):
        data = value.read()
        value.close()
        return ("<body>", data)
    return value


def _run(client: Any, script: Script, errors: tuple[type[BaseException], ...]) -> list[Any]:
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


B = "surface"
_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
    "Resource": f"arn:aws:s3:::{B}/*"}]})


def _s3_bucket_config() -> Script:
    return [
        ("create_bucket", lambda s: {"Bucket": B}),
        ("put_bucket_tagging", lambda s: {"Bucket": B, "Tagging": {"TagSet": [
            {"Key": "team", "Value": "data"}, {"Key": "env", "Value": "test"}]}}),
        ("get_bucket_tagging", lambda s: {"Bucket": B}),
        ("delete_bucket_tagging", lambda s: {"Bucket": B}),
        ("get_bucket_tagging", lambda s: {"Bucket": B}),
        ("get_bucket_versioning", lambda s: {"Bucket": B}),
        ("put_bucket_versioning", lambda s: {"Bucket": B, "VersioningConfiguration": {
            "Status": "Enabled"}}),
        ("get_bucket_versioning", lambda s: {"Bucket": B}),
        ("put_bucket_policy", lambda s: {"Bucket": B, "Policy": _POLICY}),
        ("get_bucket_policy", lambda s: {"Bucket": B}),
        ("delete_bucket_policy", lambda s: {"Bucket": B}),
        ("get_bucket_policy", lambda s: {"Bucket": B}),
        ("put_bucket_lifecycle_configuration", lambda s: {"Bucket": B, "LifecycleConfiguration": {
            "Rules": [{"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
                       "Expiration": {"Days": 30}},
                      {"ID": "abort", "Status": "Enabled", "Filter": {"Prefix": ""},
                       "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]}}),
        ("get_bucket_lifecycle_configuration", lambda s: {"Bucket": B}),
        ("delete_bucket_lifecycle", lambda s: {"Bucket": B}),
        ("put_bucket_cors", lambda s: {"Bucket": B, "CORSConfiguration": {"CORSRules": [
            {"AllowedMethods": ["GET", "PUT"], "AllowedOrigins": ["https://example.com"],
             "AllowedHeaders": ["*"], "MaxAgeSeconds": 300, "ExposeHeaders": ["ETag"]}]}}),
        ("get_bucket_cors", lambda s: {"Bucket": B}),
        ("delete_bucket_cors", lambda s: {"Bucket": B}),
        ("get_bucket_cors", lambda s: {"Bucket": B}),
        ("put_bucket_encryption", lambda s: {"Bucket": B, "ServerSideEncryptionConfiguration": {
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                       "BucketKeyEnabled": True}]}}),
        ("get_bucket_encryption", lambda s: {"Bucket": B}),
        ("delete_bucket_encryption", lambda s: {"Bucket": B}),
        ("put_public_access_block", lambda s: {"Bucket": B, "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": False}}),
        ("get_public_access_block", lambda s: {"Bucket": B}),
        ("delete_public_access_block", lambda s: {"Bucket": B}),
        ("get_public_access_block", lambda s: {"Bucket": B}),
        ("get_bucket_acl", lambda s: {"Bucket": B}),
    ]


def _s3_objects() -> Script:
    return [
        ("create_bucket", lambda s: {"Bucket": B}),
        ("put_bucket_versioning", lambda s: {"Bucket": B, "VersioningConfiguration": {
            "Status": "Enabled"}}),
        ("put_object", lambda s: {"Bucket": B, "Key": "a", "Body": b"one"}),
        ("put_object", lambda s: {"Bucket": B, "Key": "a", "Body": b"two"}),
        ("put_object", lambda s: {"Bucket": B, "Key": "b/c d", "Body": b"x" * 10}),
        ("put_object_tagging", lambda s: {"Bucket": B, "Key": "a", "Tagging": {"TagSet": [
            {"Key": "k", "Value": "v"}]}}),
        ("get_object_tagging", lambda s: {"Bucket": B, "Key": "a"}),
        ("delete_object_tagging", lambda s: {"Bucket": B, "Key": "a"}),
        ("get_object_tagging", lambda s: {"Bucket": B, "Key": "a"}),
        ("put_object_acl", lambda s: {"Bucket": B, "Key": "a", "ACL": "public-read"}),
        ("get_object_acl", lambda s: {"Bucket": B, "Key": "a"}),
        ("list_objects", lambda s: {"Bucket": B}),
        ("list_objects", lambda s: {"Bucket": B, "MaxKeys": 1, "Delimiter": "/"}),
        ("list_object_versions", lambda s: {"Bucket": B}),
        ("list_object_versions", lambda s: {"Bucket": B, "Prefix": "a", "MaxKeys": 1}),
        ("get_object_attributes", lambda s: {"Bucket": B, "Key": "b/c d", "ObjectAttributes": [
            "ETag", "ObjectSize", "StorageClass"]}),
        ("create_multipart_upload", lambda s: {"Bucket": B, "Key": "copied"}),
        ("upload_part_copy", lambda s: {"Bucket": B, "Key": "copied", "PartNumber": 1,
                                        "UploadId": s["create_multipart_upload"]["UploadId"],
                                        "CopySource": {"Bucket": B, "Key": "b/c d"}}),
        ("complete_multipart_upload", lambda s: {
            "Bucket": B, "Key": "copied", "UploadId": s["create_multipart_upload"]["UploadId"],
            "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": s["upload_part_copy"][
                "CopyPartResult"]["ETag"]}]}}),
        ("get_object", lambda s: {"Bucket": B, "Key": "copied"}),
        ("put_object", lambda s: {"Bucket": B, "Key": "cold", "Body": b"ice",
                                  "StorageClass": "GLACIER"}),
        ("get_object", lambda s: {"Bucket": B, "Key": "cold"}),
        ("restore_object", lambda s: {"Bucket": B, "Key": "cold",
                                      "RestoreRequest": {"Days": 1}}),
        ("head_object", lambda s: {"Bucket": B, "Key": "cold"}),
        ("put_object", lambda s: {"Bucket": B, "Key": "secret", "Body": b"sse-c",
                                  "SSECustomerAlgorithm": "AES256",
                                  "SSECustomerKey": b"k" * 32}),
        ("head_object", lambda s: {"Bucket": B, "Key": "secret",
                                   "SSECustomerAlgorithm": "AES256",
                                   "SSECustomerKey": "k" * 32}),
        ("get_object", lambda s: {"Bucket": B, "Key": "secret",
                                  "SSECustomerAlgorithm": "AES256",
                                  "SSECustomerKey": b"k" * 32}),
        ("copy_object", lambda s: {"Bucket": B, "Key": "secret-copy",
                                   "CopySource": f"{B}/secret",
                                   "CopySourceSSECustomerAlgorithm": "AES256",
                                   "CopySourceSSECustomerKey": b"k" * 32}),
    ]


T = "surface"


def _ddb() -> Script:
    return [
        ("create_table", lambda s: {
            "TableName": T, "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST"}),
        ("update_time_to_live", lambda s: {"TableName": T, "TimeToLiveSpecification": {
            "Enabled": True, "AttributeName": "expires"}}),
        ("describe_time_to_live", lambda s: {"TableName": T}),
        ("tag_resource", lambda s: {
            "ResourceArn": s["create_table"]["TableDescription"]["TableArn"],
            "Tags": [{"Key": "team", "Value": "data"}, {"Key": "env", "Value": "test"}]}),
        ("list_tags_of_resource", lambda s: {
            "ResourceArn": s["create_table"]["TableDescription"]["TableArn"]}),
        ("untag_resource", lambda s: {
            "ResourceArn": s["create_table"]["TableDescription"]["TableArn"],
            "TagKeys": ["env"]}),
        ("list_tags_of_resource", lambda s: {
            "ResourceArn": s["create_table"]["TableDescription"]["TableArn"]}),
        ("execute_statement", lambda s: {
            "Statement": f"INSERT INTO \"{T}\" VALUE {{'pk': 'a', 'n': 1}}"}),
        ("execute_statement", lambda s: {
            "Statement": f"SELECT * FROM \"{T}\" WHERE pk = ?", "Parameters": [{"S": "a"}]}),
        ("batch_execute_statement", lambda s: {"Statements": [
            {"Statement": f"INSERT INTO \"{T}\" VALUE {{'pk': 'b'}}"},
            {"Statement": f"SELECT * FROM \"{T}\" WHERE pk = 'a'"}]}),
        ("execute_transaction", lambda s: {"TransactStatements": [
            {"Statement": f"INSERT INTO \"{T}\" VALUE {{'pk': 'c'}}"}]}),
        ("execute_statement", lambda s: {"Statement": f"SELECT * FROM \"{T}\""}),
        ("create_backup", lambda s: {"TableName": T, "BackupName": "nightly"}),
        ("describe_backup", lambda s: {"BackupArn": s["create_backup"]["BackupDetails"][
            "BackupArn"]}),
        ("list_backups", lambda s: {"TableName": T}),
        ("delete_backup", lambda s: {"BackupArn": s["create_backup"]["BackupDetails"][
            "BackupArn"]}),
        ("describe_continuous_backups", lambda s: {"TableName": T}),
        ("update_continuous_backups", lambda s: {
            "TableName": T, "PointInTimeRecoverySpecification": {
                "PointInTimeRecoveryEnabled": True}}),
        ("describe_continuous_backups", lambda s: {"TableName": T}),
        ("describe_limits", lambda s: {}),
        ("describe_backup", lambda s: {"BackupArn": "arn:aws:dynamodb:us-east-1:123456789012:"
                                                    "table/none/backup/01234567890123-abcdefgh"}),
    ]


@pytest.mark.parametrize("service, script", [
    ("s3", _s3_bucket_config), ("s3", _s3_objects), ("dynamodb", _ddb)],
    ids=["s3-bucket-configuration", "s3-objects", "dynamodb"])
def test_same_results_as_boto3(moto: MotoServer, service: str,
                               script: Callable[[], Script]) -> None:
    boto, ours = _clients(moto, service)
    expected = _run(boto, script(), (botocore_exceptions.ClientError,))
    moto.reset()
    actual = _run(ours, script(), (HubClientError,))
    assert [e[0] for e in actual] == [e[0] for e in expected]
    for want, got in zip(expected, actual, strict=True):
        assert got == want, f"{want[0]} differs"
