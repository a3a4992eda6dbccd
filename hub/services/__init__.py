"""Service clients and their helpers.

* :class:`S3Client` (``session.client("s3")``) and :class:`DynamoDBClient`
  (``session.client("dynamodb")``): boto3-compatible methods, one per operation.
* :class:`StreamingBody`: S3 ``GetObject``'s ``Body``.
* :class:`Paginator` / :class:`PageIterator`: ``client.get_paginator(name)``.
* :mod:`hub.services.dynamodb_types`: ``TypeSerializer``/``TypeDeserializer``.

The clients are imported on first use (``session.client`` resolves them once per config), so
``import hub`` does not load the service models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.services._paginator import PageIterator, PaginationError, Paginator
from hub.services._streaming import StreamingBody

if TYPE_CHECKING:
    from hub.services.dynamodb import DynamoDBClient
    from hub.services.s3 import S3Client

__all__ = ["DynamoDBClient", "PageIterator", "PaginationError", "Paginator", "S3Client",
           "StreamingBody"]


def __getattr__(name: str) -> Any:
    if name == "S3Client":
        from hub.services.s3 import S3Client

        return S3Client
    if name == "DynamoDBClient":
        from hub.services.dynamodb import DynamoDBClient

        return DynamoDBClient
    raise AttributeError(f"module 'hub.services' has no attribute {name!r}")
