"""Turn ``Config.credentials``/``Config.profile`` into the credentials cache a snapshot holds."""

from __future__ import annotations

from hub._config import Config
from hub.credentials import (
    Credentials,
    CredentialsCache,
    StaticProvider,
    default_chain,
)


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
    return CredentialsCache(default_chain(profile=config.profile))


def credentials_cache_for(config: Config, previous: Config, cache: CredentialsCache
                          ) -> CredentialsCache:
    """Reuse ``cache`` (made for ``previous``) unless ``config`` asks for other credentials.

    Keeping the cache across config changes that leave ``credentials`` and ``profile`` alone
    means an unrelated edit never reloads credentials.
    """
    if config.credentials is previous.credentials and config.profile == previous.profile:
        return cache
    return credentials_cache(config)
