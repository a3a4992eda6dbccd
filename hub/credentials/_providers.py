"""The simple providers: static, environment variables, the shared files, a callable."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from hub._redact import scrubbed
from hub.credentials._files import (
    config_file,
    config_profile,
    credentials_file,
    credentials_or_error,
    environ_of,
    read_ini,
    resolve_profile,
    static_credentials,
)
from hub.credentials._process import ProcessProvider
from hub.credentials._time import parse_timestamp
from hub.credentials._values import Credentials, StaticProvider, provider_class
from hub.errors import ConfigError, CredentialProviderError, CredentialsError

__all__ = [
    "EnvironmentProvider",
    "RefreshableProvider",
    "SharedConfigProvider",
    "SharedCredentialsProvider",
    "StaticProvider",
]

PathArg = str | os.PathLike[str] | None


@provider_class
class EnvironmentProvider:
    """Reads ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN``.

    ``AWS_SECURITY_TOKEN`` is read when ``AWS_SESSION_TOKEN`` is unset, and
    ``AWS_CREDENTIAL_EXPIRATION`` (ISO-8601) sets the expiry. Empty variables count as unset.
    The environment is read on every :meth:`load`, so a refresh picks up new values.

    Args:
        environ: The mapping to read, or None for the live ``os.environ``.
    """

    __slots__ = ("_environ",)

    name = "env"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ

    def __repr__(self) -> str:
        return "EnvironmentProvider()" if self._environ is None else "EnvironmentProvider(<map>)"

    def load(self) -> Credentials | None:
        """Return the credentials in the environment.

        Returns:
            The credentials, or None when neither key variable is set.

        Raises:
            CredentialProviderError: Only one of the key variables is set, or
                ``AWS_CREDENTIAL_EXPIRATION`` is not an ISO-8601 timestamp.
        """
        try:
            return self._load()
        except BaseException as exc:  # noqa: BLE001 - re-raised, scrubbed
            error = scrubbed(exc, "reading the environment", provider=self.name)
        raise error  # outside the except block, with this provider's frames cleared

    def _load(self) -> Credentials | None:
        env = environ_of(self._environ)
        access_key = env.get("AWS_ACCESS_KEY_ID") or None
        secret_key = env.get("AWS_SECRET_ACCESS_KEY") or None
        if access_key is None and secret_key is None:
            return None
        if access_key is None or secret_key is None:
            present, missing = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
            if access_key is None:
                present, missing = missing, present
            raise CredentialProviderError(self.name, f"{present} is set but {missing} is not")
        token = env.get("AWS_SESSION_TOKEN") or env.get("AWS_SECURITY_TOKEN") or None
        expiry = None
        expiration = env.get("AWS_CREDENTIAL_EXPIRATION")
        if expiration:
            try:
                expiry = parse_timestamp(expiration)
            except ValueError:
                raise CredentialProviderError(
                    self.name, f"AWS_CREDENTIAL_EXPIRATION {expiration!r} is not ISO-8601"
                ) from None
        return credentials_or_error(access_key, secret_key, token, expiry, provider=self.name,
                                    where="the AWS_* environment variables")

    def __reduce__(self) -> tuple[Any, ...]:
        # The live environment travels as "read the receiving process's environment"; an
        # explicit mapping holds the keys themselves, so it does not travel at all.
        if self._environ is not None:
            raise TypeError(
                "an EnvironmentProvider with an explicit environ mapping does not pickle: the "
                "mapping holds the secret key"
            )
        return (EnvironmentProvider, ())


@provider_class
class SharedCredentialsProvider:
    """Reads a profile's keys from the shared credentials file.

    The file is ``path``, else ``AWS_SHARED_CREDENTIALS_FILE``, else ``~/.aws/credentials``; the
    profile is ``profile``, else ``AWS_DEFAULT_PROFILE``, else ``AWS_PROFILE``, else
    ``default``. Sections are bare profile names (``[dev]``). Both are resolved, and the file
    read, on every :meth:`load`, never at construction.

    Args:
        profile: The profile name, or None to choose it from the environment.
        path: The file, or None to choose it from the environment.
        environ: The environment to read, or None for ``os.environ``.
    """

    __slots__ = ("_environ", "_path", "_profile")

    name = "shared-credentials-file"

    def __init__(
        self,
        profile: str | None = None,
        path: PathArg = None,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._profile = profile
        self._path = path
        self._environ = environ

    def __repr__(self) -> str:
        return f"SharedCredentialsProvider(profile={self._profile!r}, path={self._path!r})"

    def load(self) -> Credentials | None:
        """Return the profile's credentials.

        Returns:
            The credentials, or None when the file, the profile or both keys are missing.

        Raises:
            CredentialProviderError: The file cannot be read or parsed, or the profile has only
                one of ``aws_access_key_id`` / ``aws_secret_access_key``.
        """
        try:
            return self._load()
        except BaseException as exc:  # noqa: BLE001 - re-raised, scrubbed
            error = scrubbed(exc, "reading the shared credentials file", provider=self.name)
        raise error  # outside the except block, with this provider's frames cleared

    def _load(self) -> Credentials | None:
        env = environ_of(self._environ)
        path = credentials_file(self._path, env)
        sections = read_ini(path, self.name)
        if sections is None:
            return None
        profile = resolve_profile(self._profile, env)
        section = sections.get(profile)
        if section is None:
            return None
        return static_credentials(
            section, provider=self.name, where=f"profile {profile!r} in {path}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Travels as its settings; of an explicit environ, only the variables it reads.
        return (_rebuild, (type(self), (self._profile, self._path),
                           _settings_only(self._environ), {}))


@provider_class
class SharedConfigProvider:
    """Reads a profile's static keys or ``credential_process`` from the shared config file.

    The file is ``path``, else ``AWS_CONFIG_FILE``, else ``~/.aws/config``; the profile is
    chosen as for :class:`SharedCredentialsProvider`. Sections are ``[profile NAME]``, plus
    ``[default]`` for the default profile. Static keys win over ``credential_process`` in the same
    profile (as in aws-sdk-go). Other credential sources (``role_arn``, ``sso_*``,
    ``web_identity_token_file``) are not supported.

    Args:
        profile: The profile name, or None to choose it from the environment.
        path: The file, or None to choose it from the environment.
        environ: The environment to read, or None for ``os.environ``.
        process_timeout: Seconds to wait for ``credential_process``.
    """

    __slots__ = ("_environ", "_path", "_process_timeout", "_profile")

    name = "shared-config-file"

    def __init__(
        self,
        profile: str | None = None,
        path: PathArg = None,
        *,
        environ: Mapping[str, str] | None = None,
        process_timeout: float = 60.0,
    ) -> None:
        self._profile = profile
        self._path = path
        self._environ = environ
        self._process_timeout = process_timeout

    def __repr__(self) -> str:
        return f"SharedConfigProvider(profile={self._profile!r}, path={self._path!r})"

    def load(self) -> Credentials | None:
        """Return the profile's credentials, running its ``credential_process`` if it has one.

        Returns:
            The credentials, or None when the file or the profile is missing or the profile
            has neither keys nor ``credential_process``.

        Raises:
            CredentialProviderError: The file cannot be read or parsed, the profile has only
                one of the two keys, or ``credential_process`` fails.
        """
        try:
            return self._load()
        except BaseException as exc:  # noqa: BLE001 - re-raised, scrubbed
            error = scrubbed(exc, "reading the shared config file", provider=self.name)
        raise error  # outside the except block, with this provider's frames cleared

    def _load(self) -> Credentials | None:
        env = environ_of(self._environ)
        path = config_file(self._path, env)
        sections = read_ini(path, self.name)
        if sections is None:
            return None
        profile = resolve_profile(self._profile, env)
        section = config_profile(sections, profile)
        if section is None:
            return None
        where = f"profile {profile!r} in {path}"
        credentials = static_credentials(section, provider=self.name, where=where)
        if credentials is not None:
            return credentials
        command = section.get("credential_process")
        if not command:
            return None
        try:
            process = ProcessProvider(command, profile, timeout=self._process_timeout)
        except ConfigError as exc:
            raise CredentialProviderError(self.name, f"{where}: {exc}") from None
        return process.load()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), (self._profile, self._path),
                           _settings_only(self._environ),
                           {"process_timeout": self._process_timeout}))


# The variables the shared-file providers read: all that an explicit environ mapping keeps
# when pickled (a copy of os.environ would otherwise ship AWS_SECRET_ACCESS_KEY).
_FILE_SETTINGS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
                  "AWS_CONFIG_FILE")


def _settings_only(environ: Mapping[str, str] | None) -> dict[str, str] | None:
    if environ is None:
        return None
    return {name: environ[name] for name in _FILE_SETTINGS if name in environ}


def _rebuild(cls: Any, args: tuple[Any, ...], environ: Mapping[str, str] | None,
             kwargs: dict[str, Any]) -> Any:
    return cls(*args, environ=environ, **kwargs)


class RefreshableProvider:
    """Adapts a callable that fetches credentials (usually with an ``expiry``) to a provider.

    Wrap it in a :class:`~hub.credentials.CredentialsCache` to call ``fetch`` once at first use
    and then once per refresh, shortly before ``expiry``.

    Args:
        fetch: Called with no arguments; returns :class:`~hub.credentials.Credentials`, or None
            when it has none. A :class:`~hub.errors.CredentialsError` it raises propagates as is;
            any other exception becomes a :class:`~hub.errors.CredentialProviderError` naming
            only the exception type (its message may hold a secret) and chaining it.
        name: The provider's name in error messages.

    Raises:
        ConfigError: ``fetch`` is not callable.
    """

    __slots__ = ("_fetch", "name")

    def __init__(self, fetch: Callable[[], Credentials | None], name: str = "refreshable") -> None:
        if not callable(fetch):
            raise ConfigError("RefreshableProvider needs a callable", field="fetch")
        self._fetch = fetch
        self.name = name

    def __repr__(self) -> str:
        return f"RefreshableProvider({self._fetch!r}, name={self.name!r})"

    def load(self) -> Credentials | None:
        """Call ``fetch`` and return what it returned.

        Raises:
            CredentialProviderError: ``fetch`` raised, or returned something else than
                Credentials or None.
        """
        try:
            credentials = self._fetch()
        except CredentialsError:
            raise
        except Exception as exc:
            raise CredentialProviderError(
                self.name, f"fetching credentials raised {type(exc).__name__}"
            ) from exc
        if credentials is not None and not isinstance(credentials, Credentials):
            raise CredentialProviderError(
                self.name, f"fetch returned {type(credentials).__name__}, not Credentials"
            )
        return credentials
