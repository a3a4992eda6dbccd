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
        methods = client.meta.method_to_api_mapping
        assert sorted(methods.values()) == sorted(SERVICES[name].operations)
        for method in methods:
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


def test_s3_quirks_are_named_handlers_around_the_protocol_ones() -> None:
    handlers = _s3().client_config.handlers
    assert handlers.validate.names[0] == "s3.copy_source"
    build = handlers.build.names
    assert build.index("s3.listing_encoding") + 1 == build.index("protocol.build")
    assert build.index("protocol.build") + 1 == build.index("s3.addressing")
    unmarshal = handlers.unmarshal.names  # other features may add their own around these
    assert (unmarshal.index("s3.error_in_200") < unmarshal.index("protocol.unmarshal")
            == unmarshal.index("s3.decode_listing") - 1)
    assert handlers.unmarshal_error.names[:2] == ("protocol.unmarshal_error", "s3.host_id")
    ddb = Session(Config(region="us-east-1", credentials=CREDENTIALS)).client("dynamodb")
    assert not any(n.startswith("s3.") for phase in ddb.client_config.handlers.names().values()
                   for n in phase)


def test_request_build_runs_validate_and_build_once() -> None:
    from hub.errors import ParamValidationError
    from hub.services.s3.client import MODEL

    _OPS = MODEL.operations

    client = _s3()
    request = client.new_request(_OPS["GetObject"], {"Bucket": "my-bucket", "Key": "a b"})
    http = request.build()
    assert http.url == "https://my-bucket.s3.us-west-2.amazonaws.com/a%20b"
    assert request.build() is http and http.url.count("my-bucket") == 1  # not built twice
    with pytest.raises(ParamValidationError):
        client.new_request(_OPS["GetObject"], {"Bucket": "b"}).build()


def test_sse_c_keys_are_encoded_and_their_md5_added_as_boto3_does() -> None:
    import base64
    import hashlib

    from hub.services.s3.client import MODEL

    client = _s3()
    key = b"k" * 32
    http = client.new_request(MODEL.operations["CopyObject"], {
        "Bucket": "my-bucket", "Key": "to", "CopySource": "my-bucket/from",
        "SSECustomerAlgorithm": "AES256", "SSECustomerKey": key,
        "CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": key.decode(),
    }).build()
    headers = {k.lower(): v for k, v in http.headers.items()}
    encoded = base64.b64encode(key).decode()
    md5 = base64.b64encode(hashlib.md5(key).digest()).decode()
    assert headers["x-amz-server-side-encryption-customer-key"] == encoded
    assert headers["x-amz-server-side-encryption-customer-key-md5"] == md5
    assert headers["x-amz-copy-source-server-side-encryption-customer-key"] == encoded
    assert headers["x-amz-copy-source-server-side-encryption-customer-key-md5"] == md5
    # A caller that gives the MD5 sends an already encoded key, unchanged (as botocore).
    http = client.new_request(MODEL.operations["GetObject"], {
        "Bucket": "my-bucket", "Key": "k", "SSECustomerAlgorithm": "AES256",
        "SSECustomerKey": encoded, "SSECustomerKeyMD5": md5}).build()
    headers = {k.lower(): v for k, v in http.headers.items()}
    assert headers["x-amz-server-side-encryption-customer-key"] == encoded
