"""No secret of any cloud credential source appears in an error (or its causes) or a log line.

Each case drives a provider through failures, at DEBUG logging, with secrets planted wherever
the source has them (issued keys and tokens, the web identity token, the container
authorization token, SSO access/refresh tokens and client secret, a source profile's key).
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hub.credentials import (
    AssumeRoleProvider,
    ContainerProvider,
    CredentialsCache,
    InstanceMetadataProvider,
    SSOProvider,
    WebIdentityProvider,
    default_chain,
)
from hub.credentials._sso import sso_cache_key
from hub.errors import HubError
from tests.servers.cloud import FakeContainer, FakeIMDS, FakeSSO, FakeSTS, iso
from tests.servers.responses import Response

WEB_TOKEN = "eyJWEBIDENTITYSECRETTOKEN.payload.signature"
CONTAINER_TOKEN = "Bearer CONTAINERSECRETAUTHTOKEN"
SOURCE_SECRET = "SOURCEPROFILESECRETKEYvalue0123456789"
SSO_ACCESS = "SSOACCESSTOKENSECRETvalue"
SSO_REFRESH = "SSOREFRESHTOKENSECRETvalue"
SSO_CLIENT_SECRET = "SSOCLIENTSECRETvalue"


def everything_said(run: Callable[[], object], caplog: pytest.LogCaptureFixture) -> str:
    """Run, and return every log line plus the error's str/repr/traceback with its causes."""
    caplog.clear()
    text = ""
    with caplog.at_level(logging.DEBUG, logger="hub"):
        try:
            run()
        except HubError as exc:
            # With every frame's locals, as Sentry records them (skipping this test's frame).
            text = "".join(traceback.TracebackException(
                type(exc), exc, exc.__traceback__ and exc.__traceback__.tb_next,
                capture_locals=True).format()) + repr(exc)
            cause: BaseException | None = exc
            while cause is not None:
                text += f"\n{cause!s} {cause!r}"
                cause = cause.__cause__ or cause.__context__
    return text + "\n" + caplog.text + "\n".join(repr(r.args) for r in caplog.records)


def secrets_of(*fakes: FakeIMDS | FakeContainer | FakeSTS | FakeSSO) -> list[str]:
    found = [WEB_TOKEN, CONTAINER_TOKEN, SOURCE_SECRET, SSO_ACCESS, SSO_REFRESH,
             SSO_CLIENT_SECRET]
    for fake in fakes:
        for issued in fake.issued:
            found += [issued["SecretAccessKey"], issued["Token"]]
    return found


def assert_clean(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"secret {secret[:6]}... leaked"


def test_imds_errors_and_logs(cloud_env: dict[str, str], imds: FakeIMDS,
                              caplog: pytest.LogCaptureFixture) -> None:
    env = {**cloud_env, "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url,
           "AWS_METADATA_SERVICE_NUM_ATTEMPTS": "2"}
    provider = InstanceMetadataProvider(environ=env)
    said = everything_said(provider.load, caplog)
    # A credentials body that has the secret but lacks a field; bad JSON; an outage.
    body = json.dumps({"AccessKeyId": "A", "SecretAccessKey": "HALFSECRETKEYinbody",
                       "Code": "Success"}).encode()
    imds.route("/latest/meta-data/iam/security-credentials/" + imds.role, Response(200, body))
    said += everything_said(provider.load, caplog)
    said += everything_said(InstanceMetadataProvider(environ=env).load, caplog)
    imds.reset()
    imds.set_default(Response(500, b"SECRETINERRORBODY"))
    said += everything_said(provider.load, caplog)  # static stability: extends, logs
    assert "extended" in said
    assert_clean(said, [*secrets_of(imds), "HALFSECRETKEYinbody", "SECRETINERRORBODY"])


def test_container_errors_and_logs(cloud_env: dict[str, str], container: FakeContainer,
                                   caplog: pytest.LogCaptureFixture) -> None:
    container.auth_token = CONTAINER_TOKEN
    env = {**cloud_env, "AWS_CONTAINER_CREDENTIALS_FULL_URI": container.url + container.path
           + "?secret=QUERYSECRETVALUE", "AWS_CONTAINER_AUTHORIZATION_TOKEN": CONTAINER_TOKEN}
    container.path += ""  # the query is not part of the path
    said = everything_said(ContainerProvider(environ=env, sleep=lambda _: None).load, caplog)
    container.set_default(Response(500, CONTAINER_TOKEN.encode()))
    said += everything_said(ContainerProvider(environ=env, sleep=lambda _: None).load, caplog)
    assert "HTTP 500" in said
    assert_clean(said, [*secrets_of(container), "QUERYSECRETVALUE"])


def test_sts_providers_errors_and_logs(cloud_env: dict[str, str], sts: FakeSTS, tmp_path: Path,
                                       caplog: pytest.LogCaptureFixture) -> None:
    token = tmp_path / "token"
    token.write_text(WEB_TOKEN)
    Path(cloud_env["AWS_CONFIG_FILE"]).write_text(
        "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n")
    Path(cloud_env["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        f"[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = {SOURCE_SECRET}\n")
    env = {**cloud_env, "AWS_ENDPOINT_URL_STS": sts.url, "AWS_ROLE_ARN": "arn:aws:iam::1:role/w",
           "AWS_WEB_IDENTITY_TOKEN_FILE": str(token)}
    said = ""
    for kind in ("access_denied", "expired_token", "bad_xml", None):
        for provider in (WebIdentityProvider(environ=env),
                         AssumeRoleProvider("role", environ=env)):
            if kind is not None:
                sts.fail(kind, times=2)
            said += everything_said(provider.load, caplog)
            sts.clear_faults()
    assert "AccessDenied" in said and "ExpiredTokenException" in said
    said += everything_said(lambda: CredentialsCache(default_chain("role", env)).get(), caplog)
    assert_clean(said, secrets_of(sts))


def test_sso_errors_and_logs(cloud_env: dict[str, str], sso: FakeSSO,
                             caplog: pytest.LogCaptureFixture) -> None:
    start = "https://d-1.awsapps.com/start"
    Path(cloud_env["AWS_CONFIG_FILE"]).write_text(
        "[profile dev]\nsso_session = s\nsso_account_id = 1\nsso_role_name = r\n"
        f"[sso-session s]\nsso_start_url = {start}\nsso_region = us-east-1\n")
    cache = Path(cloud_env["HOME"]) / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    now = datetime.now(timezone.utc)
    (cache / f"{sso_cache_key(start, 's')}.json").write_text(json.dumps({
        "accessToken": SSO_ACCESS, "expiresAt": iso(now - timedelta(minutes=1)),
        "refreshToken": SSO_REFRESH, "clientId": "cid", "clientSecret": SSO_CLIENT_SECRET,
        "registrationExpiresAt": iso(now + timedelta(days=1))}))
    env = {**cloud_env, "AWS_ENDPOINT_URL_SSO": sso.url, "AWS_ENDPOINT_URL_SSO_OIDC": sso.url}
    said = everything_said(SSOProvider("dev", environ=env).load, caplog)  # refresh refused
    assert "aws sso login" in said
    sso.refresh_tokens.add(SSO_REFRESH)
    sso.fail("unauthorized", op="GetRoleCredentials")
    said += everything_said(SSOProvider("dev", environ=env).load, caplog)  # refreshed, then 401
    said += everything_said(SSOProvider("dev", environ=env).load, caplog)  # works
    new_tokens = [t for t in sso.valid_tokens]
    assert_clean(said, [*secrets_of(sso), *new_tokens, *sso.refresh_tokens])
