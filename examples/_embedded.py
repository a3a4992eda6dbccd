"""A local AWS-compatible endpoint for the examples when none is configured.

The examples talk to ``--endpoint-url`` (or ``AWS_ENDPOINT_URL``) when given; otherwise they
start moto's standalone server on 127.0.0.1 (moto is a dev-only extra: ``pip install
'moto[server]'``), so they run anywhere with no AWS account.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

import hub

#: Dummy credentials for the embedded server (moto accepts any).
LOCAL_CREDENTIALS = hub.Credentials("testing", "testing")


@contextlib.contextmanager
def endpoint(url: str | None) -> Iterator[tuple[str, hub.Config]]:
    """Yields ``(endpoint_url, config)`` for ``url``, the environment's, or an embedded moto.

    Args:
        url: An endpoint to use as is; None falls back to ``AWS_ENDPOINT_URL``, then moto.

    Yields:
        The endpoint URL and a Config to pass to ``hub.Session`` (it carries dummy credentials
        and a region only for the embedded server).
    """
    url = url or os.environ.get("AWS_ENDPOINT_URL")
    if url:
        yield url, hub.Config(endpoint_url=url)
        return
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    local = f"http://{host}:{port}"
    try:
        yield local, hub.Config(endpoint_url=local, region="us-east-1",
                                credentials=LOCAL_CREDENTIALS)
    finally:
        server.stop()
