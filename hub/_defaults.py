"""The configuration a new Session starts from: built-in values, then ``AWS_*`` variables."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from hub._config import Config
from hub.errors import ConfigError

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
)


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


#: Environment variable -> (Config field, parser). The first variable set wins per field.
ENVIRONMENT: tuple[tuple[str, str, Callable[[str], Any]], ...] = (
    ("AWS_REGION", "region", _as_str),
    ("AWS_DEFAULT_REGION", "region", _as_str),
    ("AWS_ENDPOINT_URL", "endpoint_url", _as_str),
    ("AWS_PROFILE", "profile", _as_str),
    ("AWS_DEFAULT_PROFILE", "profile", _as_str),
    ("AWS_MAX_ATTEMPTS", "max_attempts", _as_int),
    ("AWS_RETRY_MODE", "retry_mode", _as_str),
    ("AWS_CA_BUNDLE", "verify", _as_str),
    ("AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint", _as_bool),
    ("AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint", _as_bool),
)


def from_environment(environ: Mapping[str, str] | None = None) -> Config:
    """Build a Config from ``AWS_*`` environment variables.

    Args:
        environ: The environment to read; ``os.environ`` when None.

    Raises:
        ConfigError: A variable is set to something invalid; the error names the variable.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for variable, field, parse in ENVIRONMENT:
        raw = env.get(variable)
        if raw is None or not raw.strip() or field in values:
            continue
        try:
            values[field] = parse(raw)
            Config(**{field: values[field]})
        except (ValueError, ConfigError) as exc:
            raise ConfigError(
                f"environment variable {variable}={raw!r} is invalid for {field}: {exc}",
                field=field,
            ) from None
    return Config(**values)


def session_defaults(environ: Mapping[str, str] | None = None) -> Config:
    """The built-in values with the environment's settings over them."""
    return BUILTIN.merge(from_environment(environ))
