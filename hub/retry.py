"""Retry policies: standard and adaptive modes, the retry quota, error classification.

The behaviour is that of botocore's ``standard`` retry mode (version 2.0, its default) and
aws-sdk-go-v2's ``retry.Standard``:

* at most ``max_attempts`` HTTP attempts (3 by default), counting the first;
* transient errors (connection failures, timeouts, HTTP 500/502/503/504, a few codes) and
  throttling errors are retried; everything else is not;
* full-jitter exponential backoff: ``rng() * min(max_backoff, base * 2 ** retries_so_far)``
  with ``base`` 1 s and ``max_backoff`` 20 s;
* a retry quota shared by every request of a client config: a retry costs 5 tokens (10 after
  a timeout) from a bucket of 500; a success refunds the last retry's cost, or 1 token when it
  needed no retry. An empty bucket stops retries until successes refill it, so an outage does
  not multiply traffic.

A server-requested delay (``x-amz-retry-after`` in milliseconds, or ``Retry-After`` in seconds
or as an HTTP-date) is clamped as botocore's new retry behaviour clamps ``x-amz-retry-after``
(in 1.43 behind ``AWS_NEW_RETRIES_2026``; its default mode ignores the header): the wait is
``max(t, min(asked, t + 5 s))`` where ``t`` is the jittered backoff computed for that attempt.
A server can lengthen a wait by at most 5 s per retry, never shorten it, so a hostile
``Retry-After: 40`` costs a 3-attempt call at most ``(1 + 5) + (2 + 5)`` seconds of sleep.

hub adds: ``Retry-After`` is honoured too (botocore reads only ``x-amz-retry-after``), bodies
that cannot be rewound are never resent, and expired-token errors are retried once after
invalidating the cached credentials.

A policy is created per client config and consulted by the request's ``retry`` phase::

    delay = policy.decide(request)      # float seconds, or None (reason in request.error)
    policy.on_success(request)          # after a successful attempt
    policy.before_attempt(request)      # before every send (adaptive mode may block here)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from hub._retry_classify import (
    EXPIRED_TOKEN_CODES,
    THROTTLING_CODES,
    TRANSIENT_CODES,
    TRANSIENT_STATUS_CODES,
    is_expired_token,
    is_throttling,
    is_timeout,
    is_transient,
    retry_after,
)
from hub._retry_quota import RetryQuota
from hub._retry_ratelimit import AdaptiveRateLimiter
from hub._transport import DEADLINE_KEY, Deadline
from hub.errors import ConfigError, HubError

__all__ = [
    "EXPIRED_TOKEN_CODES",
    "RETRY_AFTER_ALLOWANCE",
    "RETRY_MODES",
    "THROTTLING_CODES",
    "TRANSIENT_CODES",
    "TRANSIENT_STATUS_CODES",
    "AdaptiveRateLimiter",
    "AdaptiveRetryPolicy",
    "RetryPolicy",
    "RetryQuota",
    "RetryRequest",
    "StandardRetryPolicy",
    "is_expired_token",
    "is_throttling",
    "is_timeout",
    "is_transient",
    "make_policy",
]

RETRY_MODES = ("standard", "adaptive")
"""The accepted ``retry_mode`` values."""

RETRY_AFTER_ALLOWANCE = 5.0
"""Seconds a server's ``Retry-After``/``x-amz-retry-after`` may add to a computed backoff
(botocore's ``_RETRY_AFTER_MAX_ADDITIONAL``)."""

# Keys this module keeps in ``request.context``.
_QUOTA_COST = "retry.quota_cost"
_TOKEN_RETRIED = "retry.expired_token_retried"
_INVALIDATE = "invalidate_credentials"


class _HTTPResponseLike(Protocol):
    @property
    def headers(self) -> Mapping[str, str]: ...


class RetryRequest(Protocol):
    """The parts of a request a retry policy reads (``hub._request.Request`` has them)."""

    @property
    def error(self) -> HubError | None:
        """The error the last attempt ended with."""

    @property
    def http_response(self) -> _HTTPResponseLike | None:
        """The last attempt's HTTP response, if one arrived."""

    @property
    def retry_count(self) -> int:
        """Retries done so far (the attempt that just ended is ``retry_count + 1``)."""

    @property
    def body_rewindable(self) -> bool:
        """False when the body cannot be sent again (the request is then never retried)."""

    @property
    def context(self) -> dict[str, Any]:
        """Per-request scratch space shared by handlers."""


class RetryPolicy(Protocol):
    """What the request pipeline needs from a retry policy."""

    @property
    def max_attempts(self) -> int:
        """The most HTTP attempts one request may make, counting the first."""

    def before_attempt(self, request: RetryRequest) -> None:
        """Called before every send; may block (client-side rate limiting)."""

    def decide(self, request: RetryRequest) -> float | None:
        """Return the delay before the next attempt, or None to stop (reason set on the error)."""

    def on_success(self, request: RetryRequest) -> None:
        """Called once when an attempt succeeds."""


class StandardRetryPolicy:
    """The standard retry mode (see the module docstring).

    Args:
        max_attempts: Most HTTP attempts per request, counting the first (>= 1).
        quota: The retry quota to draw from; a new 500-token one when None. Share one quota
            between the policies whose requests should limit each other's retries.
        max_backoff: The longest computed backoff, in seconds (before any server-requested
            extension).
        base: The backoff scale in seconds: the n-th retry (0-based) waits up to
            ``base * 2 ** n``.
        rng: Returns a float in [0, 1); injected for reproducible tests.
        clock: Returns the current Unix time; used to turn a ``Retry-After`` HTTP-date into
            a delay.
        retry_after_allowance: The most seconds a server-requested delay may add to the
            computed backoff of an attempt (0 ignores ``Retry-After`` entirely).

    Raises:
        ConfigError: An argument is out of range.
    """

    def __init__(
        self,
        max_attempts: int = 3,
        *,
        quota: RetryQuota | None = None,
        max_backoff: float = 20.0,
        base: float = 1.0,
        rng: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
        retry_after_allowance: float = RETRY_AFTER_ALLOWANCE,
    ) -> None:
        _check_max_attempts(max_attempts)
        if not max_backoff >= 0:
            raise ConfigError(f"max_backoff must be >= 0, got {max_backoff!r}")
        if not base > 0:
            raise ConfigError(f"base must be > 0, got {base!r}")
        if not retry_after_allowance >= 0:
            raise ConfigError(
                f"retry_after_allowance must be >= 0, got {retry_after_allowance!r}")
        self._max_attempts = max_attempts
        self.quota = quota if quota is not None else RetryQuota()
        self.max_backoff = float(max_backoff)
        self.base = float(base)
        self._rng = rng
        self._clock = clock
        self.retry_after_allowance = float(retry_after_allowance)

    @property
    def max_attempts(self) -> int:
        """The most HTTP attempts one request may make, counting the first."""
        return self._max_attempts

    def before_attempt(self, request: RetryRequest) -> None:
        """Do nothing: standard mode does not limit the send rate.

        Args:
            request: The request about to be sent.
        """

    def decide(self, request: RetryRequest) -> float | None:
        """Decide whether to retry the attempt that just failed, and after how long.

        When not retrying, sets ``request.error.retry_reason`` (``"not_retryable"``,
        ``"max_attempts"`` or ``"retry_quota"``) and ``request.error.attempts``.

        Args:
            request: The request whose last attempt failed (``request.error`` is set).

        Returns:
            Seconds to wait before the next attempt, or None to give up.
        """
        error = request.error
        if error is None:
            return None
        attempts = request.retry_count + 1
        context = request.context
        code: str | None = getattr(error, "code", None)
        response = request.http_response
        status = getattr(response, "status", None) if response is not None else None

        if is_expired_token(code):
            if context.get(_TOKEN_RETRIED):
                return self._stop(error, attempts, "not_retryable")
            retryable = True
        else:
            retryable = is_transient(error, status) or is_throttling(code, status)
        if not retryable or not request.body_rewindable:
            return self._stop(error, attempts, "not_retryable")
        if attempts >= self._max_attempts:
            return self._stop(error, attempts, "max_attempts")

        if is_expired_token(code):
            # Stale credentials, not an overloaded service: no quota, no backoff.
            context[_TOKEN_RETRIED] = True
            invalidate = context.get(_INVALIDATE)
            if callable(invalidate):
                invalidate()
            return 0.0

        cost = RetryQuota.TIMEOUT_RETRY_COST if is_timeout(error) else RetryQuota.RETRY_COST
        if not self.quota.acquire(cost):
            return self._stop(error, attempts, "retry_quota")
        # Remember the last cost taken: a later success refunds exactly that.
        context[_QUOTA_COST] = cost
        return self._delay(request.retry_count, response)

    def on_success(self, request: RetryRequest) -> None:
        """Refund quota after a successful attempt.

        Args:
            request: The request that succeeded.
        """
        cost = request.context.pop(_QUOTA_COST, None)
        self.quota.release(cost if cost is not None else RetryQuota.NO_RETRY_INCREMENT)

    def _delay(self, retries: int, response: _HTTPResponseLike | None) -> float:
        # 2 ** n overflows float for huge n; the cap is reached long before that.
        ceiling = (
            self.max_backoff if retries >= 64 else min(self.max_backoff, self.base * 2**retries)
        )
        delay = self._rng() * ceiling
        if response is not None:
            asked = retry_after(response.headers, self._clock)
            if asked is not None:
                # The server may lengthen this attempt's wait by a bounded amount, never
                # shorten it: a hostile "Retry-After: 40" must not stall every call.
                delay = max(delay, min(asked, delay + self.retry_after_allowance))
        return delay

    @staticmethod
    def _stop(error: HubError, attempts: int, reason: str) -> None:
        error.retry_reason = reason
        error.attempts = attempts

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(max_attempts={self._max_attempts},"
            f" max_backoff={self.max_backoff}, quota={self.quota!r})"
        )


class AdaptiveRetryPolicy(StandardRetryPolicy):
    """Standard mode plus client-side rate limiting (botocore's ``adaptive`` mode).

    Every response feeds an :class:`AdaptiveRateLimiter`; after the first throttling response,
    :meth:`before_attempt` blocks until the limiter grants a send token. The limiter is shared
    by every request using this policy, so all threads of a client config slow down together.

    Args:
        max_attempts: Most HTTP attempts per request, counting the first (>= 1).
        limiter: The rate limiter; a new one when None.
        **kwargs: Passed to :class:`StandardRetryPolicy`.
    """

    def __init__(
        self,
        max_attempts: int = 3,
        *,
        limiter: AdaptiveRateLimiter | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(max_attempts, **kwargs)
        self.limiter = limiter if limiter is not None else AdaptiveRateLimiter()

    def before_attempt(self, request: RetryRequest) -> None:
        """Block until the rate limiter allows another send.

        With ``Config.call_timeout`` set, waits no longer than the call has left.

        Args:
            request: The request about to be sent.

        Raises:
            CallTimeoutError: No send token within the call's remaining time.
        """
        deadline: Deadline | None = request.context.get(DEADLINE_KEY)
        if deadline is None:
            self.limiter.acquire()
        elif not self.limiter.try_acquire(deadline.remaining()):
            http = getattr(request, "http_request", None)
            raise deadline.error(getattr(http, "url", None),
                                 "a send token from the adaptive rate limiter")

    def decide(self, request: RetryRequest) -> float | None:
        """Record the failed attempt with the rate limiter, then decide as standard mode does.

        Args:
            request: The request whose last attempt failed.

        Returns:
            Seconds to wait before the next attempt, or None to give up.
        """
        error = request.error
        if error is not None:
            response = request.http_response
            status = getattr(response, "status", None) if response is not None else None
            self.limiter.update(is_throttling(getattr(error, "code", None), status))
        return super().decide(request)

    def on_success(self, request: RetryRequest) -> None:
        """Record the success with the rate limiter and refund quota.

        Args:
            request: The request that succeeded.
        """
        self.limiter.update(False)
        super().on_success(request)


def make_policy(mode: str, max_attempts: int) -> RetryPolicy:
    """Build the retry policy for a client config.

    Args:
        mode: ``"standard"`` or ``"adaptive"`` (``Config.retry_mode``, env ``AWS_RETRY_MODE``).
        max_attempts: Most attempts per request, counting the first (``Config.max_attempts``,
            env ``AWS_MAX_ATTEMPTS``).

    Returns:
        A new policy with its own quota (and rate limiter, in adaptive mode).

    Raises:
        ConfigError: Unknown mode (``field="retry_mode"``) or ``max_attempts`` below 1
            (``field="max_attempts"``).
    """
    _check_max_attempts(max_attempts)
    if mode == "standard":
        return StandardRetryPolicy(max_attempts)
    if mode == "adaptive":
        return AdaptiveRetryPolicy(max_attempts)
    hint = " (hub has no legacy mode; use 'standard')" if mode == "legacy" else ""
    raise ConfigError(
        f"invalid retry_mode {mode!r}: expected 'standard' or 'adaptive'{hint}",
        field="retry_mode",
    )


def _check_max_attempts(max_attempts: object) -> None:
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
        raise ConfigError(
            f"invalid max_attempts {max_attempts!r}: expected an integer >= 1 (1 means no retries)",
            field="max_attempts",
        )


# Public names defined in private modules show as hub.retry.X in reprs and docs.
AdaptiveRateLimiter.__module__ = __name__
RetryQuota.__module__ = __name__
for _fn in (is_expired_token, is_throttling, is_timeout, is_transient):
    _fn.__module__ = __name__
del _fn
