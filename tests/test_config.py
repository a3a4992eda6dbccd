"""Config: validation names the field, merge follows MergeIn, values hash by value."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import hub
from hub import Config
from hub._settings import from_environment, session_defaults
from hub.errors import ConfigError
from hub.transfer import TransferConfig

BAD_VALUES = [
    ("region", "US East 1"),
    ("region", ""),
    ("region", 5),
    ("endpoint_url", "ftp://example.com"),
    ("endpoint_url", "http://"),
    ("endpoint_url", "http://host/?q=1"),
    ("endpoint_url", "http://host:99999"),
    ("max_attempts", 0),
    ("max_attempts", True),
    ("max_attempts", 2.5),
    ("retry_mode", "legacy-ish"),
    ("connect_timeout", -1),
    ("connect_timeout", 0),
    ("read_timeout", float("nan")),
    ("read_timeout", float("inf")),
    ("read_timeout", "5"),
    ("max_pool_connections", 0),
    ("pool_block", "yes"),
    ("pool_timeout", -3),
    ("verify", 1),
    ("verify", ""),
    ("proxies", ["http://proxy"]),
    ("proxies", {"ftp": "http://proxy"}),
    ("proxies", {"https": "socks://proxy"}),
    ("user_agent_extra", "a\r\nX-Injected: 1"),
    ("s3_addressing_style", "sideways"),
    ("parameter_validation", None and 1 or "no"),
    ("log_level", "LOUD"),
    ("credentials", ("AKID", "secret")),
    ("use_fips_endpoint", "true"),
]


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_bad_values_raise_config_error_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ConfigError) as info:
        Config(**{field: value})  # type: ignore[arg-type]
    assert info.value.field is not None and info.value.field.startswith(field)
    assert field in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(("make", "field", "hint"), [
    (lambda: Config(regoin="eu-west-1"), "regoin", "did you mean 'region'?"),
    (lambda: Config(retries={"max_attempts": 3}), "retries", "use max_attempts= and retry"),
    (lambda: Config(region_name="eu-west-1"), "region_name", "use region="),
    (lambda: Config(zzz=1), "zzz", "it takes region, endpoint_url,"),
    (lambda: Config("eu-west-1", region="eu-west-2"), "region", "two values"),
    (lambda: TransferConfig(multipart_treshold=1), "multipart_treshold",
     "did you mean 'multipart_threshold'?"),
    (lambda: TransferConfig(*range(1, 11)), None, "at most 9 positional"),
    (lambda: Config(credentials=hub.Credentials("AKID", "secret-never-shown"), regoin=1),
     "regoin", "did you mean 'region'?"),
])
def test_arguments_a_class_does_not_take_raise_argument_error(
        make: Any, field: str | None, hint: str) -> None:
    # A misspelled option is a typed error naming it (and its closest field), never a bare
    # TypeError; it stays a TypeError, as Python's and botocore's are, and a ConfigError.
    with pytest.raises(hub.errors.ArgumentError) as info:
        make()
    error = info.value
    assert error.field == field and hint in str(error)
    assert isinstance(error, TypeError) and isinstance(error, ConfigError)
    assert "secret-never-shown" not in str(error)
    assert pickle.loads(pickle.dumps(error)).field == field


def test_config_keeps_typed_argument_errors_however_many_are_built() -> None:
    # Hot value classes get a compiled __init__ after a few instances, where Python itself
    # reports an argument given twice; Config and TransferConfig never switch.
    from hub import _value

    for _ in range(2 * _value._COMPILE_AFTER):  # type: ignore[attr-defined]
        Config(region="eu-west-1")
        TransferConfig(max_concurrency=2)
    for make in (lambda: Config("eu-west-1", region="eu-west-2"),
                 lambda: TransferConfig(1, multipart_threshold=2)):
        with pytest.raises(hub.errors.ArgumentError, match="two values"):
            make()


def test_endpoint_url_with_password_is_rejected_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as info:
        Config(endpoint_url="https://user:hunter2@example.com")
    assert "hunter2" not in str(info.value)


def test_values_are_normalized() -> None:
    config = Config(connect_timeout=5, log_level="debug", endpoint_url="http://h:1/")
    assert config.connect_timeout == 5.0 and isinstance(config.connect_timeout, float)
    assert config.log_level == 10
    assert config.endpoint_url == "http://h:1"


def test_merge_later_set_fields_win_and_none_never_overrides() -> None:
    base = Config(region="us-east-1", max_attempts=3, read_timeout=10)
    merged = base.merge(Config(max_attempts=5), None, Config(region="eu-west-1"))
    assert merged.region == "eu-west-1"
    assert merged.max_attempts == 5
    assert merged.read_timeout == 10.0
    assert base.max_attempts == 3  # unchanged
    assert base.merge() is base
    assert base.merge(Config(max_attempts=3)) is base  # nothing changed: same object


def test_merge_rejects_non_configs() -> None:
    with pytest.raises(ConfigError, match="Config"):
        Config().merge({"region": "us-east-1"})  # type: ignore[arg-type]


def test_configs_are_frozen_hashable_values() -> None:
    a = Config(region="us-east-1", proxies={"https": "http://p:3128"})
    b = Config(region="us-east-1", proxies={"https": "http://p:3128"})
    assert a == b and hash(a) == hash(b)
    with pytest.raises(AttributeError):
        a.region = "x"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(a)) == a


def test_repr_shows_only_set_fields_and_hides_secrets() -> None:
    config = Config(
        region="us-east-1",
        credentials=hub.Credentials("AKIDEXAMPLE1234", "very-secret-key", token="tok-secret"),
        proxies={"https": "http://bob:proxy-pass@proxy:3128"},
    )
    text = repr(config)
    assert "region='us-east-1'" in text and "max_attempts" not in text
    for secret in ("very-secret-key", "tok-secret", "proxy-pass"):
        assert secret not in text


def test_environment_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"AWS_DEFAULT_REGION": "eu-west-2", "AWS_REGION": "eu-west-1", "AWS_MAX_ATTEMPTS": "7",
           "AWS_RETRY_MODE": "adaptive", "AWS_USE_FIPS_ENDPOINT": "true"}
    config = from_environment(env)
    assert config.region == "eu-west-1"  # AWS_REGION wins over AWS_DEFAULT_REGION
    assert config.max_attempts == 7 and config.retry_mode == "adaptive"
    assert config.use_fips_endpoint is True
    defaults = session_defaults({})
    assert defaults.max_attempts == 3 and defaults.pool_block is True and defaults.verify is True


@pytest.mark.parametrize(("variable", "value"), [("AWS_MAX_ATTEMPTS", "many"),
                                                 ("AWS_RETRY_MODE", "fast"),
                                                 ("AWS_USE_FIPS_ENDPOINT", "maybe"),
                                                 ("AWS_REGION", "Mars/1")])
def test_bad_environment_values_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        from_environment({variable: value})


@given(st.dictionaries(st.sampled_from(["max_attempts", "connect_timeout", "region", "pool_block"]),
                       st.one_of(st.integers(-5, 5), st.floats(allow_nan=True), st.text(max_size=8),
                                 st.booleans(), st.none())))
def test_fuzzed_configs_build_or_raise_config_error(values: dict[str, object]) -> None:
    try:
        config = Config(**values)  # type: ignore[arg-type]
    except ConfigError:
        return
    assert Config().merge(config).set_fields() == config.set_fields()


# The region, URL-character and host checks are character-set code (no regex compiled at
# import); they must accept exactly what the regular expressions they replaced accepted.
_OLD_REGION = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_OLD_URL_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*"
_OLD_HOST = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+|\[[0-9A-Fa-f:.]+\]"


@given(st.text(alphabet="az09-AZ%[]:.fG \n\t@\u00e9/_~!", max_size=10))
def test_config_character_checks_match_the_regular_expressions(text: str) -> None:
    import re

    from hub import _config

    assert _config._is_region(text) is bool(re.match(_OLD_REGION, text))
    assert _config._is_host(text) is bool(re.fullmatch(_OLD_HOST, text))
    end = re.match(_OLD_URL_CHARS, text).end()  # type: ignore[union-attr]
    expected = None if end == len(text) else f"{text[end]!r} at position {end}"
    assert _config._bad_url_character(text) == expected
