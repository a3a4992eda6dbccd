"""Trying providers in order, and the default chain."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hub.credentials._providers import (
    EnvironmentProvider,
    SharedConfigProvider,
    SharedCredentialsProvider,
)
from hub.credentials._values import CredentialProvider, Credentials
from hub.errors import ConfigError, CredentialProviderError, NoCredentialsError

__all__ = ["ChainProvider", "default_chain"]


class ChainProvider:
    """Asks providers in order; the first one that returns credentials wins.

    A provider that raises stops the chain (a broken source is reported, not skipped). A
    nested chain that comes up empty counts as its providers having returned None.

    Args:
        providers: The providers, in the order to try them.

    Raises:
        ConfigError: A provider lacks ``name`` or ``load``.
    """

    __slots__ = ("_providers",)

    name = "chain"

    def __init__(self, providers: Iterable[CredentialProvider]) -> None:
        self._providers = tuple(providers)
        for provider in self._providers:
            if not isinstance(provider, CredentialProvider):
                raise ConfigError(
                    f"{type(provider).__name__} is not a credential provider (needs name, load)",
                    field="providers",
                )

    @property
    def providers(self) -> tuple[CredentialProvider, ...]:
        """The providers, in order."""
        return self._providers

    def __repr__(self) -> str:
        return f"ChainProvider({[p.name for p in self._providers]!r})"

    def load(self) -> Credentials:
        """Return the first provider's credentials.

        Raises:
            NoCredentialsError: Every provider returned None; ``tried`` lists their names.
            CredentialProviderError: A provider's source is broken (or it returned a non-
                Credentials value).
        """
        tried: list[str] = []
        for provider in self._providers:
            try:
                credentials = provider.load()
            except NoCredentialsError as exc:
                tried.extend(exc.tried or (provider.name,))
                continue
            if credentials is not None:
                if not isinstance(credentials, Credentials):
                    raise CredentialProviderError(
                        provider.name, f"load() returned {type(credentials).__name__}"
                    )
                return credentials
            tried.append(provider.name)
        raise NoCredentialsError(tried=tuple(tried))


def default_chain(
    profile: str | None = None, environ: Mapping[str, str] | None = None
) -> ChainProvider:
    """Return the default provider chain, in botocore / aws-sdk-go order.

    1. ``env``: ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN``.
       Skipped when ``profile`` is given explicitly, as botocore does: asking for a profile
       means that profile, even when key variables are set. ``AWS_PROFILE`` does not skip it.
    2. ``shared-credentials-file``: the profile in ``~/.aws/credentials``.
    3. ``shared-config-file``: the profile in ``~/.aws/config``: static keys, then
       ``credential_process``.

    The container (ECS) and instance metadata (IMDS) providers are left out: both need the
    network, which hub does not touch to find credentials. Assume-role, SSO and web identity
    profiles are not supported either. Nothing is read until ``load()``.

    Args:
        profile: The profile name, or None for ``AWS_PROFILE`` / ``AWS_DEFAULT_PROFILE`` /
            ``default``.
        environ: The environment to read, or None for ``os.environ`` (read at ``load()``).

    Returns:
        A chain whose ``load()`` raises :class:`~hub.errors.NoCredentialsError` naming every
        provider tried when none had credentials.
    """
    providers: list[CredentialProvider] = []
    if profile is None:
        providers.append(EnvironmentProvider(environ))
    providers.append(SharedCredentialsProvider(profile, environ=environ))
    providers.append(SharedConfigProvider(profile, environ=environ))
    return ChainProvider(providers)
