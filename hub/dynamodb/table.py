"""``Table``: boto3's ``dynamodb.Table`` resource with native Python values, on a hub client.

::

    from hub.dynamodb import Table
    from hub.dynamodb.conditions import Attr, Key

    jobs = Table(session.client("dynamodb"), "jobs")
    jobs.put_item(Item={"pk": "job#1", "state": "queued", "tries": 0})
    jobs.update_item(Key={"pk": "job#1"}, UpdateExpression="SET #s = :new",
                     ConditionExpression=Attr("state").eq("queued"),
                     ExpressionAttributeNames={"#s": "state"},
                     ExpressionAttributeValues={":new": "running"})
    for item in jobs.query_items(KeyConditionExpression=Key("pk").eq("job#1")):
        ...

Methods take boto3's parameters with native values (``Key``, ``Item``,
``ExpressionAttributeValues``, ``ExclusiveStartKey``, the legacy ``Expected``/
``AttributeUpdates``/``KeyConditions``/``QueryFilter``/``ScanFilter``) and accept condition
objects for ``KeyConditionExpression``, ``FilterExpression`` and ``ConditionExpression``;
results come back native (``Item``, ``Attributes``, ``Items``, ``LastEvaluatedKey``).

A ``Table`` holds only its client, its name and the last ``DescribeTable`` result, so it is
cheap to create and safe to share between threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any, Protocol

from hub.dynamodb._transform import deserialize_output, serialize_input
from hub.dynamodb._wire import WireCall, malformed, wire_call
from hub.dynamodb.batch import BatchWriter, batch_get
from hub.dynamodb.types import LOW_LEVEL, WIRE, Codec, UncheckedValueError
from hub.errors import ClientError, WaiterError

__all__ = ["Table", "TableMeta", "poll_table"]

#: boto3's Table attribute names -> ``TableDescription`` members (from the service model).
DESCRIBE_ATTRIBUTES: Mapping[str, str] = {
    "attribute_definitions": "AttributeDefinitions",
    "table_name": "TableName",
    "key_schema": "KeySchema",
    "table_status": "TableStatus",
    "creation_date_time": "CreationDateTime",
    "provisioned_throughput": "ProvisionedThroughput",
    "table_size_bytes": "TableSizeBytes",
    "item_count": "ItemCount",
    "table_arn": "TableArn",
    "table_id": "TableId",
    "billing_mode_summary": "BillingModeSummary",
    "local_secondary_indexes": "LocalSecondaryIndexes",
    "global_secondary_indexes": "GlobalSecondaryIndexes",
    "stream_specification": "StreamSpecification",
    "latest_stream_label": "LatestStreamLabel",
    "latest_stream_arn": "LatestStreamArn",
    "global_table_version": "GlobalTableVersion",
    "replicas": "Replicas",
    "global_table_witnesses": "GlobalTableWitnesses",
    "global_table_settings_replication_mode": "GlobalTableSettingsReplicationMode",
    "restore_summary": "RestoreSummary",
    "sse_description": "SSEDescription",
    "archival_summary": "ArchivalSummary",
    "table_class_summary": "TableClassSummary",
    "deletion_protection_enabled": "DeletionProtectionEnabled",
    "on_demand_throughput": "OnDemandThroughput",
    "warm_throughput": "WarmThroughput",
    "multi_region_consistency": "MultiRegionConsistency",
}

#: boto3's ``table_exists``/``table_not_exists`` waiter defaults.
WAITER_DELAY = 20.0
WAITER_MAX_ATTEMPTS = 25


class _DynamoDBClient(Protocol):
    def get_item(self, **params: Any) -> dict[str, Any]: ...
    def put_item(self, **params: Any) -> dict[str, Any]: ...
    def update_item(self, **params: Any) -> dict[str, Any]: ...
    def delete_item(self, **params: Any) -> dict[str, Any]: ...
    def query(self, **params: Any) -> dict[str, Any]: ...
    def scan(self, **params: Any) -> dict[str, Any]: ...
    def describe_table(self, **params: Any) -> dict[str, Any]: ...
    def delete_table(self, **params: Any) -> dict[str, Any]: ...
    def update_table(self, **params: Any) -> dict[str, Any]: ...
    def batch_get_item(self, **params: Any) -> dict[str, Any]: ...
    def batch_write_item(self, **params: Any) -> dict[str, Any]: ...


class TableMeta:
    """``table.meta``: the client and the last ``DescribeTable`` result (``data``, or None).

    Attributes:
        client: The low-level DynamoDB client the table calls.
        data: The ``Table`` member of the last DescribeTable result, or None before
            :meth:`Table.load`.
    """

    __slots__ = ("client", "data")

    def __init__(self, client: _DynamoDBClient) -> None:
        self.client = client
        self.data: dict[str, Any] | None = None


def _describe_attribute(attr: str, member: str) -> property:
    def get(self: Table) -> Any:
        data = self.meta.data
        if data is None:
            self.load()
            data = self.meta.data
        return data.get(member) if data is not None else None

    get.__name__ = attr
    get.__doc__ = (f"``{member}`` of DescribeTable (loaded on first access; "
                   f":meth:`reload` to refresh).")
    return property(get)


class Table:
    """A DynamoDB table with native Python values (boto3's ``dynamodb.Table``).

    Get one with ``hub.dynamodb.Table(session.client("dynamodb"), "jobs")``, or with
    ``session.client("dynamodb").Table("jobs")`` where the client provides it.

    The DescribeTable fields are attributes, loaded on first access as in boto3:
    ``table_status``, ``key_schema``, ``item_count``, ``attribute_definitions``,
    ``table_size_bytes``, ``creation_date_time``, ``table_arn``, ``billing_mode_summary``,
    ``global_secondary_indexes``, ... (every ``TableDescription`` member, snake_cased).

    Args:
        client: A DynamoDB client.
        name: The table name.
    """

    __slots__ = ("_wire", "meta", "name")

    # DescribeTable fields, set below as lazy properties (declared here for type checkers).
    attribute_definitions: Any
    table_name: Any
    key_schema: Any
    table_status: Any
    creation_date_time: Any
    provisioned_throughput: Any
    table_size_bytes: Any
    item_count: Any
    table_arn: Any
    table_id: Any
    billing_mode_summary: Any
    local_secondary_indexes: Any
    global_secondary_indexes: Any
    stream_specification: Any
    latest_stream_label: Any
    latest_stream_arn: Any
    global_table_version: Any
    replicas: Any
    global_table_witnesses: Any
    global_table_settings_replication_mode: Any
    restore_summary: Any
    sse_description: Any
    archival_summary: Any
    table_class_summary: Any
    deletion_protection_enabled: Any
    on_demand_throughput: Any
    warm_throughput: Any
    multi_region_consistency: Any

    def __init__(self, client: _DynamoDBClient, name: str) -> None:
        self.name = name
        self.meta = TableMeta(client)
        self._wire: WireCall | None = wire_call(client)

    def __repr__(self) -> str:
        return f"hub.dynamodb.Table(name={self.name!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Table) and other.name == self.name
                and other.meta.client is self.meta.client)

    def __hash__(self) -> int:
        return hash((Table, self.name))

    # ------------------------------------------------------------------ items

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        """GetItem: ``Key`` native; the result's ``Item`` native (absent when not found).

        Raises:
            ClientError: The service refused. ParamValidationError, TypeError: bad values.
        """
        return self._call("GetItem", "get_item", kwargs)

    def put_item(self, **kwargs: Any) -> dict[str, Any]:
        """PutItem: ``Item`` native; ``ConditionExpression`` may be a condition object.

        Raises:
            ClientError: The service refused (e.g. ``ConditionalCheckFailedException``).
            ParamValidationError, TypeError: A value cannot be serialized.
        """
        return self._call("PutItem", "put_item", kwargs)

    def update_item(self, **kwargs: Any) -> dict[str, Any]:
        """UpdateItem: ``Key`` and ``ExpressionAttributeValues`` native; ``Attributes`` native.

        Raises:
            ClientError: The service refused. ParamValidationError, TypeError: bad values.
        """
        return self._call("UpdateItem", "update_item", kwargs)

    def delete_item(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteItem: ``Key`` native; ``ConditionExpression`` may be a condition object.

        Raises:
            ClientError: The service refused. ParamValidationError, TypeError: bad values.
        """
        return self._call("DeleteItem", "delete_item", kwargs)

    def query(self, **kwargs: Any) -> dict[str, Any]:
        """Query (one page): ``KeyConditionExpression=Key("pk").eq(...)``; ``Items`` native.

        Raises:
            ClientError: The service refused. DynamoDBNeedsKeyConditionError: an ``Attr``
            in the key condition.
        """
        return self._call("Query", "query", kwargs)

    def scan(self, **kwargs: Any) -> dict[str, Any]:
        """Scan (one page): ``FilterExpression=Attr(...)...``; ``Items`` native.

        Raises:
            ClientError: The service refused.
        """
        return self._call("Scan", "scan", kwargs)

    def query_items(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item of a query, page after page (follows ``LastEvaluatedKey``).

        Takes :meth:`query`'s parameters; ``Limit`` is the page size. Pages are fetched as
        the iterator is consumed.
        """
        return self._items("Query", "query", kwargs)

    def scan_items(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item of a scan, page after page (follows ``LastEvaluatedKey``).

        Takes :meth:`scan`'s parameters (``Segment``/``TotalSegments`` for a parallel scan
        worker); ``Limit`` is the page size.
        """
        return self._items("Scan", "scan", kwargs)

    def _prepare(self, operation: str, method: str, kwargs: Mapping[str, Any]
                 ) -> tuple[Callable[[dict[str, Any]], dict[str, Any]], dict[str, Any], Codec]:
        # The wire path when the client allows it (see hub.dynamodb._wire), else the client's
        # own method with low-level values.
        wire = self._wire
        if wire is not None:
            try:
                params = serialize_input(self.name, kwargs, WIRE)
            except UncheckedValueError:
                pass  # the ordinary path's validator reports it exactly
            else:
                return partial(wire, operation), params, WIRE
        client_method = getattr(self.meta.client, method)
        return (lambda p: client_method(**p)), serialize_input(self.name, kwargs), LOW_LEVEL

    def _call(self, operation: str, method: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        call, params, codec = self._prepare(operation, method, kwargs)
        result = call(params)
        if codec is LOW_LEVEL:
            return deserialize_output(result)
        try:
            return deserialize_output(result, WIRE)
        except (TypeError, ValueError, AttributeError) as exc:
            raise malformed(operation, exc) from exc

    def _items(self, operation: str, method: str, kwargs: Mapping[str, Any]
               ) -> Iterator[dict[str, Any]]:
        # Built once: conditions and values serialized here, each page only adds the start key.
        call, params, codec = self._prepare(operation, method, kwargs)
        deserialize_item = codec.deserialize_item
        while True:
            page = call(params)
            for item in page.get("Items", ()):
                try:
                    yield deserialize_item(item)
                except (TypeError, ValueError, AttributeError) as exc:
                    if codec is LOW_LEVEL:
                        raise
                    raise malformed(operation, exc) from exc
            last = page.get("LastEvaluatedKey")
            if not last:
                return
            params = {**params, "ExclusiveStartKey": last}

    # ------------------------------------------------------------------ batches

    def batch_writer(self, overwrite_by_pkeys: Sequence[str] | None = None, **options: Any
                     ) -> BatchWriter:
        """A :class:`~hub.dynamodb.batch.BatchWriter` for this table (thread-safe).

        Args:
            overwrite_by_pkeys: Key attribute names to de-duplicate buffered requests by.
            **options: ``flush_amount``, ``max_retries``, ``backoff_base``, ``backoff_cap``,
                ``sleep`` (see :class:`~hub.dynamodb.batch.BatchWriter`).
        """
        return BatchWriter(self.meta.client, self.name, overwrite_by_pkeys=overwrite_by_pkeys,
                           **options)

    def batch_put(self, items: Iterable[Mapping[str, Any]], *,
                  overwrite_by_pkeys: Sequence[str] | None = None) -> int:
        """Write ``items`` (native) through a batch writer; returns how many were given.

        Raises:
            BatchWriteError, ClientError: As :meth:`BatchWriter.put_item`.
        """
        count = 0
        with self.batch_writer(overwrite_by_pkeys) as writer:
            for item in items:
                writer.put_item(item)
                count += 1
        return count

    def batch_delete(self, keys: Iterable[Mapping[str, Any]]) -> int:
        """Delete the items with ``keys`` (native) in batches; returns how many were given."""
        count = 0
        with self.batch_writer() as writer:
            for key in keys:
                writer.delete_item(key)
                count += 1
        return count

    def batch_get(self, keys: Iterable[Mapping[str, Any]], *, max_retries: int = 10,
                  sleep: Callable[[float], object] = time.sleep, **params: Any
                  ) -> list[dict[str, Any]]:
        """Get the items with ``keys`` (native), 100 keys per BatchGetItem call.

        ``UnprocessedKeys`` are retried with exponential backoff and jitter. Items come back
        in no particular order (DynamoDB's); keys that match no item are simply absent.

        Args:
            keys: The primary keys.
            max_retries: Retries in a row that return nothing before
                :class:`~hub.dynamodb.errors.BatchGetError` is raised.
            sleep: Called to wait between retries.
            **params: ``KeysAndAttributes`` fields: ``ConsistentRead``,
                ``ProjectionExpression``, ``ExpressionAttributeNames``.

        Raises:
            BatchGetError: Keys stayed unprocessed after ``max_retries`` retries.
            ClientError: The service refused.
        """
        return batch_get(self.meta.client, self.name, keys, max_retries=max_retries,
                         sleep=sleep, **params)

    # ------------------------------------------------------------------ table

    def load(self) -> None:
        """Fetch DescribeTable into ``meta.data`` (the lazy attributes read it).

        Raises:
            ClientError: ``ResourceNotFoundException`` when the table does not exist.
        """
        self.meta.data = self.meta.client.describe_table(TableName=self.name)["Table"]

    reload = load

    def delete(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteTable; returns its result."""
        return self.meta.client.delete_table(TableName=self.name, **kwargs)

    def update(self, **kwargs: Any) -> Table:
        """UpdateTable; returns a new ``Table`` loaded with the returned description (boto3)."""
        result = self.meta.client.update_table(TableName=self.name, **kwargs)
        table = Table(self.meta.client, self.name)
        table.meta.data = result.get("TableDescription")
        return table

    def wait_until_exists(self, **kwargs: Any) -> None:
        """Poll DescribeTable until the table is ``ACTIVE`` (boto3's ``table_exists`` waiter).

        Uses the client's ``get_waiter("table_exists")`` when it has one. Afterwards the
        describe attributes are re-read on next access.

        Args:
            **kwargs: ``WaiterConfig={"Delay": seconds, "MaxAttempts": n}`` (defaults 20 s and
                25, as boto3).

        Raises:
            hub.errors.WaiterError: Attempts ran out, or DescribeTable failed with an error
                other than ``ResourceNotFoundException``.
        """
        self._wait("table_exists", kwargs)

    def wait_until_not_exists(self, **kwargs: Any) -> None:
        """Poll DescribeTable until it says ``ResourceNotFoundException`` (``table_not_exists``).

        Args:
            **kwargs: ``WaiterConfig`` as :meth:`wait_until_exists`.

        Raises:
            hub.errors.WaiterError: Attempts ran out, or DescribeTable failed otherwise.
        """
        self._wait("table_not_exists", kwargs)

    def _wait(self, waiter: str, kwargs: Mapping[str, Any]) -> None:
        client = self.meta.client
        get_waiter = getattr(client, "get_waiter", None)
        if get_waiter is not None:
            get_waiter(waiter).wait(TableName=self.name, **kwargs)
        else:
            poll_table(client, self.name, exists=waiter == "table_exists",
                       waiter_config=kwargs.get("WaiterConfig"))
        self.meta.data = None


def poll_table(client: _DynamoDBClient, name: str, *, exists: bool,
               waiter_config: Mapping[str, Any] | None = None,
               sleep: Callable[[float], object] = time.sleep) -> None:
    """boto3's ``table_exists``/``table_not_exists`` waiters, for a client without waiters.

    Args:
        client: Anything with ``describe_table``.
        name: The table.
        exists: Wait for ``ACTIVE`` (True) or for ``ResourceNotFoundException`` (False).
        waiter_config: ``{"Delay": seconds, "MaxAttempts": n}``; defaults 20 s and 25.
        sleep: Called to wait between attempts.

    Raises:
        hub.errors.WaiterError: Attempts ran out, or an unexpected error came back.
    """
    waiter = "TableExists" if exists else "TableNotExists"
    config = dict(waiter_config or {})
    delay = float(config.get("Delay", WAITER_DELAY))
    attempts = int(config.get("MaxAttempts", WAITER_MAX_ATTEMPTS))
    last: Any = None
    for attempt in range(1, attempts + 1):
        try:
            last = client.describe_table(TableName=name)
        except ClientError as exc:
            last = exc.response
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise WaiterError(waiter, f"An error occurred ({exc.response['Error']['Code']})",
                                  last) from exc
            if not exists:
                return
        else:
            if exists and last.get("Table", {}).get("TableStatus") == "ACTIVE":
                return
        if attempt < attempts:
            sleep(delay)
    raise WaiterError(waiter, "Max attempts exceeded", last)


for _attr, _member in DESCRIBE_ATTRIBUTES.items():
    setattr(Table, _attr, _describe_attribute(_attr, _member))
del _attr, _member
