"""JMESPath for paginators and waiters: plain dotted paths here, the rest through ``jmespath``.

Most expressions in service models are dotted member paths (``Table.TableStatus``); those are
evaluated directly, so waiters and paginators work without any extra package. Anything else
(``Contents[-1].Key``, ``length(...)``, filters) needs the ``jmespath`` package (what boto3
uses), installed with ``pip install 'hub[jmespath]'``; without it a
:class:`~hub.errors.MissingDependencyError` names the extra.
"""

from __future__ import annotations

import re
from typing import Any

from hub.errors import MissingDependencyError

__all__ = ["search"]

_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
# Compiled expressions, shared: written with setdefault (two threads compiling the same
# expression both produce equivalent objects), never mutated otherwise.
_COMPILED: dict[str, Any] = {}


def search(expression: str, data: Any) -> Any:
    """Evaluate JMESPath ``expression`` against ``data`` (None where the path is missing).

    Raises:
        MissingDependencyError: The expression is not a dotted path and ``jmespath`` is not
            installed.
    """
    if _DOTTED.match(expression):
        value = data
        for key in expression.split("."):
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value
    compiled = _COMPILED.get(expression)
    if compiled is None:
        try:
            import jmespath  # type: ignore[import-untyped]  # optional, untyped
        except ImportError:
            raise MissingDependencyError(
                f"the JMESPath expression {expression!r}", "jmespath", "jmespath") from None
        compiled = _COMPILED.setdefault(expression, jmespath.compile(expression))
    return compiled.search(data)
