"""Web identity and assume-role profiles against a fake STS on 127.0.0.1."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from hub.credentials import (
    AssumeRoleProvider,
    Credentials,
    CredentialsCache,
    WebIdentityProvider,
)
from hub.credentials._http import HttpReply
from hub.credentials._sts import StsCall
from hub.errors import CredentialProviderError
from tests.servers.cloud import FakeContainer, FakeIMDS, FakeSTS

SOURCE_SECRET = "sourceSecretKey/EXAMPLEKEY0123456789"
ROLE = "arn:aws:iam::123456789012:role/hub-test"

sleeps: list[float] = []
fast_sts = functools.partial(StsCall, sleep=sleeps.append)


def write(path: str, text: str) -> None:
    Path(path).write_text(text)


# -- web identity -------------------------------------------------------------------------------


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text("eyJhbGciOiJSUzI1NiJ9.first-token.sig\n")
    return path


def web_env(cloud_env: dict[str, str], sts: FakeSTS, token_file: Path) -> dict[str, str]:
    return {**cloud_env, "AWS_ENDPOINT_URL_STS": sts.url, "AWS_ROLE_ARN": ROLE,
            "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file)}


def test_web_identity_from_env_is_unsigned_and_sends_the_token(
    cloud_env: dict[str, str], sts: FakeSTS, token_file: Path
) -> None:
    env = {**web_env(cloud_env, sts, token_file), "AWS_ROLE_SESSION_NAME": "pod-1"}
    creds = WebIdentityProvider(environ=env).load()
    assert creds is not None and creds.access_key == sts.issued[-1]["AccessKeyId"]
    assert creds.token == sts.issued[-1]["Token"] and creds.expiry is not None
    (call,) = sts.calls
    assert call["Action"] == "AssumeRoleWithWebIdentity" and call["Version"] == "2011-06-15"
    assert call["_signed"] == "no" and call["RoleArn"] == ROLE
    assert call["RoleSessionName"] == "pod-1"
    assert call["WebIdentityToken"] == "eyJhbGciOiJSUzI1NiJ9.first-token.sig"


def test_web_identity_rereads_a_rotated_token_on_refresh(
    cloud_env: dict[str, str], sts: FakeSTS, token_file: Path
) -> None:
    cache = CredentialsCache(WebIdentityProvider(environ=web_env(cloud_env, sts, token_file)))
    first = cache.get()
    token_file.write_text("second-token")
    cache.invalidate()  # what a refresh does: load again
    second = cache.get()
    assert first.access_key != second.access_key
    assert [c["WebIdentityToken"] for c in sts.calls] == [
        "eyJhbGciOiJSUzI1NiJ9.first-token.sig", "second-token"]


def test_web_identity_from_profile_keys_and_default_session_name(
    cloud_env: dict[str, str], sts: FakeSTS, token_file: Path
) -> None:
    write(cloud_env["AWS_CONFIG_FILE"],
          f"[profile irsa]\nweb_identity_token_file = {token_file}\nrole_arn = {ROLE}\n")
    env = {**cloud_env, "AWS_ENDPOINT_URL_STS": sts.url}
    assert WebIdentityProvider("irsa", environ=env).load() is not None
    assert sts.calls[0]["RoleSessionName"].startswith("hub-session-")
    # Variables win over the profile, unless they are switched off (a source_profile).
    assert WebIdentityProvider("irsa", environ={**env, "AWS_ROLE_ARN": "arn:x"}).load()
    assert sts.calls[-1]["RoleArn"] == "arn:x"
    assert WebIdentityProvider("irsa", environ={**env, "AWS_ROLE_ARN": "arn:x"},
                               use_env=False).load()
    assert sts.calls[-1]["RoleArn"] == ROLE


def test_web_identity_throttle_and_expired_token_are_retried(
    cloud_env: dict[str, str], sts: FakeSTS, token_file: Path
) -> None:
    env = web_env(cloud_env, sts, token_file)
    sts.fail("throttle", times=2)
    sleeps.clear()
    assert WebIdentityProvider(environ=env, sts=fast_sts).load() is not None
    assert sts.count("AssumeRoleWithWebIdentity") == 3 and len(sleeps) == 2
    sts.fail("expired_token")
    assert WebIdentityProvider(environ=env, sts=fast_sts).load() is not None
    assert sts.count("AssumeRoleWithWebIdentity") == 5  # the token file re-read, retried once


def test_web_identity_failures_are_typed(
    cloud_env: dict[str, str], sts: FakeSTS, token_file: Path
) -> None:
    env = web_env(cloud_env, sts, token_file)
    sts.fail("expired_token", times=2)
    with pytest.raises(CredentialProviderError) as info:
        WebIdentityProvider(environ=env, sts=fast_sts).load()
    assert info.value.provider == "assume-role-with-web-identity"
    assert "ExpiredTokenException" in str(info.value)
    sts.fail("access_denied")
    with pytest.raises(CredentialProviderError, match="AccessDenied"):
        WebIdentityProvider(environ=env, sts=fast_sts).load()
    sts.fail("throttle", times=3)
    with pytest.raises(CredentialProviderError, match="Throttling"):
        WebIdentityProvider(environ=env, sts=fast_sts).load()
    sts.fail("bad_xml")
    with pytest.raises(CredentialProviderError, match="could not parse|unexpected response"):
        WebIdentityProvider(environ=env, sts=fast_sts).load()
    sts.fail("reset", times=3)
    with pytest.raises(CredentialProviderError, match="ConnectionClosedError|connection"):
        WebIdentityProvider(environ=env, sts=fast_sts).load()
    del env["AWS_ROLE_ARN"]
    with pytest.raises(CredentialProviderError, match="AWS_ROLE_ARN"):
        WebIdentityProvider(environ=env).load()
    env["AWS_ROLE_ARN"] = ROLE
    env["AWS_WEB_IDENTITY_TOKEN_FILE"] = str(token_file) + ".missing"
    with pytest.raises(CredentialProviderError, match="cannot read the web identity token"):
        WebIdentityProvider(environ=env).load()
    assert WebIdentityProvider(environ=cloud_env).load() is None


class Recorder:
    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
                 timeout: float, proxies: Mapping[str, str] | None) -> HttpReply:
        self.urls.append(url)
        return HttpReply(
            200, {},
            b'<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>'
            b"<AccessKeyId>A</AccessKeyId><SecretAccessKey>S</SecretAccessKey>"
            b"<SessionToken>T</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>"
            b"</Credentials></AssumeRoleWithWebIdentityResult>"
            b"</AssumeRoleWithWebIdentityResponse>")


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({}, "https://sts.amazonaws.com/"),
        ({"AWS_REGION": "eu-west-1"}, "https://sts.eu-west-1.amazonaws.com/"),
        ({"AWS_DEFAULT_REGION": "cn-north-1"}, "https://sts.cn-north-1.amazonaws.com.cn/"),
        ({"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
         "http://127.0.0.1:9/"),
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:8"},
         "http://127.0.0.1:8/"),
        ({"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:8", "AWS_REGION": "us-west-2",
          "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, "https://sts.us-west-2.amazonaws.com/"),
    ],
)
def test_sts_endpoint_selection(cloud_env: dict[str, str], token_file: Path,
                                env: dict[str, str], url: str) -> None:
    send = Recorder()
    environ = {**cloud_env, **env, "AWS_ROLE_ARN": ROLE,
               "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file)}

    def sts(region: str | None, *, environ: Mapping[str, str], credentials: Any = None
            ) -> StsCall:
        return StsCall(region, environ=environ, credentials=credentials, send=send)

    assert WebIdentityProvider(environ=environ, sts=sts).load() is not None
    assert send.urls == [url]


# -- assume role --------------------------------------------------------------------------------


def role_files(cloud_env: dict[str, str], config: str, credentials: str = "") -> None:
    write(cloud_env["AWS_CONFIG_FILE"], config)
    write(cloud_env["AWS_SHARED_CREDENTIALS_FILE"], credentials)


def test_assume_role_with_source_profile(cloud_env: dict[str, str], sts: FakeSTS) -> None:
    role_files(
        cloud_env,
        f"[profile dev]\nrole_arn = {ROLE}\nsource_profile = base\nexternal_id = ext-42\n"
        "role_session_name = me\nduration_seconds = 1800\nregion = eu-west-1\n",
        f"[base]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = {SOURCE_SECRET}\n",
    )
    env = {**cloud_env, "AWS_ENDPOINT_URL_STS": sts.url}
    creds = AssumeRoleProvider("dev", environ=env).load()
    assert creds is not None and creds.access_key == sts.issued[-1]["AccessKeyId"]
    (call,) = sts.calls
    assert call["Action"] == "AssumeRole" and call["RoleArn"] == ROLE
    assert (call["ExternalId"], call["RoleSessionName"], call["DurationSeconds"]) == (
        "ext-42", "me", "1800")
    auth = sts.requests[-1].header("Authorization") or ""
    assert "Credential=AKIDSOURCE/" in auth and "/eu-west-1/sts/aws4_request" in auth
    # Not a role profile: nothing to do.
    assert AssumeRoleProvider("base", environ=env).load() is None


def test_role_chain_signs_each_step_with_the_previous_role(
    cloud_env: dict[str, str], sts: FakeSTS
) -> None:
    role_files(
        cloud_env,
        f"[profile top]\nrole_arn = {ROLE}-top\nsource_profile = middle\n"
        f"[profile middle]\nrole_arn = {ROLE}-middle\nsource_profile = base\n",
        f"[base]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = {SOURCE_SECRET}\n",
    )
    env = {**cloud_env, "AWS_ENDPOINT_URL_STS": sts.url}
    provider = AssumeRoleProvider("top", environ=env)
    creds = provider.load()
    assert [c["RoleArn"] for c in sts.calls] == [f"{ROLE}-middle", f"{ROLE}-top"]
    first, second = sts.requests
    assert "Credential=AKIDSOURCE/" in (first.header("Authorization") or "")
    assert f"Credential={sts.issued[0]['AccessKeyId']}/" in (second.header("Authorization")
                                                              or "")
    assert creds is not None and creds.access_key == sts.issued[1]["AccessKeyId"]
    # The middle role's credentials are cached between loads of the top one.
    provider.load()
    assert [c["RoleArn"] for c in sts.calls][2:] == [f"{ROLE}-top"]


def test_cycles_and_bad_configuration_are_typed_errors(cloud_env: dict[str, str]) -> None:
    cases = {
        "[profile a]\nrole_arn = r\nsource_profile = b\n[profile b]\nrole_arn = r\n"
        "source_profile = a\n": "source_profile cycle: a -> b -> a",
        "[profile a]\nrole_arn = r\nsource_profile = a\n": "source_profile cycle: a -> a",
        "[profile a]\nrole_arn = r\n": "neither source_profile nor credential_source",
        "[profile a]\nrole_arn = r\nsource_profile = b\ncredential_source = Environment\n":
            "both source_profile and credential_source",
        "[profile a]\nrole_arn = r\nsource_profile = ghost\n": "'ghost' of profile 'a' does not",
        "[profile a]\nrole_arn = r\ncredential_source = Laptop\n": "'Laptop' is not one of",
        "[profile a]\nrole_arn = r\nsource_profile = b\n[profile b]\nregion = x\n":
            "source profile 'b' has no credentials",
    }
    for config, message in cases.items():
        role_files(cloud_env, config)
        with pytest.raises(CredentialProviderError) as info:
            AssumeRoleProvider("a", environ=cloud_env).load()
        assert info.value.provider == "assume-role"
        assert message in str(info.value), (config, str(info.value))


def test_a_profile_may_source_its_own_static_keys(cloud_env: dict[str, str], sts: FakeSTS
                                                   ) -> None:
    role_files(cloud_env, f"[profile a]\nrole_arn = {ROLE}\nsource_profile = a\n",
               f"[a]\naws_access_key_id = AKIDSELF\naws_secret_access_key = {SOURCE_SECRET}\n")
    env = {**cloud_env, "AWS_ENDPOINT_URL_STS": sts.url}
    assert AssumeRoleProvider("a", environ=env).load() is not None
    assert "Credential=AKIDSELF/" in (sts.requests[-1].header("Authorization") or "")


def test_credential_sources(cloud_env: dict[str, str], sts: FakeSTS, imds: FakeIMDS,
                            container: FakeContainer) -> None:
    env = {**cloud_env, "AWS_ENDPOINT_URL_STS": sts.url,
           "AWS_ACCESS_KEY_ID": "AKIDFROMENV", "AWS_SECRET_ACCESS_KEY": SOURCE_SECRET,
           "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url,
           "AWS_CONTAINER_CREDENTIALS_FULL_URI": container.url + container.path}
    expected = {"Environment": "AKIDFROMENV",
                "Ec2InstanceMetadata": lambda: imds.issued[-1]["AccessKeyId"],
                "EcsContainer": lambda: container.issued[-1]["AccessKeyId"]}
    for source, key in expected.items():
        role_files(cloud_env, f"[default]\nrole_arn = {ROLE}\ncredential_source = {source}\n")
        assert AssumeRoleProvider(environ=env).load() is not None
        want = key if isinstance(key, str) else key()
        assert f"Credential={want}/" in (sts.requests[-1].header("Authorization") or "")


def test_mfa_needs_a_token_callback(cloud_env: dict[str, str], sts: FakeSTS) -> None:
    serial = "arn:aws:iam::123456789012:mfa/me"
    role_files(cloud_env, f"[profile mfa]\nrole_arn = {ROLE}\nsource_profile = base\n"
               f"mfa_serial = {serial}\n",
               f"[base]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = {SOURCE_SECRET}\n")
    env = {**cloud_env, "AWS_ENDPOINT_URL_STS": sts.url}
    with pytest.raises(CredentialProviderError) as info:
        AssumeRoleProvider("mfa", environ=env).load()
    assert "mfa_token" in str(info.value) and "mfa_serial" in str(info.value)
    assert sts.calls == []
    asked: list[str] = []

    def code(serial: str) -> str:
        asked.append(serial)
        return "123456"

    assert AssumeRoleProvider("mfa", environ=env, mfa_token=code).load() is not None
    assert asked == [serial]
    assert (sts.calls[-1]["SerialNumber"], sts.calls[-1]["TokenCode"]) == (serial, "123456")


def test_expired_source_token_reloads_the_source_once(cloud_env: dict[str, str], sts: FakeSTS,
                                                      container: FakeContainer) -> None:
    role_files(cloud_env, f"[default]\nrole_arn = {ROLE}\ncredential_source = EcsContainer\n")
    env = {**cloud_env, "AWS_ENDPOINT_URL_STS": sts.url,
           "AWS_CONTAINER_CREDENTIALS_FULL_URI": container.url + container.path}
    provider = AssumeRoleProvider(environ=env, sts=fast_sts)
    assert provider.load() is not None
    sts.fail("expired_token", op="AssumeRole")
    assert provider.load() is not None
    assert container.count() == 2  # the source was reloaded after ExpiredTokenException
    signers = [(r.header("Authorization") or "").split("Credential=")[1].split("/")[0]
               for r in sts.requests]
    assert signers == [container.issued[0]["AccessKeyId"]] * 2 + [
        container.issued[1]["AccessKeyId"]]


def test_same_assume_role_call_as_botocore(cloud_env: dict[str, str], sts: FakeSTS,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.session

    role_files(
        cloud_env,
        f"[profile dev]\nrole_arn = {ROLE}\nsource_profile = base\nexternal_id = ext\n"
        "role_session_name = same\nduration_seconds = 900\nregion = us-west-2\n",
        f"[base]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = {SOURCE_SECRET}\n",
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
    theirs = botocore.session.Session(profile="dev").get_credentials()
    assert theirs is not None and theirs.method == "assume-role"
    theirs.get_frozen_credentials()  # botocore defers the call until first use
    mine = AssumeRoleProvider("dev").load()
    assert isinstance(mine, Credentials)
    botocore_call, hub_call = sts.calls
    assert botocore_call == hub_call
    scopes = [(r.header("Authorization") or "").split("Credential=")[1].split(",")[0]
              for r in sts.requests]
    assert all(s.startswith("AKIDSOURCE/") and s.endswith("/us-west-2/sts/aws4_request")
               for s in scopes), scopes


# -- through a session, and against moto's STS ---------------------------------------------------


def test_session_profile_and_aws_profile_pick_the_role(
    cloud_env: dict[str, str], sts: FakeSTS, local_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hub
    from tests.servers.responses import ok

    local_server.set_default(ok(b'<?xml version="1.0"?><ListAllMyBucketsResult><Buckets>'
                                b"</Buckets></ListAllMyBucketsResult>",
                                content_type="application/xml"))
    role_files(cloud_env, f"[profile dev]\nrole_arn = {ROLE}\nsource_profile = base\n",
               f"[base]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = {SOURCE_SECRET}\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")  # an explicit profile skips these
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SOURCE_SECRET)
    config = hub.Config(region="us-east-1", endpoint_url=local_server.url)
    hub.Session(config.merge(hub.Config(profile="dev"))).client("s3").list_buckets()
    role_key = sts.issued[-1]["AccessKeyId"]
    assert f"Credential={role_key}/" in (local_server.requests[-1].header("Authorization") or "")
    # AWS_PROFILE selects the same profile, but the environment's keys come first (botocore).
    monkeypatch.setenv("AWS_PROFILE", "dev")
    hub.Session(config).client("s3").list_buckets()
    assert "Credential=AKIDENV/" in (local_server.requests[-1].header("Authorization") or "")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    hub.Session(config).client("s3").list_buckets()
    assert sts.count("AssumeRole") == 2


def test_assume_role_and_web_identity_against_moto(cloud_env: dict[str, str], moto: Any,
                                                   token_file: Path) -> None:
    role_files(cloud_env, f"[profile dev]\nrole_arn = {ROLE}\nsource_profile = base\n"
               "duration_seconds = 900\n",
               "[base]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = x\n")
    env = {**cloud_env, "AWS_ENDPOINT_URL_STS": moto.url, "AWS_REGION": "us-east-1"}
    creds = AssumeRoleProvider("dev", environ=env).load()
    assert creds is not None and creds.token and creds.expiry is not None
    web = WebIdentityProvider(environ={**env, "AWS_ROLE_ARN": ROLE,
                                       "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file)}).load()
    assert web is not None and web.access_key != creds.access_key
