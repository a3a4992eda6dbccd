"""Proxies from the environment and NO_PROXY, proxies_config, mutual TLS, TCP keep-alive,
anonymous requests, the application id and boto3's retries mapping (issue 16).

Everything runs against real servers on 127.0.0.1: a forward/CONNECT proxy
(tests/servers/proxy.py), the scriptable LocalServer (HTTP and HTTPS) and moto. NO_PROXY
decisions use ``localhost`` against ``127.0.0.1``, both loopback.
"""

from __future__ import annotations

import os
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests.utils

import hub
from hub._proxies import environ_no_proxy, environ_proxies, should_bypass
from hub.errors import ConfigError, HTTPClientError
from tests.servers.fixtures import HTTPSServer
from tests.servers.local import LocalServer
from tests.servers.proxy import ForwardProxy
from tests.servers.responses import server_error

_CLEARED = ("AWS_", "BOTOCORE_", "REQUESTS_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
            "http_proxy", "https_proxy", "no_proxy", "REQUEST_METHOD")
KEYS = hub.Credentials("AKIDEXAMPLE", "secret-key-example")


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS settings, proxies or shared files from the machine running the tests."""
    for name in list(os.environ):
        if name.startswith(_CLEARED):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    server = ForwardProxy().start()
    try:
        yield server
    finally:
        server.stop()


def _eventually(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _s3(endpoint: str, *configs: hub.Config) -> Any:
    session = hub.Session(hub.Config(region="us-east-1", credentials=KEYS, max_attempts=1))
    return session.client("s3", hub.Config(endpoint_url=endpoint), *configs)


# ------------------------------------------------------------------------- NO_PROXY rules

BYPASS_HOSTS = ["localhost", "127.0.0.1", "10.1.2.3", "s3.example.com", "example.com",
                "badexample.com", "S3.Example.COM", "bucket.s3.amazonaws.com", "::1", "127.1"]
NO_PROXY_VALUES = ["", "*", "localhost", ".localhost", "127.0.0.1", "127.0.0.0/8",
                   "10.0.0.0/8", "10.1.2.3/32", "example.com", ".example.com", "EXAMPLE.com",
                   "example.com:8443", "localhost:9000", " localhost , example.com ",
                   "s3.amazonaws.com", "bucket.s3.amazonaws.com", "127.0.0.1/33", "::1",
                   "ample.com", "10.0.0.0/8,localhost"]


@pytest.mark.parametrize("no_proxy", NO_PROXY_VALUES)
def test_no_proxy_decisions_match_requests(monkeypatch: pytest.MonkeyPatch,
                                           no_proxy: str) -> None:
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for host in BYPASS_HOSTS:
        for port in (None, 9000, 8443):
            netloc = f"[{host}]" if ":" in host else host
            url = f"https://{netloc}{f':{port}' if port else ''}/x"
            expected = requests.utils.should_bypass_proxies(url, no_proxy=no_proxy or None)
            assert should_bypass(host.lower(), port, no_proxy or None) == expected, (url, no_proxy)


def test_environment_proxy_variables() -> None:
    assert environ_proxies({}) == {}
    assert environ_proxies({"HTTPS_PROXY": "http://p:1", "http_proxy": "q:2"}) == {
        "https": "http://p:1", "http": "http://q:2"}
    assert environ_proxies({"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2"}) \
        == {"https": "http://lower:2"}
    # Under CGI, HTTP_PROXY may come from a request's "Proxy:" header (httpoxy).
    assert environ_proxies({"HTTP_PROXY": "http://p:1", "REQUEST_METHOD": "GET"}) == {}
    assert environ_proxies({"HTTPS_PROXY": ""}) == {}
    assert environ_no_proxy({"NO_PROXY": "a", "no_proxy": "b"}) == "b"
    assert environ_no_proxy({"NO_PROXY": ""}) is None


def test_environment_proxies_are_checked_and_masked(clean_env: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://bob:proxy-secret@127.0.0.1:3128")
    client = _s3("https://127.0.0.1:1")
    settings = client._client_config.transport.settings
    assert settings.proxies["https"] == "http://bob:proxy-secret@127.0.0.1:3128"
    assert "proxy-secret" not in repr(settings)
    monkeypatch.setenv("HTTPS_PROXY", "http://bob:proxy-secret@127.0.0.1:0")
    with pytest.raises(ConfigError) as info:
        _s3("https://127.0.0.1:1")
    assert info.value.field == "proxies" and "HTTPS_PROXY" in str(info.value)
    assert "proxy-secret" not in str(info.value)


# --------------------------------------------------------------------- real local proxies


def test_http_proxy_from_the_environment_forwards_requests(
        clean_env: None, monkeypatch: pytest.MonkeyPatch, proxy: ForwardProxy,
        local_server: LocalServer) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    _s3(local_server.url).head_bucket(Bucket="bucket")
    assert proxy.seen == [("HEAD", f"{local_server.url}/bucket")]
    assert [r.path for r in local_server.requests] == ["/bucket"]


@pytest.mark.parametrize(("endpoint_host", "no_proxy", "proxied"), [
    ("127.0.0.1", "localhost", True),
    ("localhost", "localhost", False),
    ("localhost", ".localhost", False),
    ("127.0.0.1", "127.0.0.1", False),
    ("127.0.0.1", "127.0.0.0/8", False),
    ("127.0.0.1", "10.0.0.0/8", True),
    ("localhost", "localhost:{port}", False),
    ("localhost", "localhost:1", True),
    ("localhost", "*", False),
    ("localhost", "example.com,  LOCALHOST", False),
])
def test_no_proxy_sends_listed_hosts_direct(
        clean_env: None, monkeypatch: pytest.MonkeyPatch, proxy: ForwardProxy,
        local_server: LocalServer, endpoint_host: str, no_proxy: str, proxied: bool) -> None:
    monkeypatch.setenv("http_proxy", proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy.format(port=local_server.port))
    client = _s3(f"http://{endpoint_host}:{local_server.port}")
    client.head_bucket(Bucket="bucket")
    client.head_bucket(Bucket="bucket")  # the decision is cached per origin: same answer
    assert len(local_server.requests) == 2
    assert len(proxy.seen) == (2 if proxied else 0)


def test_https_goes_through_a_connect_tunnel(
        clean_env: None, monkeypatch: pytest.MonkeyPatch, proxy: ForwardProxy,
        https_server: HTTPSServer) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    client = _s3(https_server.url, hub.Config(verify=https_server.ca_bundle))
    client.head_bucket(Bucket="bucket")
    assert proxy.seen == [("CONNECT", f"127.0.0.1:{https_server.port}")]
    assert [r.path for r in https_server.requests] == ["/bucket"]
    # NO_PROXY covers it: straight to the server.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    _s3(https_server.url, hub.Config(verify=https_server.ca_bundle)).head_bucket(Bucket="b")
    assert len(proxy.seen) == 1 and len(https_server.requests) == 2


def test_config_proxies_win_and_ignore_no_proxy(
        clean_env: None, monkeypatch: pytest.MonkeyPatch, proxy: ForwardProxy,
        local_server: LocalServer) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")  # would fail: nothing listens
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # botocore: not applied to Config proxies
    _s3(local_server.url, hub.Config(proxies={"http": proxy.url})).head_bucket(Bucket="b")
    assert len(proxy.seen) == 1 and len(local_server.requests) == 1


@pytest.fixture
def tls_proxy(tls_ca: Any, tmp_path: Path) -> Iterator[tuple[ForwardProxy, str]]:
    """An https:// proxy with a certificate from ``tls_ca``; yields (proxy, CA bundle path)."""
    cert = tls_ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca = tmp_path / "proxy-ca.pem"
    tls_ca.cert_pem.write_to_path(str(ca))
    server = ForwardProxy(ssl_context=context).start()
    try:
        yield server, str(ca)
    finally:
        server.stop()


def test_proxies_config_ca_bundle_and_forwarding_for_https(
        clean_env: None, tls_proxy: tuple[ForwardProxy, str],
        https_server: HTTPSServer) -> None:
    proxy, ca = tls_proxy
    base = hub.Config(proxies={"https": proxy.url}, verify=https_server.ca_bundle)
    # Without proxy_ca_bundle the proxy's certificate is not trusted.
    with pytest.raises(HTTPClientError):
        _s3(https_server.url, base).head_bucket(Bucket="b")
    # The proxy's handler thread notes the failed handshake just after the client gives up.
    assert _eventually(lambda: bool(proxy.tls_failures))
    # With it: a CONNECT tunnel through the TLS proxy.
    tunnel = hub.Config(proxies_config={"proxy_ca_bundle": ca})
    _s3(https_server.url, base, tunnel).head_bucket(Bucket="b")
    assert proxy.seen[-1] == ("CONNECT", f"127.0.0.1:{https_server.port}")
    # proxy_use_forwarding_for_https: the whole request goes to the proxy, no tunnel.
    forward = hub.Config(proxies_config={"proxy_ca_bundle": ca,
                                         "proxy_use_forwarding_for_https": True})
    _s3(https_server.url, base, forward).head_bucket(Bucket="b")
    assert proxy.seen[-1] == ("HEAD", f"{https_server.url}/b")
    assert len(https_server.requests) == 2


def test_proxies_config_client_cert_for_a_proxy_requiring_one(
        clean_env: None, tls_ca: Any, tmp_path: Path, https_server: HTTPSServer) -> None:
    cert = tls_ca.issue_cert("127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    tls_ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    ca = tmp_path / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(ca))
    proxy = ForwardProxy(ssl_context=context).start()
    try:
        client_cert, client_key, _ = _client_cert_files(tls_ca, tmp_path)
        base = hub.Config(proxies={"https": proxy.url}, verify=https_server.ca_bundle)
        with pytest.raises(HTTPClientError):
            _s3(https_server.url, base, hub.Config(
                proxies_config={"proxy_ca_bundle": str(ca)})).head_bucket(Bucket="b")
        assert proxy.seen == []
        _s3(https_server.url, base, hub.Config(proxies_config={
            "proxy_ca_bundle": str(ca), "proxy_client_cert": (client_cert, client_key)}),
        ).head_bucket(Bucket="b")
        assert proxy.seen == [("CONNECT", f"127.0.0.1:{https_server.port}")]
    finally:
        proxy.stop()


def test_proxies_config_is_validated() -> None:
    with pytest.raises(ConfigError) as info:
        hub.Config(proxies_config={"proxy_ca_bundel": "x"})
    assert info.value.field == "proxies_config"
    with pytest.raises(ConfigError) as info:
        hub.Config(proxies_config={"proxy_use_forwarding_for_https": "yes"})
    assert info.value.field == "proxies_config.proxy_use_forwarding_for_https"
    with pytest.raises(ConfigError) as info:
        hub.Config(proxies_config={"proxy_client_cert": ("a",)})
    assert info.value.field == "proxies_config.proxy_client_cert"


# ---------------------------------------------------------------------------- mutual TLS


@pytest.fixture
def mtls_server(tls_ca: Any, tmp_path: Path) -> Iterator[HTTPSServer]:
    """An HTTPS server that requires a client certificate signed by ``tls_ca``."""
    cert = tls_ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    tls_ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    ca = tmp_path / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(ca))
    server = HTTPSServer(context, str(ca)).start()
    try:
        yield server
    finally:
        server.stop()


def _client_cert_files(tls_ca: Any, tmp_path: Path) -> tuple[str, str, str]:
    """(cert, key, combined PEM) for a client certificate from ``tls_ca``."""
    client = tls_ca.issue_cert("client@example.test")
    cert, key, both = tmp_path / "client.pem", tmp_path / "client.key", tmp_path / "both.pem"
    client.cert_chain_pems[0].write_to_path(str(cert))
    client.private_key_pem.write_to_path(str(key))
    both.write_bytes(client.private_key_and_cert_chain_pem.bytes())
    return str(cert), str(key), str(both)


def test_client_cert_for_mutual_tls(clean_env: None, mtls_server: HTTPSServer, tls_ca: Any,
                                    tmp_path: Path) -> None:
    cert, key, both = _client_cert_files(tls_ca, tmp_path)
    verify = hub.Config(verify=mtls_server.ca_bundle)
    with pytest.raises(HTTPClientError):  # no certificate: the server refuses the handshake
        _s3(mtls_server.url, verify).head_bucket(Bucket="b")
    assert mtls_server.requests == []
    _s3(mtls_server.url, verify, hub.Config(client_cert=(cert, key))).head_bucket(Bucket="b")
    _s3(mtls_server.url, verify, hub.Config(client_cert=both)).head_bucket(Bucket="b")
    assert len(mtls_server.requests) == 2


def test_client_cert_errors_name_the_field(clean_env: None, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        hub.Config(client_cert=("only-one",))  # type: ignore[arg-type]
    assert info.value.field == "client_cert"
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(ConfigError) as info:
        _s3("https://127.0.0.1:1", hub.Config(client_cert=missing))
    assert info.value.field == "client_cert" and "missing.pem" in str(info.value)


# --------------------------------------------------------------------------- keep-alive


def _pooled_socket(client: Any) -> socket.socket:
    transport = client._client_config.transport
    for pool in transport._pools():
        while not pool.pool.empty():
            conn = pool.pool.get()
            if conn is not None and conn.sock is not None:
                return conn.sock  # type: ignore[no-any-return]
    raise AssertionError("no pooled connection")


@pytest.mark.parametrize(("setting", "expected"), [("config", 1), ("env", 1), ("file", 1),
                                                   ("off", 0)])
def test_tcp_keepalive_sets_so_keepalive(clean_env: None, monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path, local_server: LocalServer,
                                         setting: str, expected: int) -> None:
    configs = []
    if setting == "config":
        configs.append(hub.Config(tcp_keepalive=True))
    elif setting == "env":
        monkeypatch.setenv("BOTOCORE_TCP_KEEPALIVE", "true")
    elif setting == "file":
        (tmp_path / "config").write_text("[default]\ntcp_keepalive = true\n")
    client = _s3(local_server.url, *configs)
    client.head_bucket(Bucket="b")
    sock = _pooled_socket(client)
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == expected
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1  # urllib3's kept


# --------------------------------------------------------------------- anonymous requests


class _NeverLoad:
    """A credential provider that fails the test if anything asks it for credentials."""

    name = "never"
    calls = 0

    def load(self) -> hub.Credentials:
        type(self).calls += 1
        raise AssertionError("an unsigned client looked for credentials")


def test_unsigned_requests_carry_no_signature_and_load_no_credentials(
        clean_env: None, local_server: LocalServer) -> None:
    session = hub.Session(hub.Config(region="us-east-1", credentials=_NeverLoad(),
                                     endpoint_url=local_server.url))
    client = session.client("s3", hub.Config(signature_version=hub.UNSIGNED))
    client.head_bucket(Bucket="bucket")
    client.put_object(Bucket="bucket", Key="k", Body=b"data")
    for request in local_server.requests:
        names = {name.lower() for name, _ in request.headers}
        assert not names & {"authorization", "x-amz-security-token", "x-amz-date",
                            "x-amz-content-sha256"}, names
    assert _NeverLoad.calls == 0
    with pytest.raises(ConfigError) as info:
        client.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    assert info.value.field == "signature_version"
    with pytest.raises(ConfigError) as info:
        client.generate_presigned_post("b", "k")
    assert info.value.field == "signature_version"
    assert _NeverLoad.calls == 0
    # The signed client of the same session does sign (and so asks the provider).
    with pytest.raises(AssertionError, match="looked for credentials"):
        session.client("s3").head_bucket(Bucket="bucket")


def test_unsigned_get_of_a_public_object_on_moto(moto: Any) -> None:
    session = hub.Session(hub.Config(region="us-east-1", endpoint_url=moto.url))
    signed = session.client("s3")
    signed.create_bucket(Bucket="public")
    signed.put_object(Bucket="public", Key="hello.txt", Body=b"hi", ACL="public-read")
    anonymous = session.client("s3", hub.Config(signature_version="unsigned"))
    assert anonymous.get_object(Bucket="public", Key="hello.txt")["Body"].read() == b"hi"
    listed = anonymous.list_objects_v2(Bucket="public")
    assert [o["Key"] for o in listed["Contents"]] == ["hello.txt"]


def test_signature_version_is_validated() -> None:
    with pytest.raises(ConfigError) as info:
        hub.Config(signature_version="s3v2")
    assert info.value.field == "signature_version"


# ---------------------------------------------------------------- application id (UA)


@pytest.mark.parametrize("source", ["config", "env", "file"])
def test_user_agent_appid(clean_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                          local_server: LocalServer, source: str) -> None:
    configs = []
    if source == "config":
        configs.append(hub.Config(user_agent_appid="my-app"))
    elif source == "env":
        monkeypatch.setenv("AWS_SDK_UA_APP_ID", "my-app")
    else:
        (tmp_path / "config").write_text("[default]\nsdk_ua_app_id = my-app\n")
    _s3(local_server.url, *configs).head_bucket(Bucket="b")
    agent = local_server.requests[0].header("User-Agent") or ""
    assert " app/my-app" in agent and agent.startswith("hub/")


# ------------------------------------------------------------ boto3's retries dict mapping


@pytest.mark.parametrize("boto3_max_attempts", [0, 1, 2])
def test_boto3_retries_max_attempts_counts_retries_hub_counts_attempts(
        clean_env: None, local_server: LocalServer, boto3_max_attempts: int) -> None:
    import boto3
    import botocore.config
    import botocore.exceptions

    local_server.set_default(server_error())
    boto = boto3.client(
        "s3", region_name="us-east-1", endpoint_url=local_server.url,
        aws_access_key_id="a", aws_secret_access_key="b",
        config=botocore.config.Config(retries={"mode": "standard",
                                               "max_attempts": boto3_max_attempts}))
    with pytest.raises(botocore.exceptions.ClientError):
        boto.head_bucket(Bucket="b")
    boto_attempts = len(local_server.requests)
    local_server.reset()
    local_server.set_default(server_error())
    # docs/migration.md: retries={"max_attempts": n} is hub.Config(max_attempts=n + 1).
    session = hub.Session(hub.Config(region="us-east-1", credentials=KEYS,
                                     endpoint_url=local_server.url,
                                     max_attempts=boto3_max_attempts + 1))
    with pytest.raises(hub.errors.ClientError):
        session.client("s3").head_bucket(Bucket="b")
    assert len(local_server.requests) == boto_attempts == boto3_max_attempts + 1
