"""Paginator semantics (PageSize, MaxItems, StartingToken) without a network."""

from __future__ import annotations

from typing import Any

import pytest

from hub.errors import ParamValidationError
from hub.protocols._shapes import Paginator as PaginatorModel
from hub.services._paginator import PaginationError, Paginator, decode_token, encode_token

MODEL = PaginatorModel(input_token=("Token",), output_token=("Next",), result_key=("Items",),
                       limit_key="Limit")


def fake_service(total: int) -> tuple[list[dict[str, Any]], Any]:
    calls: list[dict[str, Any]] = []

    def call(params: dict[str, Any]) -> dict[str, Any]:
        calls.append(dict(params))
        start = int(params.get("Token") or 0)
        size = params.get("Limit", 4)
        page: dict[str, Any] = {"Items": list(range(start, min(start + size, total)))}
        if start + size < total:
            page["Next"] = str(start + size)
        return page

    return calls, call


def test_pages_and_page_size() -> None:
    calls, call = fake_service(10)
    pages = list(Paginator(call, MODEL, "Op").paginate(X=1, PaginationConfig={"PageSize": 3}))
    assert [p["Items"] for p in pages] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert calls[0] == {"X": 1, "Limit": 3} and calls[1]["Token"] == "3"


def test_max_items_and_resume() -> None:
    _, call = fake_service(10)
    paginator = Paginator(call, MODEL, "Op")
    first = paginator.paginate(PaginationConfig={"MaxItems": 5}).build_full_result()
    assert first["Items"] == [0, 1, 2, 3, 4]
    second = paginator.paginate(PaginationConfig={"MaxItems": 3,
                                                  "StartingToken": first["NextToken"]})
    result = second.build_full_result()
    assert result["Items"] == [5, 6, 7]
    rest = paginator.paginate(PaginationConfig={"StartingToken": result["NextToken"]})
    assert rest.build_full_result() == {"Items": [8, 9]}


def test_max_items_on_page_boundary() -> None:
    _, call = fake_service(10)
    result = Paginator(call, MODEL, "Op").paginate(
        PaginationConfig={"MaxItems": 4}).build_full_result()
    assert result["Items"] == [0, 1, 2, 3]
    assert decode_token(result["NextToken"], ("Token",)) == ({"Token": "4"}, 0)


def test_repeated_token_raises() -> None:
    def call(params: dict[str, Any]) -> dict[str, Any]:
        return {"Items": [1], "Next": "same"}

    with pytest.raises(PaginationError):
        list(Paginator(call, MODEL, "Op").paginate())


def test_more_results_flag_stops() -> None:
    model = PaginatorModel(input_token=("T",), output_token=("N",), result_key=("Items",),
                           more_results="More")
    pages = list(Paginator(lambda p: {"Items": [1], "N": "x", "More": False}, model,
                           "Op").paginate())
    assert len(pages) == 1


def test_token_round_trip_with_bytes_and_legacy_format() -> None:
    token = encode_token({"Key": {"pk": {"B": b"\x00\xff"}}, "boto_truncate_amount": 2})
    assert decode_token(token, ("Key",)) == ({"Key": {"pk": {"B": b"\x00\xff"}}}, 2)
    assert decode_token("abc___3", ("T",)) == ({"T": "abc"}, 3)


def test_bad_pagination_config() -> None:
    _, call = fake_service(1)
    with pytest.raises(ParamValidationError):
        Paginator(call, MODEL, "Op").paginate(PaginationConfig={"Bogus": 1})
