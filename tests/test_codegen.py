"""The generator and the runtime loader read botocore's files one way (hub.services._model_files).

A shipped package's generated ``_model.py`` and the same service loaded at runtime from
botocore's files must hold the same entries, so everything the parity tests prove about one
holds for the other.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

import hub
from hub._services import known_services
from hub.services import _botocore_data as loader
from hub.testing import MemoryResponse, MemoryTransport

botocore_session = pytest.importorskip("botocore.session")


def _plain(value: Any) -> Any:
    # Generated tables are JSON text and Python literals (tuples); loaded ones are dicts/lists.
    if isinstance(value, str) and value[:1] == "{":
        return json.loads(value)
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("service", sorted(known_services()))
def test_generated_model_data_equals_the_runtime_loader_s(service: str) -> None:
    spec = hub._services.service_spec(service)
    generated = importlib.import_module(spec.model_module)
    loaded = importlib.import_module(loader._build_spec(service, ()).model_module)
    for table in ("OPERATIONS", "SHAPES", "ERRORS", "PAGINATORS", "WAITERS"):
        ours = {k: _plain(v) for k, v in getattr(generated, table).items()}
        theirs = {k: _plain(v) for k, v in getattr(loaded, table).items()}
        assert ours == theirs, (service, table)


def test_auth_traits_reach_the_built_operations() -> None:
    sts = hub._services.service_spec("sts").model.operations
    assert sts["AssumeRoleWithWebIdentity"].unsigned
    assert not sts["AssumeRole"].unsigned
    sso = hub._services.service_spec("sso").model.operations
    assert sso["GetRoleCredentials"].unsigned


def test_loaded_rest_xml_service_writes_its_input_root_element() -> None:
    """Route 53 names the request's root element (and namespace) on the operation's input
    reference, not on the shape: the runtime's entries keep it, as botocore's serializer
    does. (They used to drop it, and the body went out empty.)"""
    import botocore.session as bs

    session = hub.Session(hub.Config(region="us-east-1", endpoint_url="http://memory.test",
                                     credentials=hub.Credentials("AKID", "SECRET")))
    answer = (b'<ChangeResourceRecordSetsResponse><ChangeInfo><Id>c</Id><Status>PENDING'
              b'</Status><SubmittedAt>2024-01-01T00:00:00Z</SubmittedAt></ChangeInfo>'
              b'</ChangeResourceRecordSetsResponse>')
    transport = MemoryTransport(lambda request: MemoryResponse(200, {}, answer)).install(
        session)
    params = {"HostedZoneId": "Z1", "ChangeBatch": {"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "a.example.", "Type": "A"}}]}}
    session.client("route53").change_resource_record_sets(**params)
    sent = transport.requests[0].body
    assert isinstance(sent, bytes)

    client = bs.get_session().create_client(
        "route53", region_name="us-east-1", endpoint_url="http://memory.test",
        aws_access_key_id="a", aws_secret_access_key="b")
    model = client.meta.service_model.operation_model("ChangeResourceRecordSets")
    import botocore.serialize

    want = botocore.serialize.create_serializer("rest-xml").serialize_to_request(
        {**params, "HostedZoneId": "Z1"}, model)["body"]
    assert sent.startswith(b'<ChangeResourceRecordSetsRequest xmlns="https://route53.')
    assert sent == want


def test_an_enum_value_the_model_does_not_list_is_still_sent_as_boto3_sends_it() -> None:
    """types.pyi types enums as Literal for type checkers; at runtime any string goes, as in
    botocore (a service may accept values newer than the model)."""
    from botocore.validate import ParamValidator

    params = {"TableName": "t", "Select": "A_FUTURE_VALUE"}
    model = botocore_session.get_session().get_service_model("dynamodb")
    report = ParamValidator().validate(params, model.operation_model("Scan").input_shape)
    assert not report.has_errors()

    session = hub.Session(hub.Config(region="us-east-1", endpoint_url="http://memory.test",
                                     credentials=hub.Credentials("AKID", "SECRET")))
    transport = MemoryTransport(lambda request: MemoryResponse(
        200, {}, b'{"Count": 0, "ScannedCount": 0}')).install(session)
    session.client("dynamodb").scan(**params)  # type: ignore[arg-type]
    sent = transport.requests[0].body
    assert isinstance(sent, bytes) and json.loads(sent)["Select"] == "A_FUTURE_VALUE"
