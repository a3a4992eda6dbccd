"""What the core knows about a service: a :class:`ServiceSpec`, found through the service index.

The core never imports a service by name. ``service_spec(name)`` looks the name up in the
generated index (:mod:`hub.services._index`) and imports that package on first use; the package
describes itself with a ``SPEC`` (its client class, its lazily built model, how it signs, and
the hand-written handlers of its customizations module).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from hub._handlers import Handlers
from hub._value import dataclass, field
from hub.errors import UnknownServiceError

if TYPE_CHECKING:
    from hub._client_config import Client
    from hub._config import Config
    from hub.endpoints import Endpoint
    from hub.protocols._shapes import ServiceModel


@dataclass(frozen=True, slots=True)
class SigningOptions:
    """How a service's requests are signed with SigV4 (set by its customizations module).

    Attributes:
        normalize_path: Normalize the path (``.``/``..``, double slashes) in the canonical
            request. S3 signs the path exactly as sent, so it sets False.
        payload_hash_header: Send ``X-Amz-Content-SHA256`` with every request (S3 requires
            it). Otherwise it is sent only for streamed bodies, which the signer hashes here.
        unsigned_streams_over_tls: Sign a streamed body as ``UNSIGNED-PAYLOAD`` over HTTPS
            instead of reading it twice (TLS already protects it), as botocore does for S3.
        presign_unsigned_payload: Presigned URLs sign ``UNSIGNED-PAYLOAD`` (S3); otherwise the
            hash of the request body.
    """

    normalize_path: bool = True
    payload_hash_header: bool = False
    unsigned_streams_over_tls: bool = False
    presign_unsigned_payload: bool = False


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """A service package's description of itself (its generated ``SPEC``).

    Attributes:
        name: The name passed to ``session.client()`` (``"s3"``).
        client_class: The generated client class.
        model: The service model; its operations and shapes are built on first use.
        model_module: The generated data module the model is read from.
        errors_module: The generated module of modeled errors (``client.exceptions``).
        methods: boto3 method name -> API operation name (``"put_object": "PutObject"``).
        global_region: Region used when none is configured (None: a region is required).
        customize: Adds the service's own named handlers (``Handlers -> Handlers``), or None.
        signing: How requests are signed.
        resolve_endpoint: The service's own endpoint rule (``(region, config) -> Endpoint``,
            None to use the generic resolution), e.g. STS's global endpoint; None when it has
            none. Called only when no ``endpoint_url`` is configured.
    """

    name: str
    client_class: type[Client]
    model: ServiceModel
    model_module: str
    errors_module: str
    methods: Mapping[str, str] = field(default_factory=dict)
    global_region: str | None = None
    customize: Callable[[Handlers], Handlers] | None = None
    signing: SigningOptions = SigningOptions()
    resolve_endpoint: Callable[[str | None, Config], Endpoint | None] | None = None

    def __repr__(self) -> str:
        return f"<ServiceSpec {self.name}>"

    @property
    def api_version(self) -> str:
        """The API version (``"2006-03-01"``)."""
        return self.model.api_version

    @property
    def endpoint_prefix(self) -> str:
        """The hostname prefix endpoint resolution uses."""
        return self.model.endpoint_prefix

    @property
    def signing_name(self) -> str:
        """The SigV4 service name."""
        return self.model.signing_name

    @property
    def protocol(self) -> str:
        """The wire protocol hub speaks to the service."""
        return self.model.protocol

    def add_handlers(self, handlers: Handlers) -> Handlers:
        """Return ``handlers`` with this service's own handlers added (if it has any)."""
        return handlers if self.customize is None else self.customize(handlers)


def known_services() -> tuple[str, ...]:
    """Every service name hub has a package for, sorted."""
    from hub.services._index import SERVICES

    return tuple(sorted(SERVICES))


def service_spec(name: object) -> ServiceSpec:
    """Return the spec of service ``name`` (importing its package on first use).

    A service hub ships no package for is built from an installed botocore's model files
    (:mod:`hub.services._botocore_data`), once per process.

    Raises:
        UnknownServiceError: Neither hub nor an installed botocore knows the service, or it
            speaks a protocol hub does not; the error says why and lists the shipped ones.
    """
    from hub.services._index import SERVICES

    if not isinstance(name, str):
        raise UnknownServiceError(repr(name), known_services())
    package = SERVICES.get(name)
    if package is None:  # any other service, from an installed botocore's model files
        from hub.services._botocore_data import load_spec

        return load_spec(name, known_services())
    spec: ServiceSpec = importlib.import_module(package).SPEC
    return spec
