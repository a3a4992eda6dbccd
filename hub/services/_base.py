"""Shared plumbing of the service clients: calling an operation, paginators, method names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from hub._client import Client
from hub._request import Request
from hub.errors import ParamValidationError
from hub.protocols._shapes import OperationModel, ServiceModel
from hub.services._paginator import Paginator

__all__ = ["ServiceClient", "python_names"]

_FIRST_CAP = re.compile(r"(.)([A-Z][a-z]+)")
_ALL_CAP = re.compile(r"([a-z0-9])([A-Z])")


def xform_name(name: str) -> str:
    """``ListObjectsV2`` -> ``list_objects_v2`` (boto3's method names)."""
    return _ALL_CAP.sub(r"\1_\2", _FIRST_CAP.sub(r"\1_\2", name)).lower()


def python_names(model: ServiceModel) -> Mapping[str, str]:
    """Map every operation's boto3 method name to its API name (computed once per service)."""
    return {xform_name(name): name for name in model.operations}


class ServiceClient(Client):
    """A :class:`~hub.Client` with operation methods, paginators and boto3-style helpers.

    Subclasses set ``_MODEL`` (the service model) and ``_PY_NAMES`` (method name -> API name)
    as class attributes; instances stay one slot wide.
    """

    __slots__ = ()

    _MODEL: ClassVar[ServiceModel]
    _PY_NAMES: ClassVar[Mapping[str, str]]

    def _call(self, op: OperationModel, params: dict[str, Any]) -> dict[str, Any]:
        # The hot path: no copies of params, no lookups beyond the operation itself.
        result: dict[str, Any] = Request(self._client_config, op, params).send()
        return result

    def _operation(self, method_name: str) -> OperationModel:
        api_name = self._PY_NAMES.get(method_name)
        if api_name is None:
            if method_name in self._MODEL.operations:
                api_name = method_name
            else:
                raise ParamValidationError(
                    method_name, [f"unknown operation {method_name!r} for"
                                  f" {self._MODEL.service_name}"])
        return self._MODEL.operations[api_name]

    def can_paginate(self, operation_name: str) -> bool:
        """Tell whether ``get_paginator(operation_name)`` works (boto3 method name)."""
        api_name = self._PY_NAMES.get(operation_name)
        return api_name is not None and api_name in self._MODEL.paginators

    def get_paginator(self, operation_name: str) -> Paginator:
        """Return a paginator for an operation (``"list_objects_v2"``), as boto3 does.

        Raises:
            ValueError: The operation cannot be paginated.
        """
        api_name = self._PY_NAMES.get(operation_name)
        config = self._MODEL.paginators.get(api_name) if api_name is not None else None
        if api_name is None or config is None:
            raise ValueError(f"Operation cannot be paginated: {operation_name}")
        op = self._MODEL.operations[api_name]
        return Paginator(lambda params: self._call(op, params), config, api_name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()))
