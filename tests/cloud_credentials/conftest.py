"""Fixtures for the cloud credential providers: the fake services, and a clean environment.

Every fake binds 127.0.0.1:0 and is stopped after its test. ``cloud_env`` gives each test an
environment without any AWS variable (``AWS_*``, proxies), pointing the shared files at empty
files in a temporary directory and ``HOME`` there too, so nothing of the machine's own
configuration (or a real metadata service) is reached.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.cloud import FakeContainer, FakeIMDS, FakeSSO, FakeSTS


@pytest.fixture
def imds() -> Iterator[FakeIMDS]:
    """A fake instance metadata service."""
    server = FakeIMDS()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def container() -> Iterator[FakeContainer]:
    """A fake container credentials endpoint."""
    server = FakeContainer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sts() -> Iterator[FakeSTS]:
    """A fake STS (query protocol)."""
    server = FakeSTS()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sso() -> Iterator[FakeSSO]:
    """A fake SSO portal + OIDC service."""
    server = FakeSSO()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def cloud_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A clean ``os.environ`` for one test; returns a dict copy callers may extend.

    The shared files are ``tmp_path/aws/config`` and ``tmp_path/aws/credentials`` (empty);
    ``HOME`` is ``tmp_path`` (so ``~/.aws/sso/cache`` is ``tmp_path/.aws/sso/cache``), and
    ``AWS_EC2_METADATA_DISABLED=true`` is set in ``os.environ`` (not in the returned dict).
    """
    for name in list(os.environ):
        upper = name.upper()
        if upper.startswith("AWS_") or upper.endswith("_PROXY"):
            monkeypatch.delenv(name)
    aws = tmp_path / "aws"
    aws.mkdir()
    (aws / "config").write_text("")
    (aws / "credentials").write_text("")
    monkeypatch.setenv("HOME", str(tmp_path))
    # No real metadata service, ever: tests that use the fake IMDS through os.environ set its
    # endpoint and remove this (the returned dict does not have it).
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(aws / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(aws / "credentials"))
    return {
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(aws / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(aws / "credentials"),
    }
