"""SQS's hand-written behaviour: message digests are checked.

SQS answers with the MD5 of each message body (``MD5OfMessageBody`` when sending,
``MD5OfBody`` when receiving) and of its message attributes (``MD5OfMessageAttributes``).
The unmarshal handler ``sqs.check_md5`` recomputes them and raises
:class:`hub.errors.MessageChecksumError` (naming the digest and the message) when one does not
match: the message was damaged on the way. botocore 1.43 does not check them (older SDKs, such
as the Java v1 SDK, do); a matching digest changes nothing in the result.

Requests go to the client's endpoint, as in botocore 1.43: the ``QueueUrl`` parameter names
the queue, not the host (botocore does not route by it).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from typing import Any

from hub._handlers import Handlers, NamedHandler
from hub._request import Request
from hub.errors import MessageChecksumError

__all__ = ["attributes_md5", "customize"]

_STRING, _BINARY = 1, 2


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _framed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def attributes_md5(attributes: Mapping[str, Mapping[str, Any]]) -> str:
    """The MD5 SQS computes over message attributes (names sorted; each name, data type and
    value length-prefixed; a transport byte 1 for string values, 2 for binary ones)."""
    out = bytearray()
    for name in sorted(attributes):
        attr = attributes[name]
        out += _framed(name.encode("utf-8"))
        out += _framed(str(attr.get("DataType", "")).encode("utf-8"))
        if attr.get("StringValue") is not None:
            out.append(_STRING)
            out += _framed(str(attr["StringValue"]).encode("utf-8"))
        elif attr.get("BinaryValue") is not None:
            value = attr["BinaryValue"]
            out.append(_BINARY)
            out += _framed(value.encode("utf-8") if isinstance(value, str) else bytes(value))
    return _md5(bytes(out))


def _check(operation: str, field: str, expected: object, computed: str,
           message_id: object) -> None:
    if isinstance(expected, str) and expected and expected != computed:
        ident = message_id if isinstance(message_id, str) else None
        raise MessageChecksumError(
            f"{operation}: {field} {expected!r} does not match the message's content "
            f"({computed!r}) for message {ident or '?'}; the message was damaged in transit",
            field=field, expected=expected, computed=computed, operation=operation,
            message_id=ident)


def _check_sent(operation: str, sent: Mapping[str, Any], result: Mapping[str, Any],
                message_id: object) -> None:
    body = sent.get("MessageBody")
    if isinstance(body, str):
        _check(operation, "MD5OfMessageBody", result.get("MD5OfMessageBody"),
               _md5(body.encode("utf-8")), message_id)
    attrs = sent.get("MessageAttributes")
    if isinstance(attrs, Mapping) and attrs:
        _check(operation, "MD5OfMessageAttributes", result.get("MD5OfMessageAttributes"),
               attributes_md5(attrs), message_id)


def check_md5(request: Request) -> None:
    """Compare SQS's message digests with the content sent or received."""
    data = request.data
    name = getattr(request.operation, "name", "")
    if not isinstance(data, dict):
        return
    if name == "SendMessage":
        _check_sent(name, request.params, data, data.get("MessageId"))
    elif name == "SendMessageBatch":
        entries = {e.get("Id"): e for e in request.params.get("Entries") or ()
                   if isinstance(e, Mapping)}
        for result in data.get("Successful") or ():
            sent = entries.get(result.get("Id"))
            if sent is not None:
                _check_sent(name, sent, result, result.get("Id"))
    elif name == "ReceiveMessage":
        for message in data.get("Messages") or ():
            body = message.get("Body")
            if isinstance(body, str):
                _check(name, "MD5OfBody", message.get("MD5OfBody"),
                       _md5(body.encode("utf-8")), message.get("MessageId"))
            attrs = message.get("MessageAttributes")
            if isinstance(attrs, Mapping) and attrs:
                _check(name, "MD5OfMessageAttributes", message.get("MD5OfMessageAttributes"),
                       attributes_md5(attrs), message.get("MessageId"))


def customize(handlers: Handlers) -> Handlers:
    """Return ``handlers`` (with the protocol's already in) plus SQS's own."""
    return handlers.insert_after("unmarshal", "protocol.unmarshal",
                                 NamedHandler("sqs.check_md5", check_md5))
