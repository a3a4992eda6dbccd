"""The DynamoDB client (AWS JSON 1.0): boto3's method names, parameters, results and errors.

Items use DynamoDB's typed JSON (``{"pk": {"S": "a"}}``), as with boto3's low-level client;
:mod:`hub.services.dynamodb_types` converts to and from plain Python values::

    ddb = session.client("dynamodb")
    ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "n": {"N": "1"}})

Operation definitions are the generated model (:mod:`hub.services._dynamodb_model`).
"""

from __future__ import annotations

from typing import Any

from hub.services._base import ServiceClient, python_names
from hub.services._dynamodb_model import SERVICE_MODEL

__all__ = ["DynamoDBClient"]

_OPS = SERVICE_MODEL.operations


class DynamoDBClient(ServiceClient):
    """Amazon DynamoDB (and compatible servers: moto, DynamoDB Local).

    Thread-safe and one slot wide: create one per use or share it.
    """

    __slots__ = ()

    _MODEL = SERVICE_MODEL
    _PY_NAMES = python_names(SERVICE_MODEL)

    def create_table(self, **params: Any) -> dict[str, Any]:
        """The CreateTable operation adds a new table to your account.

        Args:
            **params: ``CreateTable`` parameters, as in boto3. Required: TableName.
                Optional: AttributeDefinitions, KeySchema, LocalSecondaryIndexes,
                    GlobalSecondaryIndexes, BillingMode, ProvisionedThroughput,
                    StreamSpecification, SSESpecification, Tags, TableClass, ....

        Returns:
            TableDescription, ResponseMetadata.

        Raises:
            ClientError: The service refused (ResourceInUseException, LimitExceededException,
            InternalServerError).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["CreateTable"], params)

    def describe_table(self, **params: Any) -> dict[str, Any]:
        """Returns information about a table: status, key schema, indexes, .

        Args:
            **params: ``DescribeTable`` parameters, as in boto3. Required: TableName.

        Returns:
            Table, ResponseMetadata.

        Raises:
            ClientError: The service refused (ResourceNotFoundException, InternalServerError).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["DescribeTable"], params)

    def delete_table(self, **params: Any) -> dict[str, Any]:
        """The DeleteTable operation deletes a table and all of its items.

        Args:
            **params: ``DeleteTable`` parameters, as in boto3. Required: TableName.

        Returns:
            TableDescription, ResponseMetadata.

        Raises:
            ClientError: The service refused (ResourceInUseException, ResourceNotFoundException,
            LimitExceededException, InternalServerError).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["DeleteTable"], params)

    def list_tables(self, **params: Any) -> dict[str, Any]:
        """Returns an array of table names associated with the current account and endpoint.

        Paginate with ``get_paginator("list_tables")``.

        Args:
            **params: ``ListTables`` parameters, as in boto3. Required: none.
                Optional: ExclusiveStartTableName, Limit.

        Returns:
            TableNames, LastEvaluatedTableName, ResponseMetadata.

        Raises:
            ClientError: The service refused (InternalServerError).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["ListTables"], params)

    def update_table(self, **params: Any) -> dict[str, Any]:
        """Modifies the provisioned throughput settings, global secondary indexes, or DynamoDB
        Streams settings for a given table.

        Args:
            **params: ``UpdateTable`` parameters, as in boto3. Required: TableName.
                Optional: AttributeDefinitions, BillingMode, ProvisionedThroughput,
                    GlobalSecondaryIndexUpdates, StreamSpecification, SSESpecification,
                    ReplicaUpdates, TableClass, DeletionProtectionEnabled, MultiRegionConsistency,
                    ....

        Returns:
            TableDescription, ResponseMetadata.

        Raises:
            ClientError: The service refused (ResourceInUseException, ResourceNotFoundException,
            LimitExceededException, InternalServerError).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["UpdateTable"], params)

    def put_item(self, **params: Any) -> dict[str, Any]:
        """Creates a new item, or replaces an old item with a new item.

        Args:
            **params: ``PutItem`` parameters, as in boto3. Required: TableName, Item.
                Optional: Expected, ReturnValues, ReturnConsumedCapacity,
                    ReturnItemCollectionMetrics, ConditionalOperator, ConditionExpression,
                    ExpressionAttributeNames, ExpressionAttributeValues,
                    ReturnValuesOnConditionCheckFailure.

        Returns:
            Attributes, ConsumedCapacity, ItemCollectionMetrics, ResponseMetadata.

        Raises:
            ClientError: The service refused (ConditionalCheckFailedException,
            ProvisionedThroughputExceededException, ResourceNotFoundException,
            ItemCollectionSizeLimitExceededException, TransactionConflictException,
            RequestLimitExceeded, InternalServerError, ReplicatedWriteConflictException,
            ThrottlingException).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["PutItem"], params)

    def get_item(self, **params: Any) -> dict[str, Any]:
        """The GetItem operation returns a set of attributes for the item with the given primary
        key.

        Args:
            **params: ``GetItem`` parameters, as in boto3. Required: TableName, Key.
                Optional: AttributesToGet, ConsistentRead, ReturnConsumedCapacity,
                    ProjectionExpression, ExpressionAttributeNames.

        Returns:
            Item, ConsumedCapacity, ResponseMetadata.

        Raises:
            ClientError: The service refused (ProvisionedThroughputExceededException,
            ResourceNotFoundException, RequestLimitExceeded, InternalServerError,
            ThrottlingException).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["GetItem"], params)

    def update_item(self, **params: Any) -> dict[str, Any]:
        """Edits an existing item's attributes, or adds a new item to the table if it does not
        already exist.

        Args:
            **params: ``UpdateItem`` parameters, as in boto3. Required: TableName, Key.
                Optional: AttributeUpdates, Expected, ConditionalOperator, ReturnValues,
                    ReturnConsumedCapacity, ReturnItemCollectionMetrics, UpdateExpression,
                    ConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues, ....

        Returns:
            Attributes, ConsumedCapacity, ItemCollectionMetrics, ResponseMetadata.

        Raises:
            ClientError: The service refused (ConditionalCheckFailedException,
            ProvisionedThroughputExceededException, ResourceNotFoundException,
            ItemCollectionSizeLimitExceededException, TransactionConflictException,
            RequestLimitExceeded, InternalServerError, ReplicatedWriteConflictException,
            ThrottlingException).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["UpdateItem"], params)

    def delete_item(self, **params: Any) -> dict[str, Any]:
        """Deletes a single item in a table by primary key.

        Args:
            **params: ``DeleteItem`` parameters, as in boto3. Required: TableName, Key.
                Optional: Expected, ConditionalOperator, ReturnValues, ReturnConsumedCapacity,
                    ReturnItemCollectionMetrics, ConditionExpression, ExpressionAttributeNames,
                    ExpressionAttributeValues, ReturnValuesOnConditionCheckFailure.

        Returns:
            Attributes, ConsumedCapacity, ItemCollectionMetrics, ResponseMetadata.

        Raises:
            ClientError: The service refused (ConditionalCheckFailedException,
            ProvisionedThroughputExceededException, ResourceNotFoundException,
            ItemCollectionSizeLimitExceededException, TransactionConflictException,
            RequestLimitExceeded, InternalServerError, ReplicatedWriteConflictException,
            ThrottlingException).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["DeleteItem"], params)

    def query(self, **params: Any) -> dict[str, Any]:
        """Finds items by primary key in a table or secondary index.

        Paginate with ``get_paginator("query")``.

        Args:
            **params: ``Query`` parameters, as in boto3. Required: TableName.
                Optional: IndexName, Select, AttributesToGet, Limit, ConsistentRead, KeyConditions,
                    QueryFilter, ConditionalOperator, ScanIndexForward, ExclusiveStartKey, ....

        Returns:
            Items, Count, ScannedCount, LastEvaluatedKey, ConsumedCapacity, ResponseMetadata.

        Raises:
            ClientError: The service refused (ProvisionedThroughputExceededException,
            ResourceNotFoundException, RequestLimitExceeded, InternalServerError,
            ThrottlingException).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["Query"], params)

    def scan(self, **params: Any) -> dict[str, Any]:
        """The Scan operation returns one or more items and item attributes by accessing every item
        in a table or a secondary index.

        Paginate with ``get_paginator("scan")``.

        Args:
            **params: ``Scan`` parameters, as in boto3. Required: TableName.
                Optional: IndexName, AttributesToGet, Limit, Select, ScanFilter,
                    ConditionalOperator, ExclusiveStartKey, ReturnConsumedCapacity, TotalSegments,
                    Segment, ....

        Returns:
            Items, Count, ScannedCount, LastEvaluatedKey, ConsumedCapacity, ResponseMetadata.

        Raises:
            ClientError: The service refused (ProvisionedThroughputExceededException,
            ResourceNotFoundException, RequestLimitExceeded, InternalServerError,
            ThrottlingException).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["Scan"], params)

    def batch_write_item(self, **params: Any) -> dict[str, Any]:
        """The BatchWriteItem operation puts or deletes multiple items in one or more tables.

        Args:
            **params: ``BatchWriteItem`` parameters, as in boto3. Required: RequestItems.
                Optional: ReturnConsumedCapacity, ReturnItemCollectionMetrics.

        Returns:
            UnprocessedItems, ItemCollectionMetrics, ConsumedCapacity, ResponseMetadata.

        Raises:
            ClientError: The service refused (ProvisionedThroughputExceededException,
            ResourceNotFoundException, ItemCollectionSizeLimitExceededException,
            RequestLimitExceeded, InternalServerError, ReplicatedWriteConflictException,
            ThrottlingException).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["BatchWriteItem"], params)

    def batch_get_item(self, **params: Any) -> dict[str, Any]:
        """The BatchGetItem operation returns the attributes of one or more items from one or more
        tables.

        Args:
            **params: ``BatchGetItem`` parameters, as in boto3. Required: RequestItems.
                Optional: ReturnConsumedCapacity.

        Returns:
            Responses, UnprocessedKeys, ConsumedCapacity, ResponseMetadata.

        Raises:
            ClientError: The service refused (ProvisionedThroughputExceededException,
            ResourceNotFoundException, RequestLimitExceeded, InternalServerError,
            ThrottlingException).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["BatchGetItem"], params)

    def transact_write_items(self, **params: Any) -> dict[str, Any]:
        """TransactWriteItems is a synchronous write operation that groups up to 100 action
        requests.

        Args:
            **params: ``TransactWriteItems`` parameters, as in boto3. Required: TransactItems.
                Optional: ReturnConsumedCapacity, ReturnItemCollectionMetrics, ClientRequestToken.

        Returns:
            ConsumedCapacity, ItemCollectionMetrics, ResponseMetadata.

        Raises:
            ClientError: The service refused (ResourceNotFoundException,
            TransactionCanceledException, TransactionInProgressException,
            IdempotentParameterMismatchException, ProvisionedThroughputExceededException,
            RequestLimitExceeded, InternalServerError, ThrottlingException).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["TransactWriteItems"], params)

    def transact_get_items(self, **params: Any) -> dict[str, Any]:
        """Atomically reads up to 100 items from one or more tables.

        Args:
            **params: ``TransactGetItems`` parameters, as in boto3. Required: TransactItems.
                Optional: ReturnConsumedCapacity.

        Returns:
            ConsumedCapacity, Responses, ResponseMetadata.

        Raises:
            ClientError: The service refused (ResourceNotFoundException,
            TransactionCanceledException, ProvisionedThroughputExceededException,
            RequestLimitExceeded, InternalServerError, ThrottlingException).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["TransactGetItems"], params)
