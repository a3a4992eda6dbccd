"""Keeping secrets out of tracebacks: masked strings and errors that carry no secret.

Error reporters (Sentry, ``traceback.TracebackException(..., capture_locals=True)``) record the
``repr`` of every local variable of every frame an exception passed through, including the
frames of its ``__cause__`` and ``__context__``. Code that handles secrets (the signer, the
shared-file and ``credential_process`` parsers, the providers, the proxy setup) therefore
follows two rules:

- a secret that must live in a container other code shows (headers, settings) is held in an
  object whose ``repr`` is masked (:class:`MaskedStr`, :class:`hub._request.SensitiveValue`);
- the function's public entry point catches whatever is raised below it and raises, *outside*
  the ``except`` block, an error built by :func:`scrubbed`: the frames it passed through are
  cleared of their locals, and an exception that is not one of hub's (whose messages are
  written never to quote a secret) is replaced by a typed one naming only its type.

Raising outside the ``except`` block matters: a ``raise ... from None`` inside it still stores
the original exception (with its message and frames) in ``__context__``.
"""

from __future__ import annotations

import base64
import sys
import traceback
from types import FrameType
from urllib.parse import unquote, urlsplit

from hub.errors import ConfigError, CredentialProviderError, HubError

__all__ = [
    "MaskedStr",
    "MaskedURL",
    "forget_locals",
    "mask_url",
    "proxy_auth",
    "scrubbed",
    "strip_password",
]


class MaskedStr(str):
    """A ``str`` whose ``repr`` hides it; ``str()``, formatting and encoding give the value.

    For secrets that third-party code must format as text (http.client writes proxy headers
    of a CONNECT request with an f-string). Containers and traceback locals show
    ``'<hidden>'``.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'<hidden>'"


class MaskedURL(str):
    """A URL (``scheme://user:password@host``) whose ``repr`` hides the password."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(mask_url(str(self)))


def mask_url(url: str) -> str:
    """Return ``url`` with the password of ``user:password@`` replaced by ``****``."""
    head, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, tail = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{head}://{user}:****@{host}{slash}{tail}"


def strip_password(url: str) -> str:
    """Return ``url`` without the password of its ``user:password@`` part (user kept)."""
    head, sep, rest = url.partition("://")
    authority, slash, tail = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{head}://{userinfo.split(':', 1)[0]}@{host}{slash}{tail}"


def forget_locals(exc: BaseException, boundary: FrameType | None = None) -> None:
    """Clear the local variables of every finished frame ``exc`` (and its chain) passed through.

    The frames and line numbers stay in the traceback; only their variables are dropped, so a
    traceback formatted with ``capture_locals=True`` shows where it failed but no value. Frames
    still running (the caller's) cannot be cleared and are skipped.

    Only exceptions raised below ``boundary`` are touched: an exception the caller was already
    handling when it called hub (it shows up as a ``__context__``) keeps its locals.

    Args:
        exc: The exception caught at the boundary.
        boundary: The frame of the ``except`` clause that caught it; the caller's frame when
            None.
    """
    if boundary is None:
        boundary = sys._getframe(1)
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        tb = current.__traceback__
        if tb is not None and not _below(tb.tb_frame, boundary):
            continue  # raised before hub was called: not hub's to touch
        traceback.clear_frames(tb)
        pending.append(current.__cause__)
        pending.append(current.__context__)


def _below(frame: FrameType | None, boundary: FrameType) -> bool:
    # A finished frame keeps its f_back, so the chain leads back to the boundary.
    while frame is not None:
        if frame is boundary:
            return True
        frame = frame.f_back
    return False


def scrubbed(
    exc: BaseException, what: str, *, field: str | None = None, provider: str | None = None
) -> BaseException:
    """Return an exception safe to raise in place of ``exc``, which may carry a secret.

    ``exc`` was raised while handling secrets. The caller raises the result *outside* its
    ``except`` block (so it has no ``__context__``)::

        try:
            return _work(secret_holder)
        except BaseException as exc:  # noqa: BLE001 - re-raised, scrubbed
            error = scrubbed(exc, "signing the request")
        raise error

    Args:
        exc: The exception that was raised.
        what: What was being done, for the message of a replacement error.
        field: The field a replacement :class:`~hub.errors.ConfigError` names.
        provider: When given, the replacement is a
            :class:`~hub.errors.CredentialProviderError` of this provider instead.

    Returns:
        ``exc`` itself, without its inner frames, when it is one of hub's errors (their messages
        never quote secrets) or not an ``Exception`` (``KeyboardInterrupt``, ``SystemExit``);
        a fresh ``MemoryError``/``RecursionError`` for those; otherwise a ConfigError (or
        CredentialProviderError) that names only the original type (its message or
        attributes, e.g. a ``UnicodeEncodeError``'s ``object``, may hold the secret).
    """
    forget_locals(exc, sys._getframe(1))
    if isinstance(exc, HubError) or not isinstance(exc, Exception):
        if exc.__suppress_context__:
            exc.__context__ = None
        return exc.with_traceback(None)
    if isinstance(exc, (MemoryError, RecursionError)):
        return type(exc)(f"{type(exc).__name__} while {what}")
    message = (
        f"{what} failed with {type(exc).__name__} (details withheld: they may contain "
        "credentials)"
    )
    if provider is not None:
        return CredentialProviderError(provider, message)
    return ConfigError(message, field=field)


def proxy_auth(proxy_url: str) -> tuple[str, dict[str, str] | None]:
    """Split a proxy URL into the URL without credentials and its ``Proxy-Authorization``.

    Args:
        proxy_url: ``scheme://[user[:password]@]host[:port]``.

    Returns:
        The URL without ``user:password@``, and ``{"proxy-authorization": "Basic ..."}`` (the
        value a :class:`MaskedStr`) or None when the URL has no user.

    Raises:
        ConfigError: The URL cannot be parsed; the message does not quote it.
    """
    try:
        return _proxy_auth(proxy_url)
    except BaseException as exc:  # noqa: BLE001 - re-raised, scrubbed
        error = scrubbed(exc, "reading the proxy URL", field="proxies")
    raise error


def _proxy_auth(proxy_url: str) -> tuple[str, dict[str, str] | None]:
    parts = urlsplit(proxy_url)
    if parts.username is None:
        return str(proxy_url), None
    # urllib3.make_headers(proxy_basic_auth=...) does the same, without percent-decoding.
    userinfo = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    value = MaskedStr("Basic " + base64.b64encode(userinfo.encode("latin-1")).decode("ascii"))
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl(), {
        "proxy-authorization": value
    }
