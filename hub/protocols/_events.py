"""Output event streams: the :class:`EventStream` a call returns, and how its events parse.

An operation whose output has an ``eventstream`` member (S3 ``SelectObjectContent``'s
``Payload``, Lambda ``InvokeWithResponseStream``'s ``EventStream``) is sent like any streamed
call; :func:`open_event_stream` (from ``protocol.unmarshal``) then puts an
:class:`EventStream` under that member instead of a ``StreamingBody``. Iterating it reads the
body as it arrives, decodes its messages (:mod:`hub.protocols._eventstream`) and yields one
dict per event, as boto3 does: ``{"Records": {"Payload": b"..."}}``, ``{"End": {}}``.

How an event parses (botocore's event-stream parsers): the ``:event-type`` header names the
member of the stream shape; that member's ``eventheader`` members come from the message
headers, its ``eventpayload`` member is the whole payload (bytes for a blob, text for a string,
else a document in the protocol's format), and without one the payload is the event's
structure (XML for rest-xml, JSON for rest-json and json). Unknown event types are skipped.
An ``error`` message, or an ``exception`` one, raises :class:`~hub.errors.EventStreamError`.

With the ``json`` protocol the first message is an ``initial-response`` event that holds the
output's other members; it is read before the call returns (botocore does the same).

Input event streams (HTTP/2 bidirectional: Transcribe streaming, Bedrock bidirectional) are
refused with :class:`~hub.errors.UnsupportedProtocolError` (:func:`check_event_streams`).
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import ParseError

from hub.errors import (
    ConnectionClosedError,
    EventStreamDecodeError,
    EventStreamError,
    ResponseParseError,
    UnsupportedProtocolError,
)
from hub.protocols._common import parse_failure
from hub.protocols._eventstream import EventMessage, EventStreamDecoder
from hub.protocols._json import read_structure
from hub.protocols._json import read_value as read_json
from hub.protocols._shapes import Member, OperationModel, Shape
from hub.protocols._xml import parse_xml, read_members
from hub.protocols._xml import read_value as read_xml

if TYPE_CHECKING:
    from hub._request import HTTPResponse, RawBody
    from hub.protocols import WireProtocol

__all__ = ["EventStream", "check_event_streams", "open_event_stream"]

#: The protocols whose output event streams hub reads (HTTP/1.1 response bodies).
EVENT_STREAM_PROTOCOLS = ("rest-xml", "rest-json", "json")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
# What a malformed event payload can raise while it is walked; all become ResponseParseError.
_PARSE_ERRORS = (ParseError, ValueError, TypeError, KeyError, IndexError, AttributeError,
                 RecursionError)


def check_event_streams(op: OperationModel, protocol: str) -> None:
    """Refuse what hub cannot do with an event-stream operation (called by the protocols).

    Raises:
        UnsupportedProtocolError: The operation sends an input event stream (HTTP/2
            bidirectional streaming), or its protocol is not one whose event streams hub reads.
    """
    if op.input is not None:
        for member in op.input.members.values():
            if member.shape.event_stream:
                raise UnsupportedProtocolError(
                    f"{op.name} sends an input event stream ({member.name}): hub does not "
                    "implement input event streams (HTTP/2 bidirectional streaming); only "
                    "output event streams are supported",
                    protocol=protocol, operation=op.name)
    if protocol not in EVENT_STREAM_PROTOCOLS:
        raise UnsupportedProtocolError(
            f"{op.name} streams events ({op.event_stream_member}): hub reads event streams "
            f"over {', '.join(EVENT_STREAM_PROTOCOLS)}, not {protocol}",
            protocol=protocol, operation=op.name)


def open_event_stream(op: OperationModel, protocol: WireProtocol, response: HTTPResponse,
                      url: str) -> dict[str, Any]:
    """Parse a 2xx event-stream response: the output with an :class:`EventStream` attached.

    Takes ``response.raw`` (the stream owns the connection from here on). With the ``json``
    protocol the ``initial-response`` event is read first and its members (read as the output
    structure) returned beside the stream, as botocore returns them.

    Raises:
        ResponseParseError: The json protocol's first event is not ``initial-response``.
        EventStreamError: The first event is an error (json protocol).
    """
    member = op.streaming_output_member
    assert member is not None and op.output is not None
    data = protocol.parse(op, response.status, response.headers, b"")
    raw, response.raw = response.raw, None
    assert raw is not None
    parser = _EventParser(op, protocol.name, op.output.members[member].shape)
    stream = EventStream(raw, parser, url)
    if protocol.name == "json":
        try:
            initial = stream._initial_response()
        except BaseException:
            stream.close()
            raise
        data = {**initial, "ResponseMetadata": data["ResponseMetadata"]}
    data[member] = stream
    return data


class EventStream:
    """An event stream from a response, as boto3 returns it: iterate for one dict per event.

    Each event is ``{event_type: members}``, e.g. ``{"Records": {"Payload": b"..."}}`` or
    ``{"PayloadChunk": {"Payload": b"..."}}``. Events are read as they arrive; an error or
    exception event raises :class:`~hub.errors.EventStreamError` (and ends the stream).

    The stream holds a pooled connection until it is read to its end (the connection then goes
    back to the pool) or closed (an unfinished stream's connection is closed, not reused). Use
    it as a context manager, or iterate it to the end. One thread reads it at a time.
    """

    __slots__ = ("_raw", "_decoder", "_parser", "_url", "_events", "__weakref__")

    def __init__(self, raw: RawBody, parser: _EventParser, url: str) -> None:
        self._raw: RawBody | None = raw
        self._decoder: EventStreamDecoder | None = EventStreamDecoder()
        self._parser = parser
        self._url = url.partition("?")[0]
        self._events = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self

    def __next__(self) -> dict[str, Any]:
        """The next event.

        Raises:
            StopIteration: The stream ended (or was closed).
            EventStreamError: The service sent an error or exception event.
            EventStreamDecodeError: The framing is broken (bad CRC, length, header).
            ConnectionClosedError: The body ended in the middle of a message.
            ResponseParseError: An event's payload does not match its shape.
            HTTPClientError: The connection broke or timed out.
        """
        while True:
            message = self._next_message()
            if message is None:
                raise StopIteration
            try:
                event = self._parser.parse(message)
            except BaseException:
                self.close()  # an error event ends the stream; never reuse it half-read
                raise
            if event is not None:
                self._events += 1
                return event

    def _next_message(self) -> EventMessage | None:
        decoder = self._decoder
        if decoder is None:  # closed
            return None
        try:
            while True:
                message = decoder.next_message()
                if message is not None:
                    return message
                raw = self._raw
                if raw is not None and not raw.done:
                    # Exactly what completes the next message: never waits on later events.
                    chunk = raw.read(decoder.needed)
                    if chunk:
                        decoder.feed(chunk)
                        continue
                break
        except EventStreamDecodeError as exc:
            exc.operation = self._parser.operation
            self._discard()
            raise
        except BaseException:
            self._discard()  # a read error already closed the connection; drop our ref
            raise
        # The body ended: the connection went back to the pool with its last byte.
        self._raw = self._decoder = None
        if decoder.pending:
            raise ConnectionClosedError(
                f"the event stream from {self._url} ended inside a message "
                f"({decoder.pending} bytes of it received)", endpoint=self._url)
        return None

    def _initial_response(self) -> dict[str, Any]:
        message = self._next_message()
        if message is not None and message.headers.get(":event-type") == "initial-response":
            return self._parser.initial_response(message)
        if message is not None:
            self._parser.raise_if_error(message)
        raise ResponseParseError("First event was not of type initial-response",
                                 operation=self._parser.operation)

    def close(self) -> None:
        """Stop reading: the connection is closed unless the stream was read to its end (then
        it already went back to the pool). Idempotent; also run when the stream is dropped."""
        raw, self._raw, self._decoder = self._raw, None, None
        if raw is not None:
            raw.release()  # back to the pool only when read to its end

    def _discard(self) -> None:
        raw, self._raw, self._decoder = self._raw, None, None
        if raw is not None:
            raw.discard()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:
        # The collector may run this after the socket objects were finalized: only discard.
        raw = getattr(self, "_raw", None)
        if raw is not None:
            self._raw = None
            raw.discard()

    def __repr__(self) -> str:
        state = "open" if self._decoder is not None else "closed"
        return f"<EventStream {self._parser.operation} events={self._events} {state}>"


class _EventParser:
    """Turns messages of one operation's event stream into boto3-shaped events."""

    __slots__ = ("operation", "_protocol", "_stream", "_output")

    def __init__(self, op: OperationModel, protocol: str, stream: Shape) -> None:
        self.operation = op.name
        self._protocol = protocol
        self._stream = stream
        assert op.output is not None
        self._output = op.output

    def parse(self, message: EventMessage) -> dict[str, Any] | None:
        """The event (``{type: members}``), or None for an event type the model lacks.

        Raises:
            EventStreamError: An error or exception message.
            ResponseParseError: The payload does not match the event's shape.
        """
        self.raise_if_error(message)
        event_type = message.headers.get(":event-type")
        member = self._stream.members.get(event_type) if isinstance(event_type, str) else None
        if member is None:
            return None  # e.g. initial-response, or an event newer than this model: skipped
        try:
            return {member.name: self._members(member.shape, message)}
        except _PARSE_ERRORS as exc:
            raise parse_failure(self.operation, 200, exc) from exc

    def initial_response(self, message: EventMessage) -> dict[str, Any]:
        """The json protocol's ``initial-response`` payload, read as the output structure."""
        try:
            return self._document(self._output, message.payload)
        except _PARSE_ERRORS as exc:
            raise parse_failure(self.operation, 200, exc) from exc

    def raise_if_error(self, message: EventMessage) -> None:
        """Raise :class:`EventStreamError` for an ``error`` or ``exception`` message."""
        headers = message.headers
        kind = headers.get(":message-type")
        if kind != "error" and kind != "exception":
            return
        code = headers.get(":error-code", "")
        text = headers.get(":error-message", "")
        exception_type = headers.get(":exception-type")
        member = (self._stream.members.get(exception_type)
                  if kind == "exception" and isinstance(exception_type, str) else None)
        if member is not None:
            # A modeled exception: its code is the member, its message the payload's.
            try:
                body = self._document(member.shape, message.payload)
            except _PARSE_ERRORS:
                body = {}
            code = exception_type
            text = body.get("Message", body.get("message", ""))
        error = {"Code": str(code), "Message": str(text)}
        raise EventStreamError(error["Code"], error["Message"], status_code=200,
                               operation=self.operation, response={"Error": error})

    def _members(self, shape: Shape, message: EventMessage) -> dict[str, Any]:
        parsed: dict[str, Any] = {}
        headers = message.headers
        payload_member: Member | None = None
        for member in shape.members.values():
            if member.event_header:
                if member.name in headers:
                    parsed[member.name] = _header_value(member, headers[member.name])
            elif member.event_payload:
                payload_member = member
        payload = message.payload
        if payload_member is None:
            parsed.update(self._document(shape, payload))
        elif payload_member.type == "blob":
            parsed[payload_member.name] = payload
        elif payload_member.type == "string":
            parsed[payload_member.name] = payload.decode("utf-8")
        else:
            parsed[payload_member.name] = self._value(payload_member, payload)
        return parsed

    def _document(self, shape: Shape, payload: bytes) -> dict[str, Any]:
        # A structure read from the payload in the protocol's format ({} when empty).
        if not payload.strip():
            return {}
        if self._protocol == "rest-xml":
            return read_members(shape.body_members, parse_xml(payload))
        return read_structure(shape, json.loads(payload))

    def _value(self, member: Member, payload: bytes) -> Any:
        if not payload.strip():
            return {} if member.type == "structure" else None
        if self._protocol == "rest-xml":
            return read_xml(member, parse_xml(payload))
        return read_json(member, json.loads(payload))


def _header_value(member: Member, value: Any) -> Any:
    # Timestamps come as milliseconds (a timestamp header decodes to a datetime already).
    if member.type == "timestamp" and isinstance(value, int) and not isinstance(value, bool):
        return _EPOCH + datetime.timedelta(milliseconds=value)
    if isinstance(value, uuid.UUID):
        return value.bytes if member.type == "blob" else str(value)
    return value
