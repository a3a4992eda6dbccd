"""Credentials: the value, providers, the default chain, and single-flight caching.

Providers answer "what are the credentials?" (``load()``, which may do file or process I/O);
a :class:`CredentialsCache` answers it cheaply and thread-safely for every request, refreshing
temporary credentials once, in one thread, before they expire.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from hub.credentials._cache import CredentialsCache
from hub.credentials._values import CredentialProvider, Credentials, StaticProvider

if _typing.TYPE_CHECKING:
    from hub.credentials._assume_role import AssumeRoleProvider
    from hub.credentials._chain import ChainProvider, CredentialProcessProvider, default_chain
    from hub.credentials._container import ContainerProvider
    from hub.credentials._files import resolve_region
    from hub.credentials._imds import InstanceMetadataProvider
    from hub.credentials._process import ProcessProvider
    from hub.credentials._providers import (
        EnvironmentProvider,
        RefreshableProvider,
        SharedConfigProvider,
        SharedCredentialsProvider,
    )
    from hub.credentials._sso import SSOProvider
    from hub.credentials._web_identity import WebIdentityProvider

# Everything but the value, the static provider and the cache is imported on first use
# (attribute access, or default_chain()): a process that passes its own credentials never
# loads the file parser, subprocess or the cloud providers.
_LAZY = {
    "AssumeRoleProvider": "hub.credentials._assume_role",
    "ChainProvider": "hub.credentials._chain",
    "ContainerProvider": "hub.credentials._container",
    "CredentialProcessProvider": "hub.credentials._chain",
    "EnvironmentProvider": "hub.credentials._providers",
    "InstanceMetadataProvider": "hub.credentials._imds",
    "ProcessProvider": "hub.credentials._process",
    "RefreshableProvider": "hub.credentials._providers",
    "SSOProvider": "hub.credentials._sso",
    "SharedConfigProvider": "hub.credentials._providers",
    "SharedCredentialsProvider": "hub.credentials._providers",
    "WebIdentityProvider": "hub.credentials._web_identity",
    "default_chain": "hub.credentials._chain",
    "resolve_region": "hub.credentials._files",
}

__all__ = [
    "AssumeRoleProvider",
    "ChainProvider",
    "ContainerProvider",
    "CredentialProcessProvider",
    "CredentialProvider",
    "Credentials",
    "CredentialsCache",
    "EnvironmentProvider",
    "InstanceMetadataProvider",
    "ProcessProvider",
    "RefreshableProvider",
    "SSOProvider",
    "SharedConfigProvider",
    "SharedCredentialsProvider",
    "StaticProvider",
    "WebIdentityProvider",
    "default_chain",
    "resolve_region",
]

# Show the public path (hub.credentials.X) in reprs, tracebacks and docs, as httpx does.
for _name in __all__:
    if _name in _LAZY:
        continue
    _obj = globals()[_name]
    if hasattr(_obj, "__module__"):
        _obj.__module__ = __name__
del _name, _obj


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    obj = getattr(_importlib.import_module(module), name)
    obj.__module__ = __name__
    globals()[name] = obj
    return obj


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
