"""The services hub knows: static metadata, and which client class serves each."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from hub._handlers import Handlers
from hub.errors import UnknownServiceError

if TYPE_CHECKING:
    from hub._client import Client


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """What hub knows about a service before any client exists.

    Args:
        name: The name passed to ``session.client()`` (``"s3"``).
        api_version: The API version (``"2006-03-01"``).
        endpoint_prefix: The hostname prefix (``"s3"`` in ``s3.us-east-1.amazonaws.com``).
        signing_name: The SigV4 service name.
        protocol: The wire protocol: ``"rest-xml"`` or ``"json"``.
        client_path: ``"module:Class"`` of the client class, imported on first use.
        target_prefix: For JSON protocols, the ``X-Amz-Target`` prefix.
        json_version: For JSON protocols, ``"1.0"`` or ``"1.1"``.
        global_region: Region used when none is configured (None: a region is required).
        customizations: ``"module:function"`` adding the service's own named handlers
            (``Handlers -> Handlers``), or None.
    """

    name: str
    api_version: str
    endpoint_prefix: str
    signing_name: str
    protocol: str
    client_path: str
    target_prefix: str | None = None
    json_version: str | None = None
    global_region: str | None = None
    customizations: str | None = None

    def client_class(self) -> type[Client]:
        """Import and return the client class for this service."""
        cls: type[Client] = _load(self.client_path)
        return cls

    def customize(self, handlers: Handlers) -> Handlers:
        """Return ``handlers`` with this service's own handlers added (if it has any)."""
        if self.customizations is None:
            return handlers
        add: Callable[[Handlers], Handlers] = _load(self.customizations)
        return add(handlers)


def _load(path: str) -> Any:
    """Import ``"module:attribute"`` (service code loads on first use, not at ``import hub``)."""
    module_name, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


SERVICES: Mapping[str, ServiceSpec] = MappingProxyType(
    {
        "s3": ServiceSpec(
            name="s3",
            api_version="2006-03-01",
            endpoint_prefix="s3",
            signing_name="s3",
            protocol="rest-xml",
            client_path="hub.services.s3:S3Client",
            global_region="us-east-1",
            customizations="hub.services._s3_customizations:add_s3_handlers",
        ),
        "dynamodb": ServiceSpec(
            name="dynamodb",
            api_version="2012-08-10",
            endpoint_prefix="dynamodb",
            signing_name="dynamodb",
            protocol="json",
            client_path="hub.services.dynamodb:DynamoDBClient",
            target_prefix="DynamoDB_20120810",
            json_version="1.0",
        ),
    }
)


def service_spec(name: object) -> ServiceSpec:
    """Return the spec for ``name``.

    Raises:
        UnknownServiceError: hub does not know the service; the error lists those it knows.
    """
    spec = SERVICES.get(name) if isinstance(name, str) else None
    if spec is None:
        raise UnknownServiceError(repr(name) if not isinstance(name, str) else name,
                                  tuple(sorted(SERVICES)))
    return spec
