"""The shape model: immutable descriptions of a service's operations and their data.

Shapes follow botocore's vocabulary (structure, list, map, string, integer, long, boolean, blob,
timestamp, float, double; ``document`` and ``union`` structures). They are built from the
generated model modules in ``hub/services`` (or botocore's own JSON, whose shape and operation
dicts are accepted as they are) and shared read-only by every thread.

Two ways to build:

* :func:`build_service_model` builds every shape and operation at once (small models, tests).
* Lazily, one operation at a time: a :class:`ShapeResolver` over the raw ``SHAPES`` table
  builds the shapes an operation reaches on first use, and :func:`build_operation` turns one raw
  operation into an :class:`OperationModel`. :class:`LazyErrorShapes` finds a service's error
  shapes by code without building the others.

Recursive shapes (DynamoDB's ``AttributeValue`` holds maps and lists of itself) are built in two
steps: every :class:`Shape` reachable from the requested one is created first, then members are
attached; the new shapes are published to the resolver's cache only after that finishes, so
readers only ever see complete, frozen objects. Shapes and members compare and hash by identity
for the same reason: a field-by-field ``__eq__`` would recurse forever on a cycle.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from hub._value import dataclass, field

__all__ = [
    "LazyErrorShapes",
    "Member",
    "OperationModel",
    "Paginator",
    "ServiceModel",
    "Shape",
    "ShapeResolver",
    "build_operation",
    "build_paginator",
    "build_service_model",
    "error_codes",
    "model_from_metadata",
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
        error_code: The wire error code for error shapes (the ``error.code`` trait, e.g. a
            query-compatible service's ``awsQueryError`` code; defaults to the shape name).
        error_status: The HTTP status the model gives an error shape, or None.
        document: A structure holding a free-form JSON document (passed through as-is).
        union: A structure of which exactly one member is set (a tagged union).
        event_stream: A structure that is an event stream (its members are the event types).
        body_members: Structure members that live in the body, precomputed.
        located_members: Structure members bound to a header, the URI, the query string or the
            status code, precomputed.
        idempotency_members: Names of members filled with a UUID4 when left out, precomputed.
        sensitive: The model marks the value secret (``"sensitive": true``): validation
            messages never quote it.
        plans: Per-shape work compiled on first use (a validator, a JSON writer, ...), by
            kind; see :func:`shape_plan`. Not part of the shape's value.
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
    document: bool = False
    union: bool = False
    event_stream: bool = False
    body_members: tuple[Member, ...] = ()
    located_members: tuple[Member, ...] = ()
    idempotency_members: tuple[str, ...] = ()
    sensitive: bool = False
    # Not part of the value: never passed (a replace() of a shape would copy it: hub makes
    # none), compared or shown.
    plans: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        return f"Shape({self.name!r}, {self.type!r})"


def shape_plan(shape: Shape, kind: str) -> Any:
    """The plan of ``kind`` compiled for ``shape``, or None when none was published yet."""
    plans = shape.plans
    return None if plans is None else plans.get(kind)


def publish_plan(shape: Shape, kind: str, plan: Any) -> None:
    """Publish a complete, immutable plan for ``shape`` (callers build it before publishing).

    Two threads compiling the same shape at once may both publish: the plans are equivalent
    and either wins. Each step is one reference assignment (the dict is created once per
    shape; a dict lost to a racing creation only costs a recompile).
    """
    plans = shape.plans
    if plans is None:
        plans = {}
        object.__setattr__(shape, "plans", plans)  # frozen dataclass: its documented escape
    plans[kind] = plan


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
        host_label: The value is substituted into the operation's ``hostPrefix``.
        event_payload: An event's member that is the whole event payload (``eventpayload``).
        event_header: An event's member carried in an event-stream header (``eventheader``).
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
    host_label: bool = False
    event_payload: bool = False
    event_header: bool = False

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
        response_algorithms: The checksum algorithms the response may carry (``httpChecksum``
            ``responseAlgorithms``); empty when the model does not list them.
        path_parts: The URI path, parsed: ``(literal, label, greedy)`` triples; ``label`` is
            None for a trailing literal. Precomputed so no template parsing happens per call.
        static_query: The query string fixed by the template (``list-type=2``, ``delete``).
        input_payload: The input member that is the whole body, or None.
        output_payload: The output member that is the whole body, or None.
        streaming_output_member: Output member to attach the response stream to (a blob
            payload, as in botocore, or an output event stream), or None.
        error_shapes: Service-wide error shapes by error code (shared by all operations).
        result_wrapper: Query protocol: the element wrapping the output
            (``GetCallerIdentityResult``), or None.
        host_prefix: The ``endpoint.hostPrefix`` template (``{AccountId}.``), or None.
        event_stream_member: The output (else input) member that is an event stream, or
            None. Output event streams are read by :mod:`hub.protocols._events`; input ones
            are refused (UnsupportedProtocolError).
        input_root: The input as a member: its ``wire_name`` is the XML root element of a
            rest-xml body (the input reference's ``locationName`` and ``xmlNamespace``, else
            the shape's), or None when the input has no such name.
        unsigned: The operation takes no authentication (``authtype: none`` /
            ``smithy.api#noAuth``: STS AssumeRoleWithWebIdentity, SSO GetRoleCredentials):
            it is sent unsigned and no credentials are looked for, as in botocore.
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
    response_algorithms: tuple[str, ...] = ()
    path_parts: tuple[tuple[str, str | None, bool], ...] = ()
    static_query: str = ""
    input_payload: Member | None = None
    output_payload: Member | None = None
    streaming_output_member: str | None = None
    error_shapes: Mapping[str, Shape] = field(default_factory=lambda: _EMPTY)
    result_wrapper: str | None = None
    host_prefix: str | None = None
    event_stream_member: str | None = None
    input_root: Member | None = None
    unsigned: bool = False

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
        protocol: The wire protocol hub uses for it (``rest-xml``, ``json``, ``rest-json``,
            ``query``): the first of the model's ``protocols`` that hub implements.
        target_prefix: JSON protocol ``X-Amz-Target`` prefix, or None.
        json_version: JSON protocol version (``1.0``), or None.
        metadata: The model metadata as generated (read-only).
        operations: Operations by name.
        paginators: Paginator facts by operation name.
        shapes: Every shape by name (the name table used to resolve references).
        query_compatible: A JSON service that was a query service (``awsQueryCompatible``):
            it reads ``x-amzn-query-error`` on errors and is sent ``x-amzn-query-mode``.
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
    query_compatible: bool = False

    def __repr__(self) -> str:
        return f"ServiceModel({self.service_name!r}, {self.api_version!r})"


#: The wire protocols hub implements, in the order it prefers them.
SUPPORTED_PROTOCOLS = ("rest-xml", "rest-json", "json", "query")


def choose_protocol(metadata: Mapping[str, Any]) -> str:
    """The protocol to speak to a service: the first of ``protocols`` that hub implements.

    botocore does the same with its own list (a service such as CloudWatch lists
    ``smithy-rpc-v2-cbor``, ``json`` and ``query``; hub speaks ``json`` to it). When none is
    supported the model's ``protocol`` is returned, and :func:`hub.protocols.get_protocol`
    refuses it with an :class:`~hub.errors.UnsupportedProtocolError`.
    """
    for name in metadata.get("protocols") or ():
        if name in SUPPORTED_PROTOCOLS:
            return str(name)
    return str(metadata["protocol"])


def _namespace(spec: Any) -> tuple[str | None, str | None]:
    if isinstance(spec, dict):
        return spec.get("uri"), spec.get("prefix") or None
    if isinstance(spec, str):
        return spec, None
    return None, None


def _new_shape(name: str, raw: Mapping[str, Any]) -> Shape:
    ns_uri, ns_prefix = _namespace(raw.get("xmlNamespace"))
    error = raw.get("error") or {}
    exception = bool(raw.get("exception", False))
    return Shape(
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
        exception=exception,
        error_code=(error.get("code") or name) if exception else None,
        error_status=error.get("httpStatusCode"),
        document=bool(raw.get("document", False)),
        union=bool(raw.get("union", False)),
        event_stream=bool(raw.get("eventstream", False)),
        sensitive=bool(raw.get("sensitive", False)),
    )


def _make_member(name: str, ref: Mapping[str, Any], target: Shape,
                 target_raw: Mapping[str, Any]) -> Member:
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
        host_label=bool(ref.get("hostLabel", False)),
        event_payload=bool(ref.get("eventpayload", False)),
        event_header=bool(ref.get("eventheader", False)),
    )


def _refs(raw: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(slot, member name, reference) for every shape reference of one raw shape."""
    for member_name, ref in (raw.get("members") or {}).items():
        yield "members", member_name, ref
    for slot in ("member", "key", "value"):
        if slot in raw:
            yield slot, slot, raw[slot]


class ShapeResolver:
    """Builds :class:`Shape` objects from a raw ``SHAPES`` name table on first use.

    Thread-safe without a lock: a lookup that misses builds the missing shapes (everything
    reachable from the requested one that is not built yet) privately, then publishes them
    with ``dict.setdefault``. Two threads racing on the same shape may each build a copy;
    one copy wins in the cache and both are complete and equivalent (shapes are values).

    Args:
        raw: The raw shapes by name (a generated ``SHAPES`` dict or botocore's ``shapes``).
    """

    __slots__ = ("_built", "_raw")

    def __init__(self, raw: Mapping[str, Mapping[str, Any]]) -> None:
        self._raw = raw
        self._built: dict[str, Shape] = {}

    @property
    def raw(self) -> Mapping[str, Mapping[str, Any]]:
        """The raw shape table this resolver reads."""
        return self._raw

    def built(self) -> Mapping[str, Shape]:
        """A read-only, live view of the shapes built so far (it grows as shapes are built;
        copy it before iterating while other threads may build)."""
        return MappingProxyType(self._built)

    def shape(self, name: str) -> Shape:
        """The shape called ``name``, building it (and what it reaches) on first use.

        Raises:
            KeyError: No shape of that name in the table.
        """
        found = self._built.get(name)
        if found is not None:
            return found
        raw = self._raw
        pending: dict[str, Shape] = {}
        stack = [name]
        while stack:  # phase 1: create every missing reachable shape, members not yet set
            current = stack.pop()
            if current in pending or current in self._built:
                continue
            pending[current] = _new_shape(current, raw[current])
            stack.extend(ref["shape"] for _, _, ref in _refs(raw[current]))
        for current, shape in pending.items():  # phase 2: attach members
            members: dict[str, Member] = {}
            for slot, member_name, ref in _refs(raw[current]):
                target_name = ref["shape"]
                target = pending.get(target_name) or self._built[target_name]
                member = _make_member(member_name, ref, target, raw[target_name])
                if slot == "members":
                    members[member_name] = member
                else:
                    # object.__setattr__ is the documented way to initialise a frozen
                    # dataclass; it happens only here, before the shape is published.
                    object.__setattr__(shape, slot, member)
            if "members" in raw[current]:
                object.__setattr__(shape, "members", MappingProxyType(members))
                object.__setattr__(shape, "body_members",
                                   tuple(m for m in members.values() if m.location is None))
                object.__setattr__(shape, "located_members",
                                   tuple(m for m in members.values() if m.location is not None))
                object.__setattr__(shape, "idempotency_members",
                                   tuple(m.name for m in members.values() if m.idempotency_token))
        for current, shape in pending.items():  # phase 3: publish
            self._built.setdefault(current, shape)
        return self._built[name]


def error_codes(raw_shapes: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Wire error code -> error shape name, for every modeled error of a raw shape table
    (the code is the shape's ``error.code``, else its name); sorted by shape name."""
    codes: dict[str, str] = {}
    for name in sorted(raw_shapes):
        raw = raw_shapes[name]
        if raw.get("exception"):
            codes[(raw.get("error") or {}).get("code") or name] = name
    return codes


class LazyErrorShapes(Mapping[str, Shape]):
    """A service's error shapes by wire error code, each built on first lookup.

    The codes are found by one scan of the raw table (on first use); only the shapes actually
    looked up are built.

    Args:
        resolver: The service's shape resolver.
    """

    __slots__ = ("_codes", "_resolver")

    def __init__(self, resolver: ShapeResolver) -> None:
        self._resolver = resolver
        self._codes: Mapping[str, str] | None = None

    def _code_table(self) -> Mapping[str, str]:
        codes = self._codes
        if codes is None:
            codes = self._codes = MappingProxyType(error_codes(self._resolver.raw))
        return codes

    def __getitem__(self, code: str) -> Shape:
        return self._resolver.shape(self._code_table()[code])

    def __iter__(self) -> Iterator[str]:
        return iter(self._code_table())

    def __len__(self) -> int:
        return len(self._code_table())

    def __contains__(self, code: object) -> bool:
        return code in self._code_table()


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


def _ref(raw: Any) -> tuple[str | None, Mapping[str, Any]]:
    # Generated models name the shape; botocore's JSON has {"shape": ..., "resultWrapper": ...}.
    if raw is None or raw == "":
        return None, _EMPTY
    if isinstance(raw, str):
        return raw, _EMPTY
    return raw["shape"], raw


def _event_stream_member(shape: Shape | None) -> str | None:
    if shape is None:
        return None
    for member in shape.members.values():
        if member.shape.event_stream:
            return member.name
    return None


def build_operation(name: str, raw_op: Mapping[str, Any], resolver: ShapeResolver, *,
                    error_shapes: Mapping[str, Shape] | None = None) -> OperationModel:
    """Build one operation from its raw description (the unit of lazy model building).

    Args:
        name: The operation name.
        raw_op: A generated ``OPERATIONS`` entry (``"http": (method, uri)``, ``"input"``/
            ``"output"`` shape names) or botocore's JSON form (``"http": {"method", "requestUri"}``,
            ``{"shape": ..., "resultWrapper": ...}`` references; an input reference may carry
            the ``locationName``/``xmlNamespace`` of a rest-xml body's root element). Also
            read: ``errors``, ``documentation``, ``checksumRequired`` /
            ``httpChecksumRequired`` / ``httpChecksum``, ``endpoint.hostPrefix`` and a
            top-level ``resultWrapper`` (generated form).
        resolver: Builds the shapes the operation reaches.
        error_shapes: The service's error shapes by code (shared by every operation; a
            :class:`LazyErrorShapes` keeps them lazy). Defaults to an empty mapping.

    Returns:
        The operation model.
    """
    http = raw_op["http"]
    if isinstance(http, Mapping):
        method, uri = http.get("method", "POST"), http.get("requestUri", "/")
    else:
        method, uri = http
    in_name, in_ref = _ref(raw_op.get("input"))
    out_name, out_ref = _ref(raw_op.get("output"))
    input_shape = resolver.shape(in_name) if in_name else None
    output_shape = resolver.shape(out_name) if out_name else None
    path_parts, static_query = _parse_uri(uri)
    in_payload = out_payload = None
    if input_shape is not None and input_shape.payload:
        in_payload = input_shape.members[input_shape.payload]
    if output_shape is not None and output_shape.payload:
        out_payload = output_shape.members[output_shape.payload]
    input_root = None
    if input_shape is not None and in_name is not None:
        root_ref = {"shape": in_name, **{k: v for k, v in in_ref.items()
                                         if k in ("locationName", "xmlNamespace")}}
        raw_input = resolver.raw[in_name]
        if "locationName" in root_ref or "locationName" in raw_input:
            input_root = _make_member(input_shape.name, root_ref, input_shape, raw_input)
    out_events = _event_stream_member(output_shape)
    streaming_out = out_events  # an output event stream is read as its events arrive
    if out_payload is not None and out_payload.type == "blob":
        # botocore streams every blob payload (streaming flag or not) and reads string ones.
        streaming_out = out_payload.name
    checksum = raw_op.get("httpChecksum") or {}
    errors = tuple(e if isinstance(e, str) else e["shape"] for e in raw_op.get("errors", ()))
    documentation = raw_op.get("documentation", "")
    return OperationModel(
        name=name,
        http_method=method,
        request_uri=uri,
        input=input_shape,
        output=output_shape,
        errors=errors,
        documentation=documentation if isinstance(documentation, str) else "",
        checksum_required=bool(raw_op.get("checksumRequired")
                               or raw_op.get("httpChecksumRequired")
                               or checksum.get("requestChecksumRequired")),
        request_algorithm_member=raw_op.get("requestAlgorithmMember",
                                            checksum.get("requestAlgorithmMember")),
        validation_mode_member=raw_op.get("requestValidationModeMember",
                                          checksum.get("requestValidationModeMember")),
        response_algorithms=tuple(raw_op.get("responseAlgorithms",
                                             checksum.get("responseAlgorithms", ()))),
        path_parts=path_parts,
        static_query=static_query,
        input_payload=in_payload,
        output_payload=out_payload,
        streaming_output_member=streaming_out,
        error_shapes=error_shapes if error_shapes is not None else _EMPTY,
        result_wrapper=out_ref.get("resultWrapper", raw_op.get("resultWrapper")),
        host_prefix=(raw_op.get("endpoint") or {}).get("hostPrefix"),
        event_stream_member=out_events or _event_stream_member(input_shape),
        input_root=input_root,
        unsigned=(raw_op.get("authtype") == "none"
                  or list(raw_op.get("auth") or ()) == ["smithy.api#noAuth"]),
    )


def build_paginator(raw_page: Mapping[str, Any]) -> Paginator:
    """Build one :class:`Paginator` from its ``paginators-1.json`` entry."""
    return Paginator(
        input_token=_as_tuple(raw_page["input_token"]),
        output_token=_as_tuple(raw_page["output_token"]),
        result_key=_as_tuple(raw_page.get("result_key", ())),
        limit_key=raw_page.get("limit_key"),
        more_results=raw_page.get("more_results"),
        non_aggregate_keys=_as_tuple(raw_page.get("non_aggregate_keys", ())),
    )


def build_service_model(
    service_name: str,
    metadata: Mapping[str, Any],
    operations: Mapping[str, Mapping[str, Any]],
    shapes: Mapping[str, Mapping[str, Any]],
    paginators: Mapping[str, Mapping[str, Any]],
) -> ServiceModel:
    """Build the whole immutable model of one service at once.

    Args:
        service_name: hub's name for the service.
        metadata: The ``METADATA`` dict of a generated module (or botocore's ``metadata``).
        operations: The ``OPERATIONS`` dict (see :func:`build_operation` for the forms read).
        shapes: The ``SHAPES`` name table; references between shapes are by name.
        paginators: The ``PAGINATORS`` dict.

    Returns:
        The service model.
    """
    resolver = ShapeResolver(shapes)
    for name in shapes:
        resolver.shape(name)
    error_shapes = MappingProxyType(dict(LazyErrorShapes(resolver)))
    ops = {name: build_operation(name, raw_op, resolver, error_shapes=error_shapes)
           for name, raw_op in operations.items()}
    pages = {name: build_paginator(raw_page) for name, raw_page in paginators.items()}
    return model_from_metadata(service_name, MappingProxyType(dict(metadata)),
                               operations=MappingProxyType(ops),
                               paginators=MappingProxyType(pages), shapes=resolver.built())


def model_from_metadata(service_name: str, metadata: Mapping[str, Any], *,
                        operations: Mapping[str, OperationModel],
                        paginators: Mapping[str, Paginator],
                        shapes: Mapping[str, Shape]) -> ServiceModel:
    """A :class:`ServiceModel` whose service facts (API version, endpoint prefix, signing
    name, protocol, JSON target, query compatibility) are read from ``metadata``; the one
    place that reads them, for whole and lazily built models alike."""
    endpoint_prefix = metadata["endpointPrefix"]
    return ServiceModel(
        service_name=service_name,
        api_version=metadata["apiVersion"],
        endpoint_prefix=endpoint_prefix,
        signing_name=metadata.get("signingName", endpoint_prefix),
        protocol=choose_protocol(metadata),
        target_prefix=metadata.get("targetPrefix"),
        json_version=metadata.get("jsonVersion"),
        metadata=metadata,
        operations=operations,
        paginators=paginators,
        shapes=shapes,
        query_compatible="awsQueryCompatible" in metadata,
    )


def _as_tuple(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)
