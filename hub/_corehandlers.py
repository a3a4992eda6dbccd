"""hub's default request handlers (``core.*``) and :func:`default_handlers`.

Like aws-sdk-go's ``corehandlers``, each handler does one job and has a dotted name, so users
can find, swap or remove it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import TYPE_CHECKING, Any

from hub._deferred import deferred_from
from hub._handlers import HandlerList, Handlers, NamedHandler
from hub._request import Request, set_signed_headers
from hub._transport import DEADLINE_KEY, Deadline
from hub.errors import CallTimeoutError, ClientError, ConfigError, HubError, ParamValidationError

if TYPE_CHECKING:
    from hub.signing import sign
else:  # the signer loads with the first signed request, not with the first client
    sign = deferred_from(globals(), "sign", "hub.signing")

logger = logging.getLogger("hub.request")

_AUTH_HEADERS = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256")
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def validate_endpoint(request: Request) -> None:
    """Fail early when the client has no endpoint (a misconfigured custom client)."""
    if not request.client_config.info.endpoint:
        raise ConfigError("the client has no endpoint; set endpoint_url or region",
                          field="endpoint_url")


def add_user_agent(request: Request) -> None:
    """Set the ``User-Agent`` header (``hub/<version> python/<version> ...``)."""
    request.http_request.headers["User-Agent"] = request.client_config.user_agent


def prepare_body(request: Request) -> None:
    """Normalize the body and remember how to rewind it for retries; set Content-Length."""
    http = request.http_request
    body = http.body
    if isinstance(body, str):
        body = http.body = body.encode("utf-8")
    if body is None or isinstance(body, (bytes, bytearray, memoryview)):
        request.body_rewindable = True
        if body is not None or http.method in ("POST", "PUT", "PATCH"):
            http.headers.setdefault("Content-Length", str(len(body) if body is not None else 0))
        return
    if getattr(body, "closed", False) is True:  # every read would fail (ValueError)
        raise ParamValidationError(getattr(request.operation, "name", "the request"), [
            f"Invalid value for parameter Body: the file object ({type(body).__name__}) is "
            "closed"])
    seek = getattr(body, "seek", None)
    tell = getattr(body, "tell", None)
    if callable(seek) and callable(tell):
        try:
            start = tell()
            end = body.seek(0, 2)
            body.seek(start)
        except (OSError, ValueError):
            request.body_rewindable = False
            return
        request.body_position = start
        request.body_rewindable = True
        http.headers.setdefault("Content-Length", str(end - start))
    else:  # generators and other one-shot iterables: sent chunked, never replayed
        request.body_rewindable = False
        if not hasattr(body, "read"):
            http.body = _checked_chunks(body, getattr(request.operation, "name", None))


def _checked_chunks(chunks: Any, operation: str | None) -> Any:
    """Yield a caller's iterable body as bytes chunks: ``str`` as UTF-8 (as urllib3 sends it),
    ``None`` and empty chunks skipped; anything else, or an exception from the caller's
    iterator, is a :class:`~hub.errors.RequestBodyError` (instead of an error the transport
    would report as a failed HTTP request, or an ``int`` sent as that many zero bytes)."""
    from hub.checksums import _body_chunk
    from hub.errors import RequestBodyError

    try:
        for chunk in chunks:
            if chunk is not None:
                data = _body_chunk(chunk, operation)
                if data:
                    yield data
    except HubError:
        raise
    except Exception as exc:  # the caller's iterator failed
        raise RequestBodyError(
            f"{operation or 'the request'}: reading the request body (Body) failed: "
            f"{type(exc).__name__}: {exc}", operation=operation) from exc


def body_read_error(request: Request, exc: Exception) -> HubError:
    """The typed error for a caller's body whose ``read``/``seek`` raised ``exc`` (raise it
    ``from exc``); a hub error passes through unchanged."""
    if isinstance(exc, HubError):
        return exc
    from hub.errors import RequestBodyError

    name = getattr(request.operation, "name", None)
    return RequestBodyError(
        f"{name or 'the request'}: reading the request body (Body) failed: "
        f"{type(exc).__name__}: {exc}", operation=name)


def _hash_body(request: Request) -> str:
    body = request.http_request.body
    if body is None:
        return _EMPTY_SHA256
    if isinstance(body, (bytes, bytearray, memoryview)):
        return hashlib.sha256(body).hexdigest()
    if request.body_rewindable and request.body_position is not None:
        digest = hashlib.sha256()
        try:
            for chunk in iter(lambda: body.read(1 << 16), b""):
                digest.update(chunk)
            body.seek(request.body_position)
        except (OSError, ValueError, TypeError) as exc:  # the caller's file failed
            raise body_read_error(request, exc) from exc
        return digest.hexdigest()
    return _UNSIGNED_PAYLOAD


def payload_signing(client_config: Any) -> bool | None:
    """``Config.s3_payload_signing_enabled`` for a service with S3's optional body signing
    (botocore's ``s3={"payload_signing_enabled": ...}``), else None: then the scheme decides
    (an S3 body is signed over plain http only)."""
    if client_config.spec.signing.unsigned_streams_over_tls:
        setting: bool | None = client_config.config.s3_payload_signing_enabled
        return setting
    return None


def sign_v4(request: Request) -> None:
    """Sign the request with SigV4 using the client's credentials (loaded single-flight)."""
    client_config = request.client_config
    if client_config.config.signature_version == "unsigned":
        return  # anonymous request (hub.UNSIGNED): no credentials are looked for
    if getattr(request.operation, "unsigned", False):
        return  # the model says the operation takes no auth (AssumeRoleWithWebIdentity)
    info = client_config.info
    if client_config.config.call_timeout is None:
        credentials = client_config.credentials.get()
    else:  # a slow credential source must not outlast the call's budget
        deadline = call_deadline(request)
        assert deadline is not None
        try:
            credentials = client_config.credentials.get_within(deadline.remaining())
        except CallTimeoutError:
            raise deadline.error(request.http_request.url, "credentials") from None
    request.context["credentials"] = credentials  # so an ExpiredToken retry drops only these
    http = request.http_request
    for name in _AUTH_HEADERS:
        http.headers.pop(name, None)
    options = client_config.spec.signing  # the service's SigningOptions (its customizations)
    # A handler that framed the body (aws-chunked trailer) or already hashed a file body in
    # its own pass (hub._checksum_handlers) says what to sign with.
    payload_hash = request.context.get("sigv4.payload_hash")
    body = http.body
    streaming = body is not None and not isinstance(body, (bytes, bytearray, memoryview))
    signing = payload_signing(client_config)
    if payload_hash is not None:
        pass
    elif signing is False:  # the caller's choice: no body is hashed (botocore's, too)
        payload_hash = _UNSIGNED_PAYLOAD
    elif (signing is None and streaming and options.unsigned_streams_over_tls
          and http.url.startswith("https:")):
        # Over TLS the transport already protects the payload; hashing a stream would mean
        # reading it twice, so such streams are sent UNSIGNED-PAYLOAD as botocore does (S3).
        payload_hash = _UNSIGNED_PAYLOAD
    elif streaming or options.payload_hash_header:
        payload_hash = _hash_body(request)  # a stream: hash it here, the signer only sees bytes
    body_for_hash = http.body if isinstance(http.body, (bytes, str)) or http.body is None else None
    added = sign(
        http.method,
        http.url,
        list(http.headers.items()),
        body_for_hash,
        credentials=credentials,
        region=info.signing_region,
        service=info.signing_name,
        timestamp=time.time(),  # POSIX seconds: the signer's fast path (no datetime)
        normalize_path=options.normalize_path,
        payload_hash=payload_hash,
    )
    # Credential-bearing values hide themselves from every repr, str and json.dumps.
    set_signed_headers(http.headers, added)


_DEADLINE = DEADLINE_KEY


def call_deadline(request: Request) -> Deadline | None:
    """The request's deadline (``start_time + Config.call_timeout``), or None without one."""
    deadline: Deadline | None = request.context.get(_DEADLINE)
    if deadline is None:
        seconds = request.client_config.config.call_timeout
        if seconds is None:
            return None
        deadline = request.context[_DEADLINE] = Deadline(request.start_time + seconds, seconds)
    return deadline


def send(request: Request) -> None:
    """Send the request through the client's transport (the seam: ``Transport.send``).

    Streamed operations get the body unread in ``http_response.raw``; others get it read in
    full, at most ``Config.max_response_bytes`` of it. With ``Config.call_timeout`` set, the
    transport stops at the call's deadline.
    """
    client_config = request.client_config
    config = client_config.config
    http = request.http_request
    deadline = call_deadline(request)
    if deadline is not None and deadline.remaining() <= 0:
        raise deadline.error(http.url)
    client_config.retry_policy.before_attempt(request)
    operation = request.operation
    # hub.Operation says streaming_output; a protocol OperationModel names the stream member.
    stream = bool(getattr(operation, "streaming_output", False)
                  or getattr(operation, "streaming_output_member", None))
    request.http_response = client_config.transport.send(
        http,
        timeout=client_config.timeout,
        stream=stream,
        pool_timeout=config.pool_timeout,
        deadline=deadline,
        max_response_bytes=config.max_response_bytes,
    )


def validate_response(request: Request) -> None:
    """Turn a non-2xx status into an error (the protocol's unmarshal_error refines it)."""
    response = request.http_response
    if response is None or response.status < 300:
        return
    response.read_body()
    request.error = ClientError(
        str(response.status),
        f"HTTP {response.status}",
        status_code=response.status,
        operation=getattr(request.operation, "name", "?"),
    )


def retry(request: Request) -> None:
    """Ask the retry policy whether (and when) to try again."""
    policy = request.client_config.retry_policy
    if request.error is None:
        policy.on_success(request)
        return
    if "invalidate_credentials" not in request.context:
        cache, used = request.client_config.credentials, request.context.get("credentials")
        # Invalidate only the credentials this request signed with: when many threads hit
        # ExpiredToken at once, the first reload is not thrown away by the others.
        request.context["invalidate_credentials"] = lambda: cache.invalidate(used)
    request.retry_delay = policy.decide(request)


def after_retry(request: Request, *, sleep: Any = time.sleep) -> None:
    """Wait, rewind the body and reset the request for the next attempt."""
    if request.error is None or request.retry_delay is None:
        return
    if request.http_response is not None:
        request.http_response.release()
        request.http_response = None
    delay = request.retry_delay
    deadline = request.context.get(_DEADLINE)
    if deadline is not None:  # never sleep past the call's deadline; send() then stops
        delay = max(0.0, min(delay, deadline.remaining()))
    if delay > 0:
        sleep(delay)
    body = request.http_request.body
    if request.body_position is not None and body is not None:
        try:
            body.seek(request.body_position)
        except (OSError, ValueError) as exc:
            raise body_read_error(request, exc) from exc
    logger.debug("retrying %s (attempt %d) after %s",
                 getattr(request.operation, "name", "?"), request.attempts + 1,
                 type(request.error).__name__)
    request.retry_count += 1
    request.error = None


def log_complete(request: Request) -> None:
    """Log one debug line per finished request (never headers or bodies: no secrets)."""
    if logger.isEnabledFor(logging.DEBUG):
        elapsed = (time.monotonic() - request.start_time) * 1000
        status = request.http_response.status if request.http_response is not None else "-"
        outcome = "ok" if request.error is None else type(request.error).__name__
        logger.debug("%s %s status=%s attempts=%d %.1fms",
                     getattr(request.operation, "name", "?"), outcome, status,
                     request.attempts, elapsed)


def _named(*pairs: tuple[str, Any]) -> HandlerList:
    return HandlerList(tuple(NamedHandler(name, fn) for name, fn in pairs))


def default_handlers() -> Handlers:
    """Return hub's default handlers, one list per phase (the protocol's are added per client).

    validate: ``core.validate_endpoint``; build: ``core.user_agent``, ``core.prepare_body``;
    sign: ``core.sigv4``; send: ``core.send``; validate_response: ``core.validate_response``;
    retry: ``core.retry``; after_retry: ``core.after_retry``; complete: ``core.log``.
    """
    return Handlers(
        validate=_named(("core.validate_endpoint", validate_endpoint)),
        build=_named(("core.user_agent", add_user_agent), ("core.prepare_body", prepare_body)),
        sign=_named(("core.sigv4", sign_v4)),
        send=_named(("core.send", send)),
        validate_response=_named(("core.validate_response", validate_response)),
        retry=_named(("core.retry", retry)),
        after_retry=_named(("core.after_retry", after_retry)),
        complete=_named(("core.log", log_complete)),
    )

