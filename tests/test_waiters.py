"""Waiter acceptors and JMESPath search without a server (the call is a stub)."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from hub.errors import ClientError, MissingDependencyError, ParamValidationError, WaiterError
from hub.services._search import search
from hub.services._waiter import Waiter


def _error(code: str, status: int = 400) -> ClientError:
    return ClientError(code, "m", status_code=status, operation="Describe")


def _waiter(acceptors: list[dict[str, Any]], answers: list[Any]) -> tuple[Waiter, list[Any]]:
    calls: list[Any] = []

    def call(params: dict[str, Any]) -> dict[str, Any]:
        calls.append(params)
        answer = answers[min(len(calls), len(answers)) - 1]
        if isinstance(answer, ClientError):
            raise answer
        return {**answer, "ResponseMetadata": {"HTTPStatusCode": 200}}

    config = {"operation": "Describe", "delay": 0, "maxAttempts": 5, "acceptors": acceptors}
    return Waiter("Thing", config, call), calls


def test_path_matchers_and_retry_until_success() -> None:
    waiter, calls = _waiter(
        [{"matcher": "path", "argument": "Table.Status", "expected": "ACTIVE",
          "state": "success"},
         {"matcher": "error", "expected": "NotFound", "state": "retry"}],
        [_error("NotFound"), {"Table": {"Status": "CREATING"}}, {"Table": {"Status": "ACTIVE"}}])
    waiter.wait(Name="t")
    assert calls == [{"Name": "t"}] * 3


def test_path_all_and_path_any() -> None:
    items = {"Items": [{"S": "ok"}, {"S": "bad"}]}
    any_waiter, _ = _waiter([{"matcher": "pathAny", "argument": "Items[].S", "expected": "bad",
                              "state": "failure"}], [items])
    with pytest.raises(WaiterError, match="terminal failure"):
        any_waiter.wait()
    all_waiter, calls = _waiter([{"matcher": "pathAll", "argument": "Items[].S",
                                  "expected": "ok", "state": "success"}],
                                [items, {"Items": [{"S": "ok"}, {"S": "ok"}]}])
    all_waiter.wait()
    assert len(calls) == 2
    empty, _ = _waiter([{"matcher": "pathAll", "argument": "Items[].S", "expected": "ok",
                         "state": "success"}], [{"Items": []}])
    with pytest.raises(WaiterError, match="Max attempts"):
        empty.wait(WaiterConfig={"Delay": 0, "MaxAttempts": 2})


def test_error_and_status_matchers() -> None:
    gone, _ = _waiter([{"matcher": "error", "expected": "NotFound", "state": "success"}],
                      [_error("NotFound", 404)])
    gone.wait()
    any_error, _ = _waiter([{"matcher": "error", "expected": True, "state": "success"}],
                           [_error("Whatever")])
    any_error.wait()
    no_error, _ = _waiter([{"matcher": "error", "expected": False, "state": "success"}], [{}])
    no_error.wait()
    status, _ = _waiter([{"matcher": "status", "expected": 404, "state": "success"}],
                        [_error("404", 404)])
    status.wait()


def test_an_unexpected_error_stops_the_wait_at_once() -> None:
    waiter, calls = _waiter([{"matcher": "error", "expected": "NotFound", "state": "retry"}],
                            [_error("AccessDenied", 403)])
    with pytest.raises(WaiterError) as info:
        waiter.wait()
    assert len(calls) == 1 and "AccessDenied" in info.value.reason
    assert info.value.last_response["Error"]["Code"] == "AccessDenied"


def test_waiter_config_is_checked() -> None:
    waiter, _ = _waiter([], [{}])
    for bad in ({"Delay": -1}, {"MaxAttempts": 0}, {"MaxAttempts": True}, {"Other": 1}, "x"):
        with pytest.raises(ParamValidationError):
            waiter.wait(WaiterConfig=bad)


def test_search_dotted_paths_need_no_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jmespath", None)  # as if it were not installed
    assert search("Table.Status", {"Table": {"Status": "ACTIVE"}}) == "ACTIVE"
    assert search("Table.Status", {"Table": "not a dict"}) is None
    with pytest.raises(MissingDependencyError) as info:
        search("Items[?S == 'x'].S | [0]", {"Items": []})
    assert info.value.extra == "jmespath" and "hub[jmespath]" in str(info.value)
    assert isinstance(info.value, ImportError)


def test_search_full_expressions_with_jmespath() -> None:
    pytest.importorskip("jmespath")
    page = {"Contents": [{"Key": "a", "Size": 1}, {"Key": "b", "Size": 5}]}
    assert search("Contents[?Size > `2`].Key", page) == ["b"]
    assert search("NextMarker || Contents[-1].Key", page) == "b"
    assert search("length(Contents) > `1`", page) is True
