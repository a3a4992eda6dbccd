"""hub: a thread-safe, fast client hub for AWS-style HTTP services.

Share one :class:`Session` across threads; create clients from it anywhere for microseconds::

    import hub

    session = hub.Session(hub.Config(region="us-east-1"))
    s3 = session.client("s3")
"""

import typing as _typing

# setup.cfg reads it (attr: hub.__version__). Set before the imports below: hub._client_config
# reads it back for the User-Agent.
__version__ = "0.1.0"

from hub._deferred import pause_gc as _pause_gc
from hub._deferred import resume_gc as _resume_gc

# The modules below make thousands of objects that live as long as the process: the cyclic
# collector need not scan them while they load (hub._deferred.pause_gc).
_paused = _pause_gc()
try:
    from hub import errors
    from hub._client_config import Client, ClientConfig, ClientInfo
    from hub._config import UNSIGNED, Config
    from hub._corehandlers import default_handlers
    from hub._handlers import PHASES, HandlerList, Handlers, NamedHandler
    from hub._request import HTTPRequest, HTTPResponse, Request
    from hub._session import Session, SessionEditor
    from hub._snapshot import Snapshot
    from hub.credentials import Credentials
finally:
    if _paused:
        _resume_gc()
    del _paused

if _typing.TYPE_CHECKING:
    from hub._operation import Operation
    from hub._rehydrate import worker_session

__all__ = [
    "PHASES",
    "Client",
    "ClientConfig",
    "ClientInfo",
    "Config",
    "Credentials",
    "HTTPRequest",
    "HTTPResponse",
    "HandlerList",
    "Handlers",
    "NamedHandler",
    "Operation",
    "Request",
    "Session",
    "SessionEditor",
    "Snapshot",
    "UNSIGNED",
    "__version__",
    "default_handlers",
    "errors",
    "worker_session",
]

# Show public classes as hub.X (not hub._module.X) in reprs, docs and tracebacks.
for _name in __all__:
    _obj = globals().get(_name)
    if isinstance(_obj, type) and _obj.__module__.startswith("hub._"):
        _obj.__module__ = "hub"
del _name, _obj


# Rarely used names load on first use (worker_session brings pickle and gc; clients are made
# without the hand-written Operation type).
_LAZY = {"Operation": "hub._operation", "worker_session": "hub._rehydrate"}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hub' has no attribute {name!r}")
    import importlib

    obj = getattr(importlib.import_module(module), name)
    if isinstance(obj, type):
        obj.__module__ = "hub"
    globals()[name] = obj
    return obj


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
