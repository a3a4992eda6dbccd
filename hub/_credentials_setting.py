"""Turn ``Config.credentials``/``Config.profile`` into the credentials cache a snapshot holds."""

from __future__ import annotations

import os

from hub._config import Config
from hub.credentials import Credentials, CredentialsCache, StaticProvider


def credentials_cache(config: Config) -> CredentialsCache:
    """Return a fresh cache for the credentials ``config`` asks for.

    Fixed credentials need no chain; a provider is cached as given; with neither, the default
    chain (environment, shared files, ``credential_process``) is used, for ``config.profile``.
    Nothing is loaded here: the first ``get()`` loads, single-flight.
    """
    setting = config.credentials
    if isinstance(setting, Credentials):
        return CredentialsCache(StaticProvider(setting))
    if setting is not None:
        return CredentialsCache(setting)
    # A profile that only came from AWS_PROFILE / AWS_DEFAULT_PROFILE is not "explicit": as in
    # botocore, the environment's keys then still come first (the chain reads the variable).
    from hub.credentials._chain import default_chain  # its providers load only when needed

    profile = config.profile
    if profile is not None and profile == _environment_profile():
        profile = None
    return CredentialsCache(default_chain(profile=profile))


def _environment_profile() -> str | None:
    for name in ("AWS_DEFAULT_PROFILE", "AWS_PROFILE"):  # botocore's order
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def credentials_cache_for(config: Config, previous: Config, cache: CredentialsCache
                          ) -> CredentialsCache:
    """Reuse ``cache`` (made for ``previous``) unless ``config`` asks for other credentials.

    Keeping the cache across config changes that leave ``credentials`` and ``profile`` alone
    means an unrelated edit never reloads credentials.
    """
    if config.credentials is previous.credentials and config.profile == previous.profile:
        return cache
    return credentials_cache(config)
