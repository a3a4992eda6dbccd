"""Role profiles (``assume-role``): ``AssumeRole`` with credentials from a source.

The call goes to STS through a :data:`~hub.credentials._sts.ServiceCall` made by an ``sts`` factory
(``sts(region, credentials=..., environ=...)``; default :class:`~hub.credentials._sts.StsCall`),
so a test or a future generated STS client can stand in for the built-in one.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any

from hub._redact import scrubbed
from hub.credentials._cache import CredentialsCache
from hub.credentials._container import ContainerProvider
from hub.credentials._files import environ_of
from hub.credentials._imds import InstanceMetadataProvider
from hub.credentials._profile import ProfileView, load_profiles
from hub.credentials._providers import EnvironmentProvider
from hub.credentials._sts import (
    EXPIRED_CODES,
    ServiceCall,
    StsCall,
    StsFactory,
    credentials_from,
    provider_failure,
    session_name,
    sts_region,
)
from hub.credentials._values import CredentialProvider, Credentials, provider_class
from hub.errors import (
    ClientError,
    CredentialProviderError,
    CredentialsError,
    HubError,
    NoCredentialsError,
)

__all__ = ["AssumeRoleProvider"]

_LOG = logging.getLogger("hub.credentials")

#: The ``credential_source`` values botocore accepts.
CREDENTIAL_SOURCES = ("Environment", "Ec2InstanceMetadata", "EcsContainer")


def _same(credentials: Credentials) -> Credentials:
    return credentials


class _Role:
    """One ``AssumeRole`` step: a role profile whose source credentials come from ``source``."""

    __slots__ = ("_source", "mfa_serial", "params", "profile", "role_arn")

    def __init__(self, profile: str, role_arn: str, params: dict[str, Any],
                 mfa_serial: str | None, source: CredentialProvider) -> None:
        self.profile = profile
        self.role_arn = role_arn
        self.params = params
        self.mfa_serial = mfa_serial
        self._source = CredentialsCache(source)

    @property
    def name(self) -> str:
        return f"assume-role({self.profile})"

    def load_with(self, call_for: Callable[[Callable[[], Credentials]], ServiceCall],
                  mfa_token: Callable[[str], str] | None) -> Credentials:
        params = {"RoleArn": self.role_arn, **self.params}
        params["RoleSessionName"] = session_name(params.get("RoleSessionName"))
        if self.mfa_serial is not None:
            if mfa_token is None:
                raise CredentialProviderError(
                    "assume-role",
                    f"profile {self.profile!r} sets mfa_serial, so assuming {self.role_arn}"
                    " needs a one-time code: pass mfa_token=<callable(serial) -> code> to"
                    " hub.credentials.default_chain() or AssumeRoleProvider (hub never prompts)",
                )
            params["SerialNumber"] = self.mfa_serial
            params["TokenCode"] = mfa_token(self.mfa_serial)
        for attempt in (1, 2):
            try:
                source = self._source.get()
            except CredentialsError as exc:
                raise provider_failure(
                    "assume-role", f"profile {self.profile!r}: loading the source credentials",
                    exc) from None
            call = call_for(functools.partial(_same, source))
            try:
                result = call("AssumeRole", params)
            except HubError as exc:  # a service error, no answer, or an unreadable one
                if attempt == 1 and isinstance(exc, ClientError) and exc.code in EXPIRED_CODES:
                    # The source credentials expired early (revoked, clock skew): reload once.
                    self._source.invalidate(source)
                    continue
                raise provider_failure("assume-role", f"AssumeRole for {self.role_arn} (profile"
                              f" {self.profile!r})", exc) from None
            return credentials_from(result, "assume-role", "AssumeRole")
        raise AssertionError("unreachable")


class _RoleSource:
    """A nested role used as the source of the next role in a chain."""

    __slots__ = ("_owner", "_role")

    def __init__(self, role: _Role, owner: AssumeRoleProvider) -> None:
        self._role = role
        self._owner = owner

    @property
    def name(self) -> str:
        return self._role.name

    def load(self) -> Credentials:
        return self._owner._assume(self._role)


@provider_class
class AssumeRoleProvider:
    """``role_arn`` profiles: ``AssumeRole`` with credentials from a source.

    Configured as botocore's ``AssumeRoleProvider``: a profile with ``role_arn`` (and no
    ``web_identity_token_file``) gets its source credentials from either

    - ``source_profile``: another profile, resolved with the profile-based providers (web
      identity, SSO, credentials file, ``credential_process``, config file; never the
      environment), or, if it is itself a role profile without static keys, by assuming that
      role first (chains of any length; a cycle is an error, except a profile naming itself
      as source when it also has static keys), or
    - ``credential_source``: ``Environment``, ``Ec2InstanceMetadata`` or ``EcsContainer``.

    ``external_id``, ``role_session_name``, ``duration_seconds`` and ``mfa_serial`` are passed
    on. For ``mfa_serial``, ``mfa_token(serial)`` is called for the code on every
    ``AssumeRole`` (botocore prompts once and then cannot refresh; hub never prompts). STS is
    called in the region of ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` / the profile, or at
    ``AWS_ENDPOINT_URL_STS`` / ``AWS_ENDPOINT_URL``. Source credentials are cached (and
    refreshed) between loads while the profile's configuration stays the same.

    Args:
        profile: The profile, or None for the selected one.
        environ: The environment, or None for ``os.environ``.
        mfa_token: Returns the current MFA code for a serial number / ARN.
        sts: Makes the STS call function (default: the built-in query client).
    """

    __slots__ = ("_environ", "_mfa_token", "_plan", "_profile", "_sts", "_view")

    name = "assume-role"

    def __init__(
        self,
        profile: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        mfa_token: Callable[[str], str] | None = None,
        sts: StsFactory = StsCall,
    ) -> None:
        self._profile = profile
        self._environ = environ
        self._mfa_token = mfa_token
        self._sts = sts
        self._plan: tuple[Any, _Role] | None = None  # replaced whole
        self._view: ProfileView | None = None  # the view of the latest load

    def __repr__(self) -> str:
        return f"AssumeRoleProvider(profile={self._profile!r})"

    def load(self) -> Credentials | None:
        """Assume the profile's role (and every role before it in the chain).

        Returns:
            The role's credentials, or None when the profile has no ``role_arn`` (or is a web
            identity profile).

        Raises:
            CredentialProviderError: The configuration is invalid (both or neither of
                ``source_profile``/``credential_source``, an unknown source, a missing source
                profile, a cycle), a source has no credentials, an MFA code is needed and no
                ``mfa_token`` was given, or STS refused.
        """
        try:
            return self._load()
        except BaseException as exc:  # noqa: BLE001 - re-raised, scrubbed
            error = scrubbed(exc, "assuming the role", provider=self.name)
        raise error  # the frames below held every profile's keys (hub._redact; R-secrets)

    def _load(self) -> Credentials | None:
        view = load_profiles(self._profile, self._environ, self.name)
        if not _is_role(view.section):
            return None
        self._view = view
        key = _config_key(view)
        plan = self._plan
        if plan is None or plan[0] != key:
            plan = self._plan = (key, self._build(view, view.name, [view.name]))
        return self._assume(plan[1])

    def _assume(self, role: _Role) -> Credentials:
        view = self._view
        region = sts_region(view) if view is not None else None
        environ = view.environ if view is not None else environ_of(self._environ)
        return role.load_with(
            lambda creds: self._sts(region, environ=environ, credentials=creds),
            self._mfa_token,
        )

    def _build(self, view: ProfileView, name: str, visited: list[str]) -> _Role:
        section = view.profiles[name]
        source_profile = section.get("source_profile") or None
        credential_source = section.get("credential_source") or None
        where = f"profile {name!r}"
        if source_profile is not None and credential_source is not None:
            raise CredentialProviderError(
                self.name, f"{where} sets both source_profile and credential_source")
        params: dict[str, Any] = {}
        for key, param in (("role_session_name", "RoleSessionName"),
                           ("external_id", "ExternalId")):
            if section.get(key):
                params[param] = section[key]
        duration = section.get("duration_seconds")
        if duration:
            try:
                params["DurationSeconds"] = int(duration)
            except ValueError:
                _LOG.debug("%s: ignoring duration_seconds that is not an integer", where)
        source: CredentialProvider
        if credential_source is not None:
            source = self._named_source(credential_source, view, where)
        elif source_profile is not None:
            source = self._profile_source(view, name, source_profile, visited)
        else:
            raise CredentialProviderError(
                self.name, f"{where} sets role_arn but neither source_profile nor"
                " credential_source")
        return _Role(name, section["role_arn"], params, section.get("mfa_serial") or None,
                     source)

    def _named_source(self, source: str, view: ProfileView, where: str) -> CredentialProvider:
        environ = self._environ
        if source == "Environment":
            return EnvironmentProvider(environ)
        if source == "Ec2InstanceMetadata":
            return InstanceMetadataProvider(view.name, environ=environ)
        if source == "EcsContainer":
            return ContainerProvider(environ=environ)
        raise CredentialProviderError(
            self.name, f"{where}: credential_source {source!r} is not one of"
            f" {', '.join(CREDENTIAL_SOURCES)}")

    def _profile_source(self, view: ProfileView, parent: str, name: str, visited: list[str]
                        ) -> CredentialProvider:
        if name not in view.profiles:
            raise CredentialProviderError(
                self.name, f"the source_profile {name!r} of profile {parent!r} does not exist")
        section = view.profiles[name]
        if name in visited and (name != parent or not _has_static(section)):
            chain = " -> ".join([*visited, name])
            raise CredentialProviderError(
                self.name, f"source_profile cycle: {chain}")
        if _has_static(section) or not _is_role(section):
            from hub.credentials._chain import profile_chain

            return _Required(profile_chain(name, environ=self._environ), name)
        role = self._build(view, name, [*visited, name])
        return _RoleSource(role, self)


class _Required:
    """A source profile's own chain; finding nothing there is a configuration error."""

    __slots__ = ("_chain", "_profile")

    def __init__(self, chain: CredentialProvider, profile: str) -> None:
        self._chain = chain
        self._profile = profile

    @property
    def name(self) -> str:
        return f"source-profile({self._profile})"

    def load(self) -> Credentials:
        try:
            credentials = self._chain.load()
        except NoCredentialsError:
            credentials = None
        if credentials is None:
            raise CredentialProviderError(
                "assume-role", f"the source profile {self._profile!r} has no credentials")
        return credentials


def _has_static(section: Mapping[str, str]) -> bool:
    return "aws_access_key_id" in section or "aws_secret_access_key" in section


def _is_role(section: Mapping[str, str]) -> bool:
    return "role_arn" in section and "web_identity_token_file" not in section


def _config_key(view: ProfileView) -> tuple[Any, ...]:
    # What a role chain's plan depends on: the profiles (the sources read the environment
    # themselves, at each load). Compared, never shown.
    return (
        view.name,
        tuple(sorted((name, tuple(sorted(keys.items()))) for name, keys in
                     view.profiles.items())),
    )
