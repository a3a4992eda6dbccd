"""Generate hub's service model modules from botocore's installed JSON models.

A dev tool, run by hand (never at runtime; botocore is not a runtime dependency)::

    python3 tools/gen_models.py            # rewrites hub/services/_s3_model.py, _dynamodb_model.py
    python3 tools/gen_models.py --check    # exits 1 when the committed modules are stale

The generated modules hold only the selected operations and the shapes they reach, in botocore's
own vocabulary (``location``, ``locationName``, ``flattened``, ...) minus documentation, so a diff
against a newer botocore reads like a diff of facts.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# service name -> (api version, output module, selected operations)
SELECTION: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "s3": (
        "2006-03-01",
        "hub/services/_s3_model.py",
        (
            "ListBuckets", "CreateBucket", "DeleteBucket", "HeadBucket", "GetBucketLocation",
            "PutObject", "GetObject", "HeadObject", "DeleteObject", "DeleteObjects", "CopyObject",
            "ListObjectsV2", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload",
            "AbortMultipartUpload", "ListMultipartUploads", "ListParts",
        ),
    ),
    "dynamodb": (
        "2012-08-10",
        "hub/services/_dynamodb_model.py",
        (
            "CreateTable", "DescribeTable", "DeleteTable", "ListTables", "UpdateTable",
            "PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query", "Scan",
            "BatchWriteItem", "BatchGetItem", "TransactWriteItems", "TransactGetItems",
        ),
    ),
}

METADATA_KEYS = (
    "apiVersion", "endpointPrefix", "signingName", "protocol", "targetPrefix", "jsonVersion",
    "serviceId", "signatureVersion", "globalEndpoint", "checksumFormat", "uid",
)
SHAPE_KEYS = (
    "type", "required", "payload", "flattened", "locationName", "xmlNamespace",
    "timestampFormat", "streaming", "requiresLength", "min", "max", "enum", "exception",
    "fault", "error", "document", "union",
)
MEMBER_KEYS = (
    "shape", "location", "locationName", "xmlNamespace", "xmlAttribute", "flattened",
    "streaming", "timestampFormat", "idempotencyToken", "jsonvalue", "hostLabel",
)
_SKIP_NOTICES = ("End of support notice", "This operation is not supported for directory",
                 "You can use this operation", "Using the GetBucketLocation")
PAGINATOR_KEYS = (
    "input_token", "output_token", "limit_key", "result_key", "more_results",
    "non_aggregate_keys",
)


def _botocore_data() -> tuple[Path, str]:
    import botocore  # dev-only import: this tool is never imported by hub

    return Path(botocore.__file__).parent / "data", botocore.__version__


def _load_json(path: Path) -> Any:
    if path.exists():
        return json.loads(path.read_text("utf-8"))
    gz = path.with_name(path.name + ".gz")
    with gzip.open(gz, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    # botocore's loader merges service-2.sdk-extras.json ("merge" section) into the model.
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _one_line_doc(doc: str | None) -> str:
    # The first paragraph that says what the operation does (S3 opens many docs with notices).
    for para in re.findall(r"<p>(.*?)</p>", doc or "", flags=re.S) or [doc or ""]:
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", para)).split())
        if not text or text.startswith(_SKIP_NOTICES):
            continue
        sentence = text.split(". ")[0].rstrip(".")
        if len(sentence) > 120:
            sentence = sentence[:117].rstrip() + "..."
        return sentence + "."
    return ""


# Where the model's first paragraph is a notice or a run-on, a hand-written line (docs only).
DOC_OVERRIDES = {
    "PutObject": "Adds an object to a bucket.",
    "CreateMultipartUpload": "Starts a multipart upload and returns its upload ID.",
    "HeadBucket": "Checks that a bucket exists and that you may access it.",
    "Query": "Finds items by primary key in a table or secondary index.",
    "TransactGetItems": "Atomically reads up to 100 items from one or more tables.",
    "DescribeTable": "Returns information about a table: status, key schema, indexes, ...",
}


def _reachable(shapes: dict[str, Any], roots: list[str]) -> list[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        shape = shapes[name]
        refs = list(shape.get("members", {}).values())
        refs += [shape[k] for k in ("member", "key", "value") if k in shape]
        stack.extend(ref["shape"] for ref in refs)
    return sorted(seen)


def _pick(source: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: source[k] for k in keys if k in source}


def _shape_entry(shape: dict[str, Any]) -> str:
    head = _pick(shape, SHAPE_KEYS)
    parts = [f"{json.dumps(k)}: {_lit(v)}" for k, v in head.items()]
    for key in ("member", "key", "value"):
        if key in shape:
            parts.append(f"{json.dumps(key)}: {_lit(_pick(shape[key], MEMBER_KEYS))}")
    if "members" not in shape:
        return "{" + ", ".join(parts) + "}"
    lines = ["{" + ", ".join(parts) + (", " if parts else "") + '"members": {']
    for name, ref in shape["members"].items():
        lines.append(f"        {json.dumps(name)}: {_lit(_pick(ref, MEMBER_KEYS))},")
    lines.append("    }}")
    return "\n".join(lines)


def _lit(value: Any) -> str:
    # JSON literals are valid Python literals except for true/false/null.
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return "None"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_lit(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "(" + ", ".join(_lit(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return json.dumps(value)


def _operation_entry(op: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "http": [op["http"]["method"], op["http"]["requestUri"]],
        "input": op.get("input", {}).get("shape"),
        "output": op.get("output", {}).get("shape"),
        "errors": [e["shape"] for e in op.get("errors", [])],
    }
    checksum = op.get("httpChecksum", {})
    if op.get("httpChecksumRequired") or checksum.get("requestChecksumRequired"):
        entry["checksumRequired"] = True
    if "requestAlgorithmMember" in checksum:
        entry["requestAlgorithmMember"] = checksum["requestAlgorithmMember"]
    if "requestValidationModeMember" in checksum:
        entry["requestValidationModeMember"] = checksum["requestValidationModeMember"]
    entry["documentation"] = DOC_OVERRIDES.get(op["name"]) or _one_line_doc(op.get("documentation"))
    return entry


def render(service: str) -> str:
    """Return the source of one generated model module."""
    version, _, operations = SELECTION[service]
    data, botocore_version = _botocore_data()
    base = data / service / version
    model = _load_json(base / "service-2.json")
    extras = base / "service-2.sdk-extras.json"
    if extras.exists():
        _merge(model, json.loads(extras.read_text("utf-8")).get("merge", {}))
    paginators = _load_json(base / "paginators-1.json")["pagination"]

    ops = {name: model["operations"][name] for name in operations}
    roots: list[str] = []
    for op in ops.values():
        roots += [op[k]["shape"] for k in ("input", "output") if k in op]
        roots += [e["shape"] for e in op.get("errors", [])]
    shape_names = _reachable(model["shapes"], roots)

    out = [
        f"# Generated by tools/gen_models.py from botocore {botocore_version}"
        f" ({service} {version}); do not edit.",
        "# Regenerate: python3 tools/gen_models.py (needs botocore installed; dev only).",
        f'"""{service} service model: the selected operations and the shapes they reach."""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any",
        "",
        "from hub.protocols._shapes import ServiceModel, build_service_model",
        "",
        f"METADATA: dict[str, Any] = {_lit(_pick(model['metadata'], METADATA_KEYS))}",
        "",
        "OPERATIONS: dict[str, dict[str, Any]] = {",
    ]
    for name, op in ops.items():
        out.append(f"    {json.dumps(name)}: {_lit(_operation_entry(op))},")
    out += ["}", "", "PAGINATORS: dict[str, dict[str, Any]] = {"]
    for name in operations:
        if name in paginators:
            out.append(f"    {json.dumps(name)}: {_lit(_pick(paginators[name], PAGINATOR_KEYS))},")
    out += ["}", "", "SHAPES: dict[str, dict[str, Any]] = {"]
    for name in shape_names:
        out.append(f"    {json.dumps(name)}: {_shape_entry(model['shapes'][name])},")
    out += [
        "}",
        "",
        "SERVICE_MODEL: ServiceModel = build_service_model(",
        f"    {json.dumps(service)}, METADATA, OPERATIONS, SHAPES, PAGINATORS",
        ")",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, verify) every generated model module."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a module is stale")
    args = parser.parse_args(argv)
    stale = False
    for service, (_, relpath, _) in SELECTION.items():
        path = ROOT / relpath
        text = render(service)
        if args.check:
            if not path.exists() or path.read_text("utf-8") != text:
                print(f"stale: {relpath}", file=sys.stderr)
                stale = True
        else:
            path.write_text(text, "utf-8")
            print(f"wrote {relpath}")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
