"""Check operation parameters against an input shape, reporting every problem at once.

The rules and messages are botocore's ``ParamValidator``'s, so errors read the same to people
coming from boto3: missing required members, unknown members (with the valid names), wrong
types (with the accepted types), and ``min`` on string/list lengths and numbers. ``max`` and
enums are not enforced (the service does that; botocore does not either).
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Mapping
from typing import Any

from hub.errors import ParamValidationError
from hub.protocols._common import to_datetime
from hub.protocols._shapes import OperationModel, Shape

__all__ = ["validate"]

_SCALAR_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "float": (float, decimal.Decimal, int),
    "double": (float, decimal.Decimal, int),
}
_TYPE_NAMES: dict[str, str] = {
    "structure": "<class 'dict'>",
    "map": "<class 'dict'>",
    "list": "<class 'list'>, <class 'tuple'>",
    "blob": "<class 'bytes'>, <class 'bytearray'>, file-like object",
    "timestamp": "<class 'datetime.datetime'>, timestamp-string",
    **{k: ", ".join(str(t) for t in v) for k, v in _SCALAR_TYPES.items()},
}


def validate(op_or_shape: OperationModel | Shape, params: Any) -> None:
    """Validate ``params`` against an operation's input (or any shape).

    Args:
        op_or_shape: An :class:`OperationModel` (its ``input`` is used) or a :class:`Shape`.
        params: The caller's parameters.

    Raises:
        ParamValidationError: Listing every problem found, with the parameter's path
            (``Item.foo.S``, ``Delete.Objects[0].Key``).
    """
    if isinstance(op_or_shape, OperationModel):
        name, shape = op_or_shape.name, op_or_shape.input
        if shape is None:
            if params:
                unknown = ", ".join(f'"{key}"' for key in params)
                raise ParamValidationError(name, [f"Unknown parameter(s) in input: {unknown}"])
            return
    else:
        name, shape = op_or_shape.name, op_or_shape
    problems: list[str] = []
    _check(shape, params, "", problems)
    if problems:
        raise ParamValidationError(name, problems)


def _label(path: str) -> str:
    return path[1:] if path.startswith(".") else (path or "input")


def _wrong_type(path: str, value: Any, kind: str, problems: list[str]) -> None:
    problems.append(
        f"Invalid type for parameter {_label(path)}, value: {value!r}, type: {type(value)}, "
        f"valid types: {_TYPE_NAMES[kind]}"
    )


def _check(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    kind = shape.type
    if kind == "structure":
        if not isinstance(value, Mapping):
            _wrong_type(path, value, kind, problems)
            return
        members = shape.members
        for required in shape.required:
            if required not in value:
                problems.append(
                    f'Missing required parameter in {_label(path)}: "{required}"')
        for key, item in value.items():
            member = members.get(key)
            if member is None:
                problems.append(
                    f'Unknown parameter in {_label(path)}: "{key}", must be one of: '
                    + ", ".join(members)
                )
            else:
                if member.streaming and member.type == "blob" and _is_chunks(item):
                    continue  # hub streams an iterable of byte chunks as the body
                _check(member.shape, item, f"{path}.{key}", problems)
    elif kind == "list":
        if not isinstance(value, (list, tuple)):
            _wrong_type(path, value, kind, problems)
            return
        _min_check(shape, len(value), path, "length", problems)
        element = shape.member
        assert element is not None
        for index, item in enumerate(value):
            _check(element.shape, item, f"{path}[{index}]", problems)
    elif kind == "map":
        if not isinstance(value, Mapping):
            _wrong_type(path, value, kind, problems)
            return
        key_m, value_m = shape.key, shape.value
        assert key_m is not None and value_m is not None
        for key, item in value.items():
            _check(key_m.shape, key, f"{path} (key: {key})", problems)
            _check(value_m.shape, item, f"{path}.{key}", problems)
    elif kind == "string":
        if not isinstance(value, str):
            _wrong_type(path, value, kind, problems)
        elif shape.min is not None:
            _min_check(shape, len(value), path, "length", problems)
    elif kind == "blob":
        if not isinstance(value, (bytes, bytearray, str)) and not hasattr(value, "read"):
            _wrong_type(path, value, kind, problems)
    elif kind == "timestamp":
        if not _is_timestamp(value):
            _wrong_type(path, value, kind, problems)
    elif kind in _SCALAR_TYPES:
        valid = _SCALAR_TYPES[kind]
        # bool is an int subclass; a True where a number belongs is a bug, not a 1.
        if not isinstance(value, valid) or (kind != "boolean" and isinstance(value, bool)):
            _wrong_type(path, value, kind, problems)
        elif shape.min is not None and kind != "boolean":
            _min_check(shape, value, path, "value", problems)


def _min_check(shape: Shape, measured: Any, path: str, what: str, problems: list[str]) -> None:
    # ``what`` is "length" (strings, lists) or "value" (numbers), as in botocore's messages.
    if shape.min is not None and measured < shape.min:
        minimum = int(shape.min) if float(shape.min).is_integer() else shape.min
        problems.append(f"Invalid {what} for parameter {_label(path)}, value: {measured}, "
                        f"valid min {what}: {minimum}")


def _is_chunks(value: Any) -> bool:
    return hasattr(value, "__iter__") and not isinstance(value, (str, dict, int))


def _is_timestamp(value: Any) -> bool:
    if isinstance(value, (datetime.datetime, datetime.date)):
        return True
    try:
        to_datetime(value)
    except (ValueError, TypeError, OverflowError):
        return False
    return True
