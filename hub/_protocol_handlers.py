"""The handlers a service's wire protocol adds to the session's (once per client config).

``protocol_handlers(protocol, handlers)`` adds, for operations described by an
:class:`~hub.protocols.OperationModel`:

- validate: ``protocol.validate_params`` (skipped when ``Config.parameter_validation`` is False);
- build (pushed to the front): ``protocol.build``, which serializes ``request.params`` into
  ``request.http_request``;
- unmarshal: ``protocol.unmarshal`` (boto3-shaped dict; a ``StreamingBody`` for streamed
  outputs);
- unmarshal_error: ``protocol.unmarshal_error`` (a boto3-shaped ClientError).

Service quirks (S3's bucket addressing, CopySource, ...) are not here: they are the service's
own named handlers (``hub/services/_s3_customizations.py``).

Requests for a plain :class:`~hub.Operation` (no model) get the generic behaviour: the raw body
plus ``ResponseMetadata``, and the status code as the error code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub._handlers import Handlers, NamedHandler
from hub._request import Request
from hub.errors import ClientError
from hub.protocols import jsonrpc, restxml
from hub.protocols._common import lower_headers, response_metadata
from hub.protocols._shapes import OperationModel
from hub.protocols.validate import validate

__all__ = ["protocol_handlers"]

_Fn = Callable[[Request], None]

# --------------------------------------------------------------------------- generic

def _request_id(headers: Any) -> str:
    return str(headers.get("x-amzn-requestid") or headers.get("x-amz-request-id") or "")


def _metadata(request: Request) -> dict[str, Any]:
    response = request.http_response
    assert response is not None
    meta = response_metadata(response.status, lower_headers(response.headers))
    meta.setdefault("RequestId", "")  # the raw result always has one, possibly empty
    meta["RetryAttempts"] = request.retry_count
    return meta


def raw_unmarshal(request: Request) -> None:
    """Generic result: the raw body plus ResponseMetadata (for operations with no model)."""
    response = request.http_response
    assert response is not None
    request.data = {"Body": response.read_body(), "ResponseMetadata": _metadata(request)}


def raw_unmarshal_error(request: Request) -> None:
    """Generic error: the status code as the error code."""
    response = request.http_response
    assert response is not None
    name = getattr(request.operation, "name", "?")
    request.error = ClientError(
        str(response.status),
        f"HTTP {response.status}",
        status_code=response.status,
        operation=name,
        request_id=_request_id(response.headers) or None,
        response={"Error": {"Code": str(response.status), "Message": f"HTTP {response.status}"},
                  "ResponseMetadata": _metadata(request)},
    )


# --------------------------------------------------------------------------- shared

def validate_params(request: Request) -> None:
    """Check ``request.params`` against the operation's input shape (before any I/O)."""
    op = request.operation
    if type(op) is not OperationModel:
        return
    if request.client_config.config.parameter_validation is not False:
        validate(op, request.params)


def _with_attempts(error: ClientError, request: Request) -> ClientError:
    response = error.response
    if response is not None:
        meta = response.get("ResponseMetadata")
        if isinstance(meta, dict):
            meta["RetryAttempts"] = request.retry_count
    return error


# --------------------------------------------------------------------------- rest-xml

def restxml_build(request: Request) -> None:
    """Serialize params into the HTTP request (path-style URL; flexible checksums)."""
    op = request.operation
    if type(op) is not OperationModel:
        return
    params = request.params
    serialized = restxml.serialize(op, params, base_url=request.client_config.info.endpoint)
    http = request.http_request
    http.method = serialized.method
    http.url = serialized.url
    headers = serialized.headers
    algorithm_member = op.request_algorithm_member
    algorithm = params.get(algorithm_member) if algorithm_member else None
    if algorithm is not None and isinstance(serialized.body, bytes):
        _add_checksum(headers, str(algorithm), serialized.body)
    http.headers.update(headers)
    http.body = serialized.body if serialized.body != b"" or op.http_method in (
        "PUT", "POST") else None


def _add_checksum(headers: dict[str, str], algorithm: str, body: bytes) -> None:
    import base64
    import hashlib
    import zlib

    name = algorithm.upper()
    if any(k.lower().startswith("x-amz-checksum-") for k in headers):
        return
    if name == "CRC32":
        digest = (zlib.crc32(body) & 0xFFFFFFFF).to_bytes(4, "big")
    elif name in ("SHA1", "SHA256"):
        digest = hashlib.new(name.lower(), body).digest()
    else:
        return  # CRC32C/CRC64NVME need native code; the header then only names the algorithm
    headers[f"x-amz-checksum-{name.lower()}"] = base64.b64encode(digest).decode("ascii")


def restxml_unmarshal(request: Request) -> None:
    """Parse a 2xx response (attach a StreamingBody for streamed outputs)."""
    op = request.operation
    if type(op) is not OperationModel:
        raw_unmarshal(request)
        return
    response = request.http_response
    assert response is not None
    member = op.streaming_output_member
    if member is not None and response.raw is not None:
        from hub.services._streaming import StreamingBody

        data = restxml.parse(op, response.status, response.headers, b"")
        length = data.get("ContentLength")
        raw, response.raw = response.raw, None  # the StreamingBody owns the connection now
        data[member] = StreamingBody(raw, length if isinstance(length, int) else None,
                                     request.http_request.url)
    else:
        data = restxml.parse(op, response.status, response.headers, response.read_body())
    data["ResponseMetadata"]["RetryAttempts"] = request.retry_count
    request.data = data


def _unmarshal_error_with(parse_error: Callable[..., ClientError], doc: str) -> _Fn:
    def unmarshal_error(request: Request) -> None:
        op = request.operation
        if type(op) is not OperationModel:
            raw_unmarshal_error(request)
            return
        response = request.http_response
        assert response is not None
        error = parse_error(op, response.status, response.headers, response.read_body())
        request.error = _with_attempts(error, request)

    unmarshal_error.__doc__ = doc
    return unmarshal_error


restxml_unmarshal_error = _unmarshal_error_with(
    restxml.parse_error, "Turn a rest-xml error response into a boto3-shaped ClientError.")


# --------------------------------------------------------------------------- json (DynamoDB)

def json_build(request: Request) -> None:
    """Serialize params as an AWS JSON request (``POST /`` with ``X-Amz-Target``)."""
    op = request.operation
    if type(op) is not OperationModel:
        return
    client_config = request.client_config
    spec = client_config.spec
    serialized = jsonrpc.serialize(
        op, request.params, target_prefix=spec.target_prefix or "",
        json_version=spec.json_version or "1.0", base_url=client_config.info.endpoint,
    )
    http = request.http_request
    http.method = serialized.method
    http.url = serialized.url
    http.headers.update(serialized.headers)
    http.body = serialized.body


def json_unmarshal(request: Request) -> None:
    """Parse a 2xx JSON response (checks ``x-amz-crc32``)."""
    op = request.operation
    if type(op) is not OperationModel:
        raw_unmarshal(request)
        return
    response = request.http_response
    assert response is not None
    data = jsonrpc.parse(op, response.status, response.headers, response.read_body())
    data["ResponseMetadata"]["RetryAttempts"] = request.retry_count
    request.data = data


json_unmarshal_error = _unmarshal_error_with(
    jsonrpc.parse_error, "Turn a JSON error response into a boto3-shaped ClientError.")


# --------------------------------------------------------------------------- wiring

_PROTOCOLS: dict[str, tuple[_Fn, _Fn, _Fn]] = {
    "rest-xml": (restxml_build, restxml_unmarshal, restxml_unmarshal_error),
    "json": (json_build, json_unmarshal, json_unmarshal_error),
}


def protocol_handlers(protocol: str, handlers: Handlers) -> Handlers:
    """Return ``handlers`` with the protocol's handlers added (called once per client config).

    The protocol's build, unmarshal and unmarshal_error handlers go *first* in their phases:
    they produce the wire request, the parsed result and the parsed error, and the session's
    own handlers in those phases then see (and may refine) that outcome. Unknown protocols get
    the generic handlers only (raw body, status code as error code).
    """
    fns = _PROTOCOLS.get(protocol)
    if fns is None:
        unmarshal: _Fn = raw_unmarshal
        unmarshal_error: _Fn = raw_unmarshal_error
    else:
        build, unmarshal, unmarshal_error = fns
        handlers = handlers.with_phase(
            "validate",
            handlers.validate.push_back(NamedHandler("protocol.validate_params", validate_params)),
        ).with_phase(
            "build", handlers.build.push_front(NamedHandler("protocol.build", build)),
        )
    return handlers.with_phase(
        "unmarshal", handlers.unmarshal.push_front(NamedHandler("protocol.unmarshal", unmarshal)),
    ).with_phase(
        "unmarshal_error",
        handlers.unmarshal_error.push_front(
            NamedHandler("protocol.unmarshal_error", unmarshal_error)),
    )
