"""hub.signing: AWS's SigV4 test suite, every case, plus presigning, S3 mode and bad input."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from hub import signing
from hub.credentials import Credentials
from hub.errors import ConfigError, HubError
from tests._threads import run_in_threads

SUITE = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "aws4_testsuite"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
WHEN = datetime(2015, 8, 30, 12, 36, tzinfo=timezone.utc)
TOKEN_HEADER = "x-amz-security-token:"

if not SUITE.is_dir():
    pytest.skip(
        f"AWS SigV4 test suite not found at {SUITE} (it lives in ../shared beside the repo)",
        allow_module_level=True,
    )


@dataclass
class Case:
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes
    token: str | None
    sign_token: bool
    creq: str
    sts: str
    authz: str


def _case_dirs() -> list[Path]:
    return sorted(path.parent for path in SUITE.rglob("*.req"))


def _parse_request(raw: str) -> tuple[str, str, list[tuple[str, str]], bytes]:
    head, _, body = raw.partition("\n\n")
    lines = head.split("\n")
    method, rest = lines[0].split(" ", 1)
    target = rest.rsplit(" ", 1)[0]  # drop " HTTP/1.1"; the path itself may hold spaces
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        if line[0] in " \t":  # continuation of a folded (multiline) value
            name, value = headers[-1]
            headers[-1] = (name, f"{value}\n{line}")
            continue
        name, _, value = line.partition(":")
        headers.append((name, value))
    host = next(value.strip() for name, value in headers if name.lower() == "host")
    return method, f"https://{host}{target}", headers, body.encode()


def _load(case_dir: Path) -> Case:
    def read(ext: str) -> str:
        return (case_dir / f"{case_dir.name}.{ext}").read_text(encoding="utf-8")

    method, url, headers, body = _parse_request(read("req"))
    creq = read("creq")
    token = next(
        (line[len(TOKEN_HEADER) :] for line in creq.split("\n") if line.startswith(TOKEN_HEADER)),
        None,
    )
    sign_token = True
    if token is None:
        # post-sts-header-after: the token is sent but added after signing.
        sreq_token = [
            line.partition(":")[2]
            for line in read("sreq").split("\n")
            if line.lower().startswith(TOKEN_HEADER)
        ]
        if sreq_token:
            token, sign_token = sreq_token[0], False
    return Case(method, url, headers, body, token, sign_token, creq, read("sts"), read("authz"))


@pytest.mark.parametrize("case_dir", _case_dirs(), ids=lambda p: p.relative_to(SUITE).as_posix())
def test_aws_suite(case_dir: Path) -> None:
    case = _load(case_dir)
    credentials = Credentials(ACCESS_KEY, SECRET_KEY, case.token)
    details = signing._sign(
        case.method,
        case.url,
        case.headers,
        case.body,
        credentials,
        "us-east-1",
        "service",
        WHEN,
        True,
        None,
        case.sign_token,
    )
    assert details.canonical_request == case.creq
    assert details.string_to_sign == case.sts
    added = signing.sign(
        case.method,
        case.url,
        case.headers,
        case.body,
        credentials=credentials,
        region="us-east-1",
        service="service",
        timestamp=WHEN,
        sign_token=case.sign_token,
    )
    assert added == details.headers
    assert added[-1] == ("Authorization", case.authz)
    assert added[0] == ("X-Amz-Date", "20150830T123600Z")
    if case.token is not None:
        assert ("X-Amz-Security-Token", case.token) in added


def test_suite_is_complete() -> None:
    # Guards against a broken walk silently running fewer cases.
    names = {path.relative_to(SUITE).as_posix() for path in _case_dirs()}
    assert len(names) >= 30
    assert "post-sts-token/post-sts-header-after" in names
    assert "normalize-path/get-space" in names


CREDS = Credentials(ACCESS_KEY, SECRET_KEY)
TOKEN_CREDS = Credentials(ACCESS_KEY, SECRET_KEY, "session/token+value==")


def _sign(**overrides: object) -> list[tuple[str, str]]:
    kwargs: dict[str, object] = {
        "credentials": CREDS,
        "region": "us-east-1",
        "service": "dynamodb",
        "timestamp": WHEN,
    }
    kwargs.update(overrides)
    return signing.sign(
        "POST",
        "https://dynamodb.us-east-1.amazonaws.com/",
        [("Content-Type", "application/x-amz-json-1.0")],
        b"{}",
        **kwargs,  # type: ignore[arg-type]
    )


def test_added_headers_and_order() -> None:
    added = _sign(credentials=TOKEN_CREDS, payload_hash=signing.UNSIGNED_PAYLOAD)
    assert [name for name, _ in added] == [
        "X-Amz-Date",
        "X-Amz-Security-Token",
        "X-Amz-Content-SHA256",
        "Authorization",
    ]
    assert "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;" in added[-1][1]


def test_timestamp_forms_agree() -> None:
    eastern = WHEN.astimezone(timezone(timedelta(hours=-5)))
    assert _sign() == _sign(timestamp=eastern) == _sign(timestamp=WHEN.timestamp())


def test_signing_key_is_cached() -> None:
    signing._signing_key.cache_clear()
    _sign()
    _sign()
    info = signing._signing_key.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    assert info.maxsize is not None


def test_host_from_url_omits_default_port_and_keeps_others() -> None:
    def host_of(url: str) -> str:
        creq = signing._sign(
            "GET", url, [], None, CREDS, "us-east-1", "s", WHEN, True, None, True
        ).canonical_request
        return next(line for line in creq.split("\n") if line.startswith("host:"))

    assert host_of("https://Example.COM:443/") == "host:example.com"
    assert host_of("http://example.com:80/") == "host:example.com"
    assert host_of("http://example.com:443/") == "host:example.com:443"
    assert host_of("http://user@127.0.0.1:5000?x=1") == "host:127.0.0.1:5000"
    assert host_of("http://[::1]:8080/") == "host:[::1]:8080"


def test_given_host_header_is_signed_as_is() -> None:
    details = signing._sign(
        "GET", "http://127.0.0.1:5000/", [("Host", "bucket.s3.local")], None,
        CREDS, "us-east-1", "s3", WHEN, False, None, True,
    )  # fmt: skip
    assert "host:bucket.s3.local\n" in details.canonical_request


def test_s3_mode_keeps_path_and_sends_content_sha256() -> None:
    url = "https://bucket.s3.amazonaws.com/a//b/../my%20key"
    s3 = signing._sign(
        "GET", url, [], None, CREDS, "us-east-1", "s3", WHEN, False, signing.UNSIGNED_PAYLOAD, True
    )
    assert s3.canonical_request.split("\n")[1] == "/a//b/../my%20key"
    assert s3.canonical_request.endswith("\nUNSIGNED-PAYLOAD")
    assert ("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD") in s3.headers
    other = signing._sign("GET", url, [], None, CREDS, "us-east-1", "s", WHEN, True, None, True)
    # Normalized, then encoded again: SigV4's double encoding for every service but S3.
    assert other.canonical_request.split("\n")[1] == "/a/my%2520key"
    assert other.canonical_request.endswith("\n" + signing.EMPTY_SHA256)


def test_body_forms_hash_the_same() -> None:
    body = '{"k": "v\u00e9"}'
    digest = hashlib.sha256(body.encode()).hexdigest()
    for form in (body, body.encode(), bytearray(body.encode()), memoryview(body.encode())):
        details = signing._sign(
            "POST", "https://h/", [], form, CREDS, "us-east-1", "s", WHEN, True, None, True
        )
        assert details.canonical_request.endswith("\n" + digest)
    # A caller-set X-Amz-Content-SHA256 is signed and used as the payload hash (as botocore).
    given = signing._sign(
        "POST", "https://h/", [("X-Amz-Content-SHA256", "abc")], b"ignored",
        CREDS, "us-east-1", "s", WHEN, True, None, True,
    )  # fmt: skip
    assert given.canonical_request.endswith("\nhost;x-amz-content-sha256;x-amz-date\nabc")
    assert [name for name, _ in given.headers] == ["X-Amz-Date", "Authorization"]


def test_replaced_headers_are_not_signed_twice() -> None:
    stale = [
        ("Authorization", "old"),
        ("X-Amz-Date", "19990101T000000Z"),
        ("X-Amz-Security-Token", "old-token"),
        ("User-Agent", "ua"),
        ("X-Amzn-Trace-Id", "t"),
        ("Expect", "100-continue"),
    ]
    details = signing._sign(
        "GET", "https://h/", stale, None, TOKEN_CREDS, "us-east-1", "s", WHEN, True, None, True
    )
    assert "old" not in details.canonical_request
    assert "19990101" not in details.canonical_request
    assert "SignedHeaders=host;x-amz-date;x-amz-security-token," in details.headers[-1][1]


def test_secret_appears_nowhere_in_output() -> None:
    secret = "s3cr3t/KEY+abcdefghijklmnopqrstuv"
    creds = Credentials("AKIDTEST", secret, "tok")
    added = signing.sign(
        "PUT", f"https://h/{secret}", [("X-Secret", "no")], b"body",
        credentials=creds, region="us-east-1", service="s3", timestamp=WHEN,
        normalize_path=False, payload_hash=signing.UNSIGNED_PAYLOAD,
    )  # fmt: skip
    assert all(secret not in value for _, value in added)
    url = signing.presign_url(
        "GET", "https://h/k", credentials=creds, region="us-east-1", service="s3", timestamp=WHEN
    )
    assert secret not in url
    with pytest.raises(ConfigError) as info:
        signing.sign(
            "GET", "https://h/", [], object(),  # type: ignore[arg-type]
            credentials=creds, region="us-east-1", service="s", timestamp=WHEN,
        )  # fmt: skip
    assert secret not in str(info.value) and secret not in repr(info.value)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timestamp": datetime(2015, 8, 30, 12, 36)}, "timestamp"),
        ({"timestamp": "20150830T123600Z"}, "timestamp"),
        ({"region": ""}, "region"),
        ({"service": ""}, "service"),
    ],
)
def test_bad_sign_arguments(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        _sign(**overrides)
    assert info.value.field == field
    assert isinstance(info.value, HubError)


def test_relative_url_is_rejected() -> None:
    with pytest.raises(ConfigError, match="url"):
        signing.sign(
            "GET", "/no/host", [], None,
            credentials=CREDS, region="us-east-1", service="s", timestamp=WHEN,
        )  # fmt: skip


def _presign(**overrides: object) -> str:
    kwargs: dict[str, object] = {
        "credentials": CREDS,
        "region": "us-east-1",
        "service": "s3",
        "timestamp": WHEN,
        "normalize_path": False,
    }
    kwargs.update(overrides)
    return signing.presign_url(
        "GET",
        "https://examplebucket.s3.amazonaws.com/test.txt",
        **kwargs,  # type: ignore[arg-type]
    )


def test_presign_matches_aws_documented_example() -> None:
    # The worked example in AWS's "Authenticating Requests: Using Query Parameters" (S3).
    url = signing.presign_url(
        "GET",
        "https://examplebucket.s3.amazonaws.com/test.txt",
        credentials=Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region="us-east-1",
        service="s3",
        timestamp=datetime(2013, 5, 24, tzinfo=timezone.utc),
        expires=86400,
        normalize_path=False,
    )
    assert url.endswith(
        "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    )


def test_presign_is_deterministic_and_complete() -> None:
    url = _presign(credentials=TOKEN_CREDS, expires=60)
    assert url == _presign(credentials=TOKEN_CREDS, expires=60)
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert params["X-Amz-Credential"] == "AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request"
    assert params["X-Amz-Date"] == "20150830T123600Z"
    assert params["X-Amz-Expires"] == "60"
    assert params["X-Amz-SignedHeaders"] == "host"
    assert params["X-Amz-Security-Token"] == "session/token+value=="
    assert len(params["X-Amz-Signature"]) == 64
    assert list(params)[-1] == "X-Amz-Signature"
    assert "X-Amz-Security-Token" not in _presign()


def test_presign_keeps_existing_query_first() -> None:
    url = signing.presign_url(
        "GET", "https://h.example/k?versionId=3&x-id=GetObject#frag",
        credentials=CREDS, region="us-east-1", service="s3", timestamp=WHEN,
    )  # fmt: skip
    assert url.startswith("https://h.example/k?versionId=3&x-id=GetObject&X-Amz-Algorithm=")
    assert "#frag" not in url


@pytest.mark.parametrize("expires", [0, -1, 604801, 1.5, True, "60"])
def test_presign_rejects_bad_expires(expires: object) -> None:
    with pytest.raises(ConfigError) as info:
        _presign(expires=expires)
    assert info.value.field == "expires"
    assert "expires" in str(info.value)


@pytest.mark.parametrize("expires", [1, 604800])
def test_presign_accepts_expires_bounds(expires: int) -> None:
    assert f"X-Amz-Expires={expires}&" in _presign(expires=expires)


def test_presign_rejects_naive_timestamp() -> None:
    with pytest.raises(ConfigError) as info:
        _presign(timestamp=datetime(2015, 8, 30))
    assert info.value.field == "timestamp"


def test_concurrent_signing_agrees() -> None:
    # Pure function plus a shared key cache: many threads, many keys, identical answers.
    regions = [f"region-{i}" for i in range(100)]  # more than the cache holds: evictions too
    expected = {region: _sign(region=region) for region in regions}
    results: list[tuple[str, object]] = []

    def sign_all(index: int) -> None:
        for region in (regions * 20)[index::8]:
            results.append((region, _sign(region=region)))

    assert run_in_threads(8, sign_all) == []
    assert len(results) == len(regions) * 20
    assert all(added == expected[region] for region, added in results)
