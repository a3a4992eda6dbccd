"""DynamoDB's hand-written behaviour: the table layer's entry point and condition objects.

- ``ClientMixin.Table(name)``: a :class:`hub.dynamodb.Table` (native Python values) on this
  client, as ``boto3.resource("dynamodb").Table(name)``;
- validate ``dynamodb.conditions``: ``Key``/``Attr`` condition objects
  (:mod:`hub.dynamodb.conditions`) are accepted in ``KeyConditionExpression``,
  ``FilterExpression`` and ``ConditionExpression`` (also inside ``TransactWriteItems``), as
  boto3's resource client accepts them. The object becomes expression text with ``#n<i>``/
  ``:v<i>`` placeholders; the generated names and values (serialized to ``AttributeValue``
  form) are merged into ``ExpressionAttributeNames``/``ExpressionAttributeValues``. It runs
  before ``protocol.validate_params``; a request with only strings costs three dict lookups.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from hub._handlers import Handlers, NamedHandler
from hub._request import Request
from hub.services._base import ServiceClient

if TYPE_CHECKING:
    from hub.dynamodb.table import Table as _Table

__all__ = ["ClientMixin", "customize", "expand_conditions"]

_TRANSACT_KINDS = ("ConditionCheck", "Put", "Delete", "Update")
# hub.dynamodb._transform.CONDITION_PARAMS's names (hub.dynamodb loads only when used).
_CONDITION_NAMES = ("ConditionExpression", "FilterExpression", "KeyConditionExpression")


def _has_condition(params: Any) -> bool:
    # On every DynamoDB request: a few dict lookups. A condition object exists only if its
    # module was imported, so a client never imports the table layer for plain strings.
    if not isinstance(params, dict):
        return False
    conditions = sys.modules.get("hub.dynamodb.conditions")
    if conditions is None:
        return False
    base = conditions.ConditionBase
    for name in _CONDITION_NAMES:
        value = params.get(name)
        if value is not None and type(value) is not str and isinstance(value, base):
            return True
    return False


def _expanded(params: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``params`` with condition objects built and their placeholders merged."""
    from hub.dynamodb._transform import merge_conditions
    from hub.dynamodb.types import serialize

    params = dict(params)
    merge_conditions(params, serialize)
    return params


def expand_conditions(request: Request) -> None:
    """Validate handler ``dynamodb.conditions``: build condition objects into expressions."""
    params = request.params
    if _has_condition(params):
        request.params = _expanded(params)
    items = params.get("TransactItems") if request.operation.name == "TransactWriteItems" \
        else None
    if isinstance(items, list) and any(
            isinstance(item, dict) and any(_has_condition(item.get(k)) for k in _TRANSACT_KINDS)
            for item in items):
        # Each transaction item has its own expression attributes: build each separately.
        request.params = {**request.params, "TransactItems": [
            {k: (_expanded(v) if k in _TRANSACT_KINDS and _has_condition(v) else v)
             for k, v in item.items()} if isinstance(item, dict) else item
            for item in items]}


def customize(handlers: Handlers) -> Handlers:
    """Return ``handlers`` plus DynamoDB's own (before the protocol's validation)."""
    return handlers.push_front("validate", NamedHandler("dynamodb.conditions",
                                                        expand_conditions))


class ClientMixin(ServiceClient):
    """DynamoDB client methods that are not API operations."""

    __slots__ = ()

    def Table(self, name: str) -> _Table:
        """The table ``name`` with native Python values (boto3's ``dynamodb.Table``).

        Same as ``hub.dynamodb.Table(client, name)``: cheap (no request is made) and safe to
        share between threads.

        Args:
            name: The table name.
        """
        from hub.dynamodb.table import Table

        return Table(self, name)  # type: ignore[arg-type]
