"""Servers for benchmarks: an embedded moto server and a fast canned-response responder.

The fast responder exists so that the client's own cost dominates a measurement: it parses the
least it can (find the end of the head, the Content-Length, the operation) and answers with
response bytes built once at start-up. By default it runs in a child process so its work does
not compete with the measured client threads for the GIL.

Canned answers (``FastResponder``):
    ``GET /bucket/key``   S3 GetObject, ``object_size`` bytes of body
    ``PUT /bucket/key``   S3 PutObject (body read and discarded)
    ``GET /``             S3 ListBuckets (one bucket)
    ``POST /`` with ``X-Amz-Target: DynamoDB_20120810.GetItem`` / ``.PutItem``
    anything else         200 with an empty body

Run ``python3 benchmarks/_servers.py --fast-responder`` to serve in the foreground; it prints
``PORT <n>`` and exits when its stdin closes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import selectors
import socket
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["FastResponder", "MotoServer", "fast_responder", "moto_server"]

BUCKET = "bench-bucket"
KEY = "bench-key"
TABLE = "bench-table"


# --------------------------------------------------------------------------- moto

# One implementation of the embedded moto server serves the tests and the benchmarks.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.servers.moto_server import MotoServer  # noqa: E402
from tests.servers.moto_server import running_moto as moto_server  # noqa: E402

# --------------------------------------------------------------------------- fast responder


def _response(status: str, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    lines = [f"HTTP/1.1 {status}"]
    lines += [f"{k}: {v}" for k, v in headers]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _json_response(doc: object) -> bytes:
    body = json.dumps(doc, separators=(",", ":")).encode()
    headers = [
        ("x-amzn-RequestId", "BENCH0000000000000000000000000000000000000000000000"),
        ("Content-Type", "application/x-amz-json-1.0"),
        # botocore validates this checksum when present; real DynamoDB sends it.
        ("x-amz-crc32", str(zlib.crc32(body))),
    ]
    return _response("200 OK", headers, body)


def build_responses(object_size: int = 1024) -> dict[str, bytes]:
    """The canned response bytes, by name (``get_object``, ``put_object``, ...)."""
    s3 = [
        ("x-amz-id-2", "bench/id2"),
        ("x-amz-request-id", "BENCH00000000000"),
        ("Date", "Wed, 01 Jan 2025 00:00:00 GMT"),
        ("Server", "AmazonS3"),
    ]
    etag = '"0123456789abcdef0123456789abcdef"'
    buckets = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        "<Owner><ID>bench</ID><DisplayName>bench</DisplayName></Owner><Buckets><Bucket>"
        f"<Name>{BUCKET}</Name><CreationDate>2025-01-01T00:00:00.000Z</CreationDate>"
        "</Bucket></Buckets></ListAllMyBucketsResult>"
    ).encode()
    return {
        "get_object": _response(
            "200 OK",
            [
                *s3,
                ("Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT"),
                ("ETag", etag),
                ("Accept-Ranges", "bytes"),
                ("Content-Type", "application/octet-stream"),
            ],
            b"x" * object_size,
        ),
        "put_object": _response("200 OK", [*s3, ("ETag", etag)]),
        "list_buckets": _response("200 OK", [*s3, ("Content-Type", "application/xml")], buckets),
        "get_item": _json_response(
            {"Item": {"pk": {"S": KEY}, "value": {"S": "v" * 64}, "n": {"N": "42"}}}
        ),
        "put_item": _json_response({}),
        # SQS (JSON 1.0) answers with the MD5 of the message body hub and boto3 sent
        # (SQS_BODY); hub checks it.
        "sqs_send": _json_response({"MD5OfMessageBody": _md5(SQS_BODY),
                                    "MessageId": "00000000-0000-0000-0000-000000000001"}),
        "sqs_receive": _json_response({"Messages": [{
            "MessageId": "00000000-0000-0000-0000-000000000001",
            "ReceiptHandle": "r" * 120, "MD5OfBody": _md5(SQS_BODY), "Body": SQS_BODY}]}),
        "sts_identity": _response("200 OK", [
            ("x-amzn-RequestId", "BENCH-0000-0000-0000-000000000000"),
            ("Content-Type", "text/xml")], STS_IDENTITY),
        "empty": _response("200 OK", []),
    }


#: The SQS message body the benchmark clients send (the canned answers carry its MD5).
SQS_BODY = "m" * 256
STS_IDENTITY = (
    b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    b"<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/bench</Arn>"
    b"<UserId>AIDABENCH0000000000000</UserId><Account>123456789012</Account>"
    b"</GetCallerIdentityResult><ResponseMetadata><RequestId>BENCH-0000</RequestId>"
    b"</ResponseMetadata></GetCallerIdentityResponse>"
)


def _md5(text: str) -> str:
    import hashlib

    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class _Conn:
    __slots__ = ("buf", "chunked", "left", "out", "reply", "trailer")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.out = bytearray()
        #: The canned answer owed once the current request's body is in; None between requests.
        self.reply: bytes | None = None
        self.chunked = False
        #: Body bytes still to come: of a Content-Length body, or of the current chunk (its
        #: data and CRLF) of a chunked one.
        self.left = 0
        self.trailer = False  # past a chunked body's last (zero) chunk


def _chunks(conn: _Conn, buf: bytearray, pos: int) -> tuple[bool, int]:
    """Consume a chunked body from ``buf[pos:]`` as far as it goes: (complete, new pos).

    Incremental: the state of a body split across reads stays in ``conn``, so every byte is
    looked at once however the body arrives (a 64 MiB upload costs the same as a plain one).
    """
    while True:
        if conn.left:
            take = min(len(buf) - pos, conn.left)
            pos += take
            conn.left -= take
            if conn.left:
                return False, pos
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return False, pos
        if conn.trailer:  # trailer fields, then an empty line
            if eol == pos:
                conn.trailer = False
                return True, eol + 2
            pos = eol + 2
            continue
        size = int(bytes(buf[pos:eol]).split(b";", 1)[0], 16)
        pos = eol + 2
        if size:
            conn.left = size + 2
        else:
            conn.trailer = True


def serve(listener: socket.socket, stop: IO[bytes] | socket.socket, object_size: int) -> None:
    """Serves canned responses on ``listener`` until ``stop`` becomes readable (EOF/any byte).

    Single-threaded and selector-driven: per request it costs one ``recv``, a few ``find``
    calls and one ``send`` of prebuilt bytes. Request bodies are consumed as they arrive and
    never kept: a large upload costs a count (``Content-Length``) or one scan of its chunk
    framing (chunked), so the responder's share of the 2 cores does not depend on the body's
    encoding.
    """
    canned = build_responses(object_size)
    get_obj, put_obj = canned["get_object"], canned["put_object"]
    list_b, empty = canned["list_buckets"], canned["empty"]
    get_item, put_item = canned["get_item"], canned["put_item"]
    sqs_send, sqs_receive = canned["sqs_send"], canned["sqs_receive"]
    sts_identity = canned["sts_identity"]
    sel = selectors.DefaultSelector()
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ, None)
    sel.register(stop, selectors.EVENT_READ, "stop")
    conns: dict[socket.socket, _Conn] = {}

    def close(sock: socket.socket) -> None:
        sel.unregister(sock)
        conns.pop(sock, None)
        sock.close()

    def answer(head: bytes) -> tuple[bytes, int, bool, bool]:
        """The canned reply to ``head``, its body's length, whether it is chunked, whether
        the client waits for ``100 Continue``."""
        lower = head.lower()
        chunked = b"\r\ntransfer-encoding: chunked" in lower
        length = 0
        if not chunked:
            i = lower.find(b"\r\ncontent-length:")
            if i >= 0:
                j = lower.find(b"\r\n", i + 2)
                length = int(lower[i + 17 : j if j >= 0 else None])
        expect = b"\r\nexpect: 100-continue" in lower
        if head.startswith(b"GET "):
            target = head[4 : head.index(b" ", 4)]
            reply = list_b if target == b"/" else get_obj
        elif head.startswith(b"PUT "):
            reply = put_obj
        elif head.startswith(b"POST "):
            if b"_20120810.getitem" in lower:
                reply = get_item
            elif b"_20120810.putitem" in lower:
                reply = put_item
            elif b"amazonsqs.sendmessage" in lower:
                reply = sqs_send
            elif b"amazonsqs.receivemessage" in lower:
                reply = sqs_receive
            elif b"x-www-form-urlencoded" in lower:  # STS (query): GetCallerIdentity
                reply = sts_identity
            else:
                reply = empty
        else:
            reply = empty
        return reply, length, chunked, expect

    def process(conn: _Conn) -> None:
        """Answer every request complete in ``conn.buf``; keep only an unparsed tail."""
        buf = conn.buf
        pos = 0
        while True:
            if conn.reply is None:
                head_end = buf.find(b"\r\n\r\n", pos)
                if head_end < 0:
                    break
                reply, length, chunked, expect = answer(bytes(buf[pos:head_end]))
                pos = head_end + 4
                conn.reply, conn.left, conn.chunked, conn.trailer = reply, length, chunked, False
                if expect and (chunked or len(buf) - pos < length):
                    conn.out += b"HTTP/1.1 100 Continue\r\n\r\n"
            if conn.chunked:
                complete, pos = _chunks(conn, buf, pos)
                if not complete:
                    break
            else:
                take = min(len(buf) - pos, conn.left)
                pos += take
                conn.left -= take
                if conn.left:
                    break
            conn.out += conn.reply
            conn.reply = None
        del buf[:pos]

    def feed(conn: _Conn, data: bytes) -> None:
        if conn.reply is not None and not conn.chunked and not conn.buf:
            # The middle of a Content-Length body: count it, copy nothing.
            take = min(conn.left, len(data))
            conn.left -= take
            if conn.left:
                return
            conn.out += conn.reply
            conn.reply = None
            if take == len(data):
                return
            conn.buf += memoryview(data)[take:]
        else:
            conn.buf += data
        process(conn)

    while True:
        for key, events in sel.select():
            if key.data == "stop":
                for sock in list(conns):
                    close(sock)
                sel.close()
                return
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if sock is listener:
                with contextlib.suppress(BlockingIOError):
                    while True:
                        client, _ = listener.accept()
                        client.setblocking(False)
                        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                        conns[client] = _Conn()
                        sel.register(client, selectors.EVENT_READ, None)
                continue
            conn = conns[sock]
            if events & selectors.EVENT_READ:
                try:
                    data = sock.recv(262144)
                except (BlockingIOError, InterruptedError):
                    data = None
                except OSError:
                    close(sock)
                    continue
                if data == b"":
                    close(sock)
                    continue
                if data:
                    feed(conn, data)
            if conn.out:
                try:
                    sent = sock.send(conn.out)
                except (BlockingIOError, InterruptedError):
                    sent = 0
                except OSError:
                    close(sock)
                    continue
                del conn.out[:sent]
                want = selectors.EVENT_READ | (selectors.EVENT_WRITE if conn.out else 0)
                if key.events != want:
                    sel.modify(sock, want, None)


class FastResponder:
    """The fast canned-response server, in a child process (default) or a thread.

    Args:
        object_size: Body size of the GetObject answer.
        in_process: Serve from a daemon thread of this process instead of a child process.

    Attributes:
        url: Base URL once started, e.g. ``http://127.0.0.1:40123``.
    """

    def __init__(self, *, object_size: int = 1024, in_process: bool = False) -> None:
        self.object_size = object_size
        self.in_process = in_process
        self.url = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None

    def start(self) -> FastResponder:
        """Starts serving and waits until the port is known."""
        if self.in_process:
            listener = socket.create_server(("127.0.0.1", 0), backlog=256)
            port = listener.getsockname()[1]
            self._wake = socket.socketpair()
            self._thread = threading.Thread(
                target=serve,
                args=(listener, self._wake[1], self.object_size),
                name="fast-responder",
                daemon=True,
            )
            self._thread.start()
        else:
            cmd = [sys.executable, os.path.abspath(__file__), "--fast-responder"]
            cmd += ["--object-size", str(self.object_size)]
            self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            assert self._proc.stdout is not None
            line = self._proc.stdout.readline().decode()
            if not line.startswith("PORT "):
                self.stop()
                raise RuntimeError(f"fast responder did not start (got {line!r})")
            port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stops the server (closing the child's stdin or waking the thread); bounded."""
        if self._proc is not None:
            with contextlib.suppress(OSError):
                assert self._proc.stdin is not None
                self._proc.stdin.close()
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout)
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None
        if self._wake is not None:
            self._wake[0].send(b"x")
            if self._thread is not None:
                self._thread.join(timeout)
            for sock in self._wake:
                sock.close()
            self._wake = None

    def __enter__(self) -> FastResponder:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def fast_responder(*, object_size: int = 1024, in_process: bool = False) -> Iterator[FastResponder]:
    """A running ``FastResponder``, stopped on exit."""
    server = FastResponder(object_size=object_size, in_process=in_process).start()
    try:
        yield server
    finally:
        server.stop()


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast-responder", action="store_true", required=True)
    parser.add_argument("--object-size", type=int, default=1024)
    args = parser.parse_args()
    listener = socket.create_server(("127.0.0.1", 0), backlog=256)
    print(f"PORT {listener.getsockname()[1]}", flush=True)
    # The parent holds our stdin; its EOF (close or parent death) is the stop signal.
    serve(listener, sys.stdin.buffer, args.object_size)


if __name__ == "__main__":
    _main()
