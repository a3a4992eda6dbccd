"""Pytest fixtures for real local servers (registered as a plugin by ``tests/conftest.py``).

Every server binds 127.0.0.1 on port 0, so each pytest-xdist worker gets its own.

Fixtures:
    local_server: a fresh ``LocalServer`` (scriptable HTTP/1.1 fault server) per test.
    https_server: the same over TLS; ``.url`` is ``https://...`` and ``.ca_bundle`` is the
        path of the PEM CA that signed its certificate (for 127.0.0.1 and localhost).
    tls_ca: the session's ``trustme.CA`` (for tests that need their own certs).
    aws_env: dummy AWS credentials/region in the environment for one test; no ~/.aws, no proxy.
    moto_server: one moto standalone server per session (per xdist worker); ``.url``,
        ``.reset()``. Does not touch the environment.
    moto: ``moto_server`` reset to an empty state, with ``aws_env`` applied, for one test.
    fast: a fresh ``FastS3Server`` (in-memory S3, http) per test, with the bucket named by
        the test module's ``BUCKET``.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.servers.fast_s3 import FastS3Server
from tests.servers.local import LocalServer
from tests.servers.moto_server import MotoServer, apply_dummy_aws_env

if TYPE_CHECKING:
    import trustme


class HTTPSServer(LocalServer):
    """A ``LocalServer`` over TLS that knows the CA bundle clients should trust.

    Attributes:
        ca_bundle: Path to the PEM file of the signing CA.
    """

    def __init__(self, ssl_context: ssl.SSLContext, ca_bundle: str) -> None:
        super().__init__(ssl_context=ssl_context)
        self.ca_bundle = ca_bundle


@pytest.fixture
def fast(request: pytest.FixtureRequest) -> Iterator[FastS3Server]:
    """A fresh in-memory S3 server on 127.0.0.1 holding the module's ``BUCKET``; stopped
    (bounded) after the test."""
    server = FastS3Server().start()
    server.create_bucket(request.module.BUCKET)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    """A fresh scriptable HTTP server on 127.0.0.1; stopped (bounded) after the test."""
    server = LocalServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tls_ca() -> trustme.CA:
    """A throwaway certificate authority for the session."""
    import trustme

    return trustme.CA()


@pytest.fixture(scope="session")
def _tls_material(
    tls_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, str, str]:
    """(ca_bundle, cert_chain, key) PEM paths for a 127.0.0.1/localhost server cert."""
    directory: Path = tmp_path_factory.mktemp("tls")
    cert = tls_ca.issue_cert("127.0.0.1", "localhost")
    ca_path = directory / "ca.pem"
    chain_path = directory / "server-chain.pem"
    key_path = directory / "server-key.pem"
    tls_ca.cert_pem.write_to_path(str(ca_path))
    with open(chain_path, "wb") as fh:
        fh.writelines(blob.bytes() for blob in cert.cert_chain_pems)
    cert.private_key_pem.write_to_path(str(key_path))
    return str(ca_path), str(chain_path), str(key_path)


@pytest.fixture
def https_server(_tls_material: tuple[str, str, str]) -> Iterator[HTTPSServer]:
    """A fresh scriptable HTTPS server on 127.0.0.1 with a certificate from ``tls_ca``."""
    ca_bundle, chain, key = _tls_material
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain, key)
    server = HTTPSServer(context, ca_bundle).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy AWS credentials and region for one test (``AWS_ACCESS_KEY_ID=testing`` ...)."""
    apply_dummy_aws_env(monkeypatch)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """moto's standalone server on 127.0.0.1, shared by the session (one per xdist worker)."""
    server = MotoServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def moto(moto_server: MotoServer, aws_env: None) -> MotoServer:
    """``moto_server`` with its state reset and dummy AWS env vars set, for one test."""
    moto_server.reset()
    return moto_server
