"""``client.meta``: the client facts boto3 users read (imported on first use)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hub._value import dataclass, field

if TYPE_CHECKING:
    from hub._config import Config
    from hub._services import ServiceSpec
    from hub.protocols._shapes import OperationModel

__all__ = ["ClientMeta", "ServiceModelInfo"]


@dataclass(frozen=True, slots=True)
class ServiceModelInfo:
    """What boto3's ``client.meta.service_model`` answers most often.

    Attributes:
        service_name: The name the client was created with (``"s3"``).
        api_version: The API version.
        protocol: The wire protocol hub speaks to it.
        signing_name: The SigV4 service name.
        endpoint_prefix: The hostname prefix.
        metadata: The model metadata (``serviceId``, ``serviceFullName``, ...).
    """

    service_name: str
    api_version: str
    protocol: str
    signing_name: str
    endpoint_prefix: str
    metadata: Mapping[str, Any] = field(repr=False)
    _spec: ServiceSpec = field(repr=False)

    @property
    def service_id(self) -> str:
        """The model's ``serviceId`` (``"S3"``, ``"DynamoDB"``)."""
        return str(self.metadata.get("serviceId", self.service_name))

    @property
    def operation_names(self) -> list[str]:
        """Every operation's API name, sorted."""
        return sorted(self._spec.methods.values())

    @property
    def waiter_names(self) -> list[str]:
        """Every waiter's model name (``"BucketExists"``), sorted."""
        return sorted(importlib.import_module(self._spec.model_module).WAITERS)

    def operation_model(self, operation_name: str) -> OperationModel:
        """The model of one operation by API name (built on first use).

        Raises:
            KeyError: The service has no such operation.
        """
        return self._spec.model.operations[operation_name]


@dataclass(frozen=True, slots=True)
class ClientMeta:
    """``client.meta``: the facts boto3 users read from a client.

    Attributes:
        service_model: The service's name, version, operations and protocol.
        region_name: The configured (or default) region.
        endpoint_url: The base URL requests go to.
        config: The merged :class:`~hub.Config` the client was built with.
        method_to_api_mapping: boto3 method name -> API operation name.
        partition: ``"aws"``, ``"aws-cn"``, ... (None for custom endpoints).
    """

    service_model: ServiceModelInfo
    region_name: str
    endpoint_url: str
    config: Config = field(repr=False)
    method_to_api_mapping: Mapping[str, str] = field(repr=False)
    partition: str | None = None
