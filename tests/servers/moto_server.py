"""moto's standalone server on 127.0.0.1, for tests that want AWS-compatible behaviour."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

import urllib3

if TYPE_CHECKING:
    import pytest

__all__ = ["DUMMY_AWS_ENV", "MotoServer", "apply_dummy_aws_env", "running_moto"]

#: Environment for talking to moto: fake credentials, a region, no user config, no proxies.
DUMMY_AWS_ENV: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    # Point shared files at nothing so a developer's ~/.aws never leaks into a test.
    "AWS_CONFIG_FILE": "/nonexistent/hub-tests/config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/hub-tests/credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}

#: Variables removed while ``DUMMY_AWS_ENV`` is in effect.
_UNSET = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


def apply_dummy_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Applies ``DUMMY_AWS_ENV`` through ``monkeypatch`` (so pytest undoes it)."""
    for name in _UNSET:
        monkeypatch.delenv(name, raising=False)
    for name, value in DUMMY_AWS_ENV.items():
        monkeypatch.setenv(name, value)


class MotoServer:
    """moto's ``ThreadedMotoServer`` bound to 127.0.0.1 on a free port (port 0).

    Attributes:
        url: Base URL, e.g. ``http://127.0.0.1:40123``.
    """

    def __init__(self) -> None:
        self.url = ""
        self._server: object | None = None
        self._http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(10.0))
        self._log_level: int | None = None

    def start(self) -> MotoServer:
        """Starts the server thread and waits until it listens."""
        from moto.server import ThreadedMotoServer  # heavy import: only when used

        # werkzeug logs every request at INFO on stderr; keep test output readable.
        logger = logging.getLogger("werkzeug")
        self._log_level = logger.level
        logger.setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        self._server = server
        self.url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        """Stops the server and restores logging."""
        if self._server is not None:
            self._server.stop()  # type: ignore[attr-defined]
            self._server = None
        self._http.clear()
        if self._log_level is not None:
            logging.getLogger("werkzeug").setLevel(self._log_level)

    def reset(self) -> None:
        """Forgets every resource moto holds (``POST /moto-api/reset``)."""
        resp = self._http.request("POST", f"{self.url}/moto-api/reset")
        if resp.status != 200:
            raise RuntimeError(f"moto reset failed: HTTP {resp.status} {resp.data[:200]!r}")

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def running_moto() -> Iterator[MotoServer]:
    """Context manager form: a started ``MotoServer``, stopped on exit."""
    server = MotoServer().start()
    try:
        yield server
    finally:
        server.stop()
