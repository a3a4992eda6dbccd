"""StreamingBody over real sockets: io.TextIOWrapper and readinto on a pooled connection that
is reused afterwards, and read errors (reset, stall) that surface as hub errors through the
transport seam, leaving no connection checked out."""

from __future__ import annotations

import io

import pytest

from hub.errors import ConnectionClosedError, ReadTimeoutError
from tests.reliability._support import checked_out, make_session
from tests.servers.local import LocalServer
from tests.servers.responses import ok, reset_mid_body, stall_body

LINES = b"".join(f"line {n}\n".encode() for n in range(2000))


def test_text_lines_and_readinto_on_a_reused_connection(local_server: LocalServer) -> None:
    local_server.set_default(ok(LINES))
    s3 = make_session(local_server, max_attempts=1).client("s3")
    with io.TextIOWrapper(s3.get_object(Bucket="b", Key="k")["Body"], encoding="ascii") as text:
        lines = text.readlines()
    assert len(lines) == 2000 and lines[1999] == "line 1999\n"
    body = s3.get_object(Bucket="b", Key="k")["Body"]
    buffer = bytearray(len(LINES) + 10)
    view = memoryview(buffer)
    total = 0
    while n := body.readinto(view[total:]):
        total += n
    assert bytes(buffer[:total]) == LINES
    assert local_server.connections.accepted == 1  # both bodies went back to the pool


@pytest.mark.parametrize(("fault", "error"), [
    (reset_mid_body(LINES), ConnectionClosedError),
    (stall_body(1.0, ok(LINES)), ReadTimeoutError),
], ids=["reset-mid-body", "stall-mid-body"])
def test_read_errors_are_hub_errors(local_server: LocalServer, fault: object,
                                    error: type[Exception]) -> None:
    session = make_session(local_server, max_attempts=1, read_timeout=0.3)
    local_server.script(fault)  # type: ignore[arg-type]
    body = session.client("s3").get_object(Bucket="b", Key="k")["Body"]
    with pytest.raises(error):
        while body.read(4096):
            pass
    assert body.read() == b""  # ended: nothing more, no second error
    assert checked_out(session) == 0
    session.close()
    assert local_server.wait_for_idle(5)
