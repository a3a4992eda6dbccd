"""The HTTP calls credential providers make (metadata services, STS, SSO), on hub's transport.

Providers are created by :func:`~hub.credentials.default_chain` long before (and apart from) any
session, so they share one module-level :class:`~hub._transport.TransportRegistry` of their own:
pooled connections to the metadata service and STS are reused across refreshes, and the
transport already re-creates its pools in a forked child. Tests inject a fake ``HttpSend``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from hub._value import FrozenMap, dataclass

if TYPE_CHECKING:
    from hub._transport import TransportRegistry

__all__ = ["HttpReply", "HttpSend", "env_proxies", "send"]


@dataclass(frozen=True, slots=True)
class HttpReply:
    """A complete HTTP response.

    Attributes:
        status: The status code.
        headers: Header names lowercased to values.
        body: The body, read in full.
    """

    status: int
    headers: Mapping[str, str]
    body: bytes

    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", "replace")


#: ``send(method, url, headers, body, timeout, proxies) -> HttpReply``; raises
#: :class:`~hub.errors.HTTPClientError` (a subclass naming what failed) when no response came.
HttpSend = Callable[
    [str, str, Mapping[str, str], "bytes | None", float, "Mapping[str, str] | None"], HttpReply
]

# One registry for every provider in the process (the transports in it re-create their pools
# in a forked child). Created on first use: hub.credentials is imported by hub._config, which
# the transport module imports, and most processes never need it.
_registry: TransportRegistry | None = None


def send(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    timeout: float,
    proxies: Mapping[str, str] | None = None,
) -> HttpReply:
    """Send one request through a pooled hub transport and read the whole response.

    Args:
        method: The HTTP method.
        url: The full URL.
        headers: Request headers.
        body: The body, or None.
        timeout: Seconds for the connect and for each read.
        proxies: Proxy URL per scheme, or None for a direct connection.

    Returns:
        The response, whatever its status.

    Raises:
        HTTPClientError: A subclass saying what failed (connect, timeout, reset...).
    """
    global _registry
    from hub._request import HTTPRequest
    from hub._transport import TransportRegistry, TransportSettings, make_timeout

    if _registry is None:
        _registry = TransportRegistry()  # a race creates two; one is dropped, harmlessly
    settings = TransportSettings(
        max_pool_connections=10,
        pool_block=False,
        verify=True,
        proxies=FrozenMap(proxies) if proxies else None,
    )
    transport = _registry.get(settings)
    response = transport.send(
        HTTPRequest(method, url, dict(headers), body),
        timeout=make_timeout(timeout, timeout),
        stream=False,
        pool_timeout=timeout,
    )
    return HttpReply(
        response.status,
        {name.lower(): value for name, value in response.headers.items()},
        response.body,
    )


def env_proxies(url: str, environ: Mapping[str, str]) -> dict[str, str] | None:
    """Return the proxies ``environ`` sets for ``url`` (``HTTP_PROXY``/``NO_PROXY``), or None.

    What botocore does for the instance metadata service and its clients: the standard proxy
    variables (lowercase wins), unless ``no_proxy`` covers the host.
    """
    found: dict[str, str] = {}
    for name in sorted(environ, key=lambda n: n.islower()):  # lowercase names last: they win
        value = environ[name]
        if value and name.lower().endswith("_proxy"):
            found[name.lower()[: -len("_proxy")]] = value
    proxies: dict[str, str] = {
        scheme: found[scheme] for scheme in ("http", "https") if scheme in found
    }
    if not proxies:
        return None
    host = (urlsplit(url).hostname or "").lower()
    for entry in found.get("no", "").replace(" ", "").lower().split(","):
        entry = entry.split(":", 1)[0].lstrip(".") if not entry.startswith("[") else entry
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return None
    return proxies
