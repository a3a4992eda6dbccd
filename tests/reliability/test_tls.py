"""TLS: verification on by default, a configured CA works, verify=False warns once, bad paths."""

from __future__ import annotations

import warnings

import pytest

import hub
from hub import Config
from hub.errors import ConfigError, SSLError
from tests.reliability._support import PING, make_session
from tests.servers.fixtures import HTTPSServer
from tests.servers.responses import ok


def test_self_signed_server_is_rejected_by_default(https_server: HTTPSServer) -> None:
    session = make_session(https_server, max_attempts=3)
    with pytest.raises(SSLError) as caught:
        session.client("dynamodb").new_request(PING).send()
    assert "certificate" in str(caught.value).lower()
    assert caught.value.attempts == 1  # TLS failures do not fix themselves: not retried
    assert https_server.requests == []


def test_configured_ca_bundle_is_trusted(https_server: HTTPSServer) -> None:
    https_server.set_default(ok(b"secure"))
    session = make_session(https_server, verify=https_server.ca_bundle)
    for _ in range(3):
        assert session.client("dynamodb").new_request(PING).send()["Body"] == b"secure"
    assert https_server.connections.accepted == 1
    # Per-client verify settings get their own transport.
    with pytest.raises(SSLError):
        session.client("dynamodb", Config(verify=True, max_attempts=1)).new_request(PING).send()


def test_verify_false_works_and_warns_once(https_server: HTTPSServer) -> None:
    https_server.set_default(ok(b"insecure"))
    session = make_session(https_server, verify=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(5):
            assert session.client("dynamodb").new_request(PING).send()["Body"] == b"insecure"
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1, messages
    assert "verify=False" in messages[0]
    # And again in a later block (the silencing does not depend on global warning filters).
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        session.client("dynamodb").new_request(PING).send()
    assert [str(w.message) for w in again] == []


def test_bad_ca_bundle_path_is_a_config_error_naming_verify(https_server: HTTPSServer,
                                                            tmp_path: object) -> None:
    session = make_session(https_server, verify="/nonexistent/ca-bundle.pem")
    with pytest.raises(ConfigError) as caught:
        session.client("dynamodb")
    assert caught.value.field == "verify" and "verify" in str(caught.value)


def test_garbage_ca_bundle_is_a_config_error(https_server: HTTPSServer, tmp_path: object
                                             ) -> None:
    import pathlib

    bundle = pathlib.Path(str(tmp_path)) / "junk.pem"
    bundle.write_text("not a certificate")
    client = make_session(https_server, verify=str(bundle)).client("dynamodb")
    assert client.client_config.transport._ssl_context is None  # loaded by the first request
    with pytest.raises(ConfigError) as caught:
        client.list_tables()
    assert caught.value.field == "verify"


def test_verify_default_is_on() -> None:
    session = hub.Session(Config(region="us-east-1", credentials=hub.Credentials("a", "b")))
    transport = session.client("dynamodb").client_config.transport
    assert transport.settings.verify is not False  # True, or a CA bundle from AWS_CA_BUNDLE
    assert transport._ssl_context is None  # the CA store loads on the first https request
    assert transport.tls_context().check_hostname is True
    assert transport.tls_context().verify_mode.name == "CERT_REQUIRED"


def test_system_ca_store_loads_on_first_https_request(https_server: HTTPSServer) -> None:
    # Creating a client must not load the system CA store (10-40 ms); the first https request
    # does, once, and every pool of the transport then uses that one context.
    session = hub.Session(Config(region="us-east-1", credentials=hub.Credentials("a", "b"),
                                 endpoint_url=https_server.url, verify=True))
    transport = session.client("dynamodb").client_config.transport
    assert transport._ssl_context is None
    with pytest.raises(hub.errors.SSLError):  # the test CA is not in the system store
        session.client("dynamodb").list_tables()
    context = transport._ssl_context
    assert context is not None and context.verify_mode.name == "CERT_REQUIRED"
    assert transport.tls_context() is context
