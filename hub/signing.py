"""AWS Signature Version 4: sign a request's headers, or presign a URL.

Both functions are pure: they read their arguments and return what to add, so they are safe to
call from any number of threads. The only shared state is a small, bounded cache of derived
signing keys (``functools.lru_cache`` is thread-safe), keyed by (secret, date, region, service):
a key is valid for one UTC day, so most requests skip the four key-deriving HMACs.

Secrets never appear in a return value (apart from being the key of the signature) nor in an
exception message. The secret key, the token and everything derived from them (canonical
request, signing key) live in local variables of the private functions below; :func:`sign`
and :func:`presign_url` clear those frames when anything raises inside them and raise an error
that carries no secret (see :mod:`hub._redact`), so a traceback recorded with its locals
(Sentry, ``capture_locals=True``) shows where signing failed but no secret.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import quote

from hub._redact import scrubbed
from hub._sigv4_canonical import (
    SKIPPED_HEADERS,
    amz_date,
    canonical_path,
    canonical_query,
    host_from_netloc,
    split_url,
)
from hub.credentials import Credentials
from hub.errors import ConfigError

__all__ = ["EMPTY_SHA256", "MAX_PRESIGN_EXPIRES", "UNSIGNED_PAYLOAD", "presign_url", "sign"]

ALGORITHM = "AWS4-HMAC-SHA256"
#: ``sha256(b"").hexdigest()``: the payload hash of a request without a body.
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#: The payload hash S3 accepts in place of the body's hash (and the one presigned URLs use).
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
#: The longest a presigned URL may be valid for: seven days, in seconds.
MAX_PRESIGN_EXPIRES = 604800

# HMAC's pads, as byte translation tables (bytes.translate is the fast way to XOR every byte).
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))

Headers = Iterable[tuple[str, str]] | Mapping[str, str]


class _SigningKey(NamedTuple):
    """A derived signing key as two SHA-256 states with the HMAC pads already absorbed.

    ``HMAC(k, m) = H(k ^ opad || H(k ^ ipad || m))``: starting from copies of these states
    saves re-deriving the pads on every request (about half the cost of ``hmac.digest``). The
    states are only ever copied, never updated, so sharing them between threads is safe.
    """

    inner: Any
    outer: Any
    scope: str  # "<date>/<region>/<service>/aws4_request", built once with the key


@lru_cache(maxsize=64)
def _signing_key(secret_key: str, date: str, region: str, service: str) -> _SigningKey:
    key = hmac.digest(b"AWS4" + secret_key.encode(), date.encode(), "sha256")
    key = hmac.digest(key, region.encode(), "sha256")
    key = hmac.digest(key, service.encode(), "sha256")
    key = hmac.digest(key, b"aws4_request", "sha256").ljust(64, b"\0")  # sha256 block: 64
    return _SigningKey(hashlib.sha256(key.translate(_IPAD)), hashlib.sha256(key.translate(_OPAD)),
                       f"{date}/{region}/{service}/aws4_request")


# url, normalize_path -> ("<canonical path>\n<canonical query>\n", host from the URL). Most
# clients send to a few URLs over and over (json and query services: always "/"), and this
# part of the canonical request depends on nothing else. Bounded: cleared when full (S3 keys
# make many distinct URLs). Each get/set is one atomic dict operation; a lost write only
# means the next request computes the entry again.
_URL_PARTS: dict[tuple[str, bool], tuple[str, str]] = {}
_URL_PARTS_MAX = 512


def _canonical_url(url: str, normalize_path: bool) -> tuple[str, str]:
    cached = _URL_PARTS.get((url, normalize_path))
    if cached is not None:
        return cached
    scheme, netloc, path, query = split_url(url)
    parts = (f"{canonical_path(path, normalize_path)}\n{canonical_query(query)}\n",
             host_from_netloc(scheme, netloc))
    if len(_URL_PARTS) >= _URL_PARTS_MAX:
        _URL_PARTS.clear()
    _URL_PARTS[url, normalize_path] = parts
    return parts


def _signature(key: _SigningKey, string_to_sign: str) -> str:
    inner = key.inner.copy()
    inner.update(string_to_sign.encode())
    outer = key.outer.copy()
    outer.update(inner.digest())
    hexdigest: str = outer.hexdigest()
    return hexdigest


def _payload_hash(body: bytes | bytearray | memoryview | str | None) -> str:
    if not body:
        return EMPTY_SHA256
    if isinstance(body, str):
        return hashlib.sha256(body.encode()).hexdigest()
    if isinstance(body, (bytes, bytearray, memoryview)):
        return hashlib.sha256(body).hexdigest()
    raise ConfigError(
        f"body must be bytes, str or None to be hashed, got {type(body).__name__}; "
        "pass payload_hash for a streaming body",
        field="body",
    )


def _check_scope(region: str, service: str) -> None:
    if not region or not isinstance(region, str):
        raise ConfigError("region must be a non-empty string", field="region")
    if not service or not isinstance(service, str):
        raise ConfigError("service must be a non-empty string", field="service")


class _Signed(NamedTuple):
    """Everything one signature computed; tests compare the intermediate strings."""

    canonical_request: str
    string_to_sign: str
    headers: list[tuple[str, str]]


def _sign(
    method: str,
    url: str,
    headers: Headers,
    body: bytes | bytearray | memoryview | str | None,
    credentials: Credentials,
    region: str,
    service: str,
    timestamp: datetime | float,
    normalize_path: bool,
    payload_hash: str | None,
    sign_token: bool,
) -> _Signed:
    _check_scope(region, service)
    stamp = amz_date(timestamp)
    request_line, url_host = _canonical_url(url, normalize_path)
    token = credentials.token

    # Lowercased name -> canonical value; duplicates are joined with "," in the order given.
    skipped = SKIPPED_HEADERS[token is not None, payload_hash is not None]
    signed: dict[str, str] = {}
    # A list is the usual form; testing for it first skips the slower ABC isinstance check.
    pairs = (
        headers if type(headers) is list or not isinstance(headers, Mapping) else headers.items()
    )
    for name, value in pairs:
        lname = name.lower()
        if lname in skipped:
            continue
        # Trimall: strip and collapse inner whitespace runs (incl. folded multiline values).
        # Skipped for the usual value that has no whitespace at all (a cheap C-level test).
        if not value.isprintable() or " " in value:
            value = " ".join(value.split())
        previous = signed.get(lname)
        signed[lname] = value if previous is None else f"{previous},{value}"
    if "host" not in signed:
        signed["host"] = url_host
    signed["x-amz-date"] = stamp
    added = [("X-Amz-Date", stamp)]
    if token is not None:
        if sign_token:
            signed["x-amz-security-token"] = token
        added.append(("X-Amz-Security-Token", token))
    if payload_hash is not None:
        signed["x-amz-content-sha256"] = payload_hash
        added.append(("X-Amz-Content-SHA256", payload_hash))
    elif "x-amz-content-sha256" in signed:
        # The caller set the header itself: like botocore, sign with that value.
        payload_hash = signed["x-amz-content-sha256"]
    else:
        payload_hash = _payload_hash(body)

    names = sorted(signed)
    signed_headers = ";".join(names)
    canonical_headers = "".join([f"{name}:{signed[name]}\n" for name in names])
    canonical_request = (
        f"{method.upper()}\n{request_line}{canonical_headers}\n{signed_headers}\n{payload_hash}"
    )
    date = stamp[:8]
    key = _signing_key(credentials.secret_key, date, region, service)
    string_to_sign = (
        f"{ALGORITHM}\n{stamp}\n{key.scope}\n"
        f"{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    )
    signature = _signature(key, string_to_sign)
    authorization = (
        f"{ALGORITHM} Credential={credentials.access_key}/{key.scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    added.append(("Authorization", authorization))
    return _Signed(canonical_request, string_to_sign, added)


def sign(
    method: str,
    url: str,
    headers: Headers,
    body: bytes | bytearray | memoryview | str | None,
    *,
    credentials: Credentials,
    region: str,
    service: str,
    timestamp: datetime | float,
    normalize_path: bool = True,
    payload_hash: str | None = None,
    sign_token: bool = True,
) -> list[tuple[str, str]]:
    """Sign a request with SigV4 in the ``Authorization`` header.

    Every given header is signed except ``User-Agent``, ``Expect``, ``X-Amzn-Trace-Id`` and
    hop-by-hop headers (botocore's choice), plus ``Host`` (taken from ``headers`` when given,
    else from ``url`` without a default port) and the headers this function adds.

    Args:
        method: The HTTP method (any case).
        url: The full URL as it will be sent: scheme, host, path, and query string already
            percent-encoded. Raw characters outside the unreserved set in the query are encoded
            for the signature the way the server will see them.
        headers: The request's headers, as ``(name, value)`` pairs (a name may repeat) or a
            mapping. ``Authorization``, ``X-Amz-Date``, and the ``X-Amz-Security-Token`` /
            ``X-Amz-Content-SHA256`` headers this call returns are left out: the caller
            replaces them with the returned values.
        body: The request body, hashed into the signature when ``payload_hash`` is None (and no
            ``X-Amz-Content-SHA256`` header is given). A str is encoded as UTF-8. For a
            streaming body pass ``payload_hash`` instead.
        credentials: The credentials to sign with.
        region: The signing region (``us-east-1``).
        service: The signing name of the service (``dynamodb``, ``s3``).
        timestamp: The signing time: a timezone-aware datetime, or POSIX seconds (int/float).
        normalize_path: Remove ``.``/``..``/empty path segments and encode the path once more,
            as SigV4 requires for every service except S3. Pass False for S3.
        payload_hash: When given, the hex SHA-256 of the body (or ``UNSIGNED_PAYLOAD``): used
            as is and sent as ``X-Amz-Content-SHA256``, which S3 requires.
        sign_token: Whether a session token is part of the signature (the default, as botocore
            does) or only sent alongside it.

    Returns:
        The headers to add, in order: ``X-Amz-Date``, ``X-Amz-Security-Token`` (when the
        credentials have a token), ``X-Amz-Content-SHA256`` (when ``payload_hash`` is given)
        and ``Authorization``. Each replaces any header of the same name.

    Raises:
        ConfigError: ``timestamp`` is naive, ``url`` is not absolute, ``region``/``service`` is
            empty, or ``body`` cannot be hashed; or an argument of the wrong type made signing
            fail (the error then names only the original exception's type, since its details
            may quote a credential).
    """
    try:
        return _sign(
            method,
            url,
            headers,
            body,
            credentials,
            region,
            service,
            timestamp,
            normalize_path,
            payload_hash,
            sign_token,
        ).headers
    except BaseException as exc:  # noqa: BLE001 - re-raised, scrubbed
        error = scrubbed(exc, "signing the request", field="request")
    raise error  # outside the except block: no __context__ holding the original


def _presign(
    method: str,
    url: str,
    credentials: Credentials,
    region: str,
    service: str,
    timestamp: datetime | float,
    expires: int,
    normalize_path: bool,
    payload_hash: str,
) -> tuple[str, _Signed]:
    if (
        not isinstance(expires, int)
        or isinstance(expires, bool)
        or not 1 <= expires <= MAX_PRESIGN_EXPIRES
    ):
        raise ConfigError(
            f"expires must be an int from 1 to {MAX_PRESIGN_EXPIRES} seconds, got {expires!r}",
            field="expires",
        )
    _check_scope(region, service)
    stamp = amz_date(timestamp)
    scheme, netloc, path, query = split_url(url)
    date = stamp[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    # Same parameters, in the same order, as botocore's presigner.
    auth = [
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", quote(f"{credentials.access_key}/{scope}", safe="-_.~")),
        ("X-Amz-Date", stamp),
        ("X-Amz-Expires", str(expires)),
        ("X-Amz-SignedHeaders", "host"),
    ]
    if credentials.token is not None:
        auth.append(("X-Amz-Security-Token", quote(credentials.token, safe="-_.~")))
    canonical_request = (
        f"{method.upper()}\n{canonical_path(path, normalize_path)}\n"
        f"{canonical_query(query, auth)}\n"
        f"host:{host_from_netloc(scheme, netloc)}\n\nhost\n{payload_hash}"
    )
    string_to_sign = (
        f"{ALGORITHM}\n{stamp}\n{scope}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    )
    signature = _signature(
        _signing_key(credentials.secret_key, date, region, service), string_to_sign
    )
    auth_query = "&".join([f"{name}={value}" for name, value in auth])
    base = url.partition("#")[0].partition("?")[0]
    prefix = f"{query}&" if query else ""
    presigned = f"{base}?{prefix}{auth_query}&X-Amz-Signature={signature}"
    return presigned, _Signed(canonical_request, string_to_sign, [])


def presign_url(
    method: str,
    url: str,
    *,
    credentials: Credentials,
    region: str,
    service: str,
    timestamp: datetime | float,
    expires: int = 3600,
    normalize_path: bool = True,
    payload_hash: str = UNSIGNED_PAYLOAD,
) -> str:
    """Presign a URL: put a SigV4 signature in its query string.

    Whoever holds the URL can make that one request (same method, no extra signed headers)
    until it expires, without credentials. Only ``Host`` is signed. The session token, when
    there is one, is part of the signed query.

    Args:
        method: The HTTP method the URL is for.
        url: The full URL, path and query already percent-encoded. Its query parameters are
            kept in order and the ``X-Amz-*`` parameters appended after them.
        credentials: The credentials to sign with.
        region: The signing region.
        service: The signing name of the service.
        timestamp: The signing time (aware datetime or POSIX seconds); the URL is valid from
            then for ``expires`` seconds.
        expires: Validity in seconds, 1 to 604800 (seven days).
        normalize_path: As for :func:`sign`; pass False for S3.
        payload_hash: The payload hash to sign; S3 uses ``UNSIGNED_PAYLOAD`` (the default).
            Other services' presigned GETs, as botocore makes them, use ``EMPTY_SHA256``.

    Returns:
        The presigned URL.

    Raises:
        ConfigError: ``expires`` is out of range or not an int, ``timestamp`` is naive,
            ``url`` is not absolute, or ``region``/``service`` is empty.
    """
    try:
        return _presign(
            method,
            url,
            credentials,
            region,
            service,
            timestamp,
            expires,
            normalize_path,
            payload_hash,
        )[0]
    except BaseException as exc:  # noqa: BLE001 - re-raised, scrubbed
        error = scrubbed(exc, "presigning the URL", field="request")
    raise error  # outside the except block: no __context__ holding the original
