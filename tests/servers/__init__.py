"""Local fake servers for the tests, and what the raw-socket ones share."""

from __future__ import annotations

import socket
from typing import Any


def recv_request(conn: socket.socket | Any, *, body: bool = True) -> tuple[bytes, bytes] | None:
    """Read one HTTP request from ``conn``: its head (through the blank line) and, when
    ``body``, its ``Content-Length`` body (shorter if the peer closed early). None when the
    peer closed before the head ended.
    """
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    if not body:
        return head + b"\r\n\r\n", rest
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n", rest
