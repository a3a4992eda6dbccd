"""64 threads x 30 requests through ONE session against the fault server with 10% faults.

Every request either succeeds or raises a typed ``hub.errors`` error; nothing escapes as a bare
urllib3 / http.client / socket error; the totals add up; no connection is left checked out.
The counts are printed (run with ``-s`` to see them) for the reliability note.
"""

from __future__ import annotations

import threading
from collections import Counter

from hub.errors import HubError
from tests._threads import run_in_threads
from tests.reliability._support import PING, checked_out, fast_retries, make_session
from tests.servers.local import LocalServer
from tests.servers.responses import ok

THREADS = 64
PER_THREAD = 30
SEED = 20240607


def test_one_session_many_threads_with_faults(local_server: LocalServer) -> None:
    local_server.set_default(ok(b"pong" * 64))
    local_server.fault_mix(0.1, seed=SEED)
    session = make_session(local_server, max_pool_connections=THREADS, read_timeout=5.0)
    fast_retries(session, cap=0.002)
    lock = threading.Lock()
    outcomes: Counter[str] = Counter()
    escaped: list[BaseException] = []
    attempts = Counter[int]()

    def worker(_index: int) -> None:
        for _ in range(PER_THREAD):
            client = session.client("dynamodb")
            try:
                result = client.new_request(PING).send()
                assert result["Body"] == b"pong" * 64
                key = "succeeded"
                tries = result["ResponseMetadata"]["RetryAttempts"] + 1
            except HubError as exc:
                key = f"failed:{type(exc).__name__}:{exc.retry_reason}"
                tries = exc.attempts
            except BaseException as exc:  # noqa: BLE001 - exactly what must not happen
                with lock:
                    escaped.append(exc)
                continue
            with lock:
                outcomes[key] += 1
                attempts[tries] += 1

    assert run_in_threads(THREADS, worker, timeout=60) == []
    sent = THREADS * PER_THREAD
    succeeded = outcomes["succeeded"]
    failed = sum(n for key, n in outcomes.items() if key != "succeeded")
    faults = dict(sorted(local_server.faults_injected.items()))
    print(f"\nload: sent={sent} succeeded={succeeded} failed={failed} escaped={len(escaped)}"
          f" http_requests={len(local_server.requests)} faults={faults}"
          f" total_faults={sum(faults.values())} attempts={dict(sorted(attempts.items()))}"
          f" failures={ {k: v for k, v in outcomes.items() if k != 'succeeded'} }"
          f" connections_accepted={local_server.connections.accepted}")
    assert escaped == [], [type(e) for e in escaped[:5]]
    assert succeeded + failed == sent
    # An attempt written to a keep-alive connection the server had just closed never arrives.
    assert sent <= len(local_server.requests) <= sum(k * v for k, v in attempts.items())
    assert sum(faults.values()) > 0.05 * len(local_server.requests)
    assert succeeded >= 0.95 * sent  # 3 attempts make a 10% fault rate nearly invisible
    assert checked_out(session) == 0
    session.close()
    assert local_server.wait_for_idle(10)
