"""The query protocol (STS, SNS, IAM, SimpleDB): exact wire forms, errors, malformed bodies.

The generated parity tests (test_protocols_parity.py) compare hub with botocore on every
operation; these pin down the wire format itself on readable examples.
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.errors import ClientError, ResponseParseError, XMLForbidden
from hub.protocols import ServiceModel, get_protocol
from tests._protocol_gen import ENDPOINT, models

QUERY = get_protocol("query")
STS, _ = models("sts")
SNS, _ = models("sns")
IAM, _ = models("iam")
SDB, _ = models("sdb")
UTC = datetime.timezone.utc
STS_NS = 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"'


def form(service_model: ServiceModel, name: str,
         params: dict[str, Any]) -> tuple[bytes, list[tuple[str, str]]]:
    request = QUERY.serialize(service_model.operations[name], params, endpoint=ENDPOINT,
                              service=service_model)
    assert request.method == "POST" and request.url == ENDPOINT + "/"
    assert request.headers == {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    assert isinstance(request.body, bytes)
    return request.body, parse_qsl(request.body.decode("ascii"), keep_blank_values=True)


def test_assume_role_form_body() -> None:
    body, pairs = form(STS, "AssumeRole", {
        "RoleArn": "arn:aws:iam::1:role/r", "RoleSessionName": "s p",
        "Tags": [{"Key": "k1", "Value": "ü"}, {"Key": "k2", "Value": ""}],
        "PolicyArns": [{"arn": "arn:a"}], "DurationSeconds": 900})
    assert pairs == [
        ("Action", "AssumeRole"), ("Version", "2011-06-15"),
        ("RoleArn", "arn:aws:iam::1:role/r"), ("RoleSessionName", "s p"),
        ("Tags.member.1.Key", "k1"), ("Tags.member.1.Value", "ü"),
        ("Tags.member.2.Key", "k2"), ("Tags.member.2.Value", ""),
        ("PolicyArns.member.1.arn", "arn:a"), ("DurationSeconds", "900")]
    # Form encoding as botocore sends it: quote_plus, so "/" and ":" are escaped, " " is "+".
    assert b"RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&RoleSessionName=s+p" in body


def test_empty_list_is_sent_and_maps_use_entries() -> None:
    _, pairs = form(IAM, "TagUser", {"UserName": "u", "Tags": []})
    assert ("Tags", "") in pairs  # the service must see the list was emptied
    _, pairs = form(SNS, "Publish", {"Message": "m", "MessageAttributes": {
        "a": {"DataType": "String", "StringValue": "v"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}}})
    assert pairs[3:] == [
        ("MessageAttributes.entry.1.Name", "a"),
        ("MessageAttributes.entry.1.Value.DataType", "String"),
        ("MessageAttributes.entry.1.Value.StringValue", "v"),
        ("MessageAttributes.entry.2.Name", "b"),
        ("MessageAttributes.entry.2.Value.DataType", "Binary"),
        ("MessageAttributes.entry.2.Value.BinaryValue", "AP8=")]


def test_flattened_lists_have_no_member_segment() -> None:
    _, pairs = form(SDB, "PutAttributes", {
        "DomainName": "d", "ItemName": "i",
        "Attributes": [{"Name": "n", "Value": "v", "Replace": True}]})
    assert ("Attribute.1.Name", "n") in pairs  # the element's locationName replaces the name
    assert ("Attribute.1.Replace", "true") in pairs


def test_timestamps_are_iso8601() -> None:
    moment = datetime.datetime(2030, 1, 2, 3, 4, 5, 600, tzinfo=UTC)
    from hub.protocols.query import _value

    out: list[tuple[str, str]] = []
    member = STS.shapes["AssumeRoleResponse"].members["Credentials"].shape.members[
        "Expiration"]
    _value(out, member, moment, "Expiration")
    assert out == [("Expiration", "2030-01-02T03:04:05.000600Z")]


GET_CALLER_IDENTITY = f"""<GetCallerIdentityResponse {STS_NS}>
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:user/Alice</Arn>
    <UserId>AIDAEXAMPLE</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>""".encode()

ASSUME_ROLE = f"""<AssumeRoleResponse {STS_NS}><AssumeRoleResult>
<Credentials><AccessKeyId>AKIA</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>
<SessionToken>tok</SessionToken><Expiration>2030-01-02T03:04:05Z</Expiration></Credentials>
<AssumedRoleUser><AssumedRoleId>ARO:s</AssumedRoleId><Arn>arn:r</Arn></AssumedRoleUser>
<PackedPolicySize>6</PackedPolicySize></AssumeRoleResult>
<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></AssumeRoleResponse>""".encode()


def test_parse_reads_inside_the_result_wrapper() -> None:
    op = STS.operations["GetCallerIdentity"]
    assert op.result_wrapper == "GetCallerIdentityResult"
    parsed = QUERY.parse(op, 200, {}, GET_CALLER_IDENTITY)
    meta = parsed.pop("ResponseMetadata")
    assert parsed == {"Arn": "arn:aws:iam::123456789012:user/Alice", "UserId": "AIDAEXAMPLE",
                      "Account": "123456789012"}
    assert meta["RequestId"] == "01234567-89ab-cdef-0123-456789abcdef"
    assert meta["HTTPStatusCode"] == 200


def test_parse_types() -> None:
    parsed = QUERY.parse(STS.operations["AssumeRole"], 200, {"x-amzn-RequestId": "h"},
                         ASSUME_ROLE)
    creds = parsed["Credentials"]
    assert creds["Expiration"] == datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parsed["PackedPolicySize"] == 6
    assert parsed["ResponseMetadata"]["RequestId"] == "rid"  # the body's wins, as in botocore


def test_operation_without_output_still_has_metadata() -> None:
    body = b"<DeleteTopicResponse><ResponseMetadata><RequestId>r</RequestId>" \
           b"</ResponseMetadata></DeleteTopicResponse>"
    parsed = QUERY.parse(SNS.operations["DeleteTopic"], 200, {}, body)
    assert parsed == {"ResponseMetadata": parsed["ResponseMetadata"]}
    assert parsed["ResponseMetadata"]["RequestId"] == "r"


def test_error_response() -> None:
    body = (b"<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>"
            b"<Type>Sender</Type><Code>NoSuchEntity</Code>"
            b"<Message>The user with name u cannot be found.</Message></Error>"
            b"<RequestId>r-1</RequestId></ErrorResponse>")
    error = QUERY.parse_error(IAM.operations["GetUser"], 404, {}, body)
    assert isinstance(error, ClientError)
    assert (error.code, error.status_code, error.request_id) == ("NoSuchEntity", 404, "r-1")
    assert error.message == "The user with name u cannot be found."
    assert error.response["Error"] == {"Type": "Sender", "Code": "NoSuchEntity",
                                       "Message": "The user with name u cannot be found."}
    # The code is matched against the error shapes' awsQueryError code, not the shape name.
    assert IAM.operations["GetUser"].error_shapes["NoSuchEntity"].name == "NoSuchEntityException"


@pytest.mark.parametrize(("status", "body", "code"), [
    (500, b"", "500"), (503, b"<html><body>busy</body></html>", "503"),
    (400, b"not xml", "400"), (400, b"<ErrorResponse><Error><Code>", "400")])
def test_unreadable_errors_fall_back_to_the_status(status: int, body: bytes, code: str) -> None:
    error = QUERY.parse_error(STS.operations["AssumeRole"], status, {"x-amzn-RequestId": "q"},
                              body)
    assert error.code == code and error.request_id == "q"


def test_malformed_bodies_raise_response_parse_error() -> None:
    op = STS.operations["AssumeRole"]
    for body in (b"<AssumeRoleResponse><AssumeRoleResult><PackedPolicySize>x</PackedPolicySize>"
                 b"</AssumeRoleResult></AssumeRoleResponse>", b"<a></b>", b"\xff\xfe"):
        with pytest.raises(ResponseParseError) as info:
            QUERY.parse(op, 200, {}, body)
        assert info.value.operation == "AssumeRole"
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]>'
            b"<AssumeRoleResponse>&a;</AssumeRoleResponse>")
    with pytest.raises(XMLForbidden, match="DOCTYPE") as refused:
        QUERY.parse(op, 200, {}, bomb)
    assert isinstance(refused.value, ResponseParseError)
    assert refused.value.operation == "AssumeRole"


@settings(max_examples=200, deadline=None)
@given(body=st.one_of(
    st.binary(max_size=200),
    st.lists(st.sampled_from(["<AssumeRoleResponse>", "</AssumeRoleResponse>",
                              "<AssumeRoleResult>", "</AssumeRoleResult>", "<Credentials>",
                              "</Credentials>", "<Expiration>", "</Expiration>", "x", "1",
                              "<ErrorResponse>", "<Error>", "<Code>", "</Code>", "&amp;"]),
             max_size=20).map(lambda parts: "".join(parts).encode())))
def test_fuzzed_bodies_only_raise_response_parse_error(body: bytes) -> None:
    try:
        QUERY.parse(STS.operations["AssumeRole"], 200, {}, body)
    except ResponseParseError:
        pass
    assert isinstance(QUERY.parse_error(STS.operations["AssumeRole"], 400, {}, body),
                      ClientError)
