"""The service calls credential providers make (STS, SSO, SSO OIDC), behind one small interface.

A provider asks for a :data:`ServiceCall`, ``call(operation, params) -> dict``, and gets back a
boto3-shaped result (or a :class:`~hub.errors.ClientError` / :class:`~hub.errors.HTTPClientError`).
The implementations here call hub's own generated clients (``sts``, ``sso``, ``sso-oidc``),
each in a small private session (no credential chain of its own: ``AssumeRole`` signs with
the source credentials it is given; ``AssumeRoleWithWebIdentity``, ``GetRoleCredentials`` and
``CreateToken`` take no auth and go unsigned), and keep the providers' own retry loop.

Endpoints follow the SDKs: ``AWS_ENDPOINT_URL_<SERVICE>``, then ``AWS_ENDPOINT_URL`` (both ignored
when ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` is true), then the regional endpoint.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from hub import __version__
from hub.credentials import _http
from hub.credentials._http import HttpSend
from hub.credentials._profile import ProfileView, env_value, parse_bool
from hub.credentials._values import Credentials
from hub.errors import (
    ClientError,
    CredentialProviderError,
    CredentialsError,
    HTTPClientError,
    HubError,
)

if TYPE_CHECKING:
    pass

__all__ = [
    "EXPIRED_CODES",
    "ServiceCall",
    "SsoCall",
    "StsCall",
    "StsFactory",
    "configured_endpoint",
    "credentials_from",
    "is_retryable",
    "provider_failure",
    "session_name",
    "sts_region",
]

_LOG = logging.getLogger("hub.credentials")

#: ``call(operation, params) -> result``: one service operation, boto3-shaped in and out.
ServiceCall = Callable[[str, Mapping[str, Any]], dict[str, Any]]

_STS_VERSION = "2011-06-15"
_TIMEOUT = 30.0
_ATTEMPTS = 3
_USER_AGENT = f"hub/{__version__}"
# Error codes retried besides HTTP 5xx/429 and connection failures: throttling (every spelling
# AWS uses) and STS's "the identity provider did not answer" (botocore retries it too).
_RETRYABLE_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "RequestLimitExceeded", "SlowDown",
    "IDPCommunicationError", "InternalError", "ServiceUnavailable",
})


def configured_endpoint(environ: Mapping[str, str], service_env: str) -> str | None:
    """The endpoint the environment sets for a service (``AWS_ENDPOINT_URL_<service_env>``)."""
    if parse_bool(env_value(environ, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")):
        return None
    return env_value(environ, f"AWS_ENDPOINT_URL_{service_env}") or env_value(
        environ, "AWS_ENDPOINT_URL"
    )


def is_retryable(exc: BaseException) -> bool:
    """Whether a failed call is worth another attempt (throttled, 5xx, no response)."""
    if isinstance(exc, HTTPClientError):
        return True
    if isinstance(exc, ClientError):
        return exc.code in _RETRYABLE_CODES or exc.status_code >= 500 or exc.status_code == 429
    return False


def _with_retries(
    attempt: Callable[[], dict[str, Any]], operation: str, sleep: Callable[[float], None]
) -> dict[str, Any]:
    # botocore's standard mode: 3 attempts, full-jitter exponential backoff capped at 20 s.
    for number in range(1, _ATTEMPTS + 1):
        try:
            return attempt()
        except (ClientError, HTTPClientError) as exc:
            if number == _ATTEMPTS or not is_retryable(exc):
                exc.attempts = number
                raise
            delay = random.random() * min(20.0, 2.0 ** (number - 1))
            _LOG.debug("%s attempt %d failed (%s); retrying in %.2f s", operation, number,
                       getattr(exc, "code", type(exc).__name__), delay)
            sleep(delay)
    raise AssertionError("unreachable")


class StsCall:
    """STS through hub's own generated client (:class:`hub.services.sts.STSClient`):
    ``AssumeRole`` (signed with the source credentials) and ``AssumeRoleWithWebIdentity``
    (unsigned: the model says it takes no auth, so no credentials are looked for).

    The client lives in a private session made on the first call (one per ``StsCall``, so one
    per provider and source): ``Config.max_attempts=1``, because the retries (3 attempts,
    full-jitter backoff, ``sleep`` injectable) stay here, and ``signature_version="unsigned"``
    when there are no source credentials, so the STS client never consults a credential chain.

    Args:
        region: The region whose STS endpoint to call; None for the global endpoint
            (``sts.amazonaws.com``, signed for ``us-east-1``).
        environ: The environment (endpoint overrides, proxies).
        credentials: Returns the credentials to sign with; None sends unsigned requests.
        send: An HTTP function to use instead of hub's transport (tests).
        sleep: Waits between attempts.
    """

    __slots__ = ("_client", "_credentials", "_environ", "_region", "_send", "_sleep")

    def __init__(
        self,
        region: str | None,
        *,
        environ: Mapping[str, str],
        credentials: Callable[[], Credentials] | None = None,
        send: HttpSend | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._region = region
        self._environ = environ
        self._credentials = credentials
        self._send = send
        self._sleep = sleep
        self._client: Any = None

    def endpoint(self) -> tuple[str, str]:
        """The ``(url, signing_region)`` calls go to."""
        info = self._sts().info
        return info.endpoint.rstrip("/") + "/", info.signing_region

    def _sts(self) -> Any:
        client = self._client
        if client is None:  # a race only builds an equal client twice
            client = self._client = _sts_client(self._region, self._environ, self._credentials,
                                                self._send)
        return client

    def __call__(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Call ``operation`` with ``params`` and return the parsed result.

        Raises:
            ClientError: STS answered with an error (after retrying throttles and 5xx); a
                modeled one is the STS client's class (``ExpiredTokenException``).
            HTTPClientError: No answer (after retries).
            ResponseParseError: The answer is not the XML STS sends.
        """
        client = self._sts()
        result: dict[str, Any] = _with_retries(lambda: client._call(operation, dict(params)),
                                               operation, self._sleep)
        return result


class _CallProvider:
    """A credentials provider over a ``() -> Credentials`` function (the source's)."""

    __slots__ = ("_get",)

    def __init__(self, get: Callable[[], Credentials]) -> None:
        self._get = get

    @property
    def name(self) -> str:
        """The provider's name in errors."""
        return "sts-source-credentials"

    def load(self) -> Credentials:
        """The source's current credentials."""
        return self._get()


def _sts_client(region: str | None, environ: Mapping[str, str],
                credentials: Callable[[], Credentials] | None, send: HttpSend | None) -> Any:
    from hub._config import Config
    from hub._session import Session

    endpoint = configured_endpoint(environ, "STS")
    probe = endpoint or (f"https://sts.{region}.{_dns_suffix(region)}" if region
                         else "https://sts.amazonaws.com")
    config = Config(
        region=region,
        endpoint_url=endpoint.rstrip("/") if endpoint else None,
        max_attempts=1,
        retry_mode="standard",
        # As the hand-written call was: profile values (a short role ARN in a test profile)
        # go to STS, which answers for them; header checks still always run.
        parameter_validation=False,
        connect_timeout=_TIMEOUT,
        read_timeout=_TIMEOUT,
        proxies=_http.env_proxies(probe, environ),
        credentials=_CallProvider(credentials) if credentials is not None else None,
        signature_version=None if credentials is not None else "unsigned",
    )
    session = Session(config)
    if send is not None:
        _send_transport(send).install(session)
    return session.client("sts")


def _send_transport(send: HttpSend) -> Any:
    """hub's transport seam over an ``HttpSend`` function (tests inject fakes)."""
    from hub.testing import MemoryResponse, MemoryTransport

    def handler(request: Any) -> MemoryResponse:
        body = request.body if isinstance(request.body, bytes) else None
        reply = send(request.method, request.url, dict(request.headers), body, _TIMEOUT, None)
        return MemoryResponse(reply.status, dict(reply.headers), reply.body)

    return MemoryTransport(handler)


def _parse_error(operation: str, status: int, what: str) -> Exception:
    from hub.errors import ResponseParseError

    return ResponseParseError(f"{operation}: unexpected response ({what})", status_code=status)


def _dns_suffix(region: str) -> str:
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


class SsoCall:
    """The SSO portal's ``GetRoleCredentials`` and SSO OIDC's ``CreateToken``, through hub's own
    generated clients (:mod:`hub.services.sso`, :mod:`hub.services.sso_oidc`). Both operations
    take no SigV4 auth (the model says so): the clients send them unsigned and never consult a
    credential chain. Retries (3 attempts, full-jitter backoff) stay here, as for STS.

    Args:
        region: The ``sso_region``.
        environ: The environment (``AWS_ENDPOINT_URL_SSO``, ``AWS_ENDPOINT_URL_SSO_OIDC``,
            ``AWS_ENDPOINT_URL``, proxies).
        send: An HTTP function to use instead of hub's transport (tests).
        sleep: Waits between attempts.
    """

    __slots__ = ("_clients", "_environ", "_region", "_send", "_sleep")

    def __init__(
        self,
        region: str,
        *,
        environ: Mapping[str, str],
        send: HttpSend | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._region = region
        self._environ = environ
        self._send = send
        self._sleep = sleep
        self._clients: dict[str, Any] = {}

    def _client(self, service: str, env_name: str) -> Any:
        client = self._clients.get(service)
        if client is None:  # a race only builds an equal client twice
            client = self._clients[service] = _unsigned_client(
                service, env_name, self._region, self._environ, self._send)
        return client

    def __call__(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Call ``GetRoleCredentials`` (``roleName``, ``accountId``, ``accessToken``) or
        ``CreateToken`` (``clientId``, ``clientSecret``, ``grantType``, ``refreshToken``).

        Raises:
            ClientError: The service answered with an error (``UnauthorizedException`` for a
                rejected token), after retrying throttles and 5xx.
            HTTPClientError: No answer (after retries).
            ResponseParseError: The answer is not JSON.
        """
        if operation == "GetRoleCredentials":
            client = self._client("sso", "SSO")
        elif operation == "CreateToken":
            client = self._client("sso-oidc", "SSO_OIDC")
        else:
            raise ValueError(f"SsoCall does not know {operation}")
        result: dict[str, Any] = _with_retries(lambda: client._call(operation, dict(params)),
                                               operation, self._sleep)
        return result


def _unsigned_client(service: str, env_name: str, region: str, environ: Mapping[str, str],
                     send: HttpSend | None) -> Any:
    from hub._config import Config
    from hub._session import Session

    endpoint = configured_endpoint(environ, env_name)
    prefix = "portal.sso" if service == "sso" else "oidc"
    probe = endpoint or f"https://{prefix}.{region}.{_dns_suffix(region)}"
    session = Session(Config(
        region=region,
        endpoint_url=endpoint.rstrip("/") if endpoint else None,
        max_attempts=1,
        retry_mode="standard",
        connect_timeout=_TIMEOUT,
        read_timeout=_TIMEOUT,
        parameter_validation=False,
        proxies=_http.env_proxies(probe, environ),
        signature_version="unsigned",
    ))
    if send is not None:
        _send_transport(send).install(session)
    return session.client(service)


# -- shared by the STS-based providers ------------------------------------------------------


#: The error codes that mean "the credentials or token that signed this expired".
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException"})


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


def session_name(configured: str | None) -> str:
    """The ``RoleSessionName``: the configured one, else ``hub-session-<epoch seconds>``."""
    # botocore names unnamed sessions "botocore-session-<epoch>"; hub says who it is.
    return configured or f"hub-session-{int(time.time())}"


def credentials_from(result: Mapping[str, Any], provider: str, operation: str) -> Credentials:
    """The ``Credentials`` of an ``AssumeRole*`` result (a provider error when it has none)."""
    creds = result.get("Credentials")
    try:
        assert isinstance(creds, dict)
        return Credentials(creds["AccessKeyId"], creds["SecretAccessKey"],
                           creds["SessionToken"], creds["Expiration"])
    except (AssertionError, KeyError, HubError):
        raise CredentialProviderError(
            provider, f"{operation} returned no usable Credentials"
        ) from None


def provider_failure(provider: str, what: str, exc: Exception) -> CredentialProviderError:
    """A provider error for a failed call: the service's code and message, never a secret."""
    if isinstance(exc, ClientError):
        detail = f"{exc.code}: {exc.message}" if exc.message else exc.code
    elif isinstance(exc, CredentialsError):
        detail = str(exc)
    else:
        detail = str(exc) if isinstance(exc, HubError) else type(exc).__name__
    error = CredentialProviderError(provider, f"{what} failed: {detail}")
    error.__cause__ = exc
    return error
