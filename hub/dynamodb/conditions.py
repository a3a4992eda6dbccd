"""Condition builders: ``Key("pk").eq(1) & Attr("n").gt(2)`` -> expression + placeholders.

The same classes, operators and output as ``boto3.dynamodb.conditions``, so code written for
boto3 ports by changing the import::

    from hub.dynamodb.conditions import Attr, Key

    cond = Key("pk").eq("job#1") & Key("sk").begins_with("2024-")
    built = ConditionExpressionBuilder().build_expression(cond, is_key_condition=True)
    built.condition_expression          # '(#n0 = :v0 AND begins_with(#n1, :v1))'
    built.attribute_name_placeholders   # {'#n0': 'pk', '#n1': 'sk'}
    built.attribute_value_placeholders  # {':v0': 'job#1', ':v1': '2024-'}

Every attribute name becomes ``#n<i>`` and every value ``:v<i>``, numbered in the order they
appear, so reserved words (``Attr("name")``, ``Attr("size")``) need no care. Dots and
brackets split a path: ``Attr("a.b[0].c")`` is ``#n0.#n1[0].#n2``.

Operators: ``Key`` has ``eq lt lte gt gte begins_with between``; ``Attr`` adds ``ne is_in
exists not_exists contains size attribute_type``; ``Attr(...).size()`` takes the comparison
methods (``Attr("tags").size().gt(2)``). Combine conditions with ``&``, ``|`` and ``~``.

Errors are boto3's (same class names and messages) and are :class:`hub.errors.HubError`\\ s:
:class:`DynamoDBOperationNotSupportedError` (``&``/``|``/``~`` on something that is not a
condition), :class:`DynamoDBNeedsConditionError` (building from something that is not a
condition) and :class:`DynamoDBNeedsKeyConditionError` (an ``Attr`` in a key condition).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, NamedTuple

from hub.dynamodb.errors import (
    DynamoDBNeedsConditionError,
    DynamoDBNeedsKeyConditionError,
    DynamoDBOperationNotSupportedError,
)

__all__ = [
    "And",
    "Attr",
    "AttributeBase",
    "AttributeExists",
    "AttributeNotExists",
    "AttributeType",
    "BeginsWith",
    "Between",
    "BuiltConditionExpression",
    "ComparisonCondition",
    "ConditionAttributeBase",
    "ConditionBase",
    "ConditionExpressionBuilder",
    "Contains",
    "Equals",
    "GreaterThan",
    "GreaterThanEquals",
    "In",
    "Key",
    "LessThan",
    "LessThanEquals",
    "Not",
    "NotEquals",
    "Or",
    "Size",
]

# A path part is a run of characters that are not ".", "[" or "]" and not inside brackets.
_NAME_PART = re.compile(r"[^.\[\]]+(?![^\[]*\])")


# --------------------------------------------------------------------------- conditions


class ConditionBase:
    """A condition: an operator and its operands (attributes, values or other conditions).

    Combine with ``&`` (:class:`And`), ``|`` (:class:`Or`) and ``~`` (:class:`Not`).
    Two conditions are equal when they are of the same class with equal operands.
    """

    expression_format: ClassVar[str] = ""
    expression_operator: ClassVar[str] = ""
    has_grouped_values: ClassVar[bool] = False

    def __init__(self, *values: Any) -> None:
        self._values = values

    def __and__(self, other: object) -> And:
        if not isinstance(other, ConditionBase):
            raise DynamoDBOperationNotSupportedError("AND", other)
        return And(self, other)

    def __or__(self, other: object) -> Or:
        if not isinstance(other, ConditionBase):
            raise DynamoDBOperationNotSupportedError("OR", other)
        return Or(self, other)

    def __invert__(self) -> Not:
        return Not(self)

    def get_expression(self) -> dict[str, Any]:
        """The parts of this condition: ``{"format", "operator", "values"}`` (boto3's dict)."""
        return {
            "format": self.expression_format,
            "operator": self.expression_operator,
            "values": self._values,
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and self._values == other._values

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # mutable-looking value semantics, as boto3


class AttributeBase:
    """A named attribute (a document path such as ``"a.b[0].c"``) to build conditions on.

    Args:
        name: The attribute name or path.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __and__(self, value: object) -> Any:
        raise DynamoDBOperationNotSupportedError("AND", self)

    def __or__(self, value: object) -> Any:
        raise DynamoDBOperationNotSupportedError("OR", self)

    def __invert__(self) -> Any:
        raise DynamoDBOperationNotSupportedError("NOT", self)

    def eq(self, value: Any) -> Equals:
        """The attribute equals ``value`` (``=``)."""
        return Equals(self, value)

    def lt(self, value: Any) -> LessThan:
        """The attribute is less than ``value`` (``<``)."""
        return LessThan(self, value)

    def lte(self, value: Any) -> LessThanEquals:
        """The attribute is less than or equal to ``value`` (``<=``)."""
        return LessThanEquals(self, value)

    def gt(self, value: Any) -> GreaterThan:
        """The attribute is greater than ``value`` (``>``)."""
        return GreaterThan(self, value)

    def gte(self, value: Any) -> GreaterThanEquals:
        """The attribute is greater than or equal to ``value`` (``>=``)."""
        return GreaterThanEquals(self, value)

    def begins_with(self, value: Any) -> BeginsWith:
        """The attribute (a string or binary) begins with ``value``."""
        return BeginsWith(self, value)

    def between(self, low_value: Any, high_value: Any) -> Between:
        """``low_value <= attribute <= high_value`` (``BETWEEN ... AND ...``)."""
        return Between(self, low_value, high_value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and self.name == other.name

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]


class ConditionAttributeBase(ConditionBase, AttributeBase):
    """A condition that is also compared further, such as :class:`Size` (``size(a) > 2``)."""

    def __init__(self, *values: Any) -> None:
        ConditionBase.__init__(self, *values)
        AttributeBase.__init__(self, values[0].name)

    def __eq__(self, other: object) -> bool:
        return ConditionBase.__eq__(self, other) and AttributeBase.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = None


class ComparisonCondition(ConditionBase):
    """Base of the binary comparisons (``a <op> b``)."""

    expression_format = "{0} {operator} {1}"


class Equals(ComparisonCondition):
    """``a = b``."""

    expression_operator = "="


class NotEquals(ComparisonCondition):
    """``a <> b``."""

    expression_operator = "<>"


class LessThan(ComparisonCondition):
    """``a < b``."""

    expression_operator = "<"


class LessThanEquals(ComparisonCondition):
    """``a <= b``."""

    expression_operator = "<="


class GreaterThan(ComparisonCondition):
    """``a > b``."""

    expression_operator = ">"


class GreaterThanEquals(ComparisonCondition):
    """``a >= b``."""

    expression_operator = ">="


class In(ComparisonCondition):
    """``a IN (v1, v2, ...)``: one placeholder per element of the value."""

    expression_operator = "IN"
    has_grouped_values = True


class Between(ConditionBase):
    """``a BETWEEN low AND high``."""

    expression_operator = "BETWEEN"
    expression_format = "{0} {operator} {1} AND {2}"


class BeginsWith(ConditionBase):
    """``begins_with(a, v)``."""

    expression_operator = "begins_with"
    expression_format = "{operator}({0}, {1})"


class Contains(ConditionBase):
    """``contains(a, v)``."""

    expression_operator = "contains"
    expression_format = "{operator}({0}, {1})"


class Size(ConditionAttributeBase):
    """``size(a)``, to be compared: ``Attr("a").size().gt(2)``."""

    expression_operator = "size"
    expression_format = "{operator}({0})"


class AttributeType(ConditionBase):
    """``attribute_type(a, t)`` (``t`` a DynamoDB type name such as ``"S"``)."""

    expression_operator = "attribute_type"
    expression_format = "{operator}({0}, {1})"


class AttributeExists(ConditionBase):
    """``attribute_exists(a)``."""

    expression_operator = "attribute_exists"
    expression_format = "{operator}({0})"


class AttributeNotExists(ConditionBase):
    """``attribute_not_exists(a)``."""

    expression_operator = "attribute_not_exists"
    expression_format = "{operator}({0})"


class And(ConditionBase):
    """``(x AND y)``."""

    expression_operator = "AND"
    expression_format = "({0} {operator} {1})"


class Or(ConditionBase):
    """``(x OR y)``."""

    expression_operator = "OR"
    expression_format = "({0} {operator} {1})"


class Not(ConditionBase):
    """``(NOT x)``."""

    expression_operator = "NOT"
    expression_format = "({operator} {0})"


class Key(AttributeBase):
    """A key attribute, for key conditions (``query``'s ``KeyConditionExpression``)."""


class Attr(AttributeBase):
    """An item attribute, for filter and condition expressions."""

    def ne(self, value: Any) -> NotEquals:
        """The attribute does not equal ``value`` (``<>``)."""
        return NotEquals(self, value)

    def is_in(self, value: Any) -> In:
        """The attribute equals one of the elements of ``value`` (``IN (...)``)."""
        return In(self, value)

    def exists(self) -> AttributeExists:
        """The attribute exists."""
        return AttributeExists(self)

    def not_exists(self) -> AttributeNotExists:
        """The attribute does not exist."""
        return AttributeNotExists(self)

    def contains(self, value: Any) -> Contains:
        """The attribute (a string, set or list) contains ``value``."""
        return Contains(self, value)

    def size(self) -> Size:
        """The attribute's size, to be compared further (``.size().lte(10)``)."""
        return Size(self)

    def attribute_type(self, value: Any) -> AttributeType:
        """The attribute is of DynamoDB type ``value`` (``"S"``, ``"N"``, ``"M"``, ...)."""
        return AttributeType(self, value)


# --------------------------------------------------------------------------- builder


class BuiltConditionExpression(NamedTuple):
    """A built expression and its placeholders (boto3's namedtuple fields)."""

    #: The expression text, e.g. ``"#n0 = :v0"``.
    condition_expression: str
    #: ``{"#n0": "pk"}``, for ``ExpressionAttributeNames``.
    attribute_name_placeholders: dict[str, str]
    #: ``{":v0": "a"}``: native Python values, to serialize for ``ExpressionAttributeValues``.
    attribute_value_placeholders: dict[str, Any]


class ConditionExpressionBuilder:
    """Builds expressions with ``#n<i>``/``:v<i>`` placeholders (boto3's builder).

    Numbering continues across :meth:`build_expression` calls until :meth:`reset`, so the
    filter and key condition of one request never share a placeholder. Not thread-safe: use
    one builder per request (the table layer does).
    """

    def __init__(self) -> None:
        self._name_count = 0
        self._value_count = 0

    def reset(self) -> None:
        """Restart placeholder numbering at ``#n0``/``:v0``."""
        self._name_count = 0
        self._value_count = 0

    def build_expression(self, condition: ConditionBase, is_key_condition: bool = False
                         ) -> BuiltConditionExpression:
        """Build ``condition`` into an expression string and its placeholder dicts.

        Args:
            condition: A condition from ``Key``/``Attr`` methods.
            is_key_condition: True for a ``KeyConditionExpression`` (only ``Key`` allowed).

        Raises:
            DynamoDBNeedsConditionError: ``condition`` is not a condition.
            DynamoDBNeedsKeyConditionError: A key condition names an ``Attr``.
        """
        if not isinstance(condition, ConditionBase):
            raise DynamoDBNeedsConditionError(condition)
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        text = self._build(condition, names, values, is_key_condition)
        return BuiltConditionExpression(text, names, values)

    def _build(self, condition: ConditionBase, names: dict[str, str], values: dict[str, Any],
               is_key: bool) -> str:
        parts = [
            self._component(v, names, values, condition.has_grouped_values, is_key)
            for v in condition._values
        ]
        return condition.expression_format.format(*parts,
                                                  operator=condition.expression_operator)

    def _component(self, value: Any, names: dict[str, str], values: dict[str, Any],
                   grouped: bool, is_key: bool) -> str:
        if isinstance(value, ConditionBase):
            return self._build(value, names, values, is_key)
        if isinstance(value, AttributeBase):
            if is_key and not isinstance(value, Key):
                raise DynamoDBNeedsKeyConditionError(
                    f"Attribute object {value.name} is of type {type(value)}. "
                    f"KeyConditionExpression only supports Attribute objects "
                    f"of type Key"
                )
            return self._name(value.name, names)
        if grouped:
            return "(" + ", ".join(self._value(v, values) for v in value) + ")"
        return self._value(value, values)

    def _name(self, path: str, names: dict[str, str]) -> str:
        if path and "." not in path and "[" not in path and "]" not in path:
            key = f"#n{self._name_count}"  # a plain name (the usual case): no regex
            self._name_count += 1
            names[key] = path
            return key

        def placeholder(match: re.Match[str]) -> str:
            key = f"#n{self._name_count}"
            self._name_count += 1
            names[key] = match.group(0)
            return key

        return _NAME_PART.sub(placeholder, path)

    def _value(self, value: Any, values: dict[str, Any]) -> str:
        key = f":v{self._value_count}"
        self._value_count += 1
        values[key] = value
        return key
