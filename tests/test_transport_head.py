"""The transport's own request-head writer and response-head reader.

hub's connections put plain headers straight into the head buffer and parse plain response
heads without the email parser; the lean exchange writes a whole request head itself and
reads the response's headers straight into hub's headers object. These tests hold both to
urllib3's and http.client's behaviour: the same bytes on the wire for ordinary requests
(captured by a raw socket server on 127.0.0.1, or read from the other end of a socket pair),
the same refusals for hostile header names and values (the same typed hub error), an
``HTTPMessage`` equal to what ``http.client.parse_headers`` builds, and headers equal to what
urllib3 makes of it, for any header block.
"""

from __future__ import annotations

import http.client
import io
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from hypothesis import given
from hypothesis import strategies as st

from hub import Config, Session
from hub._request import SensitiveValue
from hub._transport import (
    _ClientResponse,
    _HTTPConnection,
    _HTTPPool,
    _lean_head,
    _LeanClientResponse,
    _parse_head,
    _parse_head_lean,
    _response_headers,
)
from hub.errors import ParamValidationError
from tests._threads import join_all
from tests.reliability._support import CREDENTIALS
from tests.servers import recv_request

# --------------------------------------------------------------------------- raw server

_BODY = (b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
         b"<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/u</Arn>"
         b"<UserId>U</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
         b"</GetCallerIdentityResponse>")


class _Capture:
    """A raw socket server on 127.0.0.1: records each request head, answers 200 with no body."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(10)
        self.port = self.sock.getsockname()[1]
        self.heads: list[bytes] = []
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        # One request per connection ("Connection: close"), so no thread waits on a kept one.
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                request = recv_request(conn)
                if request is None:
                    continue
                self.heads.append(request[0])
                conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/xml"
                             b"\r\nContent-Length: %d\r\n\r\n%s" % (len(_BODY), _BODY))

    def close(self) -> None:
        self._stop = True
        with socket.create_connection(("127.0.0.1", self.port), timeout=10):
            pass  # wakes accept(); closing the listening socket alone would not
        join_all([self.thread], timeout=10)
        self.sock.close()


@pytest.fixture
def capture() -> Iterator[_Capture]:
    server = _Capture()
    try:
        yield server
    finally:
        server.close()


_ORDINARY: list[tuple[str, str, bytes | None, dict[str, Any]]] = [
    ("GET", "/bucket/key?x-id=GetObject", None, {
        "X-Amz-Date": "20261202T000000Z", "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
        "User-Agent": "hub/1 urllib3/2 Python/3",
        "Authorization": SensitiveValue("AWS4-HMAC-SHA256 Credential=AKID/x, Signature=ab")}),
    ("POST", "/", b'{"TableName": "t"}', {
        "X-Amz-Target": "DynamoDB_20120810.GetItem", "Content-Length": "18",
        "Content-Type": "application/x-amz-json-1.0", "Accept-Encoding": "identity",
        "X-Amz-Security-Token": SensitiveValue("tok/en+="),
        "Metadata-Latin": "caf\u00e9 \t(x) ~"}),
    ("PUT", "/b/k", b"x" * 20000, {"Content-Length": "20000", "Content-MD5": "abc=="}),
    ("HEAD", "/", None, {"Host": "example.test", "X-Empty": ""}),
]


@pytest.mark.parametrize("case", _ORDINARY, ids=lambda c: c[0])
def test_request_head_is_byte_identical_to_urllib3s(capture: _Capture,
                                                    case: tuple[Any, ...]) -> None:
    method, url, body, headers = case
    for connection_class in (urllib3.connection.HTTPConnection, _HTTPConnection):
        connection = connection_class("127.0.0.1", capture.port)
        try:
            connection.request(method, url, body=body, headers=dict(headers))
            response = connection.getresponse()
            if method != "HEAD":
                response.read()
        finally:
            connection.close()
    reference, ours = capture.heads
    assert ours == reference
    assert reference.count(b"\r\n") >= len(headers) + 2  # the headers really were sent


def test_a_real_call_sends_the_head_urllib3_would(capture: _Capture) -> None:
    # Replay the head hub wrote through a plain urllib3 connection: same bytes.
    session = Session(Config(region="us-east-1", endpoint_url=f"http://127.0.0.1:{capture.port}",
                             credentials=CREDENTIALS))
    assert session.client("sts").get_caller_identity()["Account"] == "123456789012"
    head = capture.heads[0]
    request_line, *lines = head[:-4].decode("latin-1").split("\r\n")
    method, url, _ = request_line.split(" ")
    headers = dict(line.split(": ", 1) for line in lines)
    connection = urllib3.connection.HTTPConnection("127.0.0.1", capture.port)
    try:
        connection.request(method, url, body=b"x" * int(headers["Content-Length"]),
                           headers=headers)
        connection.getresponse().read()
    finally:
        connection.close()
    assert capture.heads[1] == head
    assert "Authorization" in headers and "X-Amz-Date" in headers


# --------------------------------------------------------------------------- hostile headers

_HOSTILE = [("X-A", "a\r\nX-Injected: 1"), ("X-A", "a\nb"), ("X-A", "a\rb"),
            ("X:A", "v"), ("X-A\r\nX-B", "v"), (" X", "v"), ("X-A", "\u4e2d"), ("X-A", "a\ud800"),
            ("X-A", SensitiveValue("a\r\nX-Injected: 1"))]


@pytest.mark.parametrize(("name", "value"), _HOSTILE)
def test_connection_refuses_what_http_client_refuses(name: str, value: Any) -> None:
    def refusal(connection: Any) -> type[BaseException]:
        connection.putrequest("GET", "/")
        with pytest.raises(Exception) as refused:
            connection.putheader(name, value)
        return refused.type

    plain = refusal(http.client.HTTPConnection("127.0.0.1", 9))
    ours = _HTTPConnection("127.0.0.1", 9)
    ours._hub_in_request = True  # as inside request(): the fast path is on
    assert refusal(ours) is plain


@pytest.mark.parametrize(("name", "value"), _HOSTILE)
def test_a_handler_adding_a_hostile_header_gets_the_same_typed_error(
        capture: _Capture, name: str, value: Any) -> None:
    def add_header(request: Any) -> None:
        request.http_request.headers[name] = value

    session = Session(Config(region="us-east-1", endpoint_url=f"http://127.0.0.1:{capture.port}",
                             credentials=CREDENTIALS, max_attempts=1))
    session.push_front("send", add_header, name="test.hostile")
    with pytest.raises(ParamValidationError) as raised:
        assert session.client("sts").get_caller_identity()["Account"] == "123456789012"
    assert "Injected" not in str(raised.value)
    assert capture.heads == []


# --------------------------------------------------------------------------- response heads


class _FakeSock:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(io.BytesIO(self._data))


def _begin(cls: type[http.client.HTTPResponse], raw: bytes, method: str) -> Any:
    response = cls(_FakeSock(raw), method=method)  # type: ignore[arg-type]
    try:
        response.begin()
    except http.client.HTTPException as exc:
        return type(exc), str(exc)
    return (response.status, response.reason, response.version, response.length,
            response.chunked, response.will_close, response.headers.items(),
            response.read())


_RAW_RESPONSES = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbodyextra",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\nX: 1\r\n\r\nHTTP/1.1 201 Created  \r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n",
    b"HTTP/1.1 304 Not Modified\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\n\r\nuntil close",
    b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nabc",
    b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nabc",
    b"HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 1\r\n\r\nx",
    b"HTTP/2.0 200 OK\r\n\r\n",
    b"FOO 200 OK\r\n\r\n",
    b"HTTP/1.1 999999 Odd\r\n\r\n",
    b"",
]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("raw", _RAW_RESPONSES)
def test_begin_behaves_as_http_clients_begin(raw: bytes, method: str) -> None:
    # _ClientResponse.begin mirrors http.client's begin with a faster header parse: the same
    # status line handling, 1xx skipping, framing (length, chunked, close) and errors.
    assert _begin(_ClientResponse, raw, method) == _begin(http.client.HTTPResponse, raw, method)


def _same_message(block: bytes) -> None:
    def parse(parser: Any) -> Any:
        try:
            message = parser(io.BytesIO(block))
        except http.client.HTTPException as exc:
            return type(exc), str(exc)
        payload = message.get_payload()
        if isinstance(payload, list):  # sub-messages: compare what they hold
            payload = [(type(part), part.items(), part.get_payload()) for part in payload]
        return (message.items(), payload, message.is_multipart(),
                [type(d) for d in message.defects], type(message))

    assert parse(_parse_head) == parse(http.client.parse_headers)


_BLOCKS = [
    b"Content-Type: text/xml\r\nContent-Length: 5\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\nbody",
    b"A:b\nC:  \t d  \n\n",
    b"X-Empty:\r\nX-Trail: v  \r\n\r\n",
    b"X-Fold: a\r\n b\r\n\tc\r\nY: z\r\n\r\n",
    b"no colon here\r\nX: y\r\n\r\n",
    b":leading\r\n\r\n",
    b"X: a\rb\r\n\r\n",
    b"X : spaced name\r\n\r\n",
    b"From nobody\r\nX: y\r\n\r\n",
    b"X-Latin: \xe9\xff\x80\r\n\r\n",
    b"X: eof without blank line\r\n",
    b"",
    b"\r\n",
    b"Content-Type: multipart/mixed; boundary=x\r\n\r\n",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Type: MULTIPART/form-data\r\n\r\n",
    b"Content-Type: Message /partial\r\n\r\n",
    b"X: " + b"v" * 70000 + b"\r\n\r\n",
    b"".join(b"X-%d: v\r\n" % i for i in range(101)) + b"\r\n",
    b"".join(b"X-%d: v\r\n" % i for i in range(99)) + b"\r\n",
]


@pytest.mark.parametrize("block", _BLOCKS)
def test_response_heads_parse_as_http_client_parses_them(block: bytes) -> None:
    _same_message(block)


_line = st.one_of(
    st.builds(lambda n, v, end: n + b":" + v + end,
              st.binary(max_size=6), st.binary(max_size=10), st.sampled_from([b"\r\n", b"\n"])),
    st.sampled_from([b" folded\r\n", b"\tfolded\n", b"Content-Type: multipart/x\r\n",
                     b"Content-Type: text/plain\r\n", b"junk\r\n", b"From x\r\n"]))


@given(st.lists(_line, max_size=6), st.sampled_from([b"\r\n", b"\n", b""]))
def test_any_response_head_parses_as_http_client_parses_it(lines: list[bytes],
                                                           end: bytes) -> None:
    _same_message(b"".join(lines) + end)


# --------------------------------------------------------------------------- the lean exchange


def _urllib3_head(host: str, port: int, method: str, url: str, body: bytes | None,
                  headers: dict[str, Any]) -> bytes:
    # What a plain urllib3 connection writes, read from the other end of a socket pair (the
    # connection is never connected anywhere: its socket is set to one end).
    ours, theirs = socket.socketpair()
    try:
        connection = urllib3.connection.HTTPConnection(host, port)
        connection.sock = ours
        connection.request(method, url, body=body, headers=dict(headers))
        ours.shutdown(socket.SHUT_WR)
        sent = b""
        while chunk := theirs.recv(65536):
            sent += chunk
        return sent[:len(sent) - len(body or b"")]
    finally:
        ours.close()
        theirs.close()


_AGENT = {"User-Agent": "hub/1 urllib3/2 Python/3"}
_LEAN_CASES: list[tuple[str, str, bytes | None, dict[str, Any]]] = [
    *[(method, url, body, {**_AGENT, **headers}) for method, url, body, headers in _ORDINARY],
    ("DELETE", "/b/k%2Fx?versionId=v%3D1&x-id=DeleteObject", None, _AGENT),
    ("PUT", "/b/empty", None, _AGENT),  # urllib3 adds Content-Length: 0
    ("POST", "/", None, {**_AGENT, "Content-Length": "0"}),
    ("GET", "/b/k?list-type=2&prefix=a/b&delimiter=%2F&q=?&e=", None,
     {**_AGENT, "accept-encoding": "gzip", "HOST": "elsewhere"}),
    ("OPTIONS", "/", None, {**_AGENT, "X-Empty": "", "X-Tab": "a\tb"}),
]
_HOSTS = [("127.0.0.1", 8080), ("127.0.0.1", 80), ("::1", 9000), ("example.com.", 443),
          ("Example.COM", 80), ("b\u00fccher.example", 8443)]


@pytest.mark.parametrize("host", _HOSTS, ids=str)
@pytest.mark.parametrize("case", _LEAN_CASES, ids=lambda c: f"{c[0]} {c[1][:20]}")
def test_lean_head_is_byte_identical_to_urllib3s(case: tuple[Any, ...],
                                                 host: tuple[str, int]) -> None:
    method, url, body, headers = case
    pool = _HTTPPool(*host)
    assert pool.hub_host_line.startswith(b"Host: ")
    ours = _lean_head(method, url, headers, pool.hub_host_line, body is not None)
    assert ours is not None
    # A pool's connections get its normalized host (lower case), as urllib3's _new_conn does.
    assert ours == _urllib3_head(pool.host, pool.port, method, url, body, headers)


@pytest.mark.parametrize(("method", "url", "body", "headers"), [
    ("GET", "/", None, {}),  # urllib3 would add its own User-Agent
    ("PUT", "/k", b"abc", _AGENT),  # no Content-Length: urllib3 would add it
    ("PUT", "/k", b"abc", {**_AGENT, "Transfer-Encoding": "chunked"}),
    ("GET", "/a b", None, _AGENT),  # urllib3 would percent-encode these targets
    ("GET", "/a%2fb", None, _AGENT),
    ("GET", "/caf\u00e9", None, _AGENT),
    ("GET", "/a#frag", None, _AGENT),
    ("GET", "http://host/", None, _AGENT),
    ("BREW", "/", None, _AGENT),
    *[("GET", "/", None, {**_AGENT, name: value}) for name, value in _HOSTILE],
    ("GET", "/", None, {**_AGENT, "X-Number": 5}),
    ("GET", "/", None, {**_AGENT, "X-Nul": "a\0b"}),
    ("GET", "/", None, {**_AGENT, "X-A\0B": "v"}),  # a NUL where the names are joined
])
def test_lean_head_leaves_what_urllib3_might_write_differently_to_urllib3(
        method: str, url: str, body: bytes | None, headers: dict[str, Any]) -> None:
    pool = _HTTPPool("127.0.0.1", 8080)
    assert _lean_head(method, url, headers, pool.hub_host_line, body is not None) is None


def _urllib3_headers(block: bytes) -> Any:
    # What urllib3 hands over for this header block: http.client parses it, urllib3 (2.8 and
    # later) unfolds folded values and keeps the pairs in its HTTPHeaderDict; hub reads that.
    try:
        message = http.client.parse_headers(io.BytesIO(block))
    except http.client.HTTPException as exc:
        return type(exc), str(exc)
    normalize = getattr(urllib3.connection, "_normalize_header_values", None)
    items = normalize(message) if normalize is not None else message.items()
    headers = _response_headers(urllib3.HTTPHeaderDict(items))
    return dict(headers), headers.lowered


def _same_lean_headers(block: bytes) -> None:
    try:
        headers = _parse_head_lean(io.BytesIO(block))
    except http.client.HTTPException as exc:
        ours: Any = (type(exc), str(exc))
    else:
        ours = (dict(headers), headers.lowered)
    assert ours == _urllib3_headers(block)


@pytest.mark.parametrize("block", [
    *_BLOCKS,
    b"X-Dup: 1\r\nOther: o\r\nX-DUP: 2\r\nx-dup: 3\r\n\r\n",
    b"X-Fold: a  \r\n  b\r\nX-Fold: c\r\n\r\n",
])
def test_lean_response_headers_are_what_urllib3_hands_over(block: bytes) -> None:
    _same_lean_headers(block)


@given(st.lists(_line, max_size=6), st.sampled_from([b"\r\n", b"\n", b""]))
def test_any_lean_response_head_gives_what_urllib3_hands_over(lines: list[bytes],
                                                              end: bytes) -> None:
    _same_lean_headers(b"".join(lines) + end)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("raw", _RAW_RESPONSES)
def test_lean_begin_frames_the_body_as_http_clients_begin(raw: bytes, method: str) -> None:
    # The same status, framing and body; only the headers object differs (checked above).
    def framing(cls: type[http.client.HTTPResponse]) -> Any:
        result = _begin(cls, raw, method)
        return result if len(result) == 2 else result[:6] + result[7:]

    assert framing(_LeanClientResponse) == framing(http.client.HTTPResponse)
