"""Tests for hub.endpoints: the resolution table, region validation, S3 addressing."""

from __future__ import annotations

import dataclasses
import ipaddress
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.endpoints import Endpoint, is_dns_compatible_bucket, resolve, s3_bucket_url
from hub.errors import ConfigError

# (service, region, fips, dualstack) -> (url, partition). The expected URLs are what botocore
# 1.43's endpoint rulesets give with default settings.
RESOLVE_TABLE = [
    # S3, aws: us-east-1 keeps the global host unless FIPS or dual-stack is on.
    ("s3", "us-east-1", False, False, "https://s3.amazonaws.com", "aws"),
    ("s3", "us-east-1", False, True, "https://s3.dualstack.us-east-1.amazonaws.com", "aws"),
    ("s3", "us-east-1", True, False, "https://s3-fips.us-east-1.amazonaws.com", "aws"),
    ("s3", "us-east-1", True, True, "https://s3-fips.dualstack.us-east-1.amazonaws.com", "aws"),
    ("s3", "us-west-2", False, False, "https://s3.us-west-2.amazonaws.com", "aws"),
    ("s3", "us-west-2", False, True, "https://s3.dualstack.us-west-2.amazonaws.com", "aws"),
    ("s3", "us-west-2", True, False, "https://s3-fips.us-west-2.amazonaws.com", "aws"),
    ("s3", "eu-central-1", False, False, "https://s3.eu-central-1.amazonaws.com", "aws"),
    ("s3", "il-central-1", False, False, "https://s3.il-central-1.amazonaws.com", "aws"),
    ("s3", "mx-central-1", False, False, "https://s3.mx-central-1.amazonaws.com", "aws"),
    ("s3", "ap-southeast-5", False, False, "https://s3.ap-southeast-5.amazonaws.com", "aws"),
    # S3, aws-cn (no FIPS there: see test_s3_china_has_no_fips).
    ("s3", "cn-north-1", False, False, "https://s3.cn-north-1.amazonaws.com.cn", "aws-cn"),
    (
        "s3",
        "cn-northwest-1",
        False,
        True,
        "https://s3.dualstack.cn-northwest-1.amazonaws.com.cn",
        "aws-cn",
    ),
    # S3, aws-us-gov.
    ("s3", "us-gov-west-1", False, False, "https://s3.us-gov-west-1.amazonaws.com", "aws-us-gov"),
    (
        "s3",
        "us-gov-east-1",
        True,
        False,
        "https://s3-fips.us-gov-east-1.amazonaws.com",
        "aws-us-gov",
    ),
    (
        "s3",
        "us-gov-west-1",
        True,
        True,
        "https://s3-fips.dualstack.us-gov-west-1.amazonaws.com",
        "aws-us-gov",
    ),
    # DynamoDB, aws: dual-stack lives under api.aws.
    ("dynamodb", "us-east-1", False, False, "https://dynamodb.us-east-1.amazonaws.com", "aws"),
    ("dynamodb", "us-east-1", False, True, "https://dynamodb.us-east-1.api.aws", "aws"),
    ("dynamodb", "us-west-2", True, False, "https://dynamodb-fips.us-west-2.amazonaws.com", "aws"),
    ("dynamodb", "us-west-2", True, True, "https://dynamodb-fips.us-west-2.api.aws", "aws"),
    # DynamoDB, aws-cn.
    (
        "dynamodb",
        "cn-north-1",
        False,
        False,
        "https://dynamodb.cn-north-1.amazonaws.com.cn",
        "aws-cn",
    ),
    (
        "dynamodb",
        "cn-north-1",
        False,
        True,
        "https://dynamodb.cn-north-1.api.amazonwebservices.com.cn",
        "aws-cn",
    ),
    (
        "dynamodb",
        "cn-northwest-1",
        True,
        False,
        "https://dynamodb-fips.cn-northwest-1.amazonaws.com.cn",
        "aws-cn",
    ),
    # DynamoDB, aws-us-gov: the standard endpoint is already the FIPS one.
    (
        "dynamodb",
        "us-gov-west-1",
        False,
        False,
        "https://dynamodb.us-gov-west-1.amazonaws.com",
        "aws-us-gov",
    ),
    (
        "dynamodb",
        "us-gov-west-1",
        True,
        False,
        "https://dynamodb.us-gov-west-1.amazonaws.com",
        "aws-us-gov",
    ),
    (
        "dynamodb",
        "us-gov-east-1",
        True,
        True,
        "https://dynamodb-fips.us-gov-east-1.api.aws",
        "aws-us-gov",
    ),
    # Generic fallback.
    ("sqs", "eu-west-1", False, False, "https://sqs.eu-west-1.amazonaws.com", "aws"),
    ("sqs", "eu-west-1", True, True, "https://sqs-fips.eu-west-1.api.aws", "aws"),
    ("kms", "cn-north-1", False, False, "https://kms.cn-north-1.amazonaws.com.cn", "aws-cn"),
    (
        "kms",
        "us-gov-west-1",
        True,
        False,
        "https://kms-fips.us-gov-west-1.amazonaws.com",
        "aws-us-gov",
    ),
    # A well-formed region no partition claims falls back to aws (as botocore does).
    ("sqs", "xx-future-1", False, False, "https://sqs.xx-future-1.amazonaws.com", "aws"),
]


@pytest.mark.parametrize(
    ("service", "region", "fips", "dualstack", "url", "partition"), RESOLVE_TABLE
)
def test_resolve_table(
    service: str, region: str, fips: bool, dualstack: bool, url: str, partition: str
) -> None:
    endpoint = resolve(service, region, use_fips=fips, use_dualstack=dualstack)
    assert endpoint == Endpoint(url, region, partition)
    assert not endpoint.url.endswith("/")


def test_endpoint_is_frozen_slotted_value() -> None:
    endpoint = resolve("s3", "us-west-2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        endpoint.url = "x"  # type: ignore[misc]
    assert not hasattr(endpoint, "__dict__")
    assert endpoint == Endpoint("https://s3.us-west-2.amazonaws.com", "us-west-2", "aws")
    assert hash(endpoint) == hash(Endpoint(endpoint.url, "us-west-2", "aws"))


def test_s3_aws_global_pseudo_region() -> None:
    assert resolve("s3", "aws-global") == Endpoint("https://s3.amazonaws.com", "us-east-1", "aws")


def test_dynamodb_local_region() -> None:
    assert resolve("dynamodb", "local") == Endpoint("http://localhost:8000", "us-east-1", "aws")
    with pytest.raises(ConfigError) as info:
        resolve("dynamodb", "local", use_fips=True)
    assert info.value.field == "use_fips"


@pytest.mark.parametrize("dualstack", [False, True])
def test_s3_china_has_no_fips(dualstack: bool) -> None:
    with pytest.raises(ConfigError) as info:
        resolve("s3", "cn-north-1", use_fips=True, use_dualstack=dualstack)
    assert info.value.field == "use_fips"
    assert "aws-cn" in str(info.value)


@pytest.mark.parametrize(
    ("region", "problem"),
    [
        ("", "is empty"),
        ("us west 2", "whitespace"),
        (" us-west-2", "whitespace"),
        ("us-west-2\n", "whitespace"),
        ("US-EAST-1", "uppercase"),
        ("us-East-1", "uppercase"),
        ("us-west-2/evil", "lowercase letters, digits and hyphens"),
        ("evil.com/x", "lowercase letters, digits and hyphens"),
        ("us_west_2", "lowercase letters, digits and hyphens"),
        ("-us-west-2", "hyphen"),
        ("us-west-2-", "hyphen"),
        ("a" * 64, "longer than 63"),
        ("us-west-2\x00", "lowercase letters, digits and hyphens"),
        ("us-wést-2", "lowercase letters, digits and hyphens"),
    ],
)
def test_bad_region(region: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve("s3", region)
    assert info.value.field == "region"
    assert problem in str(info.value)
    assert repr(region) in str(info.value)


def test_region_not_a_string() -> None:
    with pytest.raises(ConfigError) as info:
        resolve("s3", None)  # type: ignore[arg-type]
    assert info.value.field == "region"


def test_bad_service_name() -> None:
    with pytest.raises(ConfigError) as info:
        resolve("S3", "us-east-1")
    assert info.value.field == "service_name"


def test_resolve_is_cached() -> None:
    assert resolve("s3", "eu-west-3") is resolve("s3", "eu-west-3")


def test_matches_botocore_when_installed() -> None:
    """Cross-check the hand-written table against botocore's rulesets, offline."""
    pytest.importorskip("botocore")
    from botocore.regions import EndpointRulesetResolver  # type: ignore[import-untyped]
    from botocore.session import get_session  # type: ignore[import-untyped]

    session = get_session()
    loader = session.get_component("data_loader")
    partitions = loader.load_data("partitions")
    for service, region, fips, dualstack, url, _partition in RESOLVE_TABLE:
        if region.startswith("xx-"):
            continue
        ruleset = loader.load_service_model(service, "endpoint-rule-set-1", api_version=None)
        resolver = EndpointRulesetResolver(
            endpoint_ruleset_data=ruleset,
            partition_data=partitions,
            service_model=None,
            builtins={},
            client_context=None,
            event_emitter=None,
        )
        params = {"Region": region, "UseFIPS": fips, "UseDualStack": dualstack}
        if service == "s3":
            params["UseGlobalEndpoint"] = True  # botocore's default ("legacy")
        got = resolver._provider.resolve_endpoint(**params).url
        assert got == url, (service, region, fips, dualstack)


# --- S3 addressing -----------------------------------------------------------------------------

AWS_S3 = "https://s3.us-west-2.amazonaws.com"


@pytest.mark.parametrize(
    ("endpoint", "bucket", "style", "custom", "expected"),
    [
        # auto: virtual when it can be.
        (AWS_S3, "bucket", "auto", False, ("https://bucket.s3.us-west-2.amazonaws.com", "")),
        (
            AWS_S3 + "/",
            "my-bucket-1",
            "auto",
            False,
            ("https://my-bucket-1.s3.us-west-2.amazonaws.com", ""),
        ),
        ("https://s3.amazonaws.com", "b12", "auto", False, ("https://b12.s3.amazonaws.com", "")),
        # auto: path when the name is not DNS compatible ...
        (AWS_S3, "My_Bucket", "auto", False, (AWS_S3, "/My_Bucket")),
        (AWS_S3, "ab", "auto", False, (AWS_S3, "/ab")),
        (AWS_S3, "192.168.5.4", "auto", False, (AWS_S3, "/192.168.5.4")),
        # ... when it has a dot and the endpoint is https ...
        (AWS_S3, "my.bucket", "auto", False, (AWS_S3, "/my.bucket")),
        # ... (over http a dotted name can be virtual-hosted) ...
        ("http://s3.example", "my.bucket", "auto", False, ("http://my.bucket.s3.example", "")),
        # ... and when the endpoint is custom, localhost or an IP.
        (
            "https://minio.example.com",
            "bucket",
            "auto",
            True,
            ("https://minio.example.com", "/bucket"),
        ),
        ("http://127.0.0.1:5000", "bucket", "auto", False, ("http://127.0.0.1:5000", "/bucket")),
        ("http://localhost:4566", "bucket", "auto", False, ("http://localhost:4566", "/bucket")),
        ("http://[::1]:9000", "bucket", "auto", False, ("http://[::1]:9000", "/bucket")),
        ("http://10.0.0.7", "bucket", "auto", False, ("http://10.0.0.7", "/bucket")),
        # forced path.
        (AWS_S3, "bucket", "path", False, (AWS_S3, "/bucket")),
        (AWS_S3, "Legacy_Bucket", "path", False, (AWS_S3, "/Legacy_Bucket")),
        # forced virtual, even on custom endpoints and for dotted names.
        ("http://127.0.0.1:5000", "bucket", "virtual", True, ("http://bucket.127.0.0.1:5000", "")),
        (
            AWS_S3,
            "my.bucket",
            "virtual",
            False,
            ("https://my.bucket.s3.us-west-2.amazonaws.com", ""),
        ),
    ],
)
def test_s3_bucket_url(
    endpoint: str, bucket: str, style: str, custom: bool, expected: tuple[str, str]
) -> None:
    assert (
        s3_bucket_url(endpoint, bucket, addressing_style=style, custom_endpoint=custom) == expected
    )


def test_path_prefix_is_percent_encoded() -> None:
    assert s3_bucket_url(AWS_S3, "a b", addressing_style="path") == (AWS_S3, "/a%20b")


@pytest.mark.parametrize("bucket", ["My_Bucket", "ab", "1.2.3.4", "a..b"])
def test_forced_virtual_rejects_incompatible_names(bucket: str) -> None:
    with pytest.raises(ConfigError) as info:
        s3_bucket_url(AWS_S3, bucket, addressing_style="virtual")
    assert info.value.field == "addressing_style"
    assert repr(bucket) in str(info.value)


def test_unknown_addressing_style() -> None:
    with pytest.raises(ConfigError) as info:
        s3_bucket_url(AWS_S3, "bucket", addressing_style="vhost")
    assert info.value.field == "addressing_style"


@pytest.mark.parametrize("bucket", ["", "a/b"])
def test_bad_bucket_argument(bucket: str) -> None:
    with pytest.raises(ConfigError) as info:
        s3_bucket_url(AWS_S3, bucket)
    assert info.value.field == "bucket"


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("abc", True),
        ("a" * 63, True),
        ("my-bucket.logs.2024", True),
        ("0bucket9", True),
        ("ab", False),
        ("a" * 64, False),
        ("Bucket", False),
        ("bucket_name", False),
        ("-bucket", False),
        ("bucket-", False),
        (".bucket", False),
        ("bucket.", False),
        ("my..bucket", False),
        ("my.-bucket", False),
        ("my-.bucket", False),
        ("192.168.1.1", False),
        ("bucket name", False),
        ("", False),
        ("bucket\n", False),
    ],
)
def test_is_dns_compatible_bucket_table(name: str, ok: bool) -> None:
    assert is_dns_compatible_bucket(name) is ok


_BUCKET_CHARS = string.ascii_lowercase + string.digits + ".-"


@given(st.text(alphabet=_BUCKET_CHARS + "A_/ ", max_size=70))
def test_dns_compatible_invariants(name: str) -> None:
    if not is_dns_compatible_bucket(name):
        return
    assert 3 <= len(name) <= 63
    assert set(name) <= set(_BUCKET_CHARS)
    assert name[0].isalnum() and name[-1].isalnum()
    assert ".." not in name
    labels = name.split(".")
    assert all(label and label[0] != "-" and label[-1] != "-" for label in labels)
    with pytest.raises(ValueError):
        ipaddress.IPv4Address(name)
    # Every DNS-compatible name can be forced into the host, and yields a clean host.
    base, prefix = s3_bucket_url(AWS_S3, name, addressing_style="virtual")
    assert base == f"https://{name}.s3.us-west-2.amazonaws.com" and prefix == ""


@given(
    st.from_regex(
        r"[a-z0-9]([a-z0-9-]{1,20}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?){0,2}",
        fullmatch=True,
    )
)
def test_dns_compatible_generated_names(name: str) -> None:
    # Four all-digit labels look like an IPv4 address even when out of range ("999.1.1.1").
    looks_like_ip = len(name.split(".")) == 4 and all(p.isdigit() for p in name.split("."))
    expected = 3 <= len(name) <= 63 and not looks_like_ip
    assert is_dns_compatible_bucket(name) is expected


@given(st.text(max_size=70))
def test_auto_addressing_never_raises_for_valid_argument(name: str) -> None:
    if not name or "/" in name:
        return
    base, prefix = s3_bucket_url(AWS_S3, name)
    if prefix:
        assert base == AWS_S3 and prefix.startswith("/")
    else:
        assert is_dns_compatible_bucket(name) and "." not in name
