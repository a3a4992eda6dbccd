"""The SSO provider against a fake SSO portal + OIDC on 127.0.0.1 (and botocore beside it)."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from hub.credentials import SSOProvider
from hub.credentials._sso import sso_cache_key
from hub.errors import CredentialProviderError, SSOTokenExpiredError
from tests.servers.cloud import FakeSSO, iso

START_URL = "https://d-1234567890.awsapps.com/start"

SESSION_CONFIG = (
    "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\n"
    "sso_role_name = Developer\n"
    f"[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\n"
    "sso_registration_scopes = sso:account:access\n"
)
LEGACY_CONFIG = (
    f"[profile old]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n"
    "sso_account_id = 111122223333\nsso_role_name = ReadOnly\n"
)


def cache_file(home: str, name: str) -> Path:
    return Path(home) / ".aws" / "sso" / "cache" / f"{sso_cache_key(START_URL, name)}.json"


def put_token(home: str, session: str | None, *, expires_in: float, token: str = "sso-access-0",
              refresh: bool = True, registration_in: float = 86400.0) -> Path:
    path = cache_file(home, session) if session else cache_file(home, None)
    path.parent.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    data: dict[str, Any] = {"startUrl": START_URL, "region": "eu-west-1", "accessToken": token,
                            "expiresAt": iso(now + timedelta(seconds=expires_in))}
    if refresh:
        data |= {"refreshToken": "sso-refresh-0", "clientId": "client-id",
                 "clientSecret": "client-secret-value",
                 "registrationExpiresAt": iso(now + timedelta(seconds=registration_in))}
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def sso_env(cloud_env: dict[str, str], sso: FakeSSO) -> dict[str, str]:
    Path(cloud_env["AWS_CONFIG_FILE"]).write_text(SESSION_CONFIG + LEGACY_CONFIG)
    sso.valid_tokens.add("sso-access-0")
    sso.refresh_tokens.add("sso-refresh-0")
    return {**cloud_env, "AWS_ENDPOINT_URL_SSO": sso.url, "AWS_ENDPOINT_URL_SSO_OIDC": sso.url}


def test_cache_key_matches_botocore() -> None:
    from botocore.utils import SSOTokenLoader

    loader = SSOTokenLoader()
    assert sso_cache_key(START_URL, None) == loader._generate_cache_key(START_URL, None)
    assert sso_cache_key(START_URL, "corp") == loader._generate_cache_key(START_URL, "corp")


def test_sso_session_profile(sso_env: dict[str, str], sso: FakeSSO) -> None:
    put_token(sso_env["HOME"], "corp", expires_in=3600 * 4)
    creds = SSOProvider("dev", environ=sso_env).load()
    issued = sso.issued[-1]
    assert creds is not None and creds.access_key == issued["AccessKeyId"]
    assert creds.expiry is not None and iso(creds.expiry) == issued["Expiration"]
    call = sso.calls[-1]
    assert (call["role_name"], call["account_id"], call["token"]) == (
        "Developer", "111122223333", "sso-access-0")
    assert sso.count("CreateToken") == 0  # far from expiry: no refresh


def test_legacy_profile_and_expired_legacy_token(sso_env: dict[str, str], sso: FakeSSO) -> None:
    put_token(sso_env["HOME"], None, expires_in=600, refresh=False)
    assert SSOProvider("old", environ=sso_env).load() is not None
    put_token(sso_env["HOME"], None, expires_in=-5, refresh=False)
    with pytest.raises(SSOTokenExpiredError) as info:
        SSOProvider("old", environ=sso_env).load()
    assert "aws sso login --profile old" in str(info.value)
    assert info.value.provider == "sso"
    assert sso.count("GetRoleCredentials") == 1  # no call with an expired token


def test_token_near_expiry_is_refreshed_and_saved(sso_env: dict[str, str], sso: FakeSSO) -> None:
    path = put_token(sso_env["HOME"], "corp", expires_in=300)  # inside the 15-minute window
    creds = SSOProvider("dev", environ=sso_env).load()
    assert creds is not None
    assert sso.count("CreateToken") == 1
    create = next(c for c in sso.calls if c["op"] == "CreateToken")
    assert (create["grantType"], create["refreshToken"], create["clientId"]) == (
        "refresh_token", "sso-refresh-0", "client-id")
    saved = json.loads(path.read_text())
    assert saved["accessToken"] == sso.calls[-1]["token"] != "sso-access-0"
    assert saved["refreshToken"] != "sso-refresh-0" and saved["clientSecret"] == (
        "client-secret-value")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".hub-sso-")]


def test_expired_token_whose_refresh_fails_says_run_sso_login(
    sso_env: dict[str, str], sso: FakeSSO
) -> None:
    put_token(sso_env["HOME"], "corp", expires_in=-60)
    sso.fail("invalid_grant", op="CreateToken")
    with pytest.raises(SSOTokenExpiredError) as info:
        SSOProvider("dev", environ=sso_env).load()
    assert "aws sso login --sso-session corp" in str(info.value)
    assert "client-secret-value" not in str(info.value)
    # A registration that expired is not even tried.
    put_token(sso_env["HOME"], "corp", expires_in=-60, registration_in=-1)
    with pytest.raises(SSOTokenExpiredError):
        SSOProvider("dev", environ=sso_env).load()
    assert sso.count("CreateToken") == 1


def test_rejected_token_and_missing_cache(sso_env: dict[str, str], sso: FakeSSO) -> None:
    with pytest.raises(SSOTokenExpiredError, match="no cached SSO token"):
        SSOProvider("dev", environ=sso_env).load()
    put_token(sso_env["HOME"], "corp", expires_in=3600 * 4, token="revoked")
    with pytest.raises(SSOTokenExpiredError, match="expired or is otherwise invalid"):
        SSOProvider("dev", environ=sso_env).load()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[profile p]\nsso_account_id = 1\n", "lacks sso_role_name, sso_start_url, sso_region"),
        ("[profile p]\nsso_session = nope\nsso_account_id = 1\nsso_role_name = r\n",
         "sso-session 'nope' does not exist"),
        (SESSION_CONFIG + "[profile p]\nsso_session = corp\nsso_account_id = 1\n"
         "sso_role_name = r\nsso_region = us-east-2\n", "sso_region differs"),
    ],
)
def test_incomplete_configuration(cloud_env: dict[str, str], config: str, message: str) -> None:
    Path(cloud_env["AWS_CONFIG_FILE"]).write_text(config)
    with pytest.raises(CredentialProviderError) as info:
        SSOProvider("p", environ=cloud_env).load()
    assert info.value.provider == "sso" and message in str(info.value)


def test_not_an_sso_profile(cloud_env: dict[str, str]) -> None:
    Path(cloud_env["AWS_CONFIG_FILE"]).write_text("[profile p]\nregion = eu-west-1\n")
    assert SSOProvider("p", environ=cloud_env).load() is None


def test_same_credentials_call_as_botocore(sso_env: dict[str, str], sso: FakeSSO,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.credentials
    import botocore.session
    import botocore.tokens

    path = put_token(sso_env["HOME"], "corp", expires_in=3600 * 4)
    # botocore fixes its cache directory when first imported (maybe under another HOME).
    for cls in (botocore.credentials.SSOProvider, botocore.tokens.SSOTokenProvider):
        monkeypatch.setattr(cls, "_SSO_TOKEN_CACHE_DIR", str(path.parent))
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", sso.url)
    theirs = botocore.session.Session(profile="dev").get_credentials()
    assert theirs is not None and theirs.method == "sso"
    theirs.get_frozen_credentials()
    assert SSOProvider("dev").load() is not None
    botocore_call, hub_call = sso.calls
    assert botocore_call == hub_call
    first, second = sso.requests
    assert (first.method, first.path) == (second.method, second.path)
