"""hub.signing agrees with botocore's SigV4 signers on generated requests.

botocore is a test-only dependency: the reference implementation hub is compared against.
botocore's ``add_auth`` reads the time from ``botocore.auth.get_current_datetime`` (a naive UTC
datetime), so that name is patched to freeze it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any
from unittest import mock
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub import signing
from hub.credentials import Credentials

botocore_auth = pytest.importorskip("botocore.auth")
AWSRequest = pytest.importorskip("botocore.awsrequest").AWSRequest
BotoCredentials = pytest.importorskip("botocore.credentials").Credentials

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ENDPOINTS = [
    "https://example.amazonaws.com",
    "https://dynamodb.us-east-1.amazonaws.com:443",
    "http://localhost:5000",
    "http://127.0.0.1:80",
    "https://Bucket.S3.eu-west-2.amazonaws.com",
    "http://[::1]:4566",
]
# Small pools so that names repeat (in any case) and botocore's skipped headers turn up.
HEADER_NAMES = [
    "X-Custom",
    "x-custom",
    "My-Header",
    "Content-Type",
    "Content-MD5",
    "Accept",
    "Range",
    "X-Amz-Target",
    "x-amz-meta-Owner",
    "User-Agent",
    "X-Amzn-Trace-Id",
    "Expect",
    "Authorization",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "Host",
]
QUERY_KEYS = ["a", "A", "list-type", "prefix", "versionId", "x-id", "Param", "ሴ", "k y"]

# Raw text for path segments, query parts and header values: ASCII specials and some unicode.
ODD_TEXT = st.text(
    alphabet=st.sampled_from(
        list("abcXYZ019-_.~ !$&'()*+,;=:@/%?#[]\"<>{}|\\^`") + ["é", "ሴ", "😀", "\u00a0"]
    ),
    max_size=12,
)
HEADER_VALUE = st.text(
    alphabet=st.sampled_from(list("abcXYZ019-_.~ !$&'()*+,;=:@/%?\"\t")), max_size=20
)


@st.composite
def paths(draw: st.DrawFn) -> str:
    segments = draw(
        st.lists(
            st.one_of(
                st.sampled_from(["", ".", "..", "a", "key.txt"]),
                ODD_TEXT.map(lambda text: quote(text, safe="")),
                ODD_TEXT.map(lambda text: quote(text, safe="!$'()*+,;=:@")),
            ),
            max_size=6,
        )
    )
    return "/" + "/".join(segments)


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


@st.composite
def queries(draw: st.DrawFn, *, unique: bool = False) -> str:
    keys = st.one_of(st.sampled_from(QUERY_KEYS), ODD_TEXT)
    if unique:
        pairs = draw(
            st.lists(st.tuples(keys, ODD_TEXT), max_size=5, unique_by=lambda kv: _encode(kv[0]))
        )
        return "&".join(f"{_encode(key)}={_encode(value)}" for key, value in pairs)
    parts = draw(
        st.lists(
            st.one_of(
                st.tuples(keys, ODD_TEXT).map(lambda kv: f"{_encode(kv[0])}={_encode(kv[1])}"),
                keys.map(_encode),  # a key without "=" (e.g. S3's ?uploads)
            ),
            max_size=6,
        )
    )
    return "&".join(parts)


TIMES = st.datetimes(
    min_value=datetime(2001, 1, 1),
    max_value=datetime(2099, 12, 31),
    timezones=st.just(timezone.utc),
)
CREDENTIALS = st.builds(
    lambda token: Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token),
    st.one_of(st.none(), st.text(alphabet="ABCxyz019+/=", min_size=1, max_size=40)),
)


def _boto_credentials(credentials: Credentials) -> Any:
    return BotoCredentials(credentials.access_key, credentials.secret_key, credentials.token)


def _freeze(when: datetime) -> Any:
    naive = when.astimezone(timezone.utc).replace(tzinfo=None)
    return mock.patch.object(botocore_auth, "get_current_datetime", return_value=naive)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    s3 = draw(st.booleans())
    query = draw(queries())
    return {
        "s3": s3,
        "method": draw(st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD", "patch"])),
        "url": draw(st.sampled_from(ENDPOINTS))
        + draw(paths())
        + (f"?{query}" if query or draw(st.booleans()) else ""),
        "headers": draw(
            st.lists(st.tuples(st.sampled_from(HEADER_NAMES), HEADER_VALUE), max_size=8)
        ),
        "body": draw(st.one_of(st.none(), st.binary(max_size=64), st.text(max_size=20))),
        "credentials": draw(CREDENTIALS),
        "when": draw(TIMES),
        "region": draw(st.sampled_from(["us-east-1", "eu-west-2", "ap-southeast-1"])),
        "service": "s3" if s3 else draw(st.sampled_from(["dynamodb", "sqs", "execute-api"])),
        "unsigned": s3 and draw(st.booleans()),
    }


def _botocore_sign(r: dict[str, Any]) -> AWSRequest:
    request = AWSRequest(method=r["method"], url=r["url"], data=r["body"])
    for name, value in r["headers"]:
        request.headers[name] = value  # HTTPHeaders appends: duplicates are kept in order
    signer_class = botocore_auth.S3SigV4Auth if r["s3"] else botocore_auth.SigV4Auth
    if r["unsigned"]:
        request.context["client_config"] = SimpleNamespace(s3={"payload_signing_enabled": False})
    signer = signer_class(_boto_credentials(r["credentials"]), r["service"], r["region"])
    with _freeze(r["when"]):
        signer.add_auth(request)
    return request


def _hub_sign(r: dict[str, Any]) -> list[tuple[str, str]]:
    payload_hash = None
    if r["s3"]:
        body = r["body"]
        data = body.encode() if isinstance(body, str) else body
        payload_hash = (
            signing.UNSIGNED_PAYLOAD if r["unsigned"] else hashlib.sha256(data or b"").hexdigest()
        )
    return signing.sign(
        r["method"],
        r["url"],
        r["headers"],
        r["body"],
        credentials=r["credentials"],
        region=r["region"],
        service=r["service"],
        timestamp=r["when"],
        normalize_path=not r["s3"],
        payload_hash=payload_hash,
    )


@SETTINGS
@given(requests())
def test_sign_matches_botocore(r: dict[str, Any]) -> None:
    added = _hub_sign(r)
    boto = _botocore_sign(r)
    expected_names = ["X-Amz-Date"]
    if r["credentials"].token is not None:
        expected_names.append("X-Amz-Security-Token")
    if r["s3"]:
        expected_names.append("X-Amz-Content-SHA256")
    expected_names.append("Authorization")
    assert [name for name, _ in added] == expected_names
    for name, value in added:
        assert boto.headers.get_all(name) == [value], name


@pytest.mark.parametrize("s3", [False, True])
def test_caller_content_sha256_header_matches_botocore(s3: bool) -> None:
    r = {
        "s3": s3,
        "method": "PUT",
        "url": "https://bucket.s3.amazonaws.com/key",
        "headers": [("X-Amz-Content-SHA256", signing.EMPTY_SHA256), ("Content-Length", "0")],
        "body": None,
        "credentials": Credentials("AKID", "SECRET"),
        "when": datetime(2024, 2, 29, 23, 59, 59, tzinfo=timezone.utc),
        "region": "us-west-2",
        "service": "s3" if s3 else "dynamodb",
        "unsigned": False,
    }
    boto = _botocore_sign(r)
    added = _hub_sign(r)
    assert added[-1] == ("Authorization", boto.headers["Authorization"])


@SETTINGS
@given(
    s3=st.booleans(),
    method=st.sampled_from(["GET", "PUT", "HEAD"]),
    endpoint=st.sampled_from(ENDPOINTS),
    path=paths(),
    query=queries(unique=True),
    credentials=CREDENTIALS,
    when=TIMES,
    expires=st.integers(min_value=1, max_value=signing.MAX_PRESIGN_EXPIRES),
)
def test_presign_matches_botocore(
    s3: bool,
    method: str,
    endpoint: str,
    path: str,
    query: str,
    credentials: Credentials,
    when: datetime,
    expires: int,
) -> None:
    url = f"{endpoint}{path}" + (f"?{query}" if query else "")
    service = "s3" if s3 else "sqs"
    signer_class = botocore_auth.S3SigV4QueryAuth if s3 else botocore_auth.SigV4QueryAuth
    request = AWSRequest(method=method, url=url)
    signer = signer_class(_boto_credentials(credentials), service, "eu-west-2", expires=expires)
    with _freeze(when):
        signer.add_auth(request)
    presigned = signing.presign_url(
        method,
        url,
        credentials=credentials,
        region="eu-west-2",
        service=service,
        timestamp=when,
        expires=expires,
        normalize_path=not s3,
        # botocore hashes the (empty) body for other services' presigned URLs.
        payload_hash=signing.UNSIGNED_PAYLOAD if s3 else signing.EMPTY_SHA256,
    )
    assert presigned == request.url
