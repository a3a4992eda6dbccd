"""Read one service's botocore JSON (model, paginators, waiters) with its sdk-extras merged."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ServiceData:
    """Everything the generator reads about one service.

    Attributes:
        name: botocore's service name (``"s3"``), also ``session.client()``'s argument.
        api_version: The model's API version directory.
        botocore_version: The botocore release the files come from.
        model: ``service-2.json`` (sdk-extras merged).
        paginators: ``paginators-1.json``'s ``pagination`` (sdk-extras merged), or {}.
        waiters: ``waiters-2.json``'s ``waiters``, or {}.
    """

    name: str
    api_version: str
    botocore_version: str
    model: dict[str, Any]
    paginators: dict[str, Any]
    waiters: dict[str, Any]


def _data_dir() -> tuple[Path, str]:
    import botocore  # dev-only import: the generator is never imported by hub

    return Path(botocore.__file__).parent / "data", botocore.__version__


def _load_json(path: Path) -> Any:
    if path.exists():
        return json.loads(path.read_text("utf-8"))
    gz = path.with_name(path.name + ".gz")
    if gz.exists():
        with gzip.open(gz, "rt", encoding="utf-8") as fh:
            return json.load(fh)
    return None


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    # botocore's loader merges *.sdk-extras.json ("merge" section) into the document.
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _with_extras(base: Path, name: str) -> Any:
    document = _load_json(base / f"{name}.json")
    extras = _load_json(base / f"{name}.sdk-extras.json")
    if document is not None and extras:
        _merge(document, extras.get("merge", {}))
    return document


def load(service: str) -> ServiceData:
    """Load ``service``'s newest API version from the installed botocore.

    Raises:
        SystemExit: botocore has no such service.
    """
    data, botocore_version = _data_dir()
    root = data / service
    versions = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if not versions:
        raise SystemExit(f"botocore {botocore_version} has no service {service!r}")
    base = root / versions[-1]
    model = _with_extras(base, "service-2")
    paginators = _with_extras(base, "paginators-1") or {}
    waiters = _load_json(base / "waiters-2.json") or {}
    return ServiceData(
        name=service,
        api_version=versions[-1],
        botocore_version=botocore_version,
        model=model,
        paginators=paginators.get("pagination", {}),
        waiters=waiters.get("waiters", {}),
    )
