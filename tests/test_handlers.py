"""Handlers: immutable named lists per phase; bad edits raise HandlerError."""

from __future__ import annotations

import pytest

from hub import PHASES, HandlerList, Handlers, NamedHandler, default_handlers
from hub.errors import HandlerError


def one(request: object) -> None:
    """A handler."""


def two(request: object) -> None:
    """Another handler."""


def test_edits_return_new_lists_and_leave_the_original() -> None:
    empty = HandlerList()
    a = empty.push_back(one, name="one")
    b = a.push_front(two, name="two")
    assert empty.names == ()
    assert a.names == ("one",)
    assert b.names == ("two", "one")
    c = b.swap("one", two)
    assert c.names == ("two", "one") and c.handlers[1].fn is two
    assert b.handlers[1].fn is one
    assert c.remove("two").names == ("one",)
    assert c.clear().names == ()


def test_default_names_come_from_the_function() -> None:
    assert HandlerList().push_back(one).names == ("one",)


def test_missing_and_bad_handlers_raise() -> None:
    handlers = HandlerList().push_back(one, name="one")
    with pytest.raises(HandlerError, match="no handler named 'nope'.*one"):
        handlers.remove("nope")
    assert handlers.remove("nope", missing_ok=True) == handlers
    with pytest.raises(HandlerError, match="no handler named"):
        handlers.swap("nope", two)
    with pytest.raises(HandlerError, match="callable"):
        handlers.push_back(42)  # type: ignore[arg-type]
    with pytest.raises(HandlerError, match="name"):
        NamedHandler("", one)


def test_handlers_per_phase() -> None:
    handlers = Handlers().push_back("build", one).push_front("send", two, name="s")
    assert handlers.phase("build").names == ("one",)
    assert handlers.phase("send").names == ("s",)
    assert Handlers().phase("build").names == ()
    assert handlers.clear("build").phase("build").names == ()
    assert set(handlers.names()) == set(PHASES)


@pytest.mark.parametrize("phase", ["Build", "sending", "", None, 3])
def test_unknown_phases_are_rejected(phase: object) -> None:
    with pytest.raises(HandlerError, match="unknown phase"):
        Handlers().push_back(phase, one)  # type: ignore[arg-type]


def test_default_handlers_are_named_core() -> None:
    names = default_handlers().names()
    assert names["send"] == ("core.send",)
    assert names["sign"] == ("core.sigv4",)
    assert all(n.startswith("core.") for phase in names.values() for n in phase)


def test_insert_before_and_after_a_named_handler() -> None:
    handlers = HandlerList().push_back(one, name="a").push_back(one, name="c")
    assert handlers.insert_after("a", two, name="b").names == ("a", "b", "c")
    assert handlers.insert_before("a", two, name="z").names == ("z", "a", "c")
    assert handlers.insert_after("c", two, name="d").names == ("a", "c", "d")
    assert handlers.names == ("a", "c")
    with pytest.raises(HandlerError, match="no handler named 'x'"):
        handlers.insert_after("x", two)
    phases = Handlers().push_back("build", one, name="a").insert_after("build", "a", two)
    assert phases.phase("build").names == ("a", "two")
