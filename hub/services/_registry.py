"""The table of services hub knows: name -> :class:`~hub.protocols.ServiceModel`.

Models are imported on first use (building one takes a few milliseconds and most programs use
one or two services). The import machinery's own lock makes that first use thread-safe, and
nothing is cached here, so there is no shared state to race on.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from hub.protocols._shapes import ServiceModel

__all__ = ["SERVICES"]

# service name -> module holding the generated SERVICE_MODEL
_MODULES: dict[str, str] = {
    "dynamodb": "hub.services._dynamodb_model",
    "s3": "hub.services._s3_model",
}


class _LazyServices(Mapping[str, ServiceModel]):
    """A read-only mapping that imports a service's model module when it is first looked up."""

    __slots__ = ()

    def __getitem__(self, name: str) -> ServiceModel:
        module_name = _MODULES[name]  # KeyError for unknown services, as a Mapping should
        model: ServiceModel = importlib.import_module(module_name).SERVICE_MODEL
        return model

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(_MODULES))

    def __len__(self) -> int:
        return len(_MODULES)

    def __contains__(self, name: object) -> bool:
        return name in _MODULES

    def __repr__(self) -> str:
        return f"SERVICES({', '.join(sorted(_MODULES))})"


#: Every service hub has a model for, by name.
SERVICES: Mapping[str, ServiceModel] = _LazyServices()
