"""Python values <-> DynamoDB ``AttributeValue`` dicts, as ``boto3.dynamodb.types`` does it.

=================================  ==========================
Python                             DynamoDB
=================================  ==========================
None                               ``{"NULL": True}``
bool                               ``{"BOOL": ...}``
int, decimal.Decimal               ``{"N": "..."}`` (string)
str                                ``{"S": ...}``
bytes, bytearray, Binary           ``{"B": ...}``
set of numbers / str / binary      ``{"NS"|"SS"|"BS": [...]}``
Mapping                            ``{"M": {...}}``
list, tuple                        ``{"L": [...]}``
=================================  ==========================

Numbers come back as ``Decimal``, binary as :class:`Binary`. The rules, the order in which a
value's type is decided and the errors are boto3's, so ported code catches the same things:

* ``float`` raises ``TypeError("Float types are not supported. Use Decimal types instead.")``;
  any other unsupported type raises boto3's ``Unsupported type ...`` ``TypeError``; both are
  :class:`UnsupportedTypeError` (also a :class:`hub.errors.ParamValidationError`).
* A number DynamoDB cannot store exactly (more than 38 significant digits, exponent out of
  range) raises the ``decimal`` signal boto3 raises (``decimal.Inexact``, ``decimal.Rounded``,
  ``decimal.Overflow``, ``decimal.Underflow`` or ``decimal.Clamped``) with boto3's message,
  as a :class:`NumberError` subclass that is also that signal.
* Infinity and NaN raise ``TypeError("Infinity and NaN not supported")``. One deliberate
  difference: boto3 lets ``-Infinity``, ``-NaN`` and ``sNaN`` through (DynamoDB then rejects
  the request); hub refuses every non-finite number with that same error.

The module-level functions (:func:`serialize`, :func:`deserialize`, :func:`serialize_item`,
:func:`deserialize_item`) are the fast path the table layer uses: the type of a value is found
with one dict lookup on ``type(value)``; subclasses (an ``IntEnum``, a ``str`` subclass) take
boto3's ``isinstance`` order instead.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping, Set
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

# The errors live in hub.dynamodb.errors; these names stay importable from here too.
from hub.dynamodb.errors import ClampedNumberError as ClampedNumberError
from hub.dynamodb.errors import InexactNumberError as InexactNumberError
from hub.dynamodb.errors import NumberError as NumberError
from hub.dynamodb.errors import NumberOverflowError as NumberOverflowError
from hub.dynamodb.errors import NumberUnderflowError as NumberUnderflowError
from hub.dynamodb.errors import RoundedNumberError as RoundedNumberError
from hub.dynamodb.errors import UnsupportedTypeError as UnsupportedTypeError
from hub.dynamodb.errors import number_error

__all__ = [
    "BINARY",
    "BINARY_SET",
    "BOOLEAN",
    "DYNAMODB_CONTEXT",
    "LIST",
    "MAP",
    "NULL",
    "NUMBER",
    "NUMBER_SET",
    "STRING",
    "STRING_SET",
    "Binary",
    "TypeDeserializer",
    "TypeSerializer",
    "deserialize",
    "deserialize_item",
    "serialize",
    "serialize_item",
]

STRING = "S"
NUMBER = "N"
BINARY = "B"
STRING_SET = "SS"
NUMBER_SET = "NS"
BINARY_SET = "BS"
NULL = "NULL"
BOOLEAN = "BOOL"
MAP = "M"
LIST = "L"

#: DynamoDB's number limits: 38 significant digits, exponent -130..126; anything inexact traps.
DYNAMODB_CONTEXT = Context(
    Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow]
)
_BINARY_TYPES = (bytearray, bytes)
_NON_FINITE_MESSAGE = "Infinity and NaN not supported"
_FLOAT_MESSAGE = "Float types are not supported. Use Decimal types instead."


# --------------------------------------------------------------------------- Binary


class Binary:
    """A DynamoDB binary value (so ``bytes`` stay distinguishable inside sets and lists).

    Compares equal to another ``Binary`` or to the bytes it holds, and hashes like them.

    Args:
        value: The bytes.

    Raises:
        TypeError: ``value`` is not bytes or bytearray (boto3's message).
    """

    __slots__ = ("value",)

    def __init__(self, value: bytes | bytearray) -> None:
        if not isinstance(value, _BINARY_TYPES):
            raise TypeError(
                "Value must be of the following types: <class 'bytearray'>, <class 'bytes'>"
            )
        self.value = value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Binary):
            return self.value == other.value
        return bool(self.value == other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(bytes(self.value))

    def __repr__(self) -> str:
        return f"Binary({self.value!r})"

    def __bytes__(self) -> bytes:
        return bytes(self.value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Binary, (self.value,))


# --------------------------------------------------------------------------- serialize


def _number_text(value: Any) -> str:
    try:
        number = DYNAMODB_CONTEXT.create_decimal(value)
    except decimal.DecimalException as exc:
        raise number_error(exc, value) from None
    if not number.is_finite():
        raise UnsupportedTypeError(_NON_FINITE_MESSAGE, value)
    return str(number)


def _is_number(value: Any) -> bool:
    # boto3's order: bool is checked before numbers; float raises while being tested.
    if isinstance(value, (int, Decimal)):
        return True
    if isinstance(value, float):
        raise UnsupportedTypeError(_FLOAT_MESSAGE, value)
    return False


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


def _is_binary(value: Any) -> bool:
    return isinstance(value, (Binary, bytearray, bytes))


def _is_type_set(value: Any, check: Callable[[Any], bool]) -> bool:
    # Like boto3, stops at the first element that fails (a float raises only if reached).
    return all(check(v) for v in value)


def _binary_raw(value: Any) -> Any:
    return value.value if isinstance(value, Binary) else value


def _ser_none(value: None) -> dict[str, Any]:
    return {NULL: True}


def _ser_bool(value: bool) -> dict[str, Any]:
    return {BOOLEAN: value}


def _ser_int(value: int) -> dict[str, Any]:
    # Up to 38 digits an int is exact and str() is what the decimal context would produce.
    if -_INT_LIMIT < value < _INT_LIMIT:
        return {NUMBER: str(value)}
    return {NUMBER: _number_text(value)}


_INT_LIMIT = 10**38


def _ser_decimal(value: Decimal) -> dict[str, Any]:
    return {NUMBER: _number_text(value)}


def _ser_str(value: str) -> dict[str, Any]:
    return {STRING: value}


def _ser_bytes(value: bytes | bytearray) -> dict[str, Any]:
    return {BINARY: value}


def _ser_binary(value: Binary) -> dict[str, Any]:
    return {BINARY: value.value}


def _ser_float(value: float) -> dict[str, Any]:
    raise UnsupportedTypeError(_FLOAT_MESSAGE, value)


def _ser_map(value: Mapping[Any, Any]) -> dict[str, Any]:
    return {MAP: {k: serialize(v) for k, v in value.items()}}


def _ser_list(value: list[Any] | tuple[Any, ...]) -> dict[str, Any]:
    return {LIST: [serialize(v) for v in value]}


_NUMBER_TYPES = frozenset({int, Decimal})
_STRING_TYPES = frozenset({str})
_BINARY_ELEMENT_TYPES = frozenset({bytes, bytearray, Binary})


def _ser_set(value: Set[Any]) -> dict[str, Any]:
    # Fast path: the element types alone decide (the common, homogeneous sets).
    kinds = {type(v) for v in value}
    if kinds <= _NUMBER_TYPES:
        return {NUMBER_SET: [str(v) if type(v) is int and -_INT_LIMIT < v < _INT_LIMIT
                             else _number_text(v) for v in value]}
    if kinds <= _STRING_TYPES:
        return {STRING_SET: list(value)}
    if kinds <= _BINARY_ELEMENT_TYPES:
        return {BINARY_SET: [_binary_raw(v) for v in value]}
    # Mixed sets, subclasses, floats: boto3's element-by-element order decides the error.
    if _is_type_set(value, _is_number):
        return {NUMBER_SET: [_number_text(v) for v in value]}
    if _is_type_set(value, _is_string):
        return {STRING_SET: list(value)}
    if _is_type_set(value, _is_binary):
        return {BINARY_SET: [_binary_raw(v) for v in value]}
    raise _unsupported(value)


def _unsupported(value: Any) -> UnsupportedTypeError:
    return UnsupportedTypeError(f'Unsupported type "{type(value)}" for value "{value}"', value)


#: Exact type -> serializer: one dict lookup for the common types.
_SERIALIZERS: dict[type, Callable[[Any], dict[str, Any]]] = {
    str: _ser_str,
    int: _ser_int,
    Decimal: _ser_decimal,
    bool: _ser_bool,
    type(None): _ser_none,
    dict: _ser_map,
    list: _ser_list,
    tuple: _ser_list,
    set: _ser_set,
    frozenset: _ser_set,
    bytes: _ser_bytes,
    bytearray: _ser_bytes,
    Binary: _ser_binary,
    float: _ser_float,
}


def _serialize_slow(value: Any) -> dict[str, Any]:
    # boto3's decision order, for subclasses and abstract Mappings/Sets.
    if value is None:
        return {NULL: True}
    if isinstance(value, bool):
        return {BOOLEAN: value}
    if _is_number(value):
        return {NUMBER: _number_text(value)}
    if isinstance(value, str):
        return {STRING: value}
    if _is_binary(value):
        return {BINARY: _binary_raw(value)}
    if isinstance(value, Set):
        return _ser_set(value)
    if isinstance(value, Mapping):
        return _ser_map(value)
    if isinstance(value, (list, tuple)):
        return _ser_list(value)
    raise _unsupported(value)


def serialize(value: Any) -> dict[str, Any]:
    """Return the ``AttributeValue`` for a Python value (``1`` -> ``{"N": "1"}``).

    Raises:
        UnsupportedTypeError: The type has no DynamoDB equivalent (``float`` included), or the
            number is Infinity/NaN (a ``TypeError``, boto3's message).
        NumberError: A number DynamoDB cannot store exactly (the ``decimal`` signal boto3
            raises, boto3's message).
    """
    fn = _SERIALIZERS.get(type(value))
    if fn is None:
        return _serialize_slow(value)
    return fn(value)


def serialize_item(item: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Serialize every value of an item (or key): ``{"pk": "a"}`` -> ``{"pk": {"S": "a"}}``.

    Raises:
        UnsupportedTypeError, NumberError: As :func:`serialize`.
    """
    get = _SERIALIZERS.get
    out: dict[str, dict[str, Any]] = {}
    for k, v in item.items():
        t = type(v)
        # The two commonest cases inline (no call); everything else through the table.
        if t is str:
            out[k] = {STRING: v}
        elif t is int and -_INT_LIMIT < v < _INT_LIMIT:
            out[k] = {NUMBER: str(v)}
        else:
            fn = get(t)
            out[k] = _serialize_slow(v) if fn is None else fn(v)
    return out


# --------------------------------------------------------------------------- deserialize


_de_n = DYNAMODB_CONTEXT.create_decimal


def _de_m(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: deserialize(v) for k, v in raw.items()}


def _de_l(raw: list[Any]) -> list[Any]:
    return [deserialize(v) for v in raw]


def _de_identity(raw: Any) -> Any:
    return raw


def _de_null(raw: Any) -> None:
    return None


_DESERIALIZERS: dict[str, Callable[[Any], Any]] = {
    STRING: _de_identity,
    NUMBER: _de_n,
    BOOLEAN: _de_identity,
    NULL: _de_null,
    BINARY: Binary,
    MAP: _de_m,
    LIST: _de_l,
    STRING_SET: set,
    NUMBER_SET: lambda raw: set(map(_de_n, raw)),
    BINARY_SET: lambda raw: set(map(Binary, raw)),
}
# boto3 finds the handler by the lower-cased type name, so {"s": "x"} works there too.
_DESERIALIZERS_LOWER = {k.lower(): v for k, v in _DESERIALIZERS.items()}


def deserialize(value: Mapping[str, Any]) -> Any:
    """Return the Python value of an ``AttributeValue`` (``{"N": "1"}`` -> ``Decimal(1)``).

    Raises:
        TypeError: ``value`` is empty or its type key is not a DynamoDB type (boto3's
            messages).
    """
    for kind in value:
        fn = _DESERIALIZERS.get(kind)
        if fn is None:
            fn = _DESERIALIZERS_LOWER.get(kind.lower()) if isinstance(kind, str) else None
            if fn is None:
                raise TypeError(f"Dynamodb type {kind} is not supported")
        return fn(value[kind])
    raise TypeError("Value must be a nonempty dictionary whose key is a valid dynamodb type.")


def deserialize_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Deserialize every value of an item: ``{"pk": {"S": "a"}}`` -> ``{"pk": "a"}``.

    Raises:
        TypeError: As :func:`deserialize`.
    """
    out: dict[str, Any] = {}
    create = DYNAMODB_CONTEXT.create_decimal
    for k, av in item.items():
        # Strings and numbers inline; the one-key dict is the normal AttributeValue shape.
        if len(av) == 1:
            if STRING in av:
                out[k] = av[STRING]
                continue
            if NUMBER in av:
                out[k] = create(av[NUMBER])
                continue
        out[k] = deserialize(av)
    return out


# --------------------------------------------------------------------------- boto3 classes


class TypeSerializer:
    """Serializes Python values into DynamoDB ``AttributeValue`` dicts (boto3's class)."""

    __slots__ = ()

    def serialize(self, value: Any) -> dict[str, Any]:
        """Return the ``AttributeValue`` for ``value`` (e.g. ``1`` -> ``{"N": "1"}``).

        Raises:
            UnsupportedTypeError: The value's type has no DynamoDB equivalent (``float``
                included) or it is Infinity/NaN (a ``TypeError``).
            NumberError: A number DynamoDB cannot store exactly (also the ``decimal`` signal
                boto3 raises, e.g. ``decimal.Inexact``).
        """
        return serialize(value)


class TypeDeserializer:
    """Deserializes DynamoDB ``AttributeValue`` dicts into Python values (boto3's class)."""

    __slots__ = ()

    def deserialize(self, value: Mapping[str, Any]) -> Any:
        """Return the Python value for an ``AttributeValue`` (``{"N": "1"}`` -> ``Decimal(1)``).

        Raises:
            TypeError: ``value`` is empty or its type key is not a DynamoDB type.
        """
        return deserialize(value)
