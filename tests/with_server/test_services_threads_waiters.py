"""16 threads sharing one session across s3, sqs and dynamodb at once (moto), and the waiters
and modeled exceptions of the generated services."""

from __future__ import annotations

import io
import threading
import zipfile
from typing import Any

import pytest

from hub import Config, Credentials, Session
from hub.errors import ClientError, WaiterError
from tests._threads import join_all
from tests.servers.moto_server import MotoServer
from tests.with_server.test_boto3_parity import _clients

THREADS = 16
ROUNDS = 6


def test_sixteen_threads_three_services_one_session(moto: MotoServer) -> None:
    session = Session(Config(region="us-east-1", endpoint_url=moto.url,
                             credentials=Credentials("testing", "testing")))
    s3, sqs, ddb = session.client("s3"), session.client("sqs"), session.client("dynamodb")
    s3.create_bucket(Bucket="threads")
    ddb.create_table(TableName="threads", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    queues = [sqs.create_queue(QueueName=f"q{i}")["QueueUrl"] for i in range(THREADS)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def work(i: int) -> None:
        try:
            # Each thread makes its own clients from the shared session, as a server would.
            my_s3, my_sqs = session.client("s3"), session.client("sqs")
            my_ddb = session.client("dynamodb")
            barrier.wait()
            for r in range(ROUNDS):
                tag = f"{i}-{r}"
                my_s3.put_object(Bucket="threads", Key=f"k/{tag}", Body=tag.encode())
                my_sqs.send_message(QueueUrl=queues[i], MessageBody=tag)
                my_ddb.put_item(TableName="threads", Item={"k": {"S": tag}, "v": {"N": str(r)}})
                assert my_s3.get_object(Bucket="threads", Key=f"k/{tag}")["Body"].read() == (
                    tag.encode())
                item = my_ddb.get_item(TableName="threads", Key={"k": {"S": tag}})["Item"]
                assert item == {"k": {"S": tag}, "v": {"N": str(r)}}
            got: list[str] = []
            while len(got) < ROUNDS:
                for m in my_sqs.receive_message(QueueUrl=queues[i],
                                                MaxNumberOfMessages=10).get("Messages", []):
                    got.append(m["Body"])
                    my_sqs.delete_message(QueueUrl=queues[i], ReceiptHandle=m["ReceiptHandle"])
            assert sorted(got) == sorted(f"{i}-{r}" for r in range(ROUNDS))  # no cross-talk
        except BaseException as exc:  # noqa: BLE001  (reported by the main thread)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    join_all(threads)
    assert errors == []
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="threads")
            for o in page.get("Contents", [])]
    assert len(keys) == THREADS * ROUNDS
    assert ddb.scan(TableName="threads", Select="COUNT")["Count"] == THREADS * ROUNDS


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


def test_lambda_waiters_and_errors_on_moto(moto: MotoServer) -> None:
    boto, lam = _clients(moto, "lambda")
    _, iam = _clients(moto, "iam")
    role = iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    created = lam.create_function(FunctionName="fn", Runtime="python3.12", Role=role,
                                  Handler="handler.handler", Code={"ZipFile": _zip()})
    assert created["FunctionName"] == "fn"
    lam.get_waiter("function_exists").wait(FunctionName="fn", WaiterConfig={"Delay": 0.01})
    lam.get_waiter("function_active_v2").wait(FunctionName="fn", WaiterConfig={"Delay": 0.01})
    lam.get_waiter("function_updated_v2").wait(FunctionName="fn", WaiterConfig={"Delay": 0.01})
    ours = lam.get_function(FunctionName="fn")["Configuration"]
    theirs = boto.get_function(FunctionName="fn")["Configuration"]
    assert ours["FunctionArn"] == theirs["FunctionArn"] and ours["State"] == theirs["State"]
    with pytest.raises(WaiterError):
        lam.get_waiter("function_exists").wait(
            FunctionName="missing", WaiterConfig={"Delay": 0.01, "MaxAttempts": 2})
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="missing")
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.create_function(FunctionName="fn", Runtime="python3.12", Role=role,
                            Handler="handler.handler", Code={"ZipFile": _zip()})


def test_ssm_waiter_and_errors_on_moto(moto: MotoServer) -> None:
    _, ssm = _clients(moto, "ssm")
    command = ssm.send_command(InstanceIds=["i-123"], DocumentName="AWS-RunShellScript",
                               Parameters={"commands": ["true"]})["Command"]
    ssm.get_waiter("command_executed").wait(CommandId=command["CommandId"],
                                            InstanceId="i-123", WaiterConfig={"Delay": 0.01})
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(Name="/nope")
    ssm.put_parameter(Name="/p", Value="v", Type="String")
    with pytest.raises(ssm.exceptions.ParameterAlreadyExists):
        ssm.put_parameter(Name="/p", Value="v", Type="String")


@pytest.mark.parametrize("service, call, error", [
    ("sts", lambda c: c.assume_role_with_web_identity(
        RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="sess",
        WebIdentityToken="x" * 3000), None),
    ("sns", lambda c: c.get_topic_attributes(
        TopicArn="arn:aws:sns:us-east-1:123456789012:none"), "NotFoundException"),
    ("kms", lambda c: c.describe_key(KeyId="alias/none"), "NotFoundException"),
    ("secretsmanager", lambda c: c.describe_secret(SecretId="none"),
     "ResourceNotFoundException"),
    ("sqs", lambda c: c.get_queue_url(QueueName="none"), "QueueDoesNotExist"),
])
def test_modeled_exceptions_per_service(moto: MotoServer, service: str, call: Any,
                                        error: str | None) -> None:
    boto, ours = _clients(moto, service)
    assert ours.waiter_names == boto.waiter_names
    if error is None:  # moto's STS accepts any token: both succeed alike
        assert call(ours)["AssumedRoleUser"]["Arn"] == call(boto)["AssumedRoleUser"]["Arn"]
        return
    with pytest.raises(ClientError) as info:
        call(ours)
    assert isinstance(info.value, getattr(ours.exceptions, error))
