"""The rest-xml protocol (S3): build requests from parameters, parse responses and errors.

The URI/query/header binding is :mod:`hub.protocols._rest` (shared with rest-json); this module
adds the XML body. Pure functions of plain data, wrapped by the stateless
:class:`RestXmlProtocol`. Behaviour follows botocore's ``RestXMLSerializer``/``RestXMLParser``
(the tests compare them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hub._deferred import deferred_from
from hub.errors import ClientError
from hub.protocols._common import (
    Body,
    ProtocolBase,
    SerializedRequest,
    expand_host_prefix,
    fill_idempotency_tokens,
    lower_headers,
    parse_failure,
    refuse_event_streams,
    response_metadata,
    status_reason,
)
from hub.protocols._shapes import Member, OperationModel, ServiceModel

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from hub.protocols._rest import parse_located, payload_bytes, serialize_located
    from hub.protocols._xml import (
        local_name,
        parse_xml,
        read_members,
        read_structure,
        read_value,
        write_document,
    )
else:  # the REST binding and the XML codec load with the first request, not the first client
    for _name in ("parse_located", "payload_bytes", "serialize_located"):
        globals()[_name] = deferred_from(globals(), _name, "hub.protocols._rest")
    for _name in ("local_name", "parse_xml", "read_members", "read_structure", "read_value",
                  "write_document"):
        globals()[_name] = deferred_from(globals(), _name, "hub.protocols._xml")
    del _name

__all__ = ["RestXmlProtocol", "parse", "parse_error", "serialize"]
# Exceptions a malformed body can raise while we walk it; all become ResponseParseError
# (SyntaxError: ElementTree's ParseError, without importing ElementTree here).
_PARSE_ERRORS = (SyntaxError, ValueError, TypeError, KeyError, IndexError, AttributeError,
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
        UnsupportedProtocolError: The operation sends an input event stream.
    """
    refuse_event_streams(op, "rest-xml")
    shape = op.input
    if shape is not None:
        params = fill_idempotency_tokens(shape, params)
    url, headers, body_params = serialize_located(op, params, endpoint=base_url,
                                                  path_prefix=path_prefix)
    body: Body = b""
    payload = op.input_payload
    if payload is not None:
        value = params.get(payload.name)
        if payload.type in ("blob", "string"):
            body = payload_bytes(value)
        elif value is not None:
            body = write_document(payload, value)
    elif body_params and op.input_root is not None:
        body = write_document(op.input_root, body_params)

    # Checksum-required calls (DeleteObjects) get their checksum from hub._checksum_handlers
    # (CRC32 by default, as botocore 1.36+; no Content-MD5), not from the serializer.
    return SerializedRequest(op.http_method, url, headers, body,
                             expand_host_prefix(op, params))


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
        UnsupportedProtocolError: The operation sends an input event stream.
    """
    refuse_event_streams(op, "rest-xml")
    lowered = lower_headers(headers)
    parsed: dict[str, Any] = {}
    shape = op.output
    try:
        if shape is not None:
            parse_located(shape, status, headers, lowered, parsed)
            payload = op.output_payload
            if payload is not None:
                if payload.type == "string":
                    parsed[payload.name] = body.decode()
                elif payload.type == "blob":
                    pass  # streamed: the caller attaches the body (streaming_member)
                elif body.strip():
                    parsed[payload.name] = read_value(payload, parse_xml(body))
                elif payload.type == "structure":
                    parsed[payload.name] = {}  # an empty body is an empty structure (botocore)
            elif shape.body_members and body.strip():
                root = parse_xml(body)
                parsed.update(_read_root(shape.body_members, root))
    except _PARSE_ERRORS as exc:
        raise parse_failure(op.name, status, exc) from exc
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
            error, modeled = _error_fields(op, root, metadata, status, headers)
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


def _error_fields(op: OperationModel, root: Element, metadata: dict[str, Any], status: int,
                  headers: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
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
    if shape is not None:
        if shape.body_members:
            modeled = read_structure(shape, node)
        if shape.located_members:
            parse_located(shape, status, headers, lower_headers(headers), modeled)
    return error, modeled


def _text_tree(node: Element) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for child in node:
        # An empty element is None, as botocore has it (<Message/> -> "Message": None).
        tree[local_name(child.tag)] = _text_tree(child) if len(child) else child.text
    return tree


class RestXmlProtocol(ProtocolBase):
    """The rest-xml wire protocol (S3, CloudFront, Route 53): one shared, stateless object."""

    __slots__ = ()
    name = "rest-xml"
    streams_payload = True
    parse = staticmethod(parse)
    parse_error = staticmethod(parse_error)

    def serialize(self, op: OperationModel, params: Mapping[str, Any], *, endpoint: str,
                  service: ServiceModel | None = None) -> SerializedRequest:
        """Build the HTTP request for ``op`` (see :func:`serialize`)."""
        return serialize(op, params, base_url=endpoint)
