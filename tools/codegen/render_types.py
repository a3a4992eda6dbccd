"""Render ``hub/services/<pkg>/types.pyi``: TypedDicts for every operation's input and output.

Only type checkers and IDEs read this file (there is no ``types.py``): it costs nothing at
runtime. A structure reached from an input gets the *input* flavour (``<Name>TypeDef``:
sequences, mappings, ``datetime | str`` timestamps, bytes-like or file-like blobs); reached from
an output, the *output* flavour (lists, dicts, ``datetime``, ``bytes``, ``StreamingBody``). When
both flavours of a structure are the same type, one TypedDict serves both; otherwise the output
one is ``<Name>OutputTypeDef``.

A string shape with an ``enum`` is a ``Literal`` alias, ``<Name>Type`` (boto3-stubs' names), in
both flavours; the runtime still sends any string, as botocore does. ``config.INPUT_TYPES``
widens a few input members to what the service's customizations accept at runtime
(DynamoDB's condition objects).
"""

from __future__ import annotations

import json
import keyword
from typing import Any

import config
from loader import ServiceData

import docs

_SCALARS = {"string": "str", "boolean": "bool", "integer": "int", "long": "int",
            "float": "float", "double": "float", "bigdecimal": "float", "biginteger": "int"}


class TypeNames:
    """Decides, once per service, which TypedDicts exist and what they are called."""

    def __init__(self, model: dict[str, Any],
                 input_types: dict[str, str] | None = None) -> None:
        self.shapes: dict[str, Any] = model["shapes"]
        # Shape name -> its input annotation, where a customization accepts more than the
        # model says. Names never depend on it (render_client builds TypeNames without it).
        self.input_types = input_types or {}
        self.literals: dict[str, str] = {}  # alias name -> shape name
        ops = model["operations"].values()
        self.inputs = self._reach([op["input"]["shape"] for op in ops if "input" in op])
        self.outputs = self._reach([op["output"]["shape"] for op in ops if "output" in op])
        self._variant: dict[str, bool] = {}
        names: dict[str, str] = {}
        for shape in sorted(self.inputs | self.outputs):
            if self.shapes[shape]["type"] != "structure" or self._is_document(shape):
                continue
            for flavour in ("in", "out"):
                if shape in (self.inputs if flavour == "in" else self.outputs):
                    name = self.typedef(shape, flavour)
                    other = names.setdefault(name, f"{shape}/{flavour}")
                    if other.split("/")[0] != shape:
                        raise SystemExit(f"TypedDict name clash: {name} ({other}, {shape})")

    def _reach(self, roots: list[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(roots)
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            shape = self.shapes[name]
            refs = list(shape.get("members", {}).values())
            refs += [shape[k] for k in ("member", "key", "value") if k in shape]
            stack.extend(ref["shape"] for ref in refs)
        return seen

    def _is_document(self, name: str) -> bool:
        return bool(self.shapes[name].get("document"))

    def variant(self, name: str) -> bool:
        """True when the input and output flavours of ``name`` differ."""
        if name not in self._variant:
            self._variant[name] = False  # cycles: assume no difference through the cycle
            shape = self.shapes[name]
            kind = shape["type"]
            if kind in ("list", "map", "timestamp", "blob") or shape.get("document"):
                result = True
            else:
                refs = list(shape.get("members", {}).values())
                result = any(self.variant(ref["shape"]) for ref in refs)
            self._variant[name] = result
        return self._variant[name]

    def typedef(self, shape: str, flavour: str) -> str:
        """The TypedDict name of structure ``shape`` in ``flavour`` ("in" or "out")."""
        base = shape[0].upper() + shape[1:]
        if flavour == "out" and shape in self.inputs and self.variant(shape):
            return f"{base}OutputTypeDef"
        return f"{base}TypeDef"

    def literal(self, shape: str) -> str:
        """The ``Literal`` alias of enum string ``shape`` (``<Name>Type``)."""
        alias = shape[0].upper() + shape[1:] + "Type"
        other = self.literals.setdefault(alias, shape)
        if other != shape:
            raise SystemExit(f"Literal alias name clash: {alias} ({other}, {shape})")
        return alias

    def literal_lines(self) -> list[str]:
        """The ``Literal`` aliases used so far, sorted."""
        lines = []
        for alias, shape in sorted(self.literals.items()):
            values = ", ".join(json.dumps(v) for v in self.shapes[shape]["enum"])
            lines.append(f"{alias} = Literal[{values}]")
        return lines

    def annotation(self, ref: dict[str, Any], flavour: str) -> str:
        """The type of a member reference in ``flavour``."""
        name = ref["shape"]
        shape = self.shapes[name]
        kind = shape["type"]
        streaming = bool(ref.get("streaming") or shape.get("streaming"))
        if flavour == "in" and name in self.input_types:
            return self.input_types[name]
        if kind in _SCALARS:
            if kind == "string" and streaming and flavour == "out":
                return "StreamingBody"
            if kind == "string" and shape.get("enum"):
                return self.literal(name)
            return _SCALARS[kind]
        if kind == "timestamp":
            return "TimestampTypeDef" if flavour == "in" else "datetime"
        if kind == "blob":
            if flavour == "out":
                return "StreamingBody" if streaming else "bytes"
            return "StreamingBlobTypeDef" if streaming else "BlobTypeDef"
        if kind == "list":
            item = self.annotation(shape["member"], flavour)
            return f"Sequence[{item}]" if flavour == "in" else f"list[{item}]"
        if kind == "map":
            key = self.annotation(shape["key"], flavour)
            value = self.annotation(shape["value"], flavour)
            return f"Mapping[{key}, {value}]" if flavour == "in" else f"dict[{key}, {value}]"
        if kind == "structure":
            if shape.get("eventstream") and flavour == "out":
                return "EventStreamTypeDef"  # an output event stream: iterate it for events
            if shape.get("document") or shape.get("eventstream"):
                return "Any"
            return self.typedef(name, flavour)
        return "Any"  # document shapes and anything newer than this generator


def _typed_dict(names: TypeNames, shape_name: str, flavour: str, *,
                response: bool = False) -> list[str]:
    shape = names.shapes[shape_name]
    typedef = names.typedef(shape_name, flavour)
    required = set(shape.get("required", ())) if flavour == "in" else set()
    fields = []
    for member, ref in shape.get("members", {}).items():
        annotation = names.annotation(ref, flavour)
        fields.append((member, annotation if member in required else f"NotRequired[{annotation}]"))
    if response:
        fields.append(("ResponseMetadata", "ResponseMetadataTypeDef"))
    doc = docs.first_sentence(shape.get("documentation"), 96)
    if not fields:
        return [f"class {typedef}(TypedDict):", *([f'    """{doc}"""'] if doc else ["    pass"]),
                ""]
    if any(not m.isidentifier() or keyword.iskeyword(m) for m, _ in fields):
        body = ", ".join(f"{m!r}: {a}" for m, a in fields)
        return [f"{typedef} = TypedDict({typedef!r}, {{{body}}})", ""]
    lines = [f"class {typedef}(TypedDict):"]
    if doc:
        lines.append(f'    """{doc}"""')
        lines.append("")
    lines += [f"    {m}: {a}" for m, a in fields]
    return [*lines, ""]


def render(data: ServiceData, header: str) -> str:
    """Return the source of the service's ``types.pyi``."""
    model = data.model
    names = TypeNames(model, config.INPUT_TYPES.get(data.name))
    _check_input_types(names)
    out = [
        header,
        f'"""Parameter and result types of the {model["metadata"].get("serviceId", data.name)}'
        " client (generated; for type checkers only)."
        '"""',
        "",
        "from collections.abc import Iterable, Mapping, Sequence",
        "from datetime import datetime",
        "from typing import IO, Any, Literal",
        "",
        "from typing_extensions import NotRequired, TypedDict",
        "",
        *sorted(("from hub.services import StreamingBody as StreamingBody",
                 *config.TYPE_IMPORTS.get(data.name, ()))),
        "",
        "BlobTypeDef = bytes | bytearray | str | IO[Any]",
        "StreamingBlobTypeDef = bytes | bytearray | str | IO[Any] | Iterable[bytes]",
        "TimestampTypeDef = datetime | str",
        "",
        "@LITERALS@",
        "class ResponseMetadataTypeDef(TypedDict):",
        "    RequestId: str",
        "    HTTPStatusCode: int",
        "    HTTPHeaders: dict[str, str]",
        "    RetryAttempts: int",
        "    HostId: NotRequired[str]",
        "",
        "class EmptyResponseMetadataTypeDef(TypedDict):",
        "    ResponseMetadata: ResponseMetadataTypeDef",
        "",
    ]
    op_outputs = {op["output"]["shape"] for op in model["operations"].values() if "output" in op}
    for shape_name in sorted(names.inputs | names.outputs):
        shape = names.shapes[shape_name]
        if shape["type"] != "structure" or shape.get("document") or shape.get("eventstream"):
            continue
        if shape_name in names.inputs:
            out += _typed_dict(names, shape_name, "in")
        if shape_name in names.outputs and (
                shape_name not in names.inputs or names.variant(shape_name)):
            out += _typed_dict(names, shape_name, "out", response=shape_name in op_outputs)
    literals = names.literal_lines()
    out[out.index("@LITERALS@"):out.index("@LITERALS@") + 1] = [*literals, ""] if literals else []
    if not literals:
        out[out.index("from typing import IO, Any, Literal")] = "from typing import IO, Any"
    text = "\n".join(out).rstrip("\n") + "\n"
    body = text.split("class ResponseMetadataTypeDef", 1)[1]
    used = [n for n in ("Iterable", "Mapping", "Sequence") if f"{n}[" in body or n == "Iterable"]
    if "[EventStreamTypeDef]" in body:
        # Aliased: a member may itself be called EventStream (Lambda's).
        text = text.replace("from hub.services import StreamingBody as StreamingBody",
                            "from hub.services import EventStream as EventStreamTypeDef\n"
                            "from hub.services import StreamingBody as StreamingBody", 1)
    return text.replace("from collections.abc import Iterable, Mapping, Sequence",
                        f"from collections.abc import {', '.join(used)}", 1)


def _check_input_types(names: TypeNames) -> None:
    # An input-only annotation must not land in a TypedDict that also types outputs.
    for name in sorted(names.inputs & names.outputs):
        shape = names.shapes[name]
        if shape["type"] != "structure" or names.variant(name):
            continue
        widened = [m for m, ref in shape.get("members", {}).items()
                   if ref["shape"] in names.input_types]
        if widened:
            raise SystemExit(f"INPUT_TYPES would widen {name}.{widened[0]}, which is also an "
                             "output type: the override needs a separate output TypedDict")


def result_type(names: TypeNames, op: dict[str, Any]) -> str:
    """The TypedDict an operation's method returns."""
    if "output" not in op:
        return "EmptyResponseMetadataTypeDef"
    shape = op["output"]["shape"]
    if names.shapes[shape].get("document"):
        return "dict[str, Any]"
    return names.typedef(shape, "out")


def params_type(names: TypeNames, op: dict[str, Any]) -> str | None:
    """The TypedDict of an operation's keyword parameters, or None when it takes none."""
    if "input" not in op:
        return None
    return names.typedef(op["input"]["shape"], "in")
