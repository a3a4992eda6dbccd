"""``Config``: the frozen, validated settings value shared by sessions and clients."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from hub._redact import MaskedURL, mask_url, proxy_auth, strip_password
from hub._value import FrozenMap, dataclass, field_names
from hub.credentials import CredentialProvider, Credentials, StaticProvider
from hub.credentials._values import is_provider
from hub.errors import ConfigError

#: What ``Config.credentials`` accepts: fixed credentials or any provider.
CredentialsSetting = Credentials | CredentialProvider

RETRY_MODES = ("standard", "adaptive")
#: ``Config(signature_version=hub.UNSIGNED)`` sends requests unsigned (boto3's ``UNSIGNED``).
UNSIGNED = "unsigned"
SIGNATURE_VERSIONS = ("v4", UNSIGNED)
DEFAULTS_MODES = ("legacy", "standard", "in-region", "cross-region", "mobile", "auto")
CHECKSUM_MODES = ("when_supported", "when_required")
PROXY_OPTIONS = ("proxy_ca_bundle", "proxy_client_cert", "proxy_use_forwarding_for_https")
ADDRESSING_STYLES = ("auto", "virtual", "path")
PROXY_SCHEMES = ("http", "https")

# These checks are character sets rather than regular expressions: compiling the three
# patterns cost about 0.7 ms of the cold start, and every Config with a region or endpoint
# needs them.
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_HEX = frozenset("0123456789ABCDEFabcdef")
# Regions are DNS labels joined by hyphens; anything else would end up in a hostname.
_REGION_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
# What may appear in a URL as typed (RFC 3986 plus '%'): no space, control, non-ASCII or
# <>"{}|\^` characters. urlsplit() silently drops tab/CR/LF, which urllib3 then refuses.
_URL_CHARS = _ALNUM | frozenset("-._~:/?#[]@!$&'()*+,;=%")
# A host urllib3 accepts: a reg-name (RFC 3986: unreserved, sub-delims, %XX) or an IP literal.
_HOST_CHARS = _ALNUM | frozenset("-._~!$&'()*+,;=")
_IP_LITERAL_CHARS = _HEX | frozenset(":.")


def _is_region(value: str) -> bool:
    """``^[a-z0-9]+(?:-[a-z0-9]+)*$`` as ``re.match`` reads it (a final newline passes)."""
    if value.endswith("\n"):
        value = value[:-1]
    return _REGION_CHARS.issuperset(value) and "" not in value.split("-")


def _is_host(host: str) -> bool:
    """A reg-name (unreserved, sub-delims, ``%XX``) or a bracketed IP literal."""
    if host.startswith("[") and host.endswith("]") and len(host) > 2 \
            and _IP_LITERAL_CHARS.issuperset(host[1:-1]):
        return True
    if not host:
        return False
    pieces = host.split("%")
    if not _HOST_CHARS.issuperset(pieces[0]):
        return False
    for piece in pieces[1:]:  # each '%' starts a %XX escape
        if len(piece) < 2 or not _HEX.issuperset(piece[:2]) \
                or not _HOST_CHARS.issuperset(piece[2:]):
            return False
    return True


def _describe(value: object) -> str:
    return f"{value!r} ({type(value).__name__})"


# botocore Config options spelled differently here: the hint an ArgumentError gives for them.
_BOTOCORE_NAMES = {
    "region_name": "region=",
    "retries": "max_attempts= and retry_mode= (hub counts attempts, the first included: "
               "botocore's retries={'max_attempts': 4} is max_attempts=5)",
    "s3": "s3_addressing_style= and s3_payload_signing_enabled= for the s3 dict's "
          "addressing_style and payload_signing_enabled",
    "user_agent": "user_agent_extra= (hub writes the rest of the User-Agent)",
    "aws_access_key_id": "credentials=hub.Credentials(access_key, secret_key, token)",
    "aws_secret_access_key": "credentials=hub.Credentials(access_key, secret_key, token)",
    "aws_session_token": "credentials=hub.Credentials(access_key, secret_key, token)",
}


@dataclass(frozen=True, slots=True, repr=False)
class Config:
    """Settings for sessions and clients. Every field is optional: ``None`` means "not set".

    Configs are merged with :meth:`merge`: a later config's set (non-None) fields win, exactly
    like aws-sdk-go's ``MergeIn``. A :class:`~hub.Session` merges the configs it is given over
    the defaults (built-in values and ``AWS_*`` environment variables); clients merge their own
    configs over the session's.

    Args:
        region: AWS region such as ``"us-east-1"``.
        endpoint_url: Overrides the resolved endpoint (``"http://127.0.0.1:5000"``).
        credentials: Fixed :class:`~hub.Credentials` or a credential provider; None uses the
            default chain.
        profile: Shared-config profile for credentials and region.
        max_attempts: Total attempts per request including the first (>= 1).
        retry_mode: ``"standard"`` or ``"adaptive"``.
        connect_timeout: Seconds to wait for a connection (> 0).
        read_timeout: Seconds to wait for response data (> 0).
        max_pool_connections: Connections kept per host (>= 1).
        pool_block: When True, threads wait for a free pooled connection instead of opening
            extra ones that are thrown away afterwards.
        pool_timeout: Seconds to wait for a free pooled connection when ``pool_block`` (> 0).
        max_response_bytes: The largest response body hub reads into memory (bytes, >= 1);
            a larger buffered (non-streamed) body raises
            :class:`~hub.errors.ResponseTooLargeError`. Streamed bodies are not limited.
        call_timeout: Seconds one operation call may take in all, retries, backoff and
            slow responses included (> 0); past it the call raises
            :class:`~hub.errors.CallTimeoutError`. None (the default) sets no limit.
        verify: True/False to turn TLS verification on/off, or a CA bundle path.
        proxies: Proxy URL per scheme, e.g. ``{"https": "http://proxy:3128"}``.
        user_agent_extra: Appended to the User-Agent header.
        s3_addressing_style: ``"auto"``, ``"virtual"`` or ``"path"``.
        parameter_validation: Validate operation parameters before sending.
        use_fips_endpoint: Resolve FIPS endpoints.
        use_dualstack_endpoint: Resolve dual-stack (IPv4+IPv6) endpoints.
        log_level: Level for the ``hub`` logger (an int or a level name); stored as an int.
        pickle_credentials: When True, pickling this Config (or a Session using it) ships
            static credentials and proxy passwords in clear text to whoever unpickles it. By
            default (None/False) they are dropped: the receiving process resolves credentials
            from its own chain. See :doc:`/security` before turning this on.
        proxies_config: boto3's proxy options: ``proxy_ca_bundle`` (CA bundle path for an
            ``https://`` proxy), ``proxy_client_cert`` (a cert path or a ``(cert, key)`` pair
            presented to an ``https://`` proxy) and ``proxy_use_forwarding_for_https`` (send
            HTTPS requests to an ``https://`` proxy in full instead of tunnelling them).
        client_cert: Client certificate for mutual TLS: a path (certificate and key in one
            PEM file) or a ``(cert path, key path)`` pair.
        tcp_keepalive: Turn on TCP keep-alive on every connection.
        signature_version: ``"v4"`` (SigV4, the default) or :data:`hub.UNSIGNED`
            (``"unsigned"``): send requests unsigned and never look for credentials.
        user_agent_appid: Application id added to the User-Agent as ``app/<id>``.
        defaults_mode: ``"legacy"`` (hub's built-in values), ``"standard"``,
            ``"in-region"``, ``"cross-region"``, ``"mobile"`` or ``"auto"`` (as
            ``"standard"``): the SDKs' shared defaults (connect timeout, retry mode).
        sts_regional_endpoints: ``"regional"`` or ``"legacy"`` (read for STS).
        request_checksum_calculation: ``"when_supported"`` or ``"when_required"``.
        response_checksum_validation: ``"when_supported"`` or ``"when_required"``.
        ignore_configured_endpoint_urls: Ignore endpoints configured through
            ``AWS_ENDPOINT_URL*`` variables and the config file (``endpoint_url`` still wins).
        s3_payload_signing_enabled: Whether S3 requests sign their body's SHA-256 (botocore's
            ``s3={"payload_signing_enabled": ...}``): None (the default) signs it over http
            only, True over https too (the body is hashed), False never (``UNSIGNED-PAYLOAD``;
            a request checksum still covers the body).

    Raises:
        ConfigError: A field has the wrong type or an invalid value; the error names the field.
    """

    _hub_generic_init = True  # built by users, not in bulk: every wrong call is typed
    _hub_argument_hints = _BOTOCORE_NAMES  # what botocore's Config options are here

    region: str | None = None
    endpoint_url: str | None = None
    credentials: CredentialsSetting | None = None
    profile: str | None = None
    max_attempts: int | None = None
    retry_mode: str | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    max_pool_connections: int | None = None
    pool_block: bool | None = None
    pool_timeout: float | None = None
    max_response_bytes: int | None = None
    call_timeout: float | None = None
    verify: bool | str | None = None
    proxies: Mapping[str, str] | None = None
    user_agent_extra: str | None = None
    s3_addressing_style: str | None = None
    parameter_validation: bool | None = None
    use_fips_endpoint: bool | None = None
    use_dualstack_endpoint: bool | None = None
    log_level: int | str | None = None
    pickle_credentials: bool | None = None
    proxies_config: Mapping[str, Any] | None = None
    client_cert: str | tuple[str, str] | None = None
    tcp_keepalive: bool | None = None
    signature_version: str | None = None
    user_agent_appid: str | None = None
    defaults_mode: str | None = None
    sts_regional_endpoints: str | None = None
    request_checksum_calculation: str | None = None
    response_checksum_validation: str | None = None
    ignore_configured_endpoint_urls: bool | None = None
    s3_payload_signing_enabled: bool | None = None

    def __post_init__(self) -> None:
        for name in _FIELDS:
            value = getattr(self, name)
            if value is not None:
                normalized = _VALIDATORS[name](name, value)
                if normalized is not value:
                    object.__setattr__(self, name, normalized)

    def merge(self, *others: Config | None) -> Config:
        """Return a new Config: each later config's set fields override this one's.

        Args:
            *others: Configs applied in order; None entries are skipped.

        Returns:
            The merged Config (``self`` when nothing changes).

        Raises:
            ConfigError: An argument is not a Config.
        """
        merged = self
        for other in others:
            if other is None:
                continue
            if not isinstance(other, Config):
                raise ConfigError(
                    f"Config.merge() takes Config objects, got {type(other).__name__}",
                    field="configs",
                )
            changes = {
                name: value
                for name in _FIELDS
                if (value := getattr(other, name)) is not None
                and value != getattr(merged, name)
            }
            if changes:
                # Values were validated when `other` was built; skip re-validation.
                merged = _replace_trusted(merged, changes)
        return merged

    def set_fields(self) -> dict[str, Any]:
        """Return the fields that are set (not None), in declaration order."""
        return {name: v for name in _FIELDS if (v := getattr(self, name)) is not None}

    def __repr__(self) -> str:
        shown = []
        for name, value in self.set_fields().items():
            if name == "proxies":
                value = {scheme: mask_url(url) for scheme, url in value.items()}
            elif name == "credentials" and not isinstance(value, Credentials):
                value = f"<{type(value).__name__}>"
                shown.append(f"{name}={value}")
                continue
            shown.append(f"{name}={value!r}")
        return f"Config({', '.join(shown)})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Secrets travel only on request (pickle_credentials=True): otherwise static
        # credentials are dropped (the receiver uses its own chain; a provider object that
        # pickles itself travels) and proxy URLs lose their password. Issue 17 builds the
        # per-process rehydration of sessions on this: keep it one plain dict of fields.
        values = self.set_fields()
        ship = bool(self.pickle_credentials)
        setting = values.get("credentials")
        static = _static_of(setting)
        if static is not None:
            if ship:
                values["credentials"] = _ShippedCredentials(
                    static.access_key, static.secret_key, static.token, static.expiry
                )
            else:
                del values["credentials"]
        if "proxies" in values:
            values["proxies"] = {
                scheme: str(url) if ship else strip_password(url)
                for scheme, url in values["proxies"].items()
            }
        return (_unpickle_config, (values,))


_FIELDS = field_names(Config)


class _ShippedCredentials(tuple[str, str, "str | None", Any]):
    """Static credentials in a pickle made with ``pickle_credentials=True``: ``(access_key,
    secret_key, token, expiry)``, plain fields (a tuple class rather than a NamedTuple, whose
    class creation costs about 0.5 ms of ``import hub``)."""

    __slots__ = ()

    def __new__(cls, access_key: str, secret_key: str, token: str | None,
                expiry: Any) -> _ShippedCredentials:
        return tuple.__new__(cls, (access_key, secret_key, token, expiry))

    def __getnewargs__(self) -> tuple[str, str, str | None, Any]:
        return (self[0], self[1], self[2], self[3])


def _static_of(setting: object) -> Credentials | None:
    """The fixed credentials a ``credentials`` setting holds, or None for a provider."""
    if isinstance(setting, Credentials):
        return setting
    if isinstance(setting, StaticProvider):
        return setting.load()
    return None


def _unpickle_config(values: dict[str, Any]) -> Config:
    shipped = values.get("credentials")
    if isinstance(shipped, _ShippedCredentials):
        values = {**values, "credentials": Credentials(*shipped)}
    return Config(**values)


def check_configs(configs: tuple[object, ...]) -> tuple[Config, ...]:
    """Return ``configs`` if each is a Config.

    Raises:
        ConfigError: One is not (a dict of settings, say).
    """
    for config in configs:
        if not isinstance(config, Config):
            raise ConfigError(
                f"expected hub.Config objects, got {type(config).__name__}", field="configs"
            )
    return configs  # type: ignore[return-value]


def _replace_trusted(config: Config, changes: dict[str, Any]) -> Config:
    new = object.__new__(Config)
    for name in _FIELDS:
        object.__setattr__(new, name, changes.get(name, getattr(config, name)))
    return new


def _check_str(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{name} must be a non-empty string, got {_describe(value)}", field=name)
    return value


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be True or False, got {_describe(value)}", field=name)
    return value


def _check_positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an int, got {_describe(value)}", field=name)
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}", field=name)
    return value


def _check_seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name} must be a number of seconds, got {_describe(value)}", field=name)
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be a positive, finite number of seconds, got {value}",
                          field=name)
    return float(value)


def _check_choice(choices: tuple[str, ...]) -> Any:
    def check(name: str, value: object) -> str:
        if value not in choices:
            raise ConfigError(
                f"{name} must be one of {', '.join(map(repr, choices))}, got {_describe(value)}",
                field=name,
            )
        return str(value)

    return check


def _check_region(name: str, value: object) -> str:
    _check_str(name, value)
    assert isinstance(value, str)
    if not _is_region(value):
        raise ConfigError(
            f"{name} must look like 'us-east-1' (lowercase letters, digits and hyphens), "
            f"got {value!r}",
            field=name,
        )
    return value


def _check_url(name: str, value: object) -> str:
    _check_str(name, value)
    assert isinstance(value, str)
    bad = _bad_url_character(value)
    if bad is not None:
        raise ConfigError(f"{name} contains {bad}, which a URL cannot hold as typed "
                          "(percent-encode it; use the IDNA form of a host name)", field=name)
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{name} is not a valid URL: {exc}", field=name) from None
    if parts.scheme not in ("http", "https"):
        raise ConfigError(f"{name} must start with http:// or https://, got {value!r}", field=name)
    if not parts.hostname:
        raise ConfigError(f"{name} has no host: {value!r}", field=name)
    if parts.username is not None or parts.password is not None:
        # Never echo the value: it carries a password.
        raise ConfigError(f"{name} must not contain user credentials", field=name)
    host = parts.netloc.rpartition("@")[2]
    if parts.port is not None or host.endswith(":"):
        host = host.rpartition(":")[0]
    if not _is_host(host):
        raise ConfigError(f"{name} has an invalid host: {value!r}", field=name)
    if not host.startswith("[") and (
            len(host) > 253 or any(len(label) > 63 for label in host.split("."))):
        # DNS limits (RFC 1035); Python's resolver would fail with a UnicodeError later.
        raise ConfigError(f"{name} has a host name longer than DNS allows "
                          "(63 characters per label, 253 in all)", field=name)
    if parts.query or parts.fragment:
        raise ConfigError(f"{name} must not have a query or fragment, got {value!r}", field=name)
    if port == 0:
        raise ConfigError(f"{name} has port 0: {value!r}", field=name)
    return value.rstrip("/")


def _bad_url_character(url: str) -> str | None:
    # Describe the first character that cannot appear in a URL, or None. Never quotes the
    # URL: a proxy URL may carry a password.
    if _URL_CHARS.issuperset(url):
        return None
    position, char = next((i, c) for i, c in enumerate(url) if c not in _URL_CHARS)
    return f"{char!r} at position {position}"


def _check_credentials(name: str, value: object) -> object:
    if isinstance(value, Credentials) or is_provider(value):
        return value
    raise ConfigError(
        f"{name} must be hub.Credentials or a credential provider (an object with .name and "
        f".load()), got {type(value).__name__}",
        field=name,
    )


def _check_verify(name: str, value: object) -> bool | str:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        return value
    raise ConfigError(
        f"{name} must be True, False or a CA bundle path, got {_describe(value)}", field=name
    )


def _check_proxies(name: str, value: object) -> FrozenMap:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{name} must be a mapping of scheme to proxy URL, got "
                          f"{type(value).__name__}", field=name)
    checked: dict[str, str] = {}
    for scheme, url in value.items():
        if scheme not in PROXY_SCHEMES:
            raise ConfigError(f"{name} keys must be 'http' or 'https', got {scheme!r}", field=name)
        # Messages never quote the URL: it may carry a password.
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise ConfigError(f"{name}[{scheme!r}] must be an http:// or https:// URL",
                              field=f"{name}.{scheme}")
        if not urlsplit(url).hostname:
            raise ConfigError(f"{name}[{scheme!r}] has no host", field=f"{name}.{scheme}")
        if not url.isprintable():
            raise ConfigError(f"{name}[{scheme!r}] contains a line break, a control character "
                              "or an undecodable byte", field=f"{name}.{scheme}")
        try:
            port = urlsplit(url).port
        except ValueError:
            port = 0
        if port == 0:
            raise ConfigError(f"{name}[{scheme!r}] has an invalid port",
                              field=f"{name}.{scheme}")
        parts = urlsplit(url)
        # The host and path as urllib3 will parse them (user:password is checked below).
        bad = _bad_url_character(
            f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}")
        if bad is not None:
            raise ConfigError(f"{name}[{scheme!r}] contains {bad} in its host or path, which a "
                              "URL cannot hold", field=f"{name}.{scheme}")
        proxy_auth(url)  # user:password must make a Proxy-Authorization header (Latin-1)
        # Its repr hides the password wherever the URL ends up (transport settings, locals).
        checked[scheme] = url if isinstance(url, MaskedURL) else MaskedURL(url)
    return FrozenMap(checked)


def _check_log_level(name: str, value: object) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{name} must be a level name or int, got {_describe(value)}", field=name)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        level = logging.getLevelName(value.upper())
        if isinstance(level, int):
            return level
    raise ConfigError(
        f"{name} must be a logging level such as 'DEBUG' or 10, got {_describe(value)}",
        field=name,
    )


def _check_user_agent(name: str, value: object) -> str:
    _check_str(name, value)
    assert isinstance(value, str)
    if any(ch in value for ch in "\r\n"):
        raise ConfigError(f"{name} must not contain line breaks", field=name)
    return value


def _check_client_cert(name: str, value: object) -> str | tuple[str, str]:
    if isinstance(value, str) and value.strip():
        return value
    if (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(v, str) and v.strip() for v in value)):
        return (value[0], value[1])
    raise ConfigError(f"{name} must be a certificate path or a (cert path, key path) pair, "
                      f"got {type(value).__name__}", field=name)


def _check_proxies_config(name: str, value: object) -> FrozenMap:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{name} must be a mapping, got {type(value).__name__}", field=name)
    checked: dict[str, Any] = {}
    for key, item in value.items():
        field = f"{name}.{key}"
        if key == "proxy_ca_bundle":
            checked[key] = _check_str(field, item)
        elif key == "proxy_client_cert":
            checked[key] = _check_client_cert(field, item)
        elif key == "proxy_use_forwarding_for_https":
            checked[key] = _check_bool(field, item)
        else:
            raise ConfigError(f"{name} keys must be one of {', '.join(PROXY_OPTIONS)}, "
                              f"got {key!r}", field=name)
    return FrozenMap(checked)


_VALIDATORS: dict[str, Any] = {
    "region": _check_region,
    "endpoint_url": _check_url,
    "credentials": _check_credentials,
    "profile": _check_str,
    "max_attempts": _check_positive_int,
    "retry_mode": _check_choice(RETRY_MODES),
    "connect_timeout": _check_seconds,
    "read_timeout": _check_seconds,
    "max_pool_connections": _check_positive_int,
    "pool_block": _check_bool,
    "pool_timeout": _check_seconds,
    "max_response_bytes": _check_positive_int,
    "call_timeout": _check_seconds,
    "verify": _check_verify,
    "proxies": _check_proxies,
    "user_agent_extra": _check_user_agent,
    "s3_addressing_style": _check_choice(ADDRESSING_STYLES),
    "parameter_validation": _check_bool,
    "use_fips_endpoint": _check_bool,
    "use_dualstack_endpoint": _check_bool,
    "log_level": _check_log_level,
    "pickle_credentials": _check_bool,
    "proxies_config": _check_proxies_config,
    "client_cert": _check_client_cert,
    "tcp_keepalive": _check_bool,
    "signature_version": _check_choice(SIGNATURE_VERSIONS),
    "user_agent_appid": _check_user_agent,
    "defaults_mode": _check_choice(DEFAULTS_MODES),
    "sts_regional_endpoints": _check_choice(("regional", "legacy")),
    "request_checksum_calculation": _check_choice(CHECKSUM_MODES),
    "response_checksum_validation": _check_choice(CHECKSUM_MODES),
    "ignore_configured_endpoint_urls": _check_bool,
    "s3_payload_signing_enabled": _check_bool,
}
assert set(_VALIDATORS) == set(_FIELDS), "every Config field needs a validator"
