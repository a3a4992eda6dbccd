"""Web identity (``assume-role-with-web-identity``): a token file traded for role credentials."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from hub._redact import scrubbed
from hub.credentials._profile import load_profiles
from hub.credentials._sts import (
    EXPIRED_CODES,
    StsCall,
    StsFactory,
    credentials_from,
    provider_failure,
    session_name,
    sts_region,
)
from hub.credentials._values import Credentials, provider_class
from hub.errors import ClientError, CredentialProviderError, HubError

__all__ = ["WebIdentityProvider"]

_LOG = logging.getLogger("hub.credentials")


@provider_class
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
                  "RoleSessionName": session_name(setting("AWS_ROLE_SESSION_NAME",
                                                           "role_session_name"))}
        call = self._sts(sts_region(view), environ=view.environ)
        for attempt in (1, 2):
            token = self._read_token(token_file)
            try:
                result = call("AssumeRoleWithWebIdentity", {**params, "WebIdentityToken": token})
            except HubError as exc:  # a service error, no answer, or an unreadable one
                if attempt == 1 and isinstance(exc, ClientError) and exc.code in EXPIRED_CODES:
                    _LOG.info("web identity token expired; reading %s again", token_file)
                    continue
                raise provider_failure(self.name, f"AssumeRoleWithWebIdentity for {role_arn}", exc
                              ) from None
            return credentials_from(result, self.name, "AssumeRoleWithWebIdentity")
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
