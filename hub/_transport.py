"""The transport seam: the one place hub talks to urllib3.

``Transport.send(http_request, *, timeout, stream) -> HTTPResponse`` is the only way a request
reaches the network. Everything urllib3 is behind it: pools, TLS contexts, proxies, and the
mapping of urllib3, http.client and socket errors to :mod:`hub.errors` (:func:`map_error`),
including errors raised later while a streamed body is read (a :class:`StreamingBody` reads
through :class:`_Body`, never through urllib3 directly).

Connections have exactly one owner. When urllib3 hands a response over, :class:`_Body` takes
its connection (and urllib3 forgets it), so a connection goes back to its pool in one place
(:meth:`_Body._finish`), at most once, and only when its response was read to the end in the
calling thread with its socket still open. Every other ending (an error, an early close, a
finalizer run by the garbage collector) closes the socket and returns only the pool *slot*:
a finalizer may run after the socket object itself was finalized, so it must never put the
connection back.

One :class:`Transport` (urllib3 pools plus one ``SSLContext``) exists per distinct
:class:`TransportSettings` in a :class:`TransportRegistry`; a session and its copies share one
registry, so copies that change no transport setting share connection pools. Timeouts are not
part of the key: they are passed per request, so changing them never splits a pool. A pool is
never replaced while connections of it are in use, so the per-origin connection count never
exceeds ``max_pool_connections`` (with ``pool_block``); :meth:`Transport.close` closes idle
connections and marks the ones in use to be closed when they come back.
"""

from __future__ import annotations

import email.parser
import errno
import io
import logging
import os
import re
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Mapping
from http.client import (  # type: ignore[attr-defined]
    CONTINUE,
    NO_CONTENT,
    NOT_MODIFIED,
    HTTPException,
    HTTPMessage,
    UnknownProtocol,
    _read_headers,
)
from http.client import HTTPResponse as _HTTPClientResponse
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import urllib3
from urllib3.connection import HTTPConnection as _U3HTTPConnection
from urllib3.connection import HTTPSConnection as _U3HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError as _U3ConnectTimeout,
)
from urllib3.exceptions import (
    DecodeError,
    EmptyPoolError,
    InsecureRequestWarning,
    NewConnectionError,
    ProtocolError,
    ProxyError,
)
from urllib3.exceptions import IncompleteRead as _U3IncompleteRead
from urllib3.exceptions import (
    ReadTimeoutError as _U3ReadTimeout,
)
from urllib3.exceptions import SSLError as _U3SSLError
from urllib3.util import SKIP_HEADER
from urllib3.util.ssl_ import create_urllib3_context

from hub._config import Config
from hub._deferred import deferred
from hub._forksafe import FORK_GUARD, at_fork_reinit
from hub._proxies import (
    apply_client_cert,
    origin_bypasses,
    proxy_manager_options,
    socket_options,
)
from hub._redact import forget_locals, proxy_auth
from hub._request import HTTPRequest, HTTPResponse, ResponseHeaders, SensitiveValue
from hub._value import FrozenMap, dataclass
from hub.errors import (
    CallTimeoutError,
    ConfigError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    HubError,
    ParamValidationError,
    ProxyConnectionError,
    ReadTimeoutError,
    ResponseTooLargeError,
    SSLError,
)

if TYPE_CHECKING:
    from urllib3._base_connection import BaseHTTPConnection

logger = logging.getLogger("hub.transport")

URLLIB3_VERSION: str = getattr(urllib3, "__version__", "unknown")
"""The urllib3 version (for the User-Agent header)."""

Timeout = urllib3.Timeout
"""Per-request connect/read timeouts, as :meth:`Transport.send` takes them."""


def make_timeout(connect: float | None, read: float | None) -> Timeout:
    """Build the timeout value :meth:`Transport.send` takes (seconds; None = no limit)."""
    return urllib3.Timeout(connect=connect, read=read)


# --------------------------------------------------------------------------- call deadline


@dataclass(frozen=True, slots=True)
class Deadline:
    """The end of a call's time budget (``Config.call_timeout``).

    Attributes:
        at: ``time.monotonic()`` value at which the call must be over.
        seconds: The configured budget (for messages).
    """

    at: float
    seconds: float

    def remaining(self) -> float:
        """Seconds left (<= 0 once passed)."""
        return self.at - time.monotonic()

    def error(self, url: str | None, waiting_for: str | None = None) -> CallTimeoutError:
        """The typed error for a call that ran out of time (``waiting_for``: what it was
        waiting for when it did, e.g. credentials or a rate-limiter token)."""
        endpoint = _endpoint(url) if url is not None else None
        where = f" to {endpoint}" if endpoint else ""
        why = f" (waiting for {waiting_for})" if waiting_for else ""
        return CallTimeoutError(
            f"call{where} did not finish within call_timeout={self.seconds:g}s{why}",
            timeout=self.seconds, endpoint=endpoint)


#: ``request.context`` key of the call's :class:`Deadline` (set by ``core`` handlers when
#: ``Config.call_timeout`` is set; read by whatever may wait during the call).
DEADLINE_KEY = "core.deadline"


# The deadline of the call running in this thread, read when urllib3 creates the response
# object (inside pool.urlopen, in this thread); None when the call has no deadline.
_call = threading.local()


class _DeadlineTimeout(TimeoutError):
    """Raised by a socket read once the call's deadline has passed."""


class _DeadlineRaw(io.RawIOBase):
    """A socket reader whose every ``recv`` ends by the call's deadline.

    ``read_timeout`` bounds one ``recv``; a server trickling one byte at a time, or sending
    ``100 Continue`` for ever, never trips it. Capping each ``recv`` at the time left bounds
    the whole header and body read.
    """

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._io = socket.SocketIO(sock, "rb")  # holds a makefile() reference, as http.client
        self._sock = sock
        self.deadline: float | None = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        deadline = self.deadline
        if deadline is None:
            return self._io.readinto(buffer)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _DeadlineTimeout("call_timeout passed")
        sock = self._sock
        base = sock.gettimeout()
        sock.settimeout(remaining if base is None else min(base, remaining))
        try:
            return self._io.readinto(buffer)
        finally:
            sock.settimeout(base)

    def close(self) -> None:
        if not self.closed:
            self._io.close()
        super().close()


class _DeadlineSocket:
    """What http.client's response sees as its socket: only ``makefile`` is used."""

    __slots__ = ("_sock", "_deadline")

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> Any:
        return io.BufferedReader(_DeadlineRaw(self._sock, self._deadline))


class _ClientResponse(_HTTPClientResponse):
    """http.client's response, reading through :class:`_DeadlineRaw` when the call has one."""

    def _hub_parse_head(self, fp: Any) -> Any:
        return _parse_head(fp)

    def __init__(self, sock: Any, debuglevel: int = 0, method: str | None = None,
                 url: str | None = None) -> None:
        deadline = getattr(_call, "deadline", None)
        if deadline is not None and isinstance(sock, socket.socket):
            sock = _DeadlineSocket(sock, deadline)
        super().__init__(sock, debuglevel, method, url)

    def begin(self) -> None:
        # http.client's begin() (the same in 3.10-3.13; tests/test_transport_head.py checks
        # that), with _parse_head in place of parse_headers: the email parser is most of the
        # cost of reading a small response.
        if self.headers is not None:
            return
        while True:
            version, status, reason = self._read_status()
            if status != CONTINUE:
                break
            skipped_headers = _read_headers(self.fp)
            if self.debuglevel > 0:
                print("headers:", skipped_headers)
            del skipped_headers
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise UnknownProtocol(version)
        self.headers = self.msg = self._hub_parse_head(self.fp)
        if self.debuglevel > 0:
            for hdr, val in self.headers.items():
                print("header:", hdr + ":", val)
        tr_enc = self.headers.get("transfer-encoding")
        if tr_enc and tr_enc.lower() == "chunked":
            self.chunked = True
            self.chunk_left = None
        else:
            self.chunked = False
        self.will_close = self._check_close()
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None
        else:
            self.length = None
        if (status == NO_CONTENT or status == NOT_MODIFIED or 100 <= status < 200
                or self._method == "HEAD"):
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True


# A header block of plain "Name: value" lines only: a name of the characters the email
# parser accepts (printable ASCII but ':'), a value with no CR or LF, each line ended by
# CRLF or LF; and the (name, value) pairs of such a block, the value's leading blanks
# dropped as the email parser (compat32) drops them. Compiled by the first response
# (hub._deferred): ~0.1 ms each at import otherwise.
_is_plain_block = deferred(globals(), "_is_plain_block", lambda: re.compile(
    r"(?:[\x21-\x39\x3b-\x7e]+:[^\r\n]*\r?\n)*").fullmatch)
_plain_fields_of = deferred(globals(), "_plain_fields_of", lambda: re.compile(
    r"([\x21-\x39\x3b-\x7e]+):[ \t]*([^\r\n]*)\r?\n").findall)


def _parse_head(fp: Any) -> HTTPMessage:
    """Read a response's header block into an ``HTTPMessage`` equal to http.client's.

    Lines are read by http.client's own reader (its line-length and header-count limits and
    errors). Plain ``Name: value`` lines are stored as the email parser (compat32) stores
    them; anything else (folded or malformed lines, a missing blank line, a multipart or
    message content type) goes through the email parser, as in http.client.
    """
    return _message_of(_read_headers(fp))


def _message_of(lines: list[bytes]) -> HTTPMessage:
    fields = _plain_fields(lines)
    if fields is None:
        text = b"".join(lines).decode("iso-8859-1")
        return email.parser.Parser(_class=HTTPMessage).parsestr(text)
    msg = HTTPMessage()
    for name, value in fields:
        msg.set_raw(name, value)
    msg.set_payload("")
    return msg


def _plain_fields(lines: list[bytes]) -> list[tuple[str, str]] | None:
    """A header block's ``(name, value)`` pairs as the email parser (compat32) stores them,
    or None unless every line is a plain ``Name: value`` (the email parser's job then)."""
    if lines[-1] not in (b"\r\n", b"\n"):
        return None
    text = b"".join(lines[:-1]).decode("iso-8859-1")
    if not _is_plain_block(text):
        return None
    fields: list[tuple[str, str]] = _plain_fields_of(text)
    for name, value in fields:
        if len(name) == 12 and name.lower() == "content-type" and value[:9].lower().startswith((
                "multipart", "message")):
            return None
    return fields


def _parse_head_lean(fp: Any) -> ResponseHeaders:
    """:func:`_parse_head` for the lean exchange: straight into hub's headers object (what
    urllib3 would have made of the ``HTTPMessage``), skipping the message for a block of
    plain lines that names no header twice."""
    lines = _read_headers(fp)
    fields = _plain_fields(lines)
    if fields is not None:
        lowered = {name.lower(): value for name, value in fields}
        if len(lowered) == len(fields):
            return ResponseHeaders(dict(fields), lowered)
    return _lean_headers(_message_of(lines))


# A small bytes body goes out in the same send() as the request head (one segment, one
# syscall, one wake-up of the server) instead of right after it, as urllib3 would send it.
_ONE_SEND_MAX = 16 * 1024


class _OneSendMixin:
    """Sends the head and a small ``bytes`` body with one ``send`` (nothing else changes), and
    lets a body with a ``hub_send_to(sock)`` method (``hub.transfer``'s file ranges) send
    itself after the head.

    Only when the body's ``Content-Length`` header is already set to its length (hub's
    ``core.prepare_body`` sets it), so urllib3 frames the request exactly as it would have.
    """

    _hub_body: bytes | None = None
    _hub_in_request = False

    def request(self, method: str, url: str, body: Any = None, headers: Any = None,
                **kwargs: Any) -> None:
        self._hub_in_request = True
        try:
            if (type(body) is bytes and 0 < len(body) <= _ONE_SEND_MAX
                    and not kwargs.get("chunked") and headers
                    and _declared_length(headers) == len(body)):
                self._hub_body = body
                try:
                    super().request(method, url, body=None,  # type: ignore[misc]
                                    headers=headers, **kwargs)
                finally:
                    self._hub_body = None
                return
            # A body that sends itself (hub.transfer's FileRange: os.sendfile on a plain
            # socket): the head goes as for no body, then the body writes to the socket.
            send_to = getattr(type(body), "hub_send_to", None)
            if (send_to is not None and not kwargs.get("chunked") and headers
                    and _declared_length(headers) == len(body)):
                super().request(method, url, body=None,  # type: ignore[misc]
                                headers=headers, **kwargs)
                send_to(body, self.sock)  # type: ignore[attr-defined]
                return
            super().request(method, url, body=body, headers=headers,  # type: ignore[misc]
                            **kwargs)
        finally:
            self._hub_in_request = False

    def putheader(self, header: Any, *values: Any) -> None:
        # Inside request() (between putrequest and endheaders) one plain header goes straight
        # into the head buffer: urllib3's SKIP_HEADER scan and http.client's encode + two
        # regexes cost more than the header itself. The check is stricter than http.client's
        # (a token name; no CR, LF or NUL in the value), and anything it does not pass, or
        # any other shape of call, takes the usual path, which accepts or refuses as before.
        if (self._hub_in_request and len(values) == 1
                and not (type(values[0]) is str and values[0] == SKIP_HEADER)):
            line = _plain_header(header, values[0])
            if line is not None:
                self._buffer.append(line)  # type: ignore[attr-defined]
                return
        super().putheader(header, *values)  # type: ignore[misc]

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        body = self._hub_body
        if body is None or message_body is not None:
            super()._send_output(message_body, encode_chunked)  # type: ignore[misc]
            return
        self._hub_body = None
        buffer = self._buffer  # type: ignore[attr-defined]
        buffer.extend((b"", b""))
        head = b"\r\n".join(buffer)
        del buffer[:]
        self.send(head + body)  # type: ignore[attr-defined]


# RFC 9110 token characters (ASCII only): what a header name may be on the fast path.
_is_token = deferred(globals(), "_is_token",
                     lambda: re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+").fullmatch)


def _plain_header(name: Any, value: Any) -> bytes | None:
    """``b"Name: value"`` for a header hub may write itself (a token name; a ``str`` or
    :class:`SensitiveValue` value, Latin-1, without CR, LF or NUL), else None. Stricter than
    http.client, which then decides (accepts or refuses) as it always did."""
    kind = type(value)
    text: str | None = (value if kind is str
                        else value.reveal() if kind is SensitiveValue else None)
    if (text is None or type(name) is not str or not _is_token(name)
            or "\r" in text or "\n" in text or "\0" in text):
        return None
    try:
        return name.encode("ascii") + b": " + text.encode("latin-1")
    except UnicodeEncodeError:
        return None


def _declared_length(headers: Mapping[str, Any]) -> int | None:
    for name, value in headers.items():
        if len(name) == 14 and name.lower() == "content-length":
            return int(value) if isinstance(value, str) and value.isdigit() else None
    return None


class _HTTPConnection(_OneSendMixin, _U3HTTPConnection):
    response_class = _ClientResponse


class _HTTPSConnection(_OneSendMixin, _U3HTTPSConnection):
    response_class = _ClientResponse


def _end_deadline(u3: Any) -> None:
    # A streamed body is read after the call returned: the call's deadline no longer applies.
    raw = getattr(getattr(getattr(u3, "_fp", None), "fp", None), "raw", None)
    if isinstance(raw, _DeadlineRaw):
        raw.deadline = None


class _DeadlineBody:
    """A file-like request body whose reads fail once the call's deadline has passed.

    http.client sends a file body block by block; each ``sendall`` is bounded by the socket
    timeout, but a server reading slowly could otherwise stretch the upload without limit.
    """

    __slots__ = ("_body", "_deadline")

    def __init__(self, body: Any, deadline: Deadline) -> None:
        self._body = body
        self._deadline = deadline

    def read(self, size: int = -1) -> Any:
        if self._deadline.remaining() <= 0:
            raise _DeadlineTimeout("call_timeout passed while sending the body")
        return self._body.read(size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._body, name)


# --------------------------------------------------------------------------- pools


class _PoolMixin:
    """Connection accounting on top of a urllib3 pool.

    ``close()`` of the transport bumps ``_hub_generation``: connections checked out before it
    are closed when they come back instead of being kept, so nothing stays open afterwards,
    while the pool object (and with it the limit on connections) stays the same.
    """

    pool: Any
    _hub_generation: int
    _hub_lock: threading.Lock
    hub_host_line: bytes

    def _hub_init(self) -> None:
        self._hub_generation = 0
        self._hub_lock = threading.Lock()
        self.hub_host_line = _host_line(self)
        at_fork_reinit(self, _PoolMixin._hub_reinit)

    def _hub_reinit(self) -> None:
        self._hub_lock = threading.Lock()

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)  # type: ignore[misc]
        conn._hub_generation = self._hub_generation
        return conn

    def _put_conn(self, conn: Any) -> None:
        if conn is not None and (
            getattr(conn, "_hub_generation", -1) != self._hub_generation
            or not _socket_usable(conn)
        ):
            _close_quietly(conn)
            conn = None  # the slot goes back, the connection does not
        with self._hub_lock:
            super()._put_conn(conn)  # type: ignore[misc]

    def hub_close_idle(self) -> None:
        """Close idle connections now and in-use ones when they come back."""
        with self._hub_lock:
            self._hub_generation += 1
            slots = self.pool
            if slots is None:
                return
            taken = []
            while True:
                try:
                    taken.append(slots.get(block=False))
                except Exception:  # noqa: BLE001 - queue.Empty
                    break
            for conn in taken:
                if conn is not None:
                    _close_quietly(conn)
                slots.put(None, block=False)  # keep the slot count: None = connect anew


class _HTTPPool(_PoolMixin, urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hub_init()


class _HTTPSPool(_PoolMixin, urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hub_init()


class _QuietHTTPSPool(_HTTPSPool):
    """An HTTPS pool without urllib3's per-request ``InsecureRequestWarning``.

    Used only for ``verify=False`` transports: hub warns once per host itself. Silencing by
    pool class instead of a global ``warnings`` filter keeps working inside (and after) a
    caller's ``warnings.catch_warnings()`` block, which saves and restores the global filters.
    """

    def _validate_conn(self, conn: BaseHTTPConnection) -> None:
        urllib3.HTTPConnectionPool._validate_conn(self, conn)
        if conn.is_closed:  # what urllib3 does, minus the warning
            conn.connect()


def _socket_usable(conn: Any) -> bool:
    # A connection whose socket object was closed (fd -1: e.g. finalized by the garbage
    # collector) must never be pooled; one with no socket simply reconnects.
    sock = getattr(conn, "sock", None)
    if sock is None:
        return True
    try:
        return bool(sock.fileno() >= 0)
    except Exception:  # noqa: BLE001 - a broken socket object is not usable
        return False


def _close_quietly(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - closing a broken connection may fail; it is dropped
        pass


# --------------------------------------------------------------------------- bodies

_CHUNK = 64 * 1024


class _Body:
    """The unread body of one response, owning its pooled connection until it ends.

    Reads map every error to :mod:`hub.errors`. The connection goes back to the pool only from
    :meth:`_finish` (the body was read to its end, in the reading thread); every other ending
    closes it and returns the slot. Safe to drop unread: the finalizer only closes.
    """

    __slots__ = ("_u3", "_pool", "_conn", "_url", "_limit", "_deadline", "_direct",
                 "__weakref__")

    def __init__(self, u3: Any, url: str, limit: int | None, deadline: Deadline | None) -> None:
        self._u3: Any = u3
        # Take the connection from urllib3 so that it never releases it on its own.
        self._pool: Any = u3._pool
        self._conn: Any = u3._connection
        u3._pool = None
        u3._connection = None
        self._url = url
        self._limit = limit
        self._deadline = deadline
        # readinto's socket reader: None = not looked at yet, False = this body cannot use it.
        self._direct: _DirectReader | bool | None = None

    @property
    def done(self) -> bool:
        """True once the body was read to its end, released or discarded."""
        return self._u3 is None

    def read(self, amt: int | None = None) -> bytes:
        """Read up to ``amt`` bytes (all the rest when None); ``b""`` at the end.

        Raises:
            HTTPClientError: The connection broke or timed out (a subclass says which).
            CallTimeoutError: The call's deadline passed while reading.
        """
        u3 = self._u3
        if u3 is None:
            return b""
        if amt is not None and amt < 0:
            amt = None
        direct = self._direct
        if type(direct) is _DirectReader:
            direct.restore()  # after wait_socket: http.client's reader needs the timeout back
        self._direct = None  # http.client's reader may buffer again: readinto looks anew
        try:
            data: bytes = u3.read(amt)
        except Exception as exc:
            self.discard()
            raise self._error(exc) from exc
        except BaseException:
            self.discard()
            raise
        if amt is None or (amt != 0 and not data) or u3.length_remaining == 0:
            self._finish()
        return data

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from the body; return the count (less only at the end, 0 there).

        A body of known length is read straight from the socket into ``buffer`` (see
        :class:`_DirectReader`); any other one through urllib3, then copied.

        Raises:
            HTTPClientError: The connection broke or timed out (a subclass says which), or
                it closed before ``Content-Length`` bytes arrived.
        """
        u3 = self._u3
        if u3 is None:
            return 0
        view = memoryview(buffer).cast("B")
        direct = self._direct
        if direct is None:
            direct = self._direct = (_DirectReader.of(u3, self._conn, self._url)
                                     if self._deadline is None else None) or False
        if type(direct) is not _DirectReader:  # False: this body cannot be read that way
            data = self.read(len(view))
            n = len(data)
            view[:n] = data
            return n
        return self._step(direct, direct.fill, view, False) or 0

    def _step(self, direct: _DirectReader, step: Any, target: Any, arg: Any) -> int | None:
        # One of the direct reader's reads (fill or splice), its errors mapped; at the end the
        # socket's timeout comes back and the connection goes back to its pool.
        try:
            n: int | None = step(target, arg)
        except Exception as exc:
            self._direct = None
            self.discard()
            raise self._error(exc) from exc
        except BaseException:
            self._direct = None
            self.discard()
            raise
        if direct.left == 0:
            self._direct = None
            direct.restore()
            self._finish()
        return n

    def wait_socket(self) -> Any:
        """Switch this body's reads to non-blocking, for :meth:`readinto_nowait`, and return
        the socket to wait on (readable: a read may make progress); None (nothing changed)
        when the body is not read straight from its socket, or that reader still holds
        bytes read with the head (read with :meth:`readinto` first).

        The socket's timeout comes back when the body ends, before the connection goes back
        to its pool; until then the caller enforces the timeout it returns in
        :attr:`wait_timeout`.
        """
        direct = self._direct
        if type(direct) is not _DirectReader or not direct.nowait():
            return None
        return direct.sock

    @property
    def wait_timeout(self) -> float | None:
        """The read timeout a caller of :meth:`readinto_nowait` enforces (seconds idle)."""
        direct = self._direct
        return direct.timeout if type(direct) is _DirectReader else None

    def wait_expired(self) -> HubError:
        """Close the connection of a body that made no progress within :attr:`wait_timeout`
        and return the error to raise (a :class:`~hub.errors.ReadTimeoutError`)."""
        self._direct = None
        self.discard()
        return self._error(TimeoutError("no body bytes arrived within the read timeout"))

    def readinto_nowait(self, buffer: Any) -> int | None:
        """:meth:`readinto` after :meth:`wait_socket`: the bytes that can be read now (fewer
        than ``buffer`` holds), None when none can, 0 at the end.

        Raises:
            HTTPClientError: As :meth:`readinto`; the connection is closed.
        """
        direct = self._direct
        if type(direct) is not _DirectReader:  # ended (or never switched): as readinto
            return self.readinto(buffer)
        return self._step(direct, direct.fill, memoryview(buffer).cast("B"), True)

    @property
    def can_splice(self) -> bool:
        """True when :meth:`splice_nowait` can move this body: after :meth:`wait_socket`, on
        a plain TCP socket (TLS bodies are decrypted in user space), where ``os.splice`` exists.
        """
        direct = self._direct
        return type(direct) is _DirectReader and direct.can_splice

    def splice_nowait(self, pipe: int, nbytes: int) -> int | None:
        """Move up to ``nbytes`` of the body from the socket into the pipe ``pipe`` (its
        write end) in the kernel, without copying them through Python: the count, None when
        nothing can be read now, 0 at the end. Only when :attr:`can_splice`.

        Raises:
            HTTPClientError: As :meth:`readinto`; the connection is closed.
        """
        direct = self._direct
        if type(direct) is not _DirectReader:
            return 0  # ended
        return self._step(direct, direct.splice, pipe, nbytes)

    def read_all(self) -> bytes:
        """Read the whole rest of the body, at most ``max_response_bytes`` of it.

        Raises:
            ResponseTooLargeError: The body is larger than the limit (nothing more is read).
            HTTPClientError: The connection broke or timed out.
        """
        u3 = self._u3
        if u3 is None:
            return b""
        limit = self._limit
        length = u3.length_remaining
        if limit is None or (length is not None and length <= limit):
            return self.read()
        if length is not None:
            self.discard()
            raise self._too_large(f"declares {length} bytes")
        # No length (chunked or read-to-close): read in steps, so memory stays within the cap.
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = self.read(_CHUNK)
            if not chunk:
                return b"".join(chunks)
            total += len(chunk)
            if total > limit:
                self.discard()
                raise self._too_large(f"sent more than {limit} bytes")
            chunks.append(chunk)

    def release(self) -> None:
        """Give the connection back if the body was read to its end, else discard it."""
        u3 = self._u3
        if u3 is None:
            return
        if u3.length_remaining == 0 or u3.isclosed():
            self._finish()
        else:
            self.discard()

    def discard(self) -> None:
        """Close the connection (the unread rest is not downloaded) and return its slot."""
        u3, pool, conn = self._u3, self._pool, self._conn
        self._u3 = self._pool = self._conn = None
        if u3 is not None:
            try:
                u3.close()  # closes http.client's file, which holds the socket open
            except Exception:  # noqa: BLE001 - it is being thrown away
                pass
        if conn is not None:
            _close_quietly(conn)
        if pool is not None:
            pool._put_conn(None)

    def _finish(self) -> None:
        # The one place a connection goes back to its pool (the pool refuses dead sockets).
        pool, conn = self._pool, self._conn
        self._u3 = self._pool = self._conn = None
        if pool is not None:
            pool._put_conn(conn)

    def end_deadline(self) -> None:
        """Stop applying the call's deadline (the call has returned a streamed body)."""
        self._deadline = None
        if self._u3 is not None:
            _end_deadline(self._u3)

    def _error(self, exc: Exception) -> HubError:
        if isinstance(exc, HubError):
            return exc
        deadline = self._deadline
        if deadline is not None and (deadline.remaining() <= 0 or _is_deadline(exc)):
            return deadline.error(self._url)
        return map_error(exc, self._url)

    def _too_large(self, what: str) -> ResponseTooLargeError:
        endpoint = _endpoint(self._url)
        return ResponseTooLargeError(
            f"the response from {endpoint} {what}, over max_response_bytes={self._limit}",
            limit=self._limit or 0, endpoint=endpoint)

    def __del__(self) -> None:
        # Run by the garbage collector, possibly after the socket object was finalized:
        # never put the connection back, only close it and return its slot.
        if getattr(self, "_u3", None) is not None:
            self.discard()

    def __repr__(self) -> str:
        return f"<hub body from {_endpoint(self._url)} done={self.done}>"


class _DirectReader:
    """Reads a body of known length straight from its socket into the caller's buffer.

    http.client's way costs a new bytes object per read (copied again by ``readinto``) and,
    over TLS, five Python calls per 16 KiB record: its buffered reader calls
    ``SocketIO.readinto`` -> ``readable`` -> ``SSLSocket.recv_into`` -> ``read`` ->
    ``_checkClosed`` before the C read. Here one loop calls the C reader itself
    (``_sslobj.read`` / ``socket.recv_into``) once per record or kernel read, into a view of
    the caller's buffer; timeouts, resets and TLS errors surface from it as they would from
    http.client and are mapped by :class:`_Body`.

    Only for a non-chunked body with a ``Content-Length`` whose socket is a plain
    ``socket.socket`` or ``ssl.SSLSocket`` (not TLS-in-TLS through a proxy), read after the
    call's deadline ended. http.client's buffered reader may already hold the first body
    bytes (read with the head): one ``read1`` of at least its buffer size hands over all it
    holds (and reads nothing when it holds any), so the socket is read directly only once
    it is empty. http.client's and urllib3's length counters are kept current, so their
    reads can take over at any point (``_Body.read`` drops this reader).

    A caller multiplexing many bodies (``hub.transfer``'s reader threads) switches the socket
    to non-blocking reads (:meth:`nowait`); ``fill(view, nowait=True)`` then returns what can
    be read now (or, on a plain TCP socket, :meth:`splice` moves it into a pipe without a copy
    through Python), and :meth:`restore` puts the socket's timeout back.

    Attributes:
        left: Body bytes not read yet.
        sock: The socket.
        timeout: The socket's timeout before :meth:`nowait`.
    """

    __slots__ = ("_u3", "_hr", "_fp", "sock", "_sslread", "_url", "left", "timeout",
                 "_nonblocking")

    def __init__(self, u3: Any, hr: Any, sock: Any, sslread: Any, url: str, left: int) -> None:
        self._u3 = u3
        self._hr = hr
        self._fp: Any = hr.fp  # None once it holds nothing more
        self.sock = sock
        self._sslread = sslread
        self._url = url
        self.left = left
        self.timeout: float | None = None
        self._nonblocking = False

    def nowait(self) -> bool:
        """Make the socket's reads non-blocking; False (nothing changed) while http.client's
        buffered reader may still hold body bytes, or at the end of the body."""
        if self._fp is not None or self.left <= 0:
            return False
        if not self._nonblocking:
            self.timeout = self.sock.gettimeout()
            self.sock.setblocking(False)
            self._nonblocking = True
        return True

    @property
    def can_splice(self) -> bool:
        """True after :meth:`nowait` on a plain TCP socket where ``os.splice`` exists."""
        return _SPLICE and self._sslread is None and self._nonblocking

    def restore(self) -> None:
        """Put the socket's timeout back (before its connection goes back to the pool)."""
        if self._nonblocking:
            self._nonblocking = False
            self.sock.settimeout(self.timeout)

    @classmethod
    def of(cls, u3: Any, conn: Any, url: str) -> _DirectReader | None:
        """The reader for urllib3's response ``u3`` on ``conn``, or None when it cannot be used."""
        hr = getattr(u3, "_fp", None)  # http.client's response
        fp = getattr(hr, "fp", None)
        sock: Any = getattr(conn, "sock", None)
        left = getattr(hr, "length", None)
        if (sock is None or type(fp) is not io.BufferedReader or getattr(hr, "chunked", True)
                or type(left) is not int or left != u3.length_remaining):
            return None
        kind = type(sock)
        if kind is ssl.SSLSocket:  # not a subclass, nor urllib3's TLS-in-TLS SSLTransport
            sslread = getattr(getattr(sock, "_sslobj", None), "read", None)
            if sslread is None:
                return None
        elif kind is socket.socket:
            sslread = None
        else:
            return None
        if sock.gettimeout() == 0:  # non-blocking: http.client's reader handles it
            return None
        if getattr(fp.raw, "_sock", None) is not sock:  # it reads some other socket object
            return None
        return cls(u3, hr, sock, sslread, url, left)

    def fill(self, view: memoryview, nowait: bool = False) -> int | None:
        """Fill ``view`` (fewer bytes only at the end of the body); return the count. With
        ``nowait`` (after :meth:`nowait`), what can be read now: None when nothing can.

        Raises:
            ConnectionClosedError: The connection closed before the end of the body.
            OSError: From the socket (timeouts, resets, TLS errors), for the caller to map.
        """
        if self.left <= 0:
            self._hr.close()  # an empty body (HEAD, 204, 304, Content-Length: 0)
            return 0
        want = min(len(view), self.left)
        if want <= 0:
            return 0
        got = 0
        fp = self._fp
        if fp is not None:
            first = fp.read1(want)
            got = len(first)
            view[:got] = first
            if got < want or want >= io.DEFAULT_BUFFER_SIZE:
                self._fp = None  # it gave all it held (or held nothing): the socket is next
        if got < want and self._fp is None:
            read = self._sslread
            try:
                if read is not None:
                    try:
                        while got < want:
                            n = read(want - got, view[got:])
                            if not n:
                                break
                            got += n
                    except ssl.SSLEOFError:
                        pass  # closed without close_notify: a short body, reported below
                else:
                    recv = self.sock.recv_into
                    while got < want:
                        n = recv(view[got:], want - got)
                        if not n:
                            break
                        got += n
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                if not nowait:
                    raise
                if not got:
                    return None  # nothing to read yet
        return self._count(got)

    def splice(self, pipe: int, nbytes: int) -> int | None:
        """Move up to ``nbytes`` from the (non-blocking, plain TCP) socket into ``pipe``;
        return the count, None when nothing can be read now.

        Raises:
            ConnectionClosedError: The connection closed before the end of the body.
            OSError: From the socket, for the caller to map.
        """
        if self.left <= 0:
            self._hr.close()
            return 0
        try:
            got = os.splice(self.sock.fileno(), pipe, min(nbytes, self.left),
                            flags=_SPLICE_FLAGS)
        except BlockingIOError:
            return None
        return self._count(got)

    def _count(self, got: int) -> int:
        # got body bytes were taken from the socket: keep http.client's and urllib3's counters
        # current; a read of nothing before the end is a connection closed early.
        left = self.left = self.left - got
        hr = self._hr
        hr.length = left
        u3 = self._u3
        u3.length_remaining = left
        u3._fp_bytes_read += got
        if not left:
            hr.close()  # as http.client does at the end of a body (the socket stays open)
        elif not got:
            expected = u3._fp_bytes_read + left
            raise ConnectionClosedError(
                f"connection was closed before a complete response from {_endpoint(self._url)}"
                f": {u3._fp_bytes_read} of {expected} body bytes arrived",
                endpoint=_endpoint(self._url))
        return got


# os.splice (Linux) moves a plain body from its socket to a pipe in the kernel; SPLICE_F_MOVE
# is a hint, SPLICE_F_NONBLOCK keeps the pipe side from waiting (the socket is non-blocking).
_SPLICE = hasattr(os, "splice")
_SPLICE_FLAGS = getattr(os, "SPLICE_F_MOVE", 0) | getattr(os, "SPLICE_F_NONBLOCK", 0)


# --------------------------------------------------------------------------- the lean exchange
#
# urllib3's urlopen() costs ~0.35-0.45 ms of CPU per request on this project's reference VM
# (Timeout and Retry objects, URL parsing and re-encoding, http.client's putrequest/putheader
# state machine, and urllib3's response object): more than hub spends building, signing and
# parsing the call. For the common request (a direct connection, a bytes or file-range body or
# none, headers urllib3 would write unchanged) hub writes the head itself on a connection of
# the same urllib3 pool and reads the answer with the same http.client response reader
# (:class:`_ClientResponse`), so the bytes on the wire, the pool accounting, and every error
# are those of the urllib3 path (tests/test_transport_head.py compares them). Anything else
# (proxies, a call deadline, iterable or file bodies, unusual headers or targets) goes
# through urllib3 as before.

# Methods for which urllib3 sends no ``Content-Length: 0`` when there is no body.
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
_LEAN_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS", "PUT", "POST", "PATCH"})

# A request target urllib3's URL encoder leaves as it is: every byte one it allows, every
# "%" the start of an upper-case escape (it would upper-case a lower-case one).
_is_plain_target = deferred(globals(), "_is_plain_target", lambda: re.compile(
    r"/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*"
    r"(?:\?(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*)?").fullmatch)

# RFC 9110 obsolete line folding, as urllib3 2.8 joins it in a response header value.
_unfold = deferred(globals(), "_unfold",
                   lambda: re.compile(r"(?:(?<![ \t])[ \t]+)?\r\n[ \t]+").sub)


def _host_line(pool: Any) -> bytes:
    """The ``Host`` header http.client writes for the connections of ``pool``."""
    host = str(pool.host).rstrip(".")  # as urllib3's connection gives http.client its host
    try:
        encoded = host.encode("ascii")
    except UnicodeEncodeError:
        encoded = host.encode("idna")
    if ":" in host:  # an IPv6 literal
        encoded = b"[" + encoded + b"]"
    port = pool.port
    if port is not None and port != pool.ConnectionCls.default_port:
        encoded = b"%s:%d" % (encoded, port)
    return b"Host: " + encoded


def _lean_head(method: str, target: str, headers: Mapping[str, Any], host_line: bytes,
               has_body: bool) -> bytes | None:
    """The request head urllib3 and http.client would write, byte for byte, or None for a
    request they might write differently (hub then lets them)."""
    if method not in _LEAN_METHODS or not _is_plain_target(target):
        return None
    lines = [b""]  # the request line, below
    host = encoding = agent = length = False
    for name, value in headers.items():
        line = _plain_header(name, value)
        if line is None:
            return None
        lowered = name.lower()
        if lowered == "host":
            host = True
        elif lowered == "accept-encoding":
            encoding = True
        elif lowered == "user-agent":
            agent = True
        elif lowered == "content-length":
            length = True
        elif lowered == "transfer-encoding":
            return None
        lines.append(line)
    if not agent or (has_body and not length):
        return None  # urllib3 would add its own User-Agent or framing header
    # http.client's putrequest writes Host and Accept-Encoding first, then urllib3 its
    # Content-Length: 0 for a bodiless PUT/POST, then the caller's headers in order.
    first = [f"{method} {target} HTTP/1.1".encode("ascii")]
    if not host:
        first.append(host_line)
    if not encoding:
        first.append(b"Accept-Encoding: identity")
    if not has_body and not length and method not in _NO_BODY_METHODS:
        first.append(b"Content-Length: 0")
    lines[0:1] = first
    lines += (b"", b"")
    return b"\r\n".join(lines)


class _LeanClientResponse(_ClientResponse):
    """The lean exchange's response: its ``headers`` are hub's :class:`ResponseHeaders`
    (case-insensitive ``get``, all that ``begin`` and the reads ask of them)."""

    def _hub_parse_head(self, fp: Any) -> Any:
        return _parse_head_lean(fp)


def _lean_headers(msg: HTTPMessage) -> ResponseHeaders:
    """hub's headers object for an http.client header block, as urllib3 (2.8) would hand it
    over: folded lines unfolded, then urllib3's own table (a repeated header's values joined
    under its first spelling). Only for the blocks :func:`_parse_head_lean` leaves to the
    email parser (rare), so the table's cost does not matter."""
    return _response_headers(urllib3.HTTPHeaderDict(
        [(name, _unfold(" ", value) if "\r\n" in value else value)
         for name, value in msg.items()]))


class _LeanResponse:
    """The part of urllib3's ``HTTPResponse`` that :class:`_Body` and :class:`_DirectReader`
    use, over http.client's response to a request hub wrote itself.

    Reads behave as urllib3's do with ``decode_content=False`` and content-length
    enforcement: a body that ends before its ``Content-Length`` raises ``IncompleteRead``.
    """

    __slots__ = ("_fp", "_pool", "_connection", "status", "headers", "length_remaining",
                 "_fp_bytes_read")

    def __init__(self, response: Any, pool: Any, conn: Any) -> None:
        self._fp = response
        self._pool: Any = pool
        self._connection: Any = conn
        self.status: int = response.status
        self.headers: ResponseHeaders = response.msg  # _LeanClientResponse parsed it so
        # http.client's own count: 0 for HEAD, 204, 304 and 1xx; None when chunked or unknown.
        self.length_remaining: int | None = response.length
        self._fp_bytes_read = 0

    def read(self, amt: int | None = None) -> bytes:
        """Read ``amt`` bytes (fewer only at the end), or all the rest."""
        response = self._fp
        data: bytes = response.read() if amt is None else response.read(amt)
        got = len(data)
        left = self.length_remaining
        if not got and amt and left:
            raise _U3IncompleteRead(self._fp_bytes_read, left)
        self._fp_bytes_read += got
        if left is not None:
            self.length_remaining = max(0, left - got)
        return data

    def isclosed(self) -> bool:
        """True once http.client's response has read to its end or was closed."""
        return bool(self._fp.isclosed())

    def close(self) -> None:
        """Close the response (its reference to the socket), not the connection."""
        self._fp.close()


def _lean_body(body: Any, headers: Mapping[str, Any]) -> bool:
    """Whether the lean exchange can send ``body``: none, ``bytes``, or a body that sends
    itself (``hub_send_to``), with a ``Content-Length`` header that matches it."""
    if body is None:
        return True
    if type(body) is not bytes and getattr(type(body), "hub_send_to", None) is None:
        return False
    return _declared_length(headers) == len(body)


def _send_head_and_body(sock: Any, head: bytes, body: Any) -> None:
    if body is None:
        sock.sendall(head)
    elif type(body) is bytes:
        if len(body) <= _ONE_SEND_MAX:
            sock.sendall(head + body)  # one segment, one wake-up of the server
        else:
            sock.sendall(head)
            sock.sendall(body)
    else:
        sock.sendall(head)
        body.hub_send_to(sock)


def _response_headers(headers: Any) -> ResponseHeaders:
    """hub's headers object for a urllib3 response (plain dict iteration, lookups any case)."""
    # urllib3 2's HTTPHeaderDict keeps lowercased name -> [name as sent, value, ...]; reading
    # it directly costs a fraction of iterating its items() (a Python generator per header).
    container = getattr(headers, "_container", None)
    if type(container) is not dict:
        return ResponseHeaders(headers.items())
    lowered: dict[str, str] = {}
    named: dict[str, str] = {}
    for key, values in container.items():
        value = values[1] if len(values) == 2 else ", ".join(values[1:])
        lowered[key] = value
        named[values[0]] = value
    return ResponseHeaders(named, lowered)


def _is_deadline(exc: BaseException) -> bool:
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        if isinstance(current, _DeadlineTimeout):
            return True
        current = current.__cause__ or current.__context__ or (
            current.args[1] if len(current.args) > 1
            and isinstance(current.args[1], BaseException) else None)
        seen += 1
    return False


# --------------------------------------------------------------------------- transports


@dataclass(frozen=True, slots=True)
class TransportSettings:
    """The settings that decide which connection pool a request uses (the registry key)."""

    max_pool_connections: int
    pool_block: bool
    verify: bool | str
    proxies: FrozenMap | None
    # Connection options owned by hub._proxies (NO_PROXY, mutual TLS, keep-alive, proxy TLS).
    no_proxy: str | None = None
    client_cert: str | tuple[str, str] | None = None
    tcp_keepalive: bool = False
    proxies_config: FrozenMap | None = None

    @classmethod
    def from_config(cls, config: Config) -> TransportSettings:
        """Extract the transport-relevant settings from a fully merged Config.

        Without ``Config.proxies``, the environment's proxies and ``NO_PROXY`` apply.
        """
        from hub._proxies import environment_proxy_settings

        proxies = config.proxies
        no_proxy = None
        if proxies is None:
            proxies, no_proxy = environment_proxy_settings()
        return cls(
            max_pool_connections=config.max_pool_connections or 10,
            pool_block=bool(config.pool_block),
            verify=True if config.verify is None else config.verify,
            proxies=proxies if isinstance(proxies, FrozenMap) or proxies is None
            else FrozenMap(proxies),
            no_proxy=no_proxy,
            client_cert=config.client_cert,
            tcp_keepalive=bool(config.tcp_keepalive),
            proxies_config=config.proxies_config,  # type: ignore[arg-type]
        )


def _ssl_context(verify: bool | str) -> ssl.SSLContext:
    # Built once per transport: botocore rebuilds one per client (~15 ms on OpenSSL 3).
    if verify is False:
        context = create_urllib3_context(cert_reqs=ssl.CERT_NONE)
        context.check_hostname = False
        return context
    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
    try:
        if isinstance(verify, str):
            if os.path.isdir(verify):
                context.load_verify_locations(capath=verify)
            else:
                context.load_verify_locations(cafile=verify)
        else:
            context.load_default_certs()
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"verify: cannot load CA bundle {verify!r}: {exc.strerror or exc}", field="verify"
        ) from None
    return context


def _check_tls_files(settings: TransportSettings) -> None:
    """Raise the ConfigError loading would raise when a named TLS file does not exist."""
    verify = settings.verify
    if isinstance(verify, str) and not os.path.exists(verify):
        raise ConfigError(f"verify: cannot load CA bundle {verify!r}: No such file or directory",
                          field="verify")
    cert = settings.client_cert
    for path in (cert,) if isinstance(cert, str) else cert or ():
        if not os.path.exists(path):
            raise ConfigError(f"client_cert: cannot load the client certificate {path!r}:"
                              " No such file or directory", field="client_cert")


_insecure_warned: set[str] = set()
# Module-level lock: re-created in a forked child by the hook at the end of this module.
_insecure_lock = threading.Lock()


def _warn_insecure(host: str) -> None:
    # urllib3 warns on every request; hub warns once per host (its pools do not warn).
    with _insecure_lock:
        if host in _insecure_warned:
            return
        _insecure_warned.add(host)
    warnings.warn(
        f"TLS certificate verification is disabled (verify=False) for {host}",
        InsecureRequestWarning,
        stacklevel=5,
    )


# Virtual-hosted S3 makes one origin per bucket; past this many, requests go through the
# PoolManager's own (LRU-bounded) lookup instead of the origin cache.
_MAX_CACHED_ORIGINS = 128
_NUM_POOLS = 256  # the PoolManager's LRU: above the origin cache, so a cached pool is kept


class BaseTransport:
    """What the request pipeline needs from a transport (see :class:`Transport`).

    Subclass it for a transport that does not go through urllib3, such as
    :class:`hub.testing.MemoryTransport`.
    """

    __slots__ = ("__weakref__",)

    def send(self, request: HTTPRequest, *, timeout: Timeout, stream: bool,
             pool_timeout: float | None = None, deadline: Deadline | None = None,
             max_response_bytes: int | None = None) -> HTTPResponse:
        """Send one request and return hub's response.

        Args:
            request: The request to send (method, URL, headers, body).
            timeout: Connect and read timeouts (:func:`make_timeout`).
            stream: True to return with the body unread in ``response.raw`` (the caller reads
                or releases it); False to read it in full into ``response.body``.
            pool_timeout: Seconds to wait for a free pooled connection.
            deadline: The call's deadline, if it has one.
            max_response_bytes: The largest body read into ``response.body``.

        Raises:
            HTTPClientError: A subclass saying what failed (connect, TLS, timeout, reset...).
            CallTimeoutError: ``deadline`` passed.
            ResponseTooLargeError: The body is larger than ``max_response_bytes``.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Close idle connections; connections in use are closed when they come back."""

    def pool_stats(self) -> dict[str, int]:
        """Idle connections per pool key ("scheme://host:port")."""
        return {}


class Transport(BaseTransport):
    """urllib3 pools (and one SSLContext) for one set of transport settings.

    Thread-safe: urllib3 pools are. After ``os.fork()`` the child gets fresh pools, so it never
    shares the parent's sockets.
    """

    __slots__ = ("settings", "_ssl_context", "_managers", "_origins", "_origins_lock")

    def __init__(self, settings: TransportSettings) -> None:
        self.settings = settings
        # The SSLContext (loading a CA store costs 10-150 ms) is built by the first https
        # request, not here: creating a client stays cheap and an http-only process never pays
        # for it. A CA bundle or client certificate the user named must exist now, so a missing
        # one is a ConfigError where the client is created (an unusable one, at that request).
        self._ssl_context: ssl.SSLContext | None = None
        self._managers: Mapping[str, urllib3.PoolManager] = self._new_managers()
        # origin ("https://host:port") -> its pool, so a request skips PoolManager's URL parsing
        # and pool-key normalization. Published copy-on-write; only direct (non-proxy)
        # connections; bounded, and an origin once cached always uses that one pool.
        self._origins: Mapping[str, Any] = {}
        self._origins_lock = threading.Lock()
        _check_tls_files(settings)
        at_fork_reinit(self, Transport._after_fork_in_child)

    def _new_managers(self) -> Mapping[str, urllib3.PoolManager]:
        settings = self.settings
        kwargs: dict[str, Any] = {
            "num_pools": _NUM_POOLS,
            "maxsize": settings.max_pool_connections,
            "block": settings.pool_block,
            "retries": False,
            "cert_reqs": "CERT_NONE" if settings.verify is False else "CERT_REQUIRED",
        }
        if settings.verify is False:
            kwargs["assert_hostname"] = False
        if settings.tcp_keepalive:
            kwargs["socket_options"] = socket_options(True)
        if self._ssl_context is not None:
            kwargs["ssl_context"] = self._ssl_context
        direct = urllib3.PoolManager(**kwargs)
        managers: dict[str, urllib3.PoolManager] = {"http": direct, "https": direct,
                                                    "direct": direct}
        for scheme, proxy_url in (settings.proxies or {}).items():
            # user:password becomes a Proxy-Authorization value whose repr is masked
            # (hub._redact), so no local in urllib3 or here shows the password.
            proxy_url, headers = proxy_auth(proxy_url)
            options = proxy_manager_options(proxy_url, settings.proxies_config, settings.verify)
            managers[scheme] = urllib3.ProxyManager(
                proxy_url, proxy_headers=headers, **{**kwargs, **options})
        https_pool = _QuietHTTPSPool if settings.verify is False else _HTTPSPool
        for manager in set(managers.values()):
            manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": https_pool}
        return managers

    def send(self, request: HTTPRequest, *, timeout: Timeout, stream: bool,
             pool_timeout: float | None = None, deadline: Deadline | None = None,
             max_response_bytes: int | None = None) -> HTTPResponse:
        """Send one request through the pooled connections (see :meth:`BaseTransport.send`)."""
        url = request.url
        body = request.body
        if deadline is not None:
            remaining = deadline.remaining()
            if remaining <= 0:
                raise deadline.error(url)
            timeout = _clamp_timeout(timeout, remaining)
            pool_timeout = remaining if pool_timeout is None else min(pool_timeout, remaining)
            if body is not None and hasattr(body, "read"):
                body = _DeadlineBody(body, deadline)
        u3 = self._urlopen(request.method, url, body, request.headers, timeout, pool_timeout,
                           deadline)
        raw = _Body(u3, url, max_response_bytes, deadline)
        headers = u3.headers if type(u3) is _LeanResponse else _response_headers(u3.headers)
        if stream:
            raw.end_deadline()
            return HTTPResponse(status=u3.status, headers=headers, raw=raw, url=url)
        return HTTPResponse(status=u3.status, headers=headers, body=raw.read_all(), url=url)

    def _urlopen(self, method: str, url: str, body: Any, headers: Mapping[str, str],
                 timeout: Timeout, pool_timeout: float | None,
                 deadline: Deadline | None) -> Any:
        https = url.startswith("https:")
        if https:
            if self._ssl_context is None:
                self.tls_context()
            if self.settings.verify is False:
                _warn_insecure(urlsplit(url).netloc)
        # The path starts at the first "/" after "scheme://".
        slash = url.find("/", 8 if https else 7)
        origin, path = (url, "/") if slash < 0 else (url[:slash], url[slash:])
        pool: Any = self._origins.get(origin)
        if pool is None or pool.pool is None:
            pool = self._pool_for(origin, https)
        direct = pool is not self._managers["https" if https else "http"]
        if deadline is not None:
            _call.deadline = deadline.at
        try:
            if direct and deadline is None:
                lean = self._exchange(pool, https, method, path, body, headers, timeout,
                                      pool_timeout)
                if lean is not None:
                    return lean
            return pool.urlopen(
                method,
                path if direct else url,
                body=body,
                headers=headers,
                timeout=timeout,
                pool_timeout=pool_timeout,
                preload_content=False,
                release_conn=False,
                decode_content=False,
                redirect=False,
                retries=False,
                assert_same_host=False,
            )
        except Exception as exc:
            # The chained urllib3/http.client frames hold the encoded request headers (token,
            # signature, proxy password) in their locals: keep the frames, drop the locals.
            forget_locals(exc)
            if deadline is not None and (deadline.remaining() <= 0 or _is_deadline(exc)):
                raise deadline.error(url) from exc
            error = map_error(exc, url)
            if error.__traceback__ is not None:
                # Raised inside the send by hub itself (a request body's RequestBodyError,
                # which urllib3 wrapped): as it was, with its own cause.
                raise error  # noqa: B904
            raise error from exc
        finally:
            if deadline is not None:
                _call.deadline = None

    @staticmethod
    def _exchange(pool: Any, https: bool, method: str, target: str, body: Any,
                  headers: Mapping[str, Any], timeout: Timeout,
                  pool_timeout: float | None) -> _LeanResponse | None:
        """One request on a connection of ``pool``, as urllib3's ``urlopen`` makes it (see
        "the lean exchange" above), or None (nothing done) when urllib3 must make it. Raises
        what urllib3 and http.client raise, unmapped. The head, which holds the credentials,
        is only ever a local of this frame, which the caller's error handling clears."""
        if not _lean_body(body, headers):
            return None
        head = _lean_head(method, target, headers, pool.hub_host_line, body is not None)
        if head is None:
            return None
        connect_timeout = Timeout.resolve_default_timeout(timeout.connect_timeout)
        read_timeout = timeout.read_timeout
        conn = pool._get_conn(timeout=pool_timeout)
        try:
            conn.timeout = connect_timeout
            if conn.sock is None:
                if https:
                    pool._validate_conn(conn)  # connects: TLS and the certificate checks
                else:
                    conn.connect()
            sock = conn.sock
            sock.settimeout(connect_timeout)  # urllib3 sends with the connect timeout
            try:
                _send_head_and_body(sock, head, body)
            except BrokenPipeError:
                pass  # as urllib3: the server may have answered early (a 4xx) and closed
            except OSError as exc:
                if exc.errno not in (errno.EPROTOTYPE, errno.ECONNRESET):
                    raise
            sock.settimeout(read_timeout)
            response = _LeanClientResponse(sock, method=method)
            response.begin()
            if response.will_close:
                conn.close()  # as http.client: the response keeps the socket open to its end
        except BaseException:
            _close_quietly(conn)
            pool._put_conn(None)
            raise
        return _LeanResponse(response, pool, conn)

    def _pool_for(self, origin: str, https: bool) -> Any:
        """Return the pool for ``origin`` (cached), or the manager when it must route."""
        manager = self._managers["https" if https else "http"]
        if self.settings.proxies:
            if not origin_bypasses(origin, self.settings.no_proxy):
                return manager  # the proxy manager decides how to reach the origin
            manager = self._managers["direct"]  # NO_PROXY: cached below like any direct origin
        with self._origins_lock:
            pool = self._origins.get(origin)
            if pool is None or pool.pool is None:
                pool = manager.connection_from_url(origin)
                if origin in self._origins or len(self._origins) < _MAX_CACHED_ORIGINS:
                    self._origins = {**self._origins, origin: pool}
            return pool

    def close(self) -> None:
        """Close every idle pooled connection, and each in-use one when it comes back.

        The pools themselves stay (so the per-origin connection limit keeps holding for
        requests still in flight) and reopen connections on the next request.
        """
        for pool in self._pools():
            if isinstance(pool, _PoolMixin):
                pool.hub_close_idle()

    def _pools(self) -> list[Any]:
        pools = []
        for manager in set(self._managers.values()):
            for key in list(manager.pools.keys()):
                pool = manager.pools.get(key)
                if pool is not None:
                    pools.append(pool)
        return pools

    def tls_context(self) -> ssl.SSLContext:
        """The transport's one SSLContext, built (CA bundle loaded) on first use.

        Raises:
            ConfigError: The CA bundle (``verify``) or client certificate cannot be loaded.
        """
        context = self._ssl_context
        if context is not None:
            return context
        with self._origins_lock:
            context = self._ssl_context
            if context is None:
                with FORK_GUARD:  # OpenSSL locks its stores while loading CA certs (GIL free)
                    context = _ssl_context(self.settings.verify)
                    apply_client_cert(context, self.settings.client_cert)
                # Every https pool created from now on gets it (none exists before: each
                # https request comes through here first).
                for manager in set(self._managers.values()):
                    manager.connection_pool_kw["ssl_context"] = context
                self._ssl_context = context
            return context

    def _after_fork_in_child(self) -> None:
        # Drop (not close) the parent's pools: closing would be harmless for plain sockets,
        # but the child must simply never write to them.
        self._managers = self._new_managers()
        self._origins = {}
        self._origins_lock = threading.Lock()

    def pool_stats(self) -> dict[str, int]:
        """Idle connections per pool key ("scheme://host:port"), for tests and monitoring."""
        stats: dict[str, int] = {}
        for manager in set(self._managers.values()):
            for key in list(manager.pools.keys()):
                pool = manager.pools.get(key)
                if pool is not None and pool.pool is not None:
                    stats[f"{key.key_scheme}://{key.key_host}:{key.key_port}"] = pool.pool.qsize()
        return stats


def _clamp_timeout(timeout: Timeout, remaining: float) -> Timeout:
    connect, read = timeout.connect_timeout, timeout.read_timeout
    connect = remaining if not isinstance(connect, (int, float)) else min(connect, remaining)
    read = remaining if not isinstance(read, (int, float)) else min(read, remaining)
    return urllib3.Timeout(connect=connect, read=read)


def _endpoint(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def map_error(exc: BaseException, url: str) -> HubError:
    """Translate any exception raised while sending a request or reading its response.

    Total: every exception maps to an :class:`~hub.errors.HTTPClientError` subclass, except
    that a hub error passes through unchanged (also one urllib3 wrapped, such as a request
    body's :class:`~hub.errors.RequestBodyError` raised during the send), and a header or URL
    that http.client refuses to write (CR/LF, ``:`` in a name; validation refuses those
    first, so only a header a handler added afterwards gets here) is a
    :class:`~hub.errors.ParamValidationError`, which is not retried. So a caller can wrap a
    whole send or read in one ``except`` and re-raise only hub errors. The message never
    echoes the query string. Order matters: urllib3's ``NewConnectionError``
    (refused, unreachable) and ``NameResolutionError`` (DNS) subclass its
    ``ConnectTimeoutError``, so they are checked before timeouts.

    Args:
        exc: The exception urllib3, http.client or the socket layer raised.
        url: The request URL.

    Returns:
        The hub error to raise (``raise map_error(exc, url) from exc``).
    """
    if isinstance(exc, HubError):
        return exc
    endpoint = _endpoint(url)
    reason = getattr(exc, "reason", None) or getattr(exc, "original_error", None)
    cause: BaseException = reason if isinstance(reason, BaseException) else exc
    if isinstance(exc, ProtocolError) and len(exc.args) > 1 and isinstance(
            exc.args[1], BaseException):
        cause = exc.args[1]  # ProtocolError("Connection aborted.", <the real error>)
    if isinstance(cause, HubError):
        return cause  # hub's own, raised while sending (a request body's RequestBodyError)
    both = (exc, cause)
    if isinstance(exc, ProxyError) or _raised_in(cause, ("_tunnel",)):
        # A CONNECT answered with an error, or a proxy that reset or closed mid-CONNECT (urllib3
        # reports the latter as a plain "Connection aborted." ProtocolError).
        return ProxyConnectionError(f"proxy failed for endpoint URL {endpoint}: {_brief(cause)}",
                                    endpoint=endpoint)
    if any(isinstance(e, NewConnectionError) for e in both):
        return EndpointConnectionError(
            f"could not connect to the endpoint URL {endpoint}: {_brief(cause)}",
            endpoint=endpoint)
    if any(isinstance(e, _U3ConnectTimeout) for e in both):
        return ConnectTimeoutError(f"connect timeout on endpoint URL: {endpoint}",
                                   endpoint=endpoint)
    if any(isinstance(e, (_U3ReadTimeout, TimeoutError)) for e in both):
        return ReadTimeoutError(f"read timeout on endpoint URL: {endpoint}", endpoint=endpoint)
    if any(isinstance(e, (_U3SSLError, ssl.SSLError, ssl.CertificateError)) for e in both):
        return SSLError(f"TLS error on endpoint URL {endpoint}: {_brief(cause)}",
                        endpoint=endpoint)
    if isinstance(exc, EmptyPoolError):
        return ConnectTimeoutError(
            f"no pooled connection to {endpoint} became free within pool_timeout "
            "(raise max_pool_connections, or make sure streamed bodies are closed)",
            endpoint=endpoint,
        )
    if isinstance(exc, ValueError) and _raised_in(exc, _REQUEST_WRITERS):
        # Never quote http.client's message: it holds the refused value.
        return ParamValidationError(f"the request to {endpoint}", [
            "a header name or value, or the URL, contains characters HTTP does not allow "
            "(CR, LF, control characters, text that is not Latin-1, or ':' in a header name)"])
    if isinstance(exc, UnicodeError):
        # Raised before anything was sent (a header or URL that is not Latin-1). Parameter
        # validation rejects these first; never chain the value itself (it may be a secret).
        return HTTPClientError(f"could not encode the request to {endpoint} "
                               f"({type(exc).__name__})", endpoint=endpoint)
    if isinstance(exc, MemoryError):
        return ConnectionClosedError(
            f"the response from {endpoint} was too large to hold in memory", endpoint=endpoint)
    if any(isinstance(e, (ProtocolError, HTTPException, ConnectionError)) for e in both) or \
            isinstance(exc, (ValueError, DecodeError)):
        # Resets, truncated bodies and malformed framing (a negative or absurd chunk size
        # surfaces from http.client as ValueError) all mean "no complete response", as in
        # botocore.
        return ConnectionClosedError(
            f"connection was closed, or the response was malformed, before a complete "
            f"response from {endpoint}: {_brief(cause)}",
            endpoint=endpoint,
        )
    if isinstance(exc, OSError):
        return EndpointConnectionError(
            f"could not send request to {endpoint}: {_brief(cause)}", endpoint=endpoint)
    return HTTPClientError(f"HTTP request to {endpoint} failed: {_brief(cause)}",
                           endpoint=endpoint)


_MAX_REASON = 200


def _brief(error: BaseException) -> str:
    # Bounded: a hostile server controls part of some reasons (a status line, a header).
    text = str(error) or type(error).__name__
    return text if len(text) <= _MAX_REASON else text[:_MAX_REASON] + "..."


# http.client functions that validate what is about to be written; nothing was sent yet.
_REQUEST_WRITERS = ("putheader", "putrequest", "_validate_path", "_validate_host",
                    "_validate_method")


def _raised_in(error: BaseException, functions: tuple[str, ...]) -> bool:
    # Where an error came from, when its type does not say: e.g. http.client's _tunnel() runs
    # the CONNECT exchange, so a reset raised inside it happened talking to the proxy.
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name in functions:
            return True
        tb = tb.tb_next
    return False


class TransportRegistry:
    """Get-or-create Transports by settings; shared by a session and its copies.

    Reads are lock-free: the registry publishes an immutable dict and replaces it (under the
    lock) when a new transport is added. :meth:`override` makes every lookup return one
    transport (an in-memory one in tests).
    """

    __slots__ = ("_transports", "_lock", "_override", "__weakref__")

    def __init__(self) -> None:
        self._transports: Mapping[TransportSettings, BaseTransport] = {}
        self._override: BaseTransport | None = None
        self._lock = threading.Lock()
        at_fork_reinit(self, TransportRegistry._reset_lock)

    def _reset_lock(self) -> None:
        self._lock = threading.Lock()

    def get(self, settings: TransportSettings) -> BaseTransport:
        """Return the transport for ``settings``, creating it on first use."""
        override = self._override
        if override is not None:
            return override
        transport = self._transports.get(settings)
        if transport is not None:
            return transport
        with self._lock:
            transport = self._transports.get(settings)
            if transport is None:
                transport = Transport(settings)
                self._transports = {**self._transports, settings: transport}
            return transport

    def override(self, transport: BaseTransport | None) -> None:
        """Send every request of clients resolved from now on through ``transport``.

        None restores the real transports. Clients resolved before keep their transport.
        """
        self._override = transport

    def transports(self) -> tuple[BaseTransport, ...]:
        """The transports created so far."""
        extra = (self._override,) if self._override is not None else ()
        return tuple(self._transports.values()) + extra

    def close(self) -> None:
        """Close every transport's idle connections; in-use ones close when they come back."""
        for transport in self.transports():
            transport.close()


def _reinit_module_lock() -> None:
    global _insecure_lock
    _insecure_lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # this module's own lock (see hub._forksafe)
    os.register_at_fork(after_in_child=_reinit_module_lock)
