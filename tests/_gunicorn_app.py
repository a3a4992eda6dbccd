"""A WSGI app for the gunicorn scaling test (and docs/scaling.md's pattern).

Loaded with ``--preload``: the master imports this module and builds ``SESSION`` once; each
worker calls ``hub.worker_session(SESSION)`` in gunicorn's ``post_fork`` hook (see
``tests/_gunicorn_conf.py``) and every request uses ``hub.worker_session()``. Settings come
from the environment the test sets.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import hub
from tests._scaling_support import connections_opened, logged_provider

SESSION = hub.Session(hub.Config(
    region="us-east-1",
    endpoint_url=os.environ["HUB_TEST_ENDPOINT"],
    credentials=logged_provider(Path(os.environ["HUB_TEST_CREDENTIAL_LOG"])),
    max_pool_connections=int(os.environ["HUB_TEST_POOL"]),
))
BUCKET = os.environ["HUB_TEST_BUCKET"]


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """GET /<key>: read the object with this worker's session; answer pid, size, connections."""
    session = hub.worker_session()
    key = environ["PATH_INFO"].lstrip("/")
    body = session.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    answer = json.dumps({"pid": os.getpid(), "body": body.decode(),
                         "connections": connections_opened(session)}).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(answer)))])
    return [answer]
