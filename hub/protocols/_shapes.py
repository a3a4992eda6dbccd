"""The shape model: immutable descriptions of a service's operations and their data.

Shapes follow botocore's vocabulary (structure, list, map, string, integer, long, boolean, blob,
timestamp, float, double). They are built once per process from the generated model modules in
``hub/services`` and shared read-only by every thread.

Recursive shapes (DynamoDB's ``AttributeValue`` holds maps and lists of itself) are built in two
steps inside :func:`build_service_model`: every :class:`Shape` is created first, then its members
are attached; nothing is published until that finishes, so readers only ever see complete,
frozen objects. Shapes and members compare and hash by identity for the same reason: a
field-by-field ``__eq__`` would recurse forever on a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "Member",
    "OperationModel",
    "Paginator",
    "ServiceModel",
    "Shape",
    "build_service_model",
]

_EMPTY: Mapping[str, Any] = MappingProxyType({})

#: Member locations that are not the body. ``None`` means "in the body".
NON_BODY_LOCATIONS = frozenset({"uri", "querystring", "header", "headers", "statusCode"})


@dataclass(frozen=True, slots=True, eq=False)
class Shape:
    """One named shape of a service model.

    Attributes:
        name: The shape's name in the model (``PutObjectRequest``, ``AttributeValue``).
        type: ``structure``, ``list``, ``map``, ``string``, ``integer``, ``long``, ``boolean``,
            ``blob``, ``timestamp``, ``float`` or ``double``.
        members: Structure members by Python-side name (empty for other types).
        required: Names of required structure members.
        member: The element of a list (None for other types).
        key: The key of a map (None for other types).
        value: The value of a map (None for other types).
        payload: For operation input/output structures: the member that is the whole HTTP body.
        flattened: XML lists/maps without a wrapper element.
        location_name: Shape-level wire name (None when the model does not set one).
        xml_namespace: ``xmlns`` URI written on the element, or None.
        xml_namespace_prefix: ``xmlns:<prefix>`` when the namespace has a prefix, else None.
        timestamp_format: ``iso8601``, ``rfc822`` or ``unixTimestamp``; None = protocol default.
        streaming: A blob/string streamed rather than held in memory.
        enum: Known values (documentation only; not enforced, like botocore).
        min: Minimum length (strings, lists, maps) or value (numbers); None = unchecked.
        max: Maximum, informational only (botocore does not check it either).
        exception: True for error shapes.
        error_code: The wire error code for error shapes (defaults to the shape name).
        error_status: The HTTP status the model gives an error shape, or None.
        body_members: Structure members that live in the body, precomputed.
        located_members: Structure members bound to a header, the URI, the query string or the
            status code, precomputed.
    """

    name: str
    type: str
    members: Mapping[str, Member] = field(default_factory=lambda: _EMPTY)
    required: tuple[str, ...] = ()
    member: Member | None = None
    key: Member | None = None
    value: Member | None = None
    payload: str | None = None
    flattened: bool = False
    location_name: str | None = None
    xml_namespace: str | None = None
    xml_namespace_prefix: str | None = None
    timestamp_format: str | None = None
    streaming: bool = False
    enum: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    exception: bool = False
    error_code: str | None = None
    error_status: int | None = None
    body_members: tuple[Member, ...] = ()
    located_members: tuple[Member, ...] = ()

    def __repr__(self) -> str:
        return f"Shape({self.name!r}, {self.type!r})"


@dataclass(frozen=True, slots=True, eq=False)
class Member:
    """A reference to a shape from a structure member, list element or map key/value.

    The fields are the *effective* serialization traits: member-level settings override the
    target shape's own (``locationName``, ``xmlNamespace``, ``flattened``, ...), as in botocore.

    Attributes:
        name: The Python-side name (structure member name; ``member``/``key``/``value``).
        shape: The target shape.
        type: ``shape.type``, copied here because every serializer step reads it.
        location: ``uri``, ``querystring``, ``header``, ``headers``, ``statusCode``; None = body.
        wire_name: Name on the wire: header name, query key, XML element or JSON key.
        header_key: ``wire_name.lower()`` for header lookups.
        flattened: XML list/map without a wrapper element.
        xml_attribute: Serialized as an XML attribute of the parent element.
        xml_namespace: ``xmlns`` URI for the element, or None.
        xml_namespace_prefix: Namespace prefix, or None.
        timestamp_format: Effective timestamp format, or None for the location's default.
        streaming: A streamed blob.
        idempotency_token: Filled with a fresh UUID4 when the caller leaves it out.
        jsonvalue: A JSON document carried (base64) in a header.
        has_wire_name: True when the model named the element explicitly (``locationName``).
    """

    name: str
    shape: Shape
    type: str
    location: str | None = None
    wire_name: str = ""
    header_key: str = ""
    flattened: bool = False
    xml_attribute: bool = False
    xml_namespace: str | None = None
    xml_namespace_prefix: str | None = None
    timestamp_format: str | None = None
    streaming: bool = False
    idempotency_token: bool = False
    jsonvalue: bool = False
    has_wire_name: bool = False

    def __repr__(self) -> str:
        return f"Member({self.name!r} -> {self.shape.name!r})"


@dataclass(frozen=True, slots=True)
class Paginator:
    """Pagination facts from botocore's ``paginators-1.json``.

    Attributes:
        input_token: Request members that carry the continuation token(s).
        output_token: Response members holding the next token(s), same order as input_token.
        result_key: Response members whose values are concatenated across pages.
        limit_key: The request member that sets the page size, or None.
        more_results: A response member saying whether more pages follow, or None.
        non_aggregate_keys: Response members that are not aggregated across pages.
    """

    input_token: tuple[str, ...]
    output_token: tuple[str, ...]
    result_key: tuple[str, ...]
    limit_key: str | None = None
    more_results: str | None = None
    non_aggregate_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class OperationModel:
    """One API operation, with everything a protocol needs precomputed.

    Attributes:
        name: The operation name (``PutObject``).
        http_method: ``GET``, ``PUT``, ``POST``, ``DELETE`` or ``HEAD``.
        request_uri: The model's URI template (``/{Bucket}/{Key+}``, ``/{Bucket}?delete``).
        input: The input structure, or None.
        output: The output structure, or None.
        errors: Names of the error shapes the model lists for this operation.
        documentation: One line of documentation (for method docstrings).
        checksum_required: The body must carry a checksum (``Content-MD5``), e.g. DeleteObjects.
        request_algorithm_member: Input member that picks a flexible-checksum algorithm.
        validation_mode_member: Input member that asks for response checksum validation.
        path_parts: The URI path, parsed: ``(literal, label, greedy)`` triples; ``label`` is
            None for a trailing literal. Precomputed so no template parsing happens per call.
        static_query: The query string fixed by the template (``list-type=2``, ``delete``).
        input_payload: The input member that is the whole body, or None.
        output_payload: The output member that is the whole body, or None.
        streaming_output_member: Output member to attach the response stream to, or None.
        error_shapes: Service-wide error shapes by error code (shared by all operations).
    """

    name: str
    http_method: str
    request_uri: str
    input: Shape | None
    output: Shape | None
    errors: tuple[str, ...] = ()
    documentation: str = ""
    checksum_required: bool = False
    request_algorithm_member: str | None = None
    validation_mode_member: str | None = None
    path_parts: tuple[tuple[str, str | None, bool], ...] = ()
    static_query: str = ""
    input_payload: Member | None = None
    output_payload: Member | None = None
    streaming_output_member: str | None = None
    error_shapes: Mapping[str, Shape] = field(default_factory=lambda: _EMPTY)

    def __repr__(self) -> str:
        return f"OperationModel({self.name!r}, {self.http_method} {self.request_uri})"


@dataclass(frozen=True, slots=True, eq=False)
class ServiceModel:
    """A service's metadata, operations, paginators and named shapes.

    Attributes:
        service_name: hub's name for the service (``s3``, ``dynamodb``).
        api_version: ``2006-03-01``.
        endpoint_prefix: Host prefix used by endpoint resolution (``s3``).
        signing_name: SigV4 service name (defaults to the endpoint prefix).
        protocol: ``rest-xml`` or ``json``.
        target_prefix: JSON protocol ``X-Amz-Target`` prefix, or None.
        json_version: JSON protocol version (``1.0``), or None.
        metadata: The model metadata as generated (read-only).
        operations: Operations by name.
        paginators: Paginator facts by operation name.
        shapes: Every shape by name (the name table used to resolve references).
    """

    service_name: str
    api_version: str
    endpoint_prefix: str
    signing_name: str
    protocol: str
    target_prefix: str | None
    json_version: str | None
    metadata: Mapping[str, Any]
    operations: Mapping[str, OperationModel]
    paginators: Mapping[str, Paginator]
    shapes: Mapping[str, Shape]

    def __repr__(self) -> str:
        return f"ServiceModel({self.service_name!r}, {self.api_version!r})"


def _namespace(spec: Any) -> tuple[str | None, str | None]:
    if isinstance(spec, dict):
        return spec.get("uri"), spec.get("prefix") or None
    if isinstance(spec, str):
        return spec, None
    return None, None


def _make_member(name: str, ref: Mapping[str, Any], shapes: Mapping[str, Shape],
                 raw: Mapping[str, Mapping[str, Any]]) -> Member:
    target = shapes[ref["shape"]]
    target_raw = raw[ref["shape"]]
    explicit = ref.get("locationName", target_raw.get("locationName"))
    ns_uri, ns_prefix = _namespace(ref.get("xmlNamespace", target_raw.get("xmlNamespace")))
    wire = explicit if explicit is not None else name
    return Member(
        name=name,
        shape=target,
        type=target.type,
        location=ref.get("location"),
        wire_name=wire,
        header_key=wire.lower(),
        flattened=bool(ref.get("flattened", target_raw.get("flattened", False))),
        xml_attribute=bool(ref.get("xmlAttribute", False)),
        xml_namespace=ns_uri,
        xml_namespace_prefix=ns_prefix,
        timestamp_format=ref.get("timestampFormat", target_raw.get("timestampFormat")),
        streaming=bool(ref.get("streaming", target_raw.get("streaming", False))),
        idempotency_token=bool(ref.get("idempotencyToken", False)),
        jsonvalue=bool(ref.get("jsonvalue", False)),
        has_wire_name=explicit is not None,
    )


def _parse_uri(uri: str) -> tuple[tuple[tuple[str, str | None, bool], ...], str]:
    path, _, query = uri.partition("?")
    parts: list[tuple[str, str | None, bool]] = []
    rest = path
    while "{" in rest:
        literal, _, after = rest.partition("{")
        label, _, rest = after.partition("}")
        greedy = label.endswith("+")
        parts.append((literal, label.rstrip("+"), greedy))
    if rest:
        parts.append((rest, None, False))
    return tuple(parts), query


def build_service_model(
    service_name: str,
    metadata: Mapping[str, Any],
    operations: Mapping[str, Mapping[str, Any]],
    shapes: Mapping[str, Mapping[str, Any]],
    paginators: Mapping[str, Mapping[str, Any]],
) -> ServiceModel:
    """Build the immutable model of one service from generated data (once, at import).

    Args:
        service_name: hub's name for the service.
        metadata: The ``METADATA`` dict of a generated module.
        operations: The ``OPERATIONS`` dict (``http``, ``input``, ``output``, ``errors``, ...).
        shapes: The ``SHAPES`` name table; references between shapes are by name.
        paginators: The ``PAGINATORS`` dict.

    Returns:
        The service model.
    """
    built: dict[str, Shape] = {}
    for name, raw in shapes.items():
        ns_uri, ns_prefix = _namespace(raw.get("xmlNamespace"))
        error = raw.get("error", {})
        built[name] = Shape(
            name=name,
            type=raw["type"],
            required=tuple(raw.get("required", ())),
            payload=raw.get("payload"),
            flattened=bool(raw.get("flattened", False)),
            location_name=raw.get("locationName"),
            xml_namespace=ns_uri,
            xml_namespace_prefix=ns_prefix,
            timestamp_format=raw.get("timestampFormat"),
            streaming=bool(raw.get("streaming", False)),
            enum=tuple(raw.get("enum", ())),
            min=raw.get("min"),
            max=raw.get("max"),
            exception=bool(raw.get("exception", False)),
            error_code=error.get("code", name) if raw.get("exception") else None,
            error_status=error.get("httpStatusCode"),
        )
    # Second step: attach members. object.__setattr__ is the documented way to initialise a
    # frozen dataclass; it happens only here, before any shape is reachable from outside.
    for name, raw in shapes.items():
        shape = built[name]
        if "members" in raw:
            members = {m: _make_member(m, ref, built, shapes) for m, ref in raw["members"].items()}
            object.__setattr__(shape, "members", MappingProxyType(members))
            body = tuple(m for m in members.values() if m.location is None)
            object.__setattr__(shape, "body_members", body)
            located = tuple(m for m in members.values() if m.location is not None)
            object.__setattr__(shape, "located_members", located)
        for slot, default_name in (("member", "member"), ("key", "key"), ("value", "value")):
            if slot in raw:
                object.__setattr__(shape, slot, _make_member(default_name, raw[slot], built,
                                                             shapes))

    error_shapes = MappingProxyType(
        {s.error_code: s for s in built.values() if s.exception and s.error_code}
    )
    ops: dict[str, OperationModel] = {}
    for name, raw_op in operations.items():
        method, uri = raw_op["http"]
        input_shape = built[raw_op["input"]] if raw_op.get("input") else None
        output_shape = built[raw_op["output"]] if raw_op.get("output") else None
        path_parts, static_query = _parse_uri(uri)
        in_payload = out_payload = None
        if input_shape is not None and input_shape.payload:
            in_payload = input_shape.members[input_shape.payload]
        if output_shape is not None and output_shape.payload:
            out_payload = output_shape.members[output_shape.payload]
        streaming_out = None
        if out_payload is not None and out_payload.type in ("blob", "string"):
            streaming_out = out_payload.name
        ops[name] = OperationModel(
            name=name,
            http_method=method,
            request_uri=uri,
            input=input_shape,
            output=output_shape,
            errors=tuple(raw_op.get("errors", ())),
            documentation=raw_op.get("documentation", ""),
            checksum_required=bool(raw_op.get("checksumRequired", False)),
            request_algorithm_member=raw_op.get("requestAlgorithmMember"),
            validation_mode_member=raw_op.get("requestValidationModeMember"),
            path_parts=path_parts,
            static_query=static_query,
            input_payload=in_payload,
            output_payload=out_payload,
            streaming_output_member=streaming_out,
            error_shapes=error_shapes,
        )

    pages = {}
    for name, raw_page in paginators.items():
        pages[name] = Paginator(
            input_token=_as_tuple(raw_page["input_token"]),
            output_token=_as_tuple(raw_page["output_token"]),
            result_key=_as_tuple(raw_page.get("result_key", ())),
            limit_key=raw_page.get("limit_key"),
            more_results=raw_page.get("more_results"),
            non_aggregate_keys=_as_tuple(raw_page.get("non_aggregate_keys", ())),
        )

    endpoint_prefix = metadata["endpointPrefix"]
    return ServiceModel(
        service_name=service_name,
        api_version=metadata["apiVersion"],
        endpoint_prefix=endpoint_prefix,
        signing_name=metadata.get("signingName", endpoint_prefix),
        protocol=metadata["protocol"],
        target_prefix=metadata.get("targetPrefix"),
        json_version=metadata.get("jsonVersion"),
        metadata=MappingProxyType(dict(metadata)),
        operations=MappingProxyType(ops),
        paginators=MappingProxyType(pages),
        shapes=MappingProxyType(built),
    )


def _as_tuple(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)
