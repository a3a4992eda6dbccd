"""The credentials value and the provider protocol every source implements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from hub.errors import ConfigError


def _mask(value: str) -> str:
    # Access key ids are not secret, but showing all of one invites pasting it around;
    # the last four characters are enough to tell keys apart in logs.
    return f"****{value[-4:]}" if len(value) > 4 else "****"


@dataclass(frozen=True, slots=True, repr=False)
class Credentials:
    """An immutable set of AWS credentials.

    Args:
        access_key: The access key id.
        secret_key: The secret access key. Never shown by ``repr``/``str``.
        token: The session token for temporary credentials, or None. Never shown.
        expiry: When temporary credentials expire (timezone-aware), or None for long-lived ones.

    Raises:
        ConfigError: A key is empty or not a string, or ``expiry`` is naive.
    """

    access_key: str
    secret_key: str
    token: str | None = None
    expiry: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("access_key", "secret_key"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ConfigError(
                    f"credentials.{name} must be a non-empty string, got {type(value).__name__}",
                    field=f"credentials.{name}",
                )
        if self.token is not None and (not isinstance(self.token, str) or not self.token):
            raise ConfigError(
                "credentials.token must be a non-empty string or None", field="credentials.token"
            )
        if self.expiry is not None and (
            not isinstance(self.expiry, datetime) or self.expiry.tzinfo is None
        ):
            raise ConfigError(
                "credentials.expiry must be a timezone-aware datetime or None",
                field="credentials.expiry",
            )

    def __repr__(self) -> str:
        parts = [f"access_key={_mask(self.access_key)!r}", "secret_key=<hidden>"]
        if self.token is not None:
            parts.append("token=<hidden>")
        if self.expiry is not None:
            parts.append(f"expiry={self.expiry.isoformat()}")
        return f"Credentials({', '.join(parts)})"

    __str__ = __repr__


@runtime_checkable
class CredentialProvider(Protocol):
    """A source of credentials (environment, shared files, a process, a callable, ...).

    ``load()`` returns None when the source has nothing to offer (so a chain moves on) and raises
    :class:`hub.errors.CredentialProviderError` when the source exists but is broken (so the
    user hears about it instead of silently getting the next source's credentials).
    """

    @property
    def name(self) -> str:
        """A short name for error messages (``"env"``, ``"shared-credentials-file"``, ...)."""
        ...

    def load(self) -> Credentials | None:
        """Load credentials, or return None when this source has none."""
        ...
