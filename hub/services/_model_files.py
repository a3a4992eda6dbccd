"""botocore's model files, read as botocore reads them, and the runtime's view of their entries.

One implementation for both readers of these files:

* ``tools/codegen`` writes a shipped package's ``_model.py`` from them (dev time, botocore
  installed);
* :mod:`hub.services._botocore_data` builds any other service from them at runtime.

Both therefore hand the lazy builder (:mod:`hub.services._lazy`) the same entries: an
operation's ``http``/``input``/``output``/``errors``, checksum, host-prefix and auth facts
(:func:`operation_entry`), and a shape's serialization vocabulary without its documentation
(:func:`shape_entry`). Nothing here imports botocore: it reads JSON files by path.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from hub.protocols._shapes import error_codes

__all__ = [
    "MEMBER_KEYS",
    "PAGINATOR_KEYS",
    "SHAPE_KEYS",
    "ModelFiles",
    "error_codes",
    "load_json",
    "newest_version",
    "operation_entry",
    "paginator_entry",
    "read_model_files",
    "shape_entry",
    "with_extras",
]

#: Shape keys the shape model reads (:mod:`hub.protocols._shapes`); the rest is dropped.
SHAPE_KEYS = (
    "type", "required", "payload", "flattened", "locationName", "xmlNamespace",
    "timestampFormat", "streaming", "requiresLength", "min", "max", "enum", "exception",
    "fault", "error", "document", "union", "eventstream", "event", "sensitive",
)
#: Member-reference keys the shape model reads.
MEMBER_KEYS = (
    "shape", "location", "locationName", "xmlNamespace", "xmlAttribute", "flattened",
    "streaming", "timestampFormat", "idempotencyToken", "jsonvalue", "hostLabel",
    "eventpayload", "eventheader",
)
#: ``paginators-1.json`` keys the paginators read.
PAGINATOR_KEYS = (
    "input_token", "output_token", "limit_key", "result_key", "more_results",
    "non_aggregate_keys",
)
# An operation's input reference may name a rest-xml body's root element (Route 53,
# CloudFront, S3 Control): botocore merges these into the input shape's serialization.
_INPUT_ROOT_KEYS = ("locationName", "xmlNamespace")
_AUTH_KEYS = ("authtype", "auth", "unsignedPayload")
_CHECKSUM_KEYS = ("requestAlgorithmMember", "requestValidationModeMember", "responseAlgorithms")


# --------------------------------------------------------------------------- files

def load_json(path: Path) -> Any:
    """``path`` parsed, or its ``.gz`` sibling's (botocore ships most models gzipped); None
    when neither exists."""
    if path.exists():
        return json.loads(path.read_bytes())
    gz = path.with_name(path.name + ".gz")
    if gz.exists():
        with gzip.open(gz, "rb") as fh:
            return json.loads(fh.read())
    return None


def _merge(into: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def with_extras(base: Path, name: str) -> Any:
    """``<base>/<name>.json`` with ``<name>.sdk-extras.json``'s ``merge`` section merged in,
    as botocore's loader does; None when the document does not exist."""
    document = load_json(base / f"{name}.json")
    extras = load_json(base / f"{name}.sdk-extras.json")
    if isinstance(document, dict) and isinstance(extras, dict):
        _merge(document, extras.get("merge", {}))
    return document


def newest_version(root: Path) -> Path | None:
    """The newest API-version directory of a service's data directory that has a model."""
    if not root.is_dir():
        return None
    versions = sorted(p for p in root.iterdir()
                      if p.is_dir() and ((p / "service-2.json").exists()
                                         or (p / "service-2.json.gz").exists()))
    return versions[-1] if versions else None


class ModelFiles(NamedTuple):
    """One API version's files, extras merged.

    Attributes:
        model: ``service-2.json``.
        paginators: ``paginators-1.json``'s ``pagination`` table, or {}.
        waiters: ``waiters-2.json``'s ``waiters`` table, or {}.
    """

    model: dict[str, Any]
    paginators: dict[str, Any]
    waiters: dict[str, Any]


def read_model_files(base: Path) -> ModelFiles:
    """Read the model, paginators and waiters of the API version in ``base``."""
    return ModelFiles(
        model=with_extras(base, "service-2"),
        paginators=(with_extras(base, "paginators-1") or {}).get("pagination", {}),
        waiters=(load_json(base / "waiters-2.json") or {}).get("waiters", {}),
    )


# --------------------------------------------------------------------------- entries

def _pick(source: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: source[k] for k in keys if k in source}


def shape_entry(shape: Mapping[str, Any]) -> dict[str, Any]:
    """The runtime's view of one shape (documentation, patterns and the like dropped)."""
    entry = _pick(shape, SHAPE_KEYS)
    if "members" in shape:
        entry["members"] = {n: _pick(ref, MEMBER_KEYS) for n, ref in shape["members"].items()}
    for slot in ("member", "key", "value"):
        if slot in shape:
            entry[slot] = _pick(shape[slot], MEMBER_KEYS)
    return entry


def operation_entry(op: Mapping[str, Any]) -> dict[str, Any]:
    """The runtime's view of one operation (the form ``build_operation`` reads).

    ``input`` is the shape name, or a reference when it names a rest-xml root element;
    checksum traits are flattened; ``endpoint`` (host prefix) and the auth traits
    (``authtype``, ``auth``, ``unsignedPayload``) are kept as botocore writes them.
    """
    entry: dict[str, Any] = {"http": [op["http"]["method"], op["http"]["requestUri"]]}
    if "input" in op:
        ref = op["input"]
        root = _pick(ref, _INPUT_ROOT_KEYS)
        entry["input"] = {"shape": ref["shape"], **root} if root else ref["shape"]
    if "output" in op:
        entry["output"] = op["output"]["shape"]
        if "resultWrapper" in op["output"]:
            entry["resultWrapper"] = op["output"]["resultWrapper"]
    if op.get("errors"):
        entry["errors"] = [e["shape"] for e in op["errors"]]
    checksum = op.get("httpChecksum", {})
    if op.get("httpChecksumRequired") or checksum.get("requestChecksumRequired"):
        entry["checksumRequired"] = True
    entry.update(_pick(checksum, _CHECKSUM_KEYS))
    if "endpoint" in op:
        entry["endpoint"] = op["endpoint"]
    entry.update(_pick(op, _AUTH_KEYS))
    return entry


def paginator_entry(paginator: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of one ``paginators-1.json`` entry that the paginators read."""
    return _pick(paginator, PAGINATOR_KEYS)
