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
from hub.protocols._shapes import Member, Shape, publish_plan, shape_plan

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
    if members is not None:
        params = {name: item for name, item in params.items() if name in members}
    out: dict[str, Any] = _structure_writer(shape)(params)
    shape_members = shape.members
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


# --------------------------------------------------------------------------- compiled plans
# Per shape, closures built once (stored on the shape: hub.protocols._shapes.publish_plan)
# that do what write_value/read_value do, with every model lookup and type dispatch done at
# build time. A value that needs no conversion (strings, integers, booleans, documents) is
# copied as is. The generic functions below stay the reference; the protocol tests compare
# both with botocore.

_Fn = Any  # Callable[[Any], Any]
_WRITE = "json.write"


def _compiled(shape: Shape, kind: str, build: Any) -> _Fn:
    fn = shape_plan(shape, kind)
    if fn is not None:
        return fn
    memo: dict[Shape, _Fn] = {}
    fn = _compile(shape, kind, build, memo)
    for built, plan in memo.items():  # published only once every forward reference is filled
        publish_plan(built, kind, plan)
    return fn


def _compile(shape: Shape, kind: str, build: Any, memo: dict[Shape, _Fn]) -> _Fn:
    fn = shape_plan(shape, kind) or memo.get(shape)
    if fn is not None:
        return fn
    box: list[_Fn] = []
    memo[shape] = lambda value: box[0](value)  # a recursive shape refers to itself
    fn = build(shape, memo)
    box.append(fn)
    memo[shape] = fn
    return fn


def _structure_writer(shape: Shape) -> _Fn:
    return _compiled(shape, _WRITE, _build_writer)


def _member_writer(member: Member, memo: dict[Shape, _Fn]) -> _Fn | None:
    """A function converting one value of ``member``, or None when it is sent as is."""
    kind = member.type
    if kind in ("structure", "list", "map"):
        if kind == "structure" and member.shape.document:
            return None
        return _compile(member.shape, _WRITE, _build_writer, memo)
    if kind == "timestamp":
        fmt = member.timestamp_format or "unixtimestamp"
        return lambda value: format_timestamp(value, fmt)
    if kind in ("blob", "float", "double"):
        return lambda value: write_value(member, value)
    return None


def _build_writer(shape: Shape, memo: dict[Shape, _Fn]) -> _Fn:
    kind = shape.type
    if kind == "list":
        assert shape.member is not None
        element = _member_writer(shape.member, memo)
        if element is None:
            return list
        return lambda value: [element(item) for item in value]
    if kind == "map":
        assert shape.value is not None
        item_writer = _member_writer(shape.value, memo)
        if item_writer is None:
            return dict
        return lambda value: {key: item_writer(item) for key, item in value.items()}
    if shape.document:
        return lambda value: value
    # A structure: name -> (wire name, converter or None); an unknown name is a KeyError,
    # as in write_structure (validation reports it first).
    entries = {name: (member.wire_name, _member_writer(member, memo))
               for name, member in shape.members.items()}

    def write(value: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, item in value.items():
            if item is None:
                continue
            wire, writer = entries[name]
            out[wire] = item if writer is None else writer(item)
        return out
    return write


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
    if not shape.union:
        parsed: dict[str, Any] = _compiled(
            shape, _READ_LENIENT if lenient else _READ,
            _build_lenient_reader if lenient else _build_reader)(value)
        return parsed
    return _read_structure(shape, value, lenient=lenient)


_READ = "json.read"
_READ_LENIENT = "json.read.lenient"


def _build_reader(shape: Shape, memo: dict[Shape, _Fn]) -> _Fn:
    return _reader_for(shape, memo, False)


def _build_lenient_reader(shape: Shape, memo: dict[Shape, _Fn]) -> _Fn:
    return _reader_for(shape, memo, True)


def _member_reader(member: Member, memo: dict[Shape, _Fn], lenient: bool) -> _Fn | None:
    """A function reading one (non-None) value of ``member``, or None for a plain string."""
    kind = member.type
    if kind == "string":
        return None  # checked inline by the structure reader
    if kind in ("list", "map") or (kind == "structure" and not member.shape.document
                                   and not member.shape.union):
        return _compile(member.shape, _READ_LENIENT if lenient else _READ,
                        _build_lenient_reader if lenient else _build_reader, memo)
    return lambda value: read_value(member, value, lenient=lenient)


def _reader_for(shape: Shape, memo: dict[Shape, _Fn], lenient: bool) -> _Fn:
    kind = shape.type
    name = shape.name
    if kind == "list":
        assert shape.member is not None
        element = _member_reader(shape.member, memo, lenient)
        element_member = shape.member

        def read_list(value: Any) -> Any:
            if not isinstance(value, list):
                raise TypeError(f"expected a list for {name}")
            if element is None:
                return [read_value(element_member, item) for item in value]
            return [None if item is None else element(item) for item in value]
        return read_list
    if kind == "map":
        assert shape.value is not None
        reader = _member_reader(shape.value, memo, lenient)
        value_member = shape.value

        def read_map(value: Any) -> Any:
            if not isinstance(value, dict):
                raise TypeError(f"expected an object for {name}")
            if reader is None:
                return {key: read_value(value_member, item) for key, item in value.items()}
            return {key: None if item is None else reader(item) for key, item in value.items()}
        return read_map
    # A structure (not a union, not a document: those take the generic path).
    entries = [(member.wire_name, member.name, _member_reader(member, memo, lenient))
               for member in shape.body_members]
    by_wire = {wire: (member_name, reader) for wire, member_name, reader in entries}
    # The message read_value gives a string member of the wrong type names its shape.
    shape_names = {member.name: member.shape.name for member in shape.body_members}

    def read(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise TypeError(f"expected an object for {name}, got {type(value).__name__}")
        parsed: dict[str, Any] = {}
        if len(value) == 1:  # DynamoDB's AttributeValue and other one-member objects
            for wire, raw in value.items():
                found = by_wire.get(wire)
                if found is None or raw is None:
                    return parsed
                member_name, reader = found
                if reader is not None:
                    parsed[member_name] = reader(raw)
                elif type(raw) is str:
                    parsed[member_name] = raw
                else:
                    raise TypeError(f"expected a string for {shape_names[member_name]}")
            return parsed
        for wire, member_name, reader in entries:
            raw = value.get(wire)
            if raw is None:
                continue
            if reader is not None:
                parsed[member_name] = reader(raw)
            elif type(raw) is str:
                parsed[member_name] = raw
            else:
                raise TypeError(f"expected a string for {shape_names[member_name]}")
        return parsed
    return read


def _read_structure(shape: Shape, value: Any, *, lenient: bool = False) -> dict[str, Any]:
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
