"""The JSON value codec shared by the ``json`` and ``rest-json`` protocols.

Values follow botocore's ``JSONSerializer``/``BaseJSONParser`` (the protocol tests compare
them): structure members under their wire names, blobs as base64, timestamps as epoch seconds
unless the shape says otherwise, floats as numbers or ``"NaN"``/``"Infinity"``/``"-Infinity"``,
documents passed through untouched, unions as structures with one member set.

Reading is strict about types: a value of the wrong JSON type raises ``TypeError`` and a bad
scalar ``ValueError``; the protocol turns both into :class:`hub.errors.ResponseParseError`
naming the operation. ``lenient=True`` (rest-json) converts scalars as botocore's
``RestJSONParser`` does: numbers and booleans sent as strings are accepted.
"""

from __future__ import annotations

import decimal
import uuid
from collections.abc import Mapping
from typing import Any

from hub.protocols._common import b64decode, b64encode, format_timestamp, parse_timestamp
from hub.protocols._shapes import Member, Shape

__all__ = ["read_structure", "read_value", "write_input", "write_structure", "write_value"]

#: Sent when a response names a union member this model does not know (as botocore does).
UNKNOWN_MEMBER = "SDK_UNKNOWN_MEMBER"


def write_input(shape: Shape, params: Mapping[str, Any], members: Any = None) -> dict[str, Any]:
    """Serialize top-level input parameters into a JSON object.

    Missing idempotency tokens are filled with a fresh UUID4, as botocore's
    ``generate_idempotent_uuid`` does (top-level members only).

    Args:
        shape: The operation's input structure.
        params: The parameters (``None`` values are skipped).
        members: Restrict the output to these member names (rest-json: the body members);
            None means every member.
    """
    out: dict[str, Any] = {}
    shape_members = shape.members
    for name, item in params.items():
        if item is None or (members is not None and name not in members):
            continue
        member = shape_members[name]
        out[member.wire_name] = write_value(member, item)
    for name in shape.idempotency_members:
        if params.get(name) is None and (members is None or name in members):
            out[shape_members[name].wire_name] = str(uuid.uuid4())
    return out


def write_structure(shape: Shape, value: Mapping[str, Any]) -> dict[str, Any]:
    """Serialize a structure value (``None`` members are skipped)."""
    members = shape.members
    out: dict[str, Any] = {}
    for name, item in value.items():
        if item is None:
            continue
        member = members[name]
        out[member.wire_name] = write_value(member, item)
    return out


def write_value(member: Member, value: Any) -> Any:
    """Serialize one value of ``member``'s type into JSON-ready data."""
    kind = member.type
    if kind == "structure":
        if member.shape.document:
            return value
        return write_structure(member.shape, value)
    if kind == "list":
        element = member.shape.member
        assert element is not None
        return [write_value(element, item) for item in value]
    if kind == "map":
        value_m = member.shape.value
        assert value_m is not None
        return {key: write_value(value_m, item) for key, item in value.items()}
    if kind == "blob":
        return b64encode(value)
    if kind == "timestamp":
        return format_timestamp(value, member.timestamp_format or "unixtimestamp")
    if kind in ("float", "double"):
        number = float(value) if isinstance(value, decimal.Decimal) else value
        if number != number:
            return "NaN"
        if number in (float("inf"), float("-inf")):
            return "Infinity" if number > 0 else "-Infinity"
        return number
    return value


def read_structure(shape: Shape, value: Any, *, lenient: bool = False) -> dict[str, Any]:
    """Read the body members of ``shape`` from a decoded JSON object.

    Args:
        shape: The structure.
        value: The decoded JSON.
        lenient: Accept numbers and booleans sent as strings (rest-json, as botocore).

    Raises:
        TypeError: ``value`` is not an object, or a member has the wrong JSON type.
        ValueError: A scalar does not parse, or a union has more than one member set.
    """
    if not isinstance(value, dict):
        raise TypeError(f"expected an object for {shape.name}, got {type(value).__name__}")
    members = shape.body_members
    if shape.union:
        present = [key for key, item in value.items() if key != "__type" and item is not None]
        if len(present) != 1:
            raise ValueError(f"{shape.name} must have exactly one member set, got {len(present)}")
        if not any(m.wire_name == present[0] for m in members):
            return {UNKNOWN_MEMBER: {"name": present[0]}}
    parsed: dict[str, Any] = {}
    for member in members:
        raw = value.get(member.wire_name)
        if raw is not None:
            parsed[member.name] = read_value(member, raw, lenient=lenient)
    return parsed


def read_value(member: Member, value: Any, *, lenient: bool = False) -> Any:
    """Read one decoded JSON value of ``member``'s type (``None`` stays ``None``).

    Raises:
        TypeError: The value has the wrong JSON type.
        ValueError: A scalar does not parse.
    """
    if value is None:
        return None  # sparse lists and maps: a null element is kept, like botocore
    kind = member.type
    name = member.shape.name
    if kind == "structure":
        if member.shape.document:
            return value
        return read_structure(member.shape, value, lenient=lenient)
    if kind == "list":
        if not isinstance(value, list):
            raise TypeError(f"expected a list for {name}")
        element = member.shape.member
        assert element is not None
        return [read_value(element, item, lenient=lenient) for item in value]
    if kind == "map":
        if not isinstance(value, dict):
            raise TypeError(f"expected an object for {name}")
        value_m = member.shape.value
        assert value_m is not None
        return {key: read_value(value_m, item, lenient=lenient) for key, item in value.items()}
    if kind == "string":
        if not isinstance(value, str):
            raise TypeError(f"expected a string for {name}")
        return value
    if kind == "blob":
        if not isinstance(value, str):
            raise TypeError(f"expected base64 text for {name}")
        return b64decode(value)
    if kind == "timestamp":
        if isinstance(value, bool):
            raise TypeError(f"expected a timestamp for {name}")
        return parse_timestamp(value)
    if kind == "boolean":
        if lenient and isinstance(value, str):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise TypeError(f"expected a boolean for {name}")
        return value
    if kind in ("integer", "long"):
        if lenient and isinstance(value, (str, float)) and not isinstance(value, bool):
            return int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"expected an integer for {name}")
        return value
    if kind in ("float", "double"):
        if isinstance(value, str) and (lenient or value in ("NaN", "Infinity", "-Infinity")):
            return float(value)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TypeError(f"expected a number for {name}")
        return float(value) if lenient else value
    return value
