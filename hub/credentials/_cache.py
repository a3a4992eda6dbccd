"""``CredentialsCache``: lock-free reads, single-flight loads and refreshes."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

from hub._forksafe import at_fork_reinit
from hub._value import dataclass, replace
from hub.credentials._values import CredentialProvider, Credentials, StaticProvider, is_provider
from hub.errors import (
    CallTimeoutError,
    ConfigError,
    CredentialProviderError,
    CredentialRefreshError,
    CredentialsError,
    NoCredentialsError,
)

__all__ = ["CredentialsCache"]

_LOG = logging.getLogger("hub.credentials")

# After a failed advisory refresh, keep serving the current credentials for this long before
# trying again, so a broken source is not hit on every call (never past the mandatory window).
ADVISORY_RETRY_DELAY = 30.0


@dataclass(frozen=True, slots=True)
class _Entry:
    """What the cache holds: published by one reference assignment, never mutated.

    Times are ``clock()`` values; all three are ``inf`` for credentials without expiry.
    """

    credentials: Credentials
    advisory_at: float
    mandatory_at: float
    expires_at: float


class _Flight:
    """One load in progress; the threads waiting for it read its outcome once it is done."""

    __slots__ = ("_done", "_entry", "_error")

    def __init__(self) -> None:
        self._done = threading.Event()
        self._entry: _Entry | None = None
        self._error: BaseException | None = None

    def finish(self, entry: _Entry | None, error: BaseException | None) -> None:
        # Event.set() orders these writes before any waiter's wait() returns.
        self._entry = entry
        self._error = error
        self._done.set()

    def wait(self, timeout: float | None = None) -> _Entry:
        if not self._done.wait(None if timeout is None else max(0.0, timeout)):
            raise _load_timeout(timeout)
        if self._error is not None:
            # Like concurrent.futures.Future.result(): every waiter raises the same error.
            raise self._error
        assert self._entry is not None
        return self._entry


def _load_timeout(timeout: float | None) -> CallTimeoutError:
    seconds = max(0.0, timeout or 0.0)
    return CallTimeoutError(f"credentials were not loaded within the {seconds:.3g}s left",
                            timeout=seconds)


def _describe(exc: BaseException) -> str:
    # hub's own credential errors are written to be secret-free; anything else may quote one.
    return str(exc) if isinstance(exc, CredentialsError) else type(exc).__name__


class CredentialsCache:
    """Holds a provider's credentials and refreshes them before they expire; thread-safe.

    ``get()`` is lock-free while the cached credentials are static or far from expiry: one
    attribute read and one comparison. Otherwise:

    - **Cold cache** (first use, or after :meth:`invalidate`): one caller loads, every other
      caller waits for that load; if it fails, all of them get its exception (the provider's
      own, e.g. :class:`~hub.errors.NoCredentialsError`) and the next ``get()`` tries again.
    - **Advisory window** (expiry within ``advisory_refresh`` seconds): one caller refreshes;
      the others keep getting the current credentials without waiting. If the refresh fails,
      a warning is logged and the current credentials are served for up to
      ``ADVISORY_RETRY_DELAY`` (30 s) more before the next attempt.
    - **Mandatory window** (expiry within ``mandatory_refresh`` seconds, or past it): callers
      wait for the single refresh. If it fails they get
      :class:`~hub.errors.CredentialRefreshError` (chained to the cause), even if the current
      credentials have not quite expired: a request signed with them could outlive them, and
      failing loudly here is what botocore does. The next ``get()`` tries again.

    Freshly loaded credentials that already sit inside a window (short-lived ones) are served
    for part of their remaining life first (half of it before the mandatory refresh, a quarter
    before the advisory one), so they do not trigger a refresh on every call.

    Correctness relies only on atomic reference assignment and one ``threading.Lock`` (it holds
    on free-threaded CPython): the cache publishes an immutable entry, and all state changes
    happen under the lock. The provider is never called with the lock held.

    In a child made by ``os.fork()``, the cache keeps the credentials it holds but forgets a
    load or refresh that another thread of the parent had in flight: the child loads itself.

    Args:
        provider: The source of credentials (a :class:`~hub.credentials.Credentials` value is
            wrapped in a :class:`~hub.credentials.StaticProvider`). Not called until ``get()``.
        advisory_refresh: Seconds before expiry at which one caller starts refreshing.
        mandatory_refresh: Seconds before expiry at which every caller waits for a refresh.
        clock: Returns the current time in seconds since the epoch (``time.time``); inject a
            fake one in tests.

    Raises:
        ConfigError: ``provider`` is not a provider, or the windows are negative or
            ``advisory_refresh < mandatory_refresh``.
    """

    __slots__ = (
        "__weakref__",
        "_advisory",
        "_clock",
        "_entry",
        "_flight",
        "_lock",
        "_mandatory",
        "_provider",
    )

    def __init__(
        self,
        provider: CredentialProvider | Credentials,
        *,
        advisory_refresh: float = 900.0,
        mandatory_refresh: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(provider, Credentials):
            provider = StaticProvider(provider)
        if not is_provider(provider):
            raise ConfigError(
                f"{type(provider).__name__} is not a credential provider (needs name, load)",
                field="credentials",
            )
        if not 0 <= mandatory_refresh <= advisory_refresh:
            raise ConfigError(
                "need 0 <= mandatory_refresh <= advisory_refresh, got"
                f" {mandatory_refresh} and {advisory_refresh}",
                field="advisory_refresh",
            )
        self._provider: CredentialProvider = provider
        self._advisory = float(advisory_refresh)
        self._mandatory = float(mandatory_refresh)
        self._clock = clock
        self._lock = threading.Lock()
        self._entry: _Entry | None = None  # read without the lock, written under it
        self._flight: _Flight | None = None  # the load in progress, under the lock
        at_fork_reinit(self, CredentialsCache._after_fork_in_child)

    def _after_fork_in_child(self) -> None:
        # The thread loading for everyone (and its lock) did not survive the fork: forget its
        # flight so that the child's first caller loads. The cached credentials are kept.
        self._lock = threading.Lock()
        self._flight = None

    @property
    def provider(self) -> CredentialProvider:
        """The provider this cache loads from."""
        return self._provider

    def __repr__(self) -> str:
        entry = self._entry
        if entry is None:
            state = "empty"
        elif entry.credentials.expiry is None:
            state = "static"
        else:
            state = f"expires {entry.credentials.expiry.isoformat()}"
        return f"CredentialsCache(provider={self._provider.name!r}, {state})"

    def get(self) -> Credentials:
        """Return valid credentials, loading or refreshing them when needed.

        Returns:
            The cached credentials.

        Raises:
            NoCredentialsError: The first load found no credentials.
            CredentialProviderError: The first load failed (broken source).
            CredentialRefreshError: A refresh failed and the current credentials are in the
                mandatory window or expired.
        """
        entry = self._entry
        if entry is not None and self._clock() < entry.advisory_at:
            return entry.credentials
        return self._get_slow()

    def get_within(self, timeout: float) -> Credentials:
        """:meth:`get`, waiting at most ``timeout`` seconds for a load or refresh.

        The load stays single-flight: the caller that starts it runs the provider in a helper
        thread and waits for it like everyone else, so a caller that gives up leaves the load
        running for the others (and for the next call, which joins it). During an advisory
        refresh the current credentials are returned without waiting, as in :meth:`get`.

        Args:
            timeout: Seconds this caller may wait (``Config.call_timeout``'s remainder).

        Raises:
            CallTimeoutError: No credentials within ``timeout``.
            NoCredentialsError, CredentialProviderError, CredentialRefreshError: As
                :meth:`get`.
        """
        entry = self._entry
        if entry is not None and self._clock() < entry.advisory_at:
            return entry.credentials
        return self._get_slow(timeout)

    def peek(self) -> Credentials | None:
        """Return the cached credentials (maybe expiring or expired) without loading any."""
        entry = self._entry
        return None if entry is None else entry.credentials

    def invalidate(self, credentials: Credentials | None = None) -> None:
        """Drop the cached credentials so that the next ``get()`` loads new ones.

        Call it when a service rejects the credentials (``ExpiredToken``). A load already in
        progress counts as that reload.

        Args:
            credentials: The credentials that were rejected, or None for whatever is cached.
                When given, the cache is only dropped if it still holds them, so many threads
                that saw the same rejection cause one reload, not one each.
        """
        with self._lock:
            entry = self._entry
            if entry is not None and (credentials is None or entry.credentials == credentials):
                self._entry = None

    def _get_slow(self, timeout: float | None = None) -> Credentials:
        with self._lock:
            entry = self._entry
            now = self._clock()
            if entry is not None and now < entry.advisory_at:
                return entry.credentials
            flight = self._flight
            if flight is None:
                flight = self._flight = _Flight()
                leader = True
            elif entry is not None and now < entry.mandatory_at:
                return entry.credentials  # advisory: someone is refreshing; do not wait
            else:
                leader = False
        if not leader:
            return flight.wait(timeout).credentials
        if timeout is None:
            return self._lead(flight, entry)
        return self._lead_in_helper(flight, entry, timeout)

    def _lead_in_helper(self, flight: _Flight, entry: _Entry | None, timeout: float
                        ) -> Credentials:
        # The load runs to its end in a helper thread whatever happens to this caller, so the
        # flight always completes; this caller waits only as long as its deadline allows.
        outcome: list[Credentials | BaseException] = []
        finished = threading.Event()

        def load() -> None:
            try:
                outcome.append(self._lead(flight, entry))
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                outcome.append(exc)
            finally:
                finished.set()

        threading.Thread(target=load, name="hub-credentials-load", daemon=True).start()
        if not finished.wait(max(0.0, timeout)):
            raise _load_timeout(timeout)
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def _lead(self, flight: _Flight, entry: _Entry | None) -> Credentials:
        # This thread loads for everyone; every path must complete ``flight``.
        try:
            new = self._load()
        except BaseException as exc:  # noqa: BLE001 - waiters must hear of any failure
            return self._fail(flight, entry, exc)
        with self._lock:
            self._entry = new
            self._flight = None
        flight.finish(new, None)
        return new.credentials

    def _load(self) -> _Entry:
        provider = self._provider
        credentials = provider.load()
        if credentials is None:
            raise NoCredentialsError(tried=(provider.name,))
        if not isinstance(credentials, Credentials):
            raise CredentialProviderError(
                provider.name, f"load() returned {type(credentials).__name__}"
            )
        if credentials.expiry is None:
            return _Entry(credentials, math.inf, math.inf, math.inf)
        now = self._clock()
        expires_at = credentials.expiry.timestamp()
        if expires_at <= now:
            raise CredentialProviderError(
                provider.name,
                f"returned credentials that expired at {credentials.expiry.isoformat()}",
            )
        mandatory_at = expires_at - self._mandatory
        if mandatory_at <= now:
            mandatory_at = now + (expires_at - now) / 2
        advisory_at = expires_at - self._advisory
        if advisory_at <= now:
            advisory_at = now + (mandatory_at - now) / 2
        return _Entry(credentials, advisory_at, mandatory_at, expires_at)

    def _fail(self, flight: _Flight, entry: _Entry | None, exc: BaseException) -> Credentials:
        if entry is None:
            # A first load (or a reload after invalidate): the provider's own error says most.
            error: BaseException = exc
        else:
            error = CredentialRefreshError(
                f"refreshing credentials from {self._provider.name} failed: {_describe(exc)}"
            )
            error.__cause__ = exc
            error.__suppress_context__ = True
        if not isinstance(exc, Exception):
            # KeyboardInterrupt and friends stay in the thread they hit; waiters get an error.
            error = CredentialsError(
                f"loading credentials from {self._provider.name} was interrupted"
            )
            error.__cause__ = exc
        keep = False
        with self._lock:
            self._flight = None
            now = self._clock()
            if (
                isinstance(exc, Exception)
                and entry is not None
                and self._entry is entry  # not invalidated meanwhile
                and now < entry.mandatory_at
            ):
                keep = True
                retry_at = min(now + ADVISORY_RETRY_DELAY, entry.mandatory_at)
                self._entry = replace(entry, advisory_at=retry_at)
        flight.finish(None, error)
        if keep:
            assert entry is not None
            _LOG.warning(
                "refreshing credentials from %s failed; still using the current ones (they"
                " expire at %s): %s",
                self._provider.name,
                entry.credentials.expiry.isoformat() if entry.credentials.expiry else "never",
                _describe(exc),
            )
            return entry.credentials
        if error is exc or not isinstance(exc, Exception):
            raise exc
        raise error
