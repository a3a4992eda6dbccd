"""Service models by name: a read-only view over the generated index (no table of its own).

``SERVICES["s3"]`` is S3's lazily built :class:`~hub.protocols.ServiceModel` (importing the
package on first lookup). Tests and tools use it; clients reach their model through their spec.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from hub.protocols._shapes import ServiceModel

__all__ = ["SERVICES"]


class _Models(Mapping[str, ServiceModel]):
    """Every generated service's model, by name (the index decides which exist)."""

    __slots__ = ()

    def __getitem__(self, name: str) -> ServiceModel:
        from hub._services import known_services, service_spec

        if name not in known_services():
            raise KeyError(name)  # a Mapping raises KeyError, not UnknownServiceError
        return service_spec(name).model

    def __iter__(self) -> Iterator[str]:
        from hub._services import known_services

        return iter(known_services())

    def __len__(self) -> int:
        from hub._services import known_services

        return len(known_services())

    def __repr__(self) -> str:
        return f"SERVICES({', '.join(self)})"


#: Every service hub has a package for, by name.
SERVICES: Mapping[str, ServiceModel] = _Models()
