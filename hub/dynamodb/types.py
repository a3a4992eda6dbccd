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
:func:`deserialize_item`) are the fast path: the type of a value is found with one dict lookup
on ``type(value)``; subclasses (an ``IntEnum``, a ``str`` subclass) take boto3's
``isinstance`` order instead. The same code, built a second time with base64 for bytes, is the
wire form (:data:`WIRE`) the table layer sends and reads directly.
"""

from __future__ import annotations

import base64
import binascii
import decimal
from collections.abc import Callable, Mapping, Set
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any, NamedTuple

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


_INT_LIMIT = 10**38


def _ser_int(value: int) -> dict[str, Any]:
    # Up to 38 digits an int is exact and str() is what the decimal context would produce.
    if -_INT_LIMIT < value < _INT_LIMIT:
        return {NUMBER: str(value)}
    return {NUMBER: _number_text(value)}


def _ser_decimal(value: Decimal) -> dict[str, Any]:
    return {NUMBER: _number_text(value)}


def _ser_str(value: str) -> dict[str, Any]:
    return {STRING: value}


def _ser_float(value: float) -> dict[str, Any]:
    raise UnsupportedTypeError(_FLOAT_MESSAGE, value)


def _unsupported(value: Any) -> UnsupportedTypeError:
    return UnsupportedTypeError(f'Unsupported type "{type(value)}" for value "{value}"', value)


_NUMBER_TYPES = frozenset({int, Decimal})
_STRING_TYPES = frozenset({str})
_BINARY_ELEMENT_TYPES = frozenset({bytes, bytearray, Binary})


class UncheckedValueError(Exception):
    """Internal: the wire form cannot vouch for a value, so the table layer takes the ordinary
    path, where the validator reports it exactly as for a low-level call (never raised to
    users).

    The request pipeline checks only the top-level keys of a wire-form item (its
    ``AttributeValue`` s are opaque to it), so this is raised for a nested map key that is not
    a ``str``, and for a legacy ``AttributeValueList`` that is not a list.
    """


_Serialize = Callable[[Any], dict[str, Any]]
_SerializeItem = Callable[[Mapping[str, Any]], dict[str, dict[str, Any]]]


def _serializers(binary: Callable[[Any], Any], check_keys: bool
                 ) -> tuple[_Serialize, _SerializeItem]:
    """``(serialize, serialize_item)`` with ``binary`` applied to bytes values.

    Built twice at import: the low-level form (bytes as they are, what boto3's TypeSerializer
    returns) and the wire form (bytes as base64 text, what the JSON body carries, nested map
    keys checked: see :class:`UncheckedValueError`). One dict lookup on ``type(value)`` picks the
    serializer of the common types; subclasses take boto3's ``isinstance`` order.
    """

    def ser_bytes(value: bytes | bytearray) -> dict[str, Any]:
        return {BINARY: binary(value)}

    def ser_binary(value: Binary) -> dict[str, Any]:
        return {BINARY: binary(value.value)}

    def ser_map(value: Mapping[Any, Any]) -> dict[str, Any]:
        if check_keys:
            for k in value:
                if type(k) is not str and not isinstance(k, str):
                    raise UncheckedValueError
        return {MAP: {k: serialize(v) for k, v in value.items()}}

    def ser_list(value: list[Any] | tuple[Any, ...]) -> dict[str, Any]:
        return {LIST: [serialize(v) for v in value]}

    def ser_set(value: Set[Any]) -> dict[str, Any]:
        # Fast path: the element types alone decide (the common, homogeneous sets).
        kinds = {type(v) for v in value}
        if kinds <= _NUMBER_TYPES:
            return {NUMBER_SET: [str(v) if type(v) is int and -_INT_LIMIT < v < _INT_LIMIT
                                 else _number_text(v) for v in value]}
        if kinds <= _STRING_TYPES:
            return {STRING_SET: list(value)}
        if kinds <= _BINARY_ELEMENT_TYPES:
            return {BINARY_SET: [binary(_binary_raw(v)) for v in value]}
        # Mixed sets, subclasses, floats: boto3's element-by-element order decides the error.
        if _is_type_set(value, _is_number):
            return {NUMBER_SET: [_number_text(v) for v in value]}
        if _is_type_set(value, _is_string):
            return {STRING_SET: list(value)}
        if _is_type_set(value, _is_binary):
            return {BINARY_SET: [binary(_binary_raw(v)) for v in value]}
        raise _unsupported(value)

    def slow(value: Any) -> dict[str, Any]:
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
            return {BINARY: binary(_binary_raw(value))}
        if isinstance(value, Set):
            return ser_set(value)
        if isinstance(value, Mapping):
            return ser_map(value)
        if isinstance(value, (list, tuple)):
            return ser_list(value)
        raise _unsupported(value)

    # Exact type -> serializer: one dict lookup for the common types.
    table: dict[type, _Serialize] = {
        str: _ser_str, int: _ser_int, Decimal: _ser_decimal, bool: _ser_bool,
        type(None): _ser_none, dict: ser_map, list: ser_list, tuple: ser_list,
        set: ser_set, frozenset: ser_set, bytes: ser_bytes, bytearray: ser_bytes,
        Binary: ser_binary, float: _ser_float,
    }
    get = table.get

    def serialize(value: Any) -> dict[str, Any]:
        fn = get(type(value))
        return slow(value) if fn is None else fn(value)

    def serialize_item(item: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
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
                out[k] = slow(v) if fn is None else fn(v)
        return out

    return serialize, serialize_item


def _same(value: Any) -> Any:
    return value


def _base64(value: bytes | bytearray) -> str:
    return binascii.b2a_base64(value, newline=False).decode("ascii")


_serialize, _serialize_item = _serializers(_same, check_keys=False)
_serialize_wire, _serialize_wire_item = _serializers(_base64, check_keys=True)


def serialize(value: Any) -> dict[str, Any]:
    """Return the ``AttributeValue`` for a Python value (``1`` -> ``{"N": "1"}``).

    Raises:
        UnsupportedTypeError: The type has no DynamoDB equivalent (``float`` included), or the
            number is Infinity/NaN (a ``TypeError``, boto3's message).
        NumberError: A number DynamoDB cannot store exactly (the ``decimal`` signal boto3
            raises, boto3's message).
    """
    return _serialize(value)


def serialize_item(item: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Serialize every value of an item (or key): ``{"pk": "a"}`` -> ``{"pk": {"S": "a"}}``.

    Raises:
        UnsupportedTypeError, NumberError: As :func:`serialize`.
    """
    return _serialize_item(item)


# --------------------------------------------------------------------------- deserialize


_de_n = DYNAMODB_CONTEXT.create_decimal
_NOT_TYPED = "Value must be a nonempty dictionary whose key is a valid dynamodb type."

_Deserialize = Callable[[Mapping[str, Any]], Any]
_DeserializeItem = Callable[[Mapping[str, Mapping[str, Any]]], dict[str, Any]]


def _de_null(raw: Any) -> None:
    return None


def _deserializers(binary: Callable[[Any], Binary]) -> tuple[_Deserialize, _DeserializeItem]:
    """``(deserialize, deserialize_item)`` reading bytes values with ``binary``.

    Built twice at import: the low-level form (``B`` holds bytes) and the wire form (``B``
    holds base64 text, as in the JSON body).
    """

    def de_m(raw: Mapping[str, Any]) -> dict[str, Any]:
        return {k: deserialize(v) for k, v in raw.items()}

    def de_l(raw: list[Any]) -> list[Any]:
        return [deserialize(v) for v in raw]

    table: dict[str, Callable[[Any], Any]] = {
        STRING: _same,
        NUMBER: _de_n,
        BOOLEAN: _same,
        NULL: _de_null,
        BINARY: binary,
        MAP: de_m,
        LIST: de_l,
        STRING_SET: set,
        NUMBER_SET: lambda raw: set(map(_de_n, raw)),
        BINARY_SET: lambda raw: set(map(binary, raw)),
    }
    get = table.get
    # boto3 finds the handler by the lower-cased type name, so {"s": "x"} works there too.
    lower = {k.lower(): v for k, v in table.items()}.get

    def deserialize(value: Mapping[str, Any]) -> Any:
        for kind in value:
            fn = get(kind)
            if fn is None:
                fn = lower(kind.lower()) if isinstance(kind, str) else None
                if fn is None:
                    raise TypeError(f"Dynamodb type {kind} is not supported")
            return fn(value[kind])
        raise TypeError(_NOT_TYPED)

    def deserialize_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, av in item.items():
            # Strings and numbers inline; the one-key dict is the normal AttributeValue shape.
            if len(av) == 1:
                if STRING in av:
                    out[k] = av[STRING]
                    continue
                if NUMBER in av:
                    out[k] = _de_n(av[NUMBER])
                    continue
            out[k] = deserialize(av)
        return out

    return deserialize, deserialize_item


def _binary_from_base64(raw: str) -> Binary:
    return Binary(base64.b64decode(raw, validate=True))


_deserialize, _deserialize_item = _deserializers(Binary)
_deserialize_wire_item = _deserializers(_binary_from_base64)[1]


def deserialize(value: Mapping[str, Any]) -> Any:
    """Return the Python value of an ``AttributeValue`` (``{"N": "1"}`` -> ``Decimal(1)``).

    Raises:
        TypeError: ``value`` is empty or its type key is not a DynamoDB type (boto3's
            messages).
    """
    return _deserialize(value)


def deserialize_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Deserialize every value of an item: ``{"pk": {"S": "a"}}`` -> ``{"pk": "a"}``.

    Raises:
        TypeError: As :func:`deserialize`.
    """
    return _deserialize_item(item)


# --------------------------------------------------------------------------- codecs


class Codec(NamedTuple):
    """One form of ``AttributeValue``: the functions that write and read it.

    Attributes:
        serialize: Python value -> ``AttributeValue``.
        serialize_item: ``{name: value}`` -> ``{name: AttributeValue}``.
        deserialize_item: The reverse of ``serialize_item``.
    """

    serialize: Callable[[Any], dict[str, Any]]
    serialize_item: Callable[[Mapping[str, Any]], dict[str, dict[str, Any]]]
    deserialize_item: Callable[[Mapping[str, Mapping[str, Any]]], dict[str, Any]]


#: What boto3's TypeSerializer produces and a low-level client takes (``B`` holds bytes).
LOW_LEVEL = Codec(_serialize, _serialize_item, _deserialize_item)
#: The JSON body's form (``B`` holds base64 text), for the table layer's own request path
#: (:mod:`hub.dynamodb._wire`). Serializing raises :class:`UncheckedValueError` for a nested
#: map key that is not a ``str``; deserializing raises ``TypeError``/``ValueError``/
#: ``AttributeError`` for a malformed value.
WIRE = Codec(_serialize_wire, _serialize_wire_item, _deserialize_wire_item)


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
