"""64 threads, one session: each credential source is asked once (cold) and once per refresh.

Each source is a fake on 127.0.0.1 that answers slowly (so the threads really pile up on the
load), found through the default chain exactly as in production (environment and files).
Every thread makes one S3 request to a local server; all must succeed, signed with the one
set of credentials the source handed out.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import hub
from hub.credentials import CredentialsCache
from tests._threads import run_in_threads
from tests.servers.cloud import FakeContainer, FakeIMDS, FakeSSO, FakeSTS, iso
from tests.servers.local import LocalServer
from tests.servers.responses import ok

THREADS = 64
LIST_BUCKETS = (b'<?xml version="1.0"?><ListAllMyBucketsResult><Buckets></Buckets>'
                b"</ListAllMyBucketsResult>")
SOURCES = ["iam-role", "container-role", "assume-role-with-web-identity", "assume-role", "sso"]


class Source:
    """A configured credential source: its fake, and how many loads it served."""

    def __init__(self, fake: FakeIMDS | FakeContainer | FakeSTS | FakeSSO, op: str) -> None:
        self.fake = fake
        self.op = op

    def loads(self) -> int:
        return self.fake.count(self.op)


@pytest.fixture
def source(request: pytest.FixtureRequest, cloud_env: dict[str, str],
           monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Source]:
    kind: str = request.param
    fake: FakeIMDS | FakeContainer | FakeSTS | FakeSSO
    if kind == "iam-role":
        fake = FakeIMDS()
        op = "credentials"
    elif kind == "container-role":
        fake = FakeContainer()
        op = "credentials"
    elif kind == "sso":
        fake = FakeSSO()
        op = "GetRoleCredentials"
    else:
        fake = FakeSTS()
        op = "AssumeRole" if kind == "assume-role" else "AssumeRoleWithWebIdentity"
    fake.start()
    fake.delay = 0.3  # a slow source: every thread arrives while the first load is running
    try:
        configure(kind, fake, cloud_env, monkeypatch, tmp_path)
        yield Source(fake, op)
    finally:
        fake.stop()


def configure(kind: str, fake: LocalServer, env: dict[str, str],
              monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = Path(env["AWS_CONFIG_FILE"])
    if kind == "iam-role":
        monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", fake.url)
        monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    elif kind == "container-role":
        assert isinstance(fake, FakeContainer)
        monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", fake.url + fake.path)
    elif kind == "assume-role-with-web-identity":
        token = tmp_path / "token"
        token.write_text("web-token")
        monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token))
        monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/herd")
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", fake.url)
    elif kind == "assume-role":
        config.write_text("[default]\nrole_arn = arn:aws:iam::123456789012:role/herd\n"
                          "source_profile = base\n")
        Path(env["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
            "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = baseSecret\n")
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", fake.url)
    else:
        assert isinstance(fake, FakeSSO)
        start = "https://d-1234567890.awsapps.com/start"
        config.write_text(
            "[default]\nsso_session = s\nsso_account_id = 1\nsso_role_name = r\n"
            f"[sso-session s]\nsso_start_url = {start}\nsso_region = us-east-1\n")
        from hub.credentials._sso import sso_cache_key

        cache = Path(env["HOME"]) / ".aws" / "sso" / "cache"
        cache.mkdir(parents=True)
        (cache / f"{sso_cache_key(start, 's')}.json").write_text(json.dumps(
            {"accessToken": "tok", "expiresAt": iso(datetime.now(timezone.utc)
                                                   + timedelta(hours=8))}))
        fake.valid_tokens.add("tok")
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", fake.url)


@pytest.fixture
def s3(local_server: LocalServer) -> LocalServer:
    local_server.set_default(ok(LIST_BUCKETS, content_type="application/xml"))
    return local_server


def herd(session: hub.Session) -> list[BaseException]:
    def one(_: int) -> None:
        session.client("s3").list_buckets()

    return run_in_threads(THREADS, one)


def signers(server: LocalServer) -> set[str]:
    return {(r.header("Authorization") or "").split("Credential=")[1].split("/")[0]
            for r in server.requests}


@pytest.mark.parametrize("source", SOURCES, indirect=True)
def test_cold_herd_loads_once(source: Source, s3: LocalServer) -> None:
    session = hub.Session(hub.Config(region="us-east-1", endpoint_url=s3.url))
    errors = herd(session)
    assert errors == []
    assert source.loads() == 1
    assert len(s3.requests) == THREADS
    assert signers(s3) == {source.fake.issued[0]["AccessKeyId"]}


@pytest.mark.parametrize("source", SOURCES, indirect=True)
def test_refresh_storm_in_the_mandatory_window_refreshes_once(
    source: Source, s3: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [datetime.now(timezone.utc).timestamp()]
    clock: Callable[[], float] = lambda: now[0]  # noqa: E731
    monkeypatch.setattr("hub._snapshot.CredentialsCache",
                        functools.partial(CredentialsCache, clock=clock))
    session = hub.Session(hub.Config(region="us-east-1", endpoint_url=s3.url))
    session.client("s3").list_buckets()
    assert source.loads() == 1
    expiry = datetime.strptime(source.fake.issued[0]["Expiration"], "%Y-%m-%dT%H:%M:%SZ")
    now[0] = expiry.replace(tzinfo=timezone.utc).timestamp() - 300  # mandatory: 10 min before
    errors = herd(session)
    assert errors == []
    assert source.loads() == 2
    assert len(s3.requests) == THREADS + 1
    assert signers(s3) == {issued["AccessKeyId"] for issued in source.fake.issued}
    fresh = source.fake.issued[1]["AccessKeyId"]
    assert sum(fresh in (r.header("Authorization") or "") for r in s3.requests) == THREADS
