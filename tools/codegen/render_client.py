"""Render a service package's ``client.py``, ``errors.py`` and ``__init__.py``."""

from __future__ import annotations

import json
from typing import Any

from loader import ServiceData
from render_model import _lit, error_codes, metadata
from render_types import TypeNames, params_type, result_type

import docs

_KIND = {"string": "str", "boolean": "bool", "integer": "int", "long": "int", "float": "float",
         "double": "float", "timestamp": "datetime", "blob": "bytes", "list": "list",
         "map": "dict", "structure": "dict"}


def _describe(shapes: dict[str, Any], ref: dict[str, Any]) -> str:
    shape = shapes[ref["shape"]]
    kind = shape["type"]
    if kind == "blob" and (ref.get("streaming") or shape.get("streaming")):
        return "bytes or file"
    return _KIND.get(kind, kind)


def _docstring(data: ServiceData, op: dict[str, Any], notes: str | None) -> list[str]:
    shapes = data.model["shapes"]
    ind = " " * 8
    summary = docs.summary(op.get("documentation")) or f"Calls {op['name']}."
    head, rest = docs.split_summary(summary)
    lines = docs.wrap(head, ind, first='"""', hanging=False)
    if rest:
        lines.append("")
        lines += docs.wrap(rest, ind, hanging=False)
    if notes:
        lines.append("")
        lines += docs.wrap(notes, ind, hanging=False)
    if "input" in op:
        shape = shapes[op["input"]["shape"]]
        required = set(shape.get("required", ()))
        members = shape.get("members", {})
        if members:
            lines += ["", ind + "Args:"]
            for name in sorted(members, key=lambda m: m not in required):
                ref = members[name]
                text = docs.first_sentence(ref.get("documentation")
                                           or shapes[ref["shape"]].get("documentation"))
                if name in required:
                    text = "Required. " + text
                lines += docs.wrap(text.strip(), ind + "    ",
                                   first=f"{name} ({_describe(shapes, ref)}): ")
    lines += ["", ind + "Returns:"]
    if "output" in op:
        keys = [*shapes[op["output"]["shape"]].get("members", {}), "ResponseMetadata"]
    else:
        keys = ["ResponseMetadata"]
    lines += docs.wrap(", ".join(keys) + ".", ind + "    ")
    errors = [e["shape"] for e in op.get("errors", ())]
    lines += ["", ind + "Raises:"]
    if errors:
        listed = ", ".join(f"client.exceptions.{e}" for e in errors)
        lines += docs.wrap(f"The service refused ({listed}; all subclasses of ClientError).",
                           ind + "    ", first="ClientError: ")
    else:
        lines += docs.wrap("The service refused (any error code).", ind + "    ",
                           first="ClientError: ")
    lines += docs.wrap("The parameters do not match the operation's input.", ind + "    ",
                       first="ParamValidationError: ")
    lines.append(ind + '"""')
    return lines


def _signature(method: str, params: str | None, result: str) -> list[str]:
    args = f"self, **params: Unpack[_t.{params}]" if params else "self"
    ret = result if result.startswith("dict[") else f"_t.{result}"
    one = f"    def {method}({args}) -> {ret}:"
    if len(one) <= 100:
        return [one]
    return [f"    def {method}(", f"        {args}", f"    ) -> {ret}:"]


def render_client(data: ServiceData, header: str, info: dict[str, Any]) -> str:
    """Return the source of ``client.py``.

    ``info`` holds: ``package``, ``class_name``, ``methods`` (python name -> API name),
    ``mixin`` / ``customize`` / ``signing`` (names the customizations module defines),
    ``global_region`` and ``notes`` (operation -> extra docstring paragraph).
    """
    model = data.model
    meta = model["metadata"]
    names = TypeNames(model)
    package = f"hub.services.{info['package']}"
    custom = info["customizations"]
    title = meta.get("serviceFullName", data.name)
    base = "_custom.ClientMixin" if "ClientMixin" in custom else "ServiceClient"
    out = [
        header,
        '# mypy: disable-error-code="no-any-return"',
        f'"""{title}: ``session.client("{data.name}")``.',
        "",
        "One method per operation (generated).","",
        "Each method hands its parameters to the request pipeline; the operation's model is built",
        "the first time it is called (:mod:`hub.services._lazy`).",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import TYPE_CHECKING, Any",
        "",
        "from hub._services import ServiceSpec",
    ]
    if "ClientMixin" not in custom:
        out.append("from hub.services._base import ServiceClient")
    out.append("from hub.services._lazy import lazy_service_model")
    if custom:
        out.append(f"from {package} import customizations as _custom")
    out += [
        "",
        "if TYPE_CHECKING:",
        "    from typing_extensions import Unpack",
        "",
        f"    from {package} import types as _t",
        "",
        "_METADATA: dict[str, Any] = {",
        *[f"    {json.dumps(k)}: {_lit(v)}," for k, v in metadata(data).items()],
        "}",
        "",
        f"MODEL = lazy_service_model({data.name!r}, _METADATA, {package + '._model'!r})",
        "",
        "",
        f"class {info['class_name']}({base}):",
    ]
    out += docs.wrap(f"{title} ({meta.get('serviceId', data.name)}), as boto3's "
                     f'``client("{data.name}")``.', "    ", first='"""')
    out += [
        "",
        "    Create it with ``session.client(...)``; it is one slot wide and thread-safe. Modeled",
        "    errors are ``client.exceptions.<Code>`` (subclasses of ``hub.errors.ClientError``).",
        '    """',
        "",
        "    __slots__ = ()",
        "",
        "    _OPS = MODEL.operations",
    ]
    notes = info.get("notes", {})
    for method, api in info["methods"].items():
        op = model["operations"][api]
        out.append("")
        out += _signature(method, params_type(names, op), result_type(names, op))
        out += _docstring(data, op, notes.get(api))
        arg = "params" if "input" in op else "{}"
        out.append(f"        return self._call({api!r}, {arg})")
    out += [
        "",
        "",
        "SPEC = ServiceSpec(",
        f"    name={data.name!r},",
        f"    client_class={info['class_name']},",
        "    model=MODEL,",
        f"    model_module={package + '._model'!r},",
        f"    errors_module={package + '.errors'!r},",
        "    methods={",
    ]
    for m, a in info["methods"].items():
        line = f"        {m!r}: {a!r},"
        out += [line] if len(line) <= 100 else [f"        {m!r}:", f"            {a!r},"]
    out.append("    },")
    if info.get("global_region"):
        out.append(f"    global_region={info['global_region']!r},")
    if "customize" in custom:
        out.append("    customize=_custom.customize,")
    if "SIGNING" in custom:
        out.append("    signing=_custom.SIGNING,")
    if "resolve_endpoint" in custom:
        out.append("    resolve_endpoint=_custom.resolve_endpoint,")
    out += [")", ""]
    return "\n".join(out)


def render_errors(data: ServiceData, header: str) -> str:
    """Return the source of ``errors.py``: one ClientError subclass per modeled error."""
    model = data.model
    codes = error_codes(model)
    title = model["metadata"].get("serviceId", data.name)
    out = [
        header,
        f'"""{title}\'s modeled errors (generated): ``client.exceptions.<Name>``.',
        "",
        "Each is a :class:`hub.errors.ClientError` subclass, raised when the service answers with",
        "its error code, so ``except ClientError`` keeps catching them.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from hub.errors import ClientError",
        "",
        "__all__ = [",
        '    "ERRORS",',
        '    "ClientError",',
    ]
    out += [f"    {json.dumps(n)}," for n in sorted(set(codes.values()))]
    out.append("]")
    for name in sorted(set(codes.values())):
        doc = docs.first_sentence(model["shapes"][name].get("documentation"), 90)
        out += ["", "", f"class {name}(ClientError):"]
        out += docs.wrap(doc or f"The service answered {name}.", "    ", first='"""')
        out[-1] += '"""'
    out += ["", "", "#: Wire error code -> class.", "ERRORS: dict[str, type[ClientError]] = {"]
    for code, name in codes.items():
        line = f"    {json.dumps(code)}: {name},"
        out += [line] if len(line) <= 100 else [f"    {json.dumps(code)}:", f"        {name},"]
    out += ["}", ""]
    return "\n".join(out)


def render_init(data: ServiceData, header: str, info: dict[str, Any]) -> str:
    """Return the source of the package's ``__init__.py``."""
    title = data.model["metadata"].get("serviceFullName", data.name)
    cls = info["class_name"]
    return "\n".join([
        header,
        f'"""{title} (generated package): ``session.client("{data.name}")`` returns a',
        f":class:`{cls}`.",
        "",
        "``client.py`` holds the methods, ``errors.py`` the modeled errors, ``types.pyi`` the",
        "parameter and result types, ``_model.py`` the operations and shapes (read lazily)"
        + ("," if info["customizations"] else "."),
        *(["and ``customizations.py`` the hand-written behaviour."] if info["customizations"]
          else []),
        '"""',
        "",
        f"from hub.services.{info['package']}.client import SPEC, {cls}",
        "",
        f'__all__ = ["SPEC", "{cls}"]',
        "",
    ])


def render_index(header: str, services: list[dict[str, Any]]) -> str:
    """Return the source of ``hub/services/_index.py``."""
    out = [
        header,
        '"""The generated service index: every service hub has a package for (and its typing).',
        "",
        "``SERVICES`` maps ``session.client()``'s service name to the package that serves it; the",
        "package is imported on the first client. Under type checking, :class:`ClientFactory`",
        "gives ``session.client("
        '"s3")`` its precise return type without the core naming a service.',
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import TYPE_CHECKING",
        "",
        "SERVICES: dict[str, str] = {",
    ]
    out += [f"    {s['name']!r}: {'hub.services.' + s['package']!r}," for s in services]
    out += ["}", "", "#: Client class name -> package (``from hub.services import SQSClient``).",
            "CLIENTS: dict[str, str] = {"]
    out += [f"    {s['class_name']!r}: {'hub.services.' + s['package']!r}," for s in services]
    out += [
        "}",
        "",
        "if TYPE_CHECKING:",
        "    from typing import Literal, Protocol, overload",
        "",
        "    from hub._client_config import Client",
        "    from hub._config import Config",
    ]
    out += [f"    from hub.services.{s['package']} import {s['class_name']}" for s in services]
    out += [
        "",
        "    class ClientFactory(Protocol):",
        '        """``Session.client``: the client class for each known service name."""',
    ]
    for s in services:
        out += [
            "",
            "        @overload",
            "        def __call__(",
            f"            self, service_name: Literal[{s['name']!r}], *configs: Config",
            f"        ) -> {s['class_name']}: ...",
        ]
    out += [
        "",
        "        @overload",
        "        def __call__(self, service_name: str, *configs: Config) -> Client: ...",
        "",
    ]
    return "\n".join(out)
