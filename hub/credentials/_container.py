"""Container credentials (ECS task roles, EKS Pod Identity): the ``container-role`` provider."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from hub._redact import scrubbed
from hub.credentials import _http
from hub.credentials._files import environ_of
from hub.credentials._http import HttpSend
from hub.credentials._profile import env_value
from hub.credentials._time import parse_timestamp
from hub.credentials._values import Credentials, provider_class
from hub.errors import CredentialProviderError, HTTPClientError

__all__ = ["ContainerProvider"]

_LOG = logging.getLogger("hub.credentials")

ECS_HOST = "169.254.170.2"
#: Hosts a plain-http full URI may name besides loopback addresses (botocore's list: ECS, EKS
#: Pod Identity over IPv4 and IPv6, and localhost).
ALLOWED_HOSTS = (ECS_HOST, "169.254.170.23", "fd00:ec2::23", "localhost")
_TIMEOUT = 2.0
_ATTEMPTS = 3
_SLEEP = 1.0
_REQUIRED = ("AccessKeyId", "SecretAccessKey", "Token", "Expiration")


@provider_class
class ContainerProvider:
    """Credentials from the container credentials endpoint (ECS, EKS Pod Identity, Greengrass).

    Configured as botocore's ``ContainerProvider``:

    - ``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI``: a path on ``http://169.254.170.2`` (ECS).
    - ``AWS_CONTAINER_CREDENTIALS_FULL_URI``: any ``https`` URL, or an ``http`` one whose host
      is a loopback address or one of ``169.254.170.2``, ``169.254.170.23``,
      ``fd00:ec2::23``, ``localhost``. The relative URI wins when both are set.
    - ``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`` (read again on every load, so a rotated
      token is picked up; used as is, like botocore) or else
      ``AWS_CONTAINER_AUTHORIZATION_TOKEN``, sent as the ``Authorization`` header.

    Each load tries up to 3 times (2 s timeout, 1 s apart) on a connection error, a non-200
    answer or a body that is not JSON. The response must hold ``AccessKeyId``,
    ``SecretAccessKey``, ``Token`` and ``Expiration``. Empty variables count as unset.

    Args:
        environ: The environment, or None for ``os.environ`` (read at every load).
        send: The HTTP function (tests inject one); default: hub's pooled transport.
        sleep: Waits between attempts (tests inject a fast one).
        relative_base: The base URL for the relative URI (tests point it at 127.0.0.1).
    """

    __slots__ = ("_environ", "_relative_base", "_send", "_sleep")

    name = "container-role"

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        send: HttpSend | None = None,
        sleep: Callable[[float], None] = time.sleep,
        relative_base: str = f"http://{ECS_HOST}",
    ) -> None:
        self._environ = environ
        self._send: HttpSend = send or _http.send
        self._sleep = sleep
        self._relative_base = relative_base.rstrip("/")

    def __repr__(self) -> str:
        return "ContainerProvider()"

    def load(self) -> Credentials | None:
        """Fetch the credentials from the container endpoint.

        Returns:
            The credentials, or None when neither URI variable is set.

        Raises:
            CredentialProviderError: The full URI's host is not allowed, the token has a line
                break or its file cannot be read, or every attempt failed or the response
                lacks a field.
        """
        try:
            return self._load()
        except BaseException as exc:  # noqa: BLE001 - re-raised, scrubbed
            error = scrubbed(exc, "loading container credentials", provider=self.name)
        raise error  # the frames below held the authorization token and the response (hub._redact)

    def _load(self) -> Credentials | None:
        env = environ_of(self._environ)
        relative = env_value(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        full = env_value(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI")
        if relative is not None:
            url = self._relative_base + relative
        elif full is not None:
            url = full
            self._check_host(full)
        else:
            return None
        reason = "no attempt made"
        for attempt in range(_ATTEMPTS):
            if attempt:
                self._sleep(_SLEEP)
            headers = {"Accept": "application/json", **self._auth(env)}
            try:
                reply = self._send("GET", url, headers, None, _TIMEOUT, None)
            except HTTPClientError as exc:
                reason = type(exc).__name__
                continue
            if reply.status != 200:
                reason = f"HTTP {reply.status}"
                continue
            try:
                data: Any = json.loads(reply.body)
            except ValueError:
                reason = "a body that is not JSON"
                continue
            return self._credentials(data)
        _LOG.debug("container credentials: giving up, last: %s", reason)
        raise CredentialProviderError(
            self.name,
            f"no credentials from {_safe(url)} after {_ATTEMPTS} attempts, last: {reason}",
        )

    def _check_host(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme == "https":
            return
        host = parts.hostname or ""
        import ipaddress  # only for a full URI (1 ms to import)

        try:
            if ipaddress.ip_address(host).is_loopback:
                return
        except ValueError:
            pass
        if parts.scheme == "http" and host in ALLOWED_HOSTS:
            return
        raise CredentialProviderError(
            self.name,
            f"AWS_CONTAINER_CREDENTIALS_FULL_URI host {host!r} is not allowed: use https, a"
            f" loopback address or one of {', '.join(ALLOWED_HOSTS)}",
        )

    def _auth(self, env: Mapping[str, str]) -> dict[str, str]:
        path = env_value(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        if path is not None:
            try:
                with open(path, encoding="utf-8") as file:
                    token = file.read()
            except (OSError, UnicodeDecodeError) as exc:
                detail = getattr(exc, "strerror", None) or type(exc).__name__
                raise CredentialProviderError(
                    self.name, f"cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {path}:"
                    f" {detail}"
                ) from None
            source = "the file AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE names"
        else:
            token = env_value(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN") or ""
            source = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
            if not token:
                return {}
        if "\r" in token or "\n" in token:
            raise CredentialProviderError(
                self.name, f"the token in {source} contains a line break, which is not a"
                " legal header value"
            )
        return {"Authorization": token}

    def _credentials(self, data: Any) -> Credentials:
        if not isinstance(data, dict):
            raise CredentialProviderError(self.name, "the response is not a JSON object")
        missing = [key for key in _REQUIRED if not (isinstance(data.get(key), str) and data[key])]
        if missing:
            raise CredentialProviderError(
                self.name, f"the response has no {', '.join(missing)}"
            )
        try:
            expiry = parse_timestamp(data["Expiration"])
        except ValueError:
            raise CredentialProviderError(
                self.name, "the response's Expiration is not an ISO-8601 timestamp"
            ) from None
        return Credentials(data["AccessKeyId"], data["SecretAccessKey"], data["Token"], expiry)


def _safe(url: str) -> str:
    # The query of a full URI may carry something private; the origin and path say enough.
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
