"""Which errors are worth retrying, and what the server said about when.

Pure functions and constant tables; re-exported by :mod:`hub.retry`. The code lists are the ones
botocore's standard retry mode and aws-sdk-go-v2 use (they agree; botocore also counts
``PriorRequestNotComplete`` as transient).
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Mapping
from datetime import timezone

from hub.errors import (
    ClientError,
    ConnectTimeoutError,
    HTTPClientError,
    ReadTimeoutError,
    ResponseParseError,
    SSLError,
)

THROTTLING_CODES: frozenset[str] = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
"""Service error codes that mean "slow down"."""

TRANSIENT_CODES: frozenset[str] = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}
)
"""Service error codes that mean "try again" without saying the service is overloaded."""

TRANSIENT_STATUS_CODES: frozenset[int] = frozenset({500, 502, 503, 504})
"""HTTP statuses retried whatever the error code."""

EXPIRED_TOKEN_CODES: frozenset[str] = frozenset(
    {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
)
"""Error codes that mean the credentials (or the signature) went stale: retried once, after
the credentials cache is invalidated."""

_MAX_DIGITS = 15  # more than any sane delay; longer digit strings are not parsed


def is_throttling(code: str | None, status: int | None) -> bool:
    """Tell whether a service response means "slow down".

    Args:
        code: The service error code, or None.
        status: The HTTP status, or None. A 429 counts as throttling whatever the code
            (as in aws-sdk-go v1); botocore looks at the code only.

    Returns:
        True for a throttling response.
    """
    return code in THROTTLING_CODES or status == 429


def is_transient(error: BaseException, status: int | None = None) -> bool:
    """Tell whether an error is transient: retrying the same request may well succeed.

    Transient are: connection failures (including connect timeouts and proxy failures, but not
    TLS failures, which do not fix themselves), read timeouts, connections closed mid-response,
    HTTP 500/502/503/504 responses (also when their body could not be parsed), and the codes
    in :data:`TRANSIENT_CODES`. Throttling is a separate question: see :func:`is_throttling`.

    Args:
        error: The error the attempt ended with.
        status: The HTTP status of the response, when the caller knows it and the error does
            not carry it.

    Returns:
        True when the error is transient.
    """
    if isinstance(error, HTTPClientError):
        return not isinstance(error, SSLError)
    if isinstance(error, ClientError):
        return error.code in TRANSIENT_CODES or error.status_code in TRANSIENT_STATUS_CODES
    if isinstance(error, ResponseParseError) and error.status_code is not None:
        status = error.status_code
    return status in TRANSIENT_STATUS_CODES


def is_timeout(error: BaseException) -> bool:
    """Tell whether an error is a timeout (its retry costs more quota).

    Args:
        error: The error the attempt ended with.

    Returns:
        True for connect and read timeouts.
    """
    return isinstance(error, (ConnectTimeoutError, ReadTimeoutError))


def is_expired_token(code: str | None) -> bool:
    """Tell whether an error code means the credentials expired.

    Args:
        code: The service error code, or None.

    Returns:
        True for ``ExpiredToken``, ``ExpiredTokenException`` and ``RequestExpired``.
    """
    return code in EXPIRED_TOKEN_CODES


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Look up a header whether or not ``headers`` is case-insensitive.

    Args:
        headers: The response headers.
        name: The header name, lowercase.

    Returns:
        The value, or None when absent.
    """
    value = headers.get(name)
    if value is not None:
        return value
    for key, candidate in headers.items():
        if key.lower() == name:
            return candidate
    return None


def retry_after(headers: Mapping[str, str], clock: Callable[[], float]) -> float | None:
    """Read the server's requested delay, in seconds, from a response's headers.

    ``x-amz-retry-after`` (integer milliseconds) wins over ``Retry-After`` (integer seconds or
    an HTTP-date). Malformed or negative values are ignored; a date in the past means 0. The
    value is returned as asked: the retry policy clamps it (see :mod:`hub.retry`).

    Args:
        headers: The response headers.
        clock: Returns the current Unix time (for HTTP-dates).

    Returns:
        The delay in seconds, or None when the server did not ask for one.
    """
    amz = header(headers, "x-amz-retry-after")
    if amz is not None:
        amz = amz.strip()
        if amz.isascii() and amz.isdigit():
            return int(amz) / 1000.0 if len(amz) <= _MAX_DIGITS else float("inf")
    value = header(headers, "retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        # Huge values are clamped by the policy; past _MAX_DIGITS, do not even parse them.
        return float(value) if len(value) <= _MAX_DIGITS else float("inf")
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return max(0.0, when.timestamp() - clock())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
