"""hub's endpoints for the shipped services against botocore's endpoint rulesets (offline).

For each service x regions of the three partitions x FIPS x dual-stack, hub's URL must equal
the URL botocore's ruleset resolves for a request (the ruleset decides where botocore's requests
go; ``client.meta.endpoint_url`` comes from the older endpoints.json and can differ).
"""

from __future__ import annotations

import itertools

import pytest

from hub.endpoints import resolve
from hub.errors import ConfigError

pytest.importorskip("botocore")

SERVICES = ("sts", "sqs", "sns", "kms", "secretsmanager", "ssm", "lambda", "dynamodb", "s3")
REGIONS = ("us-east-1", "us-west-2", "eu-central-1", "ap-southeast-1", "ca-central-1",
           "cn-north-1", "cn-northwest-1", "us-gov-west-1", "us-gov-east-1")


@pytest.fixture(scope="module")
def ruleset_url():  # type: ignore[no-untyped-def]
    from botocore.regions import EndpointRulesetResolver  # type: ignore[import-untyped]
    from botocore.session import get_session  # type: ignore[import-untyped]

    session = get_session()
    loader = session.get_component("data_loader")
    partitions = loader.load_data("partitions")
    resolvers = {}

    def url(service: str, region: str, fips: bool, dualstack: bool) -> str:
        if service not in resolvers:
            resolvers[service] = EndpointRulesetResolver(
                endpoint_ruleset_data=loader.load_service_model(
                    service, "endpoint-rule-set-1", api_version=None),
                partition_data=partitions, service_model=None, builtins={},
                client_context=None, event_emitter=None)
        params = {"Region": region, "UseFIPS": fips, "UseDualStack": dualstack}
        if service == "s3":
            params["UseGlobalEndpoint"] = True  # botocore's default ("legacy")
        return str(resolvers[service]._provider.resolve_endpoint(**params).url)

    return url


@pytest.mark.parametrize("service", SERVICES)
def test_service_endpoints_match_botocore(service: str, ruleset_url) -> None:  # type: ignore[no-untyped-def]
    from botocore.exceptions import EndpointResolutionError  # type: ignore[import-untyped]

    from hub._services import service_spec

    prefix = service_spec(service).endpoint_prefix
    compared = 0
    for region, fips, dualstack in itertools.product(REGIONS, (False, True), (False, True)):
        try:
            expected = ruleset_url(service, region, fips, dualstack)
        except EndpointResolutionError:  # botocore refuses (S3 FIPS in aws-cn): so does hub
            with pytest.raises(ConfigError):
                resolve(prefix, region, use_fips=fips, use_dualstack=dualstack)
            continue
        got = resolve(prefix, region, use_fips=fips, use_dualstack=dualstack).url
        assert got == expected, (service, region, fips, dualstack)
        compared += 1
    assert compared >= 32


@pytest.mark.parametrize("service", ["sso", "sso-oidc"])
def test_sso_endpoints_match_botocore(service: str, ruleset_url) -> None:  # type: ignore[no-untyped-def]
    import botocore.session  # type: ignore[import-untyped]

    prefix = botocore.session.get_session().get_service_model(service).endpoint_prefix
    for region, fips, dualstack in itertools.product(REGIONS, (False, True), (False, True)):
        expected = ruleset_url(service, region, fips, dualstack)
        assert resolve(prefix, region, use_fips=fips, use_dualstack=dualstack).url == expected


def test_sts_without_region_uses_the_global_endpoint_as_boto3() -> None:
    import boto3  # type: ignore[import-untyped]

    import hub

    b = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b",
                              region_name=None).client("sts")
    c = hub.Session(hub.Config(region=None)).client("sts")
    assert c.info.endpoint == b.meta.endpoint_url == "https://sts.amazonaws.com"
    assert c.info.signing_region == "us-east-1"


@pytest.mark.parametrize("region", ["us-east-1", "us-west-2", "eu-central-1", "ap-south-1",
                                    "af-south-1", "us-gov-west-1", "cn-north-1"])
@pytest.mark.parametrize("mode", ["regional", "legacy"])
def test_sts_regional_endpoints_setting(region: str, mode: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    import hub

    monkeypatch.setenv("AWS_STS_REGIONAL_ENDPOINTS", mode)
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS"):
        monkeypatch.delenv(name, raising=False)
    b = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b",
                              region_name=region).client("sts")
    c = hub.Session(hub.Config(region=region)).client("sts")
    assert c.info.endpoint == b.meta.endpoint_url
    if c.info.endpoint == "https://sts.amazonaws.com":
        assert c.info.signing_region == "us-east-1"
    else:
        assert c.info.signing_region == region
