"""The configuration a new Session starts from: built-in values, then ``AWS_*`` variables."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from hub._config import Config

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


def _environment_table() -> tuple[tuple[str, str, Callable[[str], Any]], ...]:
    from hub._settings import SETTINGS

    return tuple((variable, s.field, s.parse) for s in SETTINGS for variable in s.env)


#: Environment variable -> (Config field, parser). The first variable set wins per field.
#: Derived from :data:`hub._settings.SETTINGS` (which also names the config-file keys).
ENVIRONMENT: tuple[tuple[str, str, Callable[[str], Any]], ...] = _environment_table()


def from_environment(environ: Mapping[str, str] | None = None) -> Config:
    """Build a Config from ``AWS_*`` environment variables.

    Args:
        environ: The environment to read; ``os.environ`` when None.

    Raises:
        ConfigError: A variable is set to something invalid; the error names the variable.
    """
    from hub._settings import env_settings

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
    from hub._settings import env_settings, file_settings, mode_defaults

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
