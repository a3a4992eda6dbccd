"""Picklable helpers for the scaling tests: they run inside process pools and engines."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import hub
from hub.credentials import ProcessProvider

#: The credential_process command used by the examples (logs the loading process's pid).
CREDENTIAL_SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "_credential_process.py"


class CountingProvider:
    """Dummy static credentials; counts its loads in this process (``CountingProvider.loads``)."""

    name = "counting"
    loads = 0

    def load(self) -> hub.Credentials:
        """Count and return the dummy credentials."""
        type(self).loads += 1
        return hub.Credentials("testing", "testing")


def logged_provider(log: Path) -> ProcessProvider:
    """A ``credential_process`` provider whose every load appends its caller's pid to ``log``."""
    return ProcessProvider(f"{sys.executable} {CREDENTIAL_SCRIPT} {log}")


def loads_by_pid(log: Path) -> dict[int, int]:
    """Credential loads per process id, from a ``logged_provider`` log."""
    counts: dict[int, int] = {}
    for line in log.read_text().split():
        counts[int(line)] = counts.get(int(line), 0) + 1
    return counts


def connections_opened(session: hub.Session) -> int:
    """Connections the session family's pools have opened in this process (urllib3 counts)."""
    total = 0
    for transport in session.snapshot.transports.transports():
        for pool in transport._pools():  # type: ignore[attr-defined]
            total += pool.num_connections
    return total


def get_objects(session: hub.Session, bucket: str, keys: list[str]) -> dict[str, Any]:
    """A task: GET ``keys`` with the session it was given; report this worker's counters."""
    s3 = session.client("s3")
    bodies = {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}
    return {"pid": os.getpid(), "bodies": bodies, "connections": connections_opened(session)}
