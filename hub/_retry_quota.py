"""The retry quota: a token bucket that stops retry storms; re-exported by :mod:`hub.retry`."""

from __future__ import annotations

import threading

from hub._forksafe import at_fork_reinit
from hub.errors import ConfigError


class RetryQuota:
    """A thread-safe token bucket limiting retries across all requests that share it.

    Args:
        capacity: The full (and initial) number of tokens.

    Attributes:
        capacity: The full number of tokens.
    """

    RETRY_COST = 5
    """Tokens one retry takes."""
    TIMEOUT_RETRY_COST = 10
    """Tokens a retry after a connect or read timeout takes."""
    NO_RETRY_INCREMENT = 1
    """Tokens refunded by a success that needed no retry."""

    def __init__(self, capacity: int = 500) -> None:
        if capacity < 0:
            raise ConfigError(f"retry quota capacity must be >= 0, got {capacity}")
        self.capacity = capacity
        self._available = capacity
        self._lock = threading.Lock()
        at_fork_reinit(self, RetryQuota._after_fork_in_child)

    def _after_fork_in_child(self) -> None:
        # A thread of the parent may have held the lock at the fork; the tokens are kept.
        self._lock = threading.Lock()

    @property
    def available(self) -> int:
        """Tokens available now."""
        return self._available

    def acquire(self, amount: int) -> bool:
        """Take ``amount`` tokens if there are that many.

        Args:
            amount: Tokens to take.

        Returns:
            True when taken; False (and nothing taken) when the quota is short.
        """
        with self._lock:
            if amount > self._available:
                return False
            self._available -= amount
            return True

    def release(self, amount: int) -> None:
        """Give tokens back, never above ``capacity``.

        Args:
            amount: Tokens to return.
        """
        # Always under the lock: a lock-free "already full" shortcut can race with an
        # acquire and drop the refund.
        with self._lock:
            self._available = min(self.capacity, self._available + amount)

    def __repr__(self) -> str:
        return f"RetryQuota(available={self._available}, capacity={self.capacity})"
