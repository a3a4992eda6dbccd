"""Every exception hub raises, in one tree.

::

    HubError
    ├── ConfigError                 bad Config value, unknown option (also a ValueError)
    │   ├── ArgumentError           Config(regoin=...): an argument it does not take (TypeError)
    │   ├── UnknownServiceError     session.client("nope")
    │   └── UnsupportedProtocolError a wire protocol (or input event streams) hub does not speak
    ├── HandlerError                unknown phase, handler not callable, name not found (ValueError)
    ├── ParamValidationError        operation parameters do not match the input shape (ValueError)
    ├── CredentialsError
    │   ├── NoCredentialsError      the whole provider chain came up empty
    │   ├── CredentialProviderError one provider failed (bad file, process exited non-zero, ...)
    │   │   └── SSOTokenExpiredError the SSO login expired: run aws sso login
    │   └── CredentialRefreshError  refreshing expiring credentials failed
    ├── HTTPClientError             the request did not get an HTTP response
    │   ├── EndpointConnectionError could not connect
    │   │   ├── ConnectTimeoutError
    │   │   ├── SSLError            TLS handshake or certificate verification failed
    │   │   └── ProxyConnectionError
    │   ├── ReadTimeoutError        connected, but the response did not arrive in time
    │   └── ConnectionClosedError   connection reset, body truncated or HTTP framing malformed
    ├── ResponseParseError          the response body is not what the protocol promised
    │   ├── XMLForbidden            an XML body declared a DOCTYPE (refused outright)
    │   └── EventStreamDecodeError  an event stream's binary framing is invalid (length, header)
    │       └── EventStreamChecksumError a prelude or message CRC32 did not match
    ├── ResponseTooLargeError       a buffered body exceeded Config.max_response_bytes
    ├── FlexibleChecksumError       a body's checksum did not match (or cannot be computed)
    ├── MessageChecksumError        an SQS message's MD5 digest did not match its content
    ├── CallTimeoutError            the call outlived Config.call_timeout (also a TimeoutError)
    ├── PaginationError             a paginator got the same continuation token twice
    ├── WaiterError                 a waiter reached a failure state or ran out of attempts
    ├── MissingDependencyError      a feature needs an optional extra (also an ImportError)
    └── ClientError                 the service answered with an error (code, message, ...)
        │                           services' modeled errors subclass it (client.exceptions.X)
        └── EventStreamError        an error or exception event inside an event stream (boto3's)

Errors raised by a request also carry ``attempts`` (how many HTTP attempts were made) and
``retry_reason`` (why hub stopped retrying: ``"not_retryable"``, ``"max_attempts"`` or
``"retry_quota"``), so the last service error is raised as itself (``except ClientError`` keeps
working as it does with boto3) while still saying why it was not retried.

Messages name the field, operation or provider involved and never contain secrets. All errors
pickle (they cross process-pool boundaries).

What a server sends cannot make an error unboundedly large: a :class:`ClientError` keeps at
most ``MAX_MESSAGE_CHARS`` characters of the service's message (and of every other string
in its ``response``), at most ``MAX_CODE_CHARS`` of its code and request id, and at most
``MAX_ERROR_FIELDS`` fields per dict or list; a cut string ends with
``"... [N more characters]"``.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Any

__all__ = [
    "ArgumentError",
    "CallTimeoutError",
    "ClientError",
    "ConfigError",
    "ConnectTimeoutError",
    "ConnectionClosedError",
    "CredentialProviderError",
    "CredentialRefreshError",
    "CredentialsError",
    "EndpointConnectionError",
    "EventStreamChecksumError",
    "EventStreamDecodeError",
    "EventStreamError",
    "FlexibleChecksumError",
    "HTTPClientError",
    "HandlerError",
    "HubError",
    "LocalFileError",
    "LocalFileNotFoundError",
    "LocalIsADirectoryError",
    "MessageChecksumError",
    "MissingDependencyError",
    "NoCredentialsError",
    "PaginationError",
    "ParamValidationError",
    "ProxyConnectionError",
    "ReadTimeoutError",
    "RequestBodyError",
    "ResponseParseError",
    "ResponseTooLargeError",
    "SSLError",
    "SSOTokenExpiredError",
    "UnknownServiceError",
    "UnsupportedProtocolError",
    "WaiterError",
    "XMLForbidden",
]


MAX_MESSAGE_CHARS = 4096
"""The most characters of a service's error message (or other error string) a ClientError keeps."""

MAX_CODE_CHARS = 256
"""The most characters of a service's error code (and request id) a ClientError keeps."""

MAX_ERROR_FIELDS = 64
"""The most entries per dict or list of a ClientError's ``response`` (real errors have ~6)."""


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} more characters]"


def _bounded(value: Any, depth: int = 0) -> Any:
    # A copy of a parsed error document with every string cut and every container capped.
    if isinstance(value, str):
        return _cut(value, MAX_MESSAGE_CHARS)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value[:MAX_MESSAGE_CHARS])
    if depth >= 8:
        return value if isinstance(value, (int, float, bool, type(None))) else None
    if isinstance(value, dict):
        return {key: _bounded(item, depth + 1)
                for key, item in islice(value.items(), MAX_ERROR_FIELDS)}
    if isinstance(value, (list, tuple)):
        return [_bounded(item, depth + 1) for item in islice(value, MAX_ERROR_FIELDS)]
    return value


def _restore(cls: type[HubError], args: tuple[Any, ...], state: dict[str, Any]) -> HubError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class HubError(Exception):
    """Root of every exception raised by hub.

    Attributes:
        attempts: HTTP attempts made before this error was raised (0 when it was raised before
            any request was sent).
        retry_reason: Why the request stopped being retried, or None when not from a request.
    """

    attempts: int = 0
    retry_reason: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses have their own __init__ signatures; rebuild from args and attributes
        # instead so that every error pickles without per-class code.
        return (_restore, (type(self), self.args, dict(self.__dict__)))

    def __str__(self) -> str:
        text = super().__str__()
        if self.retry_reason == "max_attempts":
            text += f" (gave up after {self.attempts} attempts: max_attempts reached)"
        elif self.retry_reason == "retry_quota":
            text += (
                f" (not retried after {self.attempts} attempt(s): the client-side retry quota"
                " is exhausted; the server did not refuse the retry)"
            )
        return text


class ConfigError(HubError, ValueError):
    """A configuration value is invalid.

    Attributes:
        field: The Config field (or option) that was wrong, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ArgumentError(ConfigError, TypeError):
    """A class was called with arguments it does not take: an unknown keyword (the message
    names the closest field), more positional arguments than it has fields, a required one
    left out, or one given twice.

    Raised by hub's value classes (:class:`hub.Config`, :class:`hub.Credentials`,
    :class:`hub.transfer.TransferConfig`, ...) before anything is built. Also a
    :class:`TypeError`, which Python (and botocore's ``Config``) raise for the same mistakes, so
    ``except TypeError`` keeps working. Messages name arguments, never their values.

    Attributes:
        field: The argument at fault (None when there were too many positional arguments).
        owner: The class that was called, e.g. ``"Config"``.
    """

    def __init__(self, message: str, *, field: str | None, owner: str) -> None:
        super().__init__(message, field=field)
        self.owner = owner


class UnknownServiceError(ConfigError):
    """A client was asked for a service hub does not know.

    Attributes:
        service_name: The name that was asked for.
        known: The names hub ships packages for.
        reason: Why it is unknown (no botocore installed, no model, a protocol hub does not
            speak), or None.
    """

    def __init__(self, service_name: str, known: tuple[str, ...], *,
                 reason: str | None = None) -> None:
        why = f" ({reason})" if reason else ""
        super().__init__(
            f"unknown service {service_name!r}{why}; known services: {', '.join(known)}",
            field="service_name",
        )
        self.service_name = service_name
        self.known = known
        self.reason = reason


class UnsupportedProtocolError(ConfigError):
    """A service or operation needs a wire feature hub does not implement.

    Raised by :func:`hub.protocols.get_protocol` for an unknown protocol name (``ec2``,
    ``smithy-rpc-v2-cbor``) and by a protocol's ``serialize`` for an operation that sends an
    input event stream (HTTP/2 bidirectional streaming, e.g. Transcribe streaming); output
    event streams are supported.

    Attributes:
        protocol: The protocol name.
        operation: The operation, when the refusal is about one operation.
    """

    def __init__(self, message: str, *, protocol: str, operation: str | None = None) -> None:
        super().__init__(message, field="protocol")
        self.protocol = protocol
        self.operation = operation


class HandlerError(HubError, ValueError):
    """A handler edit is invalid: unknown phase, a non-callable handler, or a missing name."""


class ParamValidationError(HubError, ValueError):
    """Operation parameters do not match the operation's input shape.

    Attributes:
        operation: The operation whose parameters were checked.
        problems: Every problem found, one sentence each (all are reported, not just the first).
    """

    def __init__(self, operation: str, problems: list[str]) -> None:
        listed = "\n  ".join(problems)
        super().__init__(f"invalid parameters for {operation}:\n  {listed}")
        self.operation = operation
        self.problems = list(problems)


class CredentialsError(HubError):
    """Base for errors loading or refreshing credentials."""


class NoCredentialsError(CredentialsError):
    """No provider in the chain produced credentials.

    Attributes:
        tried: The names of the providers that were tried, in order.
    """

    def __init__(self, tried: tuple[str, ...] = ()) -> None:
        where = f" (tried: {', '.join(tried)})" if tried else ""
        super().__init__(f"unable to locate credentials{where}")
        self.tried = tried


class CredentialProviderError(CredentialsError):
    """One credential provider failed in a way the user must fix (it is not skipped).

    Attributes:
        provider: The provider's name.
    """

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider


class CredentialRefreshError(CredentialsError):
    """Refreshing expiring credentials failed and the current ones can no longer be used."""


class HTTPClientError(HubError):
    """The HTTP exchange failed before a complete response arrived.

    Attributes:
        endpoint: The URL (without query string) that was being called, when known.
    """

    def __init__(self, message: str, *, endpoint: str | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint


class EndpointConnectionError(HTTPClientError):
    """A connection to the endpoint could not be made."""


class ConnectTimeoutError(EndpointConnectionError):
    """Connecting to the endpoint took longer than ``connect_timeout``."""


class SSLError(EndpointConnectionError):
    """TLS failed: the certificate did not verify, or the handshake broke."""


class ProxyConnectionError(EndpointConnectionError):
    """The configured proxy could not be reached or refused the tunnel."""


class ReadTimeoutError(HTTPClientError):
    """The response did not arrive within ``read_timeout``."""


class ConnectionClosedError(HTTPClientError):
    """The connection was reset or closed before the whole response arrived."""


class ResponseTooLargeError(HubError):
    """A buffered (non-streamed) response body is larger than ``Config.max_response_bytes``.

    Not retried: the same request would get the same body. Raise the limit for the client, or
    use a streamed operation.

    Attributes:
        field: ``"max_response_bytes"``, the setting that limits it.
        limit: The limit in bytes.
        endpoint: The URL (without query string) that sent it.
    """

    def __init__(self, message: str, *, limit: int, endpoint: str | None = None) -> None:
        super().__init__(message)
        self.field = "max_response_bytes"
        self.limit = limit
        self.endpoint = endpoint


class CallTimeoutError(HubError, TimeoutError):
    """The whole call (every attempt, backoff and read) took longer than ``Config.call_timeout``.

    Not retried: the caller's time budget is spent.

    Attributes:
        field: ``"call_timeout"``, the setting that limits it.
        timeout: The limit in seconds.
        endpoint: The URL (without query string) being called, when known.
    """

    def __init__(self, message: str, *, timeout: float, endpoint: str | None = None) -> None:
        super().__init__(message)
        self.field = "call_timeout"
        self.timeout = timeout
        self.endpoint = endpoint


class ClientError(HubError):
    """The service answered with an error.

    Shaped like botocore's ``ClientError``: ``error.response["Error"]["Code"]`` works.
    Bounded whatever the server sent (see ``MAX_MESSAGE_CHARS``).

    Attributes:
        code: The service's error code (``NoSuchKey``, ``ThrottlingException``, ...).
        message: The service's error message.
        status_code: The HTTP status code.
        request_id: The service's request id, when it sent one.
        operation: The operation name (``GetObject``, ``PutItem``, ...).
        response: A boto3-shaped dict: ``Error`` (``Code``, ``Message``, extra fields) and
            ``ResponseMetadata``.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status_code: int,
        operation: str,
        request_id: str | None = None,
        response: dict[str, Any] | None = None,
    ) -> None:
        # A hostile or broken server controls these: bound them once, here, for every
        # protocol (the body read itself is capped by Config.max_response_bytes).
        code = _cut(code, MAX_CODE_CHARS)
        message = _cut(message, MAX_MESSAGE_CHARS)
        if request_id is not None:
            request_id = _cut(request_id, MAX_CODE_CHARS)
        super().__init__(
            f"An error occurred ({code}) when calling the {operation} operation: {message}"
        )
        self.code = code
        self.message = message
        self.status_code = status_code
        self.operation = operation
        self.request_id = request_id
        if response is None:
            response = {
                "Error": {"Code": code, "Message": message},
                "ResponseMetadata": {"RequestId": request_id or "", "HTTPStatusCode": status_code},
            }
        else:
            # ResponseMetadata (headers, bounded by the HTTP client) is kept as is.
            metadata = response.get("ResponseMetadata")
            response = {key: _bounded(value)
                        for key, value in islice(response.items(), MAX_ERROR_FIELDS)}
            if metadata is not None:
                response["ResponseMetadata"] = metadata
            error = response.get("Error")
            if isinstance(error, dict) and isinstance(error.get("Code"), str):
                error["Code"] = _cut(error["Code"], MAX_CODE_CHARS)
        self.response = response


class PaginationError(HubError):
    """The service returned the same continuation token twice (pagination would loop)."""


# The errors nothing on the cold path raises are created on first use (hub._errors_rare sets
# their __module__ to this one, so they document, print and pickle as hub.errors.<Name>).
_RARE = frozenset({
    "EventStreamChecksumError", "EventStreamDecodeError", "EventStreamError",
    "FlexibleChecksumError", "LocalFileError", "LocalFileNotFoundError",
    "LocalIsADirectoryError",
    "MessageChecksumError", "MissingDependencyError", "RequestBodyError", "ResponseParseError",
    "SSOTokenExpiredError", "WaiterError", "XMLForbidden",
})

if TYPE_CHECKING:
    from hub._errors_rare import EventStreamChecksumError as EventStreamChecksumError
    from hub._errors_rare import EventStreamDecodeError as EventStreamDecodeError
    from hub._errors_rare import EventStreamError as EventStreamError
    from hub._errors_rare import FlexibleChecksumError as FlexibleChecksumError
    from hub._errors_rare import LocalFileError as LocalFileError
    from hub._errors_rare import LocalFileNotFoundError as LocalFileNotFoundError
    from hub._errors_rare import LocalIsADirectoryError as LocalIsADirectoryError
    from hub._errors_rare import MessageChecksumError as MessageChecksumError
    from hub._errors_rare import MissingDependencyError as MissingDependencyError
    from hub._errors_rare import RequestBodyError as RequestBodyError
    from hub._errors_rare import ResponseParseError as ResponseParseError
    from hub._errors_rare import SSOTokenExpiredError as SSOTokenExpiredError
    from hub._errors_rare import WaiterError as WaiterError
    from hub._errors_rare import XMLForbidden as XMLForbidden
else:
    def __getattr__(name: str) -> Any:
        if name not in _RARE:
            raise AttributeError(f"module 'hub.errors' has no attribute {name!r}")
        from hub import _errors_rare

        for rare in _RARE:
            globals()[rare] = getattr(_errors_rare, rare)  # later reads: plain attributes
        return globals()[name]

    def __dir__() -> list[str]:
        return sorted({*globals(), *_RARE})
