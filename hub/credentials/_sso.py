"""IAM Identity Center (SSO): the ``sso`` provider and its token cache.

``aws sso login`` leaves an access token in ``~/.aws/sso/cache/<sha1>.json``; the provider
trades it for role credentials with the SSO portal's ``GetRoleCredentials``. With an
``sso_session`` the token is refreshed through SSO OIDC's ``CreateToken`` (and written back) when
it expires within 15 minutes, as botocore does; a legacy profile (``sso_start_url`` in the
profile itself) cannot refresh. When neither works the error says to run ``aws sso login``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from hub._redact import scrubbed
from hub.credentials._profile import ProfileView, load_profiles
from hub.credentials._sts import ServiceCall, SsoCall
from hub.credentials._time import parse_timestamp
from hub.credentials._values import Credentials, provider_class
from hub.errors import (
    ClientError,
    CredentialProviderError,
    HubError,
    SSOTokenExpiredError,
)

__all__ = ["SSOProvider", "sso_cache_key"]

_LOG = logging.getLogger("hub.credentials")

_REFRESH_WINDOW = 15 * 60  # botocore's SSOTokenProvider refreshes this long before expiry
_PROFILE_KEYS = ("sso_role_name", "sso_account_id")
_SSO_KEYS = ("sso_start_url", "sso_region")
_REFRESH_KEYS = ("refreshToken", "clientId", "clientSecret", "registrationExpiresAt")


def sso_cache_key(start_url: str, session_name: str | None) -> str:
    """The token cache file's stem: SHA-1 of the ``sso_session`` name, else of the start URL."""
    import hashlib  # here, not at import: most processes never use SSO

    return hashlib.sha1((session_name or start_url).encode("utf-8")).hexdigest()


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@provider_class
class SSOProvider:
    """Role credentials from IAM Identity Center for a profile with ``sso_account_id`` /
    ``sso_role_name``.

    Configured as botocore's ``SSOProvider``: either an ``sso_session = NAME`` key naming an
    ``[sso-session NAME]`` section with ``sso_start_url`` and ``sso_region`` (values set in
    both places must agree), or legacy ``sso_start_url`` / ``sso_region`` keys in the profile.
    The portal is ``https://portal.sso.<sso_region>.amazonaws.com`` unless
    ``AWS_ENDPOINT_URL_SSO`` / ``AWS_ENDPOINT_URL`` say otherwise; OIDC likewise with
    ``AWS_ENDPOINT_URL_SSO_OIDC``.

    Args:
        profile: The profile, or None for the selected one.
        environ: The environment, or None for ``os.environ``.
        cache_dir: The token cache directory, or None for ``~/.aws/sso/cache`` (expanded at
            every load).
        sso: Makes the SSO / OIDC call function for a region (default: the built-in one).
        clock: Seconds since the epoch.
    """

    __slots__ = ("_cache_dir", "_clock", "_environ", "_profile", "_sso")

    name = "sso"

    def __init__(
        self,
        profile: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        sso: Callable[..., ServiceCall] = SsoCall,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._profile = profile
        self._environ = environ
        self._cache_dir = cache_dir
        self._sso = sso
        self._clock = clock

    def __repr__(self) -> str:
        return f"SSOProvider(profile={self._profile!r})"

    def load(self) -> Credentials | None:
        """Get the role credentials with the cached (and, if due, refreshed) token.

        Returns:
            The credentials, or None when the profile has neither ``sso_account_id`` nor
            ``sso_role_name``.

        Raises:
            SSOTokenExpiredError: No cached token, or it expired (or was rejected) and could
                not be refreshed: run ``aws sso login``.
            CredentialProviderError: The SSO settings are incomplete or inconsistent, the
                cached token is unreadable, or the portal failed.
        """
        try:
            return self._load()
        except BaseException as exc:  # noqa: BLE001 - re-raised, scrubbed
            error = scrubbed(exc, "loading SSO credentials", provider=self.name)
        raise error  # the frames below held the SSO tokens (hub._redact)

    def _load(self) -> Credentials | None:
        view = load_profiles(self._profile, self._environ, self.name)
        config = self._config(view)
        if config is None:
            return None
        session = config.get("sso_session")
        login = (f"aws sso login --sso-session {session}" if session
                 else f"aws sso login --profile {view.name}")
        call = self._sso(config["sso_region"], environ=view.environ)
        token = self._token(config, call, login)
        try:
            result = call("GetRoleCredentials", {"roleName": config["sso_role_name"],
                                                 "accountId": config["sso_account_id"],
                                                 "accessToken": token})
        except ClientError as exc:
            if exc.code == "UnauthorizedException" or exc.status_code == 401:
                raise SSOTokenExpiredError(
                    self.name, f"the SSO session of profile {view.name!r} has expired or is"
                    f" otherwise invalid; run `{login}`") from None
            raise self._failed(exc) from None
        except HubError as exc:  # no answer, or an unreadable one
            raise self._failed(exc) from None
        role = result.get("roleCredentials")
        try:
            assert isinstance(role, dict)
            expiry = datetime.fromtimestamp(int(role["expiration"]) / 1000, timezone.utc)
            return Credentials(role["accessKeyId"], role["secretAccessKey"],
                               role["sessionToken"], expiry)
        except (AssertionError, KeyError, TypeError, ValueError, HubError):
            raise CredentialProviderError(
                self.name, "GetRoleCredentials returned no usable roleCredentials") from None

    def _failed(self, exc: Exception) -> CredentialProviderError:
        detail = (f"{exc.code}: {exc.message}" if isinstance(exc, ClientError) and exc.message
                  else getattr(exc, "code", None) or str(exc))
        return CredentialProviderError(self.name, f"GetRoleCredentials failed: {detail}")

    # -- configuration ------------------------------------------------------------------

    def _config(self, view: ProfileView) -> dict[str, str] | None:
        profile = dict(view.section)
        if all(key not in profile for key in _PROFILE_KEYS):
            return None
        required: tuple[str, ...] = _PROFILE_KEYS + _SSO_KEYS
        session_name = profile.get("sso_session")
        if session_name is not None:
            session = view.sso_sessions.get(session_name)
            if session is None:
                raise CredentialProviderError(
                    self.name, f"profile {view.name!r}: the sso-session {session_name!r} does"
                    f" not exist in {view.config_path}")
            for key, value in session.items():
                if profile.get(key, value) != value:
                    raise CredentialProviderError(
                        self.name, f"profile {view.name!r}: {key} differs between the profile"
                        f" and sso-session {session_name!r}")
                profile[key] = value
            required += ("sso_session",)
        missing = [key for key in required if not profile.get(key)]
        if missing:
            raise CredentialProviderError(
                self.name, f"profile {view.name!r} is configured for SSO but lacks"
                f" {', '.join(missing)}")
        return profile

    # -- the token ------------------------------------------------------------------------

    def _path(self, config: Mapping[str, str]) -> str:
        directory = os.path.expanduser(os.fspath(self._cache_dir or "~/.aws/sso/cache"))
        key = sso_cache_key(config["sso_start_url"], config.get("sso_session"))
        return os.path.join(directory, f"{key}.json")

    def _token(self, config: Mapping[str, str], call: ServiceCall, login: str) -> str:
        path = self._path(config)
        try:
            with open(path, encoding="utf-8") as file:
                data: Any = json.load(file)
        except FileNotFoundError:
            raise SSOTokenExpiredError(
                self.name, f"no cached SSO token ({path}); run `{login}`") from None
        except (OSError, ValueError) as exc:
            detail = getattr(exc, "strerror", None) or type(exc).__name__
            raise CredentialProviderError(
                self.name, f"cannot read the cached SSO token {path}: {detail}") from None
        try:
            assert isinstance(data, dict)
            token, expires = str(data["accessToken"]), parse_timestamp(str(data["expiresAt"]))
        except (AssertionError, KeyError, ValueError):
            raise SSOTokenExpiredError(
                self.name, f"the cached SSO token {path} is invalid; run `{login}`") from None
        now = self._clock()
        if config.get("sso_session") and expires.timestamp() - now < _REFRESH_WINDOW:
            refreshed = self._refresh(data, config, call, path)
            if refreshed is not None:
                return refreshed
        if expires.timestamp() <= now:
            raise SSOTokenExpiredError(
                self.name, f"the SSO token expired at {_iso(expires)}; run `{login}`")
        return token

    def _refresh(self, data: dict[str, Any], config: Mapping[str, str], call: ServiceCall,
                 path: str) -> str | None:
        missing = [key for key in _REFRESH_KEYS if key not in data]
        if missing:
            _LOG.info("SSO token cannot be refreshed: the cache lacks %s", ", ".join(missing))
            return None
        try:
            registration = parse_timestamp(str(data["registrationExpiresAt"]))
        except ValueError:
            return None
        if registration.timestamp() <= self._clock():
            _LOG.info("SSO token cannot be refreshed: its client registration expired at %s",
                      _iso(registration))
            return None
        try:
            answer = call("CreateToken", {"grantType": "refresh_token",
                                          "clientId": data["clientId"],
                                          "clientSecret": data["clientSecret"],
                                          "refreshToken": data["refreshToken"]})
            access, expires_in = str(answer["accessToken"]), float(answer["expiresIn"])
        except (HubError, KeyError, TypeError, ValueError) as exc:
            code = getattr(exc, "code", None) or type(exc).__name__
            _LOG.warning("SSO token refresh failed (%s)", code)
            return None
        new = {
            "startUrl": config["sso_start_url"],
            "region": config["sso_region"],
            "accessToken": access,
            "expiresAt": _iso(datetime.fromtimestamp(self._clock(), timezone.utc)
                              + timedelta(seconds=expires_in)),
            "clientId": data["clientId"],
            "clientSecret": data["clientSecret"],
            "registrationExpiresAt": data["registrationExpiresAt"],
            "refreshToken": answer.get("refreshToken") or data["refreshToken"],
        }
        try:
            _write_private(path, new)
        except OSError as exc:
            _LOG.warning("SSO token refreshed but not saved to %s: %s", path, exc.strerror)
        else:
            _LOG.info("SSO token refreshed")
        return access


def _write_private(path: str, data: Mapping[str, Any]) -> None:
    # Atomically, readable by the owner only: the AWS CLI may read (or write) it at any time.
    import tempfile

    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=directory, prefix=".hub-sso-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(data, file)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
