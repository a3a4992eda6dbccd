"""Credentials through a real Session: one load for a thread storm, copies share the cache."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import hub
from hub import Config, Operation, Session
from hub.credentials import RefreshableProvider
from tests._threads import run_in_threads
from tests.servers.local import LocalServer
from tests.servers.responses import ok

PING = Operation("Ping", "GET", "/ping")


class CountingFetch:
    """A slow credentials source that counts how often it is asked."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> hub.Credentials:
        with self._lock:
            self.calls += 1
            number = self.calls
        time.sleep(0.05)  # widen the race window: the others must wait, not load again
        return hub.Credentials(f"AKIDLOAD{number:04d}", "secret-value",
                               expiry=datetime.now(timezone.utc) + timedelta(hours=1))


def test_64_threads_on_a_cold_session_load_credentials_once(local_server: LocalServer) -> None:
    local_server.set_default(ok(b"ok"))
    fetch = CountingFetch()
    session = Session(Config(region="us-east-1", endpoint_url=local_server.url,
                             credentials=RefreshableProvider(fetch),
                             max_pool_connections=64))
    errors = run_in_threads(
        64, lambda _: session.client("dynamodb").new_request(PING).send())
    assert errors == []
    assert fetch.calls == 1
    keys = {r.header("Authorization").split("Credential=")[1].split("/")[0]  # type: ignore[union-attr]
            for r in local_server.requests}
    assert keys == {"AKIDLOAD0001"}

    # Copies and config edits that leave credentials alone keep the loaded credentials.
    session.update(Config(max_attempts=2))
    session.copy(Config(read_timeout=5)).client("dynamodb").new_request(PING).send()
    assert fetch.calls == 1
