"""Check operation parameters against an input shape, reporting every problem at once.

The rules and messages are botocore's ``ParamValidator``'s, so errors read the same to people
coming from boto3: missing required members, unknown members (with the valid names), wrong
types (with the accepted types), and ``min`` on string/list lengths and numbers. ``max`` and
enums are not enforced (the service does that; botocore does not either).

Header-bound members (``location`` ``header`` or ``headers``: ``ContentType``, ``Range``,
``Metadata``, ...) are also checked, so nothing reaches the HTTP layer that it would refuse or
that would change the request's meaning: values may not contain CR, LF or other control
characters (tab is allowed) and must be ASCII; names in a ``headers`` map must be HTTP tokens
(no ``:``, space or control characters). botocore raises the same ``ParamValidationError``
for non-ASCII ``Metadata``; for CR/LF it lets http.client raise a ``ValueError``, and other
non-ASCII header values it sends as UTF-8. hub refuses those instead: SigV4 signs the UTF-8
text while HTTP/1.1 header bytes have no declared charset, and S3 documents user metadata as
US-ASCII (encode other text, e.g. RFC 2047 or percent-encoding).
"""

from __future__ import annotations

import datetime
import re
import sys
from collections.abc import Mapping
from io import TextIOBase
from typing import Any

from hub._deferred import deferred_regex
from hub.errors import ParamValidationError
from hub.protocols._common import to_datetime
from hub.protocols._shapes import Member, OperationModel, Shape, publish_plan, shape_plan

__all__ = ["validate", "validate_headers"]

class _DecimalType(type):
    # isinstance(x, _Decimal) is isinstance(x, decimal.Decimal) without importing decimal
    # (a Decimal can only exist once its module is loaded; S3 clients never need it).
    def __instancecheck__(cls, value: object) -> bool:
        module = sys.modules.get("decimal")
        return module is not None and isinstance(value, module.Decimal)

    def __repr__(cls) -> str:
        return "<class 'decimal.Decimal'>"


class _Decimal(metaclass=_DecimalType):
    """Stands for ``decimal.Decimal`` in isinstance checks."""


_SCALAR_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "float": (float, _Decimal, int),
    "double": (float, _Decimal, int),
}
_TYPE_NAMES: dict[str, str] = {
    "structure": "<class 'dict'>",
    "map": "<class 'dict'>",
    "list": "<class 'list'>, <class 'tuple'>",
    "blob": "<class 'bytes'>, <class 'bytearray'>, file-like object",
    "timestamp": "<class 'datetime.datetime'>, timestamp-string",
    **{k: ", ".join(str(t) for t in v) for k, v in _SCALAR_TYPES.items()},
}


# RFC 9110 field-value: visible ASCII, space and tab. Anything else (CR, LF, NUL, other
# controls, DEL, non-ASCII) is refused.
_BAD_HEADER_VALUE: re.Pattern[str] = deferred_regex(globals(), "_BAD_HEADER_VALUE",
                                                   r"[^\t\x20-\x7e]")
# RFC 9110 token: the characters a header name may use.
_HEADER_NAME: re.Pattern[str] = deferred_regex(globals(), "_HEADER_NAME",
                                              r"[!#$%&'*+\-.^_`|~0-9A-Za-z]*")
_ECHO = 60  # characters of a bad value quoted in a message
# Members that hold secrets although the generated models do not carry botocore's
# ``sensitive`` trait (a shape the model marks sensitive is hidden too): SSE-C keys.
_SENSITIVE_MEMBERS = frozenset({"SSECustomerKey", "CopySourceSSECustomerKey"})


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
    # Fast path: the shape's compiled predicate says "all good" (the usual case) without
    # building paths or messages. When it says no, the walk below finds and words every
    # problem; the predicate is never more lenient than that walk.
    if _predicate(shape)(params):
        return
    problems: list[str] = []
    _check(shape, params, "", problems)
    if shape.type == "structure" and isinstance(params, Mapping):
        _check_headers(shape, params, problems)
    if problems:
        raise ParamValidationError(name, problems)


def validate_headers(op: OperationModel, params: Any) -> None:
    """Check only the header-bound parameters (see the module docstring).

    Used when ``Config.parameter_validation`` is False: a CR/LF or non-ASCII text in a header
    is an injection or a mis-signed request, not a type mistake the service would report.

    Args:
        op: The operation.
        params: The caller's parameters.

    Raises:
        ParamValidationError: A header-bound value or name HTTP cannot carry as given.
    """
    shape = op.input
    if shape is None or not isinstance(params, Mapping):
        return
    problems: list[str] = []
    _check_headers(shape, params, problems)
    if problems:
        raise ParamValidationError(op.name, problems)


def _echo(text: str) -> str:
    return repr(text if len(text) <= _ECHO else text[:_ECHO] + "...")


def _header_value_problem(path: str, value: str, problems: list[str]) -> None:
    bad = _BAD_HEADER_VALUE.search(value)
    if bad is None:
        return
    # The value is not quoted: header-bound members include secrets (SSECustomerKey, MFA).
    code = ord(bad.group())
    if code > 0x7F:
        found = "a non-ASCII character"
        why = "non-ASCII characters are not allowed in HTTP headers"
    else:
        found = {0x0D: "CR", 0x0A: "LF", 0x00: "NUL", 0x7F: "DEL"}.get(code, f"control {code:#04x}")
        why = "CR, LF and other control characters are not allowed in HTTP headers"
    problems.append(f"Invalid header value for parameter {path}: {why} "
                    f"(found {found} at position {bad.start()})")


def _check_headers(shape: Shape, params: Mapping[str, Any], problems: list[str]) -> None:
    for name, member in shape.members.items():
        location = member.location
        if location not in ("header", "headers"):
            continue
        value = params.get(name)
        if value is None:
            continue
        if location == "headers":
            if not isinstance(value, Mapping):
                continue  # a type problem, reported by _check
            for key, item in value.items():
                if isinstance(key, str) and _HEADER_NAME.fullmatch(key) is None:
                    problems.append(
                        f"Invalid header name for parameter {name}, key: {_echo(key)}: names "
                        "may use only letters, digits and !#$%&'*+-.^_`|~ (no ':', space, "
                        "control or non-ASCII characters)")
                if isinstance(item, str):
                    _header_value_problem(f"{name}.{key}", item, problems)
        elif isinstance(value, str):
            _header_value_problem(name, value, problems)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                if isinstance(item, str):
                    _header_value_problem(f"{name}[{index}]", item, problems)


# --------------------------------------------------------------------------- compiled checks
# A shape's predicate answers "is this value valid?" with no message: closures built once per
# shape (stored on the shape, see hub.protocols._shapes.publish_plan) with every model lookup
# done at build time. Exactly as strict as _check + _check_headers, or stricter: a value a
# predicate refuses goes to the full walk, which reports the problems (or none, and then the
# value is accepted).

_Pred = Any  # Callable[[Any], bool]
_PLAN = "validate"


def _always(value: Any) -> bool:
    return True


def _predicate(shape: Shape) -> _Pred:
    pred = shape_plan(shape, _PLAN)
    if pred is not None:
        return pred
    memo: dict[Shape, _Pred] = {}
    pred = _compile(shape, memo)
    for built, fn in memo.items():  # published only when every forward reference is filled
        publish_plan(built, _PLAN, fn)
    return pred


def _compile(shape: Shape, memo: dict[Shape, _Pred]) -> _Pred:
    pred = shape_plan(shape, _PLAN) or memo.get(shape)
    if pred is not None:
        return pred
    box: list[_Pred] = []
    # A recursive shape (DynamoDB's AttributeValue) refers to itself: the reference resolves
    # through the box, filled before anything is published.
    memo[shape] = lambda value: box[0](value)
    pred = _build(shape, memo)
    box.append(pred)
    memo[shape] = pred
    return pred


def _header_text_ok(text: str) -> bool:
    # isascii + isprintable is visible ASCII and space: the usual header value, in C.
    return (text.isascii() and text.isprintable()) or _BAD_HEADER_VALUE.search(text) is None


def _header_pred(location: str) -> _Pred:
    if location == "headers":
        def check_map(value: Any) -> bool:
            if not isinstance(value, Mapping):
                return True  # a type problem: the member's own predicate refuses it
            for key, item in value.items():
                if isinstance(key, str) and _HEADER_NAME.fullmatch(key) is None:
                    return False
                if isinstance(item, str) and not _header_text_ok(item):
                    return False
            return True
        return check_map

    def check_value(value: Any) -> bool:
        if isinstance(value, str):
            return _header_text_ok(value)
        if isinstance(value, (list, tuple)):
            return all(_header_text_ok(item) for item in value if isinstance(item, str))
        return True
    return check_value


def _member_pred(member: Member, memo: dict[Shape, _Pred]) -> _Pred:
    if member.jsonvalue:
        return _always
    base = _compile(member.shape, memo)
    if member.streaming and member.type == "blob":
        inner = base

        def base(value: Any) -> bool:
            return _is_chunks(value) or inner(value)
    if member.location in ("header", "headers"):
        header_ok, typed = _header_pred(member.location), base

        def located(value: Any) -> bool:
            return typed(value) and (value is None or header_ok(value))
        return located
    return base


def _build(shape: Shape, memo: dict[Shape, _Pred]) -> _Pred:
    kind = shape.type
    minimum = shape.min
    if kind == "structure":
        if shape.document:
            return _always
        return _structure_pred(shape, memo)
    if kind == "list":
        assert shape.member is not None
        element = _compile(shape.member.shape, memo)

        def check_list(value: Any) -> bool:
            if type(value) is not list and not isinstance(value, (list, tuple)):
                return False
            if minimum is not None and len(value) < minimum:
                return False
            for item in value:
                if not element(item):
                    return False
            return True
        return check_list
    if kind == "map":
        assert shape.key is not None and shape.value is not None
        key_ok, value_ok = _compile(shape.key.shape, memo), _compile(shape.value.shape, memo)

        def check_map(value: Any) -> bool:
            if type(value) is not dict and not isinstance(value, Mapping):
                return False
            for key, item in value.items():
                if not key_ok(key) or not value_ok(item):
                    return False
            return True
        return check_map
    if kind == "string":
        if minimum is None:
            return lambda value: type(value) is str or isinstance(value, str)
        return lambda value: isinstance(value, str) and len(value) >= minimum
    if kind == "blob":
        return lambda value: (isinstance(value, (bytes, bytearray, str))
                              or (hasattr(value, "read") and not isinstance(value, TextIOBase)))
    if kind == "timestamp":
        return _is_timestamp
    if kind in _SCALAR_TYPES:
        valid = _SCALAR_TYPES[kind]
        if kind == "boolean":
            return lambda value: isinstance(value, bool)
        if minimum is None:
            return lambda value: isinstance(value, valid) and not isinstance(value, bool)
        floor: Any = minimum
        return lambda value: (isinstance(value, valid) and not isinstance(value, bool)
                              and value >= floor)
    return _always  # a type _check does not look at either


def _structure_pred(shape: Shape, memo: dict[Shape, _Pred]) -> _Pred:
    required = shape.required
    union = shape.union
    preds: dict[str, _Pred] = {}
    for name, member in shape.members.items():
        preds[name] = _member_pred(member, memo)

    def check_structure(value: Any) -> bool:
        if type(value) is not dict and not isinstance(value, Mapping):
            return False
        for name in required:
            if name not in value:
                return False
        if union and sum(item is not None for item in value.values()) != 1:
            return False
        for key, item in value.items():
            pred = preds.get(key)
            if pred is None or not pred(item):
                return False
        return True
    return check_structure


# --------------------------------------------------------------------------- messages

def _label(path: str) -> str:
    return path[1:] if path.startswith(".") else (path or "input")


def _wrong_type(path: str, value: Any, kind: str, problems: list[str],
                sensitive: bool = False) -> None:
    shown = "<hidden>" if sensitive else repr(value)  # a secret is never quoted
    problems.append(
        f"Invalid type for parameter {_label(path)}, value: {shown}, type: {type(value)}, "
        f"valid types: {_TYPE_NAMES[kind]}"
    )


def _check(shape: Shape, value: Any, path: str, problems: list[str],
           sensitive: bool = False) -> None:
    # ``sensitive``: the value is a secret (the model says so, or the member is one of
    # _SENSITIVE_MEMBERS): messages name the parameter and the problem, never the value.
    sensitive = sensitive or shape.sensitive
    kind = shape.type
    if kind == "structure":
        if shape.document:
            return  # a free-form JSON document: the protocol passes it through as given
        if not isinstance(value, Mapping):
            _wrong_type(path, value, kind, problems, sensitive)
            return
        if shape.union and sum(item is not None for item in value.values()) != 1:
            problems.append(
                f"Invalid number of parameters set for tagged union structure {_label(path)}."
                f" Can only set one of the following keys: {', '.join(shape.members)}.")
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
                if member.jsonvalue:
                    continue  # any JSON value, sent as base64 JSON in a header
                _check(member.shape, item, f"{path}.{key}", problems,
                       sensitive or key in _SENSITIVE_MEMBERS)
    elif kind == "list":
        if not isinstance(value, (list, tuple)):
            _wrong_type(path, value, kind, problems, sensitive)
            return
        _min_check(shape, len(value), path, "length", problems)
        element = shape.member
        assert element is not None
        for index, item in enumerate(value):
            _check(element.shape, item, f"{path}[{index}]", problems, sensitive)
    elif kind == "map":
        if not isinstance(value, Mapping):
            _wrong_type(path, value, kind, problems, sensitive)
            return
        key_m, value_m = shape.key, shape.value
        assert key_m is not None and value_m is not None
        for key, item in value.items():
            _check(key_m.shape, key, f"{path} (key: {key})", problems, sensitive)
            _check(value_m.shape, item, f"{path}.{key}", problems, sensitive)
    elif kind == "string":
        if not isinstance(value, str):
            _wrong_type(path, value, kind, problems, sensitive)
        elif shape.min is not None:
            _min_check(shape, len(value), path, "length", problems)
    elif kind == "blob":
        if isinstance(value, TextIOBase):
            # Its reads give str, which no checksum or signature can hash (botocore fails
            # with a TypeError deep inside): say so up front, before anything is sent.
            problems.append(f"Invalid type for parameter {_label(path)}: a text-mode file "
                            f"object ({type(value).__name__}); open the file in binary mode "
                            "('rb')")
        elif not isinstance(value, (bytes, bytearray, str)) and not hasattr(value, "read"):
            _wrong_type(path, value, kind, problems, sensitive)
    elif kind == "timestamp":
        if not _is_timestamp(value):
            _wrong_type(path, value, kind, problems, sensitive)
    elif kind in _SCALAR_TYPES:
        valid = _SCALAR_TYPES[kind]
        # bool is an int subclass; a True where a number belongs is a bug, not a 1.
        if not isinstance(value, valid) or (kind != "boolean" and isinstance(value, bool)):
            _wrong_type(path, value, kind, problems, sensitive)
        elif shape.min is not None and kind != "boolean":
            _min_check(shape, "<hidden>" if sensitive else value, path, "value", problems,
                       value)


def _min_check(shape: Shape, measured: Any, path: str, what: str, problems: list[str],
               compared: Any = None) -> None:
    # ``what`` is "length" (strings, lists) or "value" (numbers), as in botocore's messages;
    # ``compared`` is the number checked when ``measured`` is its (hidden) text.
    compared = measured if compared is None else compared
    if shape.min is not None and compared < shape.min:
        minimum = int(shape.min) if float(shape.min).is_integer() else shape.min
        problems.append(f"Invalid {what} for parameter {_label(path)}, value: {measured}, "
                        f"valid min {what}: {minimum}")


def _is_chunks(value: Any) -> bool:
    return hasattr(value, "__iter__") and not isinstance(value, (str, dict, int, TextIOBase))


def _is_timestamp(value: Any) -> bool:
    if isinstance(value, (datetime.datetime, datetime.date)):
        return True
    try:
        to_datetime(value)
    except (ValueError, TypeError, OverflowError):
        return False
    return True
