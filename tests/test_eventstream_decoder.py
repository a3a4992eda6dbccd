"""The event-stream framing decoder against botocore's own decoder, on generated messages.

Every generated stream is cut at generated points and fed in those pieces to both decoders;
the messages must agree (headers of every type, payloads). Corrupting any one byte must make
both refuse the stream, and hub's refusal is a typed ``EventStreamDecodeError``. Lengths past
the limits are refused from the prelude alone, before the body of the message is buffered.
"""

from __future__ import annotations

import datetime
import struct
import uuid
import zlib
from typing import Any

import pytest
from botocore import eventstream as bc
from hypothesis import given
from hypothesis import strategies as st

from hub.errors import EventStreamChecksumError, EventStreamDecodeError, ResponseParseError
from hub.protocols._eventstream import (
    MAX_HEADERS_BYTES,
    MAX_PAYLOAD_BYTES,
    EventMessage,
    EventStreamDecoder,
    encode_message,
)

UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
# Milliseconds that still fit a datetime (years 1-9999).
MIN_MS = int((datetime.datetime(1, 1, 1, tzinfo=UTC) - EPOCH).total_seconds() * 1000)
MAX_MS = int((datetime.datetime(9999, 12, 31, tzinfo=UTC) - EPOCH).total_seconds() * 1000)


def _ms(moment: datetime.datetime) -> int:
    delta = moment - EPOCH
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


header_values = st.one_of(
    st.booleans(),
    st.tuples(st.just("byte"), st.integers(-128, 127)),
    st.tuples(st.just("short"), st.integers(-2**15, 2**15 - 1)),
    st.tuples(st.just("integer"), st.integers(-2**31, 2**31 - 1)),
    st.tuples(st.just("long"), st.integers(-2**63, 2**63 - 1)),
    st.binary(max_size=300),
    st.text(max_size=100),
    st.tuples(st.just("timestamp"), st.integers(MIN_MS, MAX_MS)),
    st.uuids(),
)
header_names = st.text(min_size=1, max_size=40).filter(lambda n: len(n.encode()) < 256)
messages = st.tuples(st.dictionaries(header_names, header_values, max_size=8),
                     st.binary(max_size=3000))


def _expected(value: Any) -> Any:
    """What hub's decoder gives for an encoder input."""
    if isinstance(value, tuple):
        kind, number = value
        return EPOCH + datetime.timedelta(milliseconds=number) if kind == "timestamp" else number
    return value


def _botocore_value(value: Any, ours: Any) -> Any:
    """botocore's decoded value in hub's types (timestamps are its int ms, UUIDs raw bytes)."""
    if isinstance(ours, datetime.datetime):
        return EPOCH + datetime.timedelta(milliseconds=value)
    if isinstance(ours, uuid.UUID):
        return uuid.UUID(bytes=value)
    return value


def _feed_hub(chunks: list[bytes]) -> list[EventMessage]:
    decoder = EventStreamDecoder()
    out: list[EventMessage] = []
    for chunk in chunks:
        decoder.feed(chunk)
        out.extend(decoder)
    assert decoder.pending == 0
    return out


def _feed_botocore(chunks: list[bytes]) -> list[Any]:
    buffer = bc.EventStreamBuffer()
    out = []
    for chunk in chunks:
        buffer.add_data(chunk)
        out.extend(buffer)
    return out


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for point in [*points, len(data)]:
        pieces.append(data[last:point])
        last = point
    return pieces


@given(st.lists(messages, min_size=1, max_size=5), st.lists(st.integers(0, 10**6), max_size=12))
def test_decodes_what_botocore_decodes_at_any_split(
        generated: list[tuple[dict[str, Any], bytes]], cuts: list[int]) -> None:
    stream = b"".join(encode_message(headers, payload) for headers, payload in generated)
    chunks = _split(stream, cuts)
    ours = _feed_hub(chunks)
    theirs = _feed_botocore(chunks)
    assert len(ours) == len(theirs) == len(generated)
    for (headers, payload), mine, other in zip(generated, ours, theirs, strict=True):
        assert mine.payload == other.payload == payload
        assert dict(mine.headers) == {name: _expected(v) for name, v in headers.items()}
        assert set(other.headers) == set(mine.headers)
        for name, value in mine.headers.items():
            assert _botocore_value(other.headers[name], value) == value
            assert type(value) is type(_expected(headers[name]))


def test_byte_at_a_time_and_needed_counts_down() -> None:
    message = encode_message({":event-type": "Records", "n": ("short", 7)}, b"x" * 50)
    decoder = EventStreamDecoder()
    assert decoder.needed == 12
    for i, byte in enumerate(message[:-1]):
        decoder.feed(bytes((byte,)))
        assert decoder.next_message() is None
        # Before the prelude is in: the prelude's rest; after it: the message's rest.
        assert decoder.needed == (12 if i < 11 else len(message)) - (i + 1)
    decoder.feed(message[-1:])
    assert decoder.next_message() == EventMessage({":event-type": "Records", "n": 7}, b"x" * 50)
    assert decoder.needed == 12 and decoder.pending == 0


def test_a_published_vector() -> None:
    # A 14-byte JSON payload without headers, as the format's documentation examples show it.
    wire = bytes([0, 0, 0, 30, 0, 0, 0, 0, 186, 242, 246, 138]) + b'{"foo": "bar"}' + bytes(
        [174, 114, 88, 228])
    assert encode_message({}, b'{"foo": "bar"}') == wire
    decoder = EventStreamDecoder()
    decoder.feed(wire)
    assert list(decoder) == [EventMessage({}, b'{"foo": "bar"}')]


@given(messages, st.integers(0, 10**6), st.integers(1, 255))
def test_any_corrupted_byte_is_refused_by_both(message: tuple[dict[str, Any], bytes],
                                               where: int, flip: int) -> None:
    wire = bytearray(encode_message(*message))
    wire[where % len(wire)] ^= flip
    decoder = EventStreamDecoder()
    with pytest.raises(EventStreamDecodeError):
        decoder.feed(bytes(wire))
        list(decoder)
    with pytest.raises(bc.ParserError):
        _feed_botocore([bytes(wire)])


def test_crc_errors_say_which_crc() -> None:
    wire = bytearray(encode_message({"a": "b"}, b"payload"))
    wire[-1] ^= 1
    decoder = EventStreamDecoder()
    decoder.feed(bytes(wire))
    with pytest.raises(EventStreamChecksumError) as caught:
        decoder.next_message()
    assert caught.value.field == "message_crc"
    assert caught.value.expected != caught.value.computed
    assert isinstance(caught.value, ResponseParseError)
    wire = bytearray(encode_message({}, b""))
    wire[9] ^= 1  # inside the prelude CRC
    decoder = EventStreamDecoder()
    decoder.feed(bytes(wire[:12]))  # the prelude alone is enough to know
    with pytest.raises(EventStreamChecksumError, match="prelude crc") as caught:
        decoder.next_message()
    assert caught.value.field == "prelude_crc"


def _prelude(total: int, headers: int) -> bytes:
    head = struct.pack(">II", total, headers)
    return head + struct.pack(">I", zlib.crc32(head))


@pytest.mark.parametrize(("total", "headers", "field"), [
    (16 + MAX_HEADERS_BYTES + 1, MAX_HEADERS_BYTES + 1, "headers_length"),
    (16 + MAX_PAYLOAD_BYTES + 1, 0, "total_length"),
    (2**32 - 1, 0, "total_length"),
    (15, 0, "total_length"),
    (20, 8, "total_length"),
])
def test_absurd_lengths_are_refused_from_the_prelude(total: int, headers: int,
                                                     field: str) -> None:
    decoder = EventStreamDecoder()
    decoder.feed(_prelude(total, headers))
    with pytest.raises(EventStreamDecodeError) as caught:
        decoder.next_message()
    assert caught.value.field == field
    assert decoder.pending == 12  # nothing was buffered for the announced size


def test_limits_are_settable() -> None:
    decoder = EventStreamDecoder(max_payload_bytes=10)
    decoder.feed(encode_message({}, b"x" * 10))
    assert decoder.next_message() is not None
    decoder.feed(encode_message({}, b"x" * 11))
    with pytest.raises(EventStreamDecodeError, match="exceeds the limit of 10 bytes"):
        decoder.next_message()


def _raw_message(headers: bytes, payload: bytes = b"") -> bytes:
    total = 16 + len(headers) + len(payload)
    body = _prelude(total, len(headers)) + headers + payload
    return body + struct.pack(">I", zlib.crc32(body))


@pytest.mark.parametrize(("headers", "field"), [
    (b"\x01a\x07\x00\x01x" b"\x01a\x07\x00\x01y", "header_name"),  # a name given twice
    (b"\x01a\x0a", "header_type"),  # type 10 does not exist
    (b"\x01a\x07\x00\x09abc", "header_value"),  # a string longer than its section
    (b"\x01a\x05\x00\x00", "header_value"),  # a long cut short
    (b"\x01a\x09" + b"\x00" * 15, "header_value"),  # a UUID cut short
    (b"\x05ab", "header_name"),  # a name past the section
    (b"\x00\x07\x00\x00", "header_name"),  # an empty name
    (b"\x01\xff\x00", "header_name"),  # a name that is not UTF-8
    (b"\x01a\x07\x00\x01\xff", "header_value"),  # a string value that is not UTF-8
    (b"\x01a\x08" + struct.pack(">q", 2**62), "header_value"),  # a timestamp out of range
])
def test_malformed_headers_are_typed_errors(headers: bytes, field: str) -> None:
    decoder = EventStreamDecoder()
    decoder.feed(_raw_message(headers))
    with pytest.raises(EventStreamDecodeError) as caught:
        decoder.next_message()
    assert caught.value.field == field


def test_encoder_types_and_refusals() -> None:
    moment = datetime.datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
    ident = uuid.uuid4()
    decoder = EventStreamDecoder()
    decoder.feed(encode_message({"t": moment, "u": ident, "big": 2**40, "small": -5,
                                 "f": False, "raw": bytearray(b"\x00")}))
    message = decoder.next_message()
    assert message is not None
    assert message.headers == {"t": moment, "u": ident, "big": 2**40, "small": -5,
                               "f": False, "raw": b"\x00"}
    assert _ms(moment) == 1714564800123
    with pytest.raises(ValueError, match="1-255 bytes"):
        encode_message({"": 1})
    with pytest.raises(ValueError, match="at most 65535"):
        encode_message({"a": "x" * 70000})
    with pytest.raises(ValueError, match="float"):
        encode_message({"a": 1.5})


def test_many_messages_in_one_feed_do_not_rebuffer() -> None:
    one = encode_message({":event-type": "Records"}, b"r" * 100)
    decoder = EventStreamDecoder()
    decoder.feed(one * 1000 + one[:5])
    assert sum(1 for _ in decoder) == 1000
    assert decoder.pending == 5
    decoder.feed(one[5:])
    assert decoder.next_message() is not None and decoder.pending == 0
