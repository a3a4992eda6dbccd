"""The table layer's request path: items go to and come from the JSON body as they are.

A low-level call walks every ``AttributeValue`` of an item three times after the caller built
it: the validator checks it, the JSON writer copies it (base64-encoding ``B`` values), and the
JSON reader copies the response's back. For the table layer that work is redundant: its
serializer builds every ``AttributeValue`` itself, and only from values it has checked, so
the tree is valid by construction.

So the table layer calls operations built from the same service model with one change:
``AttributeValue`` is a document (passed through as-is, as any document shape is). Everything
else about the request is unchanged: the same handlers, signing, retries and errors; the
validator still checks every other parameter, including that ``Item``/``Key`` are maps with
``str`` keys. The table layer serializes straight into the wire form (``B`` as base64 text)
and deserializes from it. What it cannot vouch for takes the ordinary path: a nested map with
a non-``str`` key, a tuple as a legacy ``AttributeValueList`` (see
:class:`~hub.dynamodb.types.UncheckedValueError`), or a client that is not
hub's generated DynamoDB client (a fake, a wrapper).

Visible difference: handlers added to the session see a table call's ``request.params`` and
``request.data`` with ``AttributeValue`` s in wire form (``{"B": "AAE="}`` rather than
``{"B": b"\\x00\\x01"}``).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from hub.errors import ResponseParseError
from hub.protocols._shapes import OperationModel, ShapeResolver, build_operation
from hub.services._base import ServiceClient

__all__ = ["WireCall", "malformed", "wire_call"]

#: ``(operation name, params) -> result``: a call with wire-form AttributeValues.
WireCall = Callable[[str, dict[str, Any]], dict[str, Any]]

_DOCUMENT: Mapping[str, Any] = {"type": "structure", "members": {}, "document": True}
_VALUE_SHAPE = "AttributeValue"


class _DocumentValues(Mapping[str, Mapping[str, Any]]):
    """A model's raw shape table with ``AttributeValue`` replaced by a document."""

    __slots__ = ("_shapes",)

    def __init__(self, shapes: Mapping[str, Any]) -> None:
        self._shapes = shapes

    def __getitem__(self, name: str) -> Mapping[str, Any]:
        if name == _VALUE_SHAPE:
            return _DOCUMENT
        raw = self._shapes[name]
        parsed: Mapping[str, Any] = json.loads(raw) if isinstance(raw, str) else raw
        return parsed

    def __iter__(self) -> Iterator[str]:
        return iter(self._shapes)

    def __len__(self) -> int:
        return len(self._shapes)


class _Operations:
    """One model module's table-layer operations, each built on first use.

    Thread-safe without a lock: the resolver is (see ``ShapeResolver``), and a built operation
    is published copy-on-write; two threads racing may each build an equivalent one.
    """

    __slots__ = ("_built", "_data", "_resolver", "_service")

    def __init__(self, data: Any, service: Any) -> None:
        self._data = data
        self._service = service
        self._resolver = ShapeResolver(_DocumentValues(data.SHAPES))
        self._built: dict[str, OperationModel] = {}

    def get(self, name: str) -> OperationModel:
        op = self._built.get(name)
        if op is None:
            raw = self._data.OPERATIONS[name]
            raw_op = json.loads(raw) if isinstance(raw, str) else raw
            op = build_operation(name, raw_op, self._resolver,
                                 error_shapes=self._service.operations[name].error_shapes)
            self._built = {**self._built, name: op}
        return op


_MODULES: dict[str, _Operations] = {}


def wire_call(client: Any) -> WireCall | None:
    """The wire-form call of ``client``, or None when it is not hub's DynamoDB client.

    Cheap after the first use per process (one dict lookup).
    """
    if not isinstance(client, ServiceClient):
        return None
    spec = client.client_config.spec
    if spec.name != "dynamodb":
        return None
    global _MODULES
    ops = _MODULES.get(spec.model_module)
    if ops is None:
        data = importlib.import_module(spec.model_module)
        if _VALUE_SHAPE not in getattr(data, "SHAPES", ()) or not hasattr(data, "OPERATIONS"):
            return None
        ops = _Operations(data, spec.model)
        _MODULES = {**_MODULES, spec.model_module: ops}  # copy-on-write publish
    new_request = client.new_request
    get = ops.get

    def call(name: str, params: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = new_request(get(name), params).send()
        return result

    return call


def malformed(operation: str, exc: Exception) -> ResponseParseError:
    """The error for a response ``AttributeValue`` that cannot be read (what the JSON reader
    raises on the ordinary path)."""
    return ResponseParseError(
        f"{operation}: malformed AttributeValue in the response ({type(exc).__name__}: {exc})",
        operation=operation)
