"""``Snapshot``: the immutable state a Session points at.

A snapshot never changes after it is published: sessions publish a *new* snapshot instead. The
one mutable part is a write-once cache of resolved client configs; it is published
copy-on-write (a new dict, assigned in one step), so readers never take a lock and never see a
dict being mutated. That holds on free-threaded CPython too.

:func:`credentials_cache` turns ``Config.credentials``/``Config.profile`` into the credentials
cache a snapshot holds.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from hub._config import Config, check_configs
from hub._forksafe import at_fork_reinit
from hub._handlers import Handlers
from hub._runtime import Runtime
from hub.credentials import Credentials, CredentialsCache, StaticProvider
from hub.credentials._values import provider_class

if TYPE_CHECKING:
    from hub._client_config import ClientConfig
    from hub.credentials import CredentialProvider
    from hub.credentials._chain import ChainProvider

# Bounds the per-snapshot cache: callers passing a fresh Config on every call must not grow
# memory without limit; past this, configs are resolved but not cached.
MAX_CACHED_CLIENT_CONFIGS = 256

_ClientKey = tuple[str, tuple[Config, ...]]


class Snapshot:
    """One immutable version of a session's state.

    Attributes:
        config: The merged session Config.
        handlers: The session's handlers.
        credentials: The credentials cache (kept across snapshots while credentials settings
            are unchanged, so a config edit does not reload credentials).
        runtime: The session family's runtime state (transports, retry quotas, rate
            limiters): shared by every snapshot of the session and of its copies.
        transports: ``runtime.transports``, the transport registry of the session family.
        version: Increases by one with every snapshot a session publishes.
        client_configs: The write-once cache of resolved client configs, keyed by
            ``(service_name, configs)``. Read it freely (lock-free); only
            :meth:`client_config` adds to it, by publishing a new mapping.
    """

    __slots__ = ("config", "handlers", "credentials", "runtime", "transports", "version",
                 "client_configs", "_cache_lock", "__weakref__")

    def __init__(
        self,
        config: Config,
        handlers: Handlers,
        credentials: CredentialsCache,
        runtime: Runtime,
        version: int,
    ) -> None:
        self.config = config
        self.handlers = handlers
        self.credentials = credentials
        self.runtime = runtime
        self.transports = runtime.transports
        self.version = version
        self.client_configs: Mapping[_ClientKey, ClientConfig] = {}
        self._cache_lock = threading.Lock()  # re-created in a forked child
        at_fork_reinit(self, Snapshot._after_fork_in_child)

    def _after_fork_in_child(self) -> None:
        # Another thread may have been adding to the cache at the fork: what it published is
        # kept, its lock is not.
        self._cache_lock = threading.Lock()

    def cached_client_config(self, service_name: str, configs: tuple[Config, ...]
                             ) -> ClientConfig | None:
        """Return the cached ClientConfig for these arguments, or None (lock-free)."""
        try:
            return self.client_configs.get((service_name, configs))
        except TypeError:  # an unhashable "config": resolve() reports it properly
            return None

    def client_config(self, service_name: str, configs: tuple[Config, ...]) -> ClientConfig:
        """Return the ClientConfig for a service, resolving and caching it on first use.

        Raises:
            UnknownServiceError: The service is not known.
            ConfigError: A config is invalid or no endpoint can be resolved.
        """
        cached = self.cached_client_config(service_name, configs)
        if cached is not None:
            return cached
        from hub._client_config import resolve_client_config

        resolved = resolve_client_config(self, service_name, check_configs(configs))
        with self._cache_lock:
            current = self.client_configs
            key = (service_name, configs)
            if key in current:  # another thread won the race: share its result
                return current[key]
            if len(current) < MAX_CACHED_CLIENT_CONFIGS:
                self.client_configs = {**current, key: resolved}
        return resolved

    def derive(
        self,
        *,
        config: Config | None = None,
        handlers: Handlers | None = None,
        runtime: Runtime | None = None,
        version: int | None = None,
    ) -> Snapshot:
        """Return a new snapshot with the given parts replaced (version + 1 by default)."""
        new_config = self.config if config is None else config
        return Snapshot(
            config=new_config,
            handlers=self.handlers if handlers is None else handlers,
            credentials=credentials_cache_for(new_config, self.config, self.credentials),
            runtime=self.runtime if runtime is None else runtime,
            version=self.version + 1 if version is None else version,
        )

    def __repr__(self) -> str:
        return f"<Snapshot v{self.version} {self.config!r}>"


# --------------------------------------------------------------------------- credentials
# Config.credentials / Config.profile -> the credentials cache a snapshot holds.

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
    profile = config.profile
    if profile is not None and profile == _environment_profile():
        profile = None
    return CredentialsCache(_DefaultChain(profile))


@provider_class
class _DefaultChain:
    """The default chain for ``profile``, built by its first ``load()``.

    Building it imports every provider's module (a dozen hub modules, and ``subprocess`` for
    ``credential_process``): that waits for the first credentials a request needs instead of
    making every session pay it. The providers read nothing when built, so building later
    changes nothing else; the chain, once built, is kept.
    """

    __slots__ = ("_profile", "_chain")

    name = "chain"

    def __init__(self, profile: str | None) -> None:
        self._profile = profile
        self._chain: ChainProvider | None = None

    @property
    def chain(self) -> ChainProvider:
        """The :class:`~hub.credentials.ChainProvider` (built on first use)."""
        chain = self._chain
        if chain is None:  # two threads at once build two equal chains; one is kept
            from hub.credentials._chain import default_chain

            chain = self._chain = default_chain(profile=self._profile)
        return chain

    @property
    def providers(self) -> tuple[CredentialProvider, ...]:
        """The chain's providers, in order."""
        return self.chain.providers

    def load(self) -> Credentials | None:
        """Walk the chain (see :func:`hub.credentials.default_chain`)."""
        return self.chain.load()

    def __repr__(self) -> str:
        return f"<default credential chain, profile={self._profile!r}>"


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
