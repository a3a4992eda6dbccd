"""The benchmarks' canned-response responder parses request framing correctly however it
arrives: every request gets exactly one answer, in order, only once its whole body is in.

The responder consumes bodies incrementally (it never keeps them), so these send bodies in
awkward pieces over a real socket: split inside a chunk-size line, inside a CRLF, across
requests, with trailers, and pipelined.
"""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import _servers

PUT = _servers.build_responses()["put_object"]
EMPTY = _servers.build_responses()["empty"]
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


@pytest.fixture(scope="module")
def responder() -> Iterator[_servers.FastResponder]:
    with _servers.fast_responder(in_process=True) as server:
        yield server


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _send_in_pieces(sock: socket.socket, data: bytes, cuts: list[int]) -> None:
    last = 0
    for cut in [*cuts, len(data)]:
        sock.sendall(data[last:cut])
        last = cut
        time.sleep(0.002)  # let each piece arrive as its own recv


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    got = bytearray()
    while len(got) < size:
        chunk = sock.recv(size - len(got))
        assert chunk, f"connection closed after {len(got)} of {size} bytes"
        got += chunk
    return bytes(got)


def _nothing_pending(sock: socket.socket) -> bool:
    sock.settimeout(0.05)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return True
    finally:
        sock.settimeout(10)


def _chunked(pieces: list[bytes], trailer: bytes = b"") -> bytes:
    body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces)
    return body + b"0\r\n" + trailer + b"\r\n"


def test_content_length_body_in_pieces(responder: _servers.FastResponder) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB
    head = b"PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
    request = head + body
    with _connect(responder.url) as sock:
        # Cut inside the head, right after it, and all through the body; the answer must not
        # come before the last byte.
        _send_in_pieces(sock, request[:-1], [10, len(head), len(head) + 3, 300_000, 700_001])
        assert _nothing_pending(sock)
        sock.sendall(request[-1:])
        assert _read_exactly(sock, len(PUT)) == PUT


@pytest.mark.parametrize("trailer", [b"", b"x-amz-checksum-crc32:AAAAAA==\r\n"])
def test_chunked_body_split_everywhere(responder: _servers.FastResponder,
                                       trailer: bytes) -> None:
    body = _chunked([b"a" * 5, b"b" * 70_000, b"c" * 17], trailer)
    head = b"PUT /b/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    request = head + body
    # Cut inside the first size line, inside a CRLF, inside the big chunk, inside the last
    # chunk's size line and inside the trailer.
    cuts = [len(head) + 1, len(head) + 4, len(head) + 9, len(head) + 40_000,
            len(request) - len(trailer) - 4, len(request) - 2]
    with _connect(responder.url) as sock:
        _send_in_pieces(sock, request[:-1], cuts)
        assert _nothing_pending(sock)
        sock.sendall(request[-1:])
        assert _read_exactly(sock, len(PUT)) == PUT


def test_pipelined_requests_answered_in_order(responder: _servers.FastResponder) -> None:
    chunked = (b"PUT /b/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               + _chunked([b"x" * 3000]))
    sized = b"PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd"
    other = b"DELETE /b/k HTTP/1.1\r\nHost: x\r\n\r\n"
    with _connect(responder.url) as sock:
        sock.sendall(chunked + sized + other + sized)
        assert _read_exactly(sock, 3 * len(PUT) + len(EMPTY)) == PUT + PUT + EMPTY + PUT
        assert _nothing_pending(sock)


def test_expect_continue_only_while_body_is_missing(responder: _servers.FastResponder) -> None:
    head = (b"PUT /b/k HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            b"Content-Length: 5\r\n\r\n")
    with _connect(responder.url) as sock:
        sock.sendall(head)
        assert _read_exactly(sock, len(CONTINUE)) == CONTINUE
        sock.sendall(b"hello")
        assert _read_exactly(sock, len(PUT)) == PUT
        # Head and body together: no interim response, just the answer.
        sock.sendall(head + b"hello")
        assert _read_exactly(sock, len(PUT)) == PUT
        assert _nothing_pending(sock)
