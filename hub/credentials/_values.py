"""The credentials value, the provider protocol every source implements, and the static
provider (all a session with fixed credentials needs)."""

from __future__ import annotations

from datetime import datetime
from types import MemberDescriptorType as _MEMBER
from typing import Any, Protocol, TypeGuard, TypeVar, runtime_checkable

from hub._value import dataclass
from hub.errors import ConfigError


def _mask(value: str) -> str:
    # Access key ids are not secret, but showing all of one invites pasting it around;
    # the last four characters are enough to tell keys apart in logs.
    return f"****{value[-4:]}" if len(value) > 4 else "****"


def _problem(name: str, value: object, *, header: bool) -> str | None:
    """Why ``value`` cannot be ``credentials.<name>``, or None. Never quotes the value."""
    if not isinstance(value, str) or not value:
        return f"credentials.{name} must be a non-empty string, got {type(value).__name__}"
    # isprintable() is False for CR/LF and other control characters, and for the lone
    # surrogates that stand for undecodable bytes in environment variables and file names.
    if not value.isprintable():
        return (f"credentials.{name} contains a line break, a control character or an "
                "undecodable byte (the value is not shown)")
    if header and not value.isascii() and max(value) > "\xff":
        return (f"credentials.{name} has characters outside Latin-1, which an HTTP header "
                "cannot carry (the value is not shown)")
    return None


@dataclass(frozen=True, slots=True, repr=False, init=False)
class Credentials:
    """An immutable set of AWS credentials.

    Values are checked here, once, so that nothing later (signing, sending) can fail on them
    with an error that quotes them. The secret key and token never show in ``repr``/``str``,
    and credentials do not pickle (see :doc:`/security`): ship them on purpose with
    ``Config(pickle_credentials=True)``.

    Args:
        access_key: The access key id.
        secret_key: The secret access key. Never shown by ``repr``/``str``.
        token: The session token for temporary credentials, or None. Never shown.
        expiry: When temporary credentials expire (timezone-aware), or None for long-lived ones.

    Raises:
        ConfigError: A key is empty or not a string; a key or token has a line break, another
            control character or an undecodable byte; the access key or token is not Latin-1
            (they are sent in headers); or ``expiry`` is naive. The message names the field and
            never quotes the value.
    """

    access_key: str
    secret_key: str
    token: str | None
    expiry: datetime | None

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        token: str | None = None,
        expiry: datetime | None = None,
    ) -> None:
        problem = (
            _problem("access_key", access_key, header=True)
            or _problem("secret_key", secret_key, header=False)
            or (None if token is None else _problem("token", token, header=True))
        )
        if problem is not None:
            # Deleted before raising: a traceback recorded with its locals shows this frame.
            del access_key, secret_key, token
            field = problem.split(" ", 1)[0]
            raise ConfigError(problem, field=field)
        if expiry is not None and (not isinstance(expiry, datetime) or expiry.tzinfo is None):
            del access_key, secret_key, token
            raise ConfigError(
                "credentials.expiry must be a timezone-aware datetime or None",
                field="credentials.expiry",
            )
        object.__setattr__(self, "access_key", access_key)
        object.__setattr__(self, "secret_key", secret_key)
        object.__setattr__(self, "token", token)
        object.__setattr__(self, "expiry", expiry)

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError(
            "hub.Credentials do not pickle: they hold a secret key. To ship them to another "
            "process on purpose, pickle a Config(credentials=..., pickle_credentials=True); "
            "see the security docs"
        )

    def __copy__(self) -> Credentials:
        return self

    def __deepcopy__(self, memo: object) -> Credentials:
        return self

    def __repr__(self) -> str:
        if not hasattr(self, "expiry"):  # shown in a traceback while __init__ rejects a value
            return "Credentials(<not built>)"
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


# Classes whose instances pass the protocol check through class attributes (see is_provider):
# hub's own providers (provider_class) and classes that passed it once.
_PROVIDER_CLASSES: set[type] = set()

_C = TypeVar("_C", bound=type)


def provider_class(cls: _C) -> _C:
    """Class decorator for hub's own providers: their ``name`` and ``load`` are class
    attributes, so :func:`is_provider` knows them without asking typing."""
    _PROVIDER_CLASSES.add(cls)
    return cls


def is_provider(obj: object) -> TypeGuard[CredentialProvider]:
    """``isinstance(obj, CredentialProvider)``, remembered per class.

    typing's check of a runtime-checkable protocol walks the class on every call (~30 us; ~100
    us the first time, while a session is created). A class is remembered when ``name`` and
    ``load`` are its own attributes (not slots or instance attributes an instance may lack).
    """
    cls = type(obj)
    if cls in _PROVIDER_CLASSES:
        return True
    if not isinstance(obj, CredentialProvider):
        return False
    if all(getattr(cls, attr, None) is not None
           and type(getattr(cls, attr)) is not _MEMBER for attr in ("name", "load")):
        _PROVIDER_CLASSES.add(cls)
    return True


@provider_class
class StaticProvider:
    """Always returns the same credentials.

    Args:
        credentials: The credentials to return.

    Raises:
        ConfigError: ``credentials`` is not a :class:`~hub.credentials.Credentials`.
    """

    __slots__ = ("_credentials",)

    name = "static"

    def __init__(self, credentials: Credentials) -> None:
        if not isinstance(credentials, Credentials):
            raise ConfigError(
                f"StaticProvider needs Credentials, got {type(credentials).__name__}",
                field="credentials",
            )
        self._credentials = credentials

    def __repr__(self) -> str:
        return f"StaticProvider({self._credentials!r})"

    def load(self) -> Credentials:
        """Return the credentials given to the constructor."""
        return self._credentials
