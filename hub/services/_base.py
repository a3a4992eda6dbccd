"""``ServiceClient``: the base of every generated client (calling, paginators, waiters, meta).

Generated clients add one thin method per operation (``return self._call("PutObject",
params)``); everything else a boto3 user reaches on a client lives here, once.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Mapping
from datetime import datetime, timezone
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from hub._client_config import Client
from hub._request import Request
from hub.errors import ConfigError, ParamValidationError
from hub.protocols._shapes import OperationModel

if TYPE_CHECKING:
    from hub._config import Config
    from hub._services import ServiceSpec
    from hub.services._meta import ClientMeta
    from hub.services._paginator import Paginator
    from hub.services._waiter import Waiter

__all__ = ["ServiceClient"]


class ServiceClient(Client):
    """A :class:`~hub.Client` with operation methods, paginators, waiters and boto3's helpers.

    Generated subclasses set ``_OPS`` (the lazily built operations); instances stay one slot
    wide.
    """

    __slots__ = ()

    _OPS: ClassVar[Mapping[str, OperationModel]]

    def _call(self, name: str, params: Any) -> Any:
        # The hot path: one lookup of an already-built operation, then the request pipeline.
        return Request(self._client_config, self._OPS[name], params).send()

    @property
    def _spec(self) -> ServiceSpec:
        return self._client_config.spec

    def _api_name(self, method_name: str) -> str | None:
        methods = self._client_config.spec.methods
        api = methods.get(method_name)
        if api is None and method_name in self._OPS:
            api = method_name  # an API name ("PutObject") is accepted too
        return api

    def _operation(self, method_name: str) -> OperationModel:
        api = self._api_name(method_name)
        if api is None:
            raise ParamValidationError(method_name, [
                f"unknown operation {method_name!r} for {self._client_config.spec.name}"])
        return self._OPS[api]

    # -- boto3's client surface ------------------------------------------------------------

    @property
    def exceptions(self) -> ModuleType:
        """The service's modeled errors: ``client.exceptions.NoSuchKey`` (ClientError subclasses;
        ``client.exceptions.ClientError`` is there too)."""
        return importlib.import_module(self._client_config.spec.errors_module)

    @property
    def meta(self) -> ClientMeta:
        """Region, endpoint, config and service model, as boto3's ``client.meta``."""
        from hub.services._meta import ClientMeta, ServiceModelInfo

        client_config = self._client_config
        spec, info = client_config.spec, client_config.info
        model = spec.model
        return ClientMeta(
            service_model=ServiceModelInfo(
                service_name=spec.name, api_version=model.api_version, protocol=model.protocol,
                signing_name=model.signing_name, endpoint_prefix=model.endpoint_prefix,
                metadata=model.metadata, _spec=spec),
            region_name=client_config.config.region or info.signing_region,
            endpoint_url=info.endpoint,
            config=client_config.config,
            method_to_api_mapping=spec.methods,
            partition=info.partition,
        )

    def can_paginate(self, operation_name: str) -> bool:
        """Tell whether ``get_paginator(operation_name)`` works (boto3 method name)."""
        api = self._client_config.spec.methods.get(operation_name)
        return api is not None and api in self._client_config.spec.model.paginators

    def get_paginator(self, operation_name: str) -> Paginator:
        """Return a paginator for an operation (``"list_objects_v2"``), as boto3 does.

        Raises:
            ValueError: The operation cannot be paginated.
        """
        from hub.services._paginator import Paginator

        spec = self._client_config.spec
        api = spec.methods.get(operation_name)
        config = spec.model.paginators.get(api) if api is not None else None
        if api is None or config is None:
            raise ValueError(f"Operation cannot be paginated: {operation_name}")
        return Paginator(lambda params: self._call(api, params), config, api)

    @property
    def waiter_names(self) -> list[str]:
        """The waiters ``get_waiter`` accepts (boto3 spelling: ``"bucket_exists"``), sorted."""
        from hub.services._waiter import waiter_names

        return waiter_names(self._client_config.spec)

    def get_waiter(self, waiter_name: str) -> Waiter:
        """Return a waiter (``"bucket_exists"``): ``.wait(**params, WaiterConfig={...})``.

        Raises:
            ValueError: The service has no such waiter.
        """
        from hub.services._waiter import get_waiter

        return get_waiter(self, waiter_name)

    def generate_presigned_url(self, ClientMethod: str,
                               Params: Mapping[str, Any] | None = None,
                               ExpiresIn: int = 3600,
                               HttpMethod: str | None = None) -> str:
        """Return a presigned URL for one call of ``ClientMethod`` (as boto3 does).

        Whoever holds the URL can make that request without credentials until it expires.
        Header parameters are not part of the URL; query and path parameters are. The
        client's validate and build handlers (the service's customizations, the session's own)
        apply as for a sent request.

        Args:
            ClientMethod: The method name (``"get_object"``, ``"put_object"``, ...).
            Params: The operation's parameters.
            ExpiresIn: Validity in seconds (1 to 604800).
            HttpMethod: Overrides the operation's HTTP method.

        Raises:
            ParamValidationError: Unknown method or invalid parameters.
            NoCredentialsError: No credentials are available to sign with.
            ConfigError: The client is unsigned (``signature_version=hub.UNSIGNED``).
        """
        from hub.signing import UNSIGNED_PAYLOAD, presign_url

        op = self._operation(ClientMethod)
        require_signing(self._client_config.config, "generate_presigned_url")
        if not isinstance(ExpiresIn, int) or isinstance(ExpiresIn, bool):
            raise ParamValidationError(op.name, [
                f"ExpiresIn must be an int, got {type(ExpiresIn).__name__}"])
        client_config = self._client_config
        http = Request(client_config, op, dict(Params or {})).build()
        signing = client_config.spec.signing
        if signing.presign_unsigned_payload:
            payload = UNSIGNED_PAYLOAD
        else:
            body = http.body if isinstance(http.body, (bytes, bytearray)) else b""
            payload = hashlib.sha256(body).hexdigest()
        info = client_config.info
        return presign_url(
            HttpMethod or http.method,
            http.url,
            credentials=client_config.credentials.get(),
            region=info.signing_region,
            service=info.signing_name,
            timestamp=datetime.now(timezone.utc),
            expires=ExpiresIn,
            normalize_path=signing.normalize_path,
            payload_hash=payload,
        )

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()))


def require_signing(config: Config, what: str) -> None:
    """Refuse to presign with an unsigned client: the URL would grant nothing."""
    if config.signature_version == "unsigned":
        raise ConfigError(f"{what} needs a signing client; this one is unsigned "
                          "(signature_version='unsigned')", field="signature_version")
