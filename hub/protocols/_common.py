"""Pieces shared by the protocols: the serialized request, timestamps, encodings, metadata."""

from __future__ import annotations

import base64
import binascii
import datetime
import http.client
import re
from collections.abc import Iterable, Mapping
from email.utils import formatdate, parsedate_to_datetime
from typing import IO, Any, ClassVar, TypeAlias
from urllib.parse import quote

from hub._deferred import deferred_regex
from hub._value import dataclass
from hub.errors import (
    ParamValidationError,
    ResponseParseError,
    XMLForbidden,
)
from hub.protocols._shapes import OperationModel, Shape

__all__ = [
    "Body",
    "ProtocolBase",
    "SerializedRequest",
    "apply_host_prefix",
    "expand_host_prefix",
    "fill_idempotency_tokens",
    "float_text",
    "refuse_event_streams",
    "b64decode",
    "b64encode",
    "format_timestamp",
    "lower_headers",
    "parse_timestamp",
    "percent_encode",
    "response_metadata",
    "status_reason",
    "to_datetime",
]

#: A request body: bytes, a readable file object, an iterable of byte chunks, or None.
Body: TypeAlias = "bytes | IO[bytes] | Iterable[bytes] | None"

_UTC = datetime.timezone.utc
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=_UTC)
# ISO 8601 as AWS sends it: date, "T" (or space), time, optional fraction, Z or an offset.
_ISO8601: re.Pattern[str] = deferred_regex(
    globals(), "_ISO8601",
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?\s*([Zz]|[+-]\d\d:?\d\d)?\Z"
)

# RFC 9110's IMF-fixdate, the one form S3 and every HTTP date header use: parsed directly
# (email.utils' general RFC 822 parser costs ~10x more); any other form goes through it.
_IMF_FIXDATE: re.Pattern[str] = deferred_regex(
    globals(), "_IMF_FIXDATE",
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" (\d{4}) (\d\d):(\d\d):(\d\d) GMT\Z"
)
_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}


@dataclass(slots=True)
class SerializedRequest:
    """An HTTP request built from operation parameters (mutable: the core adds headers).

    Attributes:
        method: HTTP method.
        url: Full URL with the percent-encoded path and query string.
        headers: Header names as the protocol writes them (``Content-Type``, ``x-amz-meta-a``).
        body: ``bytes``, a readable file object, an iterable of byte chunks, or None (no body).
        host_prefix: The operation's expanded ``hostPrefix`` (``123456789012.``), or None. It is
            *not* applied to ``url``: the caller decides (botocore's ``inject_host_prefix``)
            and applies it with :func:`apply_host_prefix`.
    """

    method: str
    url: str
    headers: dict[str, str]
    body: Body
    host_prefix: str | None = None


class ProtocolBase:
    """What the four wire-protocol classes share (see :class:`hub.protocols.WireProtocol`).

    A protocol is one stateless object over its module's functions: a subclass names the
    protocol, binds the module's ``parse``/``parse_error`` as static methods (so a call costs
    no extra Python frame) and writes ``serialize``, whose inputs differ per protocol.
    ``streams_payload`` says whether ``op.streaming_output_member`` is streamed (a REST blob
    payload or an output event stream); query responses are always read whole.
    """

    __slots__ = ()
    name: ClassVar[str] = ""
    streams_payload: ClassVar[bool] = False

    def streaming_member(self, op: OperationModel) -> str | None:
        """The output member a streamed response body is attached to, or None."""
        return op.streaming_output_member if self.streams_payload else None


_HOST_LABEL: re.Pattern[str] = deferred_regex(globals(), "_HOST_LABEL", r"[A-Za-z0-9.\-]+\Z")


def expand_host_prefix(op: OperationModel, params: Mapping[str, Any]) -> str | None:
    """Fill the operation's ``hostPrefix`` template from its ``hostLabel`` members.

    Args:
        op: The operation.
        params: The call's parameters.

    Returns:
        The expanded prefix (``"data-"``, ``"123456789012."``), or None when the operation has
        no host prefix.

    Raises:
        ParamValidationError: A host label is missing or holds characters other than letters,
            digits, ``-`` and ``.`` (it would change which host is called).
    """
    template = op.host_prefix
    if template is None:
        return None
    if op.input is None:
        return template
    values: dict[str, str] = {}
    bad: list[str] = []
    for member in op.input.members.values():
        if member.host_label:
            value = params.get(member.name)
            if not isinstance(value, str) or not _HOST_LABEL.match(value):
                bad.append(member.name)
            else:
                values[member.name] = value
    if bad:
        raise ParamValidationError(op.name, [
            f"Invalid value for parameter(s): {', '.join(bad)}. Must contain only "
            "alphanumeric characters, hyphen, or period."])
    return template.format(**values)


def apply_host_prefix(url: str, prefix: str | None) -> str:
    """Prepend ``prefix`` to the host of ``url`` (``https://x.com/a`` -> ``https://p.x.com/a``)."""
    if not prefix:
        return url
    scheme, sep, rest = url.partition("://")
    if not sep:
        return prefix + url
    return f"{scheme}://{prefix}{rest}"


def fill_idempotency_tokens(shape: Shape, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """``params`` with a fresh UUID4 for each missing top-level idempotency-token member.

    botocore's ``generate_idempotent_uuid`` does the same before serializing. Returns
    ``params`` itself when nothing is missing.
    """
    tokens = shape.idempotency_members
    if not tokens:
        return params
    missing = [name for name in tokens if params.get(name) is None]
    if not missing:
        return params
    filled = dict(params)
    for name in missing:
        import uuid  # here: only operations with idempotency tokens need it

        filled[name] = str(uuid.uuid4())
    return filled


def refuse_event_streams(op: OperationModel, protocol: str) -> None:
    """Raise :class:`~hub.errors.UnsupportedProtocolError` for an event stream hub cannot use.

    Output event streams are read by :mod:`hub.protocols._events` (rest-xml, rest-json and
    json); input event streams (HTTP/2 bidirectional) and other protocols are refused.
    """
    if op.event_stream_member is not None:
        from hub.protocols._events import check_event_streams  # event-stream operations only

        check_event_streams(op, protocol)


def float_text(value: Any) -> str:
    """A float as botocore writes it in text: ``NaN``/``Infinity``/``-Infinity``, else str()."""
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
    return str(value)


def percent_encode(value: str, safe: str = "~") -> str:
    """Percent-encode ``value`` as SigV4 and botocore do (RFC 3986 unreserved chars kept).

    Args:
        value: Text to encode (UTF-8 first).
        safe: Extra characters kept as-is; ``"/~"`` for greedy URI labels like ``{Key+}``.
    """
    if value.isascii() and not value.strip(_UNRESERVED + safe):
        return value  # nothing to encode (the usual key or bucket name): skip quote()
    return quote(value, safe=safe)


_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"


def to_datetime(value: Any) -> datetime.datetime:
    """Coerce a user timestamp (datetime, date, epoch number or ISO 8601 string) to aware UTC.

    Naive datetimes are taken to be UTC, as botocore does.

    Raises:
        ValueError: The value is not a timestamp.
    """
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=_UTC)
        return value.astimezone(_UTC)
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day, tzinfo=_UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _EPOCH + datetime.timedelta(seconds=value)
    if isinstance(value, str):
        return parse_timestamp(value)
    raise ValueError(f"not a timestamp: {value!r}")


def format_timestamp(value: Any, fmt: str) -> str | int | float:
    """Render a user timestamp in a wire format.

    Args:
        value: Anything :func:`to_datetime` accepts.
        fmt: ``iso8601``, ``rfc822`` or ``unixtimestamp`` (case-insensitive).

    Returns:
        A string, or an int (whole seconds) for ``unixtimestamp`` as botocore sends it.
    """
    moment = to_datetime(value)
    fmt = fmt.lower()
    if fmt == "iso8601":
        if moment.microsecond:
            return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    # calendar is imported here: on 3.13 nothing else on the first client's path loads it
    # (with locale), and most requests carry no timestamp.
    import calendar
    if fmt == "rfc822":
        return formatdate(calendar.timegm(moment.utctimetuple()), usegmt=True)
    return calendar.timegm(moment.utctimetuple())


def parse_timestamp(value: str | int | float) -> datetime.datetime:
    """Parse a wire timestamp (ISO 8601, RFC 822 or epoch seconds) into an aware UTC datetime.

    Raises:
        ValueError: The value is not a timestamp in any of those formats.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _EPOCH + datetime.timedelta(seconds=value)
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    match = _ISO8601.match(text)
    if match:
        year, month, day, hour, minute, second, frac, zone = match.groups()
        micro = int((frac or "0")[:6].ljust(6, "0"))
        tz = _UTC
        if zone and zone not in "Zz":
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            tz = datetime.timezone(sign * offset)
        moment = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute),
                                   int(second), micro, tzinfo=tz)
        return moment.astimezone(_UTC)
    match = _IMF_FIXDATE.match(text)
    if match and match[3] >= "0100":  # email.utils reads years below 100 as 19xx/20xx
        day, month, year, hour, minute, second = match.groups()
        try:
            return datetime.datetime(int(year), _MONTHS[month], int(day), int(hour),
                                     int(minute), int(second), tzinfo=_UTC)
        except ValueError as exc:  # 31 Feb, hour 25: as email.utils refuses them
            raise ValueError(f"not a timestamp: {value!r}") from exc
    try:
        return _EPOCH + datetime.timedelta(seconds=float(text))
    except (ValueError, OverflowError):
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"not a timestamp: {value!r}") from exc
    if moment.tzinfo is None:
        return moment.replace(tzinfo=_UTC)
    return moment.astimezone(_UTC)


def b64encode(value: bytes | bytearray | str) -> str:
    """Base64 of bytes (``str`` values are UTF-8 encoded first, as botocore does)."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(value).decode("ascii")


def b64decode(value: str) -> bytes:
    """Decode base64 text strictly.

    Raises:
        ValueError: Not valid base64.
    """
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"invalid base64: {exc}") from exc


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Copy response headers with lowercased names (boto3's ``HTTPHeaders`` shape)."""
    # hub's transports hand over a ResponseHeaders, whose lowercased copy exists already.
    lowered = getattr(headers, "lowered", None)
    if type(lowered) is dict:
        return lowered.copy()
    return {name.lower(): value for name, value in headers.items()}


def status_reason(status: int) -> str:
    """The standard reason phrase for an HTTP status ('' when unknown)."""
    return http.client.responses.get(status, "")


def response_metadata(status: int, lowered: Mapping[str, str], *,
                      host_id: bool = False) -> dict[str, Any]:
    """boto3's ``ResponseMetadata`` (``RetryAttempts`` is 0; the request pipeline fills it).

    Args:
        status: HTTP status.
        lowered: Response headers with lowercased names.
        host_id: Add S3's ``HostId`` (``x-amz-id-2``) when the request id came from S3's header.
    """
    meta: dict[str, Any] = {}
    if "x-amzn-requestid" in lowered:
        meta["RequestId"] = lowered["x-amzn-requestid"]
    elif "x-amz-request-id" in lowered:
        meta["RequestId"] = lowered["x-amz-request-id"]
        if host_id:
            meta["HostId"] = lowered.get("x-amz-id-2", "")
    meta["HTTPStatusCode"] = status
    meta["HTTPHeaders"] = dict(lowered)
    meta["RetryAttempts"] = 0
    return meta


def parse_failure(operation: str, status: int, cause: BaseException) -> ResponseParseError:
    """The error for a body that did not parse, naming the operation (``raise ... from cause``).

    An :class:`~hub.errors.XMLForbidden` cause stays an ``XMLForbidden``, so callers can tell a
    refused document from a merely malformed one.
    """
    kind = XMLForbidden if isinstance(cause, XMLForbidden) else ResponseParseError
    return kind(
        f"could not parse the {operation} response (HTTP {status}): "
        f"{type(cause).__name__}: {cause}",
        operation=operation,
        status_code=status,
    )
