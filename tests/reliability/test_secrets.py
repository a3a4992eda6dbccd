"""Secret hygiene: the secret key and session token never show in reprs, logs, errors or
tracebacks formatted with their local variables."""

from __future__ import annotations

import logging
import pickle
import traceback
from collections.abc import Iterator

import pytest

import hub
from hub import Config
from hub.credentials import CredentialsCache
from hub.errors import ClientError, ConnectionClosedError, HubError, ReadTimeoutError
from tests.reliability._support import CREDENTIALS, PING, SECRET, STREAM, TOKEN, make_session
from tests.servers.local import LocalServer
from tests.servers.responses import ok, reset, service_unavailable, stall, truncated

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
    assert headers["X-Amz-Security-Token"] == TOKEN  # still sent as is...
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
