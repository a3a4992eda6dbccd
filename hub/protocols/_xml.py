"""XML for the rest-xml and query protocols: safe parsing, shape-driven reading and writing.

Reading follows botocore's rules (namespaces ignored on element names, repeated elements
grouped, flattened lists without a wrapper, empty elements read as ``""``). Anything a shape does
not expect raises ``ValueError``/``TypeError``; the protocol module turns those into
:class:`hub.errors.ResponseParseError` naming the operation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from hub._deferred import deferred, deferred_import
from hub.errors import XMLForbidden
from hub.protocols._common import (
    b64decode,
    b64encode,
    float_text,
    format_timestamp,
    parse_timestamp,
)
from hub.protocols._shapes import Member, Shape

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET
else:  # imported by the first XML parsed or written, not by creating a client
    ET = deferred_import(globals(), "ET", "xml.etree.ElementTree")

__all__ = [
    "XMLForbidden",
    "element_text",
    "local_name",
    "parse_xml",
    "read_members",
    "read_structure",
    "read_value",
    "scalar_text",
    "write_document",
]

_Node: TypeAlias = "ET.Element | list[ET.Element]"


def _safe_tree_builder() -> type[ET.TreeBuilder]:
    class _SafeTreeBuilder(ET.TreeBuilder):
        # ElementTree never fetches external entities, but an internal DTD can still define
        # exponentially expanding entities ("billion laughs"). No AWS response has a DOCTYPE,
        # so the parser refuses one as soon as it starts, before any entity can be declared.
        def doctype(self, name: str, pubid: str, system: str) -> None:
            raise XMLForbidden("XML with a DOCTYPE declaration is not accepted")

    return _SafeTreeBuilder


# The class is made with ElementTree, on first use.
_SafeTreeBuilder: type[ET.TreeBuilder] = deferred(globals(), "_SafeTreeBuilder",
                                                  _safe_tree_builder)


def parse_xml(body: bytes) -> ET.Element:
    """Parse a response body into its root element, refusing DOCTYPE/ENTITY declarations.

    Raises:
        XMLForbidden: The document has a DOCTYPE.
        xml.etree.ElementTree.ParseError: The body is not well-formed XML.
    """
    # The encoding is forced to UTF-8 (AWS only sends UTF-8), as botocore does; this also stops
    # a declared exotic encoding from hiding markup from the checks above.
    parser = ET.XMLParser(target=_SafeTreeBuilder(), encoding="utf-8")
    parser.feed(body)
    root: ET.Element = parser.close()
    return root


def local_name(tag: str) -> str:
    """An element tag without its ``{namespace}``."""
    return tag.rpartition("}")[2] if tag[:1] == "{" else tag


def element_text(node: _Node) -> str:
    """Text of an element ('' when empty); the last one when an element was repeated."""
    if isinstance(node, list):
        node = node[-1]
    return node.text or ""


def _children(node: ET.Element) -> dict[str, _Node]:
    grouped: dict[str, _Node] = {}
    for child in node:
        tag = local_name(child.tag)
        seen = grouped.get(tag)
        if seen is None:
            grouped[tag] = child
        elif isinstance(seen, list):
            seen.append(child)
        else:
            grouped[tag] = [seen, child]
    return grouped


def _key_name(member: Member) -> str:
    # A flattened list is named by its element's locationName when the model gives one.
    if member.type == "list" and member.flattened:
        element = member.shape.member
        if element is not None and element.has_wire_name:
            return element.wire_name
    return member.wire_name


def read_structure(shape: Shape, node: _Node) -> dict[str, Any]:
    """Read the body members of ``shape`` from ``node``.

    A union whose one element this model does not know reads as
    ``{"SDK_UNKNOWN_MEMBER": {"name": <element>}}``, as in botocore.

    Raises:
        ValueError: A scalar does not parse (bad integer, timestamp, base64, ...), or a union
            has more than one member set.
    """
    if shape.union:
        first = node[0] if isinstance(node, list) else node
        tags = {local_name(child.tag) for child in first} - {"__type"}
        if len(tags) != 1:
            raise ValueError(f"{shape.name} must have exactly one member set, got {len(tags)}")
        tag = tags.pop()
        if not any(_key_name(m) == tag for m in shape.body_members):
            return {"SDK_UNKNOWN_MEMBER": {"name": tag}}
    return read_members(shape.body_members, node)


def read_members(members: tuple[Member, ...], node: _Node) -> dict[str, Any]:
    """Read ``members`` (body members of one structure) from the children of ``node``."""
    if isinstance(node, list):
        node = node[0]
    grouped = _children(node)
    parsed: dict[str, Any] = {}
    for member in members:
        found = grouped.get(_key_name(member))
        if found is not None:
            parsed[member.name] = read_value(member, found)
        elif member.xml_attribute:
            wanted = member.wire_name.rpartition(":")[2]
            for key, value in node.attrib.items():
                if local_name(key) == wanted:
                    parsed[member.name] = value
    return parsed


def read_value(member: Member, node: _Node) -> Any:
    """Read one value of ``member``'s type from an element (or group of repeated elements)."""
    kind = member.type
    shape = member.shape
    if kind == "structure":
        return read_structure(shape, node)
    if kind == "list":
        element = shape.member
        assert element is not None
        if member.flattened:
            items = node if isinstance(node, list) else [node]
        else:
            items = list(node[-1] if isinstance(node, list) else node)
        return [read_value(element, item) for item in items]
    if kind == "map":
        return _read_map(member, node)
    text = element_text(node)
    if kind == "string":
        return text
    if kind in ("integer", "long"):
        return int(text)
    if kind == "boolean":
        return text == "true"
    if kind in ("float", "double"):
        return float(text)
    if kind == "timestamp":
        return parse_timestamp(text)
    if kind == "blob":
        return b64decode(text)
    raise ValueError(f"unsupported shape type {kind!r}")


def _read_map(member: Member, node: _Node) -> dict[Any, Any]:
    shape = member.shape
    key_m, value_m = shape.key, shape.value
    assert key_m is not None and value_m is not None
    if member.flattened:
        entries = node if isinstance(node, list) else [node]
    else:
        entries = list(node[-1] if isinstance(node, list) else node)
    parsed: dict[Any, Any] = {}
    for entry in entries:
        key: Any = None
        value: Any = None
        for pair in entry:
            tag = local_name(pair.tag)
            if tag == key_m.wire_name:
                key = read_value(key_m, pair)
            elif tag == value_m.wire_name:
                value = read_value(value_m, pair)
            else:
                raise ValueError(f"unexpected map element <{tag}>")
        parsed[key] = value
    return parsed


def _namespace(member: Member, node: ET.Element) -> None:
    if member.xml_namespace is not None:
        prefix = member.xml_namespace_prefix
        node.set(f"xmlns:{prefix}" if prefix else "xmlns", member.xml_namespace)


def write_document(member: Member, value: Any) -> bytes:
    """Serialize a structure payload as an XML document rooted at the member's wire name.

    Matches botocore's bytes: UTF-8, no XML declaration, ``xmlns`` on the root.
    """
    holder = ET.Element("")
    _write(holder, member, value, member.wire_name)
    document: bytes = ET.tostring(holder[0], encoding="utf-8")
    return document


def _write(parent: ET.Element, member: Member, value: Any, name: str) -> None:
    kind = member.type
    shape = member.shape
    if kind == "structure":
        node = ET.SubElement(parent, name)
        _namespace(member, node)
        for key, item in value.items():
            if item is None:
                continue
            child = shape.members[key]
            if child.xml_attribute:
                node.set(child.wire_name, str(item))
            else:
                _write(node, child, item, child.wire_name)
    elif kind == "list":
        element = shape.member
        assert element is not None
        if member.flattened:
            container, item_name = parent, name
        else:
            container, item_name = ET.SubElement(parent, name), element.wire_name
            _namespace(member, container)
        for item in value:
            _write(container, element, item, item_name)
    elif kind == "map":
        key_m, value_m = shape.key, shape.value
        assert key_m is not None and value_m is not None
        if not member.flattened:
            container = ET.SubElement(parent, name)
            _namespace(member, container)
        for key, item in value.items():
            entry = ET.SubElement(parent if member.flattened else container,
                                  name if member.flattened else "entry")
            _write(entry, key_m, key, key_m.wire_name)
            _write(entry, value_m, item, value_m.wire_name)
    else:
        node = ET.SubElement(parent, name)
        node.text = scalar_text(member, value, "iso8601")
        _namespace(member, node)


def scalar_text(member: Member, value: Any, default_ts: str) -> str:
    """Render a scalar for XML text, a URI label or a query value (botocore's rules)."""
    kind = member.type
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return str(format_timestamp(value, member.timestamp_format or default_ts))
    if kind == "blob":
        return b64encode(value)
    if kind in ("float", "double"):
        return float_text(value)
    return str(value)
