"""Small shared types: type aliases and the hashable mapping used inside value objects.

Defined in :mod:`hub._value` (one module fewer at ``import hub``); import them from there.
"""

from hub._value import FrozenMap as FrozenMap
from hub._value import HandlerFn as HandlerFn
from hub._value import Params as Params

__all__ = ["FrozenMap", "HandlerFn", "Params"]
