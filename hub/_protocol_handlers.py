"""The handlers a service's wire protocol adds to the session's (once per client config).

Every protocol is one :class:`~hub.protocols.WireProtocol` object (``client_config.protocol``);
the handlers here are the same for all of them, for operations described by an
:class:`~hub.protocols.OperationModel`:

- validate: ``protocol.validate_params`` (skipped when ``Config.parameter_validation`` is False);
- build (pushed to the front): ``protocol.build``: ``protocol.serialize`` into
  ``request.http_request`` (plus the operation's host prefix); flexible checksums are
  :mod:`hub._checksum_handlers`' (added here too);
- unmarshal: ``protocol.unmarshal``: ``protocol.parse`` (a ``StreamingBody`` attached for
  streamed outputs, an ``EventStream`` for output event streams: :mod:`hub.protocols._events`);
- unmarshal_error: ``protocol.unmarshal_error``: ``protocol.parse_error``, then the error
  becomes the service's modeled subclass (``client.exceptions.NoSuchKey``) when it has one.

Service quirks (S3's bucket addressing, CopySource, ...) are not here: they are the service's
own named handlers (its package's ``customizations.py``).

Requests for a plain :class:`~hub.Operation` (no model) get the generic behaviour: the raw body
plus ``ResponseMetadata``, and the status code as the error code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hub._deferred import deferred_from
from hub._handlers import Handlers, NamedHandler
from hub._request import Request
from hub._value import HandlerFn
from hub.errors import ClientError
from hub.protocols._shapes import OperationModel

if TYPE_CHECKING:
    from hub._streaming import StreamingBody
    from hub.protocols._common import (
        apply_host_prefix,
        lower_headers,
        refuse_event_streams,
        response_metadata,
    )
    from hub.protocols.validate import validate, validate_headers
else:  # loaded by the first request that needs them, not by creating a client
    apply_host_prefix = deferred_from(globals(), "apply_host_prefix", "hub.protocols._common")
    lower_headers = deferred_from(globals(), "lower_headers", "hub.protocols._common")
    refuse_event_streams = deferred_from(globals(), "refuse_event_streams",
                                         "hub.protocols._common")
    response_metadata = deferred_from(globals(), "response_metadata", "hub.protocols._common")
    StreamingBody = deferred_from(globals(), "StreamingBody", "hub._streaming")
    validate = deferred_from(globals(), "validate", "hub.protocols.validate")
    validate_headers = deferred_from(globals(), "validate_headers", "hub.protocols.validate")

__all__ = ["modeled_error", "protocol_handlers"]

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


# --------------------------------------------------------------------------- model-driven

def validate_params(request: Request) -> None:
    """Check ``request.params`` against the operation's input shape (before any I/O)."""
    op = request.operation
    if type(op) is not OperationModel:
        return
    if op.event_stream_member is not None:  # input event streams: refused before validating
        refuse_event_streams(op, request.client_config.protocol.name)
    if request.client_config.config.parameter_validation is not False:
        validate(op, request.params)
    else:  # header injection is never a mere type question: always refused
        validate_headers(op, request.params)


def build(request: Request) -> None:
    """Serialize params into the HTTP request with the client's wire protocol."""
    op = request.operation
    if type(op) is not OperationModel:
        return
    client_config = request.client_config
    params = request.params
    info = client_config.info
    serialized = client_config.protocol.serialize(
        op, params, endpoint=info.endpoint, service=client_config.spec.model)
    http = request.http_request
    http.method = serialized.method
    # The operation's host prefix ("{AccountId}.") goes in front of AWS hosts only: a custom
    # endpoint (a local test server, a proxy) is taken as the caller wrote it.
    http.url = (serialized.url if info.custom_endpoint
                else apply_host_prefix(serialized.url, serialized.host_prefix))
    http.headers.update(serialized.headers)  # checksums: hub._checksum_handlers
    http.body = serialized.body if serialized.body != b"" or op.http_method in (
        "PUT", "POST") else None


def unmarshal(request: Request) -> None:
    """Parse a 2xx response (attach a StreamingBody for streamed outputs)."""
    op = request.operation
    if type(op) is not OperationModel:
        raw_unmarshal(request)
        return
    response = request.http_response
    assert response is not None
    protocol = request.client_config.protocol
    member = protocol.streaming_member(op)
    if member is not None and response.raw is not None:
        if member == op.event_stream_member:  # events, not bytes: an EventStream reads them
            from hub.protocols._events import open_event_stream

            data = open_event_stream(op, protocol, response, request.http_request.url)
        else:
            data = protocol.parse(op, response.status, response.headers, b"")
            length = data.get("ContentLength")
            raw, response.raw = response.raw, None  # the StreamingBody owns the connection now
            data[member] = StreamingBody(raw, length if isinstance(length, int) else None,
                                         request.http_request.url)
    else:
        data = protocol.parse(op, response.status, response.headers, response.read_body())
    data["ResponseMetadata"]["RetryAttempts"] = request.retry_count
    request.data = data


def modeled_error(request: Request, error: ClientError) -> ClientError:
    """``error`` as the service's modeled subclass for its code (``NoSuchKey``), if any.

    The subclass instance carries the same message, attributes and ``response``; the current
    attempt count is written into its ``ResponseMetadata``.
    """
    response = error.response
    if response is not None:
        meta = response.get("ResponseMetadata")
        if isinstance(meta, dict):
            meta["RetryAttempts"] = request.retry_count
    if type(error) is not ClientError:
        return error
    errors = importlib.import_module(request.client_config.spec.errors_module)
    # A query-compatible JSON service (SQS) reports the legacy query code as the code and
    # the modeled name as QueryErrorCode; botocore picks the class by the latter first.
    detail = response.get("Error") if response is not None else None
    query_code = detail.get("QueryErrorCode") if isinstance(detail, dict) else None
    cls = errors.ERRORS.get(query_code) if isinstance(query_code, str) else None
    if cls is None:
        cls = errors.ERRORS.get(error.code)
    if cls is None:
        return error
    modeled: ClientError = cls.__new__(cls)
    modeled.args = error.args
    modeled.__dict__.update(error.__dict__)
    return modeled


def unmarshal_error(request: Request) -> None:
    """Turn an error response into a boto3-shaped (and, when modeled, typed) ClientError."""
    op = request.operation
    if type(op) is not OperationModel:
        raw_unmarshal_error(request)
        return
    response = request.http_response
    assert response is not None
    error = request.client_config.protocol.parse_error(op, response.status, response.headers,
                                                       response.read_body())
    request.error = modeled_error(request, error)


# --------------------------------------------------------------------------- wiring

def protocol_handlers(handlers: Handlers) -> Handlers:
    """Return ``handlers`` with the protocol handlers added (called once per client config).

    The build, unmarshal and unmarshal_error handlers go *first* in their phases: they
    produce the wire request, the parsed result and the parsed error, and the session's own
    handlers in those phases then see (and may refine) that outcome.
    """
    return add_checksum_handlers(handlers.with_phase(
        "validate",
        handlers.validate.push_back(NamedHandler("protocol.validate_params", validate_params)),
    ).with_phase(
        "build", handlers.build.push_front(NamedHandler("protocol.build", build)),
    ).with_phase(
        "unmarshal", handlers.unmarshal.push_front(NamedHandler("protocol.unmarshal", unmarshal)),
    ).with_phase(
        "unmarshal_error",
        handlers.unmarshal_error.push_front(
            NamedHandler("protocol.unmarshal_error", unmarshal_error)),
    ), *_LAZY_CHECKSUM_HANDLERS)


def add_checksum_handlers(handlers: Handlers, mode: HandlerFn, request: HandlerFn,
                          validate: HandlerFn, metadata: HandlerFn) -> Handlers:
    """Return ``handlers`` plus the four flexible-checksum handler functions of
    :mod:`hub._checksum_handlers`, where :func:`~hub._checksum_handlers.checksum_handlers`
    puts them: ``checksum.response_mode`` first in build (before ``protocol.build``
    serializes the parameters), ``checksum.request`` last in build (the body is final),
    ``checksum.validate`` first in unmarshal (before the body is parsed or handed over) and
    ``checksum.metadata`` right after ``protocol.unmarshal``.
    """
    return (
        handlers.push_front("build", NamedHandler("checksum.response_mode", mode))
        .push_back("build", NamedHandler("checksum.request", request))
        .push_front("unmarshal", NamedHandler("checksum.validate", validate))
        .insert_after("unmarshal", "protocol.unmarshal",
                      NamedHandler("checksum.metadata", metadata))
    )


def _lazy_checksum_handler(name: str) -> HandlerFn:
    """``hub._checksum_handlers.<name>``, imported by the first request that runs it: that
    module and :mod:`hub.checksums` cost about 3 ms that creating a client does not need."""
    resolved: list[HandlerFn] = []

    def handler(request: Request) -> None:
        if not resolved:
            resolved.append(getattr(importlib.import_module("hub._checksum_handlers"), name))
        resolved[0](request)

    handler.__name__ = handler.__qualname__ = name
    return handler


_LAZY_CHECKSUM_HANDLERS = tuple(_lazy_checksum_handler(name) for name in (
    "response_mode", "request_checksum", "validate_response", "response_metadata"))
