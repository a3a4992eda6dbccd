"""The examples under real load: the waitress WSGI app and the thread-pool job.

Each example runs twice: against moto (real S3/DynamoDB behaviour, checks correctness with zero
errors) and against a ``LocalServer`` that answers like S3/DynamoDB and counts TCP connections
(checks that one shared session never opens more than ``max_pool_connections``). Connection
counts are not checked against moto because its server closes every connection after one
response, so each request needs a new one whatever the client does.
"""

from __future__ import annotations

import json
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
import urllib3

import hub
from tests.servers.local import LocalServer
from tests.servers.moto_server import MotoServer
from tests.servers.responses import RecordedRequest, Response, ok

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

import thread_pool_job
import wsgi_app

CLIENT_THREADS = 16
REQUESTS_PER_THREAD = 20
BUCKET, TABLE = "example-objects", "example-index"
ETAG = '"0123456789abcdef0123456789abcdef"'


def _json(doc: object) -> Response:
    body = json.dumps(doc).encode()
    return ok(body, content_type="application/x-amz-json-1.0",
              headers=[("x-amz-crc32", str(zlib.crc32(body)))])


def _fake_aws(objects: Callable[[str], bytes]) -> Callable[[RecordedRequest], Response]:
    """A LocalServer handler answering S3 object calls and DynamoDB item calls.

    Args:
        objects: Object key -> the body a GetObject returns.
    """

    def handle(req: RecordedRequest) -> Response:
        target = req.header("X-Amz-Target") or ""
        if target.endswith(".GetItem"):
            key = json.loads(req.body)["Key"]["key"]["S"]
            return _json({"Item": {"key": {"S": key}, "size": {"N": "3"}, "etag": {"S": ETAG}}})
        if target:
            return _json({})
        if req.method == "GET":
            return ok(objects(unquote(req.path.split("/", 2)[-1])), headers=[("ETag", ETAG)])
        return ok(headers=[("ETag", ETAG)])

    return handle


def _drive(base_url: str, paths: Callable[[int, int], list[tuple[str, str, bytes | None, int]]]
           ) -> list[str]:
    """Sends CLIENT_THREADS x REQUESTS_PER_THREAD request groups; returns the failures."""
    http = urllib3.PoolManager(maxsize=CLIENT_THREADS, retries=False,
                               timeout=urllib3.Timeout(30.0))
    failures: list[str] = []
    lock = threading.Lock()

    def worker(t: int) -> None:
        for i in range(REQUESTS_PER_THREAD):
            for method, path, body, want in paths(t, i):
                try:
                    resp = http.request(method, base_url + path, body=body)
                    ok_ = resp.status == want
                    detail = f"{method} {path}: HTTP {resp.status} {resp.data[:200]!r}"
                except Exception as exc:  # noqa: BLE001 - collected and asserted below
                    ok_, detail = False, f"{method} {path}: {exc!r}"
                if not ok_:
                    with lock:
                        failures.append(detail)

    threads = [threading.Thread(target=worker, args=(t,), daemon=True)
               for t in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "load threads did not finish"
    http.clear()
    return failures


def _round_trip(t: int, i: int) -> list[tuple[str, str, bytes | None, int]]:
    key = f"t{t}-r{i}"
    return [("PUT", f"/objects/{key}", f"body {key}".encode(), 201),
            ("GET", f"/objects/{key}", None, 200),
            ("GET", f"/items/{key}", None, 200)]


@pytest.fixture
def app_server() -> Iterator[Callable[[hub.Session], str]]:
    """Starts the example app for a session on 127.0.0.1:0 (16 threads); stops it after."""
    servers: list[wsgi_app.BackgroundServer] = []

    def start(session: hub.Session) -> str:
        app = wsgi_app.make_app(session, bucket=BUCKET, table=TABLE)
        server = wsgi_app.BackgroundServer(app, threads=16).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


def test_wsgi_app_under_load_against_moto(
    moto: MotoServer, app_server: Callable[[hub.Session], str]
) -> None:
    session = hub.Session(hub.Config(endpoint_url=moto.url))
    wsgi_app.ensure_resources(session, bucket=BUCKET, table=TABLE)
    url = app_server(session)

    failures = _drive(url, _round_trip)

    assert failures == []
    s3 = session.client("s3")
    assert s3.get_object(Bucket=BUCKET, Key="t3-r7")["Body"].read() == b"body t3-r7"
    listed = s3.list_objects_v2(Bucket=BUCKET)
    assert listed["KeyCount"] == CLIENT_THREADS * REQUESTS_PER_THREAD


def test_wsgi_app_keeps_backend_connections_within_the_pool(
    local_server: LocalServer, app_server: Callable[[hub.Session], str]
) -> None:
    local_server.set_default(_fake_aws(lambda key: f"body {key}".encode()))
    pool = 4  # fewer than the app's 16 threads: they must wait for a pooled connection
    session = hub.Session(hub.Config(
        endpoint_url=local_server.url, region="us-east-1", max_pool_connections=pool,
        credentials=hub.Credentials("testing", "testing")))
    url = app_server(session)

    failures = _drive(url, _round_trip)

    assert failures == []
    stats = local_server.connections
    assert len(local_server.requests) == CLIENT_THREADS * REQUESTS_PER_THREAD * 4
    assert 1 <= stats.accepted <= pool
    assert stats.peak <= pool


def test_thread_pool_job_against_moto(moto: MotoServer) -> None:
    with hub.Session(hub.Config(endpoint_url=moto.url)) as session:
        report = thread_pool_job.run_job(session, bucket="example-job", objects=200, workers=32)

    assert report.uploaded == report.verified == 200


def test_thread_pool_job_keeps_connections_within_the_pool(local_server: LocalServer) -> None:
    bodies = {f"obj/{i:06d}": thread_pool_job.payload(i) for i in range(300)}
    local_server.set_default(_fake_aws(bodies.__getitem__))
    pool = 8
    session = hub.Session(hub.Config(
        endpoint_url=local_server.url, region="us-east-1", max_pool_connections=pool,
        credentials=hub.Credentials("testing", "testing")))

    report = thread_pool_job.run_job(session, bucket="example-job", objects=300, workers=32)

    assert report.verified == 300
    stats = local_server.connections
    assert 1 <= stats.accepted <= pool
    assert stats.peak <= pool
