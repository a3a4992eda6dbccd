"""Secret hygiene: the secret key, session token, signature and proxy password never show in
reprs, str/json of headers, logs, errors, pickles or tracebacks formatted with their local
variables (``traceback.TracebackException(..., capture_locals=True)``, what Sentry records)."""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import logging
import pickle
import socket
import struct
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

import hub
from hub import Config, Operation, signing
from hub._request import SensitiveValue
from hub.credentials import (
    CredentialsCache,
    EnvironmentProvider,
    ProcessProvider,
    SharedConfigProvider,
    SharedCredentialsProvider,
    StaticProvider,
)
from hub.errors import (
    ClientError,
    ConfigError,
    ConnectionClosedError,
    CredentialProviderError,
    CredentialsError,
    HubError,
    ReadTimeoutError,
)
from tests.reliability._support import CREDENTIALS, PING, SECRET, STREAM, TOKEN, make_session
from tests.servers.local import LocalServer
from tests.servers.responses import (
    RecordedRequest,
    ok,
    reset,
    service_unavailable,
    stall,
    truncated,
)

SECRETS = (SECRET, TOKEN)


def _clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured_logs() -> Iterator[_Capture]:
    handler = _Capture()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    loggers = [logging.getLogger(name) for name in ("hub", "urllib3")]
    saved = [(lg, lg.level) for lg in [root, *loggers]]
    root.addHandler(handler)
    for lg in [root, *loggers]:
        lg.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for lg, level in saved:
            lg.setLevel(level)


def test_reprs_never_show_secrets(local_server: LocalServer) -> None:
    local_server.set_default(ok(b"x"))
    session = make_session(local_server, log_level="DEBUG",
                           proxies={"https": "http://u:proxypass@proxy:3128"})
    client = session.client("dynamodb")
    request = client.new_request(PING)
    request.send()
    provider = hub.credentials.default_chain()
    objects: list[object] = [
        session, session.snapshot, session.config, client, client.client_config,
        client.client_config.credentials, request, request.http_request, request.context,
        CREDENTIALS,
        provider, session.handlers, client.client_config.retry_policy,
    ]
    for obj in objects:
        _clean(repr(obj))
        _clean(str(obj))
    assert "proxypass" not in repr(session.config)
    headers = request.http_request.headers
    assert headers["X-Amz-Security-Token"].reveal() == TOKEN  # type: ignore[attr-defined]
    assert local_server.requests[-1].header("X-Amz-Security-Token") == TOKEN  # sent as is...
    assert TOKEN not in repr(headers)  # ...but never shown


def test_logs_at_debug_never_show_secrets(local_server: LocalServer,
                                          captured_logs: _Capture) -> None:
    session = make_session(local_server, read_timeout=0.2)
    local_server.script(service_unavailable(), reset(), ok(b"x"))
    session.client("dynamodb").new_request(PING).send()
    local_server.script(stall(0.6), stall(0.6), stall(0.6))
    with pytest.raises(ReadTimeoutError):
        session.client("dynamodb", Config(max_attempts=1)).new_request(PING).send()
    assert captured_logs.lines, "DEBUG logging produced nothing: the test proves nothing"
    assert any(line.startswith("urllib3") for line in captured_logs.lines)
    for line in captured_logs.lines:
        _clean(line)


@pytest.mark.parametrize("fault", ["reset", "truncate", "stall", "503"])
@pytest.mark.parametrize("operation", [PING, STREAM], ids=["read", "stream"])
def test_errors_and_traceback_locals_never_show_secrets(local_server: LocalServer,
                                                        fault: str, operation: object) -> None:
    response = {"reset": reset(), "truncate": truncated(), "stall": stall(0.6),
                "503": service_unavailable()}[fault]
    local_server.set_default(response)
    session = make_session(local_server, max_attempts=2, read_timeout=0.2)
    with pytest.raises(HubError) as caught:
        session.client("dynamodb").new_request(operation).send()
    error = caught.value
    assert isinstance(error, (ClientError, ConnectionClosedError, ReadTimeoutError))
    _clean(str(error))
    _clean(repr(error))
    _clean(repr(error.__dict__))
    _clean(repr(pickle.loads(pickle.dumps(error)).__dict__))
    formatted = "".join(traceback.TracebackException.from_exception(
        error, capture_locals=True).format())
    assert "headers" in formatted  # the locals really were rendered
    _clean(formatted)


def test_credentials_and_providers_hide_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    chain = hub.credentials.default_chain()
    cache = CredentialsCache(chain)
    loaded = cache.get()
    assert loaded.secret_key == SECRET
    for obj in (chain, cache, loaded, Config(credentials=loaded), hub.Session(
            Config(region="us-east-1", credentials=chain))):
        _clean(repr(obj))
        _clean(str(obj))


# --------------------------------------------------------------------------------------------
# Issue 9 §4: every path that handles a secret, forced to fail, leaves no secret in the error,
# its chain, its pickle or the locals of the frames it passed through.

PROXY_PASSWORD = "pr0xy-" + "pa55word"  # built at runtime: a source line never shows it
PROXY_BASIC = base64.b64encode(f"proxyuser:{PROXY_PASSWORD}".encode()).decode()
ALL_SECRETS = (SECRET, TOKEN, PROXY_PASSWORD, PROXY_BASIC, "Signature=")


def _chain(error: BaseException) -> list[BaseException]:
    """The error and everything reachable from it, suppressed contexts included."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or any(current is e for e in seen):
            continue
        seen.append(current)
        pending += [current.__cause__, current.__context__]
    return seen


def assert_no_secret(error: BaseException, *secrets: str) -> str:
    """Scan everything an error reporter could record about ``error``; return the traceback."""
    secrets = secrets or ALL_SECRETS
    tb = error.__traceback__
    if tb is not None and tb.tb_frame.f_code.co_name.startswith("test_"):
        tb = tb.tb_next  # the test's own frame holds the secrets it made: not hub's to hide
    formatted = "".join(traceback.TracebackException(
        type(error), error, tb, capture_locals=True).format())
    texts = [formatted]
    for each in _chain(error):
        texts += [repr(each), str(each), repr(each.args), repr(getattr(each, "__dict__", {}))]
        texts += [repr(value) for value in vars(each).values()] if hasattr(each, "__dict__") else []
        texts += [repr(getattr(each, name, None)) for name in ("object", "doc", "output")]
    pickled = pickle.dumps(error)
    for secret in secrets:
        for text in texts:
            assert secret not in text, f"{secret[:6]}... leaked"
        assert secret.encode("utf-8", "surrogateescape") not in pickled
    return formatted


def _raiser(exc: BaseException) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise exc
    return fail


# -- request headers: masked everywhere, exact on the wire ------------------------------------


def _botocore_authorization(recorded: RecordedRequest, url: str) -> str:
    """The Authorization botocore computes for the request exactly as the server got it."""
    auth = pytest.importorskip("botocore.auth")
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    authorization = recorded.header("Authorization") or ""
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    request = AWSRequest(method=recorded.method, url=url + recorded.target, data=recorded.body)
    for name, value in recorded.headers:
        if name.lower() in signed and name.lower() not in ("x-amz-date", "x-amz-security-token"):
            request.headers[name] = value
    stamp = recorded.header("X-Amz-Date") or ""
    when = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ")
    signer = auth.SigV4Auth(BotoCredentials(CREDENTIALS.access_key, SECRET, TOKEN), "dynamodb",
                            "us-east-1")
    with mock.patch.object(auth, "get_current_datetime", return_value=when):
        signer.add_auth(request)
    return str(request.headers["Authorization"])


def test_signed_headers_are_masked_in_str_and_json_but_exact_on_the_wire(
        local_server: LocalServer) -> None:
    local_server.set_default(ok(b"x"))
    request = make_session(local_server).client("dynamodb").new_request(PING)
    request.send()
    headers = request.http_request.headers
    authorization, token = headers["Authorization"], headers["X-Amz-Security-Token"]
    assert isinstance(authorization, SensitiveValue) and isinstance(token, SensitiveValue)
    shown = [str(headers), repr(headers), str(token), f"{token}", "%s" % (token,),  # noqa: UP031 - as logging formats
             json.dumps(headers, default=str), repr(request.http_request),
             repr(pickle.loads(pickle.dumps(headers))), str(copy.deepcopy(headers))]
    with pytest.raises(TypeError) as refused:  # json cannot serialize it: it never prints it
        json.dumps(headers)
    shown.append(str(refused.value))
    for text in shown:
        assert TOKEN not in text and "Signature=" not in text
    assert b"Signature=" not in pickle.dumps(headers)
    # ...while the server got the real values, and botocore computes the same signature.
    received = local_server.requests[-1]
    assert received.header("X-Amz-Security-Token") == TOKEN == token.reveal()
    assert received.header("Authorization") == authorization.reveal()
    assert received.header("Authorization") == _botocore_authorization(received,
                                                                       local_server.url)


# -- the signer --------------------------------------------------------------------------------

SIGNER_FAILURES = ["_signature", "_signing_key", "canonical_query", "_payload_hash"]


@pytest.mark.parametrize("where", SIGNER_FAILURES)
def test_signer_failure_leaves_no_secret_in_traceback_locals(monkeypatch: pytest.MonkeyPatch,
                                                             where: str) -> None:
    monkeypatch.setattr(signing, where, _raiser(RuntimeError("boom")))
    monkeypatch.setattr(signing, "_URL_PARTS", {})  # the URL's canonical part is cached
    with pytest.raises(ConfigError) as caught:
        signing.sign("POST", "https://dynamodb.us-east-1.amazonaws.com/?a=b",
                     [("Content-Type", "application/x-amz-json-1.0")], b"{}",
                     credentials=CREDENTIALS, region="us-east-1", service="dynamodb",
                     timestamp=1_700_000_000)
    assert "RuntimeError" in str(caught.value) and "boom" not in str(caught.value)
    formatted = assert_no_secret(caught.value)
    assert f"in {where}" in formatted or "signing.py" in formatted  # where, but no values


def test_signer_bad_argument_is_a_typed_error_without_secrets() -> None:
    with pytest.raises(ConfigError) as caught:  # AttributeError deep inside, on purpose
        signing.sign("GET", "https://s3.amazonaws.com/b/k", [("X-Amz-Meta-N", 5)],  # type: ignore[list-item]
                     None, credentials=CREDENTIALS, region="us-east-1", service="s3",
                     timestamp=1_700_000_000)
    assert "AttributeError" in str(caught.value)
    assert_no_secret(caught.value)


@pytest.mark.parametrize("where", ["_signature", "canonical_query"])
def test_presign_failure_leaves_no_secret(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    monkeypatch.setattr(signing, where, _raiser(ValueError(f"{TOKEN} in a message")))
    with pytest.raises(ConfigError) as caught:
        signing.presign_url("GET", "https://b.s3.amazonaws.com/k", credentials=CREDENTIALS,
                            region="us-east-1", service="s3", timestamp=1_700_000_000)
    assert_no_secret(caught.value)


def test_signer_interrupt_propagates_as_itself_without_locals(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signing, "_signature", _raiser(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt) as caught:
        signing.sign("GET", "https://h/", [], None, credentials=CREDENTIALS, region="r",
                     service="s", timestamp=1_700_000_000)
    assert_no_secret(caught.value)


def test_signing_failure_inside_a_request_leaves_no_secret(local_server: LocalServer,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.setattr(signing, "_signature", _raiser(RuntimeError("boom")))
    with pytest.raises(ConfigError) as caught:
        make_session(local_server).client("dynamodb").new_request(PING).send()
    assert_no_secret(caught.value)
    assert not local_server.requests


# -- shared files --------------------------------------------------------------------------------


def _ini(path: Path, *lines: str) -> str:
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_malformed_credentials_file_text_stays_out_of_traceback_locals(tmp_path: Path) -> None:
    path = _ini(tmp_path / "credentials", "[default]", "aws_access_key_id = AKIDFILE",
                f"aws_secret_access_key = {SECRET}", f"aws_session_token = {TOKEN}",
                "this line is broken")
    with pytest.raises(CredentialProviderError, match="line") as caught:
        SharedCredentialsProvider(path=path).load()
    assert_no_secret(caught.value)


def test_undecodable_credentials_file_leaves_no_secret_in_the_error_chain(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_bytes(b"[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = "
                     + SECRET.encode() + b"\xff\xfe\n")
    with pytest.raises(CredentialProviderError, match="not UTF-8") as caught:
        SharedCredentialsProvider(path=str(path)).load()
    assert caught.value.__context__ is None  # a UnicodeDecodeError would hold the file bytes
    assert_no_secret(caught.value)


@pytest.mark.parametrize("kind", ["credentials", "config"])
def test_provider_sections_stay_out_of_traceback_locals(tmp_path: Path, kind: str) -> None:
    # The profile asked for is incomplete; another profile in the same file holds secrets.
    header = "[profile broken]" if kind == "config" else "[broken]"
    path = _ini(tmp_path / kind, "[default]" if kind == "credentials" else "[profile full]",
                "aws_access_key_id = AKIDFULL", f"aws_secret_access_key = {SECRET}",
                f"aws_session_token = {TOKEN}", header, f"aws_secret_access_key = {SECRET}")
    provider: Any = (SharedCredentialsProvider if kind == "credentials"
                     else SharedConfigProvider)(profile="broken", path=path)
    with pytest.raises(CredentialProviderError, match="aws_access_key_id") as caught:
        provider.load()
    assert_no_secret(caught.value)


@pytest.mark.parametrize(("key", "value"), [
    ("aws_session_token", "tok\u20acn-" + "x"),  # not Latin-1: cannot be a header
    ("aws_secret_access_key", "se\u0007cret-" + "x"),  # a control character
])
def test_invalid_values_in_a_file_are_typed_errors_that_do_not_echo(tmp_path: Path, key: str,
                                                                     value: str) -> None:
    lines = {"aws_access_key_id": "AKIDFILE", "aws_secret_access_key": SECRET,
             "aws_session_token": TOKEN, key: value}
    path = _ini(tmp_path / "credentials", "[default]", *(f"{k} = {v}" for k, v in lines.items()))
    with pytest.raises(CredentialProviderError, match=key.split("_", 1)[1].split("_")[0]
                       if key != "aws_session_token" else "token") as caught:
        SharedCredentialsProvider(path=path).load()
    assert_no_secret(caught.value, SECRET, TOKEN, value)


# -- credential_process -------------------------------------------------------------------------


def _process_printing(tmp_path: Path, document: str) -> ProcessProvider:
    # The document is read from a file, so no command line or source line holds the secret.
    (tmp_path / "out.json").write_text(document)
    script = tmp_path / "creds.py"
    script.write_text("import sys\nsys.stdout.write(open(sys.argv[1]).read())\n")
    return ProcessProvider(f"{sys.executable} {script} {tmp_path / 'out.json'}", "p")


@pytest.mark.parametrize("document", [
    json.dumps({"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": SECRET,
                "SessionToken": TOKEN, "Expiration": "not a date"}),
    json.dumps({"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": SECRET,
                "SessionToken": TOKEN + "\u20ac"}),
    json.dumps({"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": SECRET + "\n",
                "SessionToken": TOKEN}),
    json.dumps({"Version": 1, "AccessKeyId": 7, "SecretAccessKey": SECRET, "SessionToken": TOKEN}),
    '{"Version": 1, "SecretAccessKey": "' + SECRET + '", "SessionToken": "' + TOKEN + '",',
], ids=["bad-expiration", "non-latin1-token", "newline-in-secret", "wrong-type", "bad-json"])
def test_credential_process_stdout_stays_out_of_traceback_locals(tmp_path: Path,
                                                                 document: str) -> None:
    with pytest.raises(CredentialProviderError) as caught:
        _process_printing(tmp_path, document).load()
    assert_no_secret(caught.value, SECRET, TOKEN)


def test_credential_process_failure_inside_parsing_is_scrubbed(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    document = json.dumps({"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": SECRET,
                           "SessionToken": TOKEN, "Expiration": "2030-01-01T00:00:00Z"})
    monkeypatch.setattr("hub.credentials._process.parse_timestamp", _raiser(OSError("disk")))
    with pytest.raises(CredentialProviderError, match="OSError") as caught:
        _process_printing(tmp_path, document).load()
    assert_no_secret(caught.value, SECRET, TOKEN)


# -- the environment ------------------------------------------------------------------------------


@pytest.mark.parametrize(("variable", "value"), [
    ("AWS_CREDENTIAL_EXPIRATION", "yesterday"),
    ("AWS_SESSION_TOKEN", TOKEN + "\u20ac"),
    ("AWS_SECRET_ACCESS_KEY", SECRET + "\udcff"),  # an undecodable byte in the environment
    ("AWS_SESSION_TOKEN", TOKEN + "\r\nX-Injected: 1"),
])
def test_environment_provider_errors_leave_no_secret(monkeypatch: pytest.MonkeyPatch,
                                                     variable: str, value: str) -> None:
    env = {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": SECRET,
           "AWS_SESSION_TOKEN": TOKEN, variable: value}
    with pytest.raises(CredentialProviderError) as caught:
        EnvironmentProvider(env).load()
    secret = () if variable == "AWS_CREDENTIAL_EXPIRATION" else (value,)  # a date is no secret
    assert_no_secret(caught.value, SECRET, TOKEN, *secret)


def test_invalid_env_token_fails_the_request_with_a_typed_error(local_server: LocalServer,
                                                                monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    local_server.set_default(ok(b"x"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN + "\u20ac")
    session = hub.Session(Config(region="us-east-1", endpoint_url=local_server.url,
                                 credentials=EnvironmentProvider()))
    with pytest.raises(CredentialsError) as caught:  # not a UnicodeEncodeError at send time
        session.client("dynamodb").new_request(PING).send()
    assert_no_secret(caught.value, SECRET, TOKEN)
    assert not local_server.requests


@pytest.mark.parametrize(("field", "args"), [
    ("credentials.secret_key", ("AKID", SECRET + "\n")),
    ("credentials.secret_key", ("AKID", SECRET + "\udcff")),
    ("credentials.token", ("AKID", SECRET, TOKEN + "\u0100")),
    ("credentials.token", ("AKID", SECRET, TOKEN + "\r")),
    ("credentials.access_key", ("AKID\u20ac", SECRET, TOKEN)),
])
def test_invalid_credentials_are_rejected_when_built(field: str, args: tuple[str, ...]) -> None:
    with pytest.raises(ConfigError) as caught:
        hub.Credentials(*args)
    assert caught.value.field == field
    assert_no_secret(caught.value, SECRET, TOKEN)


# -- proxies ----------------------------------------------------------------------------------


def test_proxy_password_stays_out_of_tunnel_errors_but_reaches_the_proxy(
        local_server: LocalServer) -> None:
    local_server.set_default(reset())  # the "proxy" reads the CONNECT, then resets
    proxy = local_server.url.replace("http://", f"http://proxyuser:{PROXY_PASSWORD}@")
    session = hub.Session(Config(region="us-east-1", endpoint_url="https://127.0.0.1:9",
                                 credentials=CREDENTIALS, proxies={"https": proxy},
                                 max_attempts=1))
    with pytest.raises(HubError) as caught:
        session.client("dynamodb").new_request(PING).send()
    connect = local_server.requests[0]
    assert connect.method == "CONNECT"
    assert connect.header("Proxy-Authorization") == f"Basic {PROXY_BASIC}"
    assert_no_secret(caught.value)


def test_proxy_password_stays_out_of_forwarding_errors_but_reaches_the_proxy(
        local_server: LocalServer) -> None:
    local_server.set_default(reset())
    proxy = local_server.url.replace("http://", f"http://proxyuser:{PROXY_PASSWORD}@")
    session = hub.Session(Config(region="us-east-1", endpoint_url="http://127.0.0.1:9",
                                 credentials=CREDENTIALS, proxies={"http": proxy},
                                 max_attempts=1))
    with pytest.raises(HubError) as caught:
        session.client("dynamodb").new_request(PING).send()
    forwarded = local_server.requests[0]
    assert forwarded.target.startswith("http://127.0.0.1:9/")
    assert forwarded.header("Proxy-Authorization") == f"Basic {PROXY_BASIC}"
    assert forwarded.header("X-Amz-Security-Token") == TOKEN
    assert_no_secret(caught.value)
    for obj in (session.config, session.snapshot, session.client("dynamodb").client_config):
        assert PROXY_PASSWORD not in repr(obj) and PROXY_BASIC not in repr(obj)


def test_percent_encoded_proxy_credentials_are_decoded(local_server: LocalServer) -> None:
    local_server.set_default(ok(b"x"))
    proxy = local_server.url.replace("http://", "http://us%40er:p%3Ass@")
    session = hub.Session(Config(region="us-east-1", endpoint_url="http://127.0.0.1:9",
                                 credentials=CREDENTIALS, proxies={"http": proxy}))
    session.client("dynamodb").new_request(PING).send()
    expected = base64.b64encode(b"us@er:p:ss").decode()
    assert local_server.requests[0].header("Proxy-Authorization") == f"Basic {expected}"


def test_proxy_config_errors_do_not_quote_the_url() -> None:
    for url in (f"http://u:{PROXY_PASSWORD}\u20ac@proxy:3128",
                f"http://u:{PROXY_PASSWORD}@proxy:99999", f"http://u:{PROXY_PASSWORD}@proxy\n"):
        with pytest.raises(ConfigError) as caught:
            Config(proxies={"https": url})
        assert caught.value.field is not None and caught.value.field.startswith("proxies")
        assert PROXY_PASSWORD not in str(caught.value)


# -- a connection that breaks while the request is being written -------------------------------


@pytest.fixture
def resetting_server() -> Iterator[str]:
    """Accepts connections, reads a little of each request, then resets it (RST)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(1024)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        with contextlib.suppress(OSError):  # wakes the accept() that close() alone would not
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(timeout=10)


def test_reset_while_sending_leaves_no_header_bytes_in_locals(resetting_server: str) -> None:
    session = hub.Session(Config(region="us-east-1", endpoint_url=resetting_server,
                                 credentials=CREDENTIALS, max_attempts=1))

    def big_body(request: Any) -> None:  # 16 MiB: the reset arrives while it is being written
        request.http_request.body = bytes(16 << 20)
        request.http_request.headers["Content-Length"] = str(16 << 20)

    session.push_back("build", big_body)
    with pytest.raises(HubError) as caught:
        session.client("dynamodb").new_request(Operation("Put", "PUT", "/put")).send()
    assert caught.value.__cause__ is not None  # the urllib3 chain (and its frames) is kept...
    formatted = assert_no_secret(caught.value)  # ...without the locals that held the headers
    assert "http/client.py" in formatted or "urllib3" in formatted


# -- pickling ------------------------------------------------------------------------------------


def _proxied_config(**settings: Any) -> Config:
    return Config(region="us-east-1", credentials=CREDENTIALS,
                  proxies={"https": f"http://proxyuser:{PROXY_PASSWORD}@proxy:3128"}, **settings)


def test_pickled_session_and_config_drop_static_credentials_and_proxy_password(
        monkeypatch: pytest.MonkeyPatch) -> None:
    session = hub.Session(_proxied_config())
    for obj in (session, session.config, _proxied_config(),
                Config(credentials=StaticProvider(CREDENTIALS))):
        data = pickle.dumps(obj)
        for secret in (SECRET, TOKEN, PROXY_PASSWORD):
            assert secret.encode() not in data
    clone = pickle.loads(pickle.dumps(session))
    assert clone.config.credentials is None  # the receiving process uses its own chain
    assert clone.config.proxies == {"https": "http://proxyuser@proxy:3128"}
    assert clone.config.region == "us-east-1"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDRECEIVER")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "receiver-secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    assert clone.snapshot.credentials.get().access_key == "AKIDRECEIVER"


def test_pickle_credentials_opt_in_ships_them() -> None:
    config = _proxied_config(pickle_credentials=True)
    clone = pickle.loads(pickle.dumps(hub.Session(config)))
    assert clone.config.credentials == CREDENTIALS
    assert clone.config.proxies == {"https": f"http://proxyuser:{PROXY_PASSWORD}@proxy:3128"}
    assert clone.snapshot.credentials.get().secret_key == SECRET
    assert pickle.loads(pickle.dumps(config)) == config
    assert "pickle_credentials=True" in repr(config)


def test_secret_holders_refuse_to_pickle_and_providers_travel_without_secrets() -> None:
    with pytest.raises(TypeError, match="pickle_credentials"):
        pickle.dumps(CREDENTIALS)
    with pytest.raises(TypeError):
        pickle.dumps(StaticProvider(CREDENTIALS))
    with pytest.raises(TypeError, match="environ"):
        pickle.dumps(EnvironmentProvider({"AWS_SECRET_ACCESS_KEY": SECRET}))
    assert isinstance(pickle.loads(pickle.dumps(EnvironmentProvider())), EnvironmentProvider)
    environ = {"AWS_PROFILE": "dev", "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": TOKEN}
    for provider in (SharedConfigProvider(environ=environ, process_timeout=5),
                     SharedCredentialsProvider("p", "/x", environ=environ)):
        data = pickle.dumps(Config(credentials=provider))
        assert SECRET.encode() not in data and TOKEN.encode() not in data
        shipped = pickle.loads(data).credentials
        assert type(shipped) is type(provider) and shipped._environ == {"AWS_PROFILE": "dev"}
    assert copy.deepcopy(CREDENTIALS) is CREDENTIALS


def test_sensitive_values_pickle_without_the_value() -> None:
    value = SensitiveValue(TOKEN)
    assert TOKEN.encode() not in pickle.dumps(value)
    assert pickle.loads(pickle.dumps(value)).reveal() == "<hidden>"
    assert value.encode("latin-1") == TOKEN.encode()
    with pytest.raises(ConfigError) as caught:
        SensitiveValue(TOKEN + "\u20ac").encode("latin-1")
    assert_no_secret(caught.value, TOKEN)


# -- the default chain's profile providers (assume-role, custom-process) ---------------------


@pytest.mark.parametrize("profile_text", [
    "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/x\n",  # no source: config error
    "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = missing\n",
    "[profile r]\ncredential_process = {process}\n",  # prints JSON without AccessKeyId
], ids=["role-without-source", "role-missing-source", "process-bad-output"])
def test_default_chain_profile_failures_leave_no_secret(tmp_path: Path,
                                                        profile_text: str) -> None:
    # The credentials file's other profiles hold secrets; the chosen profile is broken.
    credentials = _ini(tmp_path / "credentials", "[default]", "aws_access_key_id = AKIDFILE",
                       f"aws_secret_access_key = {SECRET}", f"aws_session_token = {TOKEN}")
    (tmp_path / "out.json").write_text(json.dumps({"Version": 1, "SecretAccessKey": SECRET,
                                                   "SessionToken": TOKEN}))
    script = tmp_path / "creds.py"
    script.write_text("import sys\nsys.stdout.write(open(sys.argv[1]).read())\n")
    config = tmp_path / "config"
    config.write_text(profile_text.format(
        process=f"{sys.executable} {script} {tmp_path / 'out.json'}"))
    environ = {"AWS_SHARED_CREDENTIALS_FILE": credentials, "AWS_CONFIG_FILE": str(config),
               "AWS_EC2_METADATA_DISABLED": "true"}
    with pytest.raises(CredentialsError) as caught:
        hub.credentials.default_chain(profile="r", environ=environ).load()
    assert_no_secret(caught.value, SECRET, TOKEN)


def test_an_exception_the_caller_is_handling_keeps_its_locals(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signing, "_signature", _raiser(RuntimeError("boom")))

    def callers_code() -> None:
        marker = "the caller's own local"  # noqa: F841 - read back from the frame below
        raise KeyError("k")

    try:
        callers_code()
    except KeyError as outer:
        with pytest.raises(ConfigError) as caught:
            signing.sign("GET", "https://h/", [], None, credentials=CREDENTIALS, region="r",
                         service="s", timestamp=1_700_000_000)
        assert caught.value.__context__ is outer  # Python's implicit chaining, kept
        assert outer.__traceback__ is not None and outer.__traceback__.tb_next is not None
        assert outer.__traceback__.tb_next.tb_frame.f_locals["marker"] == "the caller's own local"
    assert_no_secret(caught.value)


def test_presigned_post_failure_leaves_no_secret(local_server: LocalServer) -> None:
    s3: Any = make_session(local_server).client("s3")
    good = s3.generate_presigned_post("bucket", "key")
    assert good["fields"]["x-amz-security-token"] == TOKEN  # by design: the form carries it
    with pytest.raises(ConfigError) as caught:  # json cannot encode the condition, deep inside
        s3.generate_presigned_post("bucket", "key", Conditions=[{"x-amz-meta-n": object()}])
    assert caught.value.field == "Conditions" and "TypeError" in str(caught.value)
    assert_no_secret(caught.value)


def test_proxy_password_from_the_environment_stays_out_of_errors(
        local_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    local_server.set_default(reset())
    monkeypatch.setenv("http_proxy",
                       local_server.url.replace("http://", f"http://proxyuser:{PROXY_PASSWORD}@"))
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    session = hub.Session(Config(region="us-east-1", endpoint_url="http://127.0.0.1:9",
                                 credentials=CREDENTIALS, max_attempts=1))
    with pytest.raises(HubError) as caught:
        session.client("dynamodb").new_request(PING).send()
    assert local_server.requests[0].header("Proxy-Authorization") == f"Basic {PROXY_BASIC}"
    assert_no_secret(caught.value)
    settings = session.client("dynamodb").client_config.transport.settings  # type: ignore[attr-defined]
    assert PROXY_PASSWORD not in repr(settings)  # the pool key: a local of the transport


def test_a_secret_passed_as_a_wrong_argument_stays_out_of_traceback_locals() -> None:
    # botocore's spelling on hub.Config, and surplus arguments to a per-request class whose
    # __init__ is compiled by now: the ArgumentError names the argument, and no frame an
    # error reporter records holds the value.
    from hub._request import HTTPRequest
    from hub.errors import ArgumentError

    for _ in range(100):
        HTTPRequest("GET", "https://example.com/")
    for make in (lambda: hub.Config(aws_secret_access_key=SECRET),
                 lambda: hub.Config("eu-west-1", region=SECRET),
                 lambda: HTTPRequest("GET", "https://example.com/", {}, None, SECRET),
                 lambda: HTTPRequest("GET", "https://example.com/", token=SECRET)):
        with pytest.raises(ArgumentError) as caught:
            make()
        assert_no_secret(caught.value, SECRET)
