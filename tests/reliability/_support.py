"""Shared helpers for the reliability suite: sessions on the local server, leak checks."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import hub
from hub import Config, Operation, Session
from hub._corehandlers import after_retry
from tests.servers.local import LocalServer

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN/abc+def=="
CREDENTIALS = hub.Credentials("AKIDRELIABILITY", SECRET, token=TOKEN)

PING = Operation("Ping", "GET", "/ping")
STREAM = Operation("Stream", "GET", "/stream", streaming_output=True)


def make_session(server: LocalServer, **settings: Any) -> Session:
    """A session pointed at ``server`` with fixed credentials (secret and session token)."""
    return Session(Config(region="us-east-1", endpoint_url=server.url, credentials=CREDENTIALS,
                          **settings))


def fast_retries(session: Session, record: list[float] | None = None,
                 cap: float = 0.005) -> None:
    """Swap ``core.after_retry`` for one that records delays and sleeps at most ``cap``."""
    def sleep(delay: float) -> None:
        if record is not None:
            record.append(delay)
        time.sleep(min(delay, cap))

    def quick_after_retry(request: Any) -> None:
        after_retry(request, sleep=sleep)

    session.swap_handler("after_retry", "core.after_retry", quick_after_retry)


def checked_out(session: Session) -> int:
    """Connections currently taken out of the session's pools (0 = none leaked).

    urllib3 pools are LIFO queues pre-filled with ``maxsize`` slots (None or a connection);
    a slot missing from the queue is a connection someone holds.
    """
    missing = 0
    for transport in session.snapshot.transports.transports():
        for manager in set(transport._managers.values()):
            for key in list(manager.pools.keys()):
                pool = manager.pools.get(key)
                if pool is not None and pool.pool is not None:
                    missing += pool.pool.maxsize - pool.pool.qsize()
    return missing


def settle(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
