"""Proxies from the environment, the NO_PROXY decision, and the connection options behind them.

boto3 takes ``HTTP_PROXY``/``HTTPS_PROXY`` from the environment when ``Config.proxies`` is not
set, and skips them for hosts listed in ``NO_PROXY``. hub does the same, with the rules of
``requests.utils.should_bypass_proxies`` (a superset of what botocore applies through
``urllib.request.proxy_bypass``):

- entries are comma-separated, spaces ignored; lowercase variables win over uppercase ones;
- an IPv4 host matches an entry equal to it or a CIDR block containing it (``10.0.0.0/8``);
- a name matches an entry equal to it or a parent domain (``example.com`` and
  ``.example.com`` both cover ``s3.example.com``), with or without ``:port``;
- ``*`` alone bypasses every host; names compare case-insensitively.

The transport asks :func:`should_bypass` once per origin (``scheme://host:port``) and caches
the answer with the pool; the environment is read when a client configuration is resolved
(as botocore reads it when a client is created), not per request.

The module also turns the TLS and socket settings (``client_cert``, ``tcp_keepalive``,
``proxies_config``) into urllib3 options for the transport.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from hub._redact import MaskedURL
from hub.errors import ConfigError

__all__ = [
    "apply_client_cert",
    "environ_no_proxy",
    "environ_proxies",
    "environment_proxy_settings",
    "origin_bypasses",
    "proxy_manager_options",
    "should_bypass",
    "socket_options",
]


def environ_proxies(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The ``http``/``https`` proxies of the environment (``https_proxy``, ``HTTPS_PROXY``...).

    A lowercase variable wins over its uppercase form (curl's and urllib's rule). Under CGI
    (``REQUEST_METHOD`` set) ``HTTP_PROXY`` is ignored: a client could set it as a header.
    Empty variables count as unset.
    """
    env = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for scheme in ("http", "https"):
        lower, upper = env.get(f"{scheme}_proxy"), env.get(f"{scheme.upper()}_PROXY")
        if scheme == "http" and "REQUEST_METHOD" in env:
            upper = None  # httpoxy: under CGI, HTTP_PROXY may come from a request header
        value = (lower or upper or "").strip()
        if value:
            # Its repr hides a password (transport settings and locals show it; hub._redact).
            found[scheme] = MaskedURL(value if "://" in value else f"http://{value}")
    return found


def environ_no_proxy(environ: Mapping[str, str] | None = None) -> str | None:
    """``no_proxy`` (lowercase first, then ``NO_PROXY``), or None when unset or empty."""
    env = os.environ if environ is None else environ
    value = env.get("no_proxy") or env.get("NO_PROXY")
    return value or None


def environment_proxy_settings(environ: Mapping[str, str] | None = None
                               ) -> tuple[Mapping[str, str] | None, str | None]:
    """The environment's proxies, checked as ``Config.proxies`` is, and its ``NO_PROXY``.

    Returns:
        ``(proxies or None, no_proxy or None)``; the URLs' reprs mask any password.

    Raises:
        ConfigError: A proxy variable holds an unusable URL (the URL is not quoted: it may
            carry a password).
    """
    found = environ_proxies(environ)
    if not found:
        return None, None
    from hub._config import Config

    try:
        checked = Config(proxies=found).proxies
    except ConfigError as exc:
        raise ConfigError(f"proxy environment variable (HTTP_PROXY/HTTPS_PROXY): {exc}",
                          field="proxies") from None
    return checked, environ_no_proxy(environ)


def _ipv4(text: str) -> ipaddress.IPv4Address | None:
    # inet_aton's forms ("127.1" too), as requests accepts them.
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except (OSError, ValueError):
        return None


def _cidr(entry: str) -> ipaddress.IPv4Network | None:
    address, slash, bits = entry.partition("/")
    if not slash or "/" in bits or not bits.isdigit() or not 1 <= int(bits) <= 32:
        return None
    base = _ipv4(address)
    if base is None:
        return None
    return ipaddress.IPv4Network(f"{base}/{bits}", strict=False)


def should_bypass(host: str, port: int | None, no_proxy: str | None) -> bool:
    """Whether a request to ``host`` (and ``port``) goes direct, past the proxy.

    Args:
        host: The host name or IP literal (no brackets), as ``urlsplit(url).hostname`` gives.
        port: The port in the URL, or None when the URL has none.
        no_proxy: The ``NO_PROXY`` value (see :func:`environ_no_proxy`), or None.
    """
    if not no_proxy:
        return False
    entries = [entry for entry in no_proxy.replace(" ", "").split(",") if entry]
    address = _ipv4(host) if host[:1].isdigit() else None
    if address is not None:
        for entry in entries:
            network = _cidr(entry)
            if network is not None:
                if address in network:
                    return True
            elif host == entry:
                return True
    else:
        with_port = f"{host}:{port}" if port else host
        for entry in entries:
            name = entry.lstrip(".")
            if host == name or with_port == name:
                return True
            if host.endswith("." + name) or with_port.endswith("." + name):
                return True
    # The standard library's rule (botocore's own): "*", and names in any case.
    return _stdlib_bypass(host, no_proxy)


def _stdlib_bypass(host: str, no_proxy: str) -> bool:
    import urllib.request  # here: only a process with NO_PROXY set loads it

    # Not in typeshed; present on every platform (it reads only the mapping it is given).
    bypass: Any = getattr(urllib.request, "proxy_bypass_environment")  # noqa: B009
    return bool(bypass(host, {"no": no_proxy}))


@functools.lru_cache(maxsize=1024)
def origin_bypasses(origin: str, no_proxy: str | None) -> bool:
    """:func:`should_bypass` for an origin or URL (``"https://host:port"``)."""
    if not no_proxy:
        return False
    parts = urlsplit(origin)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.hostname is None:
        return True  # as requests: a URL without a host never goes through a proxy
    return should_bypass(parts.hostname, port, no_proxy)


# ------------------------------------------------------------------ connection options


def socket_options(tcp_keepalive: bool | None) -> list[tuple[int, int, int]] | None:
    """urllib3 ``socket_options`` for the settings, or None to keep urllib3's defaults."""
    if not tcp_keepalive:
        return None
    from urllib3.connection import HTTPConnection

    return [*HTTPConnection.default_socket_options, (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]


def apply_client_cert(context: ssl.SSLContext, client_cert: str | tuple[str, str] | None,
                      field: str = "client_cert") -> None:
    """Load a client certificate (mutual TLS) into ``context``.

    Raises:
        ConfigError: The files cannot be read or do not hold a matching certificate and key
            (the message names ``field``, never the key's content).
    """
    if client_cert is None:
        return
    cert, key = (client_cert, None) if isinstance(client_cert, str) else client_cert
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or "unusable"
        raise ConfigError(f"{field}: cannot load the client certificate {cert!r}: {reason}",
                          field=field) from None


def proxy_manager_options(proxy_url: str, proxies_config: Mapping[str, Any] | None,
                          verify: bool | str) -> dict[str, Any]:
    """``urllib3.ProxyManager`` options for ``proxies_config`` (they override the pool's).

    ``proxy_ca_bundle`` and ``proxy_client_cert`` build the TLS context used to talk to an
    ``https://`` proxy; ``proxy_use_forwarding_for_https`` sends HTTPS requests to such a proxy
    in full instead of through a CONNECT tunnel (the only TLS is then the one to the proxy, so
    the target's context is dropped and the proxy's is always built).

    Raises:
        ConfigError: A bundle or certificate cannot be loaded (names the field).
    """
    if not proxies_config:
        return {}
    options: dict[str, Any] = {}
    https_proxy = urlsplit(proxy_url).scheme == "https"
    forwarding = bool(proxies_config.get("proxy_use_forwarding_for_https"))
    if forwarding:
        options["use_forwarding_for_https"] = True
        if https_proxy:
            options["ssl_context"] = None  # urllib3 deprecates a target context here
    bundle = proxies_config.get("proxy_ca_bundle")
    cert = proxies_config.get("proxy_client_cert")
    if https_proxy and (bundle or cert or forwarding):
        from urllib3.util.ssl_ import create_urllib3_context

        context = create_urllib3_context(
            cert_reqs=ssl.CERT_NONE if verify is False and not bundle else ssl.CERT_REQUIRED)
        if context.verify_mode == ssl.CERT_NONE:
            context.check_hostname = False
        try:
            if bundle:
                context.load_verify_locations(cafile=bundle)
            elif verify is not False:
                context.load_default_certs()
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"proxies_config.proxy_ca_bundle: cannot load {bundle!r}: "
                              f"{getattr(exc, 'strerror', None) or exc}",
                              field="proxies_config.proxy_ca_bundle") from None
        apply_client_cert(context, cert, "proxies_config.proxy_client_cert")
        options["proxy_ssl_context"] = context
    return options
