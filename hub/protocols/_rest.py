"""The REST binding shared by ``rest-xml`` and ``rest-json``: URI, query string, headers.

Everything of a REST request except the body format: URI path labels (``{Bucket}``, greedy
``{Key+}``), query-string members (scalars, lists as repeated keys, maps merged in), headers
(scalars, comma-joined lists, timestamps as RFC 822 by default, base64 JSON ``jsonvalue``
headers, ``headers`` prefix maps such as ``x-amz-meta-``), the payload member, and on the way
back headers, prefix maps and ``statusCode`` members. Behaviour follows botocore's
``BaseRestSerializer``/``BaseRestParser`` (the protocol tests compare them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hub.errors import ParamValidationError
from hub.protocols._common import (
    Body,
    b64decode,
    b64encode,
    float_text,
    format_timestamp,
    parse_timestamp,
    percent_encode,
    to_datetime,
)
from hub.protocols._shapes import Member, OperationModel, Shape, publish_plan, shape_plan

__all__ = [
    "from_header",
    "header_value",
    "parse_located",
    "payload_bytes",
    "serialize_located",
]

_QUERY_SAFE = "-_.~"


def _text(member: Member, value: Any) -> str:
    # URI labels and query values (botocore's _get_uri_and_query_string_value).
    kind = member.type
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return str(format_timestamp(value, member.timestamp_format or "iso8601"))
    if kind in ("float", "double"):
        return float_text(value)
    if kind == "blob" and isinstance(value, (bytes, bytearray)):
        return b64encode(value)
    return str(value)


def serialize_located(
    op: OperationModel, params: Mapping[str, Any], *, endpoint: str, path_prefix: str = ""
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """Bind the URI, query-string and header members of a REST request.

    Args:
        op: The operation.
        params: Validated parameters (``None`` values are skipped, like botocore).
        endpoint: ``scheme://host[:port][/path]``; a trailing ``/`` is ignored.
        path_prefix: Extra path before the operation's path.

    Returns:
        ``(url, headers, body_params)``: the full URL, the headers, and the parameters left for
        the body (neither located nor the payload member).

    Raises:
        ParamValidationError: A parameter is unknown or a URI label's parameter is missing.
    """
    shape = op.input
    headers: dict[str, str] = {}
    labels: dict[str, str] = {}
    query: dict[str, str | list[str]] = {}
    body_params: dict[str, Any] = {}
    if shape is not None:
        members = shape.members
        for name, value in params.items():
            if value is None:
                continue
            member = members.get(name)
            if member is None:
                raise ParamValidationError(op.name, [f'Unknown parameter in input: "{name}"'])
            location = member.location
            if location == "uri":
                labels[member.wire_name] = _text(member, value)
            elif location == "querystring":
                _add_query(query, member, value)
            elif location == "header":
                if member.type == "list" and not value:
                    continue  # an empty list is no header at all
                headers[member.wire_name] = header_value(member, value)
            elif location == "headers":
                for key, item in value.items():
                    headers[member.wire_name + key] = item
            elif name != shape.payload:
                body_params[name] = value

    url = endpoint.rstrip("/") + path_prefix.rstrip("/") + _render_path(op, labels)
    if op.static_query:
        url += "?" + op.static_query
    if query:
        pairs: list[str] = []
        for key, item in query.items():
            encoded_key = percent_encode(key, _QUERY_SAFE)
            for one in (item if isinstance(item, list) else (item,)):
                pairs.append(f"{encoded_key}={percent_encode(str(one), _QUERY_SAFE)}")
        url += ("&" if op.static_query else "?") + "&".join(pairs)
    return url, headers, body_params


def _render_path(op: OperationModel, labels: Mapping[str, str]) -> str:
    parts: list[str] = []
    for literal, label, greedy in op.path_parts:
        parts.append(literal)
        if label is not None:
            value = labels.get(label)
            if value is None:
                raise ParamValidationError(op.name, [
                    f'Missing required parameter in input: "{label}"'])
            # Greedy labels ({Key+}) keep "/" so an S3 key maps onto the path as-is.
            parts.append(percent_encode(value, "/~" if greedy else "~"))
    return "".join(parts)


def _add_query(query: dict[str, str | list[str]], member: Member, value: Any) -> None:
    if isinstance(value, Mapping):
        # A map member spreads its entries over the query string (botocore: dict.update).
        for key, item in value.items():
            query[str(key)] = [str(v) for v in item] if isinstance(item, list) else str(item)
    elif member.type == "list":
        element = member.shape.member
        assert element is not None
        query[member.wire_name] = [_text(element, v) for v in value]
    else:
        query[member.wire_name] = _text(member, value)


def header_value(member: Member, value: Any) -> str:
    """Render one header member (timestamps RFC 822 by default, whole seconds)."""
    kind = member.type
    if kind == "timestamp":
        moment = to_datetime(value).replace(microsecond=0)
        return str(format_timestamp(moment, member.timestamp_format or "rfc822"))
    if kind == "list":
        element = member.shape.member
        assert element is not None
        if element.type == "string":
            return ",".join(_quote_list_item(v) for v in value if v is not None)
        return ",".join(header_value(element, v) for v in value if v is not None)
    if member.jsonvalue:
        return b64encode(json.dumps(value, separators=(",", ":")))
    if kind == "boolean":
        return "true" if value else "false"
    if kind in ("float", "double"):
        return float_text(value)
    if kind == "blob" and isinstance(value, (bytes, bytearray)):
        return b64encode(value)
    return str(value)


def _quote_list_item(value: str) -> str:
    if '"' in value or "," in value:
        return '"' + value.replace('"', '\\"') + '"'
    return value


def payload_bytes(value: Any) -> Body:
    """The body for a blob/string payload member: text as UTF-8, absent as ``b""``.

    Bytes, readable files and iterables of chunks pass through untouched (streamed uploads).
    """
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("utf-8")
    body: Body = value
    return body


def parse_located(shape: Shape, status: int, headers: Mapping[str, str],
                  lowered: Mapping[str, str], parsed: dict[str, Any]) -> None:
    """Read header, header-map and status-code members of ``shape`` into ``parsed``.

    Args:
        shape: The output (or error) structure.
        status: HTTP status.
        headers: Response headers as received (header-map keys keep the server's case).
        lowered: The same headers with lowercased names.
        parsed: Where to put the values.

    Raises:
        ValueError: A header value does not parse as its member's type.
    """
    plan = shape_plan(shape, _LOCATED)
    if plan is None:
        plan = _located_plan(shape)
        publish_plan(shape, _LOCATED, plan)
    by_key, others = plan
    if len(lowered) < len(by_key):
        # Fewer headers came than the shape could read (S3's GetObject has ~40): look up each
        # header once, then write the values in the model's order, as botocore does.
        found: list[tuple[int, Member, str | None]] = list(others)
        for key, text in lowered.items():
            entries = by_key.get(key)
            if entries is not None:
                found += [(position, member, text) for position, member in entries]
        found.sort(key=_first)
    else:
        found = [(0, member, None) for member in shape.located_members]
    for _, member, raw in found:
        location = member.location
        if location == "header":
            if raw is None:
                raw = lowered.get(member.header_key)
                if raw is None:
                    continue
            parsed[member.name] = (raw if member.type == "string" and not member.jsonvalue
                                   else from_header(member, raw))
        elif location == "headers":
            # Keys keep the case the server sent (boto3 does the same): x-amz-meta-Color -> Color.
            prefix = member.header_key
            parsed[member.name] = {
                name[len(prefix):]: value for name, value in headers.items()
                if name.lower().startswith(prefix)
            }
        elif location == "statusCode":
            parsed[member.name] = status


_LOCATED = "rest.located"


def _first(item: tuple[int, Member, str | None]) -> int:
    return item[0]


def _located_plan(shape: Shape) -> tuple[dict[str, Any], tuple[Any, ...]]:
    # header_key -> [(model position, member)] for "header" members (two members may read
    # one header); the others (header maps, statusCode) as (position, member, None).
    by_key: dict[str, list[tuple[int, Member]]] = {}
    others: list[tuple[int, Member, None]] = []
    for position, member in enumerate(shape.located_members):
        if member.location == "header":
            by_key.setdefault(member.header_key, []).append((position, member))
        else:
            others.append((position, member, None))
    return by_key, tuple(others)


def from_header(member: Member, raw: str) -> Any:
    """Parse one header value as ``member``'s type.

    Raises:
        ValueError: The value does not parse (bad integer, timestamp, base64, JSON, ...).
    """
    kind = member.type
    if kind == "string":
        if member.jsonvalue:
            return json.loads(b64decode(raw).decode("utf-8"))
        return raw
    if kind in ("integer", "long"):
        return int(raw)
    if kind == "boolean":
        return raw.strip().lower() == "true"
    if kind in ("float", "double"):
        return float(raw)
    if kind == "timestamp":
        return parse_timestamp(raw)
    if kind == "blob":
        return b64decode(raw)
    if kind == "list":
        element = member.shape.member
        assert element is not None
        return [from_header(element, item.strip()) for item in raw.split(",")]
    return raw
