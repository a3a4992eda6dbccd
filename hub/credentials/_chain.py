"""Trying providers in order, and the default chain."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from hub._redact import scrubbed
from hub.credentials._process import ProcessProvider
from hub.credentials._providers import (
    EnvironmentProvider,
    SharedConfigProvider,
    SharedCredentialsProvider,
)
from hub.credentials._values import CredentialProvider, Credentials, is_provider, provider_class
from hub.errors import ConfigError, CredentialProviderError, NoCredentialsError

__all__ = ["ChainProvider", "CredentialProcessProvider", "default_chain", "profile_chain"]


@provider_class
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
            if not is_provider(provider):
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


@provider_class
class CredentialProcessProvider:
    """A profile's ``credential_process`` (botocore's ``custom-process`` provider).

    Read from the profile as botocore sees it (the config file's keys, overridden by the
    credentials file's), so it runs before the config file's static keys are looked at.

    Args:
        profile: The profile, or None for the selected one.
        environ: The environment, or None for ``os.environ``.
        timeout: Seconds to wait for the command.
    """

    __slots__ = ("_environ", "_profile", "_timeout")

    name = "custom-process"

    def __init__(self, profile: str | None = None, *, environ: Mapping[str, str] | None = None,
                 timeout: float = 60.0) -> None:
        self._profile = profile
        self._environ = environ
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"CredentialProcessProvider(profile={self._profile!r})"

    def load(self) -> Credentials | None:
        """Run the profile's ``credential_process``.

        Returns:
            The credentials, or None when the profile has no ``credential_process``.

        Raises:
            CredentialProviderError: The files cannot be read or the command fails.
        """
        try:
            return self._load()
        except BaseException as exc:  # noqa: BLE001 - re-raised, scrubbed
            error = scrubbed(exc, "running credential_process", provider=self.name)
        raise error  # the frames below held the profiles and the command (hub._redact)

    def _load(self) -> Credentials | None:
        from hub.credentials._profile import load_profiles

        view = load_profiles(self._profile, self._environ, self.name)
        command = view.get("credential_process")
        if command is None:
            return None
        try:
            process = ProcessProvider(command, view.name, timeout=self._timeout)
        except ConfigError as exc:
            raise CredentialProviderError(self.name, f"profile {view.name!r}: {exc}") from None
        return process.load()


def profile_chain(
    profile: str | None = None, environ: Mapping[str, str] | None = None
) -> ChainProvider:
    """The providers that read only a profile (how a ``source_profile`` is resolved).

    botocore's order, with the environment variables ignored: web identity (profile keys),
    SSO, the credentials file, ``credential_process``, the config file's static keys.
    """
    from hub.credentials._sso import SSOProvider
    from hub.credentials._web_identity import WebIdentityProvider

    return ChainProvider([
        WebIdentityProvider(profile, environ=environ, use_env=False),
        SSOProvider(profile, environ=environ),
        SharedCredentialsProvider(profile, environ=environ),
        CredentialProcessProvider(profile, environ=environ),
        SharedConfigProvider(profile, environ=environ),
    ])


def default_chain(
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    mfa_token: Callable[[str], str] | None = None,
) -> ChainProvider:
    """Return the default provider chain, in botocore's order.

    1. ``env``: ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN``.
       Skipped when ``profile`` is given explicitly, as botocore does: asking for a profile
       means that profile, even when key variables are set. ``AWS_PROFILE`` does not skip it.
    2. ``assume-role``: a profile with ``role_arn`` and ``source_profile`` /
       ``credential_source``.
    3. ``assume-role-with-web-identity``: ``AWS_WEB_IDENTITY_TOKEN_FILE`` + ``AWS_ROLE_ARN``,
       or the profile's ``web_identity_token_file`` + ``role_arn``.
    4. ``sso``: a profile with ``sso_account_id`` / ``sso_role_name``.
    5. ``shared-credentials-file``: the profile in ``~/.aws/credentials``.
    6. ``custom-process``: the profile's ``credential_process``.
    7. ``shared-config-file``: the profile's static keys in ``~/.aws/config``.
    8. ``container-role``: ``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`` / ``..._FULL_URI``.
    9. ``iam-role``: the EC2 instance metadata service (off with
       ``AWS_EC2_METADATA_DISABLED=true``).

    botocore's ``login`` (``aws login``), ``ec2-credentials-file`` (``AWS_CREDENTIAL_FILE``)
    and ``boto-config`` (``/etc/boto.cfg``) providers are not included. Nothing is read until
    ``load()``; the chain is walked again on every ``load()`` (a refresh).

    Args:
        profile: The profile name, or None for ``AWS_DEFAULT_PROFILE`` / ``AWS_PROFILE`` /
            ``default``.
        environ: The environment to read, or None for ``os.environ`` (read at ``load()``).
        mfa_token: For role profiles with ``mfa_serial``: called with the serial, returns the
            current one-time code. Without it such a profile is an error (hub never prompts).

    Returns:
        A chain whose ``load()`` raises :class:`~hub.errors.NoCredentialsError` naming every
        provider tried when none had credentials.
    """
    # The cloud providers' modules are imported here, not with hub: a process that passes its
    # own credentials never needs them (they cost a few ms of import).
    from hub.credentials._assume_role import AssumeRoleProvider
    from hub.credentials._container import ContainerProvider
    from hub.credentials._imds import InstanceMetadataProvider
    from hub.credentials._sso import SSOProvider
    from hub.credentials._web_identity import WebIdentityProvider

    providers: list[CredentialProvider] = []
    if profile is None:
        providers.append(EnvironmentProvider(environ))
    providers += [
        AssumeRoleProvider(profile, environ=environ, mfa_token=mfa_token),
        WebIdentityProvider(profile, environ=environ, use_env=profile is None),
        SSOProvider(profile, environ=environ),
        SharedCredentialsProvider(profile, environ=environ),
        CredentialProcessProvider(profile, environ=environ),
        SharedConfigProvider(profile, environ=environ),
        ContainerProvider(environ=environ),
        InstanceMetadataProvider(profile, environ=environ),
    ]
    return ChainProvider(providers)
