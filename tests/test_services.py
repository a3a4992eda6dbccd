"""Service clients without a network: classes, method names, S3 addressing, presigning."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

import hub
from hub import Config, Session
from hub.services import DynamoDBClient, S3Client
from hub.services._registry import SERVICES

CREDENTIALS = hub.Credentials("AKIDEXAMPLE", "secret")


def _s3(**settings: Any) -> Any:
    return Session(Config(region="us-west-2", credentials=CREDENTIALS,
                          **settings)).client("s3")


def test_clients_are_one_slot_and_have_every_operation() -> None:
    session = Session(Config(region="us-east-1", credentials=CREDENTIALS))
    for name, cls in (("s3", S3Client), ("dynamodb", DynamoDBClient)):
        client = session.client(name)
        assert type(client) is cls and not hasattr(client, "__dict__")
        for api_name in SERVICES[name].operations:
            method = cls._PY_NAMES and next(k for k, v in cls._PY_NAMES.items() if v == api_name)
            assert callable(getattr(client, method)), method
            assert getattr(cls, method).__doc__


@pytest.mark.parametrize("settings, bucket, host, path", [
    ({}, "my-bucket", "my-bucket.s3.us-west-2.amazonaws.com", "/k/e%20y"),
    ({}, "My_Bucket", "s3.us-west-2.amazonaws.com", "/My_Bucket/k/e%20y"),
    ({}, "dotted.bucket", "s3.us-west-2.amazonaws.com", "/dotted.bucket/k/e%20y"),
    ({"s3_addressing_style": "path"}, "my-bucket", "s3.us-west-2.amazonaws.com",
     "/my-bucket/k/e%20y"),
    ({"s3_addressing_style": "virtual"}, "my-bucket", "my-bucket.s3.us-west-2.amazonaws.com",
     "/k/e%20y"),
    ({"endpoint_url": "http://127.0.0.1:9000"}, "my-bucket", "127.0.0.1:9000",
     "/my-bucket/k/e%20y"),
])
def test_bucket_addressing(settings: dict[str, Any], bucket: str, host: str,
                           path: str) -> None:
    url = _s3(**settings).generate_presigned_url("get_object",
                                                 Params={"Bucket": bucket, "Key": "k/e y"})
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == (host, path)


def test_virtual_addressing_of_bucket_only_operations() -> None:
    url = _s3().generate_presigned_url("list_objects_v2", Params={"Bucket": "b-1"})
    parts = urlsplit(url)
    assert parts.netloc == "b-1.s3.us-west-2.amazonaws.com" and parts.path == "/"
    assert parts.query.startswith("list-type=2")


def test_presign_rejects_unknown_methods_and_bad_params() -> None:
    from hub.errors import ParamValidationError

    with pytest.raises(ParamValidationError):
        _s3().generate_presigned_url("no_such_method", Params={})
    with pytest.raises(ParamValidationError):
        _s3().generate_presigned_url("get_object", Params={"Bucket": "b"})


def test_get_paginator_unknown() -> None:
    with pytest.raises(ValueError):
        _s3().get_paginator("get_object")
