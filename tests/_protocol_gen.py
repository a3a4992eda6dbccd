"""Helpers for the protocol parity tests: hub models built from botocore's own JSON models,
hypothesis strategies that generate parameters and response values from a botocore shape, and
renderers that put a generated value on the wire the way a service would.

Tests only (botocore is never imported by hub itself).
"""

from __future__ import annotations

import base64
import datetime
import functools
import json
from typing import Any
from xml.etree import ElementTree

import botocore.loaders
import botocore.model
import botocore.serialize
import botocore.session
from hypothesis import strategies as st

from hub.protocols._shapes import ServiceModel, build_service_model
from hub.services._model_files import operation_entry, shape_entry

UTC = datetime.timezone.utc
ENDPOINT = "https://svc.us-east-1.amazonaws.com"
REQUEST_ID = "req-0123"
_LOADER = botocore.loaders.create_loader()
_SESSION = botocore.session.get_session()


@functools.cache
def models(service: str) -> tuple[ServiceModel, botocore.model.ServiceModel]:
    """hub's model built from botocore's service JSON, and botocore's model of it.

    hub's side is built from the entries a generated ``_model.py`` (and a service loaded from
    botocore's files) holds, :mod:`hub.services._model_files`'s projection of the JSON, so
    the tests cover what the runtime builds from, not the raw JSON.
    """
    raw = _LOADER.load_service_model(service, "service-2")
    operations = {name: operation_entry(op) for name, op in raw["operations"].items()}
    shapes = {name: shape_entry(shape) for name, shape in raw["shapes"].items()}
    ours = build_service_model(service, raw["metadata"], operations, shapes, {})
    return ours, _SESSION.get_service_model(service)


def has_event_stream(op: botocore.model.OperationModel) -> bool:
    return bool(op.has_event_stream_input or op.has_event_stream_output)


def operation_names(service: str) -> list[str]:
    """The service's operations that hub can speak (no event streams)."""
    _, theirs = models(service)
    return [name for name in theirs.operation_names
            if not has_event_stream(theirs.operation_model(name))]


# --------------------------------------------------------------------------- scalars

# XML 1.0 cannot carry control characters; surrogates are not text. Everything else goes,
# including non-ASCII, spaces, quotes, commas, "&", "<" and "/".
_CHARS = st.characters(blacklist_categories=("Cs", "Cc"))
TEXT = st.text(_CHARS, max_size=8)
NONEMPTY = st.text(_CHARS, min_size=1, max_size=8)
HOST_LABEL = st.from_regex(r"[a-z0-9][a-z0-9-]{0,7}", fullmatch=True)
TIMESTAMPS = st.datetimes(min_value=datetime.datetime(1970, 1, 2),
                          max_value=datetime.datetime(2100, 1, 1), timezones=st.just(UTC))
# What users pass as a timestamp: aware (any zone) or naive (UTC) datetimes, epoch seconds,
# ISO 8601 text.
_ZONES = st.sampled_from([UTC, datetime.timezone(datetime.timedelta(hours=5, minutes=30)),
                          datetime.timezone(datetime.timedelta(hours=-8))])
TIMESTAMP_INPUTS = st.one_of(
    TIMESTAMPS,
    st.datetimes(min_value=datetime.datetime(1970, 1, 2), max_value=datetime.datetime(2100, 1, 1),
                 timezones=_ZONES),
    st.datetimes(min_value=datetime.datetime(1970, 1, 2), max_value=datetime.datetime(2100, 1, 1)),
    st.integers(86400, 4102444800),
    TIMESTAMPS.map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
)
BLOB_INPUTS = st.binary(max_size=8) | TEXT  # text is sent as its UTF-8 bytes
_JSON_SCALARS = (st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT
                 | st.floats(allow_nan=False, allow_infinity=False))
JSON_VALUES = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8)


def _floats(nan: bool) -> st.SearchStrategy[float]:
    return st.floats(allow_nan=nan, allow_infinity=nan)


def _string(shape: botocore.model.Shape) -> st.SearchStrategy[str]:
    enum = shape.enum
    if enum:
        return st.sampled_from(list(enum)) | TEXT
    return TEXT


def value_for(shape: botocore.model.Shape, *, depth: int = 0, nan: bool = True,
              location: str | None = None, inputs: bool = True) -> st.SearchStrategy[Any]:
    """A strategy for one value of ``shape`` (botocore's shape object).

    ``inputs`` widens timestamps and blobs to everything a caller may pass; responses get
    canonical values (aware datetimes, bytes).
    """
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            return JSON_VALUES
        return structure(shape, depth=depth + 1, nan=nan, inputs=inputs)
    if kind == "list":
        if depth > 4:
            return st.just([])
        size = 3
        if location == "header":
            # Header lists are comma-joined: items with commas, quotes or edge spaces do not
            # survive the round trip in botocore either, so requests only get plain items.
            element = (st.from_regex(r"[A-Za-z0-9_.-]{1,6}", fullmatch=True)
                       if shape.member.type_name == "string"
                       else value_for(shape.member, depth=depth + 1, nan=nan, inputs=inputs))
            return st.lists(element, max_size=size)
        return st.lists(value_for(shape.member, depth=depth + 1, nan=nan, inputs=inputs),
                        max_size=size)
    if kind == "map":
        if depth > 4:
            return st.just({})
        size = 3
        return st.dictionaries(_string(shape.key), value_for(
            shape.value, depth=depth + 1, nan=nan, inputs=inputs), max_size=size)
    if kind == "string":
        if shape.serialization.get("jsonvalue"):
            return JSON_VALUES
        return _string(shape)
    if kind in ("integer", "long"):
        return st.integers(-(2**31), 2**31 - 1)
    if kind == "boolean":
        return st.booleans()
    if kind in ("float", "double"):
        return _floats(nan)
    if kind == "timestamp":
        return TIMESTAMP_INPUTS if inputs else TIMESTAMPS
    if kind == "blob":
        return BLOB_INPUTS if inputs and location != "header" else st.binary(max_size=8)
    raise AssertionError(f"no strategy for {kind}")


def structure(shape: botocore.model.StructureShape, *, depth: int = 1, nan: bool = True,
              skip_locations: tuple[str, ...] = (),
              inputs: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    """A strategy for a structure value: required members always, others sometimes."""
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    members = shape.members
    for name, member in members.items():
        location = member.serialization.get("location")
        if location in skip_locations or member.serialization.get("eventstream"):
            continue
        is_required = (name in shape.required_members
                       or bool(member.metadata.get("idempotencyToken")))
        if not is_required and depth > 5 and not shape.is_tagged_union:
            continue
        if member.serialization.get("hostLabel"):
            strategy: st.SearchStrategy[Any] = HOST_LABEL
        elif location == "uri":
            strategy = _uri_label(member)
        elif location == "headers":
            strategy = st.dictionaries(st.from_regex(r"[a-z0-9-]{1,6}", fullmatch=True),
                                       st.from_regex(r"[ -~]{0,6}", fullmatch=True).map(
                                           str.strip), max_size=2)
        elif location == "querystring" and member.type_name == "map":
            strategy = st.dictionaries(st.from_regex(r"[a-z]{1,5}", fullmatch=True),
                                       _query_map_value(member.value), max_size=2)
        elif location == "header" and member.type_name == "string" \
                and not member.serialization.get("jsonvalue"):
            strategy = st.from_regex(r"[!-~]([ -~]{0,6}[!-~])?", fullmatch=True)
        else:
            strategy = value_for(member, depth=depth, nan=nan, location=location, inputs=inputs)
        if is_required:
            required[name] = strategy
        else:
            optional[name] = strategy
    if shape.is_tagged_union:
        if not optional and not required:
            return st.just({})
        choices = {**required, **optional}
        return st.sampled_from(sorted(choices)).flatmap(
            lambda name: choices[name].map(lambda v: {name: v}))
    return st.fixed_dictionaries(required, optional=optional)


def _uri_label(member: botocore.model.Shape) -> st.SearchStrategy[Any]:
    if member.type_name == "string":
        return NONEMPTY
    return value_for(member, nan=False, location="uri")


def _query_map_value(shape: botocore.model.Shape) -> st.SearchStrategy[Any]:
    if shape.type_name == "list":
        return st.lists(TEXT, max_size=2)
    return TEXT


@functools.cache
def input_params(op: botocore.model.OperationModel) -> st.SearchStrategy[dict[str, Any]]:
    """Parameters for ``op`` (empty when it has no input)."""
    if op.input_shape is None:
        return st.just({})
    return structure(op.input_shape)


# --------------------------------------------------------------------------- canonical forms

def canonical_body(body: Any, content_type: str) -> Any:
    """A comparable form of a request body: form pairs sorted, JSON decoded, else bytes."""
    if hasattr(body, "read"):
        return ("stream", id(body))
    if isinstance(body, str):
        body = body.encode("utf-8")
    if body is None:
        body = b""
    if content_type.startswith("application/x-www-form-urlencoded"):
        from urllib.parse import parse_qsl
        return sorted(parse_qsl(body.decode("ascii"), keep_blank_values=True))
    if "json" in content_type and body:
        return json.loads(body)
    return bytes(body)


def botocore_request(service: str, name: str, params: dict[str, Any]) -> dict[str, Any]:
    """botocore's serialized request for ``params``, with its URL (host prefix not applied)."""
    from botocore.awsrequest import prepare_request_dict

    _, theirs = models(service)
    op = theirs.operation_model(name)
    serializer = botocore.serialize.create_serializer(theirs.metadata["protocol"],
                                                  include_validation=False)
    request: dict[str, Any] = serializer.serialize_to_request(params, op)
    host_prefix = request.pop("host_prefix", None)
    prepare_request_dict(request, ENDPOINT)
    request["host_prefix"] = host_prefix
    if isinstance(request["body"], dict):
        from urllib.parse import urlencode
        request["body"] = urlencode(list(request["body"].items()), doseq=True).encode()
    return request


# --------------------------------------------------------------------------- responses

@functools.cache
def output_value(shape: botocore.model.StructureShape | None, *,
                 body_only: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """A response value for ``shape`` (no NaN: it never compares equal to itself)."""
    if shape is None:
        return st.just({})
    skip = ("header", "headers", "statusCode", "uri", "querystring") if body_only else (
        "uri", "querystring")
    return structure(shape, nan=False, skip_locations=skip, inputs=False)


def xml_element(shape: botocore.model.Shape, value: Any, name: str) -> ElementTree.Element:
    """Render ``value`` as an XML element the way botocore's rest-xml serializer does."""
    holder = ElementTree.Element("holder")
    serializer = botocore.serialize.RestXMLSerializer()
    serializer._serialize(shape, value, holder, name)
    return holder[0]


def xml_members(shape: botocore.model.StructureShape, value: dict[str, Any],
                parent: ElementTree.Element) -> None:
    """Append the body members of ``value`` to ``parent`` (botocore's XML rules)."""
    serializer = botocore.serialize.RestXMLSerializer()
    for name, item in value.items():
        member = shape.members[name]
        if member.serialization.get("location"):
            continue
        if member.serialization.get("xmlAttribute"):
            parent.attrib[member.serialization["name"]] = item
            continue
        serializer._serialize(member, item, parent, member.serialization.get("name", name))


def json_members(shape: botocore.model.Shape, value: Any) -> Any:
    """Render a structure's body members (or any value) as JSON data, like botocore."""
    serializer = botocore.serialize.JSONSerializer()
    out: dict[str, Any] = {}
    if shape.type_name == "structure" and not shape.is_document_type:
        body = {k: v for k, v in value.items()
                if not shape.members[k].serialization.get("location")}
        serializer._serialize(out, body, shape)
        return out
    serializer._serialize(out, value, shape, "x")
    return out["x"]


def header_values(shape: botocore.model.StructureShape | None,
                  value: dict[str, Any]) -> dict[str, str]:
    """The response headers carrying ``value``'s header members (botocore's formatting)."""
    headers: dict[str, str] = {}
    if shape is None:
        return headers
    serializer = botocore.serialize.RestJSONSerializer()
    for name, item in value.items():
        member = shape.members[name]
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "header":
            if member.type_name == "list" and not item:
                continue
            if member.type_name == "blob":
                headers[wire] = base64.b64encode(item).decode()
            else:
                headers[wire] = serializer._convert_header_value(member, item)
        elif location == "headers":
            for key, text in item.items():
                headers[wire + key] = text
    return headers


# --------------------------------------------------------------------------- fixed samples

def sample_value(shape: botocore.model.Shape, *, depth: int = 0, inputs: bool = True,
                 location: str | None = None) -> Any:
    """One deterministic value of ``shape`` with every member set (depth-limited).

    Used to sweep every operation of a model once, beside the random examples.
    """
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            return {"doc": [1, "ü", None, {"n": 1.5}]}
        return sample_structure(shape, depth=depth + 1, inputs=inputs)
    if kind == "list":
        if depth > 4:
            return []
        return [sample_value(shape.member, depth=depth + 1, inputs=inputs, location=location)]
    if kind == "map":
        if depth > 4:
            return {}
        key = shape.key.enum[0] if shape.key.enum else "k-ü"
        return {key: sample_value(shape.value, depth=depth + 1, inputs=inputs)}
    if kind == "string":
        if shape.serialization.get("jsonvalue"):
            return {"j": ["ü", 1]}
        if shape.enum:
            return shape.enum[0]
        return "v" if location == "header" else "s ü/+&"
    if kind in ("integer", "long"):
        return 42
    if kind == "boolean":
        return True
    if kind in ("float", "double"):
        return 1.5
    if kind == "timestamp":
        return datetime.datetime(2030, 1, 2, 3, 4, 5, 0 if location == "header" else 250000,
                                 tzinfo=UTC)
    if kind == "blob":
        return b"\x00\xffb"
    raise AssertionError(f"no sample for {kind}")


def sample_structure(shape: botocore.model.StructureShape, *, depth: int = 1,
                     inputs: bool = True,
                     skip_locations: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every member of ``shape`` set (one member for a union), deterministic."""
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location in skip_locations or member.serialization.get("eventstream"):
            continue
        if depth > 5 and name not in shape.required_members:
            continue
        if member.serialization.get("hostLabel"):
            out[name] = "label-1"
        elif location == "headers":
            out[name] = {"a": "1"}
        elif location == "querystring" and member.type_name == "map":
            out[name] = {"q": "v"}
        else:
            out[name] = sample_value(member, depth=depth, inputs=inputs, location=location)
        if shape.is_tagged_union:
            break
    return out
