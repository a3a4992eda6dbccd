"""The instance metadata provider against a fake IMDS on 127.0.0.1 (and botocore beside it)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hub.credentials import Credentials, CredentialsCache
from hub.credentials._http import HttpReply
from hub.credentials._imds import IPV4_ENDPOINT, IPV6_ENDPOINT, InstanceMetadataProvider
from hub.errors import CredentialProviderError, ReadTimeoutError
from tests.servers.cloud import FakeIMDS

ROLE_PATH = "/latest/meta-data/iam/security-credentials/"


def provider(env: dict[str, str], imds: FakeIMDS, **settings: str) -> InstanceMetadataProvider:
    env = {**env, "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url, **settings}
    return InstanceMetadataProvider(environ=env, jitter=lambda: 300.0)


def paths(imds: FakeIMDS) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in imds.requests]


def test_imdsv2_token_role_then_credentials(cloud_env: dict[str, str], imds: FakeIMDS) -> None:
    creds = provider(cloud_env, imds).load()
    issued = imds.issued[-1]
    assert creds is not None and creds.expiry is not None
    assert creds == Credentials(
        issued["AccessKeyId"], issued["SecretAccessKey"], issued["Token"], creds.expiry
    )
    assert creds.expiry.strftime("%Y-%m-%dT%H:%M:%SZ") == issued["Expiration"]
    assert paths(imds) == [
        ("PUT", "/latest/api/token"), ("GET", ROLE_PATH), ("GET", ROLE_PATH + imds.role)
    ]
    assert imds.token_ttl_seen == ["21600"]
    assert imds.tokens_seen == ["imds-token-1", "imds-token-1"]


def test_falls_back_to_imdsv1_when_the_token_put_is_refused(
    cloud_env: dict[str, str], imds: FakeIMDS
) -> None:
    imds.v1_only = True
    creds = provider(cloud_env, imds).load()
    assert creds is not None and creds.access_key == imds.issued[-1]["AccessKeyId"]
    assert imds.tokens_seen == [None, None]


def test_v1_disabled_makes_a_refused_token_an_error(
    cloud_env: dict[str, str], imds: FakeIMDS
) -> None:
    imds.v1_only = True
    with pytest.raises(CredentialProviderError) as info:
        provider(cloud_env, imds, AWS_EC2_METADATA_V1_DISABLED="true").load()
    assert info.value.provider == "iam-role"
    assert "IMDSv1 is disabled" in str(info.value)
    assert imds.count("role") == 0
    # The config-file key does the same.
    Path(cloud_env["AWS_CONFIG_FILE"]).write_text("[default]\nec2_metadata_v1_disabled = True\n")
    with pytest.raises(CredentialProviderError):
        provider(cloud_env, imds).load()


def test_a_token_500_falls_back_to_v1_and_v2_only_service_then_has_nothing(
    cloud_env: dict[str, str], imds: FakeIMDS
) -> None:
    imds.fail("500", op="token")
    assert provider(cloud_env, imds).load() is not None  # v1 allowed: works without token
    assert imds.tokens_seen == [None, None]
    imds.v2_required = True
    imds.fail("missing_token", op="token")  # 200 without a token in the body
    assert provider(cloud_env, imds).load() is None  # the 401s are not credentials


def test_retries_up_to_num_attempts(cloud_env: dict[str, str], imds: FakeIMDS) -> None:
    imds.fail("500", op="credentials")
    imds.fail("bad_json", op="credentials")
    p = provider(cloud_env, imds, AWS_METADATA_SERVICE_NUM_ATTEMPTS="3")
    assert p.load() is not None
    assert imds.count("credentials") == 3
    # One attempt (the default): the first failure gives no credentials; the chain moves on.
    imds.fail("500", op="role")
    assert provider(cloud_env, imds).load() is None


def test_slow_imds_times_out_per_metadata_service_timeout(
    cloud_env: dict[str, str], imds: FakeIMDS
) -> None:
    imds.slow_seconds = 3.0
    imds.fail("slow", op="token")
    Path(cloud_env["AWS_CONFIG_FILE"]).write_text("[default]\nmetadata_service_timeout = 0.3\n")
    # The token PUT times out: botocore's answer is "maybe IMDSv1 only", so v1 it is.
    assert provider(cloud_env, imds).load() is not None
    assert imds.tokens_seen == [None, None]
    imds.fail("slow", op="credentials")
    assert provider(cloud_env, imds).load() is None


def test_disabled_sends_nothing(cloud_env: dict[str, str], imds: FakeIMDS) -> None:
    assert provider(cloud_env, imds, AWS_EC2_METADATA_DISABLED="TRUE").load() is None
    assert imds.requests == []


def test_credentials_json_without_fields_is_no_credentials(
    cloud_env: dict[str, str], imds: FakeIMDS
) -> None:
    imds.role = "other-role"  # the listing says other-role ...
    imds.fail("empty", op="role")  # ... but first an empty listing
    assert provider(cloud_env, imds).load() is None


class Recorder:
    """An HttpSend that records URLs and answers like an IMDS with fixed credentials."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.fail = False

    def __call__(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
                 timeout: float, proxies: Mapping[str, str] | None) -> HttpReply:
        self.urls.append(url)
        if self.fail:
            raise ReadTimeoutError("read timeout on endpoint URL", endpoint=url)
        if url.endswith("api/token"):
            return HttpReply(200, {}, b"tok")
        if url.endswith("security-credentials/"):
            return HttpReply(200, {}, b"role")
        expiry = datetime.now(timezone.utc) + timedelta(hours=6)
        body_json = (
            '{"AccessKeyId": "ASIAREC", "SecretAccessKey": "recorded-secret", "Token": "t",'
            f' "Expiration": "{expiry.strftime("%Y-%m-%dT%H:%M:%SZ")}"}}'
        )
        return HttpReply(200, {}, body_json.encode())


@pytest.mark.parametrize(
    ("settings", "config", "expected"),
    [
        ({}, "", IPV4_ENDPOINT),
        ({"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"}, "", IPV6_ENDPOINT),
        ({}, "ec2_metadata_service_endpoint_mode = ipv6\n", IPV6_ENDPOINT),
        ({"AWS_IMDS_USE_IPV6": "true"}, "", IPV6_ENDPOINT),
        ({"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv4"},
         "ec2_metadata_service_endpoint_mode = ipv6\n", IPV4_ENDPOINT),
        ({}, "ec2_metadata_service_endpoint = http://10.0.0.1:1234\n", "http://10.0.0.1:1234/"),
        ({"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://[::1]:8080/",
          "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv4"}, "", "http://[::1]:8080/"),
    ],
)
def test_endpoint_selection(
    cloud_env: dict[str, str], settings: dict[str, str], config: str, expected: str
) -> None:
    Path(cloud_env["AWS_CONFIG_FILE"]).write_text(f"[default]\n{config}")
    send = Recorder()
    assert InstanceMetadataProvider(environ={**cloud_env, **settings}, send=send).load()
    assert send.urls[0] == expected + "latest/api/token"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv5"}, "not one of IPv4, IPv6"),
        ({"AWS_EC2_METADATA_SERVICE_ENDPOINT": "169.254.169.254"}, "not an http(s)://host URL"),
        ({"AWS_METADATA_SERVICE_TIMEOUT": "soon"}, "metadata_service_timeout 'soon'"),
        ({"AWS_METADATA_SERVICE_NUM_ATTEMPTS": "0"}, "metadata_service_num_attempts '0'"),
    ],
)
def test_invalid_settings_are_typed_errors(
    cloud_env: dict[str, str], settings: dict[str, str], message: str
) -> None:
    with pytest.raises(CredentialProviderError) as info:
        InstanceMetadataProvider(environ={**cloud_env, **settings}, send=Recorder()).load()
    assert info.value.provider == "iam-role" and message in str(info.value)


def test_static_stability_extends_the_last_credentials_and_logs(
    cloud_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    now = [datetime.now(timezone.utc).timestamp()]
    send = Recorder()
    p = InstanceMetadataProvider(environ=cloud_env, send=send, clock=lambda: now[0],
                                 jitter=lambda: 300.0)
    first = p.load()
    assert first is not None and first.expiry is not None
    now[0] = first.expiry.timestamp() - 60  # deep in the mandatory window, and IMDS is down
    send.fail = True
    with caplog.at_level(logging.WARNING, logger="hub.credentials"):
        second = p.load()
    assert second is not None and second.access_key == first.access_key
    assert second.expiry is not None and second.expiry.timestamp() == pytest.approx(
        now[0] + 900 + 300
    )
    assert "extended" in caplog.text and "recorded-secret" not in caplog.text
    assert "ReadTimeoutError" in caplog.text


def test_static_stability_through_the_cache_never_fails_a_request(
    cloud_env: dict[str, str], imds: FakeIMDS
) -> None:
    now = [datetime.now(timezone.utc).timestamp()]
    p = InstanceMetadataProvider(
        environ={**cloud_env, "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url},
        clock=lambda: now[0], jitter=lambda: 120.0,
    )
    cache = CredentialsCache(p, clock=lambda: now[0])
    first = cache.get()
    assert first.expiry is not None
    imds.fail("500", times=1000)
    now[0] = first.expiry.timestamp() - 30  # mandatory window; botocore would raise here
    second = cache.get()
    assert second.access_key == first.access_key
    assert second.expiry is not None and second.expiry > first.expiry
    assert cache.get() is second  # served from the cache until the next advisory time
    imds.clear_faults()
    now[0] += 600  # past the advisory time of the extension: refresh, IMDS is back
    third = cache.get()
    assert third.access_key != first.access_key and third.access_key == imds.issued[-1][
        "AccessKeyId"]


def test_credentials_that_imds_serves_nearly_expired_are_extended(
    cloud_env: dict[str, str], imds: FakeIMDS
) -> None:
    imds.lifetime = 120.0  # the credential service is down; IMDS serves what it has
    creds = provider(cloud_env, imds).load()
    assert creds is not None and creds.expiry is not None
    remaining = creds.expiry - datetime.now(timezone.utc)
    assert timedelta(minutes=19) < remaining <= timedelta(minutes=20)


def test_same_requests_as_botocore(
    cloud_env: dict[str, str], imds: FakeIMDS, monkeypatch: pytest.MonkeyPatch
) -> None:
    import botocore.session

    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url)
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    theirs = botocore.session.Session().get_credentials()
    assert theirs is not None and theirs.method == "iam-role"
    botocore_requests = paths(imds)
    botocore_ttls = list(imds.token_ttl_seen)
    imds.reset()
    imds.set_default(imds._dispatch)
    mine = InstanceMetadataProvider().load()
    assert mine is not None
    assert paths(imds) == botocore_requests
    assert imds.token_ttl_seen[-1:] == botocore_ttls[-1:]


def test_proxies_come_from_the_environment_unless_no_proxy_covers_the_host() -> None:
    from hub.credentials._http import env_proxies

    url = IPV4_ENDPOINT + "latest/api/token"
    assert env_proxies(url, {}) is None
    assert env_proxies(url, {"HTTP_PROXY": "http://proxy:3128"}) == {"http": "http://proxy:3128"}
    assert env_proxies(url, {"HTTP_PROXY": "http://upper:1", "http_proxy": "http://lower:2"}) == {
        "http": "http://lower:2"}
    for no_proxy in ("169.254.169.254", "localhost, 169.254.169.254", "*"):
        assert env_proxies(url, {"HTTP_PROXY": "http://p:1", "NO_PROXY": no_proxy}) is None
    assert env_proxies("https://sts.eu-west-1.amazonaws.com/",
                       {"https_proxy": "http://p:1", "no_proxy": ".amazonaws.com"}) is None
    assert env_proxies("https://sts.eu-west-1.amazonaws.com/",
                       {"https_proxy": "http://p:1", "no_proxy": "example.com"}) == {
        "https": "http://p:1"}


def test_no_service_listening_is_no_credentials(cloud_env: dict[str, str]) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**cloud_env, "AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://127.0.0.1:{port}"}
    assert InstanceMetadataProvider(environ=env).load() is None
