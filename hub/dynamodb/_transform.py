"""Request/response transforms of the table layer: native values <-> ``AttributeValue`` and
condition objects -> expression text with placeholders.

What boto3's resource layer does by walking every shape of the model, done here by name for
the parameters that carry values (so a call costs a few dict lookups, not a model walk). The
user's dicts are never modified: changed parameters are new objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hub.dynamodb.conditions import ConditionBase, ConditionExpressionBuilder
from hub.dynamodb.types import LOW_LEVEL, WIRE, Codec, UncheckedValueError

__all__ = [
    "CONDITION_PARAMS",
    "build_conditions",
    "deserialize_output",
    "merge_conditions",
    "serialize_input",
]

#: Parameters that take a condition object, in the order boto3 builds them (filters and
#: conditions first, then the key condition), with whether each is a key condition.
CONDITION_PARAMS: tuple[tuple[str, bool], ...] = (
    ("ConditionExpression", False),
    ("FilterExpression", False),
    ("KeyConditionExpression", True),
)


def build_conditions(params: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """Replace condition objects in ``params`` (in place) with their expression text.

    Returns:
        The generated ``#n<i>`` names and ``:v<i>`` values (native values, not serialized);
        both empty when ``params`` held no condition object.

    Raises:
        DynamoDBNeedsKeyConditionError: A key condition names an ``Attr``.
    """
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    builder: ConditionExpressionBuilder | None = None
    for param, is_key in CONDITION_PARAMS:
        cond = params.get(param)
        if isinstance(cond, ConditionBase):
            if builder is None:
                builder = ConditionExpressionBuilder()
            built = builder.build_expression(cond, is_key_condition=is_key)
            params[param] = built.condition_expression
            names.update(built.attribute_name_placeholders)
            values.update(built.attribute_value_placeholders)
    return names, values


def merge_conditions(params: dict[str, Any],
                     serialize: Callable[[Any], Any] | None = None) -> None:
    """Build the condition objects in ``params`` and merge their placeholders (in place).

    The generated names and values are added to ``ExpressionAttributeNames``/
    ``ExpressionAttributeValues`` (new dicts; a generated one wins a clash, as in boto3),
    each generated value passed through ``serialize`` when given.

    Raises:
        DynamoDBNeedsKeyConditionError: A key condition names an ``Attr``.
    """
    names, values = build_conditions(params)
    if names:
        params["ExpressionAttributeNames"] = {**(params.get("ExpressionAttributeNames") or {}),
                                              **names}
    if values:
        if serialize is not None:
            values = {key: serialize(value) for key, value in values.items()}
        params["ExpressionAttributeValues"] = {
            **(params.get("ExpressionAttributeValues") or {}), **values}


def _ser_legacy(conditions: Any, codec: Codec) -> Any:
    # Expected / AttributeUpdates / KeyConditions / QueryFilter / ScanFilter:
    # {name: {"Value": v, "AttributeValueList": [...], ...}}
    if not isinstance(conditions, Mapping):
        return conditions
    serialize = codec.serialize
    out: dict[str, Any] = {}
    for name, cond in conditions.items():
        if isinstance(cond, Mapping):
            cond = dict(cond)
            if "Value" in cond:
                cond["Value"] = serialize(cond["Value"])
            values = cond.get("AttributeValueList")
            if isinstance(values, list):
                cond["AttributeValueList"] = [serialize(v) for v in values]
            elif values is not None and codec is WIRE:
                raise UncheckedValueError  # a tuple would reach the wire unchecked
        out[name] = cond
    return out


def _ser_map(value: Any, codec: Codec) -> Any:
    return codec.serialize_item(value) if isinstance(value, Mapping) else value


#: Parameter name -> how its native value is serialized (ExpressionAttributeValues last, after
#: condition placeholders are merged into it).
_INPUTS: dict[str, Callable[[Any, Codec], Any]] = {
    "Key": _ser_map,
    "Item": _ser_map,
    "ExclusiveStartKey": _ser_map,
    "Expected": _ser_legacy,
    "AttributeUpdates": _ser_legacy,
    "KeyConditions": _ser_legacy,
    "QueryFilter": _ser_legacy,
    "ScanFilter": _ser_legacy,
}


def serialize_input(table_name: str, kwargs: Mapping[str, Any], codec: Codec = LOW_LEVEL
                    ) -> dict[str, Any]:
    """The low-level parameters for a table call with native values.

    ``TableName`` is ``table_name`` unless ``kwargs`` names one (as in boto3, the caller's
    wins). Condition objects become expression text; their placeholders are merged into
    ``ExpressionAttributeNames``/``ExpressionAttributeValues`` (generated ones win a clash, as
    in boto3); every native value is serialized with ``codec``.

    Raises:
        UnsupportedTypeError, NumberError: A value cannot be serialized (boto3's errors).
        DynamoDBNeedsKeyConditionError: A key condition names an ``Attr``.
        UncheckedValueError: (``WIRE`` only) a value the wire form cannot vouch for.
    """
    params: dict[str, Any] = {"TableName": table_name}
    get = _INPUTS.get
    has_condition = False
    for name, value in kwargs.items():
        fn = get(name)
        if fn is not None:
            value = fn(value, codec)
        elif isinstance(value, ConditionBase):
            has_condition = True
        params[name] = value
    if has_condition:
        merge_conditions(params)
    attr_values = params.get("ExpressionAttributeValues")
    if attr_values is not None:
        params["ExpressionAttributeValues"] = _ser_map(attr_values, codec)
    return params


def deserialize_output(result: dict[str, Any], codec: Codec = LOW_LEVEL) -> dict[str, Any]:
    """Deserialize (in place) the items of a single-table result; returns ``result``.

    Converts ``Item``, ``Attributes``, ``Items``, ``LastEvaluatedKey`` and
    ``ItemCollectionMetrics.ItemCollectionKey``.
    """
    deserialize_item = codec.deserialize_item
    for name in ("Item", "Attributes", "LastEvaluatedKey"):
        value = result.get(name)
        if value is not None:
            result[name] = deserialize_item(value)
    items = result.get("Items")
    if items is not None:
        result["Items"] = [deserialize_item(item) for item in items]
    metrics = result.get("ItemCollectionMetrics")
    if metrics and "ItemCollectionKey" in metrics:
        metrics["ItemCollectionKey"] = deserialize_item(metrics["ItemCollectionKey"])
    return result
