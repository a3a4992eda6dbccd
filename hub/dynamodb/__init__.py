"""DynamoDB's table layer: native Python values, condition builders, a thread-safe batch writer.

What boto3 users know as ``boto3.resource("dynamodb").Table(...)``, on a hub client::

    import hub
    from hub.dynamodb import Attr, Key, Table

    table = Table(session.client("dynamodb"), "jobs")
    table.put_item(Item={"pk": "job#1", "state": "queued"})
    table.query(KeyConditionExpression=Key("pk").eq("job#1"))

Modules:

- :mod:`hub.dynamodb.table`: :class:`Table`;
- :mod:`hub.dynamodb.conditions`: ``Key``/``Attr`` and the expression builder;
- :mod:`hub.dynamodb.types`: ``TypeSerializer``/``TypeDeserializer``/``Binary``;
- :mod:`hub.dynamodb.batch`: :class:`BatchWriter` (safe to share between threads),
  :func:`batch_get_item`, :func:`batch_write_item`;
- :mod:`hub.dynamodb.errors`: every error of the layer.
"""

from __future__ import annotations

from hub.dynamodb.batch import BatchWriter, batch_get_item, batch_write_item
from hub.dynamodb.conditions import Attr, ConditionExpressionBuilder, Key
from hub.dynamodb.errors import BatchGetError, BatchWriteError
from hub.dynamodb.table import Table
from hub.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from hub.errors import WaiterError

__all__ = [
    "Attr",
    "BatchGetError",
    "BatchWriteError",
    "BatchWriter",
    "Binary",
    "ConditionExpressionBuilder",
    "Key",
    "Table",
    "TypeDeserializer",
    "TypeSerializer",
    "WaiterError",
    "batch_get_item",
    "batch_write_item",
]
