"""Lazy service models: an operation (and the shapes it reaches) is built on its first use.

A generated package's ``_model.py`` holds one JSON text per operation and per shape. Importing
a client does not import it; the first call of an operation imports it (once), parses that
operation's entry and the shapes it reaches, and builds immutable
:class:`~hub.protocols.OperationModel`/:class:`~hub.protocols.Shape` objects. So ``import hub``
and client creation cost nothing, and memory grows with the operations a process uses.

Thread safety: builds run under one lock per service (re-created in a forked child, see
:mod:`hub._forksafe`) and are published copy-on-write: a new dict is assigned in one step, so
readers take no lock and only ever see complete operations.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any

from hub._forksafe import at_fork_reinit
from hub.protocols._shapes import (
    LazyErrorShapes,
    OperationModel,
    Paginator,
    ServiceModel,
    Shape,
    ShapeResolver,
    build_operation,
    build_paginator,
    model_from_metadata,
)

__all__ = ["lazy_service_model", "model_data"]


def model_data(module: str) -> ModuleType:
    """The generated data module (``OPERATIONS``, ``SHAPES``, ``ERRORS``, ``PAGINATORS``,
    ``WAITERS``), imported on first use (the import system's lock makes that thread-safe)."""
    return importlib.import_module(module)


def _entry(raw: str | Mapping[str, Any]) -> Mapping[str, Any]:
    # A generated module holds JSON text; a model loaded from botocore's files holds dicts.
    parsed: Mapping[str, Any] = json.loads(raw) if isinstance(raw, str) else raw
    return parsed


class _RawShapes(Mapping[str, Mapping[str, Any]]):
    """The raw shape table, each entry parsed from its JSON text when first read.

    The parse cache is only needed while a build runs; it is dropped after each build so the
    process keeps the built shapes, not their raw descriptions.
    """

    __slots__ = ("_module", "_parsed")

    def __init__(self, module: str) -> None:
        self._module = module
        self._parsed: dict[str, Mapping[str, Any]] = {}

    def __getitem__(self, name: str) -> Mapping[str, Any]:
        found = self._parsed.get(name)
        if found is None:
            found = _entry(model_data(self._module).SHAPES[name])
            self._parsed[name] = found
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(model_data(self._module).SHAPES)

    def __len__(self) -> int:
        return len(model_data(self._module).SHAPES)

    def drop_cache(self) -> None:
        self._parsed = {}


class _Builder:
    """Builds and caches one service's operations; shared by the lazy mappings below."""

    __slots__ = ("__weakref__", "_lock", "_module", "_ops", "_pages", "_raw", "errors",
                 "resolver")

    def __init__(self, module: str) -> None:
        self._module = module
        self._raw = _RawShapes(module)
        self.resolver = ShapeResolver(self._raw)
        self.errors = _ErrorShapes(self)
        self._ops: dict[str, OperationModel] = {}
        self._pages: Mapping[str, Paginator] | None = None
        self._lock = threading.Lock()
        at_fork_reinit(self, _Builder._new_lock)

    def _new_lock(self) -> None:
        self._lock = threading.Lock()

    def operation(self, name: str) -> OperationModel:
        op = self._ops.get(name)
        if op is not None:
            return op
        with self._lock:
            op = self._ops.get(name)
            if op is None:
                raw = _entry(model_data(self._module).OPERATIONS[name])  # KeyError: unknown
                op = build_operation(name, raw, self.resolver, error_shapes=self.errors)
                self._raw.drop_cache()
                self._ops = {**self._ops, name: op}  # copy-on-write publish
        return op

    def shape(self, name: str) -> Shape:
        with self._lock:
            shape = self.resolver.shape(name)
            self._raw.drop_cache()
            return shape

    def operation_names(self) -> list[str]:
        return list(model_data(self._module).OPERATIONS)

    def paginators(self) -> Mapping[str, Paginator]:
        pages = self._pages
        if pages is None:  # small: built all at once, published in one assignment
            raw = model_data(self._module).PAGINATORS
            pages = self._pages = {name: build_paginator(p) for name, p in raw.items()}
        return pages


class _Operations(Mapping[str, OperationModel]):
    __slots__ = ("_builder",)

    def __init__(self, builder: _Builder) -> None:
        self._builder = builder

    def __getitem__(self, name: str) -> OperationModel:
        return self._builder.operation(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._builder.operation_names())

    def __len__(self) -> int:
        return len(self._builder.operation_names())

    def __contains__(self, name: object) -> bool:
        return name in model_data(self._builder._module).OPERATIONS

    def built(self) -> Mapping[str, OperationModel]:
        """The operations built so far (what this process has used)."""
        return dict(self._builder._ops)

    def __repr__(self) -> str:
        return f"<lazy operations: {len(self._builder._ops)} of {len(self)} built>"


class _Shapes(Mapping[str, Shape]):
    __slots__ = ("_builder",)

    def __init__(self, builder: _Builder) -> None:
        self._builder = builder

    def __getitem__(self, name: str) -> Shape:
        return self._builder.shape(name)

    def __iter__(self) -> Iterator[str]:
        return iter(model_data(self._builder._module).SHAPES)

    def __len__(self) -> int:
        return len(model_data(self._builder._module).SHAPES)

    def __contains__(self, name: object) -> bool:
        return name in model_data(self._builder._module).SHAPES


class _Paginators(Mapping[str, Paginator]):
    __slots__ = ("_builder",)

    def __init__(self, builder: _Builder) -> None:
        self._builder = builder

    def __getitem__(self, name: str) -> Paginator:
        return self._builder.paginators()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._builder.paginators())

    def __len__(self) -> int:
        return len(self._builder.paginators())


class _ErrorShapes(LazyErrorShapes):
    """Error shapes by wire code, from the data module's precomputed ``ERRORS`` table (no
    scan of the shapes), each built on lookup under the builder's lock."""

    __slots__ = ("_builder",)

    def __init__(self, builder: _Builder) -> None:
        super().__init__(builder.resolver)
        self._builder = builder

    def _code_table(self) -> Mapping[str, str]:
        codes: Mapping[str, str] = model_data(self._builder._module).ERRORS
        return codes

    def __getitem__(self, code: str) -> Shape:
        return self._builder.shape(self._code_table()[code])


def lazy_service_model(service_name: str, metadata: Mapping[str, Any],
                       data_module: str) -> ServiceModel:
    """A :class:`~hub.protocols.ServiceModel` whose operations, shapes and paginators are
    built from ``data_module`` on first use (nothing is read or imported here).

    Args:
        service_name: hub's name for the service.
        metadata: The model metadata (generated into the client module).
        data_module: The generated ``_model`` module's import path.
    """
    builder = _Builder(data_module)
    return model_from_metadata(service_name, metadata, operations=_Operations(builder),
                               paginators=_Paginators(builder), shapes=_Shapes(builder))
