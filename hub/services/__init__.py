"""Service clients and their helpers.

* One generated package per service (``hub/services/<name>/``): ``session.client("s3")``
  returns its client class (:class:`S3Client`, :class:`DynamoDBClient`, ...), found through
  the generated index (:mod:`hub.services._index`).
* Any other service, when botocore is installed: a ``LoadedServiceClient`` built from
  botocore's model files (:mod:`hub.services._botocore_data`; botocore's code is not imported).
* :class:`StreamingBody`: a streamed response body (S3 ``GetObject``'s ``Body``).
* :class:`EventStream`: an output event stream (S3 ``SelectObjectContent``'s ``Payload``,
  Lambda ``InvokeWithResponseStream``'s ``EventStream``): iterate it for one dict per event.
* :class:`Paginator` / :class:`PageIterator`: ``client.get_paginator(name)``.
* :mod:`hub.services.dynamodb_types`: ``TypeSerializer``/``TypeDeserializer``.

Service packages are imported on first use (``session.client`` resolves them once per config),
so ``import hub`` does not load them, and their models are built per operation on first call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub._streaming import StreamingBody
    from hub.errors import PaginationError
    from hub.protocols._events import EventStream
    from hub.services._paginator import PageIterator, Paginator
    from hub.services.dynamodb import DynamoDBClient
    from hub.services.s3 import S3Client

__all__ = ["DynamoDBClient", "EventStream", "PageIterator", "PaginationError", "Paginator",
           "S3Client", "StreamingBody"]

# Imported on first use: a client is created without loading the paginator machinery.
_LAZY = {"S3Client": "hub.services.s3", "DynamoDBClient": "hub.services.dynamodb",
         "PageIterator": "hub.services._paginator", "Paginator": "hub.services._paginator",
         "PaginationError": "hub.errors", "EventStream": "hub.protocols._events",
         "StreamingBody": "hub._streaming"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        from hub.services._index import CLIENTS

        module = CLIENTS.get(name)  # any generated client class: hub.services.SQSClient
    if module is None:
        raise AttributeError(f"module 'hub.services' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
