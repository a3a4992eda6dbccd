"""The rest-json protocol (Lambda, API Gateway, Glacier, ...): requests, responses, errors.

The URI/query/header binding is :mod:`hub.protocols._rest` (shared with rest-xml) and the body
is written by the JSON value codec (:mod:`hub.protocols._json`, shared with json). Errors take
their code from the ``x-amzn-errortype`` header, else a ``code``/``Code`` body field, else
``__type``, trimmed of ``:`` suffixes and ``#`` namespaces as botocore does.

Behaviour follows botocore's ``RestJSONSerializer``/``RestJSONParser`` (the tests compare them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

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
)
from hub.protocols._json import read_structure, read_value, write_input, write_value
from hub.protocols._rest import parse_located, payload_bytes, serialize_located
from hub.protocols._shapes import OperationModel, ServiceModel
from hub.protocols.jsonrpc import json_error

__all__ = ["RestJsonProtocol", "parse", "parse_error", "serialize"]

_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError,
                 UnicodeDecodeError)


def serialize(
    op: OperationModel, params: Mapping[str, Any], *, base_url: str, path_prefix: str = ""
) -> SerializedRequest:
    """Build the HTTP request for ``op``.

    The body is the payload member when the input names one (raw bytes/text for a blob or
    string, JSON for a structure, ``{}`` when a structure payload is absent), otherwise a JSON
    object of the body members (``{}`` when the input has body members but none were given,
    nothing when it has none). ``Content-Type: application/json`` is set for JSON bodies
    unless a member already set it.

    Args:
        op: The operation.
        params: Validated parameters (``None`` values are skipped).
        base_url: ``scheme://host[:port][/path]`` of the endpoint.
        path_prefix: Extra path before the operation's path.

    Raises:
        ParamValidationError: A URI label's parameter is missing, a parameter is unknown, or
            a host label is invalid.
        UnsupportedProtocolError: The operation sends an input event stream.
    """
    refuse_event_streams(op, "rest-json")
    shape = op.input
    if shape is not None:
        params = fill_idempotency_tokens(shape, params)
    url, headers, body_params = serialize_located(op, params, endpoint=base_url,
                                                  path_prefix=path_prefix)
    body: Body = b""
    json_body = False
    payload = op.input_payload
    if payload is not None:
        value = params.get(payload.name)
        if payload.type in ("blob", "string"):
            body = payload_bytes(value)
        else:
            body = b"{}" if value is None else json.dumps(write_value(payload, value)).encode()
            json_body = True
    elif shape is not None and shape.body_members:
        body = json.dumps(write_input(shape, body_params, members=body_params)).encode()
        json_body = True
    if json_body and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    return SerializedRequest(op.http_method, url, headers, body,
                             expand_host_prefix(op, params))


def parse(
    op: OperationModel, status: int, headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """Parse a successful response into a boto3-shaped dict.

    A streaming payload is not read here: ``body`` is ignored and the caller attaches the
    stream under ``op.streaming_output_member``.

    Args:
        op: The operation.
        status: HTTP status (< 300).
        headers: Response headers (any case).
        body: The whole body (``b""`` for streaming responses).

    Returns:
        Output members plus ``ResponseMetadata``.

    Raises:
        ResponseParseError: The body or a header value does not match the output shape.
        UnsupportedProtocolError: The operation sends an input event stream.
    """
    refuse_event_streams(op, "rest-json")
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
                else:
                    document = json.loads(body) if body.strip() else {}
                    parsed[payload.name] = read_value(payload, document, lenient=True)
            elif shape.body_members:
                document = json.loads(body) if body.strip() else {}
                parsed.update(read_structure(shape, document, lenient=True))
    except _PARSE_ERRORS as exc:
        raise parse_failure(op.name, status, exc) from exc
    parsed["ResponseMetadata"] = response_metadata(status, lowered, host_id=True)
    return parsed


def parse_error(
    op: OperationModel, status: int, headers: Mapping[str, str], body: bytes
) -> ClientError:
    """Turn a rest-json error response into a :class:`ClientError` shaped like boto3's.

    The code comes from ``x-amzn-errortype`` (``ResourceNotFoundException:http://...``),
    else the body's ``code``/``Code``, else ``__type``, else the status; it is trimmed of
    ``:`` suffixes and ``#`` namespaces. Modeled error fields (body and header members) are
    added at the top level of ``response``. See :func:`hub.protocols.jsonrpc.json_error`.

    Args:
        op: The operation.
        status: HTTP status (>= 300).
        headers: Response headers (any case).
        body: The whole body.
    """
    return json_error(op, status, headers, body, rest=True)


class RestJsonProtocol(ProtocolBase):
    """The ``rest-json`` wire protocol: one shared, stateless object."""

    __slots__ = ()
    name = "rest-json"
    streams_payload = True
    parse = staticmethod(parse)
    parse_error = staticmethod(parse_error)

    def serialize(self, op: OperationModel, params: Mapping[str, Any], *, endpoint: str,
                  service: ServiceModel | None = None) -> SerializedRequest:
        """Build the HTTP request for ``op`` (see :func:`serialize`)."""
        return serialize(op, params, base_url=endpoint)
