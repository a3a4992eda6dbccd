"""Waiters, modeled exceptions, paginator search, client.meta and presigning, on moto, beside
boto3 where the two can be compared."""

from __future__ import annotations

import pickle
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3

import hub
from hub.errors import ClientError, WaiterError
from tests.servers.moto_server import MotoServer
from tests.with_server.test_boto3_parity import _clients

boto3 = pytest.importorskip("boto3")
botocore_exceptions = pytest.importorskip("botocore.exceptions")
botocore_config = pytest.importorskip("botocore.config")

FAST = {"Delay": 0.01, "MaxAttempts": 3}


def _outcome(waiter: Any, **params: Any) -> str:
    try:
        waiter.wait(**params, WaiterConfig=FAST)
        return "success"
    except (WaiterError, botocore_exceptions.WaiterError):
        return "failed"


def _table(client: Any, name: str) -> None:
    client.create_table(
        TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST")


def test_s3_waiters_decide_as_boto3_s(moto: MotoServer) -> None:
    boto, ours = _clients(moto, "s3")
    assert ours.waiter_names == boto.waiter_names == [
        "bucket_exists", "bucket_not_exists", "object_exists", "object_not_exists"]
    ours.create_bucket(Bucket="waited")
    ours.put_object(Bucket="waited", Key="k", Body=b"x")
    cases = [("bucket_exists", {"Bucket": "waited"}), ("bucket_exists", {"Bucket": "nope"}),
             ("bucket_not_exists", {"Bucket": "nope"}), ("bucket_not_exists", {"Bucket": "waited"}),
             ("object_exists", {"Bucket": "waited", "Key": "k"}),
             ("object_exists", {"Bucket": "waited", "Key": "missing"}),
             ("object_not_exists", {"Bucket": "waited", "Key": "missing"}),
             ("object_not_exists", {"Bucket": "waited", "Key": "k"})]
    for name, params in cases:
        want = _outcome(boto.get_waiter(name), **params)
        assert _outcome(ours.get_waiter(name), **params) == want, (name, params)
    assert [_outcome(ours.get_waiter(n), **p) for n, p in cases[:2]] == ["success", "failed"]


def test_waiter_retries_until_the_state_is_reached(moto: MotoServer) -> None:
    _, ours = _clients(moto, "s3")
    ours.create_bucket(Bucket="waited")
    calls: list[str] = []
    ours.client_config.snapshot  # noqa: B018 - the client keeps its snapshot
    waiter = ours.get_waiter("object_exists")
    original = waiter._call

    def counting(params: dict[str, Any]) -> dict[str, Any]:
        calls.append(params["Key"])
        try:
            return original(params)
        finally:
            if len(calls) == 2:  # the object appears after the second attempt
                ours.put_object(Bucket="waited", Key="late", Body=b"x")

    waiter._call = counting
    waiter.wait(Bucket="waited", Key="late", WaiterConfig={"Delay": 0, "MaxAttempts": 5})
    assert calls == ["late", "late", "late"]


def test_max_attempts_and_failure_states_raise_waiter_error(moto: MotoServer) -> None:
    _, ddb = _clients(moto, "dynamodb")
    with pytest.raises(WaiterError) as info:
        ddb.get_waiter("table_exists").wait(TableName="missing",
                                            WaiterConfig={"Delay": 0, "MaxAttempts": 2})
    assert info.value.name == "TableExists" and "Max attempts" in info.value.reason
    assert info.value.last_response["Error"]["Code"] == "ResourceNotFoundException"
    assert isinstance(info.value, hub.errors.HubError)
    with pytest.raises(hub.errors.ParamValidationError):
        ddb.get_waiter("table_exists").wait(TableName="t", WaiterConfig={"Dely": 1})
    with pytest.raises(ValueError):
        ddb.get_waiter("no_such_waiter")


def test_dynamodb_table_waiters(moto: MotoServer) -> None:
    boto, ddb = _clients(moto, "dynamodb")
    assert ddb.waiter_names == boto.waiter_names
    _table(ddb, "waited")
    ddb.get_waiter("table_exists").wait(TableName="waited", WaiterConfig=FAST)
    ddb.delete_table(TableName="waited")
    ddb.get_waiter("table_not_exists").wait(TableName="waited", WaiterConfig=FAST)


def test_modeled_errors_are_client_exceptions_and_client_errors(moto: MotoServer) -> None:
    _, s3 = _clients(moto, "s3")
    s3.create_bucket(Bucket="errors")
    with pytest.raises(s3.exceptions.NoSuchKey) as info:
        s3.get_object(Bucket="errors", Key="missing")
    error = info.value
    assert isinstance(error, ClientError) and type(error).__name__ == "NoSuchKey"
    assert error.code == "NoSuchKey" and error.response["Error"]["Code"] == "NoSuchKey"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is type(error) and clone.response == error.response
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.list_objects_v2(Bucket="missing-bucket")
    with pytest.raises(s3.exceptions.NoSuchUpload):
        s3.abort_multipart_upload(Bucket="errors", Key="k", UploadId="no-such-upload")
    # A HEAD 404 has no body, so no code to model: boto3 raises a plain ClientError "404" too.
    with pytest.raises(ClientError) as head:
        s3.head_object(Bucket="errors", Key="missing")
    assert type(head.value) is ClientError and head.value.code == "404"
    assert s3.exceptions.ClientError is ClientError

    _, ddb = _clients(moto, "dynamodb")
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.describe_table(TableName="missing")
    _table(ddb, "e")
    ddb.put_item(TableName="e", Item={"pk": {"S": "a"}})
    try:
        ddb.put_item(TableName="e", Item={"pk": {"S": "a"}},
                     ConditionExpression="attribute_not_exists(pk)")
    except ddb.exceptions.ConditionalCheckFailedException as exc:
        assert exc.code == "ConditionalCheckFailedException"
    else:
        pytest.fail("the condition should have failed")


def test_paginator_search_matches_boto3(moto: MotoServer) -> None:
    boto, s3 = _clients(moto, "s3")
    s3.create_bucket(Bucket="pages")
    for i in range(5):
        s3.put_object(Bucket="pages", Key=f"k{i}", Body=b"x" * i)
    for method in ("list_objects_v2", "list_objects", "list_object_versions"):
        assert s3.can_paginate(method) and boto.can_paginate(method)
        ours = list(s3.get_paginator(method).paginate(
            Bucket="pages", PaginationConfig={"PageSize": 2}).search("Contents[].Key"
                                                                 if method != "list_object_versions"
                                                                 else "Versions[].Key"))
        theirs = list(boto.get_paginator(method).paginate(
            Bucket="pages", PaginationConfig={"PageSize": 2}).search("Contents[].Key"
                                                                 if method != "list_object_versions"
                                                                 else "Versions[].Key"))
        assert ours == theirs == [f"k{i}" for i in range(5)], method
    sizes = list(s3.get_paginator("list_objects_v2").paginate(Bucket="pages").search(
        "Contents[?Size > `2`].Key"))
    assert sizes == ["k3", "k4"]
    assert not s3.can_paginate("get_object")


def test_meta_matches_boto3(moto: MotoServer) -> None:
    for service in ("s3", "dynamodb"):
        boto, ours = _clients(moto, service)
        assert ours.meta.region_name == boto.meta.region_name == "us-east-1"
        assert ours.meta.endpoint_url == boto.meta.endpoint_url == moto.url
        model, theirs = ours.meta.service_model, boto.meta.service_model
        assert model.service_name == theirs.service_name
        assert model.api_version == theirs.api_version
        assert model.operation_names == sorted(theirs.operation_names)
        assert model.operation_model("ListTables" if service == "dynamodb" else "ListBuckets")
        assert ours.meta.method_to_api_mapping == boto.meta.method_to_api_mapping
        assert isinstance(ours.meta.config, hub.Config)


def test_presigned_url_and_post_work_against_moto(moto: MotoServer) -> None:
    boto, s3 = _clients(moto, "s3")
    s3.create_bucket(Bucket="signed")
    s3.put_object(Bucket="signed", Key="a b", Body=b"payload")
    http = urllib3.PoolManager()
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "signed", "Key": "a b"},
                                    ExpiresIn=60)
    assert http.request("GET", url).data == b"payload"
    post = s3.generate_presigned_post("signed", "uploads/${filename}",
                                      Fields={"Content-Type": "text/plain"},
                                      Conditions=[{"Content-Type": "text/plain"}], ExpiresIn=60)
    v4 = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1",
    ).client("s3", endpoint_url=moto.url, config=botocore_config.Config(
        signature_version="s3v4", s3={"addressing_style": "path"}))
    theirs = v4.generate_presigned_post("signed", "uploads/${filename}",
                                          Fields={"Content-Type": "text/plain"},
                                          Conditions=[{"Content-Type": "text/plain"}])
    assert post["url"] == theirs["url"] and set(post["fields"]) == set(theirs["fields"])
    response = http.request("POST", post["url"], fields={
        **post["fields"], "file": ("note.txt", b"posted", "text/plain")})
    assert response.status in (200, 201, 204), response.data
    body = s3.get_object(Bucket="signed", Key="uploads/note.txt")["Body"].read()
    assert body == b"posted"
    boto_ddb, ddb = _clients(moto, "dynamodb")
    ours_url = ddb.generate_presigned_url("list_tables", Params={})
    their_url = boto_ddb.generate_presigned_url("list_tables", Params={})
    assert set(parse_qs(urlsplit(ours_url).query)) == set(parse_qs(urlsplit(their_url).query))


def test_concurrent_first_use_builds_each_operation_once(moto: MotoServer) -> None:
    # A fresh session, a fresh client: many threads using operations at once must all see
    # complete, identical operation models.
    _, s3 = _clients(moto, "s3")
    s3.create_bucket(Bucket="concurrent")
    ops = s3.client_config.spec.model.operations
    names = ["GetBucketTagging", "GetBucketCors", "GetBucketPolicy", "GetObjectAcl",
             "ListObjectVersions", "GetBucketLifecycleConfiguration"]
    seen: list[list[Any]] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        seen.append([ops[name] for name in names])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(seen) == 8
    for row in seen:
        assert all(a is b for a, b in zip(row, seen[0], strict=True))
