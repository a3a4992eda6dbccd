"""Providers, the default chain, profiles, credential_process and region lookup."""

from __future__ import annotations

import json
import os
import pickle
import sys
import textwrap
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import hub.credentials
from hub.credentials import (
    ChainProvider,
    CredentialProvider,
    Credentials,
    CredentialsCache,
    EnvironmentProvider,
    ProcessProvider,
    RefreshableProvider,
    SharedConfigProvider,
    SharedCredentialsProvider,
    StaticProvider,
    default_chain,
    resolve_region,
)
from hub.credentials._time import parse_timestamp
from hub.errors import (
    ConfigError,
    CredentialProviderError,
    CredentialsError,
    NoCredentialsError,
)

UTC = timezone.utc  # datetime.UTC is 3.11+
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzSECRETzKEY"
TOKEN = "FwoGZXIvYXdzEJr//////////TOKENzzSECRETzz"
AWS_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS variables from the real environment; HOME points at an empty tmp dir."""
    for name in AWS_VARS:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def assert_no_secret(*texts: object) -> None:
    for text in texts:
        assert SECRET not in str(text)
        assert TOKEN not in str(text)
        assert SECRET not in repr(text)


def error_texts(exc: BaseException) -> list[str]:
    """str/repr of an error and every error chained to it."""
    seen: list[str] = []
    current: BaseException | None = exc
    while current is not None:
        seen += [str(current), repr(current)]
        current = current.__cause__ or current.__context__
    return seen


# -- process helper -----------------------------------------------------------------------------


def make_process(
    tmp_path: Path,
    *,
    payload: object = None,
    stdout: str | None = None,
    exit_code: int = 0,
    stderr: str = "",
    name: str = "helper.py",
) -> tuple[str, Path]:
    """Write a credential_process script; return (command line, file counting its runs)."""
    if payload is None:
        payload = {"Version": 1, "AccessKeyId": "AKIDPROCESS", "SecretAccessKey": SECRET}
    out = json.dumps(payload) if stdout is None else stdout
    runs = tmp_path / f"{name}.runs"
    script = tmp_path / name
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            with open({str(runs)!r}, "a") as f:
                f.write("run\\n")
            sys.stderr.write({stderr!r})
            sys.stdout.write({out!r})
            sys.exit({exit_code})
            """
        )
    )
    return f'"{sys.executable}" "{script}"', runs


def runs_of(runs: Path) -> int:
    return len(runs.read_text().splitlines()) if runs.exists() else 0


# -- package surface ----------------------------------------------------------------------------


def test_all_is_complete_and_public_names_show_the_package() -> None:
    public = {n for n in dir(hub.credentials) if not n.startswith("_")} - {"annotations"}
    assert set(hub.credentials.__all__) == public
    assert CredentialsCache.__module__ == "hub.credentials"
    assert default_chain.__module__ == "hub.credentials"


def test_constructing_does_no_io(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Files that would raise on load() are ignored at construction time.
    bad = write(tmp_path / "bad.ini", "no section header\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(bad))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(bad))
    command, runs = make_process(tmp_path)
    providers: list[CredentialProvider] = [
        SharedCredentialsProvider(),
        SharedConfigProvider(),
        ProcessProvider(command),
        default_chain(),
        default_chain("x"),
    ]
    CredentialsCache(ProcessProvider(command))
    CredentialsCache(default_chain())
    assert runs_of(runs) == 0
    with pytest.raises(CredentialProviderError):
        providers[0].load()


# -- static, env ---------------------------------------------------------------------------------


def test_static_provider() -> None:
    creds = Credentials("AKIDSTATIC", SECRET)
    provider = StaticProvider(creds)
    assert provider.load() is creds
    assert provider.name == "static"
    assert_no_secret(repr(provider))
    with pytest.raises(ConfigError):
        StaticProvider("AKID")  # type: ignore[arg-type]


def test_env_provider_reads_keys_token_and_expiry() -> None:
    env = {
        "AWS_ACCESS_KEY_ID": "AKIDENV",
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_SESSION_TOKEN": TOKEN,
        "AWS_CREDENTIAL_EXPIRATION": "2030-01-02T03:04:05Z",
    }
    creds = EnvironmentProvider(env).load()
    assert creds == Credentials("AKIDENV", SECRET, TOKEN, datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))


def test_env_provider_security_token_fallback_and_empty_vars() -> None:
    env = {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": SECRET}
    env |= {"AWS_SESSION_TOKEN": "", "AWS_SECURITY_TOKEN": TOKEN}
    creds = EnvironmentProvider(env).load()
    assert creds is not None and creds.token == TOKEN
    assert (
        EnvironmentProvider({"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}).load() is None
    )
    assert EnvironmentProvider({}).load() is None


def test_env_provider_reads_os_environ_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = EnvironmentProvider()
    assert provider.load() is None
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDLATER")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    creds = provider.load()
    assert creds is not None and creds.access_key == "AKIDLATER"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"AWS_ACCESS_KEY_ID": "AKIDENV"}, "AWS_SECRET_ACCESS_KEY is not"),
        ({"AWS_SECRET_ACCESS_KEY": SECRET}, "AWS_ACCESS_KEY_ID is not"),
        (
            {
                "AWS_ACCESS_KEY_ID": "AKIDENV",
                "AWS_SECRET_ACCESS_KEY": SECRET,
                "AWS_CREDENTIAL_EXPIRATION": "tomorrow",
            },
            "AWS_CREDENTIAL_EXPIRATION",
        ),
    ],
)
def test_env_provider_broken(env: dict[str, str], expected: str) -> None:
    with pytest.raises(CredentialProviderError) as info:
        EnvironmentProvider(env).load()
    assert info.value.provider == "env"
    assert expected in str(info.value)
    assert_no_secret(*error_texts(info.value))


# -- shared credentials file ---------------------------------------------------------------------

CREDENTIALS_FILE = f"""
    [default]
    aws_access_key_id = AKIDDEFAULT
    aws_secret_access_key = {SECRET}

    [dev]
    aws_access_key_id = AKIDDEV
    aws_secret_access_key = {SECRET}
    aws_session_token = {TOKEN}

    [legacy]
    aws_access_key_id = AKIDLEGACY
    aws_secret_access_key = {SECRET}
    aws_security_token = {TOKEN}

    [DEFAULT]
    aws_access_key_id = AKIDUPPERCASE
    aws_secret_access_key = {SECRET}

    [region-only]
    region = eu-west-1
    """


def access_key(provider: CredentialProvider) -> str | None:
    creds = provider.load()
    return None if creds is None else creds.access_key


def test_shared_credentials_profiles(tmp_path: Path) -> None:
    path = write(tmp_path / "credentials", CREDENTIALS_FILE)
    assert access_key(SharedCredentialsProvider(path=path)) == "AKIDDEFAULT"
    dev = SharedCredentialsProvider("dev", path).load()
    assert dev == Credentials("AKIDDEV", SECRET, TOKEN)
    legacy = SharedCredentialsProvider("legacy", path).load()
    assert legacy is not None and legacy.token == TOKEN
    # "[DEFAULT]" is a profile like any other, not configparser's inherited section.
    assert access_key(SharedCredentialsProvider("DEFAULT", path)) == "AKIDUPPERCASE"
    assert SharedCredentialsProvider("region-only", path).load() is None
    assert SharedCredentialsProvider("missing", path).load() is None
    assert SharedCredentialsProvider(path=tmp_path / "nope").load() is None


def test_shared_credentials_profile_and_file_from_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "creds.ini", CREDENTIALS_FILE)
    provider = SharedCredentialsProvider()
    assert provider.load() is None  # ~/.aws/credentials does not exist
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(path))
    assert access_key(provider) == "AKIDDEFAULT"
    monkeypatch.setenv("AWS_PROFILE", "dev")
    assert access_key(provider) == "AKIDDEV"
    monkeypatch.setenv("AWS_DEFAULT_PROFILE", "legacy")  # wins over AWS_PROFILE (botocore)
    assert access_key(provider) == "AKIDLEGACY"
    assert access_key(SharedCredentialsProvider("default")) == "AKIDDEFAULT"  # argument wins


def test_shared_credentials_default_location(tmp_path: Path) -> None:
    write(tmp_path / "home" / ".aws" / "credentials", CREDENTIALS_FILE)
    assert access_key(SharedCredentialsProvider()) == "AKIDDEFAULT"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[p]\naws_access_key_id = AKIDX\n", "profile 'p' in"),
        (f"[p]\naws_secret_access_key = {SECRET}\n", "has no aws_access_key_id"),
        (f"aws_secret_access_key = {SECRET}\n[p]\n", "line 1 comes before any [section]"),
        (f"[p]\naws_access_key_id = AKIDX\n{SECRET}\n", "cannot parse line(s) 3"),
    ],
)
def test_shared_credentials_broken(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "credentials"
    path.write_text(text)
    with pytest.raises(CredentialProviderError) as info:
        SharedCredentialsProvider("p", path).load()
    assert info.value.provider == "shared-credentials-file"
    assert expected in str(info.value)
    assert str(path) in str(info.value)
    assert_no_secret(*error_texts(info.value))


def test_shared_credentials_unreadable(tmp_path: Path) -> None:
    with pytest.raises(CredentialProviderError, match="cannot read"):
        SharedCredentialsProvider(path=tmp_path).load()  # a directory
    (tmp_path / "latin1").write_bytes(b"[default]\nx = \xff\n")
    with pytest.raises(CredentialProviderError, match="not UTF-8"):
        SharedCredentialsProvider(path=tmp_path / "latin1").load()


# -- shared config file --------------------------------------------------------------------------


def test_shared_config_profiles_static_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path / "config",
        f"""
        [default]
        aws_access_key_id = AKIDCONFIGDEFAULT
        aws_secret_access_key = {SECRET}
        region = us-west-2

        [profile dev]
        aws_access_key_id = AKIDCONFIGDEV
        aws_secret_access_key = {SECRET}
        s3 =
            max_concurrent_requests = 20

        [dev]
        aws_access_key_id = AKIDNOTAPROFILE
        aws_secret_access_key = {SECRET}

        [profile empty]
        region = eu-west-1
        """,
    )
    assert access_key(SharedConfigProvider(path=path)) == "AKIDCONFIGDEFAULT"
    assert access_key(SharedConfigProvider("dev", path)) == "AKIDCONFIGDEV"
    assert SharedConfigProvider("empty", path).load() is None
    assert SharedConfigProvider("missing", path).load() is None
    assert SharedConfigProvider(path=tmp_path / "nope").load() is None


def test_shared_config_profile_default_section_wins(tmp_path: Path) -> None:
    path = write(
        tmp_path / "config",
        f"""
        [default]
        aws_access_key_id = AKIDPLAIN
        aws_secret_access_key = {SECRET}
        [profile default]
        aws_access_key_id = AKIDPREFIXED
        aws_secret_access_key = {SECRET}
        """,
    )
    assert access_key(SharedConfigProvider(path=path)) == "AKIDPREFIXED"


def test_shared_config_credential_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    command, runs = make_process(
        tmp_path,
        payload={
            "Version": 1,
            "AccessKeyId": "AKIDPROCESS",
            "SecretAccessKey": SECRET,
            "SessionToken": TOKEN,
            "Expiration": "2030-01-01T00:00:00.5+01:00",
        },
    )
    path = write(
        tmp_path / "config",
        f"""
        [profile proc]
        credential_process = {command}
        [profile both]
        aws_access_key_id = AKIDSTATICWINS
        aws_secret_access_key = {SECRET}
        credential_process = {command}
        """,
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    monkeypatch.setenv("AWS_PROFILE", "proc")
    creds = SharedConfigProvider().load()
    assert creds is not None
    assert (creds.access_key, creds.secret_key, creds.token) == ("AKIDPROCESS", SECRET, TOKEN)
    assert creds.expiry == datetime(2029, 12, 31, 23, 0, 0, 500000, tzinfo=UTC)
    assert runs_of(runs) == 1
    assert access_key(SharedConfigProvider("both")) == "AKIDSTATICWINS"
    assert runs_of(runs) == 1


def test_shared_config_broken(tmp_path: Path) -> None:
    path = write(tmp_path / "config", "[profile p]\naws_access_key_id = AKIDX\n")
    with pytest.raises(CredentialProviderError) as info:
        SharedConfigProvider("p", path).load()
    assert info.value.provider == "shared-config-file"
    assert "profile 'p'" in str(info.value)
    write(tmp_path / "config", "[profile p]\ncredential_process = 'unbalanced\n")
    with pytest.raises(CredentialProviderError, match="credential_process"):
        SharedConfigProvider("p", path).load()


# -- credential_process --------------------------------------------------------------------------


def test_process_provider_without_expiry(tmp_path: Path) -> None:
    command, runs = make_process(tmp_path)
    provider = ProcessProvider(command, profile="p")
    creds = provider.load()
    assert creds == Credentials("AKIDPROCESS", SECRET)
    assert runs_of(runs) == 1
    program = os.path.basename(sys.executable)
    assert repr(provider) == f"ProcessProvider(program={program!r}, profile='p')"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"exit_code": 3, "stderr": "token expired, run login"}, "exited with status 3: token"),
        ({"exit_code": 1}, "exited with status 1 (no stderr)"),
        ({"stdout": f'{{"SecretAccessKey": "{SECRET}", '}, "did not print valid JSON (line 1"),
        ({"stdout": f'["{SECRET}"]'}, "printed JSON list, not an object"),
        ({"payload": {"Version": 2, "AccessKeyId": "A", "SecretAccessKey": SECRET}}, "Version 2"),
        ({"payload": {"Version": 1, "AccessKeyId": "A"}}, "without SecretAccessKey"),
        ({"payload": {"Version": 1, "SecretAccessKey": SECRET}}, "without AccessKeyId"),
        (
            {"payload": {"Version": 1, "AccessKeyId": "A", "SecretAccessKey": 5}},
            "SecretAccessKey that is not",
        ),
        (
            {
                "payload": {
                    "Version": 1,
                    "AccessKeyId": "A",
                    "SecretAccessKey": SECRET,
                    "Expiration": "soon",
                }
            },
            "Expiration 'soon'",
        ),
    ],
)
def test_process_provider_broken(tmp_path: Path, kwargs: dict[str, object], expected: str) -> None:
    command, runs = make_process(tmp_path, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(CredentialProviderError) as info:
        ProcessProvider(command, profile="dev").load()
    message = str(info.value)
    assert info.value.provider == "credential-process"
    assert "profile 'dev'" in message
    assert expected in message
    assert_no_secret(*error_texts(info.value))
    assert runs_of(runs) == 1


def test_process_provider_not_found_and_timeout(tmp_path: Path) -> None:
    with pytest.raises(CredentialProviderError, match="was not found"):
        ProcessProvider(str(tmp_path / "no-such-helper")).load()
    slow = tmp_path / "slow.py"
    slow.write_text("import time\ntime.sleep(30)\n")
    with pytest.raises(CredentialProviderError, match="did not finish within 0.3 s"):
        ProcessProvider(f'"{sys.executable}" "{slow}"', timeout=0.3).load()


def test_process_provider_error_hides_arguments(tmp_path: Path) -> None:
    with pytest.raises(CredentialProviderError) as info:
        ProcessProvider(f"{tmp_path / 'missing-helper'} --password {SECRET}").load()
    assert "missing-helper" in str(info.value)
    assert_no_secret(*error_texts(info.value))


def test_process_provider_bad_command() -> None:
    for command in ("", "   ", "'unbalanced"):
        with pytest.raises(ConfigError):
            ProcessProvider(command)
    with pytest.raises(ConfigError):
        ProcessProvider("true", timeout=0)


# -- refreshable ---------------------------------------------------------------------------------


def test_refreshable_provider() -> None:
    expiry = datetime(2030, 1, 1, tzinfo=UTC)
    calls: list[int] = []

    def fetch() -> Credentials:
        calls.append(1)
        return Credentials("AKIDFETCH", SECRET, TOKEN, expiry)

    provider = RefreshableProvider(fetch, name="sts")
    assert provider.name == "sts"
    creds = provider.load()
    assert creds is not None and creds.expiry == expiry
    assert len(calls) == 1
    with pytest.raises(ConfigError):
        RefreshableProvider("nope")  # type: ignore[arg-type]


def test_refreshable_provider_wraps_errors_without_their_message() -> None:
    def leaky() -> Credentials:
        raise RuntimeError(f"server said {SECRET}")

    with pytest.raises(CredentialProviderError) as info:
        RefreshableProvider(leaky).load()
    assert str(info.value) == "refreshable: fetching credentials raised RuntimeError"
    assert isinstance(info.value.__cause__, RuntimeError)

    def wrong() -> Credentials:
        return "AKID"  # type: ignore[return-value]

    with pytest.raises(CredentialProviderError, match="returned str"):
        RefreshableProvider(wrong).load()

    def own_error() -> Credentials:
        raise NoCredentialsError(tried=("inner",))

    with pytest.raises(NoCredentialsError):
        RefreshableProvider(own_error).load()


# -- chain ---------------------------------------------------------------------------------------


class Fixed:
    """A provider returning a fixed value and counting calls."""

    def __init__(self, name: str, result: Credentials | None | Exception) -> None:
        self.name = name
        self.result = result
        self.calls = 0

    def load(self) -> Credentials | None:
        self.calls += 1
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def test_chain_first_wins_and_stops() -> None:
    first, second = Credentials("AKIDFIRST", SECRET), Credentials("AKIDSECOND", SECRET)
    a, b, c = Fixed("a", None), Fixed("b", first), Fixed("c", second)
    assert ChainProvider([a, b, c]).load() is first
    assert (a.calls, b.calls, c.calls) == (1, 1, 0)


def test_chain_empty_names_every_provider_tried() -> None:
    inner = ChainProvider([Fixed("x", None), Fixed("y", None)])
    chain = ChainProvider([Fixed("a", None), inner, Fixed("b", None)])
    with pytest.raises(NoCredentialsError) as info:
        chain.load()
    assert info.value.tried == ("a", "x", "y", "b")
    assert "tried: a, x, y, b" in str(info.value)
    assert pickle.loads(pickle.dumps(info.value)).tried == ("a", "x", "y", "b")


def test_chain_broken_provider_is_not_skipped() -> None:
    boom = CredentialProviderError("b", "broken")
    last = Fixed("c", Credentials("AKIDC", SECRET))
    with pytest.raises(CredentialProviderError) as info:
        ChainProvider([Fixed("a", None), Fixed("b", boom), last]).load()
    assert info.value is boom
    assert last.calls == 0


def test_chain_rejects_non_providers() -> None:
    with pytest.raises(ConfigError):
        ChainProvider([object()])  # type: ignore[list-item]


# -- default chain -------------------------------------------------------------------------------


@pytest.fixture
def aws_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], None]:
    def setup(credentials: str, config: str) -> None:
        creds_path = write(tmp_path / "aws" / "credentials", credentials)
        config_path = write(tmp_path / "aws" / "config", config)
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds_path))
        monkeypatch.setenv("AWS_CONFIG_FILE", str(config_path))

    return setup


def test_default_chain_order(
    aws_files: Callable[[str, str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_files(
        f"[default]\naws_access_key_id = AKIDCREDFILE\naws_secret_access_key = {SECRET}\n",
        f"[default]\naws_access_key_id = AKIDCONFIGFILE\naws_secret_access_key = {SECRET}\n"
        f"[profile other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = {SECRET}\n",
    )
    chain = default_chain()
    assert [p.name for p in chain.providers] == [
        "env",
        "assume-role",
        "assume-role-with-web-identity",
        "sso",
        "shared-credentials-file",
        "custom-process",
        "shared-config-file",
        "container-role",
        "iam-role",
    ]
    assert access_key(chain) == "AKIDCREDFILE"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    assert access_key(chain) == "AKIDENV"
    # AWS_PROFILE does not skip the environment; an explicit profile does (as in botocore).
    monkeypatch.setenv("AWS_PROFILE", "other")
    assert access_key(default_chain()) == "AKIDENV"
    assert access_key(default_chain("other")) == "AKIDOTHER"
    assert access_key(default_chain("default")) == "AKIDCREDFILE"
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert access_key(default_chain()) == "AKIDOTHER"  # the credentials file has no [other]


def test_default_chain_uses_injected_environ(tmp_path: Path) -> None:
    config = write(
        tmp_path / "cfg",
        f"[profile x]\naws_access_key_id = AKIDX\naws_secret_access_key = {SECRET}\n",
    )
    env = {"AWS_CONFIG_FILE": str(config), "AWS_PROFILE": "x"}
    assert access_key(default_chain(environ=env)) == "AKIDX"
    env = {"AWS_ACCESS_KEY_ID": "AKIDMAP", "AWS_SECRET_ACCESS_KEY": SECRET}
    assert access_key(default_chain(environ=env)) == "AKIDMAP"


def test_default_chain_falls_through_to_credential_process(
    tmp_path: Path, aws_files: Callable[[str, str], None]
) -> None:
    command, runs = make_process(tmp_path)
    aws_files("[unrelated]\n", f"[profile proc]\ncredential_process = {command}\n")
    assert access_key(default_chain("proc")) == "AKIDPROCESS"
    assert runs_of(runs) == 1


def test_default_chain_nothing_found(aws_files: Callable[[str, str], None]) -> None:
    with pytest.raises(NoCredentialsError) as info:
        default_chain().load()
    everything = ("assume-role", "assume-role-with-web-identity", "sso",
                  "shared-credentials-file", "custom-process", "shared-config-file",
                  "container-role", "iam-role")
    assert info.value.tried == ("env", *everything)
    aws_files("[default]\n", "[default]\n")
    with pytest.raises(NoCredentialsError) as info:
        default_chain("ghost").load()
    assert info.value.tried == everything


def test_default_chain_broken_file_is_reported(aws_files: Callable[[str, str], None]) -> None:
    aws_files(
        "[default]\naws_access_key_id = AKIDHALF\n",
        f"[default]\naws_access_key_id = A\naws_secret_access_key = {SECRET}\n",
    )
    with pytest.raises(CredentialProviderError) as info:
        default_chain().load()
    assert info.value.provider == "shared-credentials-file"
    assert isinstance(info.value, CredentialsError)


# -- region --------------------------------------------------------------------------------------


def test_resolve_region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_region() is None  # no file
    path = write(
        tmp_path / "config",
        """
        [default]
        region = us-west-2
        [profile eu]
        region = eu-central-1
        [profile none]
        output = json
        """,
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    assert resolve_region() == "us-west-2"
    assert resolve_region("eu") == "eu-central-1"
    assert resolve_region("none") is None
    assert resolve_region("missing") is None
    monkeypatch.setenv("AWS_PROFILE", "eu")
    assert resolve_region() == "eu-central-1"
    assert resolve_region(environ={"AWS_CONFIG_FILE": str(path)}) == "us-west-2"
    path.write_text("region = x\n")
    with pytest.raises(ConfigError) as info:
        resolve_region()
    assert info.value.field == "region"


# -- timestamps and values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-01-02T03:04:05Z", datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2030-01-02T03:04:05", datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2030-01-02 03:04:05.1234567z", datetime(2030, 1, 2, 3, 4, 5, 123456, UTC)),
        (
            "2030-01-02T03:04:05-0130",
            datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone(-timedelta(hours=1, minutes=30))),
        ),
    ],
)
def test_parse_timestamp(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", ["", "2030-01-02", "2030-13-01T00:00:00Z", "x2030-01-02T00:00:00"])
def test_parse_timestamp_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_credentials_repr_hides_secrets() -> None:
    creds = Credentials("AKIDEXAMPLE1234", SECRET, TOKEN, datetime(2030, 1, 1, tzinfo=UTC))
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert_no_secret(text)
        assert "AKIDEXAMPLE1234" not in text and "1234" in text
