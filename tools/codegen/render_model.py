"""Render ``hub/services/<pkg>/_model.py``: the service's operations and shapes as data.

Each operation and shape is one line of compact JSON text inside a Python string: importing the
module costs one string per entry, and the runtime parses only the entries an operation reaches
(:mod:`hub.services._lazy`). Documentation is dropped (it lives in the generated docstrings).
"""

from __future__ import annotations

import json
from typing import Any

from loader import ServiceData

from hub.protocols._shapes import error_codes as _shape_error_codes
from hub.services._model_files import operation_entry, paginator_entry, shape_entry

#: Metadata the runtime reads (protocol choice, signing, JSON target, query version, ...).
METADATA_KEYS = (
    "apiVersion", "endpointPrefix", "signingName", "protocol", "protocols", "targetPrefix",
    "jsonVersion", "serviceId", "serviceFullName", "signatureVersion", "globalEndpoint",
    "checksumFormat", "uid", "awsQueryCompatible", "xmlNamespace",
)


def _pick(source: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: source[k] for k in keys if k in source}


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def error_codes(model: dict[str, Any]) -> dict[str, str]:
    """Wire error code -> error shape name, for every modeled error (the runtime's table)."""
    return _shape_error_codes(model["shapes"])


def _lit(value: Any) -> str:
    # JSON literals are Python literals except true/false/null; lists become tuples.
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return "None"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_lit(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "(" + ", ".join(_lit(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return json.dumps(value, ensure_ascii=False)


def metadata(data: ServiceData) -> dict[str, Any]:
    """The metadata entries the runtime reads."""
    return _pick(data.model["metadata"], METADATA_KEYS)


def render(data: ServiceData, header: str) -> str:
    """Return the source of the service's ``_model.py``."""
    model = data.model
    out = [
        header,
        f'"""{model["metadata"].get("serviceId", data.name)} model data (generated): one JSON text'
        " per operation and shape,",
        "parsed only when an operation that reaches it is first used (see hub.services._lazy).",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any",
        "",
        "# operation name -> its description (http, input/output shape names, errors, checksums)",
        "OPERATIONS: dict[str, str] = {",
    ]
    for name in sorted(model["operations"]):
        entry = _json(operation_entry(model["operations"][name]))
        out.append(f"    {json.dumps(name)}: {entry!r},")
    out += ["}", "", "# shape name -> its description (botocore's vocabulary, no documentation)",
            "SHAPES: dict[str, str] = {"]
    for name in sorted(model["shapes"]):
        out.append(f"    {json.dumps(name)}: {_json(shape_entry(model['shapes'][name]))!r},")
    out += ["}", "", "# wire error code -> error shape name", "ERRORS: dict[str, str] = {"]
    for code, name in error_codes(model).items():
        out.append(f"    {json.dumps(code)}: {json.dumps(name)},")
    out += ["}", "", "PAGINATORS: dict[str, dict[str, Any]] = {"]
    for name in sorted(data.paginators):
        out.append(f"    {json.dumps(name)}: {_lit(paginator_entry(data.paginators[name]))},")
    out += ["}", "", "WAITERS: dict[str, dict[str, Any]] = {"]
    for name in sorted(data.waiters):
        out.append(f"    {json.dumps(name)}: {_lit(data.waiters[name])},")
    out += ["}", ""]
    return "\n".join(out)
