"""Requests as recorded and responses as scripted for the local test server.

``Response`` values describe exactly what the server puts on the wire, including faults; the
builder functions (``ok``, ``throttle_xml``, ``reset`` ...) make the common ones.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

__all__ = [
    "DEFAULT_FAULT_MIX",
    "FAULT_KINDS",
    "Handler",
    "RecordedRequest",
    "Response",
    "ResponseLike",
    "close_after",
    "json_error",
    "malformed_json",
    "malformed_xml",
    "ok",
    "reset",
    "reset_mid_body",
    "server_error",
    "service_unavailable",
    "stall",
    "stall_body",
    "throttle_json",
    "throttle_xml",
    "truncated",
    "xml_error",
]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server received it.

    Attributes:
        method: Request method, e.g. ``"GET"``.
        target: The raw request target (path and query).
        path: The path part of the target.
        query: The raw query string ("" when absent).
        headers: Header ``(name, value)`` pairs in wire order, names as sent.
        body: The body bytes (de-chunked when sent with chunked transfer encoding).
        connection_id: Id of the connection it arrived on (1, 2, ... in accept order).
        index: 0-based position of this request on its connection.
        http_version: e.g. ``"HTTP/1.1"``.
    """

    method: str
    target: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    connection_id: int
    index: int
    http_version: str = "HTTP/1.1"

    def header(self, name: str, default: str | None = None) -> str | None:
        """Returns the first value of header ``name`` (case-insensitive), or ``default``."""
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return default

    @property
    def query_params(self) -> list[tuple[str, str]]:
        """The decoded query as ``(name, value)`` pairs, blanks kept."""
        return parse_qsl(self.query, keep_blank_values=True)


#: Fault names understood by ``Response.fault``.
FAULT_KINDS = ("reset", "reset_mid_body", "truncate", "close_silently")


@dataclass(frozen=True, slots=True)
class Response:
    """A scripted response, optionally with a fault.

    Attributes:
        status: HTTP status code.
        body: Body bytes.
        headers: Extra header pairs. ``Content-Length`` is added unless present.
        fault: None for a normal response, or one of ``FAULT_KINDS``:
            ``"reset"`` RST instead of a response; ``"reset_mid_body"`` headers and half
            the body, then RST; ``"truncate"`` the full Content-Length is announced but only
            ``truncate_to`` bytes are sent, then a clean close (FIN); ``"close_silently"``
            a normal response, then the keep-alive connection is closed without saying so.
        close: Send ``Connection: close`` and close after the response.
        delay: Seconds to wait before sending anything (a stall). Interruptible at shutdown
            and capped by the server's ``max_stall``.
        body_delay: Seconds to wait after the headers before the body.
        truncate_to: For ``"truncate"``: bytes of body actually sent (None = half).
    """

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    fault: str | None = None
    close: bool = False
    delay: float = 0.0
    body_delay: float = 0.0
    truncate_to: int | None = None

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULT_KINDS:
            raise ValueError(f"Response.fault: unknown fault {self.fault!r}; use {FAULT_KINDS}")


Handler = Callable[[RecordedRequest], Response]
"""A function choosing the response for a request."""

ResponseLike = Response | Handler


# --------------------------------------------------------------------------- builders


def _headers(
    content_type: str | None, retry_after: float | str | None, extra: Iterable[tuple[str, str]]
) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    if content_type:
        out.append(("Content-Type", content_type))
    if retry_after is not None:
        out.append(("Retry-After", str(retry_after)))
    out.extend(extra)
    return tuple(out)


def ok(
    body: bytes | str = b"",
    *,
    status: int = 200,
    content_type: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
) -> Response:
    """A plain successful response."""
    data = body.encode() if isinstance(body, str) else body
    return Response(status, data, _headers(content_type, None, headers))


def xml_error(
    status: int,
    code: str,
    message: str = "",
    *,
    retry_after: float | str | None = None,
    request_id: str = "LOCAL0000000001",
) -> Response:
    """An S3-style (rest-xml) error: ``<Error><Code>..</Code><Message>..</Message>..``."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{request_id}</RequestId><HostId>local</HostId></Error>"
    ).encode()
    extra = (("x-amz-request-id", request_id),)
    return Response(status, body, _headers("application/xml", retry_after, extra))


def json_error(
    status: int,
    error_type: str,
    message: str = "",
    *,
    retry_after: float | str | None = None,
    request_id: str = "LOCAL0000000001",
) -> Response:
    """A DynamoDB-style (json 1.0) error: ``{"__type": "...#Code", "message": ...}``."""
    body = json.dumps({"__type": error_type, "message": message}).encode()
    extra = (("x-amzn-RequestId", request_id),)
    return Response(status, body, _headers("application/x-amz-json-1.0", retry_after, extra))


def throttle_xml(*, retry_after: float | str | None = None, status: int = 503) -> Response:
    """S3 throttling: 503 ``SlowDown``."""
    return xml_error(
        status, "SlowDown", "Please reduce your request rate.", retry_after=retry_after
    )


def throttle_json(*, retry_after: float | str | None = None, status: int = 400) -> Response:
    """DynamoDB-style throttling: 400 ``ThrottlingException``."""
    return json_error(
        status,
        "com.amazonaws.dynamodb.v20120810#ThrottlingException",
        "Rate of requests exceeds the allowed throughput.",
        retry_after=retry_after,
    )


def server_error(*, json: bool = False, retry_after: float | str | None = None) -> Response:
    """A 500 ``InternalError`` (XML) or ``InternalServerError`` (JSON)."""
    if json:
        return json_error(
            500,
            "com.amazonaws.dynamodb.v20120810#InternalServerError",
            "Internal server error",
            retry_after=retry_after,
        )
    return xml_error(
        500, "InternalError", "We encountered an internal error.", retry_after=retry_after
    )


def service_unavailable(*, json: bool = False, retry_after: float | str | None = None) -> Response:
    """A 503 ``ServiceUnavailable`` (XML or JSON)."""
    if json:
        return json_error(
            503,
            "com.amazonaws.dynamodb.v20120810#ServiceUnavailable",
            "Service unavailable",
            retry_after=retry_after,
        )
    return xml_error(
        503,
        "ServiceUnavailable",
        "Service is unable to handle the request.",
        retry_after=retry_after,
    )


def malformed_xml(status: int = 200) -> Response:
    """A response whose XML body is cut off mid-element (but correctly framed)."""
    body = b'<?xml version="1.0"?><ListAllMyBucketsResult><Buckets><Bucket><Name>b</Na'
    return Response(status, body, (("Content-Type", "application/xml"),))


def malformed_json(status: int = 200) -> Response:
    """A response whose JSON body is invalid (but correctly framed)."""
    body = b'{"Item": {"id": {"S": "x"}, '
    return Response(status, body, (("Content-Type", "application/x-amz-json-1.0"),))


def reset() -> Response:
    """Read the request, then reset the connection (RST) without responding."""
    return Response(fault="reset")


def reset_mid_body(body: bytes = b"x" * 4096, *, status: int = 200) -> Response:
    """Send the headers and half of ``body``, then reset the connection."""
    return Response(status, body, fault="reset_mid_body")


def truncated(body: bytes = b"x" * 4096, *, sent: int | None = None, status: int = 200) -> Response:
    """Announce ``len(body)`` bytes, send only ``sent`` (default half), then close (FIN)."""
    return Response(status, body, fault="truncate", truncate_to=sent)


def stall(seconds: float, then: Response | None = None) -> Response:
    """Wait ``seconds`` before responding at all (then send ``then``, default empty 200)."""
    return dataclasses.replace(then or Response(), delay=seconds)


def stall_body(seconds: float, then: Response | None = None) -> Response:
    """Send the headers, wait ``seconds``, then the body of ``then`` (default 4 KiB)."""
    return dataclasses.replace(then or Response(body=b"x" * 4096), body_delay=seconds)


def close_after(response: Response | None = None, *, silently: bool = False) -> Response:
    """Send ``response`` then close the connection; announced unless ``silently``."""
    base = response or Response()
    if silently:
        return dataclasses.replace(base, fault="close_silently")
    return dataclasses.replace(base, close=True)


def _mix_error(make: Callable[[], Response]) -> Callable[[Response], Response]:
    return lambda _base: make()


#: Default kinds of the random fault mix: name -> transformation of the normal response.
DEFAULT_FAULT_MIX: Mapping[str, Callable[[Response], Response]] = {
    "reset": lambda base: Response(fault="reset"),
    "reset_mid_body": lambda base: dataclasses.replace(
        base, body=base.body or b"x" * 1024, fault="reset_mid_body"
    ),
    "truncate": lambda base: dataclasses.replace(
        base, body=base.body or b"x" * 1024, fault="truncate"
    ),
    "close_silently": lambda base: dataclasses.replace(base, fault="close_silently"),
    "throttle": _mix_error(throttle_xml),
    "error_500": _mix_error(server_error),
    "error_503": _mix_error(service_unavailable),
}
