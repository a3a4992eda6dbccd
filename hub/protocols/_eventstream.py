"""The AWS event-stream binary framing: an incremental, bounded decoder (and an encoder).

One message on the wire (all integers big-endian)::

    total length (u32) | headers length (u32) | prelude CRC32 (u32, of the 8 bytes before)
    headers (headers length bytes) | payload | message CRC32 (u32, of everything before it)

A header is ``name length (u8) | name (UTF-8) | type (u8) | value``; the types are
0 true, 1 false (no value bytes), 2 byte (i8), 3 short (i16), 4 integer (i32), 5 long (i64),
6 byte array and 7 string (u16 length, then the bytes), 8 timestamp (i64 milliseconds since
the epoch) and 9 UUID (16 bytes). A name appears at most once per message.

:class:`EventStreamDecoder` takes bytes as they arrive (:meth:`~EventStreamDecoder.feed`),
however the network splits them, and gives complete messages back. It never holds more than
one message plus what was fed beyond it: lengths above the limits (botocore's: 128 KiB of
headers, 24 MiB of payload) are refused as soon as the prelude arrives, before anything is
buffered for them, and a CRC that does not match raises at once. Decoded header values are
``bool``, ``int``, ``bytes``, ``str``, an aware ``datetime`` (timestamps) or a
``uuid.UUID``. :func:`encode_message` writes the same format (test servers, fakes).
"""

from __future__ import annotations

import datetime
import struct
import uuid
import zlib
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from hub.errors import EventStreamChecksumError, EventStreamDecodeError

__all__ = [
    "HEADER_TYPES",
    "MAX_HEADERS_BYTES",
    "MAX_PAYLOAD_BYTES",
    "EventMessage",
    "EventStreamDecoder",
    "encode_message",
]

#: Largest headers section accepted (botocore's limit).
MAX_HEADERS_BYTES = 128 * 1024
#: Largest payload accepted (botocore's limit).
MAX_PAYLOAD_BYTES = 24 * 1024 * 1024

_PRELUDE = struct.Struct(">III")  # total length, headers length, prelude CRC
_PRELUDE_BYTES = 12
_OVERHEAD = 16  # prelude + message CRC
_UTC = datetime.timezone.utc
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=_UTC)
# Fixed-size integer header types: type id -> (struct, size).
_INTS = {2: struct.Struct(">b"), 3: struct.Struct(">h"), 4: struct.Struct(">i"),
         5: struct.Struct(">q"), 8: struct.Struct(">q")}
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
#: Header type ids by name, for :func:`encode_message`'s explicit ``(type, value)`` form.
HEADER_TYPES = {"true": 0, "false": 1, "byte": 2, "short": 3, "integer": 4, "long": 5,
                "bytes": 6, "string": 7, "timestamp": 8, "uuid": 9}


class EventMessage(NamedTuple):
    """One decoded message.

    Attributes:
        headers: Header values by name (``:message-type``, ``:event-type``, ...).
        payload: The payload bytes.
    """

    headers: Mapping[str, Any]
    payload: bytes


class EventStreamDecoder:
    """Turns event-stream bytes, fed in pieces of any size, into :class:`EventMessage` s.

    Not thread-safe: one stream, one reader.

    Args:
        max_headers_bytes: Largest headers section accepted.
        max_payload_bytes: Largest payload accepted.
    """

    __slots__ = ("_buf", "_pos", "_total", "_max_headers", "_max_payload")

    def __init__(self, *, max_headers_bytes: int = MAX_HEADERS_BYTES,
                 max_payload_bytes: int = MAX_PAYLOAD_BYTES) -> None:
        self._buf = bytearray()
        self._pos = 0  # start of the first unconsumed message in _buf
        self._total: int | None = None  # the current message's length, once its prelude is in
        self._max_headers = max_headers_bytes
        self._max_payload = max_payload_bytes

    @property
    def pending(self) -> int:
        """Bytes fed but not yet returned as part of a message (0 between messages)."""
        return len(self._buf) - self._pos

    @property
    def needed(self) -> int:
        """How many more bytes complete the next message (or its prelude, when not yet in).

        Reading exactly this many bytes never waits for data past the message.
        """
        have = len(self._buf) - self._pos
        if self._total is None and have >= _PRELUDE_BYTES:
            self._read_prelude()
        want = _PRELUDE_BYTES if self._total is None else self._total
        return max(want - have, 0)

    def feed(self, data: bytes) -> None:
        """Add bytes from the stream (any split: a byte, part of a message, many messages)."""
        if self._pos and self._pos >= len(self._buf) // 2:
            del self._buf[:self._pos]  # compact; amortized O(1) per byte
            self._pos = 0
        self._buf += data

    def next_message(self) -> EventMessage | None:
        """The next complete message, or None until more bytes are fed.

        Raises:
            EventStreamChecksumError: The prelude's or the message's CRC32 does not match.
            EventStreamDecodeError: A length is out of bounds, or a header is malformed.
        """
        if self.needed:
            return None
        total = self._total
        assert total is not None
        start = self._pos
        end = start + total
        view = memoryview(self._buf)
        try:
            expected = _U32.unpack_from(view, end - 4)[0]
            actual = zlib.crc32(view[start:end - 4])
            if actual != expected:
                raise EventStreamChecksumError("message_crc", expected, actual)
            headers_len = _U32.unpack_from(view, start + 4)[0]
            headers_end = start + _PRELUDE_BYTES + headers_len
            headers = _decode_headers(view, start + _PRELUDE_BYTES, headers_end)
            payload = bytes(view[headers_end:end - 4])
        finally:
            view.release()
        self._pos = end
        self._total = None
        if self._pos == len(self._buf):
            self._buf.clear()
            self._pos = 0
        return EventMessage(headers, payload)

    def __iter__(self) -> Iterator[EventMessage]:
        """Yield every message complete so far."""
        while True:
            message = self.next_message()
            if message is None:
                return
            yield message

    def _read_prelude(self) -> None:
        total, headers_len, expected = _PRELUDE.unpack_from(self._buf, self._pos)
        # The prelude has its own CRC so that a damaged length is caught before it is trusted.
        actual = zlib.crc32(memoryview(self._buf)[self._pos:self._pos + 8])
        if actual != expected:
            raise EventStreamChecksumError("prelude_crc", expected, actual)
        if headers_len > self._max_headers:
            raise EventStreamDecodeError(
                f"event-stream message headers length {headers_len} exceeds the limit of "
                f"{self._max_headers} bytes", field="headers_length")
        if total < _OVERHEAD + headers_len:
            raise EventStreamDecodeError(
                f"event-stream message total length {total} is less than its headers length "
                f"{headers_len} plus {_OVERHEAD} bytes of framing", field="total_length")
        payload_len = total - _OVERHEAD - headers_len
        if payload_len > self._max_payload:
            raise EventStreamDecodeError(
                f"event-stream message payload length {payload_len} exceeds the limit of "
                f"{self._max_payload} bytes", field="total_length")
        self._total = total


def _decode_headers(view: memoryview, pos: int, end: int) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    while pos < end:
        name_len = view[pos]
        pos += 1
        if pos + name_len + 1 > end or name_len == 0:
            raise EventStreamDecodeError(
                "event-stream header name runs past the headers section or is empty",
                field="header_name")
        name = _text(view[pos:pos + name_len], "a header name", "header_name")
        pos += name_len
        kind = view[pos]
        pos += 1
        value: Any
        if kind == 0 or kind == 1:
            value = kind == 0
        elif kind in _INTS:
            fmt = _INTS[kind]
            if pos + fmt.size > end:
                raise _past_end(name)
            value = fmt.unpack_from(view, pos)[0]
            pos += fmt.size
            if kind == 8:
                value = _timestamp(value, name)
        elif kind == 6 or kind == 7:
            if pos + 2 > end:
                raise _past_end(name)
            size = _U16.unpack_from(view, pos)[0]
            pos += 2
            if pos + size > end:
                raise _past_end(name)
            raw = view[pos:pos + size]
            value = bytes(raw) if kind == 6 else _text(raw, f"header {name!r}", "header_value")
            pos += size
        elif kind == 9:
            if pos + 16 > end:
                raise _past_end(name)
            value = uuid.UUID(bytes=bytes(view[pos:pos + 16]))
            pos += 16
        else:
            raise EventStreamDecodeError(
                f"event-stream header {name!r} has unknown value type {kind}",
                field="header_type")
        if name in headers:
            raise EventStreamDecodeError(
                f"event-stream header {name!r} appears twice in one message",
                field="header_name")
        headers[name] = value
    return headers


def _text(raw: memoryview, what: str, field: str) -> str:
    try:
        return str(raw, "utf-8")
    except UnicodeDecodeError as exc:
        raise EventStreamDecodeError(f"event-stream {what} is not valid UTF-8",
                                     field=field) from exc


def _past_end(name: str) -> EventStreamDecodeError:
    return EventStreamDecodeError(
        f"event-stream header {name!r} value runs past the headers section",
        field="header_value")


def _timestamp(millis: int, name: str) -> datetime.datetime:
    try:
        return _EPOCH + datetime.timedelta(milliseconds=millis)
    except OverflowError as exc:
        raise EventStreamDecodeError(
            f"event-stream header {name!r} timestamp {millis} ms is out of range",
            field="header_value") from exc


# --------------------------------------------------------------------------- encoding

def encode_message(headers: Mapping[str, Any], payload: bytes = b"") -> bytes:
    """Encode one message (the inverse of :class:`EventStreamDecoder`).

    Args:
        headers: Header values by name. ``bool``, ``str``, ``bytes``, aware ``datetime``
            (timestamp) and ``uuid.UUID`` values get their natural type; an ``int`` is written
            as an integer (i32) when it fits, else a long. ``(type, value)`` picks the type
            explicitly: ``("byte", 1)``, ``("short", 1)``, ``("timestamp", millis)``, ... (see
            ``HEADER_TYPES``).
        payload: The payload.

    Raises:
        ValueError: A header name or value does not fit its type.
    """
    parts: list[bytes] = []
    for name, value in headers.items():
        encoded_name = name.encode("utf-8")
        if not 0 < len(encoded_name) < 256:
            raise ValueError(f"header name {name!r} must be 1-255 bytes of UTF-8")
        parts.append(bytes((len(encoded_name),)) + encoded_name + _encode_value(value))
    headers_bytes = b"".join(parts)
    total = _OVERHEAD + len(headers_bytes) + len(payload)
    prelude = _U32.pack(total) + _U32.pack(len(headers_bytes))
    message = prelude + _U32.pack(zlib.crc32(prelude)) + headers_bytes + payload
    return message + _U32.pack(zlib.crc32(message))


def _encode_value(value: Any) -> bytes:
    if isinstance(value, tuple):
        kind_name, value = value
        kind = HEADER_TYPES[kind_name]
    elif isinstance(value, bool):
        kind = 0 if value else 1
    elif isinstance(value, int):
        kind = 4 if -2**31 <= value < 2**31 else 5
    elif isinstance(value, str):
        kind = 7
    elif isinstance(value, (bytes, bytearray)):
        kind = 6
    elif isinstance(value, datetime.datetime):
        kind = 8
    elif isinstance(value, uuid.UUID):
        kind = 9
    else:
        raise ValueError(f"cannot encode a header value of type {type(value).__name__}")
    tag = bytes((kind,))
    if kind in (0, 1):
        return tag
    if kind in _INTS:
        if isinstance(value, datetime.datetime):
            delta = value - _EPOCH
            value = (delta.days * 86_400_000 + delta.seconds * 1000
                     + delta.microseconds // 1000)
        return tag + _INTS[kind].pack(value)
    if kind == 9:
        return tag + (value.bytes if isinstance(value, uuid.UUID) else bytes(value))
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if len(raw) > 0xFFFF:
        raise ValueError("a byte-array or string header value is at most 65535 bytes")
    return tag + _U16.pack(len(raw)) + raw
