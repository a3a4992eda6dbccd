"""Wire protocols: the shape model, request serializers and response parsers.

* :mod:`hub.protocols._shapes` -- :class:`Shape`, :class:`OperationModel`, :class:`ServiceModel`.
* :mod:`hub.protocols.restxml` -- REST-XML (S3).
* :mod:`hub.protocols.jsonrpc` -- AWS JSON 1.0/1.1 (DynamoDB).
* :mod:`hub.protocols.validate` -- parameter validation against an input shape.

Every function here is pure: plain data in, plain data out, no networking.
"""

from __future__ import annotations

from hub.protocols._common import SerializedRequest
from hub.protocols._shapes import Member, OperationModel, Paginator, ServiceModel, Shape

__all__ = ["Member", "OperationModel", "Paginator", "SerializedRequest", "ServiceModel", "Shape"]
