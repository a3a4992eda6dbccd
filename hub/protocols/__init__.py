"""Wire protocols: the shape model, and one object per protocol that speaks it.

A wire protocol turns an operation's parameters into an HTTP request and an HTTP response back
into a boto3-shaped dict or :class:`~hub.errors.ClientError`. Each is one stateless object,
shared by every client and thread (:class:`WireProtocol`); :func:`get_protocol` returns it by
name:

* ``rest-xml`` -- :mod:`hub.protocols.restxml` (S3).
* ``json`` -- :mod:`hub.protocols.jsonrpc`, AWS JSON 1.0 and 1.1 (DynamoDB, KMS, SQS).
* ``rest-json`` -- :mod:`hub.protocols.restjson` (Lambda, API Gateway, Glacier).
* ``query`` -- :mod:`hub.protocols.query` (STS, SNS, IAM).

Shared pieces: :mod:`hub.protocols._rest` (URI, query string, headers, payload: rest-xml and
rest-json), :mod:`hub.protocols._json` (the JSON value codec: json and rest-json),
:mod:`hub.protocols._xml` (safe XML: rest-xml and query), :mod:`hub.protocols._common`
(timestamps, base64, host prefixes, ``ResponseMetadata``), :mod:`hub.protocols._shapes` (the
shape model) and :mod:`hub.protocols.validate` (parameter validation).

Output event streams (S3 Select, Lambda response streaming) are decoded by
:mod:`hub.protocols._eventstream` (the binary framing) and read as events by
:mod:`hub.protocols._events` (``EventStream``). Not implemented: ``ec2`` (query's dialect),
``smithy-rpc-v2-cbor`` and input event streams (HTTP/2 bidirectional); :func:`get_protocol`
and the protocols' methods raise :class:`~hub.errors.UnsupportedProtocolError` for them. Every
function here is pure: plain data in, plain data out, no networking.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hub.errors import ClientError, UnsupportedProtocolError
from hub.protocols._shapes import (
    SUPPORTED_PROTOCOLS,
    Member,
    OperationModel,
    Paginator,
    ServiceModel,
    Shape,
    choose_protocol,
)

if TYPE_CHECKING:
    from hub.protocols._common import SerializedRequest, apply_host_prefix
    from hub.protocols._interface import WireProtocol

__all__ = [
    "SUPPORTED_PROTOCOLS",
    "Member",
    "OperationModel",
    "Paginator",
    "SerializedRequest",
    "ServiceModel",
    "Shape",
    "WireProtocol",
    "apply_host_prefix",
    "choose_protocol",
    "get_protocol",
]


# Each protocol's module is imported on first use, so a process that only talks to S3 never
# loads the JSON or query code (cold start).
_CLASSES: dict[str, tuple[str, str]] = {
    "rest-xml": ("hub.protocols.restxml", "RestXmlProtocol"),
    "json": ("hub.protocols.jsonrpc", "JsonProtocol"),
    "rest-json": ("hub.protocols.restjson", "RestJsonProtocol"),
    "query": ("hub.protocols.query", "QueryProtocol"),
}
_INSTANCES: dict[str, WireProtocol] = {}


def get_protocol(name: str) -> WireProtocol:
    """The shared protocol object for ``name`` (created, and its module imported, once).

    Args:
        name: A protocol name from a model's metadata (``rest-xml``, ``json``,
            ``rest-json``, ``query``); use :func:`choose_protocol` on the metadata to pick one
            from a ``protocols`` list.

    Raises:
        UnsupportedProtocolError: hub does not implement it (``ec2``,
            ``smithy-rpc-v2-cbor``, ...).
    """
    protocol = _INSTANCES.get(name)
    if protocol is not None:
        return protocol
    spec = _CLASSES.get(name)
    if spec is None:
        raise UnsupportedProtocolError(
            f"hub does not implement the {name!r} wire protocol; supported: "
            f"{', '.join(SUPPORTED_PROTOCOLS)}",
            protocol=name)
    module = importlib.import_module(spec[0])
    created: WireProtocol = getattr(module, spec[1])()
    # Two threads racing here may both create one; setdefault keeps a single shared object.
    return _INSTANCES.setdefault(name, created)


def protocol_for(name: str) -> WireProtocol:
    """Like :func:`get_protocol`, but a protocol whose module is not loaded yet loads with its
    first use (a client's first request), not now: creating the first client of a service does
    not import its protocol (cold start).

    Raises:
        UnsupportedProtocolError: As :func:`get_protocol`, at once.
    """
    protocol = _INSTANCES.get(name)
    if protocol is not None:
        return protocol
    if name not in _CLASSES:
        return get_protocol(name)  # raises
    return _LazyProtocol(name)


class _LazyProtocol:
    """The protocol ``name``, imported and created by the first call of one of its methods.

    Its methods forward to the shared protocol object: one Python call more per use (a
    fraction of a microsecond per request) for clients resolved before it was loaded.
    """

    __slots__ = ("name", "_real")

    def __init__(self, name: str) -> None:
        self.name = name
        self._real: WireProtocol | None = None

    def _load(self) -> WireProtocol:
        real = self._real
        if real is None:
            real = self._real = get_protocol(self.name)
        return real

    def serialize(self, op: OperationModel, params: Mapping[str, Any], *, endpoint: str,
                  service: ServiceModel) -> SerializedRequest:
        return self._load().serialize(op, params, endpoint=endpoint, service=service)

    def parse(self, op: OperationModel, status: int, headers: Mapping[str, str],
              body: bytes) -> dict[str, Any]:
        return self._load().parse(op, status, headers, body)

    def parse_error(self, op: OperationModel, status: int, headers: Mapping[str, str],
                    body: bytes) -> ClientError:
        return self._load().parse_error(op, status, headers, body)

    def streaming_member(self, op: OperationModel) -> str | None:
        return self._load().streaming_member(op)

    def __getattr__(self, attr: str) -> Any:  # anything else a protocol object has
        return getattr(self._load(), attr)

    def __repr__(self) -> str:
        return f"<protocol {self.name} (loads on first use)>"


# Names loaded on first use: hub.protocols._common loads with the first request, and the
# WireProtocol class (a typing.Protocol, ~0.1 ms to create) only for those who read it.
_LAZY = {"SerializedRequest": "hub.protocols._common",
         "apply_host_prefix": "hub.protocols._common",
         "WireProtocol": "hub.protocols._interface"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hub.protocols' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
