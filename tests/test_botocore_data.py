"""The runtime loader of botocore's model files (hub.services._botocore_data), offline."""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

import pytest

import hub
from hub.errors import UnknownServiceError
from hub.services import _botocore_data as loader
from hub.services._model_files import load_json, newest_version
from tests._threads import join_all

botocore_session = pytest.importorskip("botocore.session")


def test_data_dir_is_botocore_s_without_importing_it() -> None:
    import botocore  # type: ignore[import-untyped]

    root = loader.data_dir()
    assert root is not None
    assert root == Path(botocore.__file__).parent / "data"
    assert "iam" in loader.available_services()


def test_method_names_equal_botocore_s_for_every_operation() -> None:
    from botocore import xform_name  # type: ignore[import-untyped]

    session = botocore_session.get_session()
    checked = 0
    for service in loader.available_services():
        for op in session.get_service_model(service).operation_names:
            assert loader.xform_name(op) == xform_name(op), (service, op)
            checked += 1
    assert checked > 15_000


def _protocols(service: str) -> list[str]:
    root = loader.data_dir()
    assert root is not None
    base = newest_version(root / service)
    assert base is not None
    meta = load_json(base / "service-2.json")["metadata"]
    return list(meta.get("protocols") or [meta["protocol"]])


def test_every_botocore_service_loads_or_is_refused_with_its_protocol() -> None:
    from hub.protocols._shapes import SUPPORTED_PROTOCOLS

    session = hub.Session(hub.Config(region="us-east-1"))
    shipped = set(hub._services.known_services())
    by_protocol: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    for service in loader.available_services():
        if service in shipped:
            continue
        protocols = _protocols(service)
        usable = [p for p in protocols if p in SUPPORTED_PROTOCOLS]
        if usable:
            client = session.client(service)
            assert client.info.protocol == usable[0]
            by_protocol[usable[0]] += 1
        else:
            with pytest.raises(UnknownServiceError, match="wire protocol hub does not") as info:
                session.client(service)
            assert info.value.reason is not None and protocols[0] in info.value.reason
            refused[protocols[0]] += 1
    # botocore 1.43.11: 412 more services load (247 rest-json, 147 json, 15 query, 3 rest-xml);
    # only ec2 is refused.
    assert sum(by_protocol.values()) > 400
    assert set(refused) <= {"ec2", "smithy-rpc-v2-cbor"}
    assert refused["ec2"] == 1


def test_unknown_service_says_why() -> None:
    session = hub.Session(hub.Config(region="us-east-1"))
    with pytest.raises(UnknownServiceError) as info:
        session.client("no-such-service")
    assert "has a model for it" in str(info.value)
    assert "sqs" in info.value.known


def test_without_botocore_the_error_names_the_shipped_services(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "_DATA_DIR", [None])
    monkeypatch.setattr(loader, "_SPECS", {})
    session = hub.Session(hub.Config(region="us-east-1"))
    with pytest.raises(UnknownServiceError) as info:
        session.client("iam")
    message = str(info.value)
    assert "botocore is not installed" in message
    for name in ("s3", "dynamodb", "sqs", "sts", "sns", "kms", "secretsmanager", "ssm",
                 "lambda"):
        assert name in message
    assert session.client("sqs").info.service_name == "sqs"  # shipped ones still work


def test_a_model_loads_once_under_16_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "_SPECS", {})
    calls: list[str] = []
    real = loader._build_spec

    def counting(name: str, shipped: tuple[str, ...]):  # type: ignore[no-untyped-def]
        calls.append(name)
        return real(name, shipped)

    monkeypatch.setattr(loader, "_build_spec", counting)
    got: list[object] = []
    barrier = threading.Barrier(16)

    def load() -> None:
        barrier.wait()
        got.append(loader.load_spec("cloudtrail", ()))

    threads = [threading.Thread(target=load) for _ in range(16)]
    for t in threads:
        t.start()
    join_all(threads)
    assert calls == ["cloudtrail"]
    assert len(got) == 16 and all(g is got[0] for g in got)


def test_operations_build_lazily_and_the_model_is_cached_per_process() -> None:
    session = hub.Session(hub.Config(region="us-east-1"))
    client = session.client("cloudtrail")
    ops = client._client_config.spec.model.operations
    assert len(ops.built()) == 0  # type: ignore[attr-defined]
    assert client.lookup_events.__name__ == "lookup_events"
    other = hub.Session(hub.Config(region="eu-west-1")).client("cloudtrail")
    assert other._client_config.spec is client._client_config.spec
    assert other.lookup_events.__func__ is client.lookup_events.__func__


def test_global_service_endpoints_as_boto3() -> None:
    import boto3  # type: ignore[import-untyped]

    # (In aws-us-gov, client.meta.endpoint_url comes from the older endpoints.json and can
    # differ from the ruleset botocore's requests use: test_loaded_endpoints_equal_... covers it.)
    for region in ("us-west-2", "cn-north-1"):
        for service in ("iam", "organizations", "route53", "cloudfront"):
            theirs = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b",
                                           region_name=region).client(service)
            try:
                ours = hub.Session(hub.Config(region=region)).client(service)
            except UnknownServiceError:
                continue
            assert ours.info.endpoint == theirs.meta.endpoint_url, (service, region)


def test_iam_policy_documents_decode_as_boto3() -> None:
    from hub.services._botocore_data import _decode_in

    spec = hub._services.service_spec("iam")
    output = spec.model.operations["GetRole"].output
    assert output is not None
    doc = {"Version": "2012-10-17", "Statement": []}
    from urllib.parse import quote

    data = {"Role": {"AssumeRolePolicyDocument": quote(json.dumps(doc)), "RoleName": "r"}}
    _decode_in(output, data)
    assert data["Role"]["AssumeRolePolicyDocument"] == doc


def test_loaded_endpoints_equal_botocore_rulesets() -> None:
    """Every loaded service's endpoint (and signing region) in three partitions, with FIPS
    and dual-stack, against botocore's own ruleset resolver: hub evaluates the same rulesets
    (hub.services._rules)."""
    import itertools

    from botocore.exceptions import EndpointResolutionError  # type: ignore[import-untyped]
    from botocore.regions import EndpointRulesetResolver  # type: ignore[import-untyped]

    session = botocore_session.get_session()
    data = session.get_component("data_loader")
    partitions = data.load_data("partitions")
    shipped = set(hub._services.known_services())
    combos = list(itertools.product(("us-west-2", "cn-north-1", "us-gov-west-1"),
                                    (False, True), (False, True)))
    sessions = {combo: hub.Session(hub.Config(region=combo[0], use_fips_endpoint=combo[1],
                                              use_dualstack_endpoint=combo[2]))
                for combo in combos}
    compared = 0
    for service in loader.available_services():
        if service in shipped or service == "ec2":
            continue
        resolver = EndpointRulesetResolver(
            endpoint_ruleset_data=data.load_service_model(service, "endpoint-rule-set-1",
                                                          api_version=None),
            partition_data=partitions, service_model=None, builtins={}, client_context=None,
            event_emitter=None)
        for region, fips, dualstack in combos:
            session_for = sessions[(region, fips, dualstack)]
            try:
                want = resolver._provider.resolve_endpoint(
                    Region=region, UseFIPS=fips, UseDualStack=dualstack)
            except EndpointResolutionError as exc:
                if "FIPS" in str(exc) or "DualStack" in str(exc):
                    with pytest.raises(hub.errors.ConfigError):
                        session_for.client(service)
                # else the rules need an operation's parameter (an ARN): botocore resolves
                # per request; hub's client uses the generic host
                continue
            info = session_for.client(service).info
            assert info.endpoint == want.url.rstrip("/"), (service, region, fips, dualstack)
            scheme = (want.properties.get("authSchemes") or [{}])[0]
            assert info.signing_region == scheme.get("signingRegion", region), service
            compared += 1
    assert compared > 3000


@pytest.mark.parametrize(("service", "method", "params"), [
    ("route53", "change_resource_record_sets", {
        "HostedZoneId": "Z1", "ChangeBatch": {"Changes": [{"Action": "CREATE",
            "ResourceRecordSet": {"Name": "a.example.com", "Type": "A", "TTL": 60,
                                  "ResourceRecords": [{"Value": "1.2.3.4"}]}}]}}),
    ("s3control", "create_access_point", {
        "AccountId": "123456789012", "Name": "ap1", "Bucket": "bucket1"}),
])
def test_rest_xml_bodies_rooted_on_the_input_reference_are_written(
        service: str, method: str, params: dict[str, object]) -> None:
    # Route 53, CloudFront and S3 Control name the body's root element on the operation's
    # input reference only; the body must be botocore's, not empty.
    import botocore.serialize

    from hub.testing import MemoryResponse, MemoryTransport

    session = hub.Session(hub.Config(region="us-east-1",
                                     credentials=hub.Credentials("AKIDEXAMPLE", "secret")))
    transport = MemoryTransport(lambda _: MemoryResponse(400, {}, b"")).install(session)
    with pytest.raises(hub.errors.ClientError):
        getattr(session.client(service, hub.Config(max_attempts=1)), method)(**params)
    model = botocore.session.get_session().get_service_model(service)
    op = model.operation_model("".join(p.title() for p in method.split("_")))
    theirs = botocore.serialize.create_serializer("rest-xml").serialize_to_request(params, op)
    assert transport.requests[0].body == theirs["body"]
