"""``Session``: a mutable pointer to an immutable :class:`~hub._snapshot.Snapshot`.

Reads (``session.config``, ``session.client(...)``) load the pointer once and take no lock.
Builders serialize on one lock, build the next snapshot from the *latest* one, and publish it
with a single assignment; if building fails, nothing is published. Clients keep the snapshot
they were made from.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

from hub._client_config import Client, ClientConfig
from hub._config import Config, check_configs
from hub._corehandlers import default_handlers
from hub._forksafe import at_fork_reinit
from hub._handlers import Handlers, NamedHandler
from hub._runtime import Runtime
from hub._settings import resolve_session_config
from hub._snapshot import Snapshot, credentials_cache
from hub._value import HandlerFn
from hub.errors import HandlerError

if TYPE_CHECKING:
    from hub.services._index import ClientFactory

_Edit = Callable[[Config, Handlers], tuple[Config, Handlers]]

# Client creation builds the one-slot object itself when the class keeps Client.__init__,
# saving that call's frame (a fifth of creating a client).
_new_object = object.__new__
_CLIENT_INIT = Client.__init__


def _apply_log_level(config: Config) -> None:
    if config.log_level is not None:
        logging.getLogger("hub").setLevel(config.log_level)


class Session:
    """A thread-safe hub of shared configuration, handlers, credentials and connection pools.

    Share one Session across threads. Creating clients from it is cheap and lock-free;
    changing it (``update``, handler edits, ``edit()``) publishes a new snapshot atomically.

    Args:
        *configs: Configs merged, in order, over the defaults (built-in values, the profile's
            shared-config-file settings, then ``AWS_*`` environment variables; see
            :doc:`/configuration`).
        handlers: The starting handlers; hub's defaults when None.

    Raises:
        ConfigError: An argument is not a Config, or an environment variable is invalid.
    """

    __slots__ = ("_snapshot", "_lock", "__weakref__")

    def __init__(self, *configs: Config, handlers: Handlers | None = None) -> None:
        config = resolve_session_config(check_configs(configs))
        if handlers is not None and not isinstance(handlers, Handlers):
            raise HandlerError(f"handlers must be hub.Handlers, got {type(handlers).__name__}")
        _apply_log_level(config)
        self._lock = threading.Lock()  # re-created in a forked child (a thread may hold it)
        at_fork_reinit(self, Session._after_fork_in_child)
        self._snapshot = Snapshot(
            config=config,
            handlers=default_handlers() if handlers is None else handlers,
            credentials=credentials_cache(config),
            runtime=Runtime(),
            version=1,
        )

    # -- reads: one attribute load, no lock -------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        """The current snapshot (immutable; hold on to it to read consistent values)."""
        return self._snapshot

    @property
    def config(self) -> Config:
        """The current merged Config."""
        return self._snapshot.config

    @property
    def handlers(self) -> Handlers:
        """The current Handlers."""
        return self._snapshot.handlers

    @property
    def version(self) -> int:
        """The current snapshot's version (starts at 1, +1 per published change)."""
        return self._snapshot.version

    def client_config(self, service_name: str, *configs: Config) -> ClientConfig:
        """Resolve (and cache on the current snapshot) a service's client configuration.

        Raises:
            UnknownServiceError: ``service_name`` is not a known service.
            ConfigError: A config is invalid, or no region/endpoint can be resolved.
        """
        return self._snapshot.client_config(service_name, configs)

    def _client(self, service_name: str, *configs: Config) -> Client:
        """Create a client for ``service_name`` bound to the current snapshot.

        The first call per (service, configs) on a snapshot resolves the configuration; after
        that a client costs one small object. Type checkers see the service's own client class
        (``session.client("s3")`` is an ``S3Client``) through the generated service index.

        Args:
            service_name: A service hub has a package for (``"s3"``, ``"dynamodb"``, ...).
            *configs: Configs merged over the session's for this client only.

        Raises:
            UnknownServiceError: ``service_name`` is not a known service.
            ConfigError: A config is invalid, or no region/endpoint can be resolved.
        """
        # The hot path: inlined lookups, no lock, no allocation beyond the key and the client.
        snapshot = self._snapshot
        try:
            cached = snapshot.client_configs.get((service_name, configs))
        except TypeError:  # an unhashable "config": client_config() reports it properly
            cached = None
        if cached is None:
            cached = snapshot.client_config(service_name, configs)
        cls = cached.client_class
        if cls.__init__ is not _CLIENT_INIT:  # a client class with its own constructor
            return cls(cached)
        client: Client = _new_object(cls)
        client._client_config = cached
        return client

    if TYPE_CHECKING:
        # One overload per generated service lives in the index, not here: the core names none.
        client: ClientFactory
    else:
        client = _client

    # -- builders: one lock, publish a new snapshot or nothing --------------------------------

    def _publish(self, edits: list[_Edit]) -> Snapshot:
        with self._lock:
            current = self._snapshot
            config, handlers = current.config, current.handlers
            for edit in edits:
                config, handlers = edit(config, handlers)
            if config is current.config and handlers is current.handlers:
                return current
            _apply_log_level(config)
            new = current.derive(config=config, handlers=handlers)
            self._snapshot = new
            return new

    def update(self, *configs: Config) -> Snapshot:
        """Merge ``configs`` over the current config and publish the result.

        Returns:
            The snapshot now current.

        Raises:
            ConfigError: An argument is not a Config (nothing is published).
        """
        checked = check_configs(configs)
        return self._publish([lambda c, h: (c.merge(*checked), h)])

    def set_handlers(self, handlers: Handlers) -> Snapshot:
        """Replace all handlers at once and publish."""
        if not isinstance(handlers, Handlers):
            raise HandlerError(f"handlers must be hub.Handlers, got {type(handlers).__name__}")
        return self._publish([lambda c, h: (c, handlers)])

    def push_back(self, phase: str, handler: NamedHandler | HandlerFn, *,
                  name: str | None = None) -> Snapshot:
        """Append a handler to ``phase`` and publish.

        Raises:
            HandlerError: Unknown phase or a non-callable handler (nothing is published).
        """
        self.handlers.push_back(phase, handler, name=name)  # validate before taking the lock
        return self._publish([lambda c, h: (c, h.push_back(phase, handler, name=name))])

    def push_front(self, phase: str, handler: NamedHandler | HandlerFn, *,
                   name: str | None = None) -> Snapshot:
        """Put a handler first in ``phase`` and publish."""
        self.handlers.push_front(phase, handler, name=name)
        return self._publish([lambda c, h: (c, h.push_front(phase, handler, name=name))])

    def insert_before(self, phase: str, anchor: str, handler: NamedHandler | HandlerFn, *,
                      name: str | None = None) -> Snapshot:
        """Insert a handler just before the handler called ``anchor`` in ``phase``; publish.

        Raises:
            HandlerError: Unknown phase, no such anchor, or a non-callable handler.
        """
        return self._publish([lambda c, h: (c, h.insert_before(phase, anchor, handler,
                                                                name=name))])

    def insert_after(self, phase: str, anchor: str, handler: NamedHandler | HandlerFn, *,
                     name: str | None = None) -> Snapshot:
        """Insert a handler just after the handler called ``anchor`` in ``phase``; publish."""
        return self._publish([lambda c, h: (c, h.insert_after(phase, anchor, handler,
                                                               name=name))])

    def remove_handler(self, phase: str, name: str, *, missing_ok: bool = False) -> Snapshot:
        """Remove the handlers called ``name`` from ``phase`` and publish.

        Raises:
            HandlerError: Unknown phase, or no such handler and not ``missing_ok``.
        """
        return self._publish([lambda c, h: (c, h.remove(phase, name, missing_ok=missing_ok))])

    def swap_handler(self, phase: str, name: str, handler: NamedHandler | HandlerFn) -> Snapshot:
        """Replace the handlers called ``name`` in ``phase`` and publish."""
        return self._publish([lambda c, h: (c, h.swap(phase, name, handler))])

    def clear_handlers(self, phase: str) -> Snapshot:
        """Remove every handler from ``phase`` and publish."""
        return self._publish([lambda c, h: (c, h.clear(phase))])

    @contextlib.contextmanager
    def edit(self) -> Iterator[SessionEditor]:
        """Group several changes into one snapshot, published when the block ends.

        If the block raises, nothing is published. Changes are recorded, checked as they are
        made, and replayed on the latest snapshot at the end, so concurrent edits never lose
        each other's changes::

            with session.edit() as e:
                e.update(Config(region="eu-west-1", endpoint_url=url))
                e.push_back("build", add_trace_header)
        """
        editor = SessionEditor(self._snapshot)
        yield editor
        editor._published = self._publish(editor._edits)

    # -- copies and lifetime --------------------------------------------------------------------

    def copy(self, *configs: Config) -> Session:
        """Return an independent session with ``configs`` merged over this one's config.

        The copy shares this session's connection pools (for the transport settings both use)
        and, while credentials settings are unchanged, its credentials cache.
        """
        checked = check_configs(configs)
        current = self._snapshot
        new = Session.__new__(Session)
        new._lock = threading.Lock()
        at_fork_reinit(new, Session._after_fork_in_child)
        new._snapshot = current.derive(config=current.config.merge(*checked), version=1)
        return new

    def _after_fork_in_child(self) -> None:
        # A builder in another thread of the parent may have held the lock at the fork; the
        # child keeps the last published snapshot (a publish is one assignment).
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the pooled connections of this session family (copies included).

        Idle connections close now; connections in use by requests still in flight close
        when those requests finish, instead of going back to the pool. Clients stay usable:
        pools reopen connections on the next request.
        """
        self._snapshot.runtime.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<hub.Session v{self.version} {self.config!r}>"

    def __reduce__(self) -> tuple[Any, ...]:
        # Ship the configuration, not the pools/locks. Config's own pickling drops static
        # credentials and proxy passwords unless Config.pickle_credentials is True
        # (docs/security.md); a provider object travels. The (config, handlers) pickle is made
        # once per snapshot and is the session's identity: the receiving process joins its
        # family of that identity (hub._rehydrate, docs/scaling.md) instead of building one
        # per unpickle.
        from hub import _rehydrate

        snapshot = self._snapshot
        payload = _rehydrate.payload_of(snapshot)
        if payload is None:  # handlers plain pickle cannot write: each unpickle builds anew
            return (_rebuild_session, (snapshot.config, snapshot.handlers))
        return (_rehydrate.rehydrate, (payload,))


def _rebuild_session(config: Config, handlers: Handlers) -> Session:
    return Session(config, handlers=handlers)


def session_on(snapshot: Snapshot) -> Session:
    """A new Session object pointing at ``snapshot`` (its builders publish on it alone)."""
    new = Session.__new__(Session)
    new._lock = threading.Lock()
    at_fork_reinit(new, Session._after_fork_in_child)
    new._snapshot = snapshot
    return new


class SessionEditor:
    """Collects changes inside ``with session.edit() as e:``; see :meth:`Session.edit`.

    Attributes:
        config: The config as it will be after the changes made so far.
        handlers: The handlers as they will be after the changes made so far.
    """

    __slots__ = ("config", "handlers", "_edits", "_published")

    def __init__(self, snapshot: Snapshot) -> None:
        self.config = snapshot.config
        self.handlers = snapshot.handlers
        self._edits: list[_Edit] = []
        self._published: Snapshot | None = None

    @property
    def published(self) -> Snapshot | None:
        """The snapshot published when the block ended (None while inside it)."""
        return self._published

    def _record(self, edit: _Edit) -> None:
        # Apply now so a bad edit raises at its call site; replay later on the latest snapshot.
        self.config, self.handlers = edit(self.config, self.handlers)
        self._edits.append(edit)

    def update(self, *configs: Config) -> None:
        """Merge configs over the config."""
        checked = check_configs(configs)
        self._record(lambda c, h: (c.merge(*checked), h))

    def push_back(self, phase: str, handler: NamedHandler | HandlerFn, *,
                  name: str | None = None) -> None:
        """Append a handler to ``phase``."""
        self._record(lambda c, h: (c, h.push_back(phase, handler, name=name)))

    def push_front(self, phase: str, handler: NamedHandler | HandlerFn, *,
                   name: str | None = None) -> None:
        """Put a handler first in ``phase``."""
        self._record(lambda c, h: (c, h.push_front(phase, handler, name=name)))

    def insert_before(self, phase: str, anchor: str, handler: NamedHandler | HandlerFn, *,
                      name: str | None = None) -> None:
        """Insert a handler just before ``anchor`` in ``phase``."""
        self._record(lambda c, h: (c, h.insert_before(phase, anchor, handler, name=name)))

    def insert_after(self, phase: str, anchor: str, handler: NamedHandler | HandlerFn, *,
                     name: str | None = None) -> None:
        """Insert a handler just after ``anchor`` in ``phase``."""
        self._record(lambda c, h: (c, h.insert_after(phase, anchor, handler, name=name)))

    def remove_handler(self, phase: str, name: str, *, missing_ok: bool = False) -> None:
        """Remove the handlers called ``name`` from ``phase``."""
        self._record(lambda c, h: (c, h.remove(phase, name, missing_ok=missing_ok)))

    def swap_handler(self, phase: str, name: str, handler: NamedHandler | HandlerFn) -> None:
        """Replace the handlers called ``name`` in ``phase``."""
        self._record(lambda c, h: (c, h.swap(phase, name, handler)))

    def clear_handlers(self, phase: str) -> None:
        """Remove every handler from ``phase``."""
        self._record(lambda c, h: (c, h.clear(phase)))

    def set_handlers(self, handlers: Handlers) -> None:
        """Replace all handlers."""
        if not isinstance(handlers, Handlers):
            raise HandlerError(f"handlers must be hub.Handlers, got {type(handlers).__name__}")
        self._record(lambda c, h: (c, handlers))
