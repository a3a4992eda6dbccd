"""The service calls credential providers make (STS, SSO, SSO OIDC), behind one small interface.

A provider asks for a :data:`ServiceCall`, ``call(operation, params) -> dict``, and gets back a
boto3-shaped result (or a :class:`~hub.errors.ClientError` / :class:`~hub.errors.HTTPClientError`).
The implementations here build the few requests involved directly on hub's transport: STS's
``AssumeRole`` / ``AssumeRoleWithWebIdentity`` are form POSTs with XML answers (query protocol),
SSO's ``GetRoleCredentials`` is a GET with a bearer header, OIDC's ``CreateToken`` a JSON POST.
Once generated ``sts``/``sso``/``sso-oidc`` clients exist, a ``ServiceCall`` can be a bound
method of one of them instead; nothing else changes.

Endpoints follow the SDKs: ``AWS_ENDPOINT_URL_<SERVICE>``, then ``AWS_ENDPOINT_URL`` (both ignored
when ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` is true), then the regional endpoint.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlencode

from hub import endpoints
from hub._version import __version__
from hub.credentials import _http
from hub.credentials._http import HttpReply, HttpSend
from hub.credentials._profile import ProfileView, env_value, parse_bool
from hub.credentials._time import parse_timestamp
from hub.credentials._values import Credentials
from hub.errors import (
    ClientError,
    CredentialProviderError,
    CredentialsError,
    HTTPClientError,
    HubError,
    XMLForbidden,
)

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

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
    """STS over the query protocol: ``AssumeRole`` (signed) and ``AssumeRoleWithWebIdentity``.

    Args:
        region: The region whose STS endpoint to call; None for the global endpoint
            (``sts.amazonaws.com``, signed for ``us-east-1``).
        environ: The environment (endpoint overrides, proxies).
        credentials: Returns the credentials to sign with; None sends unsigned requests
            (``AssumeRoleWithWebIdentity`` needs none).
        send: The HTTP function; default: hub's pooled transport.
        sleep: Waits between attempts.
    """

    __slots__ = ("_credentials", "_environ", "_region", "_send", "_sleep")

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
        self._send: HttpSend = send or _http.send
        self._sleep = sleep

    def endpoint(self) -> tuple[str, str]:
        """The ``(url, signing_region)`` calls go to."""
        region = self._region or "us-east-1"
        custom = configured_endpoint(self._environ, "STS")
        if custom is not None:
            return custom.rstrip("/") + "/", region
        if self._region is None:
            return "https://sts.amazonaws.com/", region
        resolved = endpoints.resolve("sts", self._region)
        return resolved.url.rstrip("/") + "/", resolved.signing_region

    def __call__(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Call ``operation`` with ``params`` (scalars) and return the parsed result.

        Raises:
            ClientError: STS answered with an error (after retrying throttles and 5xx).
            HTTPClientError: No answer (after retries).
            ResponseParseError: The answer is not the XML STS sends.
        """
        return _with_retries(lambda: self._once(operation, params), operation, self._sleep)

    def _once(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        url, signing_region = self.endpoint()
        form = {"Action": operation, "Version": _STS_VERSION,
                **{key: str(value) for key, value in params.items()}}
        body = urlencode(form, quote_via=quote).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "User-Agent": _USER_AGENT,
        }
        if self._credentials is not None:
            from hub.signing import sign

            added = sign("POST", url, list(headers.items()), body,
                         credentials=self._credentials(), region=signing_region,
                         service="sts", timestamp=datetime.now(timezone.utc))
            headers.update(added)
        reply = self._send("POST", url, headers, body, _TIMEOUT,
                           _http.env_proxies(url, self._environ))
        root = _parse(reply, operation)
        if reply.status != 200:
            raise _xml_error(root, reply, operation)
        result = next((c for c in root if local_name(c.tag) == f"{operation}Result"), None)
        if result is None:
            raise _parse_error(operation, reply.status, f"no {operation}Result element")
        data = _element_dict(result)
        creds = data.get("Credentials")
        if isinstance(creds, dict) and isinstance(creds.get("Expiration"), str):
            try:
                creds["Expiration"] = parse_timestamp(creds["Expiration"])
            except ValueError:
                raise _parse_error(operation, reply.status, "Expiration is not a timestamp"
                                   ) from None
        request_id = next((c for c in root.iter() if local_name(c.tag) == "RequestId"), None)
        data["ResponseMetadata"] = {
            "RequestId": (request_id.text or "") if request_id is not None else "",
            "HTTPStatusCode": reply.status,
        }
        return data


def local_name(tag: str) -> str:
    """An element tag without its ``{namespace}``."""
    return tag.rpartition("}")[2]


def _parse(reply: HttpReply, operation: str) -> Element:
    # The protocols' hardened parser (no DOCTYPE, so no entity expansion); imported here, at
    # the first STS call, to keep hub.credentials light to import.
    from xml.etree.ElementTree import ParseError

    from hub.protocols._xml import parse_xml

    try:
        return parse_xml(reply.body)
    except (ParseError, XMLForbidden):
        if reply.status != 200:
            raise ClientError(str(reply.status), f"HTTP {reply.status}",
                              status_code=reply.status, operation=operation) from None
        raise _parse_error(operation, reply.status, "the body is not XML") from None


def _parse_error(operation: str, status: int, what: str) -> Exception:
    from hub.errors import ResponseParseError

    return ResponseParseError(f"{operation}: unexpected response ({what})", status_code=status)


def _element_dict(node: Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in node:
        out[local_name(child.tag)] = _element_dict(child) if len(child) else (child.text or "")
    return out


def _xml_error(root: Element, reply: HttpReply, operation: str) -> ClientError:
    found = {local_name(n.tag): (n.text or "") for n in root.iter() if not len(n)}
    return ClientError(
        found.get("Code") or str(reply.status),
        found.get("Message", ""),
        status_code=reply.status,
        operation=operation,
        request_id=found.get("RequestId"),
    )


def _dns_suffix(region: str) -> str:
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


class SsoCall:
    """The SSO portal's ``GetRoleCredentials`` and SSO OIDC's ``CreateToken`` (rest-json).

    Args:
        region: The ``sso_region``.
        environ: The environment (``AWS_ENDPOINT_URL_SSO``, ``AWS_ENDPOINT_URL_SSO_OIDC``,
            ``AWS_ENDPOINT_URL``, proxies).
        send: The HTTP function; default: hub's pooled transport.
        sleep: Waits between attempts.
    """

    __slots__ = ("_environ", "_region", "_send", "_sleep")

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
        self._send: HttpSend = send or _http.send
        self._sleep = sleep

    def __call__(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Call ``GetRoleCredentials`` (``roleName``, ``accountId``, ``accessToken``) or
        ``CreateToken`` (``clientId``, ``clientSecret``, ``grantType``, ``refreshToken``).

        Raises:
            ClientError: The service answered with an error (``UnauthorizedException`` for a
                rejected token), after retrying throttles and 5xx.
            HTTPClientError: No answer (after retries).
            ResponseParseError: The answer is not JSON.
        """
        return _with_retries(lambda: self._once(operation, params), operation, self._sleep)

    def _once(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        headers = {"User-Agent": _USER_AGENT}
        if operation == "GetRoleCredentials":
            base = configured_endpoint(self._environ, "SSO") or (
                f"https://portal.sso.{self._region}.{_dns_suffix(self._region)}"
            )
            query = urlencode({"role_name": params["roleName"],
                               "account_id": params["accountId"]}, quote_via=quote)
            url = f"{base.rstrip('/')}/federation/credentials?{query}"
            headers["x-amz-sso_bearer_token"] = str(params["accessToken"])
            method, body = "GET", None
        elif operation == "CreateToken":
            base = configured_endpoint(self._environ, "SSO_OIDC") or (
                f"https://oidc.{self._region}.{_dns_suffix(self._region)}"
            )
            url = f"{base.rstrip('/')}/token"
            headers["Content-Type"] = "application/json"
            method, body = "POST", json.dumps(dict(params)).encode()
        else:
            raise ValueError(f"SsoCall does not know {operation}")
        reply = self._send(method, url, headers, body, _TIMEOUT, _http.env_proxies(url,
                                                                                    self._environ))
        try:
            data: Any = json.loads(reply.body) if reply.body else {}
        except ValueError:
            data = None
        if reply.status != 200:
            found = data if isinstance(data, dict) else {}
            code = (reply.headers.get("x-amzn-errortype", "").split(":")[0]
                    or str(found.get("error") or found.get("__type") or reply.status))
            message = str(found.get("message") or found.get("error_description") or "")
            raise ClientError(code, message, status_code=reply.status, operation=operation,
                              request_id=reply.headers.get("x-amzn-requestid"))
        if not isinstance(data, dict):
            raise _parse_error(operation, reply.status, "the body is not a JSON object")
        data["ResponseMetadata"] = {"RequestId": reply.headers.get("x-amzn-requestid", ""),
                                    "HTTPStatusCode": reply.status}
        return data


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
