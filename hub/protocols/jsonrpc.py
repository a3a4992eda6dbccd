"""The AWS JSON 1.0/1.1 protocol (DynamoDB): requests, responses and errors.

Pure functions of plain data, behaving like botocore's ``JSONSerializer``/``JSONParser``
(the tests compare them): blobs travel as base64, timestamps as epoch seconds, every call is a
``POST /`` with ``X-Amz-Target: <targetPrefix>.<Operation>``.
"""

from __future__ import annotations

import decimal
import json
import uuid
import zlib
from collections.abc import Mapping
from typing import Any

from hub.errors import ClientError, ResponseParseError
from hub.protocols._common import (
    SerializedRequest,
    b64decode,
    b64encode,
    format_timestamp,
    lower_headers,
    parse_failure,
    parse_timestamp,
    response_metadata,
    status_reason,
)
from hub.protocols._shapes import Member, OperationModel, Shape

__all__ = ["parse", "parse_error", "serialize", "verify_crc32"]

_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError,
                 UnicodeDecodeError)


def serialize(
    op: OperationModel,
    params: Mapping[str, Any],
    *,
    target_prefix: str,
    json_version: str,
    base_url: str = "",
) -> SerializedRequest:
    """Build the HTTP request for ``op``.

    Args:
        op: The operation.
        params: Validated parameters (``None`` values are skipped).
        target_prefix: The service's ``targetPrefix`` (``DynamoDB_20120810``).
        json_version: ``1.0`` or ``1.1``.
        base_url: Endpoint URL; the request URL is ``base_url`` + ``/``.

    Returns:
        The request; ``body`` is the JSON document as bytes (``b"{}"`` for no parameters).
    """
    body: dict[str, Any] = {}
    if op.input is not None:
        _write_structure(body, op.input, params)
    headers = {
        "X-Amz-Target": f"{target_prefix}.{op.name}",
        "Content-Type": f"application/x-amz-json-{json_version}",
    }
    return SerializedRequest("POST", base_url.rstrip("/") + "/", headers,
                             json.dumps(body).encode("utf-8"))


def _write_structure(out: dict[str, Any], shape: Shape, value: Mapping[str, Any]) -> None:
    members = shape.members
    for name, item in value.items():
        if item is None:
            continue
        member = members[name]
        out[member.wire_name] = _write(member, item)
    for member in members.values():
        # Like botocore's generate_idempotent_uuid: fill a missing idempotency token.
        if member.idempotency_token and value.get(member.name) is None:
            out[member.wire_name] = str(uuid.uuid4())


def _write(member: Member, value: Any) -> Any:
    kind = member.type
    if kind == "structure":
        nested: dict[str, Any] = {}
        _write_structure(nested, member.shape, value)
        return nested
    if kind == "list":
        element = member.shape.member
        assert element is not None
        return [_write(element, item) for item in value]
    if kind == "map":
        value_m = member.shape.value
        assert value_m is not None
        return {key: _write(value_m, item) for key, item in value.items()}
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


def verify_crc32(op: OperationModel, status: int, headers: Mapping[str, str],
                 body: bytes) -> None:
    """Check DynamoDB's ``x-amz-crc32`` header against the body (no-op when absent).

    Raises:
        ResponseParseError: The checksum does not match (the body was damaged in transit;
            the request may be retried).
    """
    expected = None
    for name, value in headers.items():
        if name.lower() == "x-amz-crc32":
            expected = value
            break
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
    """
    verify_crc32(op, status, headers, body)
    parsed: dict[str, Any] = {}
    if op.output is not None and body.strip():
        try:
            document = json.loads(body)
            parsed = _read_structure(op.output, document)
        except _PARSE_ERRORS as exc:
            raise parse_failure(op.name, status, f"{type(exc).__name__}: {exc}") from exc
    parsed["ResponseMetadata"] = response_metadata(status, lower_headers(headers))
    return parsed


def _read_structure(shape: Shape, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object for {shape.name}, got {type(value).__name__}")
    parsed: dict[str, Any] = {}
    for member in shape.body_members:
        raw = value.get(member.wire_name)
        if raw is not None:
            parsed[member.name] = _read(member, raw)
    return parsed


def _read(member: Member, value: Any) -> Any:
    kind = member.type
    if kind == "structure":
        return _read_structure(member.shape, value)
    if kind == "list":
        if not isinstance(value, list):
            raise TypeError(f"expected a list for {member.shape.name}")
        element = member.shape.member
        assert element is not None
        return [_read(element, item) for item in value]
    if kind == "map":
        if not isinstance(value, dict):
            raise TypeError(f"expected an object for {member.shape.name}")
        value_m = member.shape.value
        assert value_m is not None
        return {key: _read(value_m, item) for key, item in value.items()}
    if kind == "string":
        if not isinstance(value, str):
            raise TypeError(f"expected a string for {member.shape.name}")
        return value
    if kind == "blob":
        if not isinstance(value, str):
            raise TypeError(f"expected base64 text for {member.shape.name}")
        return b64decode(value)
    if kind == "timestamp":
        if isinstance(value, bool):
            raise TypeError(f"expected a timestamp for {member.shape.name}")
        return parse_timestamp(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise TypeError(f"expected a boolean for {member.shape.name}")
        return value
    if kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"expected an integer for {member.shape.name}")
        return value
    if kind in ("float", "double"):
        if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
            return float(value)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TypeError(f"expected a number for {member.shape.name}")
        return value
    return value


def parse_error(
    op: OperationModel, status: int, headers: Mapping[str, str], body: bytes
) -> ClientError:
    """Turn an error response into a :class:`ClientError` shaped like boto3's.

    ``__type`` (``com.amazonaws.dynamodb.v20120810#ResourceNotFoundException``) gives the code
    after its last ``#`` (and before any ``:``); ``message``/``Message`` the message. Fields of
    a modeled error shape (TransactionCanceledException's ``CancellationReasons``) are added at
    the top level of ``response``, exactly where boto3 puts them. A body that is not JSON
    gives ``Code`` = the status as a string, as boto3 does.

    Args:
        op: The operation.
        status: HTTP status (>= 300).
        headers: Response headers (any case).
        body: The whole body.
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
    raw_code = document.get("__type")
    code = raw_code if isinstance(raw_code, str) and raw_code else str(status)
    code = code.split(":", 1)[0].rsplit("#", 1)[-1]
    message = document.get("message", document.get("Message"))
    if message is None:
        message = status_reason(status) if generic else ""
    error: dict[str, Any] = {"Message": str(message), "Code": code}
    modeled: dict[str, Any] = {}
    shape = op.error_shapes.get(code)
    if shape is not None:
        try:
            modeled = _read_structure(shape, document)
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
