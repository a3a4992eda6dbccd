"""The test servers themselves: recording, scripting, every fault, shutdown, TLS, moto."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator

import pytest
import urllib3
from urllib3.exceptions import ProtocolError, ReadTimeoutError, SSLError

from tests._threads import join_all
from tests.servers.local import LocalServer
from tests.servers.responses import (
    RecordedRequest,
    Response,
    close_after,
    json_error,
    malformed_json,
    malformed_xml,
    ok,
    reset,
    reset_mid_body,
    server_error,
    service_unavailable,
    stall,
    stall_body,
    throttle_json,
    throttle_xml,
    truncated,
)

TIMEOUT = urllib3.Timeout(connect=2.0, read=2.0)


@pytest.fixture
def http() -> Iterator[urllib3.PoolManager]:
    """A client that never retries, so each fault surfaces as it happened."""
    pool = urllib3.PoolManager(retries=False, timeout=TIMEOUT)
    yield pool
    pool.clear()


def raw_connect(server: LocalServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=2.0)


def raw_request(sock: socket.socket, path: str = "/", extra: str = "") -> None:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode())


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


# --------------------------------------------------------------------------- recording


def test_records_method_path_query_headers_body(local_server, http):
    http.request(
        "PUT",
        f"{local_server.url}/bucket/key?a=1&b=&a=2",
        body=b"payload",
        headers={"X-Test": "one", "Content-Type": "text/plain"},
    )
    (req,) = local_server.requests
    assert isinstance(req, RecordedRequest)
    assert (req.method, req.path, req.query) == ("PUT", "/bucket/key", "a=1&b=&a=2")
    assert req.query_params == [("a", "1"), ("b", ""), ("a", "2")]
    assert req.body == b"payload"
    assert ("X-Test", "one") in req.headers
    assert req.header("x-test") == "one"
    assert req.header("missing") is None
    assert (req.connection_id, req.index) == (1, 0)


def test_chunked_body_is_dechunked(local_server, http):
    http.request("POST", f"{local_server.url}/up", body=iter([b"abc", b"", b"defgh"]), chunked=True)
    (req,) = local_server.requests
    assert req.header("transfer-encoding") == "chunked"
    assert req.body == b"abcdefgh"


def test_expect_100_continue_is_answered(local_server):
    sock = raw_connect(local_server)
    with sock:
        sock.sendall(
            b"PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
        )
        assert sock.recv(1024).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(b"abc")
        assert sock.recv(1024).startswith(b"HTTP/1.1 200 OK")
    assert local_server.requests[0].body == b"abc"


def test_head_response_has_no_body(local_server, http):
    local_server.set_default(ok(b"0123456789"))
    r = http.request("HEAD", local_server.url + "/")
    assert r.headers["Content-Length"] == "10"
    assert r.data == b""
    assert http.request("GET", local_server.url + "/").data == b"0123456789"
    assert local_server.connections.accepted == 1


# --------------------------------------------------------------------------- connections


def test_keep_alive_reuses_one_connection(local_server, http):
    for _ in range(5):
        assert http.request("GET", local_server.url + "/").status == 200
    stats = local_server.connections
    assert (stats.accepted, stats.open, stats.peak) == (1, 1, 1)
    assert stats.requests_per_connection == {1: 5}
    assert [r.index for r in local_server.requests] == [0, 1, 2, 3, 4]


def test_connection_counting_is_exact(local_server):
    socks = [raw_connect(local_server) for _ in range(3)]
    for i, sock in enumerate(socks):
        for _ in range(i + 1):
            raw_request(sock)
    assert local_server.wait_for_requests(6)
    stats = local_server.connections
    assert (stats.accepted, stats.open, stats.peak) == (3, 3, 3)
    assert sorted(stats.requests_per_connection.values()) == [1, 2, 3]
    for sock in socks:
        sock.close()
    assert local_server.wait_for_idle(2.0)
    stats = local_server.connections
    assert (stats.accepted, stats.open, stats.peak) == (3, 0, 3)


def test_client_connection_close_is_honoured(local_server):
    with raw_connect(local_server) as sock:
        raw_request(sock, extra="Connection: close\r\n")
        data = read_all(sock)  # returns only because the server closed
    assert data.startswith(b"HTTP/1.1 200 OK")


def test_reset_clears_everything(local_server, http):
    local_server.script(server_error())
    local_server.fault_mix(1.0, kinds=["throttle"])
    http.request("GET", local_server.url + "/")
    local_server.reset()
    assert local_server.requests == []
    assert local_server.connections.accepted == 0
    assert local_server.faults_injected == Counter()
    assert http.request("GET", local_server.url + "/").status == 200
    # The keep-alive connection survived the reset and is still counted as open.
    assert local_server.connections.open == 1


# --------------------------------------------------------------------------- scripting


def test_script_then_default(local_server, http):
    local_server.script(throttle_xml(retry_after=1), throttle_xml(retry_after=1), ok(b"done"))
    got = [http.request("GET", local_server.url + "/") for _ in range(4)]
    assert [r.status for r in got] == [503, 503, 200, 200]
    assert got[0].headers["Retry-After"] == "1"
    assert got[2].data == b"done"
    assert got[3].data == b""


def test_script_filters_by_path_and_method(local_server, http):
    local_server.script(ok(b"put-only"), path="/a", method="PUT")
    assert http.request("GET", local_server.url + "/a").data == b""
    assert http.request("PUT", local_server.url + "/b").data == b""
    assert http.request("PUT", local_server.url + "/a").data == b"put-only"
    assert http.request("PUT", local_server.url + "/a").data == b""


def test_routes_and_handlers(local_server, http):
    local_server.route("/bucket/", ok(b"prefix"), prefix=True)
    local_server.route("/bucket/exact", lambda req: ok(req.query.encode()), method="GET")
    local_server.set_default(Response(404, b"nope"))
    assert http.request("GET", local_server.url + "/bucket/exact?q=7").data == b"q=7"
    assert http.request("PUT", local_server.url + "/bucket/exact").data == b"prefix"
    assert http.request("GET", local_server.url + "/bucket/other").data == b"prefix"
    assert http.request("GET", local_server.url + "/else").status == 404


def test_request_budget(http):
    with LocalServer(max_requests=2) as server:
        statuses = [http.request("GET", server.url + "/").status for _ in range(3)]
    assert statuses == [200, 200, 500]


# --------------------------------------------------------------------------- error bodies


def test_xml_throttle_body_with_and_without_retry_after(local_server, http):
    local_server.script(throttle_xml(retry_after=2), throttle_xml())
    first = http.request("GET", local_server.url + "/")
    second = http.request("GET", local_server.url + "/")
    assert first.status == second.status == 503
    assert first.headers["Retry-After"] == "2"
    assert "Retry-After" not in second.headers
    root = ET.fromstring(first.data)
    assert (root.tag, root.findtext("Code")) == ("Error", "SlowDown")


def test_json_throttle_and_errors(local_server, http):
    local_server.script(
        throttle_json(retry_after=1),
        server_error(json=True),
        service_unavailable(),
        json_error(400, "com.amazon.coral.validate#ValidationException", "bad"),
    )
    r = [http.request("POST", local_server.url + "/") for _ in range(4)]
    assert [x.status for x in r] == [400, 500, 503, 400]
    body = json.loads(r[0].data)
    assert body["__type"].endswith("#ThrottlingException") and body["message"]
    assert r[0].headers["Retry-After"] == "1"
    assert r[0].headers["Content-Type"] == "application/x-amz-json-1.0"
    assert json.loads(r[1].data)["__type"].endswith("#InternalServerError")
    assert ET.fromstring(r[2].data).findtext("Code") == "ServiceUnavailable"
    assert json.loads(r[3].data)["message"] == "bad"


def test_malformed_bodies_are_well_framed_but_unparsable(local_server, http):
    local_server.script(malformed_xml(), malformed_json())
    xml_resp = http.request("GET", local_server.url + "/")
    json_resp = http.request("GET", local_server.url + "/")
    with pytest.raises(ET.ParseError):
        ET.fromstring(xml_resp.data)
    with pytest.raises(json.JSONDecodeError):
        json.loads(json_resp.data)
    assert local_server.connections.accepted == 1  # framing intact: keep-alive still works


# --------------------------------------------------------------------------- faults


def test_reset_before_response(local_server, http):
    local_server.script(reset())
    with pytest.raises(ProtocolError):
        http.request("GET", local_server.url + "/")
    assert len(local_server.requests) == 1  # the request was read before the reset


def test_reset_is_a_real_rst(local_server):
    local_server.script(reset())
    with raw_connect(local_server) as sock:
        raw_request(sock)
        with pytest.raises(ConnectionResetError):
            read_all(sock)


def test_reset_mid_body(local_server, http):
    local_server.script(reset_mid_body(b"y" * 10000))
    with pytest.raises(ProtocolError):
        http.request("GET", local_server.url + "/")


def test_truncated_body(local_server, http):
    local_server.script(truncated(b"z" * 1000, sent=300))
    with pytest.raises(ProtocolError) as info:
        http.request("GET", local_server.url + "/")
    assert "IncompleteRead" in repr(info.value) or "300" in str(info.value)


def test_truncated_on_the_wire(local_server):
    local_server.script(truncated(b"z" * 1000, sent=300))
    with raw_connect(local_server) as sock:
        raw_request(sock)
        data = read_all(sock)  # clean EOF (FIN), not a reset
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Content-Length: 1000" in head
    assert body == b"z" * 300


def test_stall_beyond_read_timeout(local_server, http):
    local_server.script(stall(5.0, ok(b"late")))
    # The error itself is the proof: without the stall the answer would have arrived.
    with pytest.raises(ReadTimeoutError):
        http.request("GET", local_server.url + "/", timeout=urllib3.Timeout(connect=1, read=0.2))


def test_stall_within_timeout_then_answers(local_server, http):
    local_server.script(stall(0.05, ok(b"late")))
    assert http.request("GET", local_server.url + "/").data == b"late"


def test_stall_mid_body(local_server, http):
    local_server.script(stall_body(5.0))
    r = http.request(
        "GET",
        local_server.url + "/",
        preload_content=False,
        timeout=urllib3.Timeout(connect=1, read=0.2),
    )
    assert r.status == 200
    with pytest.raises(ReadTimeoutError):
        r.read()


def test_stall_is_capped_by_max_stall(http):
    with LocalServer(max_stall=0.1) as server:
        server.script(stall(60.0, ok(b"capped")))
        assert http.request("GET", server.url + "/").data == b"capped"


def test_close_after_announced(local_server, http):
    local_server.script(close_after(ok(b"bye")))
    first = http.request("GET", local_server.url + "/")
    assert first.headers["Connection"] == "close"
    http.request("GET", local_server.url + "/")
    assert local_server.connections.accepted == 2
    assert local_server.connections.requests_per_connection == {1: 1, 2: 1}


def test_close_after_silently(local_server):
    local_server.script(close_after(ok(b"bye"), silently=True))
    with raw_connect(local_server) as sock:
        raw_request(sock)
        data = read_all(sock)  # returns only because the server closed
    assert b"Connection:" not in data
    assert data.endswith(b"\r\n\r\nbye")


def test_silent_close_makes_a_pooled_client_reconnect(local_server, http):
    local_server.script(close_after(silently=True))
    http.request("GET", local_server.url + "/")
    assert local_server.wait_for_idle(2.0)
    assert http.request("GET", local_server.url + "/").status == 200
    assert local_server.connections.accepted == 2


def test_fault_mix_counts_what_it_injects(local_server):
    local_server.set_default(ok(b"x" * 256))
    local_server.fault_mix(0.5, seed=7)
    client = urllib3.PoolManager(retries=False, timeout=TIMEOUT)
    outcomes: Counter[str] = Counter()
    for _ in range(120):
        try:
            r = client.request("GET", local_server.url + "/")
            outcomes["ok" if r.status == 200 and r.data == b"x" * 256 else "error"] += 1
        except (ProtocolError, urllib3.exceptions.HTTPError):
            outcomes["broken"] += 1
    injected = local_server.faults_injected
    assert 30 < sum(injected.values()) < 90
    assert len(injected) >= 5  # most kinds showed up
    served = len(local_server.requests)
    # A request can die unseen when the client reuses a connection the server is just closing
    # (the classic keep-alive race after a silent close); everything the server did see is
    # either a good response or exactly one injected fault, and a silent close still
    # delivers a good response.
    assert 120 - served <= injected["close_silently"] + injected["truncate"]
    assert outcomes["ok"] == served - sum(injected.values()) + injected["close_silently"]


def test_fault_mix_is_deterministic_per_seed(http):
    counts = []
    for _ in range(2):
        with LocalServer() as server:
            server.fault_mix(0.3, seed=3, kinds=["throttle", "error_500", "error_503"])
            for _ in range(50):
                http.request("GET", server.url + "/")
            counts.append(server.faults_injected)
    assert counts[0] == counts[1] and sum(counts[0].values()) > 0


def test_fault_mix_leaves_scripted_responses_alone(local_server, http):
    local_server.fault_mix(1.0, kinds=["error_500"])
    local_server.script(ok(b"as written"))
    assert http.request("GET", local_server.url + "/").data == b"as written"
    assert http.request("GET", local_server.url + "/").status == 500


def test_bad_fault_names_are_rejected(local_server):
    with pytest.raises(ValueError, match="unknown fault"):
        Response(fault="explode")
    with pytest.raises(ValueError, match="unknown kinds"):
        local_server.fault_mix(0.5, kinds=["explode"])
    with pytest.raises(ValueError, match="probability"):
        local_server.fault_mix(1.5)


# --------------------------------------------------------------------------- shutdown


def test_shutdown_is_clean_with_clients_connected():
    server = LocalServer().start()
    idle = [raw_connect(server) for _ in range(3)]
    for sock in idle:
        raw_request(sock)
    assert server.wait_for_requests(3)
    half_sent = raw_connect(server)
    half_sent.sendall(b"GET / HTTP/1.1\r\nHo")  # server is mid-read on this one
    server.script(stall(30.0), path="/stalled")
    stalled = raw_connect(server)
    raw_request(stalled, "/stalled")
    assert server.wait_for_requests(4)

    server.stop()  # joins its threads for at most 5 s: less than the 30 s stall
    assert server.alive_threads == 0  # so the stall was interrupted, not waited out
    assert server.connections.open == 0
    for sock in [*idle, half_sent, stalled]:
        # Every client sees the end of its connection now (EOF after any earlier response);
        # a hang here would raise socket.timeout.
        with sock, contextlib.suppress(ConnectionResetError):
            read_all(sock)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=0.5).close()
    server.stop()  # idempotent


def test_parallel_clients(local_server):
    client = urllib3.PoolManager(retries=False, timeout=TIMEOUT, maxsize=8)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(2.0)
            for _ in range(20):
                assert client.request("GET", local_server.url + "/").status == 200
        except BaseException as exc:  # noqa: BLE001 (re-raised in the main thread)
            errors.append(exc)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(8)]
    for t in threads:
        t.start()
    join_all(threads)
    assert not errors
    stats = local_server.connections
    assert sum(stats.requests_per_connection.values()) == 160
    assert 1 <= stats.peak <= 8 and stats.accepted <= 8


# --------------------------------------------------------------------------- TLS


def test_https_server(https_server):
    assert https_server.url.startswith("https://127.0.0.1:")
    https_server.script(ok(b"secure"))
    client = urllib3.PoolManager(retries=False, timeout=TIMEOUT, ca_certs=https_server.ca_bundle)
    assert client.request("GET", https_server.url + "/").data == b"secure"
    assert client.request("GET", https_server.url + "/").status == 200
    assert https_server.connections.accepted == 1


def test_https_server_is_not_trusted_without_its_ca(https_server):
    client = urllib3.PoolManager(retries=False, timeout=TIMEOUT)  # system trust store
    with pytest.raises(SSLError):
        client.request("GET", https_server.url + "/")


def test_https_faults(https_server):
    https_server.script(truncated(b"t" * 2000))
    client = urllib3.PoolManager(retries=False, timeout=TIMEOUT, ca_certs=https_server.ca_bundle)
    with pytest.raises(ProtocolError):
        client.request("GET", https_server.url + "/")


# --------------------------------------------------------------------------- moto


def test_moto_answers_s3_via_boto3(moto):
    import boto3

    s3 = boto3.session.Session().client("s3", endpoint_url=moto.url, region_name="us-east-1")
    assert s3.list_buckets()["Buckets"] == []
    s3.create_bucket(Bucket="hub-test")
    s3.put_object(Bucket="hub-test", Key="k", Body=b"v")
    assert s3.get_object(Bucket="hub-test", Key="k")["Body"].read() == b"v"
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["hub-test"]
    moto.reset()
    assert s3.list_buckets()["Buckets"] == []


def test_aws_env_is_scoped_to_the_test(aws_env):
    import os

    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert "AWS_PROFILE" not in os.environ
