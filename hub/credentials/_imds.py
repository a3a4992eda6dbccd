"""EC2 instance metadata (IMDSv2, with botocore's IMDSv1 fallback): the ``iam-role`` provider."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from hub import __version__
from hub._value import dataclass
from hub.credentials import _http
from hub.credentials._files import environ_of
from hub.credentials._http import HttpReply, HttpSend
from hub.credentials._profile import ProfileView, env_value, load_profiles, parse_bool
from hub.credentials._time import parse_timestamp
from hub.credentials._values import Credentials, provider_class
from hub.errors import CredentialProviderError, HTTPClientError, ReadTimeoutError

__all__ = ["InstanceMetadataProvider"]

_LOG = logging.getLogger("hub.credentials")

IPV4_ENDPOINT = "http://169.254.169.254/"
IPV6_ENDPOINT = "http://[fd00:ec2::254]/"
_TOKEN_PATH = "latest/api/token"
_ROLE_PATH = "latest/meta-data/iam/security-credentials/"
_TOKEN_TTL = "21600"  # seconds; botocore's value (6 hours)
_REQUIRED = ("AccessKeyId", "SecretAccessKey", "Token", "Expiration")
# botocore's static-stability numbers: credentials that expire within the refresh window plus
# 2-10 minutes of jitter are served as if they expired that far from now.
_REFRESH_WINDOW = 15 * 60
_JITTER = (120, 600)
_USER_AGENT = f"hub/{__version__}"


class _Unavailable(Exception):
    """The metadata service gave no usable answer; ``str()`` is a secret-free reason."""


@dataclass(frozen=True, slots=True)
class _Settings:
    endpoint: str
    timeout: float
    attempts: int
    disabled: bool
    v1_disabled: bool


@provider_class
class InstanceMetadataProvider:
    """Credentials of the EC2 instance's IAM role, from the instance metadata service.

    Does what botocore's ``InstanceMetadataProvider`` does, configured the same way:

    - ``PUT latest/api/token`` (TTL 6 h) for an IMDSv2 session token; if that is refused
      (403/404/405), times out or keeps failing, fall back to IMDSv1 (no token) unless
      ``AWS_EC2_METADATA_V1_DISABLED`` / ``ec2_metadata_v1_disabled`` is true.
    - ``GET latest/meta-data/iam/security-credentials/`` for the role name, then
      ``GET .../<role>`` for the credentials; a non-200, empty or (for the credentials) non-JSON
      answer is retried up to ``metadata_service_num_attempts`` times.
    - Settings: ``AWS_EC2_METADATA_DISABLED`` (``true`` turns the provider off),
      ``AWS_EC2_METADATA_SERVICE_ENDPOINT`` / ``ec2_metadata_service_endpoint``,
      ``AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE`` / ``ec2_metadata_service_endpoint_mode``
      (``IPv4``/``IPv6``; a custom endpoint wins), ``AWS_IMDS_USE_IPV6`` / ``imds_use_ipv6``,
      ``AWS_METADATA_SERVICE_TIMEOUT`` / ``metadata_service_timeout`` (seconds, default 1) and
      ``AWS_METADATA_SERVICE_NUM_ATTEMPTS`` / ``metadata_service_num_attempts`` (default 1).
      Variables win over the profile's keys in the config file. Proxies come from the standard
      proxy variables unless ``NO_PROXY`` covers the endpoint.

    When nothing usable comes back on the first load, :meth:`load` returns None (the chain
    moves on), as botocore does. **Static stability:** once it has credentials, a failed
    refresh never fails: the last credentials are returned with their expiry moved 17-25
    minutes ahead and a warning is logged, and credentials the service hands out that are
    (nearly) expired are extended the same way, so a blinking metadata service never fails a
    request and a down one is asked again every few minutes, not on every call.

    Args:
        profile: The profile whose config-file keys apply, or None for the selected one.
        environ: The environment, or None for ``os.environ`` (read at every load).
        send: The HTTP function (tests inject one); default: hub's pooled transport.
        clock: Seconds since the epoch (for the static-stability arithmetic).
        jitter: Returns the extension jitter in seconds; default random 120-600.
    """

    __slots__ = ("_clock", "_environ", "_jitter", "_last", "_profile", "_send")

    name = "iam-role"

    def __init__(
        self,
        profile: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        send: HttpSend | None = None,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] | None = None,
    ) -> None:
        self._profile = profile
        self._environ = environ
        self._send: HttpSend = send or _http.send
        self._clock = clock
        self._jitter = jitter or (lambda: float(random.randint(*_JITTER)))
        self._last: Credentials | None = None  # replaced whole; read and written atomically

    def __repr__(self) -> str:
        return f"InstanceMetadataProvider(profile={self._profile!r})"

    def load(self) -> Credentials | None:
        """Fetch the role's credentials (or extend the last ones while the service is down).

        Returns:
            The credentials, or None when metadata access is disabled or the service gave no
            usable answer and no credentials were loaded before.

        Raises:
            CredentialProviderError: A setting is invalid, or no IMDSv2 token could be had and
                IMDSv1 is disabled (on the first load).
        """
        settings = self._settings()
        if settings.disabled:
            _LOG.debug("instance metadata: disabled by AWS_EC2_METADATA_DISABLED")
            return None
        try:
            credentials = self._fetch(settings)
        except (_Unavailable, CredentialProviderError) as exc:
            last = self._last
            if last is None:
                if isinstance(exc, CredentialProviderError):
                    raise
                _LOG.debug("instance metadata: no credentials (%s)", exc)
                return None
            return self._extend(last, str(exc), outage=True)
        credentials = self._stable(credentials)
        self._last = credentials
        return credentials

    # -- settings ---------------------------------------------------------------------------

    def _settings(self) -> _Settings:
        view = load_profiles(self._profile, self._environ, self.name)
        env = view.environ
        return _Settings(
            endpoint=_endpoint(view, self.name),
            timeout=_number(view, "AWS_METADATA_SERVICE_TIMEOUT", "metadata_service_timeout",
                            1.0, self.name),
            attempts=int(_number(view, "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
                                 "metadata_service_num_attempts", 1, self.name, integer=True)),
            disabled=(env_value(env, "AWS_EC2_METADATA_DISABLED") or "").lower() == "true",
            v1_disabled=parse_bool(
                view.setting("AWS_EC2_METADATA_V1_DISABLED", "ec2_metadata_v1_disabled")
            ),
        )

    # -- the three calls --------------------------------------------------------------------

    def _fetch(self, settings: _Settings) -> Credentials:
        token = self._token(settings)
        if token is None and settings.v1_disabled:
            raise CredentialProviderError(
                self.name,
                "could not get an IMDSv2 session token and IMDSv1 is disabled"
                " (AWS_EC2_METADATA_V1_DISABLED / ec2_metadata_v1_disabled)",
            )
        headers = {"User-Agent": _USER_AGENT}
        if token is not None:
            headers["x-aws-ec2-metadata-token"] = token
        role = self._get(settings, _ROLE_PATH, headers, "the role name").text().strip()
        role = role.splitlines()[0] if role else role
        reply = self._get(settings, _ROLE_PATH + role, headers, "the credentials", json_body=True)
        data: Any = json.loads(reply.body)
        if not isinstance(data, dict) or any(key not in data for key in _REQUIRED):
            code = data.get("Code") if isinstance(data, dict) else None
            detail = f" (Code {code!r})" if isinstance(code, str) else ""
            raise _Unavailable(f"the credentials response lacks a required field{detail}")
        try:
            return Credentials(
                data["AccessKeyId"],
                data["SecretAccessKey"],
                data["Token"],
                parse_timestamp(data["Expiration"]),
            )
        except (ValueError, TypeError):
            raise _Unavailable("the credentials response has an invalid field") from None

    def _token(self, settings: _Settings) -> str | None:
        url = settings.endpoint + _TOKEN_PATH
        headers = {"x-aws-ec2-metadata-token-ttl-seconds": _TOKEN_TTL, "User-Agent": _USER_AGENT}
        for _ in range(settings.attempts):
            try:
                reply = self._send("PUT", url, headers, None, settings.timeout,
                                   _http.env_proxies(url, self._env()))
            except ReadTimeoutError:
                return None  # an IMDSv1-only service may just not answer the PUT
            except HTTPClientError as exc:
                _LOG.debug("instance metadata: token request failed: %s", type(exc).__name__)
                continue
            if reply.status == 200 and reply.body:
                return reply.text()
            if reply.status in (403, 404, 405):
                return None
            if reply.status == 400:
                raise _Unavailable("the token request was rejected (HTTP 400)")
        return None

    def _get(
        self,
        settings: _Settings,
        path: str,
        headers: Mapping[str, str],
        what: str,
        *,
        json_body: bool = False,
    ) -> HttpReply:
        url = settings.endpoint + path
        reason = "no attempt made"
        for _ in range(settings.attempts):
            try:
                reply = self._send("GET", url, headers, None, settings.timeout,
                                   _http.env_proxies(url, self._env()))
            except HTTPClientError as exc:
                reason = type(exc).__name__
                continue
            if reply.status != 200:
                reason = f"HTTP {reply.status}"
            elif not reply.body:
                reason = "an empty body"
            elif json_body and not _is_json(reply.body):
                reason = "a body that is not JSON"
            else:
                return reply
            _LOG.debug("instance metadata: %s for %s", reason, what)
        raise _Unavailable(
            f"fetching {what} failed after {settings.attempts} attempt(s), last: {reason}"
        )

    def _env(self) -> Mapping[str, str]:
        return environ_of(self._environ)

    # -- static stability -------------------------------------------------------------------

    def _stable(self, credentials: Credentials) -> Credentials:
        assert credentials.expiry is not None
        window = _REFRESH_WINDOW + self._jitter()
        if self._clock() >= credentials.expiry.timestamp() - window:
            return self._extend(credentials, "the service returned credentials that expire"
                                " within the refresh window", outage=False, window=window)
        return credentials

    def _extend(
        self, credentials: Credentials, reason: str, *, outage: bool, window: float | None = None
    ) -> Credentials:
        window = _REFRESH_WINDOW + self._jitter() if window is None else window
        expiry = datetime.fromtimestamp(self._clock(), timezone.utc) + timedelta(seconds=window)
        extended = Credentials(credentials.access_key, credentials.secret_key,
                               credentials.token, expiry)
        _LOG.warning(
            "instance metadata: %s; %s with their expiry extended to %s; a refresh will be"
            " attempted again within the next %.0f minutes",
            reason,
            "using the last credentials" if outage else "using the credentials",
            expiry.isoformat(timespec="seconds"),
            window / 60,
        )
        self._last = extended
        return extended


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def _endpoint(view: ProfileView, provider: str) -> str:
    custom = view.setting("AWS_EC2_METADATA_SERVICE_ENDPOINT", "ec2_metadata_service_endpoint")
    mode = view.setting(
        "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ec2_metadata_service_endpoint_mode"
    )
    if mode is not None and mode.lower() not in ("ipv4", "ipv6"):
        raise CredentialProviderError(
            provider,
            f"ec2_metadata_service_endpoint_mode {mode!r} is not one of IPv4, IPv6",
        )
    if custom is not None:
        parts = urlsplit(custom)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CredentialProviderError(
                provider,
                f"ec2_metadata_service_endpoint {custom!r} is not an http(s)://host URL",
            )
        return custom if custom.endswith("/") else custom + "/"
    ipv6 = mode.lower() == "ipv6" if mode is not None else parse_bool(
        view.setting("AWS_IMDS_USE_IPV6", "imds_use_ipv6")
    )
    return IPV6_ENDPOINT if ipv6 else IPV4_ENDPOINT


def _number(
    view: ProfileView,
    env_var: str,
    key: str,
    default: float,
    provider: str,
    *,
    integer: bool = False,
) -> float:
    text = view.setting(env_var, key)
    if text is None:
        return default
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        value = -1
    if not value > 0:
        kind = "a positive integer" if integer else "a positive number"
        raise CredentialProviderError(provider, f"{key} {text!r} is not {kind}")
    return value
