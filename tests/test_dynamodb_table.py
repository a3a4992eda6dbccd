"""Table pieces that need no server: the polling waiter's defaults, batch_get retries."""

from __future__ import annotations

import os
from typing import Any

import pytest

from hub.dynamodb import BatchGetError, Table
from hub.dynamodb.batch import BatchWriter
from hub.dynamodb.table import DESCRIBE_ATTRIBUTES, WAITER_DELAY, WAITER_MAX_ATTEMPTS, poll_table
from hub.errors import ClientError, ParamValidationError, WaiterError


def error(code: str) -> ClientError:
    return ClientError(code, "no", status_code=400, operation="DescribeTable",
                       response={"Error": {"Code": code, "Message": "no"},
                                 "ResponseMetadata": {"HTTPStatusCode": 400}})


def not_found() -> ClientError:
    return error("ResourceNotFoundException")


class Describer:
    """``describe_table`` answering from a script (a status, or an exception to raise)."""

    def __init__(self, *script: Any) -> None:
        self.script = list(script)
        self.calls = 0

    def describe_table(self, **params: Any) -> dict[str, Any]:
        self.calls += 1
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        return {"Table": {"TableName": params["TableName"], "TableStatus": step}}


def test_poll_defaults_are_boto3s_table_exists_waiter() -> None:
    assert (WAITER_DELAY, WAITER_MAX_ATTEMPTS) == (20.0, 25)
    client = Describer("CREATING")
    sleeps: list[float] = []
    with pytest.raises(WaiterError, match="TableExists failed: Max attempts exceeded"):
        poll_table(client, "t", exists=True, sleep=sleeps.append)
    assert client.calls == 25 and sleeps == [20.0] * 24


def test_poll_until_active_then_until_gone() -> None:
    sleeps: list[float] = []
    client = Describer(not_found(), "CREATING", "ACTIVE")
    poll_table(client, "t", exists=True, waiter_config={"Delay": 0.5}, sleep=sleeps.append)
    assert client.calls == 3 and sleeps == [0.5, 0.5]
    client = Describer("ACTIVE", "DELETING", not_found())
    poll_table(client, "t", exists=False, sleep=sleeps.append)
    assert client.calls == 3


def test_poll_unexpected_error_fails_at_once() -> None:
    client = Describer(error("AccessDeniedException"))
    with pytest.raises(WaiterError, match="AccessDeniedException") as info:
        poll_table(client, "t", exists=True, sleep=lambda s: None)
    assert client.calls == 1 and info.value.last_response["Error"]["Code"] == (
        "AccessDeniedException")


def test_table_without_client_waiters_polls() -> None:
    client = Describer("ACTIVE")
    table = Table(client, "t")  # type: ignore[arg-type]
    table.wait_until_exists(WaiterConfig={"Delay": 0, "MaxAttempts": 2})
    assert client.calls == 1 and table.table_status == "ACTIVE" and client.calls == 2


class BatchGetter:
    """``batch_get_item`` that leaves the last ``hold`` keys unprocessed ``rounds`` times."""

    def __init__(self, hold: int, rounds: int) -> None:
        self.hold, self.rounds, self.requests = hold, rounds, []

    def batch_get_item(self, **params: Any) -> dict[str, Any]:
        (name, spec), = params["RequestItems"].items()
        keys = spec["Keys"]
        self.requests.append(spec)
        assert len(keys) <= 100
        held = keys[-self.hold:] if self.rounds > 0 else []
        self.rounds -= 1
        done = keys[: len(keys) - len(held)]
        return {"Responses": {name: [dict(k, v={"S": "x"}) for k in done]},
                "UnprocessedKeys": {name: {"Keys": held}} if held else {}}


def test_batch_get_chunks_and_retries_unprocessed_keys() -> None:
    client = BatchGetter(hold=3, rounds=2)
    sleeps: list[float] = []
    table = Table(client, "t")  # type: ignore[arg-type]
    items = table.batch_get(({"pk": n} for n in range(150)), sleep=sleeps.append,
                            ConsistentRead=True)
    assert sorted(i["pk"] for i in items) == list(range(150))
    assert all(i["v"] == "x" for i in items)
    assert [len(r["Keys"]) for r in client.requests] == [100, 3, 3, 50]
    assert all(r["ConsistentRead"] is True for r in client.requests)
    assert len(sleeps) == 2 and 0.025 <= sleeps[0] <= 0.05 and 0.05 <= sleeps[1] <= 0.1


def test_batch_get_gives_up_without_progress() -> None:
    client = BatchGetter(hold=2, rounds=100)
    table = Table(client, "t")  # type: ignore[arg-type]
    with pytest.raises(BatchGetError) as info:
        table.batch_get([{"pk": 1}, {"pk": 2}], max_retries=2, sleep=lambda s: None)
    assert len(info.value.unprocessed) == 2 and len(client.requests) == 3  # 1 + 2 retries


def test_batch_writer_checks_its_options() -> None:
    with pytest.raises(ParamValidationError, match="flush_amount must be 1-25"):
        BatchWriter(object(), "t", flush_amount=26)  # type: ignore[arg-type]
    writer = BatchWriter(object(), "t", overwrite_by_pkeys=["pk", "sk"])  # type: ignore[arg-type]
    with pytest.raises(ParamValidationError, match="Item lacks 'sk'"):
        writer.put_item({"pk": "a"})
    assert "buffered=0" in repr(writer)


def test_describe_attributes_are_boto3s() -> None:
    import boto3

    resource = boto3.resource("dynamodb", region_name="us-east-1", aws_access_key_id="a",
                              aws_secret_access_key="b")
    boto_table = resource.Table("x")
    model = boto_table.meta.resource_model
    boto_names = {a for a in dir(boto_table) if not a.startswith("_")} - {
        a.name for a in model.actions} - {"meta", "name", "load", "reload", "batch_writer",
                                          "get_available_subresources", "wait_until_exists",
                                          "wait_until_not_exists"}
    assert boto_names == set(DESCRIBE_ATTRIBUTES)
    table = Table(Describer("ACTIVE"), "x")  # type: ignore[arg-type]
    assert {a for a in dir(Table) if not a.startswith("_")} >= boto_names | {
        "get_item", "put_item", "update_item", "delete_item", "query", "scan", "batch_writer",
        "load", "reload", "wait_until_exists", "wait_until_not_exists", "delete", "update"}
    assert table.key_schema is None and table.table_status == "ACTIVE"


class Recorder:
    """``batch_write_item`` that records the keys it was sent."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def batch_write_item(self, **params: Any) -> dict[str, Any]:
        (_, requests), = params["RequestItems"].items()
        self.keys += [r["PutRequest"]["Item"]["pk"]["S"] for r in requests]
        return {}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_batch_writer_in_a_forked_child_starts_empty() -> None:
    client = Recorder()
    writer = BatchWriter(client, "t")  # type: ignore[arg-type]
    for n in range(3):
        writer.put_item({"pk": f"parent{n}"})
    pid = os.fork()
    if pid == 0:  # the child: the parent's buffered requests are not written twice
        code = 1
        try:
            assert "buffered=0" in repr(writer)
            writer.put_item({"pk": "child"})
            writer.flush()
            code = 0 if client.keys == ["child"] else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    writer.flush()
    assert client.keys == ["parent0", "parent1", "parent2"]
