"""The handlers a service's wire protocol adds to the session's (per client config)."""

from __future__ import annotations

from typing import Any

from hub._handlers import Handlers, NamedHandler
from hub._request import Request
from hub.errors import ClientError


def _request_id(headers: Any) -> str:
    return str(headers.get("x-amzn-requestid") or headers.get("x-amz-request-id") or "")


def _metadata(request: Request) -> dict[str, Any]:
    response = request.http_response
    assert response is not None
    return {
        "RequestId": _request_id(response.headers),
        "HTTPStatusCode": response.status,
        "HTTPHeaders": {k.lower(): v for k, v in response.headers.items()},
        "RetryAttempts": request.retry_count,
    }


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


def protocol_handlers(protocol: str, handlers: Handlers) -> Handlers:
    """Return ``handlers`` with the protocol's unmarshal handlers added.

    Operations without a protocol model get the raw result (``Body`` + ``ResponseMetadata``).
    """
    return handlers.with_phase(
        "unmarshal", handlers.unmarshal.push_back(NamedHandler("protocol.unmarshal",
                                                               raw_unmarshal))
    ).with_phase(
        "unmarshal_error",
        handlers.unmarshal_error.push_back(NamedHandler("protocol.unmarshal_error",
                                                        raw_unmarshal_error)),
    )
