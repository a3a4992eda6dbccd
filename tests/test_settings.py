"""Standard AWS settings (issue 16): environment, config file and Config, compared with botocore.

Each setting is resolved by hub and by a botocore session built from the same environment and
the same files (botocore is imported by the test only; nothing is sent).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest

import hub
from hub._settings import SETTINGS, configured_endpoint, endpoint_env_var, service_key
from hub.errors import ConfigError

_CLEARED = ("AWS_", "BOTOCORE_", "REQUESTS_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
            "http_proxy", "https_proxy", "no_proxy")


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A clean environment whose shared files live in ``tmp_path`` (config file returned)."""
    for name in list(os.environ):
        if name.startswith(_CLEARED):
            monkeypatch.delenv(name)
    config = tmp_path / "config"
    config.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    yield config


def _botocore(name: str) -> Any:
    return botocore.session.Session().get_config_variable(name)


# (Config field, botocore variable, environment variable, config-file key, file value,
#  environment value, value as hub stores the file's, ... the environment's)
CASES = [
    ("region", "region", "AWS_DEFAULT_REGION", "region", "eu-west-1", "eu-west-2",
     "eu-west-1", "eu-west-2"),
    ("max_attempts", "max_attempts", "AWS_MAX_ATTEMPTS", "max_attempts", "5", "7", 5, 7),
    ("retry_mode", "retry_mode", "AWS_RETRY_MODE", "retry_mode", "adaptive", "standard",
     "adaptive", "standard"),
    ("verify", "ca_bundle", "AWS_CA_BUNDLE", "ca_bundle", "/tmp/file-ca.pem", "/tmp/env-ca.pem",
     "/tmp/file-ca.pem", "/tmp/env-ca.pem"),
    ("use_fips_endpoint", "use_fips_endpoint", "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint",
     "true", "false", True, False),
    ("use_dualstack_endpoint", "use_dualstack_endpoint", "AWS_USE_DUALSTACK_ENDPOINT",
     "use_dualstack_endpoint", "true", "false", True, False),
    ("defaults_mode", "defaults_mode", "AWS_DEFAULTS_MODE", "defaults_mode", "standard",
     "in-region", "standard", "in-region"),
    ("tcp_keepalive", "tcp_keepalive", "BOTOCORE_TCP_KEEPALIVE", "tcp_keepalive", "true",
     "false", True, False),
    ("sts_regional_endpoints", "sts_regional_endpoints", "AWS_STS_REGIONAL_ENDPOINTS",
     "sts_regional_endpoints", "legacy", "regional", "legacy", "regional"),
    ("request_checksum_calculation", "request_checksum_calculation",
     "AWS_REQUEST_CHECKSUM_CALCULATION", "request_checksum_calculation", "when_required",
     "when_supported", "when_required", "when_supported"),
    ("response_checksum_validation", "response_checksum_validation",
     "AWS_RESPONSE_CHECKSUM_VALIDATION", "response_checksum_validation", "when_required",
     "when_supported", "when_required", "when_supported"),
    ("user_agent_appid", "user_agent_appid", "AWS_SDK_UA_APP_ID", "sdk_ua_app_id", "file-app",
     "env-app", "file-app", "env-app"),
    ("ignore_configured_endpoint_urls", "ignore_configured_endpoint_urls",
     "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "ignore_configured_endpoint_urls", "true", "false",
     True, False),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_setting_env_file_and_config_with_botocores_precedence(
        files: Path, monkeypatch: pytest.MonkeyPatch, case: tuple[Any, ...]) -> None:
    field, boto_name, variable, key, file_raw, env_raw, file_value, env_value = case
    # Nothing set: hub's default; botocore agrees wherever it has one.
    default = getattr(hub.Session().config, field)
    # From the config file only.
    files.write_text(f"[default]\n{key} = {file_raw}\n")
    assert getattr(hub.Session().config, field) == file_value
    assert _botocore(boto_name) == file_value
    # The environment wins over the file.
    monkeypatch.setenv(variable, env_raw)
    assert getattr(hub.Session().config, field) == env_value
    assert _botocore(boto_name) == env_value
    # Config wins over both (a session's and a client's).
    explicit = default if default not in (None, env_value) else file_value
    assert getattr(hub.Session(hub.Config(**{field: explicit})).config, field) == explicit
    # A named profile is read, not [default].
    monkeypatch.delenv(variable)
    files.write_text(f"[default]\n{key} = {env_raw}\n[profile other]\n{key} = {file_raw}\n")
    monkeypatch.setenv("AWS_PROFILE", "other")
    assert getattr(hub.Session().config, field) == file_value
    assert _botocore(boto_name) == file_value
    monkeypatch.delenv("AWS_PROFILE")
    assert getattr(hub.Session(hub.Config(profile="other")).config, field) == file_value


def test_every_setting_is_in_the_comparison_or_documented_as_special() -> None:
    compared = {c[0] for c in CASES}
    # compared in their own tests below
    special = {"profile", "s3_addressing_style", "s3_payload_signing_enabled"}
    assert {s.field for s in SETTINGS} == compared | special


def test_s3_addressing_style_from_the_nested_s3_block(files: Path) -> None:
    files.write_text("[default]\ns3 =\n    addressing_style = path\n    other = 1\n")
    assert hub.Session().config.s3_addressing_style == "path"
    assert _botocore("s3")["addressing_style"] == "path"
    assert hub.Session(hub.Config(s3_addressing_style="virtual")).config.s3_addressing_style \
        == "virtual"


def test_s3_payload_signing_from_the_nested_s3_block(files: Path) -> None:
    files.write_text("[default]\ns3 =\n    payload_signing_enabled = false\n")
    assert hub.Session().config.s3_payload_signing_enabled is False
    assert _botocore("s3")["payload_signing_enabled"] is False
    files.write_text("[default]\ns3 =\n    payload_signing_enabled = sometimes\n")
    with pytest.raises(ConfigError, match="s3_payload_signing_enabled"):
        hub.Session()


def test_aws_default_profile_wins_over_aws_profile_as_in_botocore(
        files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With both variables set, botocore 1.43 takes AWS_DEFAULT_PROFILE (its ``profile``
    session variable lists it first): region, settings and credentials come from it."""
    files.write_text("[profile new]\nregion = eu-west-1\nmax_attempts = 4\n"
                     "[profile legacy]\nregion = ap-south-1\nmax_attempts = 6\n")
    (tmp_path / "credentials").write_text(
        "[new]\naws_access_key_id = AKIDNEW\naws_secret_access_key = s1\n"
        "[legacy]\naws_access_key_id = AKIDLEGACY\naws_secret_access_key = s2\n")
    monkeypatch.setenv("AWS_PROFILE", "new")
    monkeypatch.setenv("AWS_DEFAULT_PROFILE", "legacy")
    theirs = botocore.session.Session()
    assert theirs.get_config_variable("profile") == "legacy"
    assert theirs.get_credentials().access_key == "AKIDLEGACY"
    session = hub.Session()
    assert session.config.profile == "legacy"
    assert session.config.region == theirs.get_config_variable("region") == "ap-south-1"
    assert session.config.max_attempts == 6
    assert session.snapshot.credentials.get().access_key == "AKIDLEGACY"
    # Either one alone selects its profile; an empty one counts as unset.
    monkeypatch.setenv("AWS_DEFAULT_PROFILE", "")
    assert hub.Session().config.profile == "new"
    monkeypatch.delenv("AWS_DEFAULT_PROFILE")
    assert botocore.session.Session().get_config_variable("profile") == "new"
    assert hub.Session().config.region == "eu-west-1"


def test_profile_keys_in_the_credentials_file_override_the_config_file(
        files: Path, tmp_path: Path) -> None:
    files.write_text("[default]\nregion = eu-west-1\nmax_attempts = 4\n")
    (tmp_path / "credentials").write_text("[default]\nregion = ap-south-1\n")
    config = hub.Session().config
    assert (config.region, config.max_attempts) == ("ap-south-1", 4)
    assert (_botocore("region"), _botocore("max_attempts")) == ("ap-south-1", 4)


def test_region_aws_region_is_read_too(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # hub reads AWS_REGION before AWS_DEFAULT_REGION (as the newer AWS SDKs); boto3 does not.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    monkeypatch.setenv("AWS_REGION", "eu-north-1")
    assert hub.Session().config.region == "eu-north-1"


def test_legacy_retry_mode_reads_as_standard(files: Path) -> None:
    files.write_text("[default]\nretry_mode = legacy\n")
    assert hub.Session().config.retry_mode == "standard"
    assert _botocore("retry_mode") == "legacy"


@pytest.mark.parametrize(("mode", "timeout"), [("legacy", 60.0), ("standard", 3.1),
                                               ("in-region", 1.1), ("cross-region", 3.1),
                                               ("mobile", 30.0)])
def test_defaults_mode_sets_the_connect_timeout_as_botocore(
        files: Path, monkeypatch: pytest.MonkeyPatch, mode: str, timeout: float) -> None:
    monkeypatch.setenv("AWS_DEFAULTS_MODE", mode)
    config = hub.Session(hub.Config(region="us-east-1")).config
    assert config.connect_timeout == timeout
    client = botocore.session.Session().create_client(
        "s3", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    assert client.meta.config.connect_timeout == timeout
    # A value set anywhere else wins over the mode's default.
    assert hub.Session(hub.Config(connect_timeout=9.0)).config.connect_timeout == 9.0
    files.write_text("[default]\nmax_attempts = 2\n")
    assert hub.Session().config.retry_mode == "standard"


def test_defaults_mode_auto_acts_as_standard(files: Path) -> None:
    assert hub.Session(hub.Config(defaults_mode="auto")).config.connect_timeout == 3.1


@pytest.mark.parametrize(("env", "file", "expected"), [
    ({}, "", True),
    ({"REQUESTS_CA_BUNDLE": "/tmp/req.pem"}, "", "/tmp/req.pem"),
    ({"REQUESTS_CA_BUNDLE": "/tmp/req.pem"}, "ca_bundle = /tmp/file.pem", "/tmp/file.pem"),
    ({"REQUESTS_CA_BUNDLE": "/tmp/req.pem", "AWS_CA_BUNDLE": "/tmp/aws.pem"}, "",
     "/tmp/aws.pem"),
])
def test_ca_bundle_order_matches_botocore(files: Path, monkeypatch: pytest.MonkeyPatch,
                                          env: dict[str, str], file: str,
                                          expected: bool | str) -> None:
    files.write_text(f"[default]\n{file}\n")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert hub.Session().config.verify == expected
    # botocore: ca_bundle (env, then file), else REQUESTS_CA_BUNDLE, else True.
    from botocore.endpoint import EndpointCreator

    boto_verify = _botocore("ca_bundle")
    boto_verify = EndpointCreator._get_verify_value(None, boto_verify)  # type: ignore[arg-type]
    assert boto_verify == expected
    assert hub.Session(hub.Config(verify=False)).config.verify is False


@pytest.mark.parametrize(("variable", "value"), [
    ("AWS_MAX_ATTEMPTS", "many"), ("AWS_RETRY_MODE", "fast"), ("AWS_DEFAULTS_MODE", "turbo"),
    ("BOTOCORE_TCP_KEEPALIVE", "yes please"), ("AWS_STS_REGIONAL_ENDPOINTS", "global"),
    ("AWS_REQUEST_CHECKSUM_CALCULATION", "always"), ("AWS_SDK_UA_APP_ID", "a\rb"),
    ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "perhaps"),
])
def test_bad_environment_values_name_the_variable_and_field(
        files: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as info:
        hub.Session()
    field = next(s.field for s in SETTINGS if variable in s.env)
    assert info.value.field == field
    assert variable in str(info.value) and field in str(info.value)


@pytest.mark.parametrize(("key", "value", "field"), [
    ("max_attempts", "0", "max_attempts"), ("retry_mode", "fast", "retry_mode"),
    ("defaults_mode", "turbo", "defaults_mode"), ("region", "Mars/1", "region"),
    ("tcp_keepalive", "often", "tcp_keepalive"), ("s3 =\n  addressing_style", "sideways",
                                                  "s3_addressing_style"),
])
def test_bad_config_file_values_name_key_profile_and_file(
        files: Path, key: str, value: str, field: str) -> None:
    files.write_text(f"[profile dev]\n{key} = {value}\n")
    with pytest.raises(ConfigError) as info:
        hub.Session(hub.Config(profile="dev"))
    assert info.value.field == field
    message = str(info.value)
    assert "'dev'" in message and str(files) in message and field in message


# ---------------------------------------------------------------------- configured endpoints

def test_service_ids_become_variable_names_as_in_botocore() -> None:
    from botocore.configprovider import ConfiguredEndpointProvider

    for client_name, service_id in (("dynamodb", "DynamoDB"), ("secretsmanager",
                                                                "Secrets Manager"),
                                    ("s3", "S3"), ("sts", "STS"), ("lambda", "Lambda")):
        provider = ConfiguredEndpointProvider({}, {}, client_name, environ={})
        assert endpoint_env_var(service_id) == provider._get_service_env_var_name()
        assert service_key(service_id) == provider._transformed_service_id.lower()


def _hub_endpoint(service: str) -> str:
    session = hub.Session(hub.Config(region="us-east-1",
                                     credentials=hub.Credentials("a", "b")))
    return session.client(service).meta.endpoint_url  # type: ignore[no-any-return]


def _boto_endpoint(service: str) -> str:
    client = botocore.session.Session().create_client(
        service, region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    return client.meta.endpoint_url  # type: ignore[no-any-return]


# Every combination of the four sources for two services, and the ignore flag (env, file) over
# all four sources for one (botocore clients are slow to build: ~0.5 s each).
ENDPOINT_CASES = [(service, sources, None) for service in ("dynamodb", "secretsmanager")
                  for sources in range(16)] + [
    ("s3", 15, "env"), ("s3", 15, "file"), ("s3", 5, None)]


@pytest.mark.parametrize(("service", "sources", "ignore"), ENDPOINT_CASES,
                         ids=[f"{c[0]}-{c[1]:04b}-{c[2]}" for c in ENDPOINT_CASES])
def test_configured_endpoint_precedence_matches_botocore(
        files: Path, monkeypatch: pytest.MonkeyPatch, service: str, sources: int,
        ignore: str | None) -> None:
    service_id = {"dynamodb": "DynamoDB", "secretsmanager": "Secrets Manager", "s3": "S3"}[service]
    profile = ["[default]"]
    services = []
    if sources & 1:
        monkeypatch.setenv(endpoint_env_var(service_id), "http://127.0.0.1:1001")
    if sources & 2:
        monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1002")
    if sources & 4:
        profile.append("services = local")
        services = ["[services local]", f"{service_key(service_id)} =",
                    "    endpoint_url = http://127.0.0.1:1003",
                    "other_service =", "    endpoint_url = http://127.0.0.1:1009"]
    if sources & 8:
        profile.append("endpoint_url = http://127.0.0.1:1004")
    if ignore == "env":
        monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    elif ignore == "file":
        profile.append("ignore_configured_endpoint_urls = true")
    files.write_text("\n".join(profile + services) + "\n")
    assert _hub_endpoint(service) == _boto_endpoint(service)


def test_explicit_endpoint_url_beats_every_configured_one(
        files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:1001")
    files.write_text("[default]\nendpoint_url = http://127.0.0.1:1004\n")
    session = hub.Session(hub.Config(region="us-east-1", endpoint_url="http://127.0.0.1:7"))
    assert session.client("dynamodb").meta.endpoint_url == "http://127.0.0.1:7"
    # Config(ignore_configured_endpoint_urls=True) turns the configured ones off.
    plain = hub.Session(hub.Config(region="us-east-1", ignore_configured_endpoint_urls=True))
    assert plain.client("dynamodb").meta.endpoint_url == "https://dynamodb.us-east-1.amazonaws.com"


def test_configured_endpoint_errors_name_their_source(
        files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files.write_text("[default]\nservices = missing\n")
    with pytest.raises(ConfigError, match="'missing'") as info:
        configured_endpoint("DynamoDB", hub.Config())
    assert info.value.field == "endpoint_url"
    files.write_text("[default]\nendpoint_url = ftp://nope\n")
    with pytest.raises(ConfigError, match="endpoint_url in profile 'default'"):
        configured_endpoint("DynamoDB", hub.Config())
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "not a url")
    with pytest.raises(ConfigError, match="AWS_ENDPOINT_URL_DYNAMODB"):
        configured_endpoint("DynamoDB", hub.Config())


def test_configured_endpoint_is_used_for_requests(files: Path, monkeypatch: pytest.MonkeyPatch,
                                                  moto: Any) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto.url)
    client = hub.Session(hub.Config(region="us-east-1")).client("dynamodb")
    assert client.list_tables()["TableNames"] == []


def test_an_unparsable_config_file_is_a_config_error_naming_the_file(files: Path) -> None:
    files.write_text("region = us-east-1\n[default]\n")  # a key before any section
    with pytest.raises(ConfigError) as info:
        hub.Session()
    assert str(files) in str(info.value) and "line 1" in str(info.value)


def test_new_fields_survive_pickling_and_merge() -> None:
    import pickle

    config = hub.Config(proxies_config={"proxy_ca_bundle": "/ca.pem",
                                        "proxy_client_cert": ["/c.pem", "/k.pem"]},
                        client_cert=["/c.pem", "/k.pem"], tcp_keepalive=True,
                        signature_version=hub.UNSIGNED, user_agent_appid="app",
                        defaults_mode="standard", ignore_configured_endpoint_urls=True)
    assert config.client_cert == ("/c.pem", "/k.pem")
    assert config.proxies_config is not None
    assert config.proxies_config["proxy_client_cert"] == ("/c.pem", "/k.pem")
    assert pickle.loads(pickle.dumps(config)) == config
    assert hash(config) == hash(pickle.loads(pickle.dumps(config)))
    assert hub.Config().merge(config) == config


def test_parsed_profiles_follow_file_changes_and_hold_no_secrets(files: Path,
                                                                 tmp_path: Path) -> None:
    from hub import _settings

    files.write_text("[default]\nmax_attempts = 5\n")
    (tmp_path / "credentials").write_text(
        "[default]\naws_access_key_id = AKIDCACHE\naws_secret_access_key = cache-secret\n")
    assert hub.Session().config.max_attempts == 5
    files.write_text("[default]\nmax_attempts = 7\n")  # same size, same second
    assert hub.Session().config.max_attempts == 7
    cached = repr(_settings._PARSED)
    assert "cache-secret" not in cached and "AKIDCACHE" not in cached
    assert "max_attempts" in cached
