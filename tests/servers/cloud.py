"""Fake AWS credential sources on 127.0.0.1: IMDS, the container endpoint, STS, SSO + OIDC.

Each fake is a :class:`~tests.servers.local.LocalServer` whose default handler speaks just
enough of the real protocol, hands out fresh, distinct credentials on every call (so a test
sees whether a refresh happened), counts calls per operation, and injects faults on demand::

    imds.fail("500", times=2, op="credentials")   # the next two credential GETs answer 500
    imds.count("credentials")                      # how many credential GETs arrived

Fault kinds (not every fake uses every kind): ``"slow"`` (answer after ``slow_seconds``),
``"500"``, ``"bad_json"``, ``"reset"`` (RST, no answer), ``"throttle"`` (STS ``Throttling``),
``"expired_token"`` (STS ``ExpiredTokenException``), ``"unauthorized"`` (SSO 401),
``"invalid_grant"`` (OIDC refresh refused), ``"empty"`` (200 with an empty body).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter, deque
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

from tests.servers.local import LocalServer
from tests.servers.responses import RecordedRequest, Response

__all__ = ["FakeContainer", "FakeIMDS", "FakeSSO", "FakeSTS", "iso"]


def iso(when: datetime) -> str:
    """``2030-01-01T00:00:00Z`` (the format IMDS and STS use)."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_JSON = (("Content-Type", "application/json"),)


class _Fake(LocalServer):
    """Shared parts: counters, a fault queue, credential issuing."""

    prefix = "ASIAFAKE"

    def __init__(self) -> None:
        super().__init__(max_stall=30.0)
        self._fake_lock = threading.Lock()
        self._faults: deque[tuple[str | None, str]] = deque()
        self._counts: Counter[str] = Counter()
        self._serial = itertools.count(1)
        #: Seconds the issued credentials live (from the moment of issue).
        self.lifetime = 6 * 3600.0
        #: Seconds a ``"slow"`` fault waits.
        self.slow_seconds = 2.0
        #: Seconds every answer waits (a service under load); 0 for none.
        self.delay = 0.0
        #: Every credential set handed out, in order (dicts with the AWS field names).
        self.issued: list[dict[str, str]] = []
        self.set_default(self._dispatch)

    # -- test API ------------------------------------------------------------------------

    def fail(self, kind: str, times: int = 1, *, op: str | None = None) -> None:
        """Make the next ``times`` calls of ``op`` (any operation when None) fail as ``kind``."""
        with self._fake_lock:
            self._faults.extend([(op, kind)] * times)

    def count(self, op: str | None = None) -> int:
        """Calls of ``op`` so far (all operations when None), faulted ones included."""
        with self._fake_lock:
            return sum(self._counts.values()) if op is None else self._counts[op]

    def clear_faults(self) -> None:
        """Drop the faults not yet used."""
        with self._fake_lock:
            self._faults.clear()

    # -- for subclasses ------------------------------------------------------------------

    def _issue(self, lifetime: float | None = None) -> dict[str, str]:
        n = next(self._serial)
        expiry = datetime.now(timezone.utc) + timedelta(
            seconds=self.lifetime if lifetime is None else lifetime
        )
        creds = {
            "AccessKeyId": f"{self.prefix}{n:08d}",
            "SecretAccessKey": f"fakeSecret/{self.prefix}/{n}/wJalrXUtnFEMI",
            "Token": f"fakeSessionToken//{self.prefix}/{n}/IQoJb3JpZ2luX2Vj",
            "Expiration": iso(expiry),
        }
        with self._fake_lock:
            self.issued.append(creds)
        return creds

    def _op(self, request: RecordedRequest) -> str:
        raise NotImplementedError

    def _answer(self, op: str, request: RecordedRequest) -> Response:
        raise NotImplementedError

    def _fault(self, kind: str, op: str) -> Response | None:
        if kind == "slow":
            return None  # handled in _dispatch: the normal answer, late
        if kind == "500":
            return Response(500, b"internal error")
        if kind == "bad_json":
            return Response(200, b'{"AccessKeyId": "ASIA', _JSON)
        if kind == "reset":
            return Response(fault="reset")
        if kind == "empty":
            return Response(200, b"")
        raise ValueError(f"{type(self).__name__}: unknown fault {kind!r}")

    def _dispatch(self, request: RecordedRequest) -> Response:
        op = self._op(request)
        with self._fake_lock:
            self._counts[op] += 1
            kind = None
            for i, (fault_op, fault_kind) in enumerate(self._faults):
                if fault_op is None or fault_op == op:
                    kind = fault_kind
                    del self._faults[i]
                    break
        if kind is not None:
            faulted = self._fault(kind, op)
            if faulted is not None:
                return faulted
        response = self._answer(op, request)
        delay = self.slow_seconds if kind == "slow" else self.delay
        if delay:
            return Response(response.status, response.body, response.headers, delay=delay)
        return response


class FakeIMDS(_Fake):
    """EC2 instance metadata: ``PUT /latest/api/token``, the role listing and credentials.

    Operations (for ``fail``/``count``): ``"token"``, ``"role"``, ``"credentials"``.

    Attributes:
        role: The role name listed.
        v2_required: GETs without a valid token get 401 (``HttpTokens=required``).
        v1_only: The token PUT answers 403 (an IMDSv1-only service).
        tokens_seen: The ``x-aws-ec2-metadata-token`` header of each GET (None when absent).
    """

    prefix = "ASIAIMDS"

    def __init__(self) -> None:
        super().__init__()
        self.role = "hub-test-role"
        self.v2_required = False
        self.v1_only = False
        self.token_ttl_seen: list[str | None] = []
        self.tokens_seen: list[str | None] = []
        self._tokens: dict[str, float] = {}

    def _op(self, request: RecordedRequest) -> str:
        if request.path == "/latest/api/token":
            return "token"
        if request.path == "/latest/meta-data/iam/security-credentials/":
            return "role"
        return "credentials"

    def _fault(self, kind: str, op: str) -> Response | None:
        if kind == "missing_token" and op == "token":
            return Response(200, b"")
        return super()._fault(kind, op)

    def _answer(self, op: str, request: RecordedRequest) -> Response:
        if op == "token":
            ttl = request.header("x-aws-ec2-metadata-token-ttl-seconds")
            self.token_ttl_seen.append(ttl)
            if request.method != "PUT":
                return Response(405)
            if self.v1_only:
                return Response(403)
            if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return Response(400)
            token = f"imds-token-{next(self._serial)}"
            with self._fake_lock:
                self._tokens[token] = time.time() + int(ttl)
            return Response(200, token.encode(),
                            (("x-aws-ec2-metadata-token-ttl-seconds", ttl),))
        seen = request.header("x-aws-ec2-metadata-token")
        self.tokens_seen.append(seen)
        if seen is not None or self.v2_required:
            with self._fake_lock:
                valid = seen is not None and self._tokens.get(seen, 0) > time.time()
            if not valid:
                return Response(401)
        if op == "role":
            return Response(200, self.role.encode())
        if request.path != "/latest/meta-data/iam/security-credentials/" + self.role:
            return Response(404)
        creds = self._issue()
        body = {"Code": "Success", "LastUpdated": iso(datetime.now(timezone.utc)),
                "Type": "AWS-HMAC", **creds}
        return Response(200, json.dumps(body).encode())


class FakeContainer(_Fake):
    """The ECS / EKS Pod Identity container credentials endpoint.

    Operation: ``"credentials"``. When ``auth_token`` is set, a request whose
    ``Authorization`` differs gets 401; every header seen is in ``authorizations``.
    """

    prefix = "ASIACONT"

    def __init__(self) -> None:
        super().__init__()
        self.path = "/v2/credentials/task-uuid"
        self.auth_token: str | None = None
        self.authorizations: list[str | None] = []

    def _op(self, request: RecordedRequest) -> str:
        return "credentials"

    def _answer(self, op: str, request: RecordedRequest) -> Response:
        auth: str | None = request.header("Authorization")
        self.authorizations.append(auth)
        if self.auth_token is not None and auth != self.auth_token:
            return Response(401, b'{"Message": "unauthorized"}', _JSON)
        if request.path != self.path:
            return Response(404, b'{"Message": "not found"}', _JSON)
        body = {**self._issue(), "RoleArn": "arn:aws:iam::123456789012:role/task"}
        return Response(200, json.dumps(body).encode(), _JSON)


_STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


class FakeSTS(_Fake):
    """STS's query protocol: ``AssumeRole`` and ``AssumeRoleWithWebIdentity``.

    Operations: the ``Action``. ``calls`` holds each call's form parameters and whether it
    was signed (``"_signed"``: ``"yes"``/``"no"``), in order.
    """

    prefix = "ASIASTS"

    def __init__(self) -> None:
        super().__init__()
        self.lifetime = 3600.0
        self.calls: list[dict[str, str]] = []

    def _op(self, request: RecordedRequest) -> str:
        return dict(parse_qsl(request.body.decode())).get("Action", "?")

    def _error(self, status: int, code: str, message: str) -> Response:
        body = (
            f'<ErrorResponse xmlns="{_STS_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f"<Message>{message}</Message></Error><RequestId>fake-request</RequestId>"
            "</ErrorResponse>"
        )
        return Response(status, body.encode(), (("Content-Type", "text/xml"),))

    def _fault(self, kind: str, op: str) -> Response | None:
        if kind == "throttle":
            return self._error(400, "Throttling", "Rate exceeded")
        if kind == "expired_token":
            return self._error(400, "ExpiredTokenException", "Token expired")
        if kind == "access_denied":
            return self._error(403, "AccessDenied", "Not authorized to perform sts:AssumeRole")
        if kind == "bad_xml":
            return Response(200, b"<AssumeRoleResponse><AssumeRoleResult><Cred", ())
        return super()._fault(kind, op)

    def _answer(self, op: str, request: RecordedRequest) -> Response:
        params = dict(parse_qsl(request.body.decode()))
        params["_signed"] = "yes" if request.header("Authorization") else "no"
        with self._fake_lock:
            self.calls.append(params)
        if op not in ("AssumeRole", "AssumeRoleWithWebIdentity"):
            return self._error(400, "InvalidAction", f"unknown action {op}")
        if op == "AssumeRole" and params["_signed"] != "yes":
            return self._error(403, "MissingAuthenticationToken", "Request is missing auth")
        duration = float(params.get("DurationSeconds", self.lifetime))
        creds = self._issue(min(duration, self.lifetime))
        arn = params.get("RoleArn", "")
        extra = ""
        if op == "AssumeRoleWithWebIdentity":
            extra = "<SubjectFromWebIdentityToken>fake-subject</SubjectFromWebIdentityToken>"
        body = (
            f'<{op}Response xmlns="{_STS_NS}"><{op}Result>{extra}<Credentials>'
            f"<AccessKeyId>{creds['AccessKeyId']}</AccessKeyId>"
            f"<SecretAccessKey>{creds['SecretAccessKey']}</SecretAccessKey>"
            f"<SessionToken>{creds['Token']}</SessionToken>"
            f"<Expiration>{creds['Expiration']}</Expiration></Credentials>"
            f"<AssumedRoleUser><Arn>{arn}/session</Arn><AssumedRoleId>AROAFAKE:session"
            f"</AssumedRoleId></AssumedRoleUser></{op}Result><ResponseMetadata>"
            f"<RequestId>fake-request</RequestId></ResponseMetadata></{op}Response>"
        )
        return Response(200, body.encode(), (("Content-Type", "text/xml"),))


class FakeSSO(_Fake):
    """The SSO portal (``GetRoleCredentials``) and SSO OIDC (``CreateToken``) on one server.

    Operations: ``"GetRoleCredentials"``, ``"CreateToken"``. ``valid_tokens`` are the access
    tokens the portal accepts; ``CreateToken`` with a refresh token in ``refresh_tokens``
    mints a new access token (added to ``valid_tokens``) and a new refresh token.
    """

    prefix = "ASIASSO"

    def __init__(self) -> None:
        super().__init__()
        self.lifetime = 3600.0
        self.valid_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.calls: list[dict[str, Any]] = []

    def _op(self, request: RecordedRequest) -> str:
        return "CreateToken" if request.path == "/token" else "GetRoleCredentials"

    def _fault(self, kind: str, op: str) -> Response | None:
        if kind == "unauthorized":
            return self._unauthorized()
        if kind == "invalid_grant":
            return Response(400, b'{"error": "invalid_grant"}',
                            _JSON + (("x-amzn-ErrorType", "InvalidGrantException"),))
        if kind == "throttle":
            return Response(429, b'{"message": "Rate exceeded"}',
                            _JSON + (("x-amzn-ErrorType", "TooManyRequestsException"),))
        return super()._fault(kind, op)

    @staticmethod
    def _unauthorized() -> Response:
        return Response(401, b'{"message": "Session token not found or invalid"}',
                        _JSON + (("x-amzn-ErrorType", "UnauthorizedException"),))

    def _answer(self, op: str, request: RecordedRequest) -> Response:
        if op == "CreateToken":
            body = json.loads(request.body or b"{}")
            with self._fake_lock:
                self.calls.append({"op": op, **body})
            if body.get("grantType") != "refresh_token" or body.get(
                "refreshToken"
            ) not in self.refresh_tokens:
                return Response(400, b'{"error": "invalid_grant"}',
                                _JSON + (("x-amzn-ErrorType", "InvalidGrantException"),))
            n = next(self._serial)
            access, refresh = f"sso-access-{n}", f"sso-refresh-{n}"
            with self._fake_lock:
                self.valid_tokens.add(access)
                self.refresh_tokens.discard(body["refreshToken"])
                self.refresh_tokens.add(refresh)
            answer = {"accessToken": access, "expiresIn": 28800, "refreshToken": refresh,
                      "tokenType": "Bearer"}
            return Response(200, json.dumps(answer).encode(), _JSON)
        params = dict(request.query_params)
        token = request.header("x-amz-sso_bearer_token")
        with self._fake_lock:
            self.calls.append({"op": op, "token": token, **params})
            valid = token in self.valid_tokens
        if request.path != "/federation/credentials" or not valid:
            return self._unauthorized()
        creds = self._issue()
        expiry = datetime.strptime(creds["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=timezone.utc
        )
        answer = {"roleCredentials": {
            "accessKeyId": creds["AccessKeyId"],
            "secretAccessKey": creds["SecretAccessKey"],
            "sessionToken": creds["Token"],
            "expiration": int(expiry.timestamp() * 1000),
        }}
        return Response(200, json.dumps(answer).encode(), _JSON)
