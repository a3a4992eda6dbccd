"""gunicorn settings for the scaling test: threaded workers, one hub family per worker."""

from __future__ import annotations

from typing import Any

import hub

worker_class = "gthread"
workers = 2
threads = 8
preload_app = True


def post_fork(server: Any, worker: Any) -> None:
    """In each new worker: install the app's session as the worker's session."""
    from tests._gunicorn_app import SESSION

    hub.worker_session(SESSION)
