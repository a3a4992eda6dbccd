"""The standard AWS settings: environment variables and config-file keys, as boto3 reads them,
and the configuration a new Session starts from (built-in values, then those settings).

One table (:data:`SETTINGS`) says, for each :class:`~hub.Config` field that AWS SDKs let users set
outside code, which environment variables and which config-file key (of the selected profile)
set it. A Session resolves them with botocore's precedence, highest first:

1. the configs passed to the Session (and to ``session.client``);
2. the environment variables (the first one set wins);
3. the selected profile of the shared config file (``[profile NAME]``, overridden key by key by
   ``[NAME]`` in the credentials file, as botocore merges them);
4. the built-in defaults, adjusted by ``defaults_mode``.

Configured endpoints (:func:`configured_endpoint`) follow botocore's own order, which is not the
one above: ``AWS_ENDPOINT_URL_<SERVICE>``, ``AWS_ENDPOINT_URL``, the profile's ``services``
section, the profile's ``endpoint_url``; an explicit ``Config.endpoint_url`` beats them all.

The files are read when a Session is built (settings) and when a client configuration is first
resolved on a snapshot (endpoints); never per request.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from hub._config import Config
from hub._value import dataclass
from hub.errors import ConfigError, CredentialProviderError

__all__ = [
    "BUILTIN",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "ENVIRONMENT",
    "SETTINGS",
    "Setting",
    "configured_endpoint",
    "endpoint_env_var",
    "env_settings",
    "file_settings",
    "from_environment",
    "mode_defaults",
    "resolve_session_config",
    "service_key",
    "session_defaults",
]

_SOURCE = "shared-config-file"


def _as_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError("expected true or false")


def _as_int(text: str) -> int:
    return int(text.strip())


def _as_str(text: str) -> str:
    return text.strip()


def _as_retry_mode(text: str) -> str:
    # botocore's "legacy" mode is its pre-2020 retry policy; hub implements the standard and
    # adaptive ones only, so a file written for boto3 keeps working with standard retries.
    mode = text.strip()
    return "standard" if mode == "legacy" else mode


@dataclass(frozen=True, slots=True)
class Setting:
    """Where one Config field can be set outside code.

    Attributes:
        field: The :class:`~hub.Config` field.
        env: Environment variables, highest priority first (may be empty).
        key: The config-file key in the profile (``"s3.addressing_style"`` for a key nested in
            the profile's ``s3`` block), or None when the file cannot set it.
        parse: Turns the text into the field's value (ValueError when it cannot).
    """

    field: str
    env: tuple[str, ...]
    key: str | None
    parse: Callable[[str], Any]


#: Every setting read from the environment and the shared config file (docs/configuration.md
#: shows it as a table; a test checks the two agree).
SETTINGS: tuple[Setting, ...] = (
    Setting("region", ("AWS_REGION", "AWS_DEFAULT_REGION"), "region", _as_str),
    Setting("profile", ("AWS_DEFAULT_PROFILE", "AWS_PROFILE"), None, _as_str),
    Setting("max_attempts", ("AWS_MAX_ATTEMPTS",), "max_attempts", _as_int),
    Setting("retry_mode", ("AWS_RETRY_MODE",), "retry_mode", _as_retry_mode),
    Setting("verify", ("AWS_CA_BUNDLE",), "ca_bundle", _as_str),
    Setting("s3_addressing_style", (), "s3.addressing_style", _as_str),
    Setting("s3_payload_signing_enabled", (), "s3.payload_signing_enabled", _as_bool),
    Setting("use_fips_endpoint", ("AWS_USE_FIPS_ENDPOINT",), "use_fips_endpoint", _as_bool),
    Setting("use_dualstack_endpoint", ("AWS_USE_DUALSTACK_ENDPOINT",), "use_dualstack_endpoint",
            _as_bool),
    Setting("defaults_mode", ("AWS_DEFAULTS_MODE",), "defaults_mode", _as_str),
    Setting("tcp_keepalive", ("BOTOCORE_TCP_KEEPALIVE",), "tcp_keepalive", _as_bool),
    Setting("sts_regional_endpoints", ("AWS_STS_REGIONAL_ENDPOINTS",), "sts_regional_endpoints",
            _as_str),
    Setting("request_checksum_calculation", ("AWS_REQUEST_CHECKSUM_CALCULATION",),
            "request_checksum_calculation", _as_str),
    Setting("response_checksum_validation", ("AWS_RESPONSE_CHECKSUM_VALIDATION",),
            "response_checksum_validation", _as_str),
    Setting("user_agent_appid", ("AWS_SDK_UA_APP_ID",), "sdk_ua_app_id", _as_str),
    Setting("ignore_configured_endpoint_urls", ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",),
            "ignore_configured_endpoint_urls", _as_bool),
)


def _checked(setting: Setting, raw: str, source: str) -> Any:
    """Parse and validate one value; the error names the field and where the value came from."""
    try:
        value = setting.parse(raw)
        Config(**{setting.field: value})
    except (ValueError, ConfigError) as exc:
        # Values of these settings are not secret (regions, modes, paths): quoting them helps.
        raise ConfigError(f"{source}={raw!r} is invalid for {setting.field}: {exc}",
                          field=setting.field) from None
    return value


def env_settings(environ: Mapping[str, str] | None = None) -> Config:
    """Build a Config from the environment variables in :data:`SETTINGS`.

    Empty variables count as unset (as in the AWS SDKs).

    Raises:
        ConfigError: A variable is set to something invalid; the message names the variable
            and the field.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        for variable in setting.env:
            raw = env.get(variable)
            if raw is None or not raw.strip():
                continue
            values[setting.field] = _checked(setting, raw, f"environment variable {variable}")
            break
    return Config(**values)


#: The profile keys settings are read from (never credentials: the cache below keeps them).
_KEYS = frozenset({s.key.partition(".")[0] for s in SETTINGS if s.key} | {"endpoint_url",
                                                                          "services"})
# Parsed profiles by (profile, file paths, SHA-256 of each file's bytes): every new session and
# every uncached client configuration reads the files, but parses them only when they changed
# (parsing was ~1 ms per resolution). Holds only the keys above, never secrets.
_Parsed = tuple[str, Mapping[str, str], str, Mapping[str, Mapping[str, str]]]
_PARSED: dict[tuple[str, ...], _Parsed] = {}
_PARSED_MAX = 32


def _env(environ: Mapping[str, str], *names: str) -> str | None:
    # An empty variable counts as unset, as in the AWS SDKs.
    for name in names:
        value = environ.get(name)
        if value:
            return value
    return None


def resolve_profile(profile: str | None, environ: Mapping[str, str]) -> str:
    """Return the profile to use: the argument, AWS_DEFAULT_PROFILE, AWS_PROFILE, ``default``.

    botocore 1.43 reads ``AWS_DEFAULT_PROFILE`` first (its ``profile`` session variable), so
    when both are set that one wins here too.
    """
    if profile:
        return profile
    return _env(environ, "AWS_DEFAULT_PROFILE", "AWS_PROFILE") or "default"


def credentials_file(path: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> str:
    """Return the credentials file path (argument, AWS_SHARED_CREDENTIALS_FILE, default)."""
    chosen = path or _env(environ, "AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    return os.path.expanduser(os.fspath(chosen))


def config_file(path: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> str:
    """Return the shared config file's path (argument, AWS_CONFIG_FILE, ``~/.aws/config``)."""
    chosen = path or _env(environ, "AWS_CONFIG_FILE") or "~/.aws/config"
    return os.path.expanduser(os.fspath(chosen))


# Digests of a missing and of an empty shared file (AWS_CONFIG_FILE=/dev/null): neither holds
# a profile, so a process without shared files never parses them (an unreadable file still
# goes to load_profiles, which reports it).
_NOTHING = (f"error:{errno.ENOENT}", hashlib.sha256(b"").hexdigest())


def _digest(path: str) -> str:
    try:
        with open(path, "rb") as file:
            return hashlib.sha256(file.read()).hexdigest()
    except OSError as exc:  # missing or unreadable: load_profiles reports the latter
        return f"error:{exc.errno}"


def _profile(profile: str | None, environ: Mapping[str, str]) -> _Parsed:
    """(profile name, its setting keys, config file path, config file sections if needed)."""
    name = resolve_profile(profile, environ)
    config_path, credentials_path = config_file(None, environ), credentials_file(None, environ)
    key = (name, config_path, _digest(config_path), credentials_path,
           _digest(credentials_path))
    parsed = _PARSED.get(key)
    if parsed is not None:
        return parsed
    if key[2] in _NOTHING and key[4] in _NOTHING:  # no profile anywhere: nothing to parse
        return name, {}, config_path, {}
    from hub.credentials._profile import load_profiles

    try:
        view = load_profiles(name, environ, _SOURCE)
    except CredentialProviderError as exc:
        raise ConfigError(str(exc), field="profile") from None
    keys = {k: v for k, v in view.section.items() if k in _KEYS}
    sections = _ini_sections(config_path) if keys.get("services") else {}
    services = {n: dict(s) for n, s in sections.items() if n.startswith("services ")}
    parsed = (view.name, keys, view.config_path, services)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[key] = parsed
    return parsed


def _profile_keys(profile: str | None, environ: Mapping[str, str]
                  ) -> tuple[str, Mapping[str, str], str]:
    """(profile name, its setting keys, config file path); keys empty when nothing is there."""
    name, keys, path, _ = _profile(profile, environ)
    return name, keys, path


def _nested(value: str) -> dict[str, str]:
    """A nested block (``s3 =`` followed by indented ``key = value`` lines) as a dict."""
    block: dict[str, str] = {}
    for line in value.splitlines():
        key, sep, item = line.partition("=")
        if sep and key.strip():
            block[key.strip()] = item.strip()
    return block


def _file_value(keys: Mapping[str, str], key: str) -> str | None:
    head, dot, sub = key.partition(".")
    raw = keys.get(head)
    if not raw:
        return None
    if dot:
        return _nested(raw).get(sub) or None
    return raw


def file_settings(profile: str | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Build a Config from the selected profile's keys in the shared config file.

    Args:
        profile: The profile; None picks it as botocore does (``AWS_DEFAULT_PROFILE``,
            ``AWS_PROFILE``, ``default``).
        environ: The environment (file locations, profile); ``os.environ`` when None.

    Raises:
        ConfigError: A file cannot be read or parsed, or a key holds an invalid value (the
            message names the key, the profile and the file).
    """
    env = os.environ if environ is None else environ
    name, keys, path = _profile_keys(profile, env)
    if not keys:
        return Config()
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.key is None:
            continue
        raw = _file_value(keys, setting.key)
        if raw is not None and raw.strip():
            values[setting.field] = _checked(
                setting, raw, f"{setting.key} in profile {name!r} of {path}")
    return Config(**values)


#: Connect timeouts by defaults mode, from the SDKs' shared defaults (sdk-default-configuration):
#: every mode but "legacy" also uses standard retries (hub's default in every mode).
_MODE_CONNECT_TIMEOUT = {"standard": 3.1, "in-region": 1.1, "cross-region": 3.1, "mobile": 30.0}


def mode_defaults(mode: str | None) -> Config:
    """The built-in values ``defaults_mode`` changes (an empty Config for legacy/None).

    ``"auto"`` is treated as ``"standard"``: botocore's auto mode probes the instance
    metadata service to pick in-region or cross-region, which hub does not do.
    """
    if mode is None or mode == "legacy":
        return Config()
    timeout = _MODE_CONNECT_TIMEOUT.get(mode, _MODE_CONNECT_TIMEOUT["standard"])
    return Config(connect_timeout=timeout, retry_mode="standard")


# -------------------------------------------------------------------- configured endpoints


def service_key(service_id: str) -> str:
    """The snake-case key of a service in a ``services`` section (``"Secrets Manager"`` ->
    ``"secrets_manager"``), as botocore derives it from the model's ``serviceId``."""
    return re.sub(r"[\s-]+", "_", service_id.strip()).lower()


def endpoint_env_var(service_id: str) -> str:
    """The per-service endpoint variable (``"DynamoDB"`` -> ``AWS_ENDPOINT_URL_DYNAMODB``)."""
    return f"AWS_ENDPOINT_URL_{service_key(service_id).upper()}"


def _ini_sections(path: str) -> Mapping[str, Mapping[str, str]]:
    from hub.credentials._files import read_ini

    try:
        return read_ini(path, _SOURCE) or {}
    except CredentialProviderError as exc:
        raise ConfigError(str(exc), field="endpoint_url") from None


def configured_endpoint(service_id: str, config: Config,
                        environ: Mapping[str, str] | None = None) -> str | None:
    """The endpoint configured outside code for a service, or None (botocore's rules).

    Looked up in this order: ``AWS_ENDPOINT_URL_<SERVICE>``, ``AWS_ENDPOINT_URL``, the
    service's ``endpoint_url`` in the ``[services NAME]`` section the profile names, then
    the profile's own ``endpoint_url``. Nothing is looked up when
    ``config.ignore_configured_endpoint_urls`` is True. ``config.endpoint_url`` (set in
    code) is not consulted here: the caller lets it win over all of these.

    Args:
        service_id: The model's ``serviceId`` (``"DynamoDB"``, ``"Secrets Manager"``).
        config: The client's merged config (its profile and ignore flag).
        environ: The environment; ``os.environ`` when None.

    Raises:
        ConfigError: The value is not a valid URL (the message names its source), the
            profile names a services section that does not exist, or a file is unreadable.
    """
    if config.ignore_configured_endpoint_urls:
        return None
    env = os.environ if environ is None else environ
    for variable in (endpoint_env_var(service_id), "AWS_ENDPOINT_URL"):
        raw = env.get(variable)
        if raw and raw.strip():
            return _endpoint_value(raw, f"environment variable {variable}")
    name, keys, path, sections = _profile(config.profile, env)
    section_name = keys.get("services")
    if section_name:
        section = sections.get(f"services {section_name}")
        if section is None:
            raise ConfigError(
                f"profile {name!r} of {path} uses services section {section_name!r}, which "
                "does not exist", field="endpoint_url")
        raw = _nested(section.get(service_key(service_id), "")).get("endpoint_url")
        if raw:
            return _endpoint_value(
                raw, f"{service_key(service_id)}.endpoint_url in [services {section_name}]")
    raw = keys.get("endpoint_url")
    if raw:
        return _endpoint_value(raw, f"endpoint_url in profile {name!r} of {path}")
    return None


def _endpoint_value(raw: str, source: str) -> str:
    try:
        checked = Config(endpoint_url=raw.strip()).endpoint_url
    except ConfigError as exc:
        raise ConfigError(f"{source} is invalid: {exc}", field="endpoint_url") from None
    assert checked is not None
    return checked


# --------------------------------------------------------------------------- a new session
#: 64 MiB: four times the largest buffered response an AWS API sends (a 16 MB DynamoDB
#: BatchGetItem, a 10 MB Kinesis GetRecords at ~13.4 MB once base64'd), while a hostile
#: or broken server can no longer make one call hold gigabytes. Raise it per client if needed.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024

#: Built-in values for every setting that has one. ``pool_block`` is True (unlike botocore):
#: threads wait for a pooled connection rather than opening throw-away extra ones.
BUILTIN = Config(
    max_attempts=3,
    retry_mode="standard",
    connect_timeout=60.0,
    read_timeout=60.0,
    max_pool_connections=10,
    pool_block=True,
    pool_timeout=60.0,
    max_response_bytes=DEFAULT_MAX_RESPONSE_BYTES,
    verify=True,
    s3_addressing_style="auto",
    parameter_validation=True,
    use_fips_endpoint=False,
    use_dualstack_endpoint=False,
    defaults_mode="legacy",
    sts_regional_endpoints="regional",
    request_checksum_calculation="when_supported",
    response_checksum_validation="when_supported",
)


#: Environment variable -> (Config field, parser). The first variable set wins per field.
#: Derived from :data:`SETTINGS` (which also names the config-file keys).
ENVIRONMENT: tuple[tuple[str, str, Callable[[str], Any]], ...] = tuple(
    (variable, s.field, s.parse) for s in SETTINGS for variable in s.env)


def from_environment(environ: Mapping[str, str] | None = None) -> Config:
    """Build a Config from ``AWS_*`` environment variables.

    Args:
        environ: The environment to read; ``os.environ`` when None.

    Raises:
        ConfigError: A variable is set to something invalid; the error names the variable.
    """
    return env_settings(environ)


def session_defaults(environ: Mapping[str, str] | None = None) -> Config:
    """The built-in values with the environment's settings over them (no config file)."""
    return BUILTIN.merge(from_environment(environ))


def resolve_session_config(configs: tuple[Config, ...],
                           environ: Mapping[str, str] | None = None) -> Config:
    """A new Session's config: built-in values (adjusted by ``defaults_mode``), the profile's
    config-file settings, the environment, then ``configs`` (highest priority), as botocore.

    Raises:
        ConfigError: An environment variable or config-file key is invalid (the message names
            it), or a shared file cannot be read.
    """
    env = os.environ if environ is None else environ
    from_env = env_settings(env)
    explicit = Config().merge(*configs)
    from_file = file_settings(explicit.profile or from_env.profile, env)
    mode = explicit.defaults_mode or from_env.defaults_mode or from_file.defaults_mode
    # botocore's last resort before verifying with the system's CAs (below AWS_CA_BUNDLE and
    # the profile's ca_bundle): requests' own variable.
    bundle = (env.get("REQUESTS_CA_BUNDLE") or "").strip()
    requests_bundle = Config(verify=bundle) if bundle else None
    return BUILTIN.merge(mode_defaults(mode), requests_bundle, from_file, from_env, *configs)
