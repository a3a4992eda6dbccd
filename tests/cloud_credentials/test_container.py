"""The container credentials provider against a fake ECS/EKS endpoint (and botocore beside it)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from hub.credentials import CredentialsCache
from hub.credentials._container import ContainerProvider
from hub.credentials._http import HttpReply
from hub.errors import CredentialProviderError
from tests.servers.cloud import FakeContainer


def full_uri(container: FakeContainer) -> str:
    return container.url + container.path


def no_sleep(seconds: float) -> None:
    assert seconds == 1.0  # botocore's pause between attempts


def test_full_uri_with_token(cloud_env: dict[str, str], container: FakeContainer) -> None:
    container.auth_token = "Bearer secret-container-token"
    env = {**cloud_env, "AWS_CONTAINER_CREDENTIALS_FULL_URI": full_uri(container),
           "AWS_CONTAINER_AUTHORIZATION_TOKEN": container.auth_token}
    creds = ContainerProvider(environ=env).load()
    issued = container.issued[-1]
    assert creds is not None and creds.expiry is not None
    assert (creds.access_key, creds.secret_key, creds.token) == (
        issued["AccessKeyId"], issued["SecretAccessKey"], issued["Token"]
    )
    assert container.requests[0].header("Accept") == "application/json"


def test_relative_uri_wins_and_uses_the_ecs_address(cloud_env: dict[str, str],
                                                    container: FakeContainer) -> None:
    env = {**cloud_env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": container.path,
           "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/never"}
    assert ContainerProvider(environ=env, relative_base=container.url).load() is not None
    seen: list[str] = []

    def send(method: str, url: str, headers: Mapping[str, str], body: bytes | None,
             timeout: float, proxies: Mapping[str, str] | None) -> HttpReply:
        seen.append(url)
        assert timeout == 2.0 and proxies is None
        return HttpReply(500, {}, b"")

    with pytest.raises(CredentialProviderError):
        ContainerProvider(environ=env, send=send, sleep=no_sleep).load()
    assert seen == ["http://169.254.170.2/v2/credentials/task-uuid"] * 3


def test_token_file_is_reread_on_every_refresh(
    cloud_env: dict[str, str], container: FakeContainer, tmp_path: Path
) -> None:
    token_file = tmp_path / "eks-pod-identity-token"
    token_file.write_text("token-one")
    container.auth_token = "token-one"
    env = {**cloud_env, "AWS_CONTAINER_CREDENTIALS_FULL_URI": full_uri(container),
           "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file),
           "AWS_CONTAINER_AUTHORIZATION_TOKEN": "the-file-wins"}
    provider = ContainerProvider(environ=env, sleep=no_sleep)
    first = provider.load()
    token_file.write_text("token-two")  # rotated by the kubelet
    container.auth_token = "token-two"
    second = provider.load()
    assert first is not None and second is not None and first.access_key != second.access_key
    assert container.authorizations == ["token-one", "token-two"]


def test_retries_three_times_then_a_typed_error(cloud_env: dict[str, str],
                                                container: FakeContainer) -> None:
    env = {**cloud_env, "AWS_CONTAINER_CREDENTIALS_FULL_URI": full_uri(container)}
    container.fail("500")
    container.fail("bad_json")
    assert ContainerProvider(environ=env, sleep=no_sleep).load() is not None
    assert container.count() == 3
    container.fail("500", times=3)
    with pytest.raises(CredentialProviderError) as info:
        ContainerProvider(environ=env, sleep=no_sleep).load()
    assert info.value.provider == "container-role"
    assert "after 3 attempts, last: HTTP 500" in str(info.value)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:80/creds", True),
        ("http://127.0.0.2/creds", True),
        ("http://[::1]/creds", True),
        ("http://localhost/creds", True),
        ("http://169.254.170.2/creds", True),
        ("http://169.254.170.23/v1/credentials", True),
        ("http://[fd00:ec2::23]/v1/credentials", True),
        ("https://creds.example.com/x", True),
        ("http://169.254.169.254/latest", False),
        ("http://creds.example.com/x", False),
        ("http://10.0.0.1/x", False),
    ],
)
def test_allowed_hosts_match_botocore(cloud_env: dict[str, str], url: str, allowed: bool) -> None:
    from botocore.utils import ContainerMetadataFetcher

    try:
        ContainerMetadataFetcher()._validate_allowed_url(url)
        theirs = True
    except ValueError:
        theirs = False
    assert theirs is allowed

    def send(method: str, url: str, headers: Mapping[str, str], body: bytes | None,
             timeout: float, proxies: Mapping[str, str] | None) -> HttpReply:
        return HttpReply(200, {}, b'{"AccessKeyId": "A", "SecretAccessKey": "S", "Token": "T",'
                         b' "Expiration": "2099-01-01T00:00:00Z"}')

    env = {**cloud_env, "AWS_CONTAINER_CREDENTIALS_FULL_URI": url}
    if allowed:
        assert ContainerProvider(environ=env, send=send).load() is not None
    else:
        with pytest.raises(CredentialProviderError, match="is not allowed"):
            ContainerProvider(environ=env, send=send).load()


def test_broken_answers_and_tokens(cloud_env: dict[str, str], container: FakeContainer,
                                   tmp_path: Path) -> None:
    env = {**cloud_env, "AWS_CONTAINER_CREDENTIALS_FULL_URI": full_uri(container),
           "AWS_CONTAINER_AUTHORIZATION_TOKEN": "two\nlines"}
    with pytest.raises(CredentialProviderError, match="line break"):
        ContainerProvider(environ=env).load()
    env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = str(tmp_path / "missing")
    with pytest.raises(CredentialProviderError, match="cannot read"):
        ContainerProvider(environ=env).load()
    assert container.count() == 0
    del env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    container.path = "/elsewhere"  # 404 three times
    with pytest.raises(CredentialProviderError, match="HTTP 404"):
        ContainerProvider(environ=env, sleep=no_sleep).load()


def test_not_configured_is_none(cloud_env: dict[str, str]) -> None:
    assert ContainerProvider(environ=cloud_env).load() is None
    env = {**cloud_env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": ""}
    assert ContainerProvider(environ=env).load() is None


def test_same_request_as_botocore(cloud_env: dict[str, str], container: FakeContainer,
                                  monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import botocore.session

    token_file = tmp_path / "token"
    token_file.write_text("file-token")
    container.auth_token = "file-token"
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", full_uri(container))
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(token_file))
    theirs = botocore.session.Session().get_credentials()
    assert theirs is not None and theirs.method == "container-role"
    mine = CredentialsCache(ContainerProvider()).get()
    assert mine.access_key == container.issued[-1]["AccessKeyId"]
    first, second = container.requests
    assert (first.method, first.path) == (second.method, second.path)
    assert first.header("Authorization") == second.header("Authorization") == "file-token"
    assert first.header("Accept") == second.header("Accept")
