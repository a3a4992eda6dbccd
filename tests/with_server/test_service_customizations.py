"""Visible customizations of the generated services: SQS message digests, Lambda's Payload,
KMS/Secrets Manager blobs, STS endpoints (with moto and a local server)."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pytest

import hub
from hub import Config, Credentials, Session
from hub.errors import MessageChecksumError
from hub.services.sqs.customizations import attributes_md5
from tests.servers.local import LocalServer
from tests.servers.moto_server import MotoServer
from tests.servers.responses import ok
from tests.with_server.test_boto3_parity import _clients


def _sqs(url: str) -> Any:
    return Session(Config(region="us-east-1", endpoint_url=url, max_attempts=1,
                          credentials=Credentials("testing", "testing"))).client("sqs")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def test_sqs_digests_checked_on_moto(moto: MotoServer) -> None:
    _, sqs = _clients(moto, "sqs")
    url = sqs.create_queue(QueueName="digests")["QueueUrl"]
    attrs = {"s": {"DataType": "String", "StringValue": "v"},
             "n": {"DataType": "Number", "StringValue": "12"},
             "b": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}}
    sent = sqs.send_message(QueueUrl=url, MessageBody="héllo", MessageAttributes=attrs)
    assert sent["MD5OfMessageBody"] == _md5("héllo")
    assert sent["MD5OfMessageAttributes"] == attributes_md5(attrs)
    batch = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "1", "MessageBody": "a"}, {"Id": "2", "MessageBody": "b",
                                          "MessageAttributes": attrs}])
    assert len(batch["Successful"]) == 2
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                              MessageAttributeNames=["All"])["Messages"]
    assert sorted(m["Body"] for m in got) == ["a", "b", "héllo"]


def test_sqs_damaged_body_is_a_typed_error(local_server: LocalServer) -> None:
    message = {"MessageId": "m-1", "ReceiptHandle": "r", "Body": "hello",
               "MD5OfBody": _md5("hellO")}
    local_server.set_default(ok(json.dumps({"Messages": [message]}),
                                content_type="application/x-amz-json-1.0"))
    with pytest.raises(MessageChecksumError) as info:
        _sqs(local_server.url).receive_message(QueueUrl=f"{local_server.url}/1/q")
    err = info.value
    assert (err.field, err.message_id, err.operation) == ("MD5OfBody", "m-1", "ReceiveMessage")
    assert err.expected == _md5("hellO") and err.computed == _md5("hello")


def test_sqs_damaged_send_digest_is_a_typed_error(local_server: LocalServer) -> None:
    local_server.set_default(ok(json.dumps({"MessageId": "m-2",
                                            "MD5OfMessageBody": _md5("other")}),
                                content_type="application/x-amz-json-1.0"))
    with pytest.raises(MessageChecksumError, match="MD5OfMessageBody") as info:
        _sqs(local_server.url).send_message(QueueUrl=f"{local_server.url}/1/q",
                                            MessageBody="body")
    assert info.value.message_id == "m-2"
    assert "body" not in str(info.value).replace("MessageBody", "")  # content never quoted


def test_sqs_requests_go_to_the_client_endpoint_as_botocore(local_server: LocalServer) -> None:
    local_server.set_default(ok(json.dumps({}), content_type="application/x-amz-json-1.0"))
    _sqs(local_server.url).purge_queue(
        QueueUrl="https://sqs.eu-west-1.amazonaws.com/123456789012/q")
    assert [r.path for r in local_server.requests] == ["/"]


def test_lambda_payload_streams_and_accepts_bytes_and_files(local_server: LocalServer) -> None:
    local_server.set_default(ok(b'{"answer": 42}', content_type="application/json",
                                headers=[("X-Amz-Executed-Version", "$LATEST")]))
    client = Session(Config(region="us-east-1", endpoint_url=local_server.url,
                            credentials=Credentials("testing", "testing"))).client("lambda")
    for payload in (b'{"q": 1}', '{"q": 1}', io.BytesIO(b'{"q": 1}')):
        result = client.invoke(FunctionName="f", Payload=payload)
        body = result["Payload"]
        assert isinstance(body, hub.services.StreamingBody)
        assert json.loads(body.read()) == {"answer": 42}
        assert result["StatusCode"] == 200 and result["ExecutedVersion"] == "$LATEST"
    assert [r.body for r in local_server.requests] == [b'{"q": 1}'] * 3
    assert all(r.path == "/2015-03-31/functions/f/invocations" for r in local_server.requests)


def test_kms_and_secrets_manager_blobs_are_bytes(moto: MotoServer) -> None:
    boto, kms = _clients(moto, "kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"\x00secret\xff")["CiphertextBlob"]
    assert isinstance(blob, bytes)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"\x00secret\xff"
    assert boto.decrypt(CiphertextBlob=blob)["Plaintext"] == b"\x00secret\xff"  # interop
    data_key = kms.generate_data_key(KeyId=key, KeySpec="AES_256")
    assert isinstance(data_key["Plaintext"], bytes) and len(data_key["Plaintext"]) == 32
    _, sm = _clients(moto, "secretsmanager")
    sm.create_secret(Name="bin", SecretBinary=b"\x01\x02")
    assert sm.get_secret_value(SecretId="bin")["SecretBinary"] == b"\x01\x02"


def test_no_auth_operations_are_sent_unsigned_without_credentials(
        local_server: LocalServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    body = ("<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
            "<AccessKeyId>AK</AccessKeyId><SecretAccessKey>SK</SecretAccessKey>"
            "<SessionToken>T</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration>"
            "</Credentials></AssumeRoleWithWebIdentityResult>"
            "</AssumeRoleWithWebIdentityResponse>")
    local_server.set_default(ok(body, content_type="text/xml"))
    # No credentials anywhere: a signed operation would raise NoCredentialsError.
    sts = Session(Config(region="us-east-1", endpoint_url=local_server.url,
                         max_attempts=1)).client("sts")
    result = sts.assume_role_with_web_identity(
        RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="sess",
        WebIdentityToken="token")
    assert result["Credentials"]["AccessKeyId"] == "AK"
    sent = local_server.requests[0]
    assert sent.header("Authorization") is None and sent.header("X-Amz-Date") is None
    assert not sts._OPS["GetCallerIdentity"].unsigned
    with pytest.raises(hub.errors.NoCredentialsError):
        sts.get_caller_identity()  # a signed operation does look for credentials
