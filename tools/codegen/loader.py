"""Read one service's botocore JSON (model, paginators, waiters) with its sdk-extras merged.

The files are read by :mod:`hub.services._model_files`, the code hub's runtime uses for
services loaded from botocore's files: the generator and the runtime read them one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.services._model_files import newest_version, read_model_files


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


def load(service: str) -> ServiceData:
    """Load ``service``'s newest API version from the installed botocore.

    Raises:
        SystemExit: botocore has no such service.
    """
    data, botocore_version = _data_dir()
    base = newest_version(data / service)
    if base is None:
        raise SystemExit(f"botocore {botocore_version} has no service {service!r}")
    files = read_model_files(base)
    return ServiceData(
        name=service,
        api_version=base.name,
        botocore_version=botocore_version,
        model=files.model,
        paginators=files.paginators,
        waiters=files.waiters,
    )
