"""Errors of the table layer, in one place (each is a :class:`hub.errors.HubError`).

::

    HubError
    ├── ParamValidationError (ValueError)
    │   ├── UnsupportedTypeError (TypeError)     a value has no DynamoDB type (float, ...),
    │   │                                        or is Infinity/NaN; boto3's message
    │   └── NumberError                          a number DynamoDB cannot store exactly,
    │       ├── InexactNumberError               also decimal.Inexact    (boto3's error)
    │       ├── RoundedNumberError               also decimal.Rounded
    │       ├── NumberOverflowError              also decimal.Overflow
    │       ├── NumberUnderflowError             also decimal.Underflow
    │       └── ClampedNumberError               also decimal.Clamped
    ├── DynamoDBOperationNotSupportedError (TypeError)  & | ~ on a non-condition (boto3's)
    ├── DynamoDBNeedsConditionError (TypeError)         building from a non-condition
    ├── DynamoDBNeedsKeyConditionError (ValueError)     an Attr in a key condition
    ├── BatchWriteError                      UnprocessedItems outlasted the retries
    └── BatchGetError                        UnprocessedKeys outlasted the retries

The serializer's and the condition builder's errors keep boto3's class names, messages and
(for numbers) the ``decimal`` signal classes boto3 raises, so ported ``except`` clauses work.
"""

from __future__ import annotations

import decimal
from typing import Any, TypeVar

from hub.errors import HubError, ParamValidationError

__all__ = [
    "BatchGetError",
    "BatchWriteError",
    "ClampedNumberError",
    "DynamoDBNeedsConditionError",
    "DynamoDBNeedsKeyConditionError",
    "DynamoDBOperationNotSupportedError",
    "InexactNumberError",
    "NumberError",
    "NumberOverflowError",
    "NumberUnderflowError",
    "RoundedNumberError",
    "UnsupportedTypeError",
]


# --------------------------------------------------------------------------- values


_E = TypeVar("_E", bound=ParamValidationError)


def _plain_error(cls: type[_E], message: Any, problem: str) -> _E:
    # Keep boto3's exact message (args/str) while carrying ParamValidationError's attributes.
    error = cls.__new__(cls)
    HubError.__init__(error, message)
    error.operation = "TypeSerializer"
    error.problems = [problem]
    return error


class UnsupportedTypeError(ParamValidationError, TypeError):
    """A value has no DynamoDB type (``float`` included), or is Infinity/NaN.

    The message is boto3's; ``problems`` names the offending value's type.

    Attributes:
        value: The value that could not be serialized.
    """

    value: Any = None

    def __init__(self, message: str, value: Any = None) -> None:
        HubError.__init__(self, message)
        self.operation = "TypeSerializer"
        self.problems = [f"{message} (value of type {type(value).__name__})"]
        self.value = value


class NumberError(ParamValidationError):
    """A number DynamoDB cannot store exactly. Each subclass is also the ``decimal`` signal
    that boto3 raises for it, with boto3's message (the list of signals).

    Attributes:
        value: The number that could not be stored.
    """

    value: Any = None


class InexactNumberError(NumberError, decimal.Inexact):
    """More than 38 significant digits would be lost (``decimal.Inexact``)."""


class RoundedNumberError(NumberError, decimal.Rounded):
    """The number would be rounded, losing only zeros (``decimal.Rounded``)."""


class NumberOverflowError(NumberError, decimal.Overflow):
    """The exponent is too large for DynamoDB (``decimal.Overflow``)."""


class NumberUnderflowError(NumberError, decimal.Underflow):
    """The exponent is too small for DynamoDB (``decimal.Underflow``)."""


class ClampedNumberError(NumberError, decimal.Clamped):
    """The exponent of a zero is out of DynamoDB's range (``decimal.Clamped``)."""


_SIGNAL_ERRORS: dict[type[ArithmeticError], type[NumberError]] = {
    decimal.Overflow: NumberOverflowError,
    decimal.Underflow: NumberUnderflowError,
    decimal.Inexact: InexactNumberError,
    decimal.Rounded: RoundedNumberError,
    decimal.Clamped: ClampedNumberError,
}


def number_error(exc: ArithmeticError, value: Any) -> NumberError:
    """The :class:`NumberError` for a ``decimal`` signal raised while storing ``value``.

    It is also that signal's class and carries boto3's message (the list of signals); its
    ``problems`` name the value.
    """
    cls = next((c for t, c in _SIGNAL_ERRORS.items() if isinstance(exc, t)), InexactNumberError)
    text = f"number {value!r} cannot be stored exactly by DynamoDB ({type(exc).__name__})"
    # boto3's error is the bare signal: args is the one list of signals raised.
    message = exc.args[0] if len(exc.args) == 1 else str(exc)
    error = _plain_error(cls, message, text)
    error.value = value
    return error


# --------------------------------------------------------------------------- conditions


class DynamoDBOperationNotSupportedError(HubError, TypeError):
    """``&``, ``|`` or ``~`` was applied to something that is not a condition (boto3's error).

    Attributes:
        operation: ``"AND"``, ``"OR"`` or ``"NOT"``.
    """

    def __init__(self, operation: str, value: Any) -> None:
        super().__init__(
            f"{operation} operation cannot be applied to value {value} of type "
            f"{type(value)} directly. Must use AttributeBase object methods "
            f"(i.e. Attr().eq()). to generate ConditionBase instances first."
        )
        self.operation = operation


class DynamoDBNeedsConditionError(HubError, TypeError):
    """An expression was built from something that is not a condition (boto3's error)."""

    def __init__(self, value: Any) -> None:
        super().__init__(
            f"Expecting a ConditionBase object. Got {value} of type {type(value)}. "
            f"Use AttributeBase object methods (i.e. Attr().eq()). to "
            f"generate ConditionBase instances."
        )


class DynamoDBNeedsKeyConditionError(HubError, ValueError):
    """A key condition uses an ``Attr`` (only ``Key`` is allowed there; boto3's error)."""


# --------------------------------------------------------------------------- batches


class BatchWriteError(HubError):
    """DynamoDB kept returning some requests as ``UnprocessedItems`` until retries ran out.

    Attributes:
        table_name: The table written to.
        unprocessed: The write requests (low-level form, ``{"PutRequest": {"Item": ...}}``)
            that were not written; nothing else of the batch is missing.
    """

    def __init__(self, table_name: str, unprocessed: list[dict[str, Any]], retries: int
                 ) -> None:
        super().__init__(
            f"BatchWriteItem on table {table_name!r}: {len(unprocessed)} request(s) still"
            f" unprocessed after {retries} retries without progress"
        )
        self.table_name = table_name
        self.unprocessed = unprocessed


class BatchGetError(HubError):
    """DynamoDB kept returning keys as ``UnprocessedKeys`` until retries ran out.

    Attributes:
        table_name: The table read.
        unprocessed: The keys (low-level form) that were not read.
    """

    def __init__(self, table_name: str, unprocessed: list[dict[str, Any]], retries: int
                 ) -> None:
        super().__init__(
            f"BatchGetItem on table {table_name!r}: {len(unprocessed)} key(s) still"
            f" unprocessed after {retries} retries without progress"
        )
        self.table_name = table_name
        self.unprocessed = unprocessed
