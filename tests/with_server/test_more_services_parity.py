"""The next generated services (sts, sqs, sns, kms, secretsmanager, ssm, lambda) through boto3
and through hub on moto, compared: their query, json and rest-json protocols end to end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hub.errors import ClientError as HubClientError
from tests.servers.moto_server import MotoServer
from tests.with_server.test_boto3_parity import _clients
from tests.with_server.test_service_surface_parity import Script, _run

botocore_exceptions = pytest.importorskip("botocore.exceptions")

_ROLE = '{"Version": "2012-10-17", "Statement": []}'


def _sts() -> Script:
    return [("get_caller_identity", lambda s: {}),
            ("assume_role", lambda s: {"RoleArn": "arn:aws:iam::123456789012:role/r",
                                       "RoleSessionName": "sess", "DurationSeconds": 900})]


def _sqs() -> Script:
    return [
        ("create_queue", lambda s: {"QueueName": "q", "Attributes": {"VisibilityTimeout": "30"}}),
        ("list_queues", lambda s: {}),
        ("send_message", lambda s: {"QueueUrl": s["create_queue"]["QueueUrl"],
                                    "MessageBody": "hello", "MessageAttributes": {
                                        "a": {"DataType": "String", "StringValue": "b"}}}),
        ("receive_message", lambda s: {"QueueUrl": s["create_queue"]["QueueUrl"],
                                       "MessageAttributeNames": ["All"]}),
        ("get_queue_attributes", lambda s: {"QueueUrl": s["create_queue"]["QueueUrl"],
                                            "AttributeNames": ["VisibilityTimeout"]}),
        ("get_queue_url", lambda s: {"QueueName": "missing"}),
    ]


def _sns() -> Script:
    return [
        ("create_topic", lambda s: {"Name": "t", "Tags": [{"Key": "k", "Value": "v"}]}),
        ("list_topics", lambda s: {}),
        ("publish", lambda s: {"TopicArn": s["create_topic"]["TopicArn"], "Message": "m"}),
        ("get_topic_attributes", lambda s: {"TopicArn": "arn:aws:sns:us-east-1:123456789012:x"}),
    ]


def _kms() -> Script:
    return [
        ("create_key", lambda s: {"Description": "d", "Tags": [{"TagKey": "k",
                                                               "TagValue": "v"}]}),
        ("list_keys", lambda s: {}),
        ("describe_key", lambda s: {"KeyId": "alias/missing"}),
    ]


def _secrets() -> Script:
    return [
        ("create_secret", lambda s: {"Name": "sec", "SecretString": "value"}),
        ("get_secret_value", lambda s: {"SecretId": "sec"}),
        ("list_secrets", lambda s: {}),
        ("get_secret_value", lambda s: {"SecretId": "missing"}),
    ]


def _ssm() -> Script:
    return [
        ("put_parameter", lambda s: {"Name": "/app/p", "Value": "v", "Type": "String"}),
        ("get_parameter", lambda s: {"Name": "/app/p"}),
        ("get_parameters_by_path", lambda s: {"Path": "/app"}),
        ("get_parameter", lambda s: {"Name": "/missing"}),
    ]


def _lambda() -> Script:
    return [("list_functions", lambda s: {}),
            ("get_function", lambda s: {"FunctionName": "missing"})]


_MASK_MORE = {"MessageId", "ReceiptHandle", "KeyId", "Arn", "ARN", "VersionId",
              "SequenceNumber", "KeyArn", "Keys", "SessionToken", "SecretAccessKey",
              "AccessKeyId", "AssumedRoleId", "CreationDate", "LastModifiedDate",
              "LastAccessedDate", "Version", "MD5OfMessageBody", "MD5OfMessageAttributes",
              "Attributes", "SecretList", "Parameters", "Parameter", "Message"}


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<masked>" if k in _MASK_MORE else _mask(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_mask(v) for v in value)
    return value


@pytest.mark.parametrize("service, script", [
    ("sts", _sts), ("sqs", _sqs), ("sns", _sns), ("kms", _kms), ("secretsmanager", _secrets),
    ("ssm", _ssm), ("lambda", _lambda)])
def test_same_results_as_boto3(moto: MotoServer, service: str,
                               script: Callable[[], Script]) -> None:
    boto, ours = _clients(moto, service)
    expected = _mask(_run(boto, script(), (botocore_exceptions.ClientError,)))
    moto.reset()
    actual = _mask(_run(ours, script(), (HubClientError,)))
    assert [e[0] for e in actual] == [e[0] for e in expected]
    for want, got in zip(expected, actual, strict=True):
        assert got == want, f"{want[0]} differs"


@pytest.mark.parametrize("service, method, params", [
    ("sqs", "get_queue_url", {"QueueName": "missing"}),
    ("sns", "get_topic_attributes", {"TopicArn": "arn:aws:sns:us-east-1:123456789012:x"}),
    ("kms", "describe_key", {"KeyId": "alias/missing"}),
    ("secretsmanager", "get_secret_value", {"SecretId": "missing"}),
    ("ssm", "get_parameter", {"Name": "/missing"}),
    ("lambda", "get_function", {"FunctionName": "missing"}),
])
def test_modeled_errors_have_boto3_s_classes(moto: MotoServer, service: str, method: str,
                                             params: dict[str, Any]) -> None:
    boto, ours = _clients(moto, service)
    with pytest.raises(botocore_exceptions.ClientError) as theirs:
        getattr(boto, method)(**params)
    with pytest.raises(HubClientError) as mine:
        getattr(ours, method)(**params)
    assert type(mine.value).__name__ == type(theirs.value).__name__
    assert isinstance(mine.value, getattr(ours.exceptions, type(theirs.value).__name__))
    assert mine.value.code == theirs.value.response["Error"]["Code"]
