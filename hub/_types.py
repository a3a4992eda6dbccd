"""Small shared types: type aliases and the hashable mapping used inside value objects."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub._request import Request

#: A request handler: called with the Request, returns nothing; raises a HubError (or sets
#: ``request.error``) to fail the request.
HandlerFn = Callable[["Request"], None]

#: Operation parameters and parsed results, as boto3 uses them.
Params = dict[str, Any]


class FrozenMap(Mapping[str, str]):
    """An immutable, hashable str->str mapping (value objects must hash by value)."""

    __slots__ = ("_items", "_hash")

    def __init__(self, items: Mapping[str, str]) -> None:
        self._items = dict(items)
        self._hash = hash(frozenset(self._items.items()))

    def __getitem__(self, key: str) -> str:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self._items) == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._items,))
