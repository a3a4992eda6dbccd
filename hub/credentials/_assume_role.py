"""Roles: ``role_arn`` profiles (``assume-role``) and web identity tokens.

Both call STS through a :data:`~hub.credentials._sts.ServiceCall` made by an ``sts`` factory
(``sts(region, credentials=..., environ=...)``; default :class:`~hub.credentials._sts.StsCall`),
so a test or a future generated STS client can stand in for the built-in one.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from hub._redact import scrubbed
from hub.credentials._cache import CredentialsCache
from hub.credentials._container import ContainerProvider
from hub.credentials._files import environ_of
from hub.credentials._imds import InstanceMetadataProvider
from hub.credentials._profile import ProfileView, env_value, load_profiles
from hub.credentials._providers import EnvironmentProvider
from hub.credentials._sts import ServiceCall, StsCall
from hub.credentials._values import CredentialProvider, Credentials
from hub.errors import (
    ClientError,
    CredentialProviderError,
    CredentialsError,
    HubError,
    NoCredentialsError,
)

__all__ = ["AssumeRoleProvider", "StsFactory", "WebIdentityProvider", "sts_region"]

_LOG = logging.getLogger("hub.credentials")

_EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException"})
#: The ``credential_source`` values botocore accepts.
CREDENTIAL_SOURCES = ("Environment", "Ec2InstanceMetadata", "EcsContainer")


class StsFactory(Protocol):
    """Makes the STS :data:`ServiceCall` for a region (signed when ``credentials`` is given)."""

    def __call__(self, region: str | None, *, environ: Mapping[str, str],
                 credentials: Callable[[], Credentials] | None = None) -> ServiceCall:
        """Return the call function."""
        ...


def sts_region(view: ProfileView) -> str | None:
    """The region STS is called in: ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile's."""
    env = view.environ
    return env_value(env, "AWS_REGION") or env_value(env, "AWS_DEFAULT_REGION") or view.get(
        "region"
    )


def _same(credentials: Credentials) -> Credentials:
    return credentials


def _session_name(configured: str | None) -> str:
    # botocore names unnamed sessions "botocore-session-<epoch>"; hub says who it is.
    return configured or f"hub-session-{int(time.time())}"


def _credentials(result: Mapping[str, Any], provider: str, operation: str) -> Credentials:
    creds = result.get("Credentials")
    try:
        assert isinstance(creds, dict)
        return Credentials(creds["AccessKeyId"], creds["SecretAccessKey"],
                           creds["SessionToken"], creds["Expiration"])
    except (AssertionError, KeyError, HubError):
        raise CredentialProviderError(
            provider, f"{operation} returned no usable Credentials"
        ) from None


def _failed(provider: str, what: str, exc: Exception) -> CredentialProviderError:
    if isinstance(exc, ClientError):
        detail = f"{exc.code}: {exc.message}" if exc.message else exc.code
    elif isinstance(exc, CredentialsError):
        detail = str(exc)
    else:
        detail = str(exc) if isinstance(exc, HubError) else type(exc).__name__
    error = CredentialProviderError(provider, f"{what} failed: {detail}")
    error.__cause__ = exc
    return error


class WebIdentityProvider:
    """``AssumeRoleWithWebIdentity`` with a token file (EKS IRSA, GitHub OIDC, ...).

    Settings, each from its variable first and then the profile (botocore's rule):
    ``AWS_WEB_IDENTITY_TOKEN_FILE`` / ``web_identity_token_file``, ``AWS_ROLE_ARN`` /
    ``role_arn``, ``AWS_ROLE_SESSION_NAME`` / ``role_session_name``. The call is unsigned and
    goes to STS in ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` / the profile's ``region`` (the
    global endpoint without one), or to ``AWS_ENDPOINT_URL_STS`` / ``AWS_ENDPOINT_URL``. The
    token file is read again on every load, so a rotated token is used; when STS says the
    token expired (``ExpiredTokenException``) the file is read again and the call retried once.

    Args:
        profile: The profile, or None for the selected one.
        environ: The environment, or None for ``os.environ`` (read at every load).
        use_env: False to ignore the variables (a ``source_profile`` is read that way).
        sts: Makes the STS call function (default: the built-in query client).
    """

    __slots__ = ("_environ", "_profile", "_sts", "_use_env")

    name = "assume-role-with-web-identity"

    def __init__(
        self,
        profile: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        use_env: bool = True,
        sts: StsFactory = StsCall,
    ) -> None:
        self._profile = profile
        self._environ = environ
        self._use_env = use_env
        self._sts = sts

    def __repr__(self) -> str:
        return f"WebIdentityProvider(profile={self._profile!r})"

    def load(self) -> Credentials | None:
        """Exchange the token for role credentials.

        Returns:
            The credentials, or None when no token file is configured.

        Raises:
            CredentialProviderError: The role ARN is missing, the token file cannot be read,
                or STS refused (the message has STS's error code and message).
        """
        try:
            return self._load()
        except BaseException as exc:  # noqa: BLE001 - re-raised, scrubbed
            error = scrubbed(exc, "assuming the role with a web identity", provider=self.name)
        raise error  # the frames below held the web identity token and the profiles (hub._redact)

    def _load(self) -> Credentials | None:
        view = load_profiles(self._profile, self._environ, self.name)

        def setting(env_var: str, key: str) -> str | None:
            return view.setting(env_var if self._use_env else None, key)

        token_file = setting("AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file")
        if token_file is None:
            return None
        role_arn = setting("AWS_ROLE_ARN", "role_arn")
        if role_arn is None:
            raise CredentialProviderError(
                self.name, f"a web identity token file is configured (profile {view.name!r} or"
                " AWS_WEB_IDENTITY_TOKEN_FILE) but no role: set role_arn or AWS_ROLE_ARN"
            )
        params = {"RoleArn": role_arn,
                  "RoleSessionName": _session_name(setting("AWS_ROLE_SESSION_NAME",
                                                           "role_session_name"))}
        call = self._sts(sts_region(view), environ=view.environ)
        for attempt in (1, 2):
            token = self._read_token(token_file)
            try:
                result = call("AssumeRoleWithWebIdentity", {**params, "WebIdentityToken": token})
            except HubError as exc:  # a service error, no answer, or an unreadable one
                if attempt == 1 and isinstance(exc, ClientError) and exc.code in _EXPIRED:
                    _LOG.info("web identity token expired; reading %s again", token_file)
                    continue
                raise _failed(self.name, f"AssumeRoleWithWebIdentity for {role_arn}", exc
                              ) from None
            return _credentials(result, self.name, "AssumeRoleWithWebIdentity")
        raise AssertionError("unreachable")

    def _read_token(self, path: str) -> str:
        try:
            with open(path, encoding="utf-8") as file:
                token = file.read().strip()
        except (OSError, UnicodeDecodeError) as exc:
            detail = getattr(exc, "strerror", None) or type(exc).__name__
            raise CredentialProviderError(
                self.name, f"cannot read the web identity token file {path}: {detail}"
            ) from None
        if not token:
            raise CredentialProviderError(self.name, f"the web identity token file {path} is"
                                          " empty")
        return token


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
        params["RoleSessionName"] = _session_name(params.get("RoleSessionName"))
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
                raise _failed("assume-role", f"profile {self.profile!r}: loading the source"
                              " credentials", exc) from None
            call = call_for(functools.partial(_same, source))
            try:
                result = call("AssumeRole", params)
            except HubError as exc:  # a service error, no answer, or an unreadable one
                if attempt == 1 and isinstance(exc, ClientError) and exc.code in _EXPIRED:
                    # The source credentials expired early (revoked, clock skew): reload once.
                    self._source.invalidate(source)
                    continue
                raise _failed("assume-role", f"AssumeRole for {self.role_arn} (profile"
                              f" {self.profile!r})", exc) from None
            return _credentials(result, "assume-role", "AssumeRole")
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
