"""``Runtime``: the mutable state a session family shares, kept beside its snapshots.

Snapshots are immutable and replaced on every change; client configs are a bounded cache of
them. Neither is the place for state that must live as long as the session family and be
shared by every client that talks to the same service endpoint:

* the transports (connection pools), keyed by :class:`~hub._transport.TransportSettings`;
* the retry quotas, keyed by ``(service, endpoint)``: a ``push_back`` (new snapshot) or the
  257th distinct client config (past the cache) must not hand out a fresh, full quota while
  the old one is drained;
* the adaptive-mode rate limiters, keyed the same way (throttling is per service endpoint);
* the retry policies built on them, keyed by ``(service, endpoint, mode, max_attempts)``.

A session and its copies (``Session.copy``) share one Runtime; a new ``Session`` gets its own.
Reads are lock-free (immutable mappings published copy-on-write); additions take one lock,
which is re-created in a forked child (:mod:`hub._forksafe`). The transports re-create their
pools in the child; quotas and limiters keep their state there (their own locks are
re-created by themselves).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from hub._forksafe import at_fork_reinit
from hub._transport import TransportRegistry

if TYPE_CHECKING:
    from hub.retry import AdaptiveRateLimiter, RetryPolicy, RetryQuota

__all__ = ["RetryPolicyRef", "Runtime"]

_EndpointKey = tuple[str, str]
_PolicyKey = tuple[str, str, str, int]


class Runtime:
    """Transports, retry quotas, rate limiters and retry policies of one session family.

    Attributes:
        transports: The transport registry (connection pools).
    """

    __slots__ = ("transports", "_quotas", "_limiters", "_policies", "_lock", "__weakref__")

    def __init__(self, transports: TransportRegistry | None = None) -> None:
        self.transports = TransportRegistry() if transports is None else transports
        self._quotas: Mapping[_EndpointKey, RetryQuota] = {}
        self._limiters: Mapping[_EndpointKey, AdaptiveRateLimiter] = {}
        self._policies: Mapping[_PolicyKey, RetryPolicy] = {}
        self._lock = threading.Lock()
        at_fork_reinit(self, Runtime._after_fork_in_child)

    def _after_fork_in_child(self) -> None:
        # Another thread of the parent may have held the lock while adding an entry.
        self._lock = threading.Lock()

    def retry_quota(self, service: str, endpoint: str) -> RetryQuota:
        """The retry quota shared by every client of ``service`` at ``endpoint``."""
        quota = self._quotas.get((service, endpoint))
        if quota is not None:
            return quota
        from hub.retry import RetryQuota

        with self._lock:
            quota = self._quotas.get((service, endpoint))
            if quota is None:
                quota = RetryQuota()
                self._quotas = {**self._quotas, (service, endpoint): quota}
            return quota

    def rate_limiter(self, service: str, endpoint: str) -> AdaptiveRateLimiter:
        """The adaptive-mode rate limiter shared by every client of ``service`` at ``endpoint``."""
        limiter = self._limiters.get((service, endpoint))
        if limiter is not None:
            return limiter
        from hub.retry import AdaptiveRateLimiter

        with self._lock:
            limiter = self._limiters.get((service, endpoint))
            if limiter is None:
                limiter = AdaptiveRateLimiter()
                self._limiters = {**self._limiters, (service, endpoint): limiter}
            return limiter

    def retry_policy(self, service: str, endpoint: str, mode: str, max_attempts: int
                     ) -> RetryPolicy:
        """The retry policy for clients of ``service`` at ``endpoint`` (built once).

        Raises:
            ConfigError: Unknown ``mode`` (``field="retry_mode"``) or ``max_attempts`` below 1.
        """
        key = (service, endpoint, mode, max_attempts)
        policy = self._policies.get(key)
        if policy is not None:
            return policy
        from hub.retry import AdaptiveRetryPolicy, StandardRetryPolicy, make_policy

        make_policy(mode, max_attempts)  # validates both; raises ConfigError naming the field
        quota = self.retry_quota(service, endpoint)
        built: RetryPolicy
        if mode == "adaptive":
            built = AdaptiveRetryPolicy(max_attempts, quota=quota,
                                        limiter=self.rate_limiter(service, endpoint))
        else:
            built = StandardRetryPolicy(max_attempts, quota=quota)
        with self._lock:
            policy = self._policies.get(key)
            if policy is None:
                policy = built
                self._policies = {**self._policies, key: policy}
            return policy

    def retry_policy_ref(self, service: str, endpoint: str, mode: str, max_attempts: int
                         ) -> RetryPolicyRef:
        """A handle on :meth:`retry_policy`'s answer that asks for it on first use.

        Creating a client does not need the policy (:mod:`hub.retry` and its three modules
        cost a couple of milliseconds of the cold start); its first request does. ``mode``
        and ``max_attempts`` come from a validated :class:`~hub.Config`.
        """
        return RetryPolicyRef(self, (service, endpoint, mode, max_attempts))

    def close(self) -> None:
        """Close the transports' idle connections (in-use ones close when they come back)."""
        self.transports.close()

    def __repr__(self) -> str:
        return (f"<hub Runtime transports={len(self.transports.transports())} "
                f"quotas={len(self._quotas)} limiters={len(self._limiters)}>")


class RetryPolicyRef:
    """A client configuration's retry policy, looked up in its :class:`Runtime` on first use
    (the runtime builds one per key under its lock: every reference to a key gets the same
    policy, whichever thread asks first)."""

    __slots__ = ("_runtime", "_key", "_policy")

    def __init__(self, runtime: Runtime, key: _PolicyKey) -> None:
        self._runtime = runtime
        self._key = key
        self._policy: RetryPolicy | None = None

    def get(self) -> RetryPolicy:
        """The policy (built and cached by the runtime on the first call)."""
        policy = self._policy
        if policy is None:
            policy = self._policy = self._runtime.retry_policy(*self._key)
        return policy

    def __repr__(self) -> str:
        return f"<hub RetryPolicyRef {self._key!r} built={self._policy is not None}>"
