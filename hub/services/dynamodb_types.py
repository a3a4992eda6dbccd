"""Python values <-> DynamoDB ``AttributeValue`` dicts, equivalent to ``boto3.dynamodb.types``.

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

Numbers come back as ``Decimal``, binary as :class:`Binary`. Errors:

* an unsupported Python type (``float`` included, as in boto3) raises ``TypeError``;
* a number DynamoDB cannot store exactly (more than 38 digits, out of range, NaN, Infinity)
  raises :class:`hub.errors.ParamValidationError` (a ``ValueError``) naming the value.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

from hub.errors import ParamValidationError

__all__ = ["DYNAMODB_CONTEXT", "Binary", "TypeDeserializer", "TypeSerializer"]

#: DynamoDB's number limits: 38 significant digits, exponent -130..126; anything inexact traps.
DYNAMODB_CONTEXT = Context(
    Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow]
)
_BINARY_TYPES = (bytes, bytearray)


class Binary:
    """A DynamoDB binary value (so ``bytes`` stay distinguishable inside sets and lists).

    Args:
        value: The bytes.

    Raises:
        TypeError: ``value`` is not bytes or bytearray.
    """

    __slots__ = ("value",)

    def __init__(self, value: bytes | bytearray) -> None:
        if not isinstance(value, _BINARY_TYPES):
            raise TypeError(
                "Value must be of the following types: <class 'bytes'>, <class 'bytearray'>"
            )
        self.value = value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Binary):
            return self.value == other.value
        return self.value == other

    def __hash__(self) -> int:
        return hash(bytes(self.value))

    def __repr__(self) -> str:
        return f"Binary({self.value!r})"

    def __bytes__(self) -> bytes:
        return bytes(self.value)


def _number(value: int | Decimal) -> str:
    try:
        text = str(DYNAMODB_CONTEXT.create_decimal(value))
    except (Clamped, Overflow, Inexact, Rounded, Underflow) as exc:
        raise ParamValidationError(
            "TypeSerializer",
            [f"number {value!r} cannot be stored exactly by DynamoDB ({type(exc).__name__})"],
        ) from exc
    if text in ("Infinity", "-Infinity", "NaN", "sNaN", "-NaN"):
        raise ParamValidationError("TypeSerializer", [f"{value!r}: Infinity and NaN not supported"])
    return text


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    return isinstance(value, (int, Decimal))


def _is_binary(value: Any) -> bool:
    return isinstance(value, (Binary, bytes, bytearray))


class TypeSerializer:
    """Serializes Python values into DynamoDB ``AttributeValue`` dicts."""

    def serialize(self, value: Any) -> dict[str, Any]:
        """Return the ``AttributeValue`` for ``value`` (e.g. ``1`` -> ``{"N": "1"}``).

        Raises:
            TypeError: The value's type has no DynamoDB equivalent (float included).
            ParamValidationError: A number DynamoDB cannot store exactly.
        """
        if value is None:
            return {"NULL": True}
        if isinstance(value, bool):
            return {"BOOL": value}
        if _is_number(value):
            return {"N": _number(value)}
        if isinstance(value, str):
            return {"S": value}
        if _is_binary(value):
            return {"B": value.value if isinstance(value, Binary) else value}
        if isinstance(value, Set):
            # An empty set is typed NS, as boto3 does (DynamoDB then rejects it).
            if all(_is_number(v) for v in value):
                return {"NS": [_number(v) for v in value]}
            if all(isinstance(v, str) for v in value):
                return {"SS": list(value)}
            if all(_is_binary(v) for v in value):
                return {"BS": [v.value if isinstance(v, Binary) else v for v in value]}
        if isinstance(value, Mapping):
            return {"M": {k: self.serialize(v) for k, v in value.items()}}
        if isinstance(value, (list, tuple)):
            return {"L": [self.serialize(v) for v in value]}
        raise TypeError(f'Unsupported type "{type(value)}" for value "{value}"')


class TypeDeserializer:
    """Deserializes DynamoDB ``AttributeValue`` dicts into Python values."""

    def deserialize(self, value: Mapping[str, Any]) -> Any:
        """Return the Python value for an ``AttributeValue`` (``{"N": "1"}`` -> ``Decimal(1)``).

        Raises:
            TypeError: ``value`` is empty or its type key is not a DynamoDB type.
        """
        if not value:
            raise TypeError(
                "Value must be a nonempty dictionary whose key is a valid dynamodb type."
            )
        kind, raw = next(iter(value.items()))
        if kind == "S":
            return raw
        if kind == "N":
            return DYNAMODB_CONTEXT.create_decimal(raw)
        if kind == "BOOL":
            return raw
        if kind == "NULL":
            return None
        if kind == "B":
            return Binary(raw)
        if kind == "M":
            return {k: self.deserialize(v) for k, v in raw.items()}
        if kind == "L":
            return [self.deserialize(v) for v in raw]
        if kind == "SS":
            return set(raw)
        if kind == "NS":
            return {DYNAMODB_CONTEXT.create_decimal(v) for v in raw}
        if kind == "BS":
            return {Binary(v) for v in raw}
        raise TypeError(f"Dynamodb type {kind} is not supported")
