"""Subscribers (s3transfer's ``BaseSubscriber``): ``on_queued``, ``on_progress`` and
``on_done`` hooks on transfers submitted to a ``TransferManager``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from hub.errors import ParamValidationError

__all__ = ["BaseSubscriber", "Hooks", "subscriber_hooks"]

_KINDS = ("queued", "progress", "done")
_CALLBACK_HINT = " (a progress function goes in callback=)"  # for a function given instead


class BaseSubscriber:
    """A base for subscribers, as s3transfer's ``BaseSubscriber``: override the hooks.

    Every hook is called with keyword arguments and must accept ``**kwargs`` (checked when a
    subclass is instantiated), so that new arguments can be added later:

    - ``on_queued(future=...)``: the transfer was submitted; runs on a worker before its first
      request. ``future.meta.provide_object_etag(etag)`` pins a download to that version. An
      exception here fails the transfer before anything is sent.
    - ``on_progress(future=..., bytes_transferred=...)``: bytes moved, as the ``callback``
      gets them (serialized per transfer). An exception here fails the transfer.
    - ``on_done(future=...)``: the transfer ended (succeeded, failed or was cancelled, and
      cleaned up); ``future.result()`` tells which. An exception here is logged and ignored.

    Any object with one or more of these methods can be a subscriber; subclassing only adds
    the check.

    Raises:
        ParamValidationError: On instantiation, a hook that is not callable or does not accept
            ``**kwargs``.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> BaseSubscriber:
        _check_hooks(cls)
        return super().__new__(cls)

    def on_queued(self, future: Any, **kwargs: Any) -> None:
        """The transfer was submitted (before its first request)."""

    def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
        """``bytes_transferred`` more bytes moved."""

    def on_done(self, future: Any, **kwargs: Any) -> None:
        """The transfer ended; ``future.result()`` returns or raises."""


_CHECKED: set[type] = set()  # classes whose hooks passed (a failed check raises every time)


def _check_hooks(cls: type) -> None:
    if cls in _CHECKED:
        return
    for kind in _KINDS:
        name = "on_" + kind
        method = getattr(cls, name, None)
        if not callable(method):
            raise ParamValidationError(cls.__name__, [f"{name} must be callable"])
        try:
            params = inspect.signature(method).parameters.values()
        except (TypeError, ValueError):  # no signature to read (a builtin): trust it
            continue
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
            raise ParamValidationError(cls.__name__, [
                f"{name} must accept keyword arguments (**kwargs)"])
    _CHECKED.add(cls)


#: One transfer's bound hooks: (on_queued, on_progress, on_done) methods.
Hooks = tuple[list[Callable[..., Any]], list[Callable[..., Any]], list[Callable[..., Any]]]


def subscriber_hooks(operation: str, subscribers: object) -> tuple[list[Any], Hooks]:
    """``subscribers`` (None, or a list of subscriber objects) as a list, and their hooks.

    Raises:
        ParamValidationError: ``subscribers`` is not a list of objects with at least one
            callable hook, or a hook is not callable.
    """
    hooks: Hooks = ([], [], [])
    if subscribers is None:
        return [], hooks
    if isinstance(subscribers, (str, bytes)) or not isinstance(subscribers, Iterable):
        hint = _CALLBACK_HINT if callable(subscribers) else ""
        raise ParamValidationError(operation, [
            "subscribers must be a list of subscriber objects (with on_queued, on_progress "
            f"and/or on_done), got {type(subscribers).__name__}{hint}"])
    listed = list(subscribers)  # once: a generator would be empty the second time
    for i, subscriber in enumerate(listed):
        found = [getattr(subscriber, "on_" + kind, None) for kind in _KINDS]
        if all(method is None for method in found):
            hint = _CALLBACK_HINT if callable(subscriber) else ""
            raise ParamValidationError(operation, [
                f"subscribers[{i}] ({type(subscriber).__name__}) has none of on_queued, "
                f"on_progress, on_done{hint}"])
        for kind, method, bucket in zip(_KINDS, found, hooks, strict=True):
            if method is None:
                continue
            if not callable(method):
                raise ParamValidationError(operation, [
                    f"subscribers[{i}].on_{kind} must be callable, got "
                    f"{type(method).__name__}"])
            bucket.append(method)
    return listed, hooks
