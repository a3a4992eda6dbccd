"""Render ``hub/services/<pkg>/_model.py``: the service's operations and shapes as data.

Each operation and shape is one line of compact JSON text inside a Python string: importing the
module costs one string per entry, and the runtime parses only the entries an operation reaches
(:mod:`hub.services._lazy`). Documentation is dropped (it lives in the generated docstrings).
"""

from __future__ import annotations

import json
from typing import Any

from loader import ServiceData

SHAPE_KEYS = (
    "type", "required", "payload", "flattened", "locationName", "xmlNamespace",
    "timestampFormat", "streaming", "requiresLength", "min", "max", "enum", "exception",
    "fault", "error", "document", "union", "eventstream", "event",
)
MEMBER_KEYS = (
    "shape", "location", "locationName", "xmlNamespace", "xmlAttribute", "flattened",
    "streaming", "timestampFormat", "idempotencyToken", "jsonvalue", "hostLabel",
    "eventpayload",
)
PAGINATOR_KEYS = (
    "input_token", "output_token", "limit_key", "result_key", "more_results",
    "non_aggregate_keys",
)
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


def shape_entry(shape: dict[str, Any]) -> dict[str, Any]:
    """The runtime's view of one shape (botocore's keys, documentation and patterns dropped)."""
    entry = _pick(shape, SHAPE_KEYS)
    if "members" in shape:
        entry["members"] = {n: _pick(ref, MEMBER_KEYS) for n, ref in shape["members"].items()}
    for slot in ("member", "key", "value"):
        if slot in shape:
            entry[slot] = _pick(shape[slot], MEMBER_KEYS)
    return entry


def operation_entry(op: dict[str, Any]) -> dict[str, Any]:
    """The runtime's view of one operation (the form ``build_operation`` reads)."""
    entry: dict[str, Any] = {"http": [op["http"]["method"], op["http"]["requestUri"]]}
    if "input" in op:
        # A rest-xml body's root element may be named on the reference itself (S3's
        # SelectObjectContentRequest): keep those keys, else the body would go unwritten.
        root = {k: op["input"][k] for k in ("locationName", "xmlNamespace") if k in op["input"]}
        entry["input"] = {"shape": op["input"]["shape"], **root} if root else op["input"]["shape"]
    if "output" in op:
        entry["output"] = op["output"]["shape"]
        if "resultWrapper" in op["output"]:
            entry["resultWrapper"] = op["output"]["resultWrapper"]
    if op.get("errors"):
        entry["errors"] = [e["shape"] for e in op["errors"]]
    checksum = op.get("httpChecksum", {})
    if op.get("httpChecksumRequired") or checksum.get("requestChecksumRequired"):
        entry["checksumRequired"] = True
    for key in ("requestAlgorithmMember", "requestValidationModeMember", "responseAlgorithms"):
        if key in checksum:
            entry[key] = checksum[key]
    if "endpoint" in op:
        entry["endpoint"] = op["endpoint"]
    for key in ("authtype", "auth", "unsignedPayload"):
        if key in op:
            entry[key] = op[key]
    return entry


def error_codes(model: dict[str, Any]) -> dict[str, str]:
    """Wire error code -> error shape name, for every modeled error."""
    codes = {}
    for name, shape in sorted(model["shapes"].items()):
        if shape.get("exception"):
            codes[(shape.get("error") or {}).get("code") or name] = name
    return codes


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
        out.append(f"    {json.dumps(name)}: {_lit(_pick(data.paginators[name], PAGINATOR_KEYS))},")
    out += ["}", "", "WAITERS: dict[str, dict[str, Any]] = {"]
    for name in sorted(data.waiters):
        out.append(f"    {json.dumps(name)}: {_lit(data.waiters[name])},")
    out += ["}", ""]
    return "\n".join(out)
