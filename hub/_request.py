"""``Request``: one operation call's life, run phase by phase.

The pipeline reads top to bottom (as in aws-sdk-go)::

    validate → build → loop [ sign → send → unmarshal_meta → validate_response →
                              (unmarshal | unmarshal_error) → retry → after_retry ] → complete

A handler fails the request by raising a :class:`~hub.errors.HubError` (or setting
``request.error``); the rest of that phase is skipped. ``unmarshal_error``, ``retry``,
``after_retry`` and ``complete`` always run every handler, because they exist to look at errors.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, cast

from hub._handlers import HandlerList
from hub._value import dataclass, field
from hub.errors import ConfigError, HubError

if TYPE_CHECKING:
    from hub._client_config import ClientConfig

# Header values that are (or are derived from) credentials: never shown by any repr.
SENSITIVE_HEADERS = frozenset({"authorization", "x-amz-security-token"})


class SensitiveValue:
    """A header value that is a credential or derived from one (signature, session token).

    It is deliberately *not* a ``str``: ``repr``, ``str``, ``format`` and ``json.dumps(...,
    default=str)`` show ``<hidden>`` (plain ``json.dumps`` refuses it with a ``TypeError``), so
    printing, logging or serializing ``request.http_request.headers`` never shows the secret,
    nor does a traceback formatted with ``capture_locals=True``. http.client sends a header
    value by calling its ``encode("latin-1")``, which gives the real bytes; :meth:`reveal`
    gives the real text to code that needs it. It pickles and copies without the value (an
    unpickled one holds ``"<hidden>"``: a request is signed again before it is sent).

    Args:
        value: The secret text.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret text."""
        return self._value

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        """Return the value encoded (what http.client calls to put it on the wire).

        Raises:
            ConfigError: The value cannot be encoded; the message does not quote it.
        """
        try:
            return self._value.encode(encoding, errors)
        except UnicodeError:
            pass
        # Raised outside the except block: a UnicodeEncodeError holds the whole value.
        raise ConfigError(f"a credential header value cannot be encoded as {encoding}",
                          field="headers")

    def __repr__(self) -> str:
        return "'<hidden>'"

    def __str__(self) -> str:
        return "<hidden>"

    def __format__(self, spec: str) -> str:
        return format("<hidden>", spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SensitiveValue):
            return hmac.compare_digest(self._value.encode("utf-8", "surrogatepass"),
                                       other._value.encode("utf-8", "surrogatepass"))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (SensitiveValue, ("<hidden>",))

    def __copy__(self) -> SensitiveValue:
        return self

    def __deepcopy__(self, memo: object) -> SensitiveValue:
        return self


def set_signed_headers(headers: dict[str, str], added: list[tuple[str, str]]) -> None:
    """Set the headers a signer returned, credential-bearing ones as :class:`SensitiveValue`.

    Such a value is not a ``str`` (see :class:`SensitiveValue`) although ``headers`` is typed
    ``dict[str, str]``: everything hub sends it through calls only its ``encode``.
    """
    for name, value in added:
        if name.lower() in SENSITIVE_HEADERS:
            headers[name] = cast(str, SensitiveValue(value))
        else:
            headers[name] = value


def _safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: "<hidden>" if name.lower() in SENSITIVE_HEADERS else value
            for name, value in headers.items()}


@dataclass(slots=True)
class HTTPRequest:
    """The HTTP request being built; handlers edit it in place before it is sent.

    Attributes:
        method: The HTTP method.
        url: The full URL, query string included (already percent-encoded).
        headers: Header name to value. Use one spelling per header name. After signing,
            ``Authorization`` and ``X-Amz-Security-Token`` hold :class:`SensitiveValue`
            objects (masked; ``.reveal()`` gives the text).
        body: bytes, a file-like object, an iterable of bytes, or None.
    """

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None

    def __repr__(self) -> str:
        # Never the credential headers, never the body (it may hold user data).
        body = type(self.body).__name__ if self.body is not None else None
        return (f"HTTPRequest(method={self.method!r}, url={self.url!r}, "
                f"headers={_safe_headers(self.headers)!r}, body={body})")


class ResponseHeaders(dict[str, str]):
    """Response headers: a dict of the names as sent, with case-insensitive ``get``/``[]``/``in``.

    Transports build one per response (a repeated header's values joined with ``", "``, as
    urllib3 does). Iterating, ``items()`` and copying are plain dict operations; ``lowered``
    holds the same headers under lowercased names, built once, which the protocols read
    instead of lowercasing every response's headers again. Treat both as read-only.

    Args:
        headers: The headers, any case.
        lowered: The same headers under lowercased names, when the caller has them already.
    """

    __slots__ = ("lowered",)

    def __init__(self, headers: Mapping[str, str] | Any = (),
                 lowered: dict[str, str] | None = None) -> None:
        super().__init__(headers)
        self.lowered: dict[str, str] = (
            {name.lower(): value for name, value in self.items()} if lowered is None
            else lowered)

    def __getitem__(self, key: str) -> str:
        return self.lowered[key.lower()]

    def get(self, key: str, default: Any = None) -> Any:
        """The value of header ``key`` (any case), or ``default``."""
        return self.lowered.get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self.lowered

    def __reduce__(self) -> tuple[Any, ...]:
        return (ResponseHeaders, (dict(self),))


# For type checkers and readers only: a typing.Protocol class costs ~0.1 ms to create at import.
if TYPE_CHECKING:

    class RawBody(Protocol):
        """An unread response body as a transport hands it over (``HTTPResponse.raw``).

        It owns its connection: the connection is released exactly once, when the body is read to
        its end, released or discarded (see ``hub._transport``). Reads raise only hub errors.
        """

        @property
        def done(self) -> bool:
            """True once the body was read to its end, released or discarded."""

        def read(self, amt: int | None = None) -> bytes:
            """Read up to ``amt`` bytes (all the rest when None); ``b""`` at the end."""

        def readinto(self, buffer: Any) -> int:
            """Read into ``buffer``; return the number of bytes read."""

        def read_all(self) -> bytes:
            """Read the rest, at most ``max_response_bytes`` (else ResponseTooLargeError)."""

        def release(self) -> None:
            """Give the connection back if the body was read to its end, else discard it."""

        def discard(self) -> None:
            """Close the connection without reading the rest."""


@dataclass(slots=True)
class HTTPResponse:
    """The HTTP response received for the current attempt.

    Attributes:
        status: The HTTP status code.
        headers: The response headers (case-insensitive lookup).
        body: The body, read in full (empty while a streamed body is still unread).
        raw: The unread body when the call streams (a :class:`RawBody` from the transport),
            else None. Whoever takes it (``StreamingBody``) must read, close or release it;
            otherwise :meth:`read_body` or :meth:`release` does.
        url: The URL the request went to (names the endpoint in errors).
    """

    status: int
    headers: Mapping[str, str]
    body: bytes = b""
    raw: RawBody | None = None
    url: str = ""

    def read_body(self) -> bytes:
        """Return the whole body, reading (and releasing) a streamed one if needed.

        Raises:
            HTTPClientError: The connection broke or timed out while reading.
            ResponseTooLargeError: The body is larger than ``max_response_bytes``.
        """
        raw = self.raw
        if raw is not None:
            self.raw = None
            self.body = raw.read_all()  # maps errors and releases the connection itself
        return self.body

    def release(self) -> None:
        """Give the connection of an unread streamed body back (or discard it)."""
        raw, self.raw = self.raw, None
        if raw is not None:
            raw.release()


class Request:
    """One call of an operation: parameters in, parsed data (or a typed error) out.

    Attributes:
        client_config: The client's resolved configuration.
        operation: The operation being called.
        params: The caller's parameters.
        http_request: The HTTP request (built in the ``build`` phase).
        http_response: The response of the latest attempt, or None.
        data: The parsed result.
        error: The error of the latest attempt, or None.
        retry_count: Retries done so far (attempts = retry_count + 1).
        retry_delay: Set by the ``retry`` phase: seconds to wait before the next attempt, or
            None when the request will not be retried.
        body_rewindable: Whether the body can be sent again (set by the ``build`` phase).
        context: Scratch space for handlers.
        start_time: ``time.monotonic()`` when the request was created.
    """

    __slots__ = (
        "client_config",
        "operation",
        "params",
        "http_request",
        "http_response",
        "data",
        "error",
        "retry_count",
        "retry_delay",
        "body_rewindable",
        "body_position",
        "context",
        "start_time",
        "_built",
    )

    def __init__(self, client_config: ClientConfig, operation: Any, params: dict[str, Any]
                 ) -> None:
        self.client_config = client_config
        self.operation = operation
        self.params = params
        self.http_request = HTTPRequest(
            operation.http_method, client_config.info.endpoint + operation.request_uri
        )
        self.http_response: HTTPResponse | None = None
        self.data: Any = None
        self.error: HubError | None = None
        self.retry_count = 0
        self.retry_delay: float | None = None
        self.body_rewindable = True
        self.body_position: int | None = None
        self.context: dict[str, Any] = {}
        self.start_time = time.monotonic()
        self._built = False

    @property
    def attempts(self) -> int:
        """HTTP attempts made so far (or being made)."""
        return self.retry_count + 1

    def _run(self, handlers: HandlerList) -> None:
        for handler in handlers.handlers:
            try:
                handler.fn(self)
            except HubError as exc:
                self.error = exc
            if self.error is not None:
                return

    def _run_all(self, handlers: HandlerList) -> None:
        for handler in handlers.handlers:
            try:
                handler.fn(self)
            except HubError as exc:
                self.error = exc

    def build(self) -> HTTPRequest:
        """Run the ``validate`` and ``build`` phases once, without sending anything.

        Used to presign, or to inspect what would be sent. ``send()`` does not build again.

        Returns:
            The built :class:`HTTPRequest`.

        Raises:
            HubError: A validate or build handler failed (e.g. ParamValidationError).
        """
        self._build_once()
        if self.error is not None:
            raise self.error
        return self.http_request

    def _build_once(self) -> None:
        if not self._built:
            handlers = self.client_config.handlers
            self._run(handlers.validate)
            if self.error is None:
                self._run(handlers.build)
            self._built = True

    def send(self) -> Any:
        """Run the request's phases and return the parsed result.

        Returns:
            ``request.data``: the operation's result.

        Raises:
            HubError: The typed error of the last attempt (``attempts`` and ``retry_reason``
                say how many attempts were made and why hub stopped).
        """
        handlers = self.client_config.handlers
        try:
            self._build_once()
            if self.error is None:
                self._attempt_loop()
            self._run_all(handlers.complete)
        except BaseException:
            if self.http_response is not None:
                self.http_response.release()
            raise
        if self.error is not None:
            if self.http_response is not None:
                self.http_response.release()
            raise self.error
        return self.data

    def _attempt_loop(self) -> None:
        handlers = self.client_config.handlers
        while True:
            self._run(handlers.sign)
            if self.error is None:
                self._run(handlers.send)
            if self.error is None:
                self._run(handlers.unmarshal_meta)
            if self.error is None:
                self._run(handlers.validate_response)
                if self.error is None:
                    self._run(handlers.unmarshal)
                else:
                    # Every unmarshal_error handler runs: they exist to refine the error.
                    self._run_all(handlers.unmarshal_error)
            self.retry_delay = None
            self._run_all(handlers.retry)
            self._run_all(handlers.after_retry)
            # after_retry clears `error` when it has prepared another attempt.
            if self.error is None and self.retry_delay is not None:
                continue
            return

    def __repr__(self) -> str:
        name = getattr(self.operation, "name", "?")
        return f"<hub.Request {name} attempts={self.attempts} error={type(self.error).__name__}>"
