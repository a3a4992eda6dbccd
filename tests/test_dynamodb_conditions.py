"""hub.dynamodb.conditions against boto3's condition builder: expressions, placeholders, errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb import conditions as boto
from boto3.exceptions import DynamoDBNeedsKeyConditionError as BotoNeedsKey
from hypothesis import given
from hypothesis import strategies as st

from hub.dynamodb import conditions as mine
from hub.dynamodb._transform import build_conditions, serialize_input
from hub.dynamodb.conditions import (
    Attr,
    ConditionExpressionBuilder,
    DynamoDBNeedsConditionError,
    DynamoDBNeedsKeyConditionError,
    DynamoDBOperationNotSupportedError,
    Key,
)
from hub.errors import HubError

# A condition is built twice from one recipe: once with hub's classes, once with boto3's.
Recipe = Callable[[Any], Any]

# Names with dots, brackets, reserved words and odd characters ("%" only outside brackets).
names = st.one_of(
    st.sampled_from(["pk", "name", "size", "a.b", "a.b[0].c", "list[1][2]", "#x", ":v",
                     "x y", "map.key with space", "a[0]", "b[10].c.d", "%s", "ünï"]),
    st.text(st.characters(blacklist_characters="[]%", blacklist_categories=("Cs",)),
            min_size=1, max_size=6),
)
values = st.one_of(st.integers(), st.text(max_size=4), st.binary(max_size=4),
                   st.decimals(allow_nan=False, allow_infinity=False), st.booleans(),
                   st.none(), st.lists(st.integers(), max_size=3))


def attr_comparison(name: str, op: str, value: Any, value2: Any) -> Recipe:
    def build(ns: Any) -> Any:
        attr = ns.Attr(name)
        if op == "between":
            return attr.between(value, value2)
        if op in ("exists", "not_exists"):
            return getattr(attr, op)()
        if op == "is_in":
            return attr.is_in([value, value2])
        if op.startswith("size_"):
            return getattr(attr.size(), op[5:])(value)
        return getattr(attr, op)(value)
    return build


def key_comparison(name: str, op: str, value: Any, value2: Any) -> Recipe:
    def build(ns: Any) -> Any:
        key = ns.Key(name)
        return key.between(value, value2) if op == "between" else getattr(key, op)(value)
    return build


ATTR_OPS = ["eq", "ne", "lt", "lte", "gt", "gte", "begins_with", "between", "is_in", "exists",
            "not_exists", "contains", "attribute_type", "size_eq", "size_lt", "size_gte"]
KEY_OPS = ["eq", "lt", "lte", "gt", "gte", "begins_with", "between"]

attr_leaves = st.builds(attr_comparison, names, st.sampled_from(ATTR_OPS), values, values)
key_leaves = st.builds(key_comparison, names, st.sampled_from(KEY_OPS), values, values)


def combine(op: str, left: Recipe, right: Recipe) -> Recipe:
    def build(ns: Any) -> Any:
        a, b = left(ns), right(ns)
        return a & b if op == "&" else a | b
    return build


def negate(inner: Recipe) -> Recipe:
    return lambda ns: ~inner(ns)


def trees(leaves: st.SearchStrategy[Recipe]) -> st.SearchStrategy[Recipe]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.builds(combine, st.sampled_from("&|"), inner, inner),
            st.builds(negate, inner),
        ),
        max_leaves=8,
    )


def normalize(message: str) -> str:
    """Error text with module paths and object addresses made comparable."""
    message = message.replace("boto3.dynamodb.conditions", "hub.dynamodb.conditions")
    return re.sub(r"0x[0-9a-fA-F]+", "0x?", message)


def built(ns: Any, builder: Any, recipe: Recipe, is_key: bool) -> tuple[str, Any, Any]:
    try:
        result = builder.build_expression(recipe(ns), is_key_condition=is_key)
    except Exception as exc:  # noqa: BLE001 - the error is what is compared
        return ("error", type(exc).__name__, normalize(str(exc)))
    return tuple(result)  # type: ignore[return-value]


@given(trees(st.one_of(attr_leaves, key_leaves)), st.booleans())
def test_expressions_match_boto3(recipe: Recipe, is_key: bool) -> None:
    assert built(mine, mine.ConditionExpressionBuilder(), recipe, is_key) == built(
        boto, boto.ConditionExpressionBuilder(), recipe, is_key)


@given(st.lists(trees(attr_leaves), min_size=2, max_size=4))
def test_numbering_continues_across_builds_until_reset(recipes: list[Recipe]) -> None:
    ours, theirs = mine.ConditionExpressionBuilder(), boto.ConditionExpressionBuilder()
    for i, recipe in enumerate(recipes):
        if i == 2:
            ours.reset()
            theirs.reset()
        assert built(mine, ours, recipe, False) == built(boto, theirs, recipe, False)


def test_reserved_words_and_paths_become_placeholders() -> None:
    cond = Attr("name.size[3].values").eq(1) & Attr("status").is_in(["a", "b"])
    result = ConditionExpressionBuilder().build_expression(cond)
    assert result.condition_expression == "(#n0.#n1[3].#n2 = :v0 AND #n3 IN (:v1, :v2))"
    assert result.attribute_name_placeholders == {"#n0": "name", "#n1": "size",
                                                  "#n2": "values", "#n3": "status"}
    assert result.attribute_value_placeholders == {":v0": 1, ":v1": "a", ":v2": "b"}


@pytest.mark.parametrize(("make", "error"), [
    (lambda: Attr("a") & Attr("b"), DynamoDBOperationNotSupportedError),
    (lambda: Attr("a") | Attr("b").eq(1), DynamoDBOperationNotSupportedError),
    (lambda: ~Key("a"), DynamoDBOperationNotSupportedError),
    (lambda: Attr("a").eq(1) & "a = :b", DynamoDBOperationNotSupportedError),
    (lambda: Key("a").eq(1) | 3, DynamoDBOperationNotSupportedError),
])
def test_operator_errors_match_boto3(make: Callable[[], Any], error: type) -> None:
    with pytest.raises(error) as info:
        make()
    assert isinstance(info.value, HubError) and isinstance(info.value, TypeError)
    boto_make = make.__code__  # same recipe with boto3's names
    namespace = {"Attr": boto.Attr, "Key": boto.Key}
    with pytest.raises(Exception) as boto_info:
        eval(boto_make, namespace)
    assert type(boto_info.value).__name__ == error.__name__
    assert normalize(str(info.value)) == normalize(str(boto_info.value))


def test_build_errors_match_boto3() -> None:
    with pytest.raises(DynamoDBNeedsConditionError) as info:
        ConditionExpressionBuilder().build_expression("pk = :v")  # type: ignore[arg-type]
    with pytest.raises(Exception) as boto_info:
        boto.ConditionExpressionBuilder().build_expression("pk = :v")
    assert str(info.value) == str(boto_info.value)
    with pytest.raises(DynamoDBNeedsKeyConditionError) as key_info:
        ConditionExpressionBuilder().build_expression(Attr("a").eq(1), is_key_condition=True)
    with pytest.raises(BotoNeedsKey) as boto_key_info:
        boto.ConditionExpressionBuilder().build_expression(boto.Attr("a").eq(1), True)
    assert normalize(str(key_info.value)) == normalize(str(boto_key_info.value))


def test_equality_matches_boto3() -> None:
    assert Key("a").eq(1) == Key("a").eq(1)
    assert Key("a").eq(1) != Key("a").eq(2)
    assert Key("a").eq(1) != Attr("a").eq(1)  # Key and Attr differ as operands
    assert Attr("a") == Attr("a") and Attr("a") != Key("a")
    assert Attr("a").size() == Attr("a").size()
    assert Attr("a").size() != Attr("b").size()
    assert boto.Attr("a").size() != boto.Attr("b").size()


# --------------------------------------------------------------------------- params


def test_table_params_build_filter_first_then_key_and_merge_placeholders() -> None:
    params = serialize_input("t", {
        "KeyConditionExpression": Key("pk").eq("a") & Key("sk").gt(Decimal("1.5")),
        "FilterExpression": Attr("n").size().lt(3),
        "ExpressionAttributeNames": {"#mine": "x"},
        "ExpressionAttributeValues": {":mine": {"a", "b"}},
    })
    # boto3's order: the filter (a ConditionExpression shape) is built before the key
    # condition, with one builder, so numbering continues.
    assert params["FilterExpression"] == "size(#n0) < :v0"
    assert params["KeyConditionExpression"] == "(#n1 = :v1 AND #n2 > :v2)"
    assert params["ExpressionAttributeNames"] == {"#mine": "x", "#n0": "n", "#n1": "pk",
                                                  "#n2": "sk"}
    values = params["ExpressionAttributeValues"]
    assert sorted(values[":mine"]["SS"]) == ["a", "b"]
    assert values[":v0"] == {"N": "3"} and values[":v1"] == {"S": "a"}
    assert values[":v2"] == {"N": "1.5"}
    assert params["TableName"] == "t"


def test_user_params_are_not_modified() -> None:
    names = {"#a": "a"}
    item = {"pk": "x", "n": 1}
    kwargs = {"Item": item, "ConditionExpression": Attr("pk").not_exists(),
              "ExpressionAttributeNames": names}
    params = serialize_input("t", kwargs)
    assert names == {"#a": "a"} and item == {"pk": "x", "n": 1}
    assert params["Item"] == {"pk": {"S": "x"}, "n": {"N": "1"}}
    assert params["ExpressionAttributeNames"] == {"#a": "a", "#n0": "pk"}
    assert "ExpressionAttributeValues" not in params


def test_strings_pass_through_and_key_condition_rejects_attr() -> None:
    params: dict[str, Any] = {"KeyConditionExpression": "pk = :p"}
    assert build_conditions(params) == ({}, {})
    assert params == {"KeyConditionExpression": "pk = :p"}
    with pytest.raises(DynamoDBNeedsKeyConditionError):
        serialize_input("t", {"KeyConditionExpression": Attr("pk").eq(1)})


def test_legacy_parameters_are_serialized() -> None:
    params = serialize_input("t", {
        "Key": {"pk": 1},
        "Expected": {"n": {"Value": 2, "ComparisonOperator": "EQ"},
                     "m": {"AttributeValueList": ["a", b"b"], "ComparisonOperator": "IN"}},
        "AttributeUpdates": {"n": {"Value": {1, 2}, "Action": "PUT"}},
    })
    assert params["Key"] == {"pk": {"N": "1"}}
    assert params["Expected"]["n"] == {"Value": {"N": "2"}, "ComparisonOperator": "EQ"}
    assert params["Expected"]["m"]["AttributeValueList"] == [{"S": "a"}, {"B": b"b"}]
    assert sorted(params["AttributeUpdates"]["n"]["Value"]["NS"]) == ["1", "2"]


# --------------------------------------------------------------------------- client handler

_BOTO_DDB = None


def _boto_operation(name: str) -> Any:
    global _BOTO_DDB
    if _BOTO_DDB is None:
        import botocore.session

        _BOTO_DDB = botocore.session.get_session().get_service_model("dynamodb")
    return _BOTO_DDB.operation_model(name)


@given(trees(attr_leaves), trees(key_leaves), st.booleans())
def test_client_handler_matches_boto3s_resource_injector(filter_recipe: Recipe,
                                                         key_recipe: Recipe,
                                                         with_own: bool) -> None:
    from boto3.dynamodb.transform import TransformationInjector

    from hub.dynamodb.types import serialize
    from hub.services.dynamodb.customizations import _expanded

    def params(ns: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"TableName": "t", "FilterExpression": filter_recipe(ns),
                               "KeyConditionExpression": key_recipe(ns)}
        if with_own:
            out["ExpressionAttributeNames"] = {"#own": "x"}
            out["ExpressionAttributeValues"] = {":own": {"S": "y"}}
        return out

    given_params = params(mine)
    ours = _expanded(given_params)
    assert isinstance(given_params["FilterExpression"], mine.ConditionBase)  # caller's intact
    assert given_params.get("ExpressionAttributeNames", {}).keys() <= {"#own"}

    theirs = params(boto)
    TransformationInjector().inject_condition_expressions(theirs, _boto_operation("Query"))
    # boto3's resource client serializes native values in a later step; the low-level
    # client's own values are already AttributeValues.
    values = {k: (v if k == ":own" else serialize(v))
              for k, v in theirs.pop("ExpressionAttributeValues", {}).items()}
    if values:
        theirs["ExpressionAttributeValues"] = values
    assert ours == theirs


def test_client_loads_the_table_layer_only_when_used() -> None:
    import subprocess
    import sys

    from hub.dynamodb._transform import CONDITION_PARAMS
    from hub.services.dynamodb import customizations

    assert customizations._CONDITION_NAMES == tuple(name for name, _ in CONDITION_PARAMS)
    code = ("import sys, hub\n"
            "c = hub.Session(hub.Config(region='us-east-1')).client('dynamodb')\n"
            "assert not [m for m in sys.modules if m.startswith('hub.dynamodb')]\n"
            "assert type(c.Table('t')).__module__ == 'hub.dynamodb.table'\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
