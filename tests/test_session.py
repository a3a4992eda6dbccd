"""Session: snapshots, builders (atomic, all-or-nothing), copies, client creation."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

import hub
from hub import Config, Handlers, Session
from hub.errors import ConfigError, HandlerError, UnknownServiceError

LOCAL = Config(region="us-east-1", endpoint_url="http://127.0.0.1:9",
               credentials=hub.Credentials("AKIDEXAMPLE", "secret"))


def noop(request: object) -> None:
    """A handler that does nothing."""


@pytest.fixture
def session() -> Session:
    return Session(LOCAL)


def test_session_merges_configs_over_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "4")
    session = Session(Config(max_attempts=6))
    assert session.config.region == "eu-west-1"
    assert session.config.max_attempts == 6
    assert session.config.read_timeout == 60.0
    assert session.version == 1


def test_update_publishes_a_new_snapshot_and_old_clients_keep_theirs(session: Session) -> None:
    before = session.client("s3")
    snapshot = session.update(Config(max_attempts=9))
    after = session.client("s3")
    assert snapshot.version == 2 and session.version == 2
    assert before.config.max_attempts == 3
    assert after.config.max_attempts == 9
    assert before.client_config.snapshot.version == 1


def test_update_with_no_change_publishes_nothing(session: Session) -> None:
    session.update(Config(max_attempts=3))
    session.update()
    assert session.version == 1


@pytest.mark.parametrize("bad", [{"region": "x"}, "us-east-1", None])
def test_failed_builders_leave_the_session_unchanged(session: Session, bad: object) -> None:
    snapshot = session.snapshot
    with pytest.raises(ConfigError):
        session.update(bad)  # type: ignore[arg-type]
    with pytest.raises(HandlerError):
        session.push_back("nope", noop)
    with pytest.raises(HandlerError):
        session.push_back("build", "not callable")  # type: ignore[arg-type]
    with pytest.raises(HandlerError):
        session.remove_handler("build", "missing")
    with pytest.raises(HandlerError):
        session.swap_handler("build", "missing", noop)
    assert session.snapshot is snapshot


def test_handler_builders(session: Session) -> None:
    session.push_back("build", noop, name="test.noop")
    session.push_front("send", noop, name="test.first")
    assert session.handlers.build.names[-1] == "test.noop"
    assert session.handlers.send.names[0] == "test.first"
    session.swap_handler("build", "test.noop", lambda r: None)
    session.remove_handler("build", "test.noop")
    assert "test.noop" not in session.handlers.build
    session.clear_handlers("complete")
    assert session.handlers.complete.names == ()
    session.insert_after("send", "core.send", noop, name="test.after_send")
    session.insert_before("send", "test.after_send", noop, name="test.between")
    assert session.handlers.send.names == ("test.first", "core.send", "test.between",
                                           "test.after_send")
    with pytest.raises(HandlerError):
        session.insert_after("send", "missing", noop)
    with session.edit() as editor:
        editor.insert_before("send", "core.send", noop, name="test.before_send")
    assert session.handlers.send.names[1:3] == ("test.before_send", "core.send")
    assert session.version == 9


def test_edit_publishes_once_or_not_at_all(session: Session) -> None:
    with session.edit() as editor:
        editor.update(Config(max_attempts=5))
        editor.push_back("build", noop, name="test.noop")
        assert editor.config.max_attempts == 5
        assert session.config.max_attempts == 3  # nothing visible until the block ends
    assert session.version == 2
    assert session.config.max_attempts == 5 and "test.noop" in session.handlers.build
    assert editor.published is session.snapshot

    with pytest.raises(RuntimeError), session.edit() as editor:
        editor.update(Config(max_attempts=8))
        raise RuntimeError("abort")
    assert session.version == 2 and session.config.max_attempts == 5

    with pytest.raises(HandlerError), session.edit() as editor:
        editor.update(Config(max_attempts=8))
        editor.remove_handler("build", "does-not-exist")
    assert session.version == 2 and session.config.max_attempts == 5


def test_edit_replays_on_the_latest_snapshot(session: Session) -> None:
    with session.edit() as editor:
        editor.update(Config(max_attempts=5))
        session.update(Config(read_timeout=7))  # lands first
    assert session.config.max_attempts == 5 and session.config.read_timeout == 7.0


def test_copy_is_independent_and_shares_pools(session: Session) -> None:
    copy = session.copy(Config(max_attempts=2))
    assert copy.config.max_attempts == 2 and session.config.max_attempts == 3
    copy.update(Config(region="eu-west-1"))
    assert session.config.region == "us-east-1"
    a, b = session.client("s3"), copy.client("s3")
    assert a.client_config.transport is b.client_config.transport
    c = session.copy(Config(max_pool_connections=3)).client("s3")
    assert c.client_config.transport is not a.client_config.transport
    assert copy.snapshot.credentials is session.snapshot.credentials


def test_timeouts_do_not_split_pools(session: Session) -> None:
    a = session.client("s3")
    b = session.client("s3", Config(read_timeout=1, connect_timeout=1))
    assert a.client_config.transport is b.client_config.transport
    assert b.client_config.timeout.read_timeout == 1.0


def test_client_configs_are_cached_per_snapshot(session: Session) -> None:
    first = session.client_config("dynamodb")
    assert session.client_config("dynamodb") is first
    assert session.client("dynamodb").client_config is first
    assert session.client("dynamodb", Config(max_attempts=1)).client_config is not first
    session.update(Config(max_attempts=4))
    assert session.client_config("dynamodb") is not first


def test_client_info_and_config(session: Session) -> None:
    client = session.client("dynamodb", Config(region="eu-west-1"))
    assert client.info.service_name == "dynamodb"
    assert client.info.signing_name == "dynamodb"
    assert client.info.protocol == "json"
    assert client.info.api_version == "2012-08-10"
    assert client.info.signing_region == "eu-west-1"
    assert client.info.endpoint == "http://127.0.0.1:9"
    assert client.config.region == "eu-west-1"


def test_endpoint_resolution_without_endpoint_url() -> None:
    session = Session(Config(region="eu-west-1"))
    info = session.client("dynamodb").info
    assert info.endpoint == "https://dynamodb.eu-west-1.amazonaws.com"
    assert info.custom_endpoint is False


def test_unknown_service_lists_the_known_ones(session: Session) -> None:
    with pytest.raises(UnknownServiceError) as info:
        session.client("no-such-service")
    assert "dynamodb" in str(info.value) and "s3" in str(info.value)
    assert {"dynamodb", "s3", "sqs"} <= set(info.value.known)
    assert list(info.value.known) == sorted(info.value.known)
    with pytest.raises(ConfigError):
        session.client("s3", {"region": "x"})  # type: ignore[arg-type]


def test_missing_region_is_a_config_error(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(ConfigError, match="region"):
        Session().client("dynamodb")


def test_session_pickles_its_configuration(session: Session) -> None:
    session.update(Config(max_attempts=7))
    clone = pickle.loads(pickle.dumps(session))
    # Static credentials stay home unless Config(pickle_credentials=True) (docs/security.md).
    assert clone.config == dataclasses.replace(session.config, credentials=None)
    assert clone.snapshot.transports is not session.snapshot.transports


def test_bad_constructor_arguments() -> None:
    with pytest.raises(ConfigError):
        Session("us-east-1")  # type: ignore[arg-type]
    with pytest.raises(HandlerError):
        Session(handlers="all")  # type: ignore[arg-type]
    assert isinstance(Session(LOCAL, handlers=Handlers()).handlers, Handlers)


def test_context_manager_closes_pools() -> None:
    with Session(LOCAL) as session:
        session.client("s3")
    assert session.snapshot.transports.transports()  # created, closed, still usable


def test_protocol_handlers_run_before_session_handlers_in_their_phases(session: Session) -> None:
    session.push_back("unmarshal", noop, name="test.after_parse")
    session.push_back("unmarshal_error", noop, name="test.refine_error")
    handlers = session.client("dynamodb").client_config.handlers
    # The checksum handlers frame the protocol's: validation before parsing, the result's
    # ChecksumAlgorithm right after it.
    assert handlers.unmarshal.names == ("checksum.validate", "protocol.unmarshal",
                                        "checksum.metadata", "test.after_parse")
    assert handlers.unmarshal_error.names == ("protocol.unmarshal_error", "test.refine_error")
    assert handlers.build.names[:2] == ("checksum.response_mode", "protocol.build")
    assert handlers.build.names[-1] == "checksum.request"  # the body is final by then
