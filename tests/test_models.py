"""The generated service models: operations, shapes, paginators, registry, freshness."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import botocore
import botocore.session
import pytest

from hub.protocols import OperationModel, ServiceModel, Shape
from hub.services._registry import SERVICES

ROOT = Path(__file__).resolve().parent.parent

# A sample of the full surface, checked against botocore below for every operation.
S3_OPS = {
    "ListBuckets": ("GET", "/"),
    "CreateBucket": ("PUT", "/{Bucket}"),
    "HeadBucket": ("HEAD", "/{Bucket}"),
    "GetBucketLocation": ("GET", "/{Bucket}?location"),
    "PutObject": ("PUT", "/{Bucket}/{Key+}"),
    "GetObject": ("GET", "/{Bucket}/{Key+}"),
    "DeleteObjects": ("POST", "/{Bucket}?delete"),
    "ListObjectsV2": ("GET", "/{Bucket}?list-type=2"),
    "CreateMultipartUpload": ("POST", "/{Bucket}/{Key+}?uploads"),
    "PutBucketTagging": ("PUT", "/{Bucket}?tagging"),
    "GetObjectAttributes": ("GET", "/{Bucket}/{Key+}?attributes"),
}
@pytest.fixture(scope="module")
def botocore_session() -> botocore.session.Session:
    return botocore.session.get_session()


def test_registry_lists_the_generated_services() -> None:
    assert {"dynamodb", "s3"} <= set(SERVICES)
    assert "s3" in SERVICES and "nope" not in SERVICES
    assert isinstance(SERVICES["s3"], ServiceModel)
    assert SERVICES["s3"] is SERVICES["s3"]  # built once per process
    with pytest.raises(KeyError):
        SERVICES["nope"]


def test_s3_metadata_and_operations() -> None:
    s3 = SERVICES["s3"]
    assert (s3.api_version, s3.protocol, s3.endpoint_prefix, s3.signing_name) == (
        "2006-03-01", "rest-xml", "s3", "s3")
    assert len(s3.operations) == 111
    for name, (method, uri) in S3_OPS.items():
        op = s3.operations[name]
        assert isinstance(op, OperationModel)
        assert (op.name, op.http_method, op.request_uri) == (name, method, uri)
    assert s3.operations["DeleteObjects"].checksum_required
    assert not s3.operations["PutObject"].checksum_required
    assert s3.operations["GetObject"].streaming_output_member == "Body"
    assert s3.operations["HeadObject"].streaming_output_member is None
    assert s3.operations["PutObject"].input_payload is not None
    assert s3.operations["PutObject"].input_payload.streaming


def test_uri_template_is_parsed_once_on_the_model() -> None:
    op = SERVICES["s3"].operations["ListObjectsV2"]
    assert op.path_parts == (("/", "Bucket", False),)
    assert op.static_query == "list-type=2"
    put = SERVICES["s3"].operations["PutObject"]
    assert put.path_parts == (("/", "Bucket", False), ("/", "Key", True))
    assert SERVICES["s3"].operations["ListBuckets"].path_parts == (("/", None, False),)


def test_dynamodb_metadata_and_operations() -> None:
    ddb = SERVICES["dynamodb"]
    assert (ddb.protocol, ddb.target_prefix, ddb.json_version, ddb.api_version) == (
        "json", "DynamoDB_20120810", "1.0", "2012-08-10")
    assert len(ddb.operations) == 57
    for name in ddb.operations:
        op = ddb.operations[name]
        assert (op.http_method, op.request_uri) == ("POST", "/")
        assert op.input is not None


def test_recursive_attribute_value_resolves() -> None:
    ddb = SERVICES["dynamodb"]
    av = ddb.shapes["AttributeValue"]
    assert set(av.members) == {"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"}
    map_value = av.members["M"].shape.value
    list_member = av.members["L"].shape.member
    assert map_value is not None and map_value.shape is av
    assert list_member is not None and list_member.shape is av
    assert av.members["B"].type == "blob"
    assert av.members["BS"].shape.member is not None
    assert av.members["BS"].shape.member.type == "blob"
    repr(av)  # must not recurse


def test_shapes_are_immutable() -> None:
    shape = SERVICES["s3"].shapes["PutObjectRequest"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        shape.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        shape.members["x"] = shape.members["Bucket"]  # type: ignore[index]


@pytest.mark.parametrize("service", ["s3", "dynamodb"])
def test_members_match_botocore(service: str, botocore_session: botocore.session.Session) -> None:
    theirs = botocore_session.get_service_model(service)
    ours = SERVICES[service]
    assert sorted(ours.operations) == sorted(theirs.operation_names)
    for name, op in ours.operations.items():
        model = theirs.operation_model(name)
        for mine, real in ((op.input, model.input_shape), (op.output, model.output_shape)):
            if real is None:
                assert mine is None or not mine.members
                continue
            assert isinstance(mine, Shape)
            assert list(mine.members) == list(real.members), name
            assert set(mine.required) == set(real.required_members), name
            for member_name, member in mine.members.items():
                real_member = real.members[member_name]
                assert member.type == real_member.type_name
                assert member.location == real_member.serialization.get("location")
                assert member.wire_name == real_member.serialization.get("name", member_name)


def test_paginators() -> None:
    s3 = SERVICES["s3"].paginators
    lov2 = s3["ListObjectsV2"]
    assert lov2.input_token == ("ContinuationToken",)
    assert lov2.output_token == ("NextContinuationToken",)
    assert lov2.limit_key == "MaxKeys"
    assert lov2.result_key == ("Contents", "CommonPrefixes")
    assert lov2.more_results == "IsTruncated"
    lmu = s3["ListMultipartUploads"]
    assert lmu.input_token == ("KeyMarker", "UploadIdMarker")
    assert lmu.output_token == ("NextKeyMarker", "NextUploadIdMarker")
    ddb = SERVICES["dynamodb"].paginators
    assert ddb["ListTables"].input_token == ("ExclusiveStartTableName",)
    assert ddb["ListTables"].result_key == ("TableNames",)
    for name in ("Query", "Scan"):
        page = ddb[name]
        assert page.input_token == ("ExclusiveStartKey",)
        assert page.output_token == ("LastEvaluatedKey",)
        assert page.limit_key == "Limit"
        assert page.result_key == ("Items", "Count", "ScannedCount")
    for service in ("s3", "dynamodb"):
        model = SERVICES[service]
        for op_name in model.paginators:
            assert op_name in model.operations


def test_error_shapes_by_code() -> None:
    s3 = SERVICES["s3"].operations["GetObject"]
    assert s3.error_shapes["NoSuchKey"].error_status == 404
    ddb = SERVICES["dynamodb"].operations["TransactWriteItems"]
    tce = ddb.error_shapes["TransactionCanceledException"]
    assert "CancellationReasons" in tce.members


def test_paginators_and_waiters_are_botocore_s(botocore_session: botocore.session.Session
                                               ) -> None:
    import hub

    session = hub.Session(hub.Config(region="us-east-1",
                                     credentials=hub.Credentials("a", "b")))
    for service in ("s3", "dynamodb"):
        client = session.client(service)
        theirs = botocore_session.create_client(service, region_name="us-east-1",
                                                aws_access_key_id="a", aws_secret_access_key="b")
        assert sorted(SERVICES[service].paginators) == sorted(
            botocore_session.get_paginator_model(service)._paginator_config)
        assert client.waiter_names == theirs.waiter_names
        for method in client.meta.method_to_api_mapping:
            assert client.can_paginate(method) == theirs.can_paginate(method), method


def test_generated_files_are_fresh() -> None:
    header = (ROOT / "hub" / "services" / "s3" / "client.py").read_text("utf-8").splitlines()[0]
    if f"botocore {botocore.__version__} " not in header:
        pytest.skip(f"installed botocore {botocore.__version__} differs from {header!r}")
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "codegen"), "--check"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
