"""The AWS query protocol (STS, SNS, IAM, RDS, ...): form-encoded requests, XML responses.

A request is a ``POST /`` whose body is ``Action=<Operation>&Version=<apiVersion>`` plus the
parameters flattened into dotted keys: structure members by name (``locationName`` when the
model gives one), lists as ``Name.member.N`` (``Name.N`` when flattened, the element's
``locationName`` replacing ``member``), maps as ``Name.entry.N.key``/``.value``, an empty list
as ``Name=`` (the service needs to see it).

A response is ``<OperationResponse><OperationResult>...</OperationResult><ResponseMetadata>``;
the output shape is read from inside the ``resultWrapper`` element the model names. Errors are
``<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>``; the code
is matched against the error shapes' ``error.code`` (``awsQueryError``) trait.

Behaviour follows botocore's ``QuerySerializer``/``QueryParser`` (the tests compare them). The
``ec2`` dialect (``queryName``, capitalised names, ``<Errors>``) is not implemented.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from hub.errors import ClientError
from hub.protocols._common import (
    ProtocolBase,
    SerializedRequest,
    b64encode,
    expand_host_prefix,
    fill_idempotency_tokens,
    float_text,
    format_timestamp,
    lower_headers,
    parse_failure,
    refuse_event_streams,
    response_metadata,
    status_reason,
)
from hub.protocols._shapes import Member, OperationModel, ServiceModel, Shape
from hub.protocols._xml import local_name, parse_xml, read_structure

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

__all__ = ["QueryProtocol", "parse", "parse_error", "serialize"]

CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
# SyntaxError: ElementTree's ParseError, without importing ElementTree here.
_PARSE_ERRORS = (SyntaxError, ValueError, TypeError, KeyError, IndexError, AttributeError,
                 RecursionError)


def serialize(op: OperationModel, params: Mapping[str, Any], *, api_version: str,
              base_url: str) -> SerializedRequest:
    """Build the form-encoded ``POST`` for ``op``.

    Args:
        op: The operation.
        params: Validated parameters (``None`` values are skipped).
        api_version: The service's ``apiVersion`` (sent as ``Version``).
        base_url: Endpoint URL; the request URL is ``base_url`` + ``/``.

    Raises:
        ParamValidationError: A host label is invalid.
        UnsupportedProtocolError: The operation uses event streams (query reads none).
    """
    refuse_event_streams(op, "query")
    pairs: list[tuple[str, str]] = [("Action", op.name), ("Version", api_version)]
    if op.input is not None:
        params = fill_idempotency_tokens(op.input, params)
        _structure(pairs, op.input, params, "")
    body = urlencode(pairs).encode("ascii")
    return SerializedRequest(op.http_method or "POST", base_url.rstrip("/") + "/",
                             {"Content-Type": CONTENT_TYPE}, body,
                             expand_host_prefix(op, params))


def _structure(pairs: list[tuple[str, str]], shape: Shape, value: Mapping[str, Any],
               prefix: str) -> None:
    members = shape.members
    for name, item in value.items():
        if item is None:
            continue
        member = members[name]
        key = f"{prefix}.{member.wire_name}" if prefix else member.wire_name
        _value(pairs, member, item, key)


def _value(pairs: list[tuple[str, str]], member: Member, value: Any, prefix: str) -> None:
    kind = member.type
    shape = member.shape
    if kind == "structure":
        _structure(pairs, shape, value, prefix)
    elif kind == "list":
        element = shape.member
        assert element is not None
        if not value:
            pairs.append((prefix, ""))  # the service must see the list was emptied
            return
        if member.flattened:
            base = prefix
            if element.has_wire_name:
                base = prefix.rpartition(".")[0]
                base = f"{base}.{element.wire_name}" if base else element.wire_name
        else:
            base = f"{prefix}.{element.wire_name}"
        for index, item in enumerate(value, 1):
            _value(pairs, element, item, f"{base}.{index}")
    elif kind == "map":
        key_m, value_m = shape.key, shape.value
        assert key_m is not None and value_m is not None
        base = prefix if member.flattened else f"{prefix}.entry"
        for index, (key, item) in enumerate(value.items(), 1):
            _value(pairs, key_m, key, f"{base}.{index}.{key_m.wire_name}")
            _value(pairs, value_m, item, f"{base}.{index}.{value_m.wire_name}")
    elif kind == "boolean":
        pairs.append((prefix, "true" if value else "false"))
    elif kind == "blob":
        pairs.append((prefix, b64encode(value)))
    elif kind == "timestamp":
        pairs.append((prefix, str(format_timestamp(value, member.timestamp_format
                                                   or "iso8601"))))
    elif kind in ("float", "double"):
        pairs.append((prefix, float_text(value)))
    else:
        pairs.append((prefix, str(value)))


def _child(node: Element, name: str) -> Element | None:
    for child in node:
        if local_name(child.tag) == name:
            return child
    return None


def _body_metadata(root: Element, metadata: dict[str, Any]) -> None:
    # <ResponseMetadata><RequestId>...</RequestId></ResponseMetadata> in the body wins over the
    # headers, as in botocore.
    node = _child(root, "ResponseMetadata")
    if node is not None:
        for child in node:
            metadata[local_name(child.tag)] = child.text


def parse(
    op: OperationModel, status: int, headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """Parse a successful response into a boto3-shaped dict.

    Args:
        op: The operation.
        status: HTTP status (< 300).
        headers: Response headers (any case).
        body: The whole body.

    Returns:
        Output members (read from inside the ``resultWrapper`` element) plus
        ``ResponseMetadata`` (the body's ``RequestId`` included).

    Raises:
        ResponseParseError: The body is not XML or does not match the output shape.
        UnsupportedProtocolError: The operation uses event streams (query reads none).
    """
    refuse_event_streams(op, "query")
    metadata = response_metadata(status, lower_headers(headers))
    parsed: dict[str, Any] = {}
    if body.strip():
        try:
            root = parse_xml(body)
            if op.output is not None:
                start: Element | None = root
                if op.result_wrapper:
                    start = _child(root, op.result_wrapper)
                if start is not None:
                    parsed = read_structure(op.output, start)
            _body_metadata(root, metadata)
        except _PARSE_ERRORS as exc:
            raise parse_failure(op.name, status, exc) from exc
    parsed["ResponseMetadata"] = metadata
    return parsed


def parse_error(
    op: OperationModel, status: int, headers: Mapping[str, str], body: bytes
) -> ClientError:
    """Turn a query error response into a :class:`ClientError` shaped like boto3's.

    ``response["Error"]`` holds every child of ``<Error>`` as text (``Type``, ``Code``,
    ``Message``, ...); the body's ``RequestId`` goes to ``ResponseMetadata``. Fields of the
    modeled error shape for the code are added at the top level of ``response``. An empty or
    HTML 5xx body, or one that is not XML, gives ``Code`` = the status as a string.

    Args:
        op: The operation.
        status: HTTP status (>= 300).
        headers: Response headers (any case).
        body: The whole body.
    """
    lowered = lower_headers(headers)
    metadata = response_metadata(status, lowered)
    error: dict[str, Any] = {}
    modeled: dict[str, Any] = {}
    stripped = body.strip()
    root: Element | None = None
    if stripped and not (status >= 500 and stripped.startswith(b"<html>")):
        try:
            root = parse_xml(body)
        except _PARSE_ERRORS:
            root = None
    if root is not None:
        node = root if local_name(root.tag) == "Error" else _child(root, "Error")
        if node is None:
            errors = _child(root, "Errors")
            node = _child(errors, "Error") if errors is not None else None
        request_id = _child(root, "RequestId")
        if request_id is not None and request_id.text:
            metadata["RequestId"] = request_id.text
        if node is not None:
            error = _text_tree(node)
            shape = op.error_shapes.get(str(error.get("Code", "")))
            if shape is not None:
                try:
                    modeled = read_structure(shape, node)
                except _PARSE_ERRORS:
                    modeled = {}
    if not error.get("Code"):
        error["Code"] = str(status)
        error.setdefault("Message", status_reason(status))
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


def _text_tree(node: Element) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for child in node:
        # An empty element is None, as botocore has it (<Message/> -> "Message": None).
        tree[local_name(child.tag)] = _text_tree(child) if len(child) else child.text
    return tree


class QueryProtocol(ProtocolBase):
    """The ``query`` wire protocol: one shared, stateless object.

    ``serialize`` reads ``apiVersion`` from ``service.metadata``; responses are read whole.
    """

    __slots__ = ()
    name = "query"
    parse = staticmethod(parse)
    parse_error = staticmethod(parse_error)

    def serialize(self, op: OperationModel, params: Mapping[str, Any], *, endpoint: str,
                  service: ServiceModel) -> SerializedRequest:
        """Build the HTTP request for ``op`` (see :func:`serialize`)."""
        return serialize(op, params, api_version=service.metadata["apiVersion"],
                         base_url=endpoint)
