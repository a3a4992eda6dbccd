"""Immutable, named request handlers: one ``HandlerList`` per phase, grouped in ``Handlers``.

Edits never mutate: they return new lists (structural sharing replaces aws-sdk-go's defensive
``Copy()``), so a snapshot's handlers can be read by any number of threads without a lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from hub._value import HandlerFn, dataclass
from hub.errors import HandlerError

if TYPE_CHECKING:
    from hub._request import Request

#: The request phases, in the order a request runs them (retry phases loop; see Request.send).
PHASES: tuple[str, ...] = (
    "validate",
    "build",
    "sign",
    "send",
    "unmarshal_meta",
    "validate_response",
    "unmarshal",
    "unmarshal_error",
    "retry",
    "after_retry",
    "complete",
)


def _handler_name(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


@dataclass(frozen=True, slots=True)
class NamedHandler:
    """A handler function with a name, so it can be found, removed or swapped later.

    Args:
        name: The handler's name; hub's own handlers use dotted names (``"core.send"``).
        fn: Called with the :class:`~hub.Request`.

    Raises:
        HandlerError: ``fn`` is not callable or ``name`` is empty.
    """

    name: str
    fn: HandlerFn

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise HandlerError(f"handler name must be a non-empty string, got {self.name!r}")
        if not callable(self.fn):
            raise HandlerError(
                f"handler {self.name!r} must be callable, got {type(self.fn).__name__}"
            )


def as_named(handler: NamedHandler | HandlerFn, name: str | None = None) -> NamedHandler:
    """Wrap a callable as a NamedHandler (named after the function unless ``name`` is given)."""
    if isinstance(handler, NamedHandler):
        if name is not None and name != handler.name:
            return NamedHandler(name, handler.fn)
        return handler
    if not callable(handler):
        raise HandlerError(f"a handler must be callable, got {type(handler).__name__}")
    return NamedHandler(name if name is not None else _handler_name(handler), handler)


@dataclass(frozen=True, slots=True)
class HandlerList:
    """An immutable, ordered list of named handlers for one phase.

    Every edit returns a new list; the original is unchanged.
    """

    handlers: tuple[NamedHandler, ...] = ()

    def __len__(self) -> int:
        return len(self.handlers)

    def __iter__(self) -> Iterator[NamedHandler]:
        return iter(self.handlers)

    def __contains__(self, name: object) -> bool:
        return any(h.name == name for h in self.handlers)

    @property
    def names(self) -> tuple[str, ...]:
        """The handler names, in run order."""
        return tuple(h.name for h in self.handlers)

    def push_back(self, handler: NamedHandler | HandlerFn, *, name: str | None = None
                  ) -> HandlerList:
        """Return a new list with ``handler`` appended (named ``name`` or after the function)."""
        return HandlerList((*self.handlers, as_named(handler, name)))

    def push_front(self, handler: NamedHandler | HandlerFn, *, name: str | None = None
                   ) -> HandlerList:
        """Return a new list with ``handler`` first."""
        return HandlerList((as_named(handler, name), *self.handlers))

    def insert_before(self, anchor: str, handler: NamedHandler | HandlerFn, *,
                      name: str | None = None) -> HandlerList:
        """Return a new list with ``handler`` just before the first handler called ``anchor``.

        Raises:
            HandlerError: No handler is called ``anchor``.
        """
        return self._insert(anchor, 0, as_named(handler, name))

    def insert_after(self, anchor: str, handler: NamedHandler | HandlerFn, *,
                     name: str | None = None) -> HandlerList:
        """Return a new list with ``handler`` just after the first handler called ``anchor``.

        Raises:
            HandlerError: No handler is called ``anchor``.
        """
        return self._insert(anchor, 1, as_named(handler, name))

    def _insert(self, anchor: str, offset: int, handler: NamedHandler) -> HandlerList:
        for index, existing in enumerate(self.handlers):
            if existing.name == anchor:
                at = index + offset
                return HandlerList((*self.handlers[:at], handler, *self.handlers[at:]))
        raise HandlerError(self._missing(anchor))

    def remove(self, name: str, *, missing_ok: bool = False) -> HandlerList:
        """Return a new list without the handlers called ``name``.

        Raises:
            HandlerError: No handler has that name and ``missing_ok`` is False.
        """
        kept = tuple(h for h in self.handlers if h.name != name)
        if len(kept) == len(self.handlers) and not missing_ok:
            raise HandlerError(self._missing(name))
        return HandlerList(kept)

    def swap(self, name: str, handler: NamedHandler | HandlerFn) -> HandlerList:
        """Return a new list where each handler called ``name`` is replaced by ``handler``.

        The replacement keeps the name unless ``handler`` is a NamedHandler with its own.

        Raises:
            HandlerError: No handler has that name, or ``handler`` is not callable.
        """
        replacement = handler if isinstance(handler, NamedHandler) else as_named(handler, name)
        if name not in self:
            raise HandlerError(self._missing(name))
        return HandlerList(tuple(replacement if h.name == name else h for h in self.handlers))

    def clear(self) -> HandlerList:
        """Return an empty list."""
        return _EMPTY

    def run(self, request: Request) -> None:
        """Run every handler in order with ``request`` (the Request decides error policy)."""
        for handler in self.handlers:
            handler.fn(request)

    def _missing(self, name: str) -> str:
        known = ", ".join(self.names) or "none"
        return f"no handler named {name!r} (handlers: {known})"


_EMPTY = HandlerList()


@dataclass(frozen=True, slots=True)
class Handlers:
    """One immutable :class:`HandlerList` per request phase (see :data:`PHASES`).

    Edits take the phase name and return a new Handlers; unknown phase names raise
    :class:`~hub.errors.HandlerError`.
    """

    validate: HandlerList = _EMPTY
    build: HandlerList = _EMPTY
    sign: HandlerList = _EMPTY
    send: HandlerList = _EMPTY
    unmarshal_meta: HandlerList = _EMPTY
    validate_response: HandlerList = _EMPTY
    unmarshal: HandlerList = _EMPTY
    unmarshal_error: HandlerList = _EMPTY
    retry: HandlerList = _EMPTY
    after_retry: HandlerList = _EMPTY
    complete: HandlerList = _EMPTY

    def phase(self, phase: str) -> HandlerList:
        """Return the list for ``phase``.

        Raises:
            HandlerError: ``phase`` is not one of :data:`PHASES`.
        """
        check_phase(phase)
        result: HandlerList = getattr(self, phase)
        return result

    def with_phase(self, phase: str, handlers: HandlerList) -> Handlers:
        """Return new Handlers with ``phase`` replaced by ``handlers``."""
        check_phase(phase)
        if not isinstance(handlers, HandlerList):
            raise HandlerError(
                f"phase {phase!r} needs a HandlerList, got {type(handlers).__name__}"
            )
        values = {p: getattr(self, p) for p in PHASES}
        values[phase] = handlers
        return Handlers(**values)

    def push_back(self, phase: str, handler: NamedHandler | HandlerFn, *, name: str | None = None
                  ) -> Handlers:
        """Return new Handlers with ``handler`` appended to ``phase``."""
        return self.with_phase(phase, self.phase(phase).push_back(handler, name=name))

    def push_front(self, phase: str, handler: NamedHandler | HandlerFn, *,
                   name: str | None = None) -> Handlers:
        """Return new Handlers with ``handler`` first in ``phase``."""
        return self.with_phase(phase, self.phase(phase).push_front(handler, name=name))

    def insert_before(self, phase: str, anchor: str, handler: NamedHandler | HandlerFn, *,
                      name: str | None = None) -> Handlers:
        """Return new Handlers with ``handler`` just before ``anchor`` in ``phase``."""
        return self.with_phase(phase, self.phase(phase).insert_before(anchor, handler, name=name))

    def insert_after(self, phase: str, anchor: str, handler: NamedHandler | HandlerFn, *,
                     name: str | None = None) -> Handlers:
        """Return new Handlers with ``handler`` just after ``anchor`` in ``phase``."""
        return self.with_phase(phase, self.phase(phase).insert_after(anchor, handler, name=name))

    def remove(self, phase: str, name: str, *, missing_ok: bool = False) -> Handlers:
        """Return new Handlers without the handlers called ``name`` in ``phase``."""
        return self.with_phase(phase, self.phase(phase).remove(name, missing_ok=missing_ok))

    def swap(self, phase: str, name: str, handler: NamedHandler | HandlerFn) -> Handlers:
        """Return new Handlers with ``name`` in ``phase`` replaced by ``handler``."""
        return self.with_phase(phase, self.phase(phase).swap(name, handler))

    def clear(self, phase: str) -> Handlers:
        """Return new Handlers with ``phase`` emptied."""
        return self.with_phase(phase, _EMPTY)

    def names(self) -> dict[str, tuple[str, ...]]:
        """Every phase's handler names, for display and tests."""
        return {p: getattr(self, p).names for p in PHASES}


def check_phase(phase: object) -> None:
    """Raise HandlerError unless ``phase`` names a request phase."""
    if phase not in PHASES:
        raise HandlerError(f"unknown phase {phase!r}; phases: {', '.join(PHASES)}")
