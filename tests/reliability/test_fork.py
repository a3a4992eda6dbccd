"""Fork safety and pickling: children never share the parent's sockets; sessions ship to pools."""

from __future__ import annotations

import multiprocessing
import os
import pickle

import pytest

import hub
from hub import Config, Session
from tests.reliability._support import CREDENTIALS, PING, make_session
from tests.servers.local import LocalServer
from tests.servers.responses import ok

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")

_SESSION: Session | None = None  # inherited by fork-context pool workers

# Forking with threads running is the point: servers embedding hub do exactly that.
FORK_WITH_THREADS = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded:DeprecationWarning"
)



def _fork_worker(n: int) -> tuple[int, bytes]:
    assert _SESSION is not None
    body = _SESSION.client("dynamodb").new_request(PING).send()["Body"]
    return os.getpid(), body


def _shipped_worker(session: Session) -> tuple[str, bytes]:
    body = session.client("dynamodb").new_request(PING).send()["Body"]
    credentials = session.snapshot.credentials.get()
    return credentials.access_key, body


@FORK_WITH_THREADS
def test_os_fork_child_opens_its_own_connection(local_server: LocalServer) -> None:
    local_server.set_default(ok(b"ok"))
    session = make_session(local_server)
    session.client("dynamodb").new_request(PING).send()
    parent_conn = local_server.requests[-1].connection_id
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            for _ in range(3):
                assert session.client("dynamodb").new_request(PING).send()["Body"] == b"ok"
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    child_conns = {r.connection_id for r in local_server.requests[1:]}
    assert parent_conn not in child_conns and len(child_conns) == 1
    session.client("dynamodb").new_request(PING).send()
    assert local_server.requests[-1].connection_id == parent_conn  # parent's socket still good


@FORK_WITH_THREADS
def test_fork_context_pool(local_server: LocalServer) -> None:
    global _SESSION
    local_server.set_default(ok(b"ok"))
    _SESSION = make_session(local_server)
    try:
        _SESSION.client("dynamodb").new_request(PING).send()
        parent_conn = local_server.requests[-1].connection_id
        with multiprocessing.get_context("fork").Pool(2) as pool:
            results = pool.map_async(_fork_worker, range(8)).get(timeout=20)
        assert all(body == b"ok" for _, body in results)
        assert len({pid for pid, _ in results}) >= 1
        child_requests = local_server.requests[1:]
        assert len(child_requests) == 8
        assert parent_conn not in {r.connection_id for r in child_requests}
        _SESSION.client("dynamodb").new_request(PING).send()
        assert local_server.requests[-1].connection_id == parent_conn
    finally:
        _SESSION = None


def test_config_and_session_pickle() -> None:
    # Static credentials and proxy passwords travel only on request (docs/security.md).
    config = Config(region="eu-west-1", credentials=CREDENTIALS, max_attempts=5,
                    proxies={"https": "http://user:pw@proxy:3128"}, read_timeout=2.5,
                    pickle_credentials=True)
    assert pickle.loads(pickle.dumps(config)) == config
    session = Session(config)
    copy = pickle.loads(pickle.dumps(session))
    assert copy.config == session.config and copy is not session
    assert copy.snapshot.credentials.get() == CREDENTIALS
    with pytest.raises(TypeError):
        pickle.dumps(session.snapshot.transports._lock)  # locks/pools are never shipped


def test_spawn_pool_with_explicit_credentials(local_server: LocalServer) -> None:
    local_server.set_default(ok(b"spawned"))
    session = make_session(local_server, pickle_credentials=True)  # ship them on purpose
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        key, body = pool.apply_async(_shipped_worker, (session,)).get(timeout=30)
    assert (key, body) == (CREDENTIALS.access_key, b"spawned")
    auth = local_server.requests[-1].header("Authorization") or ""
    assert f"Credential={CREDENTIALS.access_key}/" in auth


def test_spawn_pool_reresolves_the_default_chain(local_server: LocalServer, aws_env: None
                                                 ) -> None:
    local_server.set_default(ok(b"env"))
    session = Session(Config(region="us-east-1", endpoint_url=local_server.url))
    assert session.config.credentials is None  # the default chain, resolved where used
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        key, body = pool.apply_async(_shipped_worker, (session,)).get(timeout=30)
    assert body == b"env" and key == os.environ["AWS_ACCESS_KEY_ID"]
    assert hub.Session is Session
