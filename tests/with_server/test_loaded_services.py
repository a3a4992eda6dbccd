"""Services hub ships no package for, built at runtime from botocore's model files
(hub.services._botocore_data), against boto3 on moto: iam (query), logs and events (json),
apigateway (rest-json)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import hub
from hub.errors import ClientError as HubClientError
from tests.servers.moto_server import MotoServer
from tests.with_server.test_boto3_parity import _clients
from tests.with_server.test_more_services_parity import _mask
from tests.with_server.test_service_surface_parity import Script, _run

botocore_exceptions = pytest.importorskip("botocore.exceptions")

_TRUST = '{"Version": "2012-10-17", "Statement": []}'


def _iam() -> Script:
    return [
        ("create_user", lambda s: {"UserName": "alice", "Tags": [{"Key": "k", "Value": "v"}]}),
        ("create_user", lambda s: {"UserName": "bob"}),
        ("list_users", lambda s: {}),
        ("get_user", lambda s: {"UserName": "alice"}),
        ("create_role", lambda s: {"RoleName": "r", "AssumeRolePolicyDocument": _TRUST}),
        ("get_role", lambda s: {"RoleName": "r"}),
        ("get_user", lambda s: {"UserName": "missing"}),
    ]


def _logs() -> Script:
    return [
        ("create_log_group", lambda s: {"logGroupName": "g"}),
        ("create_log_stream", lambda s: {"logGroupName": "g", "logStreamName": "s"}),
        ("put_log_events", lambda s: {"logGroupName": "g", "logStreamName": "s", "logEvents": [
            {"timestamp": 1_700_000_000_000, "message": "hello"}]}),
        ("get_log_events", lambda s: {"logGroupName": "g", "logStreamName": "s"}),
        ("describe_log_groups", lambda s: {}),
        ("create_log_group", lambda s: {"logGroupName": "g"}),
    ]


def _events() -> Script:
    return [
        ("create_event_bus", lambda s: {"Name": "bus"}),
        ("put_rule", lambda s: {"Name": "rule", "EventBusName": "bus",
                                "EventPattern": '{"source": ["app"]}'}),
        ("list_rules", lambda s: {"EventBusName": "bus"}),
        ("describe_rule", lambda s: {"Name": "missing"}),
    ]


def _apigateway() -> Script:
    return [
        ("create_rest_api", lambda s: {"name": "api", "description": "d"}),
        ("get_rest_apis", lambda s: {}),
        ("get_resources", lambda s: {"restApiId": s["create_rest_api"]["id"]}),
        ("get_rest_api", lambda s: {"restApiId": "missing"}),
    ]


_MASK = {"UserId", "RoleId", "CreateDate", "id", "createdDate", "rootResourceId",
         "nextForwardToken", "nextBackwardToken", "creationTime", "arn", "Arn",
         "ingestionTime", "RuleArn", "EventBusArn"}


def _mask_more(value: Any) -> Any:
    value = _mask(value)
    if isinstance(value, dict):
        return {k: "<masked>" if k in _MASK else _mask_more(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_mask_more(v) for v in value)
    return value


@pytest.mark.parametrize("service, script", [
    ("iam", _iam), ("logs", _logs), ("events", _events), ("apigateway", _apigateway)])
def test_loaded_service_same_results_as_boto3(moto: MotoServer, service: str,
                                              script: Callable[[], Script]) -> None:
    boto, ours = _clients(moto, service)
    assert type(ours).__name__ == "LoadedServiceClient"
    expected = _mask_more(_run(boto, script(), (botocore_exceptions.ClientError,)))
    moto.reset()
    actual = _mask_more(_run(ours, script(), (HubClientError,)))
    assert [e[0] for e in actual] == [e[0] for e in expected]
    for want, got in zip(expected, actual, strict=True):
        assert got == want, f"{want[0]} differs"
    assert actual[-1][1] == "error"  # each script ends with a modeled error


@pytest.mark.parametrize("service, method, params", [
    ("iam", "get_user", {"UserName": "missing"}),
    ("logs", "get_log_events", {"logGroupName": "missing", "logStreamName": "s"}),
    ("apigateway", "get_rest_api", {"restApiId": "missing"}),
])
def test_loaded_service_modeled_errors(moto: MotoServer, service: str, method: str,
                                       params: dict[str, Any]) -> None:
    boto, ours = _clients(moto, service)
    with pytest.raises(botocore_exceptions.ClientError) as theirs:
        getattr(boto, method)(**params)
    with pytest.raises(HubClientError) as mine:
        getattr(ours, method)(**params)
    name = type(theirs.value).__name__
    assert type(mine.value).__name__ == name
    assert isinstance(mine.value, getattr(ours.exceptions, name))
    assert mine.value.code == theirs.value.response["Error"]["Code"]


def test_loaded_service_paginator_and_waiter(moto: MotoServer) -> None:
    boto, ours = _clients(moto, "iam")
    for i in range(5):
        ours.create_user(UserName=f"u{i}")
    pages = list(ours.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 2}))
    theirs = list(boto.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 2}))
    # moto's IAM ignores MaxItems: what matters is hub pages as boto3 does.
    assert [len(p["Users"]) for p in pages] == [len(p["Users"]) for p in theirs]
    assert sum(len(p["Users"]) for p in pages) == 5
    assert sorted(ours.waiter_names) == sorted(boto.waiter_names)
    ours.get_waiter("user_exists").wait(UserName="u3", WaiterConfig={"Delay": 0.01})
    with pytest.raises(hub.errors.WaiterError):
        ours.get_waiter("user_exists").wait(UserName="nobody",
                                            WaiterConfig={"Delay": 0.01, "MaxAttempts": 2})


def test_loaded_client_surface(moto: MotoServer) -> None:
    boto, ours = _clients(moto, "iam")
    assert set(boto.meta.method_to_api_mapping) == set(ours.meta.method_to_api_mapping)
    assert "list_users" in dir(ours)
    with pytest.raises(AttributeError, match="no attribute 'list_userz'"):
        ours.list_userz  # noqa: B018
    assert ours.list_users.__name__ == "list_users"
    assert ours.can_paginate("list_users") is boto.can_paginate("list_users") is True


def test_loaded_logs_paginates_as_boto3(moto: MotoServer) -> None:
    boto, ours = _clients(moto, "logs")
    for i in range(5):
        ours.create_log_group(logGroupName=f"g{i}")
    pages = list(ours.get_paginator("describe_log_groups").paginate(
        PaginationConfig={"PageSize": 2}))
    theirs = list(boto.get_paginator("describe_log_groups").paginate(
        PaginationConfig={"PageSize": 2}))
    assert [len(p["logGroups"]) for p in pages] == [len(p["logGroups"]) for p in theirs]
    assert [g["logGroupName"] for p in pages for g in p["logGroups"]] == [
        f"g{i}" for i in range(5)]


def test_loaded_service_shared_by_16_threads(moto: MotoServer) -> None:
    import threading
    import time

    from tests._threads import join_all

    _, logs = _clients(moto, "logs")
    session = hub.Session(hub.Config(region="us-east-1", endpoint_url=moto.url,
                                     credentials=hub.Credentials("testing", "testing")))
    errors: list[BaseException] = []
    barrier = threading.Barrier(16)
    now = int(time.time() * 1000)

    def work(i: int) -> None:
        try:
            client = session.client("logs")  # every thread resolves the shared loaded model
            barrier.wait()
            client.create_log_group(logGroupName=f"t{i}")
            client.create_log_stream(logGroupName=f"t{i}", logStreamName="s")
            client.put_log_events(logGroupName=f"t{i}", logStreamName="s", logEvents=[
                {"timestamp": now + n, "message": f"{i}-{n}"} for n in range(3)])
            got = client.get_log_events(logGroupName=f"t{i}", logStreamName="s",
                                        startFromHead=True)["events"]
            assert [e["message"] for e in got] == [f"{i}-{n}" for n in range(3)]
        except BaseException as exc:  # noqa: BLE001  (reported by the main thread)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    join_all(threads)
    assert errors == []
    names = {g["logGroupName"] for p in logs.get_paginator("describe_log_groups").paginate()
             for g in p["logGroups"]}
    assert {f"t{i}" for i in range(16)} <= names
