"""The public API: __all__ is complete, names show as hub.X, everything public is documented."""

from __future__ import annotations

import inspect

import hub
import hub.errors


def test_all_lists_every_public_name() -> None:
    public = {name for name in dir(hub) if not name.startswith("_")}
    modules = {name for name in public if inspect.ismodule(getattr(hub, name))}
    assert set(hub.__all__) == (public - modules) | {"errors", "__version__"}


def test_public_classes_show_as_hub_names() -> None:
    for name in hub.__all__:
        obj = getattr(hub, name)
        if inspect.isclass(obj):
            assert obj.__module__ in ("hub", "hub.credentials"), name


def test_everything_public_has_a_docstring() -> None:
    missing = []
    for name in hub.__all__:
        obj = getattr(hub, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            if not inspect.getdoc(obj):
                missing.append(name)
            for attr, member in vars(obj).items() if inspect.isclass(obj) else ():
                if attr.startswith("_") or not (inspect.isfunction(member)
                                                or isinstance(member, property)):
                    continue
                if not inspect.getdoc(member):
                    missing.append(f"{name}.{attr}")
    assert missing == []


def test_error_tree_is_rooted_at_huberror() -> None:
    for name in hub.errors.__all__:
        assert issubclass(getattr(hub.errors, name), hub.errors.HubError)
