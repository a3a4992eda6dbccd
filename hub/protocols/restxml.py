"""The REST-XML protocol (S3): build requests from parameters, parse responses and errors.

Pure functions of plain data, so they are tested without a network and shared by every thread.
Behaviour follows botocore's ``RestXMLSerializer``/``RestXMLParser`` (the tests compare them).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from hub.errors import ClientError, ParamValidationError
from hub.protocols._common import (
    Body,
    SerializedRequest,
    b64decode,
    b64encode,
    format_timestamp,
    lower_headers,
    parse_failure,
    parse_timestamp,
    percent_encode,
    response_metadata,
    status_reason,
)
from hub.protocols._shapes import Member, OperationModel
from hub.protocols._xml import (
    element_text,
    local_name,
    parse_xml,
    read_members,
    read_structure,
    read_value,
    scalar_text,
    write_document,
)

__all__ = ["parse", "parse_error", "serialize"]

_QUERY_SAFE = "-_.~"
# Exceptions a malformed body can raise while we walk it; all become ResponseParseError.
_PARSE_ERRORS = (ParseError, ValueError, TypeError, KeyError, IndexError, AttributeError,
                 RecursionError)


def serialize(
    op: OperationModel, params: Mapping[str, Any], *, base_url: str, path_prefix: str = ""
) -> SerializedRequest:
    """Build the HTTP request for ``op`` (path-style addressing: the bucket is in the path).

    Args:
        op: The operation.
        params: Validated parameters (``None`` values are skipped, like botocore).
        base_url: ``scheme://host[:port]`` of the endpoint (a trailing ``/`` is ignored).
        path_prefix: Extra path before the operation's path (an endpoint mounted under a path).

    Returns:
        The request. ``body`` is ``b""`` when there is none, or the caller's bytes, file object
        or iterable for streaming payloads (``str`` is UTF-8 encoded).

    Raises:
        ParamValidationError: A URI label's parameter is missing or a parameter is unknown.
    """
    shape = op.input
    headers: dict[str, str] = {}
    labels: dict[str, str] = {}
    query: list[tuple[str, str]] = []
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
                labels[member.wire_name] = scalar_text(member, value, "iso8601")
            elif location == "querystring":
                _add_query(query, member, value)
            elif location == "header":
                if member.type == "list" and not value:
                    continue  # an empty list is no header at all
                headers[member.wire_name] = _header_value(member, value)
            elif location == "headers":
                for key, item in value.items():
                    headers[member.wire_name + key] = item
            elif name != shape.payload:
                body_params[name] = value

    url = base_url.rstrip("/") + path_prefix.rstrip("/") + _render_path(op, labels)
    if op.static_query:
        url += "?" + op.static_query
    if query:
        encoded = "&".join(
            f"{percent_encode(k, _QUERY_SAFE)}={percent_encode(v, _QUERY_SAFE)}" for k, v in query
        )
        url += ("&" if op.static_query else "?") + encoded

    body: Body = b""
    payload = op.input_payload
    if payload is not None:
        value = params.get(payload.name)
        if payload.type in ("blob", "string"):
            body = value.encode("utf-8") if isinstance(value, str) else (
                b"" if value is None else value)
        elif value is not None:
            body = write_document(payload, value)
    elif body_params and shape is not None and shape.location_name:
        root = Member(name=shape.name, shape=shape, type="structure",
                      wire_name=shape.location_name, xml_namespace=shape.xml_namespace)
        body = write_document(root, body_params)

    if op.checksum_required and isinstance(body, bytes) and not _has_checksum(headers):
        # S3 refuses DeleteObjects (and other checksum-required calls) without one; boto3
        # historically sent Content-MD5, which every S3-compatible server accepts.
        digest = hashlib.md5(body, usedforsecurity=False).digest()
        headers["Content-MD5"] = base64.b64encode(digest).decode("ascii")
    return SerializedRequest(op.http_method, url, headers, body)


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


def _add_query(query: list[tuple[str, str]], member: Member, value: Any) -> None:
    if isinstance(value, Mapping):
        query.extend((str(k), str(v)) for k, v in value.items())
    elif member.type == "list":
        element = member.shape.member
        assert element is not None
        query.extend((member.wire_name, scalar_text(element, v, "iso8601")) for v in value)
    else:
        query.append((member.wire_name, scalar_text(member, value, "iso8601")))


def _header_value(member: Member, value: Any) -> str:
    kind = member.type
    if kind == "timestamp":
        return str(format_timestamp(value, member.timestamp_format or "rfc822"))
    if kind == "list":
        element = member.shape.member
        assert element is not None
        if element.type == "string":
            return ",".join(_quote_list_item(v) for v in value if v is not None)
        return ",".join(_header_value(element, v) for v in value if v is not None)
    if member.jsonvalue:
        return b64encode(json.dumps(value, separators=(",", ":")))
    if kind == "boolean":
        return "true" if value else "false"
    if kind in ("float", "double"):
        return str(float(value))
    if kind == "blob" and isinstance(value, (bytes, bytearray)):
        return b64encode(value)
    return str(value)


def _quote_list_item(value: str) -> str:
    if '"' in value or "," in value:
        return '"' + value.replace('"', '\\"') + '"'
    return value


def _has_checksum(headers: Mapping[str, str]) -> bool:
    return any(k.lower() == "content-md5" or k.lower().startswith("x-amz-checksum-")
               for k in headers)


def parse(
    op: OperationModel, status: int, headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """Parse a successful response into a boto3-shaped dict.

    A streaming payload (``GetObject``'s ``Body``) is not read here: ``body`` is ignored and
    the caller attaches the stream under ``op.streaming_output_member``.

    Args:
        op: The operation.
        status: HTTP status (< 300).
        headers: Response headers (any case).
        body: The whole body (``b""`` for HEAD and streaming responses).

    Returns:
        Output members plus ``ResponseMetadata``.

    Raises:
        ResponseParseError: The body or a header value does not match the output shape.
    """
    lowered = lower_headers(headers)
    parsed: dict[str, Any] = {}
    shape = op.output
    try:
        if shape is not None:
            _parse_located(shape.located_members, status, headers, lowered, parsed)
            payload = op.output_payload
            if payload is not None:
                if payload.type in ("blob", "string"):
                    if not payload.streaming:
                        parsed[payload.name] = body if payload.type == "blob" else body.decode()
                elif body.strip():
                    parsed[payload.name] = read_value(payload, parse_xml(body))
            elif shape.body_members and body.strip():
                root = parse_xml(body)
                parsed.update(_read_root(shape.body_members, root))
    except _PARSE_ERRORS as exc:
        raise parse_failure(op.name, status, f"{type(exc).__name__}: {exc}") from exc
    parsed["ResponseMetadata"] = response_metadata(status, lowered, host_id=True)
    return parsed


def _read_root(members: tuple[Member, ...], root: Element) -> dict[str, Any]:
    # GetBucketLocation answers with a bare <LocationConstraint>region</LocationConstraint>:
    # the root element *is* the single member (botocore special-cases it the same way).
    if len(members) == 1 and len(root) == 0 and local_name(root.tag) == members[0].wire_name:
        member = members[0]
        if root.text is None and member.type == "string":
            return {member.name: None}
        return {member.name: read_value(member, root)}
    return read_members(members, root)


def _parse_located(members: tuple[Member, ...], status: int, headers: Mapping[str, str],
                   lowered: Mapping[str, str], parsed: dict[str, Any]) -> None:
    for member in members:
        location = member.location
        if location == "header":
            raw = lowered.get(member.header_key)
            if raw is not None:
                parsed[member.name] = _from_header(member, raw)
        elif location == "headers":
            # Keys keep the case the server sent (boto3 does the same): x-amz-meta-Color -> Color.
            prefix = member.header_key
            parsed[member.name] = {
                name[len(prefix):]: value for name, value in headers.items()
                if name.lower().startswith(prefix)
            }
        elif location == "statusCode":
            parsed[member.name] = status


def _from_header(member: Member, raw: str) -> Any:
    kind = member.type
    if kind == "string":
        if member.jsonvalue:
            return json.loads(b64decode(raw).decode("utf-8"))
        return raw
    if kind in ("integer", "long"):
        return int(raw)
    if kind == "boolean":
        return raw.strip() == "true"
    if kind in ("float", "double"):
        return float(raw)
    if kind == "timestamp":
        return parse_timestamp(raw)
    if kind == "blob":
        return b64decode(raw)
    if kind == "list":
        element = member.shape.member
        assert element is not None
        return [_from_header(element, item.strip()) for item in raw.split(",")]
    return raw


def parse_error(
    op: OperationModel, status: int, headers: Mapping[str, str], body: bytes
) -> ClientError:
    """Turn an error response into a :class:`ClientError` shaped like boto3's.

    S3's ``<Error><Code/><Message/>...</Error>`` and the generic
    ``<ErrorResponse><Error>...</Error><RequestId/></ErrorResponse>`` are understood. An empty
    body (HEAD), an HTML page or unparseable XML gives ``Code`` = the status as a string
    (``"404"``) and the reason phrase as ``Message``, as boto3 does. Fields of a modeled error
    shape are added at the top level of ``response`` (boto3 does this too).

    Args:
        op: The operation.
        status: HTTP status (>= 300).
        headers: Response headers (any case).
        body: The whole body.
    """
    lowered = lower_headers(headers)
    metadata = response_metadata(status, lowered, host_id=True)
    error: dict[str, Any] = {}
    modeled: dict[str, Any] = {}
    root: Element | None = None
    stripped = body.strip()
    if stripped and not (status >= 500 and stripped.startswith(b"<html>")):
        try:
            root = parse_xml(body)
        except _PARSE_ERRORS:
            root = None  # fall back to the status code, like boto3; the body is kept below
    if root is not None and local_name(root.tag) in ("Error", "ErrorResponse"):
        try:
            error, modeled = _error_fields(op, root, metadata)
        except _PARSE_ERRORS:
            error, modeled = {}, {}
    if not error.get("Code"):
        error["Code"] = str(status)
        error.setdefault("Message", status_reason(status))
        if "RequestId" not in metadata:
            metadata["RequestId"] = lowered.get("x-amz-request-id", "")
            metadata["HostId"] = lowered.get("x-amz-id-2", "")
    error.setdefault("Message", "")
    response: dict[str, Any] = {"Error": error, "ResponseMetadata": metadata, **modeled}
    return ClientError(
        str(error["Code"]),
        str(error.get("Message") or ""),
        status_code=status,
        operation=op.name,
        request_id=metadata.get("RequestId") or None,
        response=response,
    )


def _error_fields(op: OperationModel, root: Element,
                  metadata: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    if local_name(root.tag) == "ErrorResponse":
        node = next((c for c in root if local_name(c.tag) == "Error"), root)
        for child in root:
            if local_name(child.tag) == "RequestId" and child.text:
                metadata["RequestId"] = child.text
    else:
        node = root
    error = _text_tree(node)
    if node is root:
        # S3 repeats these in the body; boto3 keeps them only in ResponseMetadata.
        error.pop("RequestId", None)
        error.pop("HostId", None)
    modeled: dict[str, Any] = {}
    shape = op.error_shapes.get(str(error.get("Code", "")))
    if shape is not None and shape.body_members:
        modeled = read_structure(shape, node)
    return error, modeled


def _text_tree(node: Element) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for child in node:
        tree[local_name(child.tag)] = _text_tree(child) if len(child) else element_text(child)
    return tree

