"""Compatibility name for :mod:`hub.dynamodb.types` (Python values <-> ``AttributeValue``).

Everything here is re-exported from :mod:`hub.dynamodb.types`, the one implementation; new
code imports from there (or from :mod:`hub.dynamodb`).
"""

from __future__ import annotations

from hub.dynamodb.types import (
    DYNAMODB_CONTEXT,
    Binary,
    NumberError,
    TypeDeserializer,
    TypeSerializer,
    UnsupportedTypeError,
)

__all__ = [
    "DYNAMODB_CONTEXT",
    "Binary",
    "NumberError",
    "TypeDeserializer",
    "TypeSerializer",
    "UnsupportedTypeError",
]
