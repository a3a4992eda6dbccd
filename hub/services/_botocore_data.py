"""Clients for any other service, built at runtime from an installed botocore's model files.

When hub ships no package for a name, ``session.client(name)`` looks for botocore's data
directory (``botocore/data/<name>/<version>/service-2.json``), found through the installed
distribution with :func:`importlib.util.find_spec`; botocore's *code* is never imported. The
model is read once per process and becomes a :class:`~hub._services.ServiceSpec` like a
shipped package's: operations and shapes are built lazily per operation
(:mod:`hub.services._lazy`), errors are ``client.exceptions.<Code>`` classes, paginators and
waiters come from the same files.

Why this differs from a shipped package: a generated package has one typed, documented method
per operation, written to disk by ``tools/codegen``. Here there is no source to generate, so
the client class is one generic :class:`LoadedServiceClient` whose ``__getattr__`` turns a
boto3 method name (``list_users``) into that operation's call; the bound functions are cached
per process. The methods are not typed (``session.client("iam")`` is a ``Client``), and of
botocore's service customizations only the ones listed in ``_CUSTOMIZE`` apply (IAM's policy
documents decoded to JSON). Endpoints come from the service's own ruleset
(``endpoint-rule-set-1.json``), evaluated by :mod:`hub.services._rules`.

Thread safety: the first load of a service runs once under a lock (single flight); the result
is published in one assignment and read without a lock afterwards. The lock is re-created in a
forked child (:mod:`hub._forksafe`).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import threading
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from hub._forksafe import at_fork_reinit
from hub._handlers import Handlers, NamedHandler
from hub.errors import ClientError, UnknownServiceError
from hub.services._base import ServiceClient
from hub.services._model_files import (
    ModelFiles,
    error_codes,
    load_json,
    newest_version,
    operation_entry,
    paginator_entry,
    read_model_files,
    shape_entry,
)

if TYPE_CHECKING:
    from hub._config import Config
    from hub._request import Request
    from hub._services import ServiceSpec
    from hub.endpoints import Endpoint
    from hub.protocols._shapes import OperationModel, Shape

__all__ = ["LoadedServiceClient", "available_services", "data_dir", "load_spec", "xform_name"]

_LOADED_PACKAGE = "hub.services._loaded"


# --------------------------------------------------------------------------- files

_DATA_DIR: list[Path | None] = []  # [] not looked for yet; [None] no botocore


def data_dir() -> Path | None:
    """botocore's ``data`` directory, or None when botocore is not installed (cached)."""
    if not _DATA_DIR:
        found: Path | None = None
        try:
            spec = importlib.util.find_spec("botocore")  # locates; does not import botocore
        except (ImportError, ValueError):
            spec = None
        for location in (spec.submodule_search_locations or ()) if spec is not None else ():
            candidate = Path(location) / "data"
            if candidate.is_dir():
                found = candidate
                break
        _DATA_DIR[:] = [found]
    return _DATA_DIR[0]


def available_services() -> tuple[str, ...]:
    """Every service name botocore's data directory has a model for (empty without it)."""
    root = data_dir()
    if root is None:
        return ()
    return tuple(sorted(p.name for p in root.iterdir() if newest_version(p) is not None))


# --------------------------------------------------------------------------- names

_FIRST_CAP = re.compile(r"(.)([A-Z][a-z]+)")
_END_CAP = re.compile(r"([a-z0-9])([A-Z])")
_PLURAL_ACRONYM = re.compile(r"[A-Z]{2,}s$")
# Words botocore spells by hand in method names (its transform would split them otherwise).
_WORDS = (("iSCSI", "Iscsi"), ("PartiQL", "Partiql"), ("WhatsApp", "Whatsapp"),
          ("OTel", "Otel"), ("HITs", "Hits"))


def xform_name(name: str) -> str:
    """boto3's method name for an API operation name (``"ListUsers"`` -> ``"list_users"``).

    The same transform botocore applies (a trailing plural acronym, ``"ARNs"``, becomes
    ``"_arns"``); checked against botocore for every operation of every service in the tests.
    """
    if "_" in name:
        return name
    for word, spelled in _WORDS:
        if word in name:
            name = name.replace(word, spelled)
    plural = _PLURAL_ACRONYM.search(name)
    if plural is not None:
        matched = plural.group()
        name = f"{name[:-len(matched)]}_{matched.lower()}"
    return _END_CAP.sub(r"\1_\2", _FIRST_CAP.sub(r"\1_\2", name)).lower()


# --------------------------------------------------------------------------- model data

def _package(name: str) -> str:
    return f"{_LOADED_PACKAGE}.{re.sub(r'[^0-9a-zA-Z_]', '_', name)}"


def _register_modules(name: str, files: ModelFiles) -> tuple[str, str]:
    """Publish the service's data and errors as modules (``importlib`` finds them by name,
    as it finds a generated package's ``_model`` and ``errors``)."""
    package = _package(name)
    data = types.ModuleType(f"{package}._model", f"{name} model data (from botocore's files)")
    # Entries are plain dicts (the lazy builder takes dicts or a generated module's JSON text).
    # The entries a generated _model.py holds (as dicts, not JSON text): one projection.
    data.OPERATIONS = {op: operation_entry(raw)  # type: ignore[attr-defined]
                       for op, raw in files.model["operations"].items()}
    shapes = files.model["shapes"]
    data.SHAPES = {n: shape_entry(s) for n, s in shapes.items()}  # type: ignore[attr-defined]
    codes = error_codes(shapes)
    data.ERRORS = codes  # type: ignore[attr-defined]
    data.PAGINATORS = {  # type: ignore[attr-defined]
        n: paginator_entry(p) for n, p in files.paginators.items()}
    data.WAITERS = dict(files.waiters)  # type: ignore[attr-defined]

    errors = types.ModuleType(f"{package}.errors", f"{name}'s modeled errors")
    errors.ClientError = ClientError  # type: ignore[attr-defined]
    classes: dict[str, type[ClientError]] = {}
    for code, shape_name in codes.items():
        cls = types.new_class(shape_name, (ClientError,))
        cls.__module__ = errors.__name__
        cls.__doc__ = f"{name}'s modeled error {shape_name} (a ClientError)."
        classes[code] = cls
        setattr(errors, shape_name, cls)
    errors.ERRORS = classes  # type: ignore[attr-defined]
    sys.modules[data.__name__] = data
    sys.modules[errors.__name__] = errors
    return data.__name__, errors.__name__


# --------------------------------------------------------------------------- client

_METHODS: dict[tuple[str, str], Callable[..., Any]] = {}


def _method(service: str, method_name: str, api: str) -> Callable[..., Any]:
    key = (service, method_name)
    fn = _METHODS.get(key)
    if fn is None:
        def fn(self: LoadedServiceClient, **params: Any) -> Any:
            return self._call(api, params)

        fn.__name__ = method_name
        fn.__qualname__ = f"LoadedServiceClient.{method_name}"
        fn.__doc__ = f"Call {service}'s {api} operation (as boto3's {method_name})."
        _METHODS[key] = fn  # a race only builds an equal function twice
    return fn


class LoadedServiceClient(ServiceClient):
    """The client of a service loaded from botocore's model files.

    ``client.list_users(...)`` resolves through ``__getattr__`` to the ``ListUsers``
    operation (boto3's names); everything else (paginators, waiters, ``exceptions``, ``meta``,
    presigned URLs) is :class:`~hub.services._base.ServiceClient`'s. One slot wide and
    thread-safe like every client.
    """

    __slots__ = ()

    @property
    def _OPS(self) -> Mapping[str, OperationModel]:  # type: ignore[override]
        return self._client_config.spec.model.operations

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        spec = self._client_config.spec
        api = spec.methods.get(name)
        if api is None:
            raise AttributeError(
                f"{type(self).__name__} for {spec.name!r} has no attribute {name!r}")
        return types.MethodType(_method(spec.name, name, api), self)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._client_config.spec.methods))


# --------------------------------------------------------------------------- customizations
# The few botocore customizations of non-shipped services that change what a caller sees.

def _decode_policies(request: Request) -> None:
    """IAM returns policy documents URL-encoded; boto3 hands them back as parsed JSON."""
    op = request.operation
    output = getattr(op, "output", None)
    if output is None or not isinstance(request.data, dict):
        return
    _decode_in(output, request.data)


def _decode_in(shape: Shape, value: Any) -> Any:
    if shape.name == "policyDocumentType" and isinstance(value, str):
        try:
            return json.loads(unquote(value))
        except ValueError:
            return value  # not JSON: left as the service sent it (as botocore does)
    if shape.type == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                value[name] = _decode_in(member.shape, value[name])
    elif shape.type == "list" and isinstance(value, list) and shape.member is not None:
        value[:] = [_decode_in(shape.member.shape, v) for v in value]
    return value


def _iam_customize(handlers: Handlers) -> Handlers:
    return handlers.insert_after("unmarshal", "protocol.unmarshal",
                                 NamedHandler("iam.decode_policies", _decode_policies))


_CUSTOMIZE: dict[str, Callable[[Handlers], Handlers]] = {"iam": _iam_customize}


# --------------------------------------------------------------------------- endpoints

_PARTITIONS: list[Any] = []


def _partitions() -> Any:
    """botocore's ``partitions.json`` (read once per process), or None."""
    if not _PARTITIONS:
        root = data_dir()
        _PARTITIONS[:] = [load_json(root / "partitions.json") if root is not None else None]
    return _PARTITIONS[0]


def _endpoint_rule(base: Path) -> Callable[[str | None, Config], Endpoint | None] | None:
    """The service's endpoint from its own ruleset (``endpoint-rule-set-1.json``), evaluated
    by :mod:`hub.services._rules`; None when it has none (the generic rule then applies)."""
    ruleset = load_json(base / "endpoint-rule-set-1.json")
    partitions = _partitions()
    if not isinstance(ruleset, dict) or not isinstance(partitions, dict):
        return None
    cache: dict[tuple[str, bool, bool], Endpoint | None] = {}

    def resolve_by_rules(region: str | None, config: Config) -> Endpoint | None:
        from hub.endpoints import Endpoint
        from hub.errors import ConfigError
        from hub.services import _rules

        if region is None:
            return None
        key = (region, bool(config.use_fips_endpoint), bool(config.use_dualstack_endpoint))
        if key in cache:
            return cache[key]
        try:
            url, signing_region = _rules.evaluate(
                ruleset, {"Region": key[0], "UseFIPS": key[1], "UseDualStack": key[2]},
                partitions)
        except _rules.RuleError as exc:
            if "FIPS" in str(exc) or "DualStack" in str(exc):  # a variant the region lacks
                raise ConfigError(f"no endpoint for this service in {region!r}: {exc}",
                                  field="use_fips" if "FIPS" in str(exc)
                                  else "use_dualstack") from None
            found = None  # the rules need an operation's parameter (an ARN): generic host
        except _rules.Unsupported:
            found = None
        else:
            name = str(_rules.partition_of(region, partitions).get("name", "aws"))
            found = Endpoint(url.rstrip("/"), signing_region or region, name)
        cache[key] = found  # a race only computes an equal value twice
        return found

    return resolve_by_rules


# --------------------------------------------------------------------------- specs

_SPECS: dict[str, ServiceSpec] = {}


class _LoadLock:
    __slots__ = ("__weakref__", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        at_fork_reinit(self, _LoadLock._reinit)

    def _reinit(self) -> None:
        self.lock = threading.Lock()


_LOAD = _LoadLock()


def load_spec(name: str, shipped: tuple[str, ...]) -> ServiceSpec:
    """The spec of ``name`` built from botocore's model files (loaded once per process).

    Args:
        name: The service name (``"iam"``).
        shipped: The services hub ships packages for (named in errors).

    Raises:
        UnknownServiceError: botocore is not installed, has no such service, or the service
            speaks only a protocol hub does not (``ec2``, ``smithy-rpc-v2-cbor``); the error
            says which.
    """
    spec = _SPECS.get(name)
    if spec is not None:
        return spec
    with _LOAD.lock:
        spec = _SPECS.get(name)
        if spec is None:
            spec = _build_spec(name, shipped)
            _SPECS[name] = spec
    return spec


def _build_spec(name: str, shipped: tuple[str, ...]) -> ServiceSpec:
    from hub._services import ServiceSpec
    from hub.protocols._shapes import SUPPORTED_PROTOCOLS
    from hub.services._lazy import lazy_service_model

    root = data_dir()
    if root is None:
        raise UnknownServiceError(name, shipped, reason=(
            "botocore is not installed: hub ships only the services listed; install botocore "
            "to use any other service from its model files"))
    base = newest_version(root / name) if re.fullmatch(r"[a-z0-9][a-z0-9.-]*", name) else None
    if base is None:
        raise UnknownServiceError(name, shipped, reason=(
            f"neither hub nor the installed botocore ({root.parent}) has a model for it"))
    files = read_model_files(base)
    metadata = dict(files.model["metadata"])
    protocols = metadata.get("protocols") or [metadata.get("protocol")]
    if not any(p in SUPPORTED_PROTOCOLS for p in protocols):
        raise UnknownServiceError(name, shipped, reason=(
            f"{name} speaks {'/'.join(map(str, protocols))}, a wire protocol hub does not "
            f"implement (hub speaks {', '.join(SUPPORTED_PROTOCOLS)})"))
    model_module, errors_module = _register_modules(name, files)
    methods = {xform_name(op): op for op in sorted(files.model["operations"])}
    return ServiceSpec(
        name=name,
        client_class=LoadedServiceClient,
        model=lazy_service_model(name, metadata, model_module),
        model_module=model_module,
        errors_module=errors_module,
        methods=methods,
        global_region="us-east-1" if metadata.get("globalEndpoint") else None,
        customize=_CUSTOMIZE.get(name),
        resolve_endpoint=_endpoint_rule(base),
    )
