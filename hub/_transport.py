"""Pooled urllib3 transports, shared by every client of a session family.

One :class:`Transport` (a urllib3 ``PoolManager`` plus one ``SSLContext``) exists per distinct
:class:`TransportSettings` in a :class:`TransportRegistry`; a session and its copies share one
registry, so copies that change no transport setting share connection pools. Timeouts are not
part of the key: they are passed per request, so changing them never splits a pool.

urllib3 and socket errors are mapped to :mod:`hub.errors` here, at the boundary, so nothing above
this module sees a urllib3 exception.
"""

from __future__ import annotations

import logging
import os
import queue
import ssl
import threading
import warnings
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from http.client import HTTPException
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError as _U3ConnectTimeout,
)
from urllib3.exceptions import (
    DecodeError,
    EmptyPoolError,
    HTTPError,
    InsecureRequestWarning,
    NewConnectionError,
    ProtocolError,
    ProxyError,
)
from urllib3.exceptions import (
    ReadTimeoutError as _U3ReadTimeout,
)
from urllib3.exceptions import SSLError as _U3SSLError
from urllib3.util.ssl_ import create_urllib3_context

from hub._config import Config
from hub._redact import forget_locals, proxy_auth
from hub._types import FrozenMap
from hub.errors import (
    ConfigError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    HubError,
    ProxyConnectionError,
    ReadTimeoutError,
    SSLError,
)

if TYPE_CHECKING:
    from urllib3._base_connection import BaseHTTPConnection

logger = logging.getLogger("hub.transport")


@dataclass(frozen=True, slots=True)
class TransportSettings:
    """The settings that decide which connection pool a request uses (the registry key)."""

    max_pool_connections: int
    pool_block: bool
    verify: bool | str
    proxies: FrozenMap | None

    @classmethod
    def from_config(cls, config: Config) -> TransportSettings:
        """Extract the transport-relevant settings from a fully merged Config."""
        proxies = config.proxies
        return cls(
            max_pool_connections=config.max_pool_connections or 10,
            pool_block=bool(config.pool_block),
            verify=True if config.verify is None else config.verify,
            proxies=proxies if isinstance(proxies, FrozenMap) or proxies is None
            else FrozenMap(proxies),
        )


def _ssl_context(verify: bool | str) -> ssl.SSLContext:
    # Built once per transport: botocore rebuilds one per client (~15 ms on OpenSSL 3).
    if verify is False:
        context = create_urllib3_context(cert_reqs=ssl.CERT_NONE)
        context.check_hostname = False
        return context
    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
    try:
        if isinstance(verify, str):
            if os.path.isdir(verify):
                context.load_verify_locations(capath=verify)
            else:
                context.load_verify_locations(cafile=verify)
        else:
            context.load_default_certs()
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"verify: cannot load CA bundle {verify!r}: {exc.strerror or exc}", field="verify"
        ) from None
    return context


_insecure_warned: set[str] = set()
_insecure_lock = threading.Lock()


class _QuietHTTPSConnectionPool(urllib3.HTTPSConnectionPool):
    """An HTTPS pool without urllib3's per-request ``InsecureRequestWarning``.

    Used only for ``verify=False`` transports: hub warns once per host itself. Silencing by
    pool class instead of a global ``warnings`` filter keeps working inside (and after) a
    caller's ``warnings.catch_warnings()`` block, which saves and restores the global filters.
    """

    def _validate_conn(self, conn: BaseHTTPConnection) -> None:
        urllib3.HTTPConnectionPool._validate_conn(self, conn)
        if conn.is_closed:  # what urllib3 does, minus the warning
            conn.connect()


def _warn_insecure(host: str) -> None:
    # urllib3 warns on every request; hub warns once per host (its pools do not warn).
    with _insecure_lock:
        if host in _insecure_warned:
            return
        _insecure_warned.add(host)
    warnings.warn(
        f"TLS certificate verification is disabled (verify=False) for {host}",
        InsecureRequestWarning,
        stacklevel=4,
    )


# Virtual-hosted S3 makes one origin per bucket; past this many, requests go through the
# PoolManager's own (LRU-bounded) lookup instead of the origin cache.
_MAX_CACHED_ORIGINS = 128


class Transport:
    """A urllib3 PoolManager (and one SSLContext) for one set of transport settings.

    Thread-safe: urllib3 pools are. After ``os.fork()`` the child gets fresh pools, so it never
    shares the parent's sockets.
    """

    __slots__ = ("settings", "_ssl_context", "_managers", "_origins", "_origins_lock",
                 "__weakref__")

    def __init__(self, settings: TransportSettings) -> None:
        self.settings = settings
        self._ssl_context = _ssl_context(settings.verify)
        self._managers: Mapping[str, urllib3.PoolManager] = self._new_managers()
        # origin ("https://host:port") -> its pool, so a request skips PoolManager's URL parsing
        # and pool-key normalization. Published copy-on-write; only direct (non-proxy)
        # connections; bounded, and an origin once cached always uses that one pool.
        self._origins: Mapping[str, urllib3.HTTPConnectionPool] = {}
        self._origins_lock = threading.Lock()
        _live_transports.add(self)

    def _new_managers(self) -> Mapping[str, urllib3.PoolManager]:
        settings = self.settings
        kwargs: dict[str, Any] = {
            "num_pools": 50,
            "maxsize": settings.max_pool_connections,
            "block": settings.pool_block,
            "retries": False,
            "ssl_context": self._ssl_context,
            "cert_reqs": "CERT_NONE" if settings.verify is False else "CERT_REQUIRED",
        }
        if settings.verify is False:
            kwargs["assert_hostname"] = False
        direct = urllib3.PoolManager(**kwargs)
        managers: dict[str, urllib3.PoolManager] = {"http": direct, "https": direct}
        for scheme, proxy_url in (settings.proxies or {}).items():
            # user:password becomes a Proxy-Authorization value whose repr is masked
            # (hub._redact), so no local in urllib3 or here shows the password.
            proxy_url, headers = proxy_auth(proxy_url)
            managers[scheme] = urllib3.ProxyManager(proxy_url, proxy_headers=headers, **kwargs)
        if settings.verify is False:
            for manager in set(managers.values()):
                manager.pool_classes_by_scheme = {
                    **manager.pool_classes_by_scheme, "https": _QuietHTTPSConnectionPool
                }
        return managers

    def urlopen(
        self,
        method: str,
        url: str,
        *,
        body: Any,
        headers: Mapping[str, str],
        timeout: urllib3.Timeout,
        pool_timeout: float | None,
        stream: bool,
    ) -> urllib3.BaseHTTPResponse:
        """Send one HTTP request and return urllib3's response.

        Args:
            stream: When True the body is left unread (the caller must read or release it);
                otherwise it is read in full and the connection goes back to the pool.

        Raises:
            HTTPClientError: A subclass saying what failed (connect, TLS, timeout, reset...).
        """
        https = url.startswith("https:")
        if self.settings.verify is False and https:
            _warn_insecure(urlsplit(url).netloc)
        # The path starts at the first "/" after "scheme://".
        slash = url.find("/", 8 if https else 7)
        origin, path = (url, "/") if slash < 0 else (url[:slash], url[slash:])
        pool: Any = self._origins.get(origin)
        if pool is None:
            pool = self._pool_for(origin, https)
        try:
            return pool.urlopen(  # type: ignore[no-any-return]
                method,
                path if pool is not self._managers["https" if https else "http"] else url,
                body=body,
                headers=headers,
                timeout=timeout,
                pool_timeout=pool_timeout,
                preload_content=not stream,
                decode_content=False,
                redirect=False,
                retries=False,
                assert_same_host=False,
            )
        except (HTTPError, HTTPException, OSError, ValueError, MemoryError) as exc:
            # ValueError/MemoryError: http.client on malformed framing (a "-5" or huge chunk
            # size while preloading). map_error turns all of them into hub errors.
            # The chained urllib3/http.client frames hold the encoded request headers (token,
            # signature, proxy password) in their locals: keep the frames, drop the locals.
            forget_locals(exc)
            raise map_error(exc, url) from (None if isinstance(exc, UnicodeError) else exc)

    def _pool_for(self, origin: str, https: bool) -> Any:
        """Return the pool for ``origin`` (cached), or the manager when it must route."""
        manager = self._managers["https" if https else "http"]
        if self.settings.proxies:
            return manager  # the proxy manager decides how to reach the origin
        with self._origins_lock:
            pool = self._origins.get(origin)
            if pool is None:
                pool = manager.connection_from_url(origin)
                if len(self._origins) < _MAX_CACHED_ORIGINS:
                    self._origins = {**self._origins, origin: pool}
            return pool

    def close(self) -> None:
        """Close every idle pooled connection. The transport stays usable (pools reopen)."""
        with self._origins_lock:
            self._origins = {}
        for manager in set(self._managers.values()):
            pools = [manager.pools.get(key) for key in list(manager.pools.keys())]
            # urllib3 2's PoolManager.clear() only forgets its pools (they have no dispose
            # function): their sockets would stay open for as long as anything references a
            # pool, e.g. the traceback of an error the caller keeps. Close the idle ones now;
            # connections in use are left alone and closed when returned to a forgotten pool.
            manager.clear()
            for pool in pools:
                if pool is not None:
                    _close_idle(pool)

    def _after_fork_in_child(self) -> None:
        # Drop (not close) the parent's pools: closing would be harmless for plain sockets,
        # but the child must simply never write to them.
        self._managers = self._new_managers()
        self._origins = {}
        self._origins_lock = threading.Lock()

    def pool_stats(self) -> dict[str, int]:
        """Idle connections per pool key ("scheme://host:port"), for tests and monitoring."""
        stats: dict[str, int] = {}
        for manager in set(self._managers.values()):
            for key in list(manager.pools.keys()):
                pool = manager.pools.get(key)
                if pool is not None and pool.pool is not None:
                    stats[f"{key.key_scheme}://{key.key_host}:{key.key_port}"] = pool.pool.qsize()
        return stats


def _close_idle(pool: urllib3.HTTPConnectionPool) -> None:
    slots = pool.pool
    if slots is None:
        return
    taken = []
    try:
        while True:
            taken.append(slots.get(block=False))
    except queue.Empty:
        pass
    for conn in taken:
        if conn is not None:
            conn.close()
        try:
            slots.put(None, block=False)  # keep the slot count: a None means "connect anew"
        except queue.Full:
            pass


def _endpoint(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def map_error(exc: BaseException, url: str) -> HubError:
    """Translate any exception raised while sending a request or reading its response.

    Total: every exception maps to an :class:`~hub.errors.HTTPClientError` subclass (a hub
    error passes through unchanged), so a caller can wrap a whole send or read in one
    ``except`` and re-raise only hub errors. The
    message never echoes the query string. Order matters: urllib3's ``NewConnectionError``
    (refused, unreachable) and ``NameResolutionError`` (DNS) subclass its
    ``ConnectTimeoutError``, so they are checked before timeouts.

    Args:
        exc: The exception urllib3, http.client or the socket layer raised.
        url: The request URL.

    Returns:
        The hub error to raise (``raise map_error(exc, url) from exc``).
    """
    if isinstance(exc, HubError):
        return exc
    endpoint = _endpoint(url)
    reason = getattr(exc, "reason", None) or getattr(exc, "original_error", None)
    cause: BaseException = reason if isinstance(reason, BaseException) else exc
    if isinstance(exc, ProtocolError) and len(exc.args) > 1 and isinstance(
            exc.args[1], BaseException):
        cause = exc.args[1]  # ProtocolError("Connection aborted.", <the real error>)
    both = (exc, cause)
    if isinstance(exc, ProxyError) or _raised_in_tunnel(cause):
        # A CONNECT answered with an error, or a proxy that reset or closed mid-CONNECT (urllib3
        # reports the latter as a plain "Connection aborted." ProtocolError).
        return ProxyConnectionError(f"proxy failed for endpoint URL {endpoint}: {_brief(cause)}",
                                    endpoint=endpoint)
    if any(isinstance(e, NewConnectionError) for e in both):
        return EndpointConnectionError(
            f"could not connect to the endpoint URL {endpoint}: {_brief(cause)}",
            endpoint=endpoint)
    if any(isinstance(e, _U3ConnectTimeout) for e in both):
        return ConnectTimeoutError(f"connect timeout on endpoint URL: {endpoint}",
                                   endpoint=endpoint)
    if any(isinstance(e, (_U3ReadTimeout, TimeoutError)) for e in both):
        return ReadTimeoutError(f"read timeout on endpoint URL: {endpoint}", endpoint=endpoint)
    if any(isinstance(e, (_U3SSLError, ssl.SSLError, ssl.CertificateError)) for e in both):
        return SSLError(f"TLS error on endpoint URL {endpoint}: {_brief(cause)}",
                        endpoint=endpoint)
    if isinstance(exc, EmptyPoolError):
        return ConnectTimeoutError(
            f"no pooled connection to {endpoint} became free within pool_timeout "
            "(raise max_pool_connections, or make sure streamed bodies are closed)",
            endpoint=endpoint,
        )
    if isinstance(exc, UnicodeError):
        # Raised before anything was sent (a header or URL that is not Latin-1). Parameter
        # validation rejects these first; never chain the value itself (it may be a secret).
        return HTTPClientError(f"could not encode the request to {endpoint} "
                               f"({type(exc).__name__})", endpoint=endpoint)
    if isinstance(exc, MemoryError):
        return ConnectionClosedError(
            f"the response from {endpoint} was too large to hold in memory", endpoint=endpoint)
    if any(isinstance(e, (ProtocolError, HTTPException, ConnectionError)) for e in both) or \
            isinstance(exc, (ValueError, DecodeError)):
        # Resets, truncated bodies and malformed framing (a negative or absurd chunk size
        # surfaces from http.client as ValueError) all mean "no complete response", as in
        # botocore.
        return ConnectionClosedError(
            f"connection was closed, or the response was malformed, before a complete "
            f"response from {endpoint}: {_brief(cause)}",
            endpoint=endpoint,
        )
    if isinstance(exc, OSError):
        return EndpointConnectionError(
            f"could not send request to {endpoint}: {_brief(cause)}", endpoint=endpoint)
    return HTTPClientError(f"HTTP request to {endpoint} failed: {_brief(cause)}",
                           endpoint=endpoint)


_MAX_REASON = 200


def _brief(error: BaseException) -> str:
    # Bounded: a hostile server controls part of some reasons (a status line, a header).
    text = str(error) or type(error).__name__
    return text if len(text) <= _MAX_REASON else text[:_MAX_REASON] + "..."


def _raised_in_tunnel(error: BaseException) -> bool:
    # http.client's _tunnel() runs the CONNECT exchange; an error raised inside it (a reset,
    # a closed connection, a bad status line) happened talking to the proxy, not the origin.
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name == "_tunnel":
            return True
        tb = tb.tb_next
    return False


class TransportRegistry:
    """Get-or-create Transports by settings; shared by a session and its copies.

    Reads are lock-free: the registry publishes an immutable dict and replaces it (under the
    lock) when a new transport is added.
    """

    __slots__ = ("_transports", "_lock", "__weakref__")

    def __init__(self) -> None:
        self._transports: Mapping[TransportSettings, Transport] = {}
        self._lock = threading.Lock()

    def get(self, settings: TransportSettings) -> Transport:
        """Return the transport for ``settings``, creating it on first use."""
        transport = self._transports.get(settings)
        if transport is not None:
            return transport
        with self._lock:
            transport = self._transports.get(settings)
            if transport is None:
                transport = Transport(settings)
                self._transports = {**self._transports, settings: transport}
            return transport

    def transports(self) -> tuple[Transport, ...]:
        """The transports created so far."""
        return tuple(self._transports.values())

    def close(self) -> None:
        """Close every transport's idle connections (pools reopen if used again)."""
        for transport in self.transports():
            transport.close()


_live_transports: weakref.WeakSet[Transport] = weakref.WeakSet()


def _reset_after_fork() -> None:
    for transport in list(_live_transports):
        transport._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
