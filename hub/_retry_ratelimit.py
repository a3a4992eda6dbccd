"""Client-side rate limiting for the adaptive retry mode.

The algorithm is botocore's (and aws-sdk-go-v2's) adaptive mode:

* a token bucket gates every send once the first throttling response has been seen (until
  then sending is unrestricted);
* the bucket's fill rate follows CUBIC congestion control: on a throttling response the rate
  drops to ``beta`` (0.7) times the rate we were sending at, then grows back along a cubic
  curve, ``scale * (t - k) ** 3 + w_max``, as successes come in;
* the fill rate never exceeds twice the measured send rate (smoothed over half-second buckets),
  so an idle client does not bank a burst.

One lock guards all of it; sleeping happens outside the lock so a waiting thread never blocks
the threads reporting responses. The lock is re-created in a forked child (``hub._forksafe``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from hub._forksafe import at_fork_reinit

_BETA = 0.7
_SCALE = 0.4
_SMOOTHING = 0.8
_BUCKET_SECONDS = 0.5
_MIN_FILL_RATE = 0.5
_MAX_RATE_ADJUST = 2.0
# Refilling for exactly the computed wait can land a hair under one token in floating point;
# without this slack the loop would sleep for ever-smaller, clock-invisible intervals.
_EPSILON = 1e-9


class AdaptiveRateLimiter:
    """A thread-safe send-rate limiter whose rate follows throttling feedback.

    Args:
        clock: Returns the current time in seconds (monotonic is fine).
        sleep: Sleeps for a number of seconds; injected so tests need not wait.

    Attributes:
        enabled: Whether sends are being limited (True after the first throttling response).
        fill_rate: Tokens (sends) per second currently allowed.
        measured_rate: The smoothed rate at which responses are coming back, per second.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        at_fork_reinit(self, AdaptiveRateLimiter._after_fork_in_child)
        now = clock()
        self.enabled = False
        # Token bucket.
        self.fill_rate = 1.0
        self._max_capacity = 1.0
        self._capacity = 0.0
        self._last_refill: float | None = None
        # CUBIC state: the rate at the last throttle, when it happened, and the time the curve
        # takes to climb back to that rate.
        self._w_max = 0.0
        self._last_throttle = now
        self._k = 0.0
        # Measured send rate.
        self.measured_rate = 0.0
        self._bucket_start = float(math.floor(now))
        self._count = 0

    def _after_fork_in_child(self) -> None:
        # A thread of the parent may have held the lock at the fork; the rates are kept.
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one send token, sleeping until one is available.

        Returns:
            The total time slept, in seconds (0 when not limited).
        """
        slept = self._acquire(None)
        assert slept is not None
        return slept

    def try_acquire(self, timeout: float) -> bool:
        """Take one send token if one is available within ``timeout`` seconds.

        Never sleeps past ``timeout``; when the token cannot come in time (at the current
        rate, re-checked after each sleep) it returns False at once rather than waiting for
        nothing.

        Args:
            timeout: The most seconds to wait (a call's remaining ``call_timeout``).

        Returns:
            True when a token was taken, False when none came within ``timeout``.
        """
        return self._acquire(timeout) is not None

    def _acquire(self, timeout: float | None) -> float | None:
        slept = 0.0
        while True:
            with self._lock:
                if not self.enabled:
                    return slept
                self._refill()
                if self._capacity >= 1.0 - _EPSILON:
                    self._capacity = max(0.0, self._capacity - 1.0)
                    return slept
                wait = (1.0 - self._capacity) / self.fill_rate
            if timeout is not None and slept + wait > timeout:
                return None  # not in time at this rate: give the caller its time back
            # Outside the lock: other threads keep reporting responses (and may raise the
            # rate) while this one waits; the loop re-checks afterwards.
            self._sleep(wait)
            slept += wait

    def update(self, throttled: bool) -> None:
        """Record a response and adjust the send rate.

        Args:
            throttled: Whether the response was a throttling error.
        """
        with self._lock:
            now = self._clock()
            measured = self._record(now)
            if throttled:
                rate = measured if not self.enabled else min(measured, self.fill_rate)
                self._w_max = rate
                self._k = ((rate * (1.0 - _BETA)) / _SCALE) ** (1.0 / 3.0)
                self._last_throttle = now
                new_rate = rate * _BETA
                self.enabled = True
            else:
                new_rate = _SCALE * (now - self._last_throttle - self._k) ** 3 + self._w_max
            self._set_rate(min(new_rate, _MAX_RATE_ADJUST * measured))

    def _record(self, now: float) -> float:
        bucket = float(math.floor(now / _BUCKET_SECONDS)) * _BUCKET_SECONDS
        self._count += 1
        if bucket > self._bucket_start:
            current = self._count / (bucket - self._bucket_start)
            self.measured_rate = current * _SMOOTHING + self.measured_rate * (1.0 - _SMOOTHING)
            self._count = 0
            self._bucket_start = bucket
        return self.measured_rate

    def _set_rate(self, rate: float) -> None:
        # Bank what accrued at the old rate before switching to the new one.
        self._refill()
        self.fill_rate = max(rate, _MIN_FILL_RATE)
        self._max_capacity = max(rate, 1.0)
        self._capacity = min(self._capacity, self._max_capacity)

    def _refill(self) -> None:
        now = self._clock()
        if self._last_refill is not None:
            gained = (now - self._last_refill) * self.fill_rate
            self._capacity = min(self._max_capacity, self._capacity + gained)
        self._last_refill = now
