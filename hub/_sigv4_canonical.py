"""The pieces of a SigV4 canonical request: URL split, host, path, query, headers, timestamp.

Private to :mod:`hub.signing`. Everything here is a pure function of its arguments and runs on
every signed request, so it avoids regexes and ``urllib.parse`` (both cost more than the work they
do here) and returns early for the common, already-canonical inputs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import quote

from hub.errors import ConfigError

# RFC 3986 unreserved characters: the only ones SigV4 leaves unencoded.
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
# A path made only of these is its own canonical form (``quote(path, safe="/~")`` is identity).
_PATH_SAFE = _UNRESERVED + "/"
_PATH_SAFE_OR_PERCENT = _PATH_SAFE + "%"
# A query key/value made only of these is taken as already encoded (botocore uses it as sent).
_QUERY_SAFE = _UNRESERVED + "%"

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Headers botocore never signs: hop-by-hop ones a proxy may rewrite, and ones that tools add or
# change after signing (user-agent, expect, x-amzn-trace-id). ``authorization`` and
# ``x-amz-date`` are always replaced by the signer's own values.
_ALWAYS_SKIPPED = frozenset(
    {
        "authorization",
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-amz-date",
        "x-amzn-trace-id",
    }
)
# Indexed by (replaces_token, replaces_content_sha256): the given headers the signer drops
# because it returns its own value for them.
SKIPPED_HEADERS = {
    (False, False): _ALWAYS_SKIPPED,
    (True, False): _ALWAYS_SKIPPED | {"x-amz-security-token"},
    (False, True): _ALWAYS_SKIPPED | {"x-amz-content-sha256"},
    (True, True): _ALWAYS_SKIPPED | {"x-amz-security-token", "x-amz-content-sha256"},
}


def split_url(url: str) -> tuple[str, str, str, str]:
    """Split ``scheme://netloc/path?query#fragment`` into (scheme, netloc, path, query).

    The fragment is dropped (it is never sent). ``path`` is returned exactly as written.
    """
    sep = url.find("://")
    if sep <= 0:
        raise ConfigError("url must be absolute (scheme://host/path)", field="url")
    scheme = url[:sep].lower()
    hash_at = url.find("#", sep)
    if hash_at >= 0:
        url = url[:hash_at]
    start = sep + 3
    query_at = url.find("?", start)
    slash_at = url.find("/", start, query_at if query_at >= 0 else len(url))
    if query_at < 0:
        query = ""
        end = len(url)
    else:
        query = url[query_at + 1 :]
        end = query_at
    if slash_at < 0:
        return scheme, url[start:end], "", query
    return scheme, url[start:slash_at], url[slash_at:end], query


def host_from_netloc(scheme: str, netloc: str) -> str:
    """The Host header value for a URL: lowercase, no userinfo, no default port."""
    host = netloc.rpartition("@")[2].lower()
    if host.startswith("["):  # IPv6 literal: "[::1]:8080"
        close = host.find("]")
        name, port = host[: close + 1], host[close + 2 :]
    else:
        name, _, port = host.partition(":")
    if not port:
        return name
    if not port.isdigit():
        raise ConfigError("url has a non-numeric port", field="url")
    number = int(port)
    return name if number == _DEFAULT_PORTS.get(scheme) else f"{name}:{number}"


def remove_dot_segments(path: str) -> str:
    """Remove ``.``/``..`` segments and empty segments (``//``), as AWS services do."""
    if "//" not in path and "/." not in path:
        return path
    out: list[str] = []
    for segment in path.split("/"):
        if not segment or segment == ".":
            continue
        if segment == "..":
            if out:
                out.pop()
        else:
            out.append(segment)
    first = "/" if path[0] == "/" else ""
    last = "/" if path[-1] == "/" and out else ""
    return first + "/".join(out) + last


def canonical_path(path: str, normalize: bool) -> str:
    """The canonical URI.

    With ``normalize`` (every service but S3) the path is normalized and then percent-encoded
    once more, so an already-encoded ``%20`` becomes ``%2520``: SigV4 double-encodes. S3
    signs the path as sent.
    """
    if not path:
        return "/"
    if not normalize:
        return path
    path = remove_dot_segments(path)
    if not path.rstrip(_PATH_SAFE):
        return path
    if not path.rstrip(_PATH_SAFE_OR_PERCENT):
        # Already percent-encoded (the usual case): only "%" needs encoding again, and
        # str.replace is several times faster than quote().
        return path.replace("%", "%25")
    return quote(path, safe="/~")


def _encode_query_part(text: str) -> str:
    # Already encoded (the usual case): keep it as sent. Otherwise encode what a server would
    # see as raw characters, keeping existing %XX escapes.
    if not text.rstrip(_QUERY_SAFE):
        return text
    return quote(text, safe="-_.~%")


def canonical_query(query: str, extra: Iterable[tuple[str, str]] = ()) -> str:
    """Sort ``key=value`` pairs by encoded key, then value; repeated keys are kept.

    Args:
        query: The query string as sent (without ``?``).
        extra: Already-encoded pairs to add (presigning's ``X-Amz-*`` parameters).
    """
    pairs = list(extra)
    if query:
        for pair in query.split("&"):
            key, _, value = pair.partition("=")
            pairs.append((_encode_query_part(key), _encode_query_part(value)))
    if not pairs:
        return ""
    pairs.sort()
    return "&".join([f"{key}={value}" for key, value in pairs])


# One-slot cache of the last formatted second: requests arrive many per second, and formatting
# costs more than the rest of the timestamp handling. A tuple swapped by one assignment, so
# readers on any thread see either the old or the new pair, never half of one.
_last_stamp: tuple[int, str] = (0, "19700101T000000Z")


def amz_date(timestamp: datetime | float) -> str:
    """Format a timestamp as SigV4's ``YYYYMMDDTHHMMSSZ`` in UTC.

    Args:
        timestamp: A timezone-aware datetime, or POSIX seconds (int or float).

    Raises:
        ConfigError: ``timestamp`` is naive or not a datetime/number.
    """
    global _last_stamp
    if type(timestamp) is float:  # the request pipeline's time.time(): the common case
        seconds = math.floor(timestamp)
    elif isinstance(timestamp, datetime):
        if timestamp.utcoffset() is None:
            raise ConfigError(
                "timestamp must be a timezone-aware datetime (e.g. datetime.now(timezone.utc))",
                field="timestamp",
            )
        seconds = math.floor(timestamp.timestamp())
    elif isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool):
        seconds = math.floor(timestamp)
    else:
        raise ConfigError(
            f"timestamp must be an aware datetime or POSIX seconds, got {type(timestamp).__name__}",
            field="timestamp",
        )
    last = _last_stamp
    if last[0] == seconds:
        return last[1]
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(seconds))
    _last_stamp = (seconds, stamp)
    return stamp
