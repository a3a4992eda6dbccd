"""``ClientInfo`` and ``ClientConfig``: everything a client needs, resolved once per snapshot;
and ``Client``, the thin object bound to one.

Resolution (merging configs, picking the endpoint, the transport and the retry policy, adding
the protocol's handlers) happens once per ``(snapshot, service, configs)``; the snapshot caches
the result, so creating a client afterwards costs one small object.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from hub import __version__
from hub._config import Config
from hub._deferred import pause_gc, resume_gc
from hub._handlers import Handlers
from hub._request import Request
from hub._services import ServiceSpec, service_spec
from hub._snapshot import credentials_cache_for
from hub._transport import (
    URLLIB3_VERSION,
    BaseTransport,
    Timeout,
    TransportSettings,
    make_timeout,
)
from hub._value import dataclass
from hub.credentials import CredentialsCache
from hub.errors import ConfigError, ParamValidationError

if TYPE_CHECKING:
    from hub._operation import Operation
    from hub._runtime import RetryPolicyRef
    from hub._snapshot import Snapshot
    from hub.protocols import WireProtocol
    from hub.retry import RetryPolicy


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """Static facts about a client: which service, where, and how requests are signed.

    Attributes:
        service_name: The name the client was created with (``"s3"``).
        api_version: The service API version.
        endpoint: The base URL requests go to (no trailing slash).
        signing_name: The SigV4 service name.
        signing_region: The SigV4 region.
        protocol: The wire protocol: ``"rest-xml"``, ``"json"``, ``"rest-json"`` or ``"query"``.
        custom_endpoint: True when ``endpoint_url`` was configured (S3 then uses path style).
        partition: ``"aws"``, ``"aws-cn"``, ``"aws-us-gov"``, or None for custom endpoints.
    """

    service_name: str
    api_version: str
    endpoint: str
    signing_name: str
    signing_region: str
    protocol: str
    custom_endpoint: bool = False
    partition: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class ClientConfig:
    """A client's resolved configuration; shared by every client made from the same inputs.

    Attributes:
        config: The merged :class:`~hub.Config` (defaults, session, then client configs).
        info: The :class:`ClientInfo`.
        handlers: The session's handlers plus the service protocol's.
        credentials: The credentials cache requests sign with.
        transport: The pooled transport requests go through.
        retry: The handle :attr:`retry_policy` reads the policy through.
        timeout: The connect/read timeouts built from the config.
        user_agent: The User-Agent header value.
        spec: The service's static description (model, signing options, customizations).
        snapshot: The session snapshot this config was resolved from.
        client_class: The client class to instantiate (resolved once, not per client).
        protocol: The service's wire protocol object.
    """

    config: Config
    info: ClientInfo
    handlers: Handlers
    credentials: CredentialsCache
    transport: BaseTransport
    retry: RetryPolicyRef  # what retry_policy answers: hub.retry loads at the first request
    timeout: Timeout
    user_agent: str
    spec: ServiceSpec
    snapshot: Snapshot
    client_class: type[Client]
    protocol: WireProtocol

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy, built on first use: its quota is shared by every client of the
        session family that calls this service at this endpoint."""
        return self.retry.get()

    def __repr__(self) -> str:
        info = self.info
        return (f"<hub.ClientConfig {info.service_name} {info.endpoint} "
                f"snapshot=v{self.snapshot.version} {self.config!r}>")

    def new_client(self) -> Client:
        """Create a client bound to this config (cheap: one small object)."""
        return self.client_class(self)


class Client:
    """Base class of service clients.

    A client is one small object pointing at a shared :class:`ClientConfig`, so creating one is
    nearly free and clients are safe to share between threads (they hold no mutable state).
    Service clients (``session.client("s3")``) add one method per operation.

    Args:
        client_config: The resolved configuration (from ``session.client_config(...)``).
    """

    __slots__ = ("_client_config",)

    def __init__(self, client_config: ClientConfig) -> None:
        # Session.client does this assignment itself for classes that keep this __init__:
        # a client must stay this one slot.
        self._client_config = client_config

    @property
    def config(self) -> Config:
        """The merged Config this client was built with."""
        return self._client_config.config

    @property
    def info(self) -> ClientInfo:
        """Service, endpoint and signing facts."""
        return self._client_config.info

    @property
    def client_config(self) -> ClientConfig:
        """The full resolved configuration (shared with other clients of the same inputs)."""
        return self._client_config

    def new_request(self, operation: Operation | Any, params: dict[str, Any] | None = None
                    ) -> Request:
        """Create (but do not send) a request for ``operation``.

        Args:
            operation: An :class:`~hub.Operation` (or a protocol operation model).
            params: The operation's parameters.

        Raises:
            ParamValidationError: ``params`` is not a dict.
        """
        if params is None:
            params = {}
        elif not isinstance(params, dict):
            raise ParamValidationError(
                getattr(operation, "name", "?"),
                [f"parameters must be a dict, got {type(params).__name__}"],
            )
        return Request(self._client_config, operation, params)

    def __repr__(self) -> str:
        info = self._client_config.info
        return f"<{type(self).__name__} {info.service_name} {info.endpoint}>"


_URLLIB3_VERSION = URLLIB3_VERSION


def _platform() -> tuple[str, str, str]:
    """(Python version, OS name, OS release): platform's answers, without importing it
    (and subprocess) while the first client is created, where ``os.uname`` exists."""
    if not hasattr(os, "uname"):
        import platform

        return platform.python_version(), platform.system(), platform.release()
    uname = os.uname()
    return sys.version.split()[0], uname.sysname, uname.release


def _user_agent(extra: str | None, appid: str | None = None) -> str:
    python, system, release = _platform()
    base = (
        f"hub/{__version__} python/{python} "
        f"{system.lower() or 'unknown'}/{release or 'unknown'} "
        f"urllib3/{_URLLIB3_VERSION}"
    )
    if appid:
        base = f"{base} app/{appid}"
    return f"{base} {extra}" if extra else base


def _endpoint(spec: ServiceSpec, config: Config) -> tuple[str, str, bool, str | None]:
    """Return (endpoint URL, signing region, custom?, partition)."""
    region = config.region or spec.global_region
    endpoint_url = config.endpoint_url
    if endpoint_url is None:  # AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, config file
        from hub._settings import configured_endpoint

        endpoint_url = configured_endpoint(spec.model.metadata.get("serviceId", spec.name), config)
    if endpoint_url:
        return endpoint_url, region or "us-east-1", True, None
    if spec.resolve_endpoint is not None:  # the service's own rule (STS's global endpoint)
        own = spec.resolve_endpoint(config.region, config)
        if own is not None:
            return own.url, own.signing_region, False, own.partition
    if region is None:
        raise ConfigError(
            f"no region configured for {spec.name}: pass Config(region=...) or set AWS_REGION",
            field="region",
        )
    from hub.endpoints import resolve  # imported here: the table loads only when needed

    endpoint = resolve(
        spec.endpoint_prefix,
        region,
        use_fips=bool(config.use_fips_endpoint),
        use_dualstack=bool(config.use_dualstack_endpoint),
    )
    return endpoint.url, endpoint.signing_region, False, endpoint.partition


# Services a client was resolved for: their modules are loaded.
_RESOLVED: set[str] = set()


def resolve_client_config(
    snapshot: Snapshot, service_name: str, configs: tuple[Config, ...]
) -> ClientConfig:
    """Resolve what a client of ``service_name`` needs from ``snapshot`` and ``configs``.

    Raises:
        UnknownServiceError: The service is not known.
        UnsupportedProtocolError: hub does not speak the service's wire protocol.
        ConfigError: A config is invalid, or no region/endpoint can be resolved.
    """
    # The first client of a service loads its package and protocol (hub._deferred.pause_gc).
    paused = isinstance(service_name, str) and service_name not in _RESOLVED and pause_gc()
    try:
        from hub._protocol_handlers import protocol_handlers
        from hub.protocols import protocol_for

        spec = service_spec(service_name)
        protocol = protocol_for(spec.protocol)
        handlers = spec.add_handlers(protocol_handlers(snapshot.handlers))
    finally:
        if paused:
            resume_gc()
    _RESOLVED.add(spec.name)
    config = snapshot.config.merge(*configs)
    url, signing_region, custom, partition = _endpoint(spec, config)
    info = ClientInfo(
        service_name=spec.name,
        api_version=spec.api_version,
        endpoint=url,
        signing_name=spec.signing_name,
        signing_region=signing_region,
        protocol=spec.protocol,
        custom_endpoint=custom,
        partition=partition,
    )
    return ClientConfig(
        config=config,
        info=info,
        handlers=handlers,
        credentials=credentials_cache_for(config, snapshot.config, snapshot.credentials),
        transport=snapshot.transports.get(TransportSettings.from_config(config)),
        # The quota and rate limiter belong to the session family (hub._runtime), not to this
        # cache entry: a new snapshot or an uncached config shares them.
        retry=snapshot.runtime.retry_policy_ref(
            spec.name, url, config.retry_mode or "standard", config.max_attempts or 3),
        timeout=make_timeout(config.connect_timeout, config.read_timeout),
        user_agent=_user_agent(config.user_agent_extra, config.user_agent_appid),
        spec=spec,
        snapshot=snapshot,
        client_class=spec.client_class,
        protocol=protocol,
    )
