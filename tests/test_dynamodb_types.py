"""hub.dynamodb.types against boto3's TypeSerializer/TypeDeserializer: values and errors."""

from __future__ import annotations

import decimal
import enum
import pickle
import types
from collections import OrderedDict
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import Binary as BotoBinary
from boto3.dynamodb.types import TypeDeserializer as BotoDeserializer
from boto3.dynamodb.types import TypeSerializer as BotoSerializer
from hypothesis import given
from hypothesis import strategies as st

from hub.dynamodb import types as ddbt
from hub.dynamodb.types import (
    Binary,
    NumberError,
    TypeDeserializer,
    TypeSerializer,
    UnsupportedTypeError,
    deserialize_item,
    serialize,
    serialize_item,
)
from hub.errors import ParamValidationError

# --------------------------------------------------------------------------- strategies

finite_decimals = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False),
    # Many digits and extreme exponents: the Inexact/Rounded/Overflow/Underflow/Clamped paths.
    st.builds(lambda digits, exp: Decimal(f"{digits}E{exp}"),
              st.integers(-(10**45), 10**45), st.integers(-160, 160)),
    st.sampled_from([Decimal("Infinity"), Decimal("NaN")]),  # boto3 refuses these two too
)
numbers = st.one_of(st.integers(), st.integers(-(10**45), 10**45), finite_decimals)
scalars = st.one_of(
    st.none(), st.booleans(), numbers, st.text(max_size=8), st.binary(max_size=8),
    st.binary(max_size=4).map(Binary), st.floats(allow_nan=False).filter(lambda f: f == f),
)
sets = st.one_of(
    st.frozensets(numbers, max_size=4).map(set),
    st.frozensets(st.text(max_size=4), max_size=4).map(set),
    st.frozensets(st.binary(max_size=4), max_size=4).map(set),
    st.frozensets(st.binary(max_size=4).map(Binary), max_size=3),
    # Mixed sets: boto3 decides element by element (a float raises only if reached).
    st.frozensets(st.one_of(st.integers(0, 3), st.text(max_size=2), st.just(1.5),
                            st.booleans(), st.binary(max_size=1)), max_size=4),
)
values = st.recursive(
    st.one_of(scalars, sets),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=4), inner, max_size=4),
    ),
    max_leaves=12,
)


def to_boto(value: Any) -> Any:
    """The same value with boto3's Binary in place of hub's (the same object when it has none,
    so that set iteration order, which decides boto3's errors, is kept)."""
    if isinstance(value, Binary):
        return BotoBinary(value.value)
    if isinstance(value, (set, frozenset, list, tuple)):
        converted = [to_boto(v) for v in value]
        if all(a is b for a, b in zip(converted, value, strict=True)):
            return value
        return type(value)(converted)
    if isinstance(value, dict):
        items = {k: to_boto(v) for k, v in value.items()}
        return value if all(items[k] is value[k] for k in value) else items
    return value


def canon(av: Any) -> Any:
    """An AttributeValue with set members sorted (rebuilt sets may iterate differently)."""
    if isinstance(av, dict):
        return {k: sorted(v) if k in ("SS", "NS", "BS") else canon(v) for k, v in av.items()}
    if isinstance(av, list):
        return [canon(v) for v in av]
    return av


def plain(value: Any) -> Any:
    """Comparable form of a deserialized value (either library's Binary -> tagged bytes)."""
    if isinstance(value, (Binary, BotoBinary)):
        return ("B", bytes(value.value))
    if isinstance(value, (set, frozenset)):
        return frozenset(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def outcome(fn: Any, value: Any) -> tuple[Any, ...]:
    try:
        return ("ok", fn(value))
    except Exception as exc:  # noqa: BLE001 - the error is what is compared
        return ("error", exc)


# --------------------------------------------------------------------------- serializer


@given(values)
def test_serialize_matches_boto3_values_and_errors(value: Any) -> None:
    mine = outcome(TypeSerializer().serialize, value)
    theirs = outcome(BotoSerializer().serialize, to_boto(value))
    assert mine[0] == theirs[0], (mine, theirs)
    if mine[0] == "ok":
        assert canon(mine[1]) == canon(theirs[1])
        assert canon(serialize(value)) == canon(theirs[1])
        return
    err, boto_err = mine[1], theirs[1]
    # The same class boto3 raises (hub's is a subclass of it) and the same message.
    assert isinstance(err, type(boto_err)), (type(err), type(boto_err))
    assert str(err) == str(boto_err)
    assert err.args == boto_err.args
    assert isinstance(err, ParamValidationError)


@given(st.dictionaries(st.text(max_size=4), values, max_size=6))
def test_serialize_item_matches_boto3(item: dict[str, Any]) -> None:
    boto = BotoSerializer()
    try:
        expected = {k: boto.serialize(v) for k, v in to_boto(item).items()}
    except Exception as boto_err:  # noqa: BLE001
        with pytest.raises(type(boto_err)) as info:
            serialize_item(item)
        assert str(info.value) == str(boto_err)
    else:
        assert canon(serialize_item(item)) == canon(expected)


@pytest.mark.parametrize(("value", "signal"), [
    (Decimal("1." + "1" * 40), decimal.Inexact),
    (10**40, decimal.Rounded),
    (Decimal("1E+200"), decimal.Overflow),
    (Decimal("1E-200"), decimal.Underflow),
    (Decimal("0E-200"), decimal.Clamped),
])
def test_number_errors_are_boto3_signals_and_hub_errors(value: Any, signal: type) -> None:
    with pytest.raises(signal) as info:
        serialize(value)
    err = info.value
    assert isinstance(err, NumberError)
    assert err.value == value
    assert repr(value) in err.problems[0]
    with pytest.raises(signal) as boto_info:
        BotoSerializer().serialize(value)
    assert str(err) == str(boto_info.value)
    # Picklable, like every hub error, and still the same class after the trip.
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and str(again) == str(err)


@pytest.mark.parametrize("value", [Decimal("-Infinity"), Decimal("-NaN"), Decimal("sNaN")])
def test_every_non_finite_number_is_refused(value: Decimal) -> None:
    # Deliberate difference: boto3 sends these (DynamoDB then refuses the request).
    with pytest.raises(UnsupportedTypeError, match="^Infinity and NaN not supported$"):
        serialize(value)
    with pytest.raises(TypeError):
        serialize({"a": [{value}]})


def test_float_error_is_boto3s_type_error() -> None:
    with pytest.raises(TypeError) as info:
        serialize({"price": 1.5})
    assert str(info.value) == "Float types are not supported. Use Decimal types instead."
    assert isinstance(info.value, ParamValidationError)
    assert info.value.value == 1.5  # type: ignore[attr-defined]


class Color(enum.IntEnum):
    RED = 1


class Name(str):
    pass


@pytest.mark.parametrize("value", [
    Color.RED, Name("x"), OrderedDict(a=1), types.MappingProxyType({"a": {1}}),
    frozenset({b"a"}), bytearray(b"xy"), True, [(), {}],
])
def test_subclasses_and_abstract_types_take_boto3s_path(value: Any) -> None:
    assert serialize(value) == BotoSerializer().serialize(value)


def test_unsupported_type_message() -> None:
    with pytest.raises(TypeError) as info:
        serialize(object)
    assert str(info.value) == f'Unsupported type "{type(object)}" for value "{object}"'


# --------------------------------------------------------------------------- deserializer

attribute_values = st.one_of(
    values.map(lambda v: serialize(v) if _serializable(v) else {"NULL": True}),
    st.sampled_from([{}, {"X": 1}, {"s": "lower"}, {"Null": True}, {"n": "1.50"},
                     {"BOOL": False}, {"SS": []}, {"NS": ["1", "2.0"]}]),
)


def _serializable(value: Any) -> bool:
    try:
        serialize(value)
    except (TypeError, ValueError, ArithmeticError):
        return False
    return True


@given(attribute_values)
def test_deserialize_matches_boto3(value: dict[str, Any]) -> None:
    mine = outcome(TypeDeserializer().deserialize, value)
    theirs = outcome(BotoDeserializer().deserialize, value)
    assert mine[0] == theirs[0], (mine, theirs)
    if mine[0] == "ok":
        assert plain(mine[1]) == plain(theirs[1])
    else:
        assert type(mine[1]) is type(theirs[1])
        assert str(mine[1]) == str(theirs[1])


@given(st.dictionaries(st.text(max_size=4), values, max_size=6).filter(_serializable))
def test_item_round_trip(item: dict[str, Any]) -> None:
    back = deserialize_item(serialize_item(item))
    assert plain(back) == plain(BotoDeserializer().deserialize(
        BotoSerializer().serialize(to_boto(item))))


# --------------------------------------------------------------------------- Binary


def test_binary_matches_boto3() -> None:
    with pytest.raises(TypeError) as info:
        Binary("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError) as boto_info:
        BotoBinary("text")
    assert str(info.value) == str(boto_info.value)
    assert Binary(b"a") == b"a" and Binary(b"a") == Binary(b"a") and Binary(b"a") != b"b"
    assert hash(Binary(bytearray(b"a"))) == hash(Binary(b"a"))  # boto3 cannot hash this one
    assert bytes(Binary(bytearray(b"q"))) == b"q"
    assert pickle.loads(pickle.dumps(Binary(b"z"))) == Binary(b"z")
    assert repr(Binary(b"z")) == "Binary(b'z')"


def test_old_module_reexports_the_one_implementation() -> None:
    from hub.services import dynamodb_types

    assert dynamodb_types.TypeSerializer is ddbt.TypeSerializer
    assert dynamodb_types.Binary is ddbt.Binary
    assert dynamodb_types.DYNAMODB_CONTEXT is ddbt.DYNAMODB_CONTEXT
