"""The AWS JSON 1.0/1.1 protocol (DynamoDB, KMS, SQS, ...): requests, responses and errors.

Every call is a ``POST /`` with ``X-Amz-Target: <targetPrefix>.<Operation>`` and a JSON body
written by the shared codec (:mod:`hub.protocols._json`). The target prefix and JSON version
come from the service's metadata. Query-compatible services (``awsQueryCompatible``, e.g. SQS)
are sent ``x-amzn-query-mode: true`` and report their old query error code in the
``x-amzn-query-error`` header, which becomes the error code as in botocore.

Behaviour follows botocore's ``JSONSerializer``/``JSONParser`` (the tests compare them).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from typing import Any

from hub.errors import ClientError, ResponseParseError
from hub.protocols._common import (
    ProtocolBase,
    SerializedRequest,
    expand_host_prefix,
    lower_headers,
    parse_failure,
    refuse_event_streams,
    response_metadata,
    status_reason,
)
from hub.protocols._json import read_structure, write_input
from hub.protocols._rest import parse_located
from hub.protocols._shapes import OperationModel, ServiceModel

__all__ = ["JsonProtocol", "json_error", "parse", "parse_error", "serialize", "verify_crc32"]

_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError,
                 UnicodeDecodeError)


def serialize(
    op: OperationModel,
    params: Mapping[str, Any],
    *,
    target_prefix: str,
    json_version: str,
    base_url: str = "",
    query_compatible: bool = False,
) -> SerializedRequest:
    """Build the HTTP request for ``op``.

    Args:
        op: The operation.
        params: Validated parameters (``None`` values are skipped).
        target_prefix: The service's ``targetPrefix`` (``DynamoDB_20120810``).
        json_version: ``1.0`` or ``1.1``.
        base_url: Endpoint URL; the request URL is ``base_url`` + ``/``.
        query_compatible: Send ``x-amzn-query-mode: true`` (``awsQueryCompatible`` services).

    Returns:
        The request; ``body`` is the JSON document as bytes (``b"{}"`` for no parameters).

    Raises:
        ParamValidationError: A host label is invalid.
        UnsupportedProtocolError: The operation sends an input event stream.
    """
    refuse_event_streams(op, "json")
    body: dict[str, Any] = {}
    if op.input is not None:
        body = write_input(op.input, params)
    headers = {
        "X-Amz-Target": f"{target_prefix}.{op.name}",
        "Content-Type": f"application/x-amz-json-{json_version}",
    }
    if query_compatible:
        headers["x-amzn-query-mode"] = "true"
    return SerializedRequest("POST", base_url.rstrip("/") + "/", headers,
                             json.dumps(body).encode("utf-8"), expand_host_prefix(op, params))


def verify_crc32(op: OperationModel, status: int, headers: Mapping[str, str],
                 body: bytes) -> None:
    """Check DynamoDB's ``x-amz-crc32`` header against the body (no-op when absent).

    Raises:
        ResponseParseError: The checksum does not match (the body was damaged in transit;
            the request may be retried).
    """
    lowered = getattr(headers, "lowered", None)  # hub's ResponseHeaders: no scan needed
    if type(lowered) is dict:
        expected = lowered.get("x-amz-crc32")
    else:
        expected = next((value for name, value in headers.items()
                         if name.lower() == "x-amz-crc32"), None)
    if expected is None:
        return
    actual = zlib.crc32(body) & 0xFFFFFFFF
    if not expected.strip().isdigit() or int(expected) != actual:
        raise ResponseParseError(
            f"CRC32 mismatch in the {op.name} response: header says {expected}, body has"
            f" {actual}",
            operation=op.name,
            status_code=status,
        )


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
        Output members (blobs as bytes, timestamps as aware datetimes) plus ``ResponseMetadata``.

    Raises:
        ResponseParseError: The body is not JSON, does not match the output shape, or fails
            its ``x-amz-crc32`` check.
        UnsupportedProtocolError: The operation sends an input event stream.
    """
    refuse_event_streams(op, "json")
    verify_crc32(op, status, headers, body)
    parsed: dict[str, Any] = {}
    # A body starting with "{" has content (no copy by strip()), and a second byte other
    # than NUL rules out UTF-16/32: it is UTF-8, decoded without json's encoding sniffing.
    utf8_object = body[:1] == b"{" and body[1:2] != b"\x00"
    if op.output is not None and (utf8_object or body.strip()):
        try:
            document = json.loads(body.decode("utf-8") if utf8_object else body)
            parsed = read_structure(op.output, document)
        except _PARSE_ERRORS as exc:
            raise parse_failure(op.name, status, exc) from exc
    parsed["ResponseMetadata"] = response_metadata(status, lower_headers(headers))
    return parsed


def _trim_code(code: str) -> str:
    # "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException" and
    # "ThrottlingException:http://internal.amazon.com/" both mean the last bare name.
    return code.split(":", 1)[0].rsplit("#", 1)[-1]


def json_error(
    op: OperationModel, status: int, headers: Mapping[str, str], body: bytes, *,
    rest: bool = False,
) -> ClientError:
    """Build the ClientError for a json or rest-json error response (botocore's rules).

    The code is ``__type`` (trimmed of its namespace and any ``:`` suffix) or the status; a
    query-compatible ``x-amzn-query-error: <Code>;<Type>`` header replaces it (the original
    goes to ``QueryErrorCode``, the type to ``Type``). For rest-json an ``x-amzn-errortype``
    header, else a ``code``/``Code`` body field, wins over both. Fields of the modeled error
    shape for the code are added at the top level of
    ``response``, as boto3 does.

    Args:
        op: The operation.
        status: HTTP status (>= 300).
        headers: Response headers (any case).
        body: The whole body.
        rest: Apply the rest-json rules (error-type header, header-bound error members).
    """
    lowered = lower_headers(headers)
    document: Any = {}
    stripped = body.strip()
    # boto3's "generic" error: a 5xx from a proxy or load balancer, empty or an HTML page.
    generic = status >= 500 and (not stripped or stripped.startswith(b"<html>"))
    if not generic and stripped:
        try:
            document = json.loads(body)
        except _PARSE_ERRORS:
            document = {"message": body.decode("utf-8", "replace")}
    if not isinstance(document, dict):
        document = {}
    error: dict[str, Any] = {}
    raw_code = document.get("__type")
    code = raw_code if isinstance(raw_code, str) and raw_code else str(status)
    code = _trim_code(code)
    message = document.get("message", document.get("Message"))
    if message is None:
        message = status_reason(status) if generic else ""
    error["Message"] = str(message)
    if not generic:
        query_error = lowered.get("x-amzn-query-error")
        if query_error is not None:
            query_code, sep, kind = query_error.partition(";")
            if sep and query_code and ";" not in kind:
                error["QueryErrorCode"] = code
                error["Type"] = kind
                code = query_code
        if rest:
            rest_code = lowered.get("x-amzn-errortype")
            if rest_code is None:
                body_code = document.get("code", document.get("Code"))
                rest_code = body_code if isinstance(body_code, str) else None
            if rest_code is not None:
                code = _trim_code(rest_code)
    error["Code"] = code
    modeled: dict[str, Any] = {}
    shape = op.error_shapes.get(code)
    if shape is not None and not generic:
        try:
            modeled = read_structure(shape, document, lenient=rest)
            if rest and shape.located_members:
                parse_located(shape, status, headers, lowered, modeled)
        except _PARSE_ERRORS:
            modeled = {}
    metadata = response_metadata(status, lowered)
    response: dict[str, Any] = {"Error": error, "ResponseMetadata": metadata, **modeled}
    return ClientError(
        code,
        error["Message"],
        status_code=status,
        operation=op.name,
        request_id=metadata.get("RequestId"),
        response=response,
    )


def parse_error(
    op: OperationModel, status: int, headers: Mapping[str, str], body: bytes
) -> ClientError:
    """Turn a json error response into a :class:`ClientError` shaped like boto3's.

    ``__type`` (``com.amazonaws.dynamodb.v20120810#ResourceNotFoundException``) gives the code
    after its last ``#`` (and before any ``:``); ``message``/``Message`` the message. Fields of
    a modeled error shape (TransactionCanceledException's ``CancellationReasons``) are added at
    the top level of ``response``, exactly where boto3 puts them. A body that is not JSON
    gives ``Code`` = the status as a string, as boto3 does. See :func:`json_error`.

    Args:
        op: The operation.
        status: HTTP status (>= 300).
        headers: Response headers (any case).
        body: The whole body.
    """
    return json_error(op, status, headers, body)


class JsonProtocol(ProtocolBase):
    """The ``json`` wire protocol (1.0 and 1.1): one shared, stateless object.

    ``serialize`` reads ``targetPrefix``, ``jsonVersion`` and ``awsQueryCompatible`` from
    ``service.metadata``; responses are read whole, except output event streams.
    """

    __slots__ = ()
    name = "json"
    streams_payload = True  # an output event stream (the only streamed JSON response)
    parse = staticmethod(parse)
    parse_error = staticmethod(parse_error)

    def serialize(self, op: OperationModel, params: Mapping[str, Any], *, endpoint: str,
                  service: ServiceModel) -> SerializedRequest:
        """Build the HTTP request for ``op`` (see :func:`serialize`)."""
        metadata = service.metadata
        return serialize(op, params, target_prefix=metadata.get("targetPrefix") or "",
                         json_version=metadata.get("jsonVersion") or "1.0", base_url=endpoint,
                         query_compatible="awsQueryCompatible" in metadata)
