"""The default chain picks the same source as botocore's, for the same files and environment."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from hub.credentials import default_chain
from tests.servers.cloud import FakeContainer, FakeSSO, FakeSTS

SECRET = "chainTestSecret/0123456789abcdefEXAMPLE"
ROLE = "arn:aws:iam::123456789012:role/chain"
START_URL = "https://d-1234567890.awsapps.com/start"

# hub's provider names are botocore's METHOD names, except this one.
BOTOCORE_NAME = {"shared-config-file": "config-file"}


def keys(name: str) -> str:
    return f"aws_access_key_id = AKID{name.upper()}\naws_secret_access_key = {SECRET}\n"


SCENARIOS = {
    "env beats the credentials file": (
        None, {"ENV": "1"}, "[default]\n" + keys("cfgfile"), "[default]\n" + keys("credfile")),
    "AWS_PROFILE does not skip env": (
        None, {"ENV": "1", "AWS_PROFILE": "dev"},
        f"[profile dev]\nrole_arn = {ROLE}\nsource_profile = base\n", "[base]\n" + keys("base")),
    "an explicit profile skips env": (
        "dev", {"ENV": "1"},
        f"[profile dev]\nrole_arn = {ROLE}\nsource_profile = base\n", "[base]\n" + keys("base")),
    "web identity profile is not assume-role": (
        "wi", {}, f"[profile wi]\nrole_arn = {ROLE}\nweb_identity_token_file = TOKEN\n", ""),
    "web identity env beats the credentials file": (
        None, {"WEBID": "1"}, "", "[default]\n" + keys("credfile")),
    "sso beats the credentials file": (
        "sso", {}, f"[profile sso]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n"
        "sso_account_id = 1\nsso_role_name = r\n", "[sso]\n" + keys("credfile")),
    "credentials file beats credential_process": (
        "p", {}, "[profile p]\ncredential_process = PROCESS\n", "[p]\n" + keys("credfile")),
    "credential_process beats config-file keys": (
        "p", {}, "[profile p]\ncredential_process = PROCESS\n" + keys("cfgfile"), ""),
    "config-file keys": ("p", {}, "[profile p]\n" + keys("cfgfile"), ""),
    "config-file beats the container": (
        None, {"CONTAINER": "1"}, "[default]\n" + keys("cfgfile"), ""),
    "container when nothing else": (None, {"CONTAINER": "1"}, "", ""),
    "assume-role before the container": (
        None, {"CONTAINER": "1"}, f"[default]\nrole_arn = {ROLE}\ncredential_source = "
        "EcsContainer\n", ""),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_same_winner_as_botocore(
    scenario: str, cloud_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    sts: FakeSTS, sso: FakeSSO, container: FakeContainer,
) -> None:
    import botocore.session

    profile, flags, config, credentials = SCENARIOS[scenario]
    token = tmp_path / "web-token"
    token.write_text("web-identity-token")
    script = tmp_path / "process.py"
    script.write_text(
        "import json; print(json.dumps({'Version': 1, 'AccessKeyId': 'AKIDPROCESS',"
        f" 'SecretAccessKey': {SECRET!r}}}))\n")
    process = f"{sys.executable} {script}"
    Path(cloud_env["AWS_CONFIG_FILE"]).write_text(
        config.replace("TOKEN", str(token)).replace("PROCESS", process))
    Path(cloud_env["AWS_SHARED_CREDENTIALS_FILE"]).write_text(credentials)
    sso_cache = tmp_path / ".aws" / "sso" / "cache"
    sso_cache.mkdir(parents=True)
    from hub.credentials._sso import sso_cache_key

    (sso_cache / f"{sso_cache_key(START_URL, None)}.json").write_text(json.dumps(
        {"accessToken": "tok", "expiresAt": "2099-01-01T00:00:00Z"}))
    sso.valid_tokens.add("tok")
    import botocore.credentials
    import botocore.tokens

    # botocore fixes its SSO cache directory when first imported (maybe under another HOME).
    for cls in (botocore.credentials.SSOProvider, botocore.tokens.SSOTokenProvider):
        monkeypatch.setattr(cls, "_SSO_TOKEN_CACHE_DIR", str(sso_cache))
    env = {"AWS_ENDPOINT_URL_STS": sts.url, "AWS_ENDPOINT_URL_SSO": sso.url,
           "AWS_DEFAULT_REGION": "us-east-1"}  # botocore needs a region for STS
    if "ENV" in flags:
        env |= {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": SECRET}
    if "WEBID" in flags:
        env |= {"AWS_WEB_IDENTITY_TOKEN_FILE": str(token), "AWS_ROLE_ARN": ROLE}
    if "CONTAINER" in flags:
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = container.url + container.path
    if "AWS_PROFILE" in flags:
        env["AWS_PROFILE"] = flags["AWS_PROFILE"]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"

    theirs = botocore.session.Session(profile=profile).get_credentials()
    assert theirs is not None
    frozen = theirs.get_frozen_credentials()

    chain = default_chain(profile)
    winner = None
    for provider in chain.providers:
        credentials_found = provider.load()
        if credentials_found is not None:
            winner = provider.name
            break
    assert winner is not None
    assert BOTOCORE_NAME.get(winner, winner) == theirs.method
    mine = chain.load()
    if frozen.access_key.startswith("AKID"):  # a static source: the very same key
        assert mine.access_key == frozen.access_key
