"""Value classes without the import cost of :mod:`dataclasses`.

``import dataclasses`` pulls in :mod:`inspect` (with ``ast``, ``dis``, ``tokenize``) and each
``@dataclass`` compiles its generated methods with ``exec``: together most of hub's cold start
(about 150 ms of ``import hub`` plus the first client on a slow VM). This module's
:func:`dataclass` takes the same arguments for the subset hub uses (``init``, ``repr``, ``eq``,
``frozen``, ``slots``; :func:`field` with ``default``, ``default_factory``, ``repr``,
``compare``; ``__post_init__``) and builds the methods from closures over the field names,
with nothing compiled at import. A class instantiated often (a request's HTTP request and
response) gets dataclasses' kind of compiled ``__init__`` after its first
``_COMPILE_AFTER`` instances: the generic one costs a few microseconds more per instance.

Unlike :mod:`dataclasses`, a wrong call (an unknown keyword, too many positional arguments, a
required field left out) raises :class:`hub.errors.ArgumentError`, naming the argument and
the closest field, from either ``__init__``. The compiled one keeps that to a single test on
the good path (about 35 ns); only an argument given both positionally and by name is then
Python's own ``TypeError``, which ``ArgumentError`` also is. A class users build themselves
and not in bulk (``Config``, ``TransferConfig``) sets ``_hub_generic_init = True`` and keeps
the generic ``__init__``, so even that mistake is an ``ArgumentError``.

Type checkers see :mod:`dataclasses` itself (the names are re-exported under
``TYPE_CHECKING``), so mypy checks constructors and :func:`replace` exactly as before, and the
classes stay dataclasses for users: ``dataclasses.replace``, ``fields``, ``asdict`` and
``is_dataclass`` work, through a ``__dataclass_fields__`` built (by :mod:`dataclasses`, from the
same annotations) on first access. Frozen instances raise
``dataclasses.FrozenInstanceError``, imported only when one is raised.

It also holds the small shared types (:class:`FrozenMap`, ``HandlerFn``, ``Params``;
:mod:`hub._types` re-exports them): one module fewer to load at ``import hub``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dataclasses import dataclass as dataclass
    from dataclasses import field as field
    from dataclasses import replace as replace

    from hub._request import Request
else:
    from operator import attrgetter

    _MISSING: Any = type("_MISSING", (), {"__repr__": lambda self: "MISSING"})()

    class _Field:
        __slots__ = ("default", "default_factory", "repr", "compare")

        def __init__(self, default: Any, default_factory: Any, repr: bool,
                     compare: bool) -> None:
            self.default = default
            self.default_factory = default_factory
            self.repr = repr
            self.compare = compare

    def field(*, default: Any = _MISSING, default_factory: Any = _MISSING, repr: bool = True,
              compare: bool = True) -> Any:
        """Like :func:`dataclasses.field` (the arguments hub uses)."""
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        return _Field(default, default_factory, repr, compare)

    def replace(obj: Any, /, **changes: Any) -> Any:
        """Like :func:`dataclasses.replace`: a new instance with ``changes`` applied."""
        cls = type(obj)
        for name in cls.__value_fields__:
            if name not in changes:
                changes[name] = getattr(obj, name)
        return cls(**changes)

    def dataclass(cls: Any = None, /, *, init: bool = True, repr: bool = True, eq: bool = True,
                  frozen: bool = False, slots: bool = False) -> Any:
        """Like :func:`dataclasses.dataclass` (the arguments hub uses)."""
        def wrap(cls: Any) -> Any:
            return _process(cls, init, repr, eq, frozen, slots)
        return wrap if cls is None else wrap(cls)

    def _is_classvar(annotation: Any) -> bool:
        if isinstance(annotation, str):  # `from __future__ import annotations`
            return annotation.startswith(("ClassVar", "typing.ClassVar"))
        import typing
        return annotation is typing.ClassVar or \
            getattr(annotation, "__origin__", None) is typing.ClassVar

    def _process(cls: Any, init: bool, repr_: bool, eq: bool, frozen: bool,
                 slots: bool) -> Any:
        body = dict(cls.__dict__)
        owner: list[Any] = []  # the class made here (a slots class is a new one)
        annotations = body.get("__annotations__", {})
        names: list[str] = []
        specs: dict[str, _Field] = {}
        for name, annotation in annotations.items():
            if _is_classvar(annotation):
                continue
            value = body.get(name, _MISSING)
            spec = value if isinstance(value, _Field) else _Field(value, _MISSING, True, True)
            names.append(name)
            specs[name] = spec
            if slots or isinstance(value, _Field):
                body.pop(name, None)
            if not slots and spec.default is not _MISSING:
                body[name] = spec.default  # a plain class keeps defaults as class attributes
        fields = tuple(names)
        compared = tuple(n for n in fields if specs[n].compare)
        shown = tuple(n for n in fields if specs[n].repr)
        body["__value_fields__"] = fields
        body["__match_args__"] = fields
        body["__dataclass_fields__"] = _LazyFields(annotations, specs)
        if init and "__init__" not in body:
            body["__init__"] = _make_init(owner, cls.__qualname__, fields, specs, frozen,
                                          "__post_init__" in body,
                                          not body.get("_hub_generic_init", False))
        if repr_ and "__repr__" not in body:
            body["__repr__"] = _make_repr(shown)
        if eq and "__eq__" not in body:
            body["__eq__"] = _make_eq(compared)
        explicit_hash = "__hash__" in cls.__dict__ and not (
            cls.__dict__["__hash__"] is None and "__eq__" in cls.__dict__)
        if not explicit_hash and eq:
            body["__hash__"] = _make_hash(compared) if frozen else None
        if frozen:
            body["__setattr__"] = _make_frozen_setattr(owner, fields)
            body["__delattr__"] = _make_frozen_delattr(owner, fields)
        if slots:
            body["__slots__"] = fields
            body.pop("__dict__", None)
            body.pop("__weakref__", None)
            body["__getstate__"] = _make_getstate(fields)
            body["__setstate__"] = _make_setstate(fields)
            new = type(cls)(cls.__name__, cls.__bases__, body)
            new.__qualname__ = cls.__qualname__
            owner.append(new)
            return new
        for key, value in body.items():
            if key not in cls.__dict__ or cls.__dict__[key] is not value:
                type.__setattr__(cls, key, value)
        for name in fields:
            if specs[name].default is _MISSING and name in cls.__dict__:
                type.__delattr__(cls, name)
        owner.append(cls)
        return cls

    def _argument_error(owner: str, fields: tuple[str, ...], *, args: int = 0,
                        twice: str | None = None, missing: str | None = None,
                        unknown: str | None = None,
                        hints: Mapping[str, str] | None = None) -> Exception:
        # Only on a wrong call: hub.errors (and difflib, for a suggestion) load then.
        from hub.errors import ArgumentError

        owner = owner.rsplit(".", 1)[-1]  # the class's name, not build.<locals>.Point
        if unknown is not None:
            import difflib

            shown = unknown if len(unknown) <= 64 else unknown[:64] + "..."
            close = difflib.get_close_matches(unknown, fields, n=1)
            if hints and unknown in hints:  # a name from another library: what it is here
                hint = f"; use {hints[unknown]}"
            elif close:
                hint = f" (did you mean {close[0]!r}?)"
            else:
                hint = f"; it takes {', '.join(fields)}"
            return ArgumentError(f"{owner} got an unexpected keyword argument {shown!r}{hint}",
                                 field=shown, owner=owner)
        if missing is not None:
            return ArgumentError(f"{owner} is missing the required argument {missing!r}",
                                 field=missing, owner=owner)
        if twice is not None:
            return ArgumentError(f"{owner} got two values for {twice!r}"
                                 " (one positional, one by name)", field=twice, owner=owner)
        return ArgumentError(f"{owner} takes at most {len(fields)} positional arguments"
                             f" ({', '.join(fields)}), got {args}", field=None, owner=owner)

    def _reject(owner: str, fields: tuple[str, ...], extra: int, unknown: str | None,
                required: tuple[str, ...], missing: tuple[bool, ...]) -> Exception:
        # The compiled __init__'s way to the generic one's errors; it gets names and counts
        # only, never the values.
        if extra:
            return _argument_error(owner, fields, args=len(fields) + extra)
        if unknown is not None:
            return _argument_error(owner, fields, unknown=unknown)
        return _argument_error(owner, fields,
                               missing=next(n for n, gone in zip(required, missing, strict=True)
                                            if gone))

    # Instances made with the generic __init__ before compiling one: more than building a
    # client makes of any class (Handlers, NamedHandler), whose compiles cost ~0.7 ms there.
    _COMPILE_AFTER = 64

    def _make_init(owner: list[Any], qualname: str, fields: tuple[str, ...],
                   specs: dict[str, _Field], frozen: bool, post_init: bool,
                   compiles: bool) -> Any:
        setter = object.__setattr__
        count = len(fields)
        defaults = {n: s.default for n, s in specs.items() if s.default is not _MISSING}
        factories = {n: s.default_factory for n, s in specs.items()
                     if s.default_factory is not _MISSING}
        made = [0 if compiles else -(1 << 62)]  # never reaches _COMPILE_AFTER

        def bind(self: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Exception | None:
            # Sets the fields; a wrong call gets its error back (returned, not raised, so that
            # this frame and its values are gone when __init__ raises it).
            if len(args) > count:
                return _argument_error(qualname, fields, args=len(args))
            for name, value in zip(fields, args, strict=False):
                if name in kwargs:
                    return _argument_error(qualname, fields, twice=name)
                setter(self, name, value)
            used = 0
            for name in fields[len(args):]:
                if name in kwargs:
                    value = kwargs[name]
                    used += 1
                elif name in defaults:
                    value = defaults[name]
                elif name in factories:
                    value = factories[name]()
                else:
                    return _argument_error(qualname, fields, missing=name)
                setter(self, name, value)
            if used != len(kwargs):
                return _argument_error(qualname, fields,
                                       unknown=next(k for k in kwargs if k not in fields),
                                       hints=getattr(owner[0], "_hub_argument_hints", None))
            return None

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            made[0] += 1  # racy on purpose: at worst two threads compile the same function
            if made[0] == _COMPILE_AFTER and owner[0].__dict__.get("__init__") is __init__:
                type.__setattr__(owner[0], "__init__",
                                 _compile_init(qualname, fields, specs, frozen, post_init))
            error = bind(self, args, kwargs)
            if error is not None:
                # A value in the wrong place may be a secret (Config(aws_secret_access_key=
                # ...)): not left in a local that a traceback with locals would print. Nor the
                # half-built instance, whose repr would fail on the fields it lacks.
                del self, args, kwargs
                raise error
            if post_init:
                self.__post_init__()

        return __init__

    def _compile_init(qualname: str, fields: tuple[str, ...], specs: dict[str, _Field],
                      frozen: bool, post_init: bool) -> Any:
        # What dataclasses generates (positional-or-keyword parameters with the defaults), but
        # a wrong call raises ArgumentError as the generic __init__ does: surplus arguments
        # land in *extra / **unknown and a required field defaults to a sentinel, so Python's
        # own TypeError is left only for an argument given both positionally and by name.
        namespace: dict[str, Any] = {"__hub_set": object.__setattr__, "__hub_missing": _MISSING,
                                     "__hub_reject": _reject, "__hub_owner": qualname,
                                     "__hub_fields": fields}
        params, lines, required = [], [], []
        for name in fields:
            spec = specs[name]
            if spec.default is not _MISSING:
                namespace[f"__hub_default_{name}"] = spec.default
                params.append(f"{name}=__hub_default_{name}")
            elif spec.default_factory is not _MISSING:
                namespace[f"__hub_factory_{name}"] = spec.default_factory
                params.append(f"{name}=__hub_missing")
                lines.append(f"    if {name} is __hub_missing: {name} = __hub_factory_{name}()")
            else:
                params.append(f"{name}=__hub_missing")
                required.append(name)
        params += ["*__hub_extra", "**__hub_unknown"]
        # One test on the good path; _reject works out which mistake it was.
        wrong = " or ".join(["__hub_extra", "__hub_unknown",
                             *(f"{name} is __hub_missing" for name in required)])
        # The wrong values (and the unbuilt instance, whose repr would fail) are deleted before
        # raising: out of the traceback's locals.
        gone = "".join(f"{n} is __hub_missing, " for n in required)
        lines[:0] = [f"    if {wrong}:",
                     "        __hub_error = __hub_reject(__hub_owner, __hub_fields,"
                     " len(__hub_extra), next(iter(__hub_unknown), None),"
                     f" {tuple(required)!r}, ({gone}))",
                     "        del self, __hub_extra, __hub_unknown",
                     "        raise __hub_error"]
        for name in fields:
            lines.append(f"    __hub_set(self, {name!r}, {name})" if frozen
                         else f"    self.{name} = {name}")
        if post_init:
            lines.append("    self.__post_init__()")
        source = f"def __init__(self, {', '.join(params)}):\n" + "\n".join(lines or ["    pass"])
        exec(source, namespace)
        function = namespace["__init__"]
        function.__qualname__ = f"{qualname}.__init__"
        return function

    def _getter(names: tuple[str, ...]) -> Any:
        if not names:
            return lambda obj: ()
        if len(names) == 1:
            one = attrgetter(names[0])
            return lambda obj: (one(obj),)
        return attrgetter(*names)

    def _make_repr(shown: tuple[str, ...]) -> Any:
        def __repr__(self: Any) -> str:
            items = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
            return f"{type(self).__qualname__}({items})"
        return __repr__

    def _make_eq(compared: tuple[str, ...]) -> Any:
        values = _getter(compared)

        def __eq__(self: Any, other: object) -> Any:
            if other.__class__ is self.__class__:
                return values(self) == values(other)
            return NotImplemented
        return __eq__

    def _make_hash(compared: tuple[str, ...]) -> Any:
        values = _getter(compared)

        def __hash__(self: Any) -> int:
            return hash(values(self))
        return __hash__

    def _frozen_error(name: str) -> Exception:
        from dataclasses import FrozenInstanceError
        return FrozenInstanceError(f"cannot assign to field {name!r}")

    def _make_frozen_setattr(owner: list[Any], fields: tuple[str, ...]) -> Any:
        def __setattr__(self: Any, name: str, value: Any) -> None:
            if type(self) is owner[0] or name in fields:
                raise _frozen_error(name)
            object.__setattr__(self, name, value)
        return __setattr__

    def _make_frozen_delattr(owner: list[Any], fields: tuple[str, ...]) -> Any:
        def __delattr__(self: Any, name: str) -> None:
            if type(self) is owner[0] or name in fields:
                raise _frozen_error(name)
            object.__delattr__(self, name)
        return __delattr__

    def _make_getstate(fields: tuple[str, ...]) -> Any:
        def __getstate__(self: Any) -> list[Any]:
            return [getattr(self, name) for name in fields]
        return __getstate__

    def _make_setstate(fields: tuple[str, ...]) -> Any:
        def __setstate__(self: Any, state: list[Any]) -> None:
            for name, value in zip(fields, state, strict=False):
                object.__setattr__(self, name, value)
        return __setstate__

    class _LazyFields:
        """``__dataclass_fields__``, built by :mod:`dataclasses` when first read."""

        def __init__(self, annotations: dict[str, Any], specs: dict[str, _Field]) -> None:
            self.annotations = annotations
            self.specs = specs

        def __get__(self, obj: Any, cls: Any) -> Any:
            import dataclasses

            made = []
            for name, spec in self.specs.items():
                options: dict[str, Any] = {"repr": spec.repr, "compare": spec.compare}
                if spec.default is not _MISSING:
                    options["default"] = spec.default
                if spec.default_factory is not _MISSING:
                    options["default_factory"] = spec.default_factory
                made.append((name, self.annotations[name], dataclasses.field(**options)))
            shadow = dataclasses.make_dataclass(cls.__name__, made)
            fields = shadow.__dataclass_fields__
            type.__setattr__(cls, "__dataclass_fields__", fields)
            return fields


def field_names(cls: type) -> tuple[str, ...]:
    """The field names of a class made by :func:`dataclass`, in declaration order."""
    return cls.__value_fields__  # type: ignore[attr-defined,no-any-return]


# Small shared types (see the module docstring).

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
