"""REST-XML (S3): serialization and parsing compared against botocore's own implementation."""

from __future__ import annotations

import datetime
import io
from typing import Any

import botocore.parsers
import botocore.serialize
import botocore.session
import pytest
from botocore.awsrequest import prepare_request_dict
from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3 import HTTPHeaderDict

from hub.errors import ClientError, ParamValidationError, ResponseParseError, XMLForbidden
from hub.protocols import restxml
from tests._protocol_gen import models

S3 = models("s3")[0]  # built from botocore's JSON model
BOTO_S3 = botocore.session.get_session().get_service_model("s3")
ENDPOINT = "https://s3.us-east-1.amazonaws.com"
UTC = datetime.timezone.utc
NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
HEADERS = {"x-amz-request-id": "REQ123", "x-amz-id-2": "HOST456", "Content-Type": "application/xml"}


def botocore_request(name: str, params: dict[str, Any]) -> dict[str, Any]:
    serializer = botocore.serialize.create_serializer("rest-xml")
    request: dict[str, Any] = serializer.serialize_to_request(params, BOTO_S3.operation_model(name))
    prepare_request_dict(request, ENDPOINT)
    return request


SERIALIZE_CASES: list[tuple[str, dict[str, Any]]] = [
    ("ListBuckets", {}),
    ("ListBuckets", {"MaxBuckets": 10, "Prefix": "a b"}),
    ("CreateBucket", {"Bucket": "b"}),
    ("CreateBucket", {"Bucket": "b", "ACL": "private",
                      "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}}),
    ("DeleteBucket", {"Bucket": "b"}),
    ("HeadBucket", {"Bucket": "b", "ExpectedBucketOwner": "123"}),
    ("GetBucketLocation", {"Bucket": "b"}),
    ("PutObject", {"Bucket": "b", "Key": "dir/a b+c~d/ü€.txt", "Body": b"hello",
                   "ContentType": "text/plain", "Metadata": {"foo": "bar", "x-y": "z"},
                   "Expires": datetime.datetime(2030, 1, 2, 3, 4, 5),
                   "BucketKeyEnabled": False, "ContentLength": 5}),
    ("PutObject", {"Bucket": "b", "Key": "k", "Body": "text body ü"}),
    ("PutObject", {"Bucket": "b", "Key": "k"}),
    ("GetObject", {"Bucket": "b", "Key": "a/b/../c?d#e%f", "Range": "bytes=0-9",
                   "VersionId": "v 1", "PartNumber": 2, "ResponseContentType": "x/y",
                   "IfModifiedSince": datetime.datetime(2020, 5, 6, 7, 8, 9, tzinfo=UTC)}),
    ("HeadObject", {"Bucket": "b", "Key": " leading and trailing "}),
    ("DeleteObject", {"Bucket": "b", "Key": "k", "VersionId": "v"}),
    ("DeleteObjects", {"Bucket": "b", "Delete": {
        "Objects": [{"Key": "a b"}, {"Key": "ü&<>'\"", "VersionId": "v"}], "Quiet": True}}),
    ("CopyObject", {"Bucket": "b", "Key": "k", "CopySource": "src/key with space",
                    "MetadataDirective": "REPLACE", "Metadata": {"a": "1"},
                    "CopySourceIfUnmodifiedSince": datetime.datetime(2021, 1, 1, tzinfo=UTC)}),
    ("ListObjectsV2", {"Bucket": "b", "Prefix": "a b/ü", "Delimiter": "/", "MaxKeys": 5,
                       "ContinuationToken": "tok+/=", "FetchOwner": True,
                       "StartAfter": "x", "OptionalObjectAttributes": ["RestoreStatus"]}),
    ("CreateMultipartUpload", {"Bucket": "b", "Key": "big file", "ContentType": "a/b"}),
    ("UploadPart", {"Bucket": "b", "Key": "k", "UploadId": "u/1+2", "PartNumber": 3,
                    "Body": b"\x00\x01"}),
    ("CompleteMultipartUpload", {"Bucket": "b", "Key": "k", "UploadId": "u",
                                 "MultipartUpload": {"Parts": [
                                     {"PartNumber": 1, "ETag": '"e1"'},
                                     {"PartNumber": 2, "ETag": '"e2"'}]}}),
    ("AbortMultipartUpload", {"Bucket": "b", "Key": "k", "UploadId": "u"}),
    ("ListMultipartUploads", {"Bucket": "b", "KeyMarker": "k", "UploadIdMarker": "u",
                              "MaxUploads": 3}),
    ("ListParts", {"Bucket": "b", "Key": "k", "UploadId": "u", "MaxParts": 2,
                   "PartNumberMarker": 1}),
]


@pytest.mark.parametrize(("name", "params"), SERIALIZE_CASES,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(SERIALIZE_CASES)])
def test_serialize_matches_botocore(name: str, params: dict[str, Any]) -> None:
    theirs = botocore_request(name, params)
    ours = restxml.serialize(S3.operations[name], params, base_url=ENDPOINT)
    assert ours.method == theirs["method"]
    assert ours.url == theirs["url"]
    headers = dict(ours.headers)
    assert headers == theirs["headers"]
    assert ours.body == theirs["body"]


def test_delete_objects_serializer_adds_no_checksum() -> None:
    # The checksum (CRC32 by default, as botocore 1.36+) is hub._checksum_handlers' job.
    request = restxml.serialize(S3.operations["DeleteObjects"],
                                {"Bucket": "b", "Delete": {"Objects": [{"Key": "k"}]}},
                                base_url=ENDPOINT)
    assert "Content-MD5" not in request.headers
    assert not any(k.lower().startswith("x-amz-checksum-") for k in request.headers)
    assert request.body == f"<Delete {NS}><Object><Key>k</Key></Object></Delete>".encode()


def test_url_encoding_of_keys_and_prefix() -> None:
    put = S3.operations["PutObject"]
    url = restxml.serialize(put, {"Bucket": "my-bucket", "Key": "a/b c+d~e/€"},
                            base_url=ENDPOINT + "/", path_prefix="/mnt/").url
    assert url == ENDPOINT + "/mnt/my-bucket/a/b%20c%2Bd~e/%E2%82%AC"
    # Non-greedy labels escape "/".
    url = restxml.serialize(S3.operations["HeadBucket"], {"Bucket": "a/b"}, base_url=ENDPOINT).url
    assert url.endswith("/a%2Fb")


def test_streaming_bodies_pass_through() -> None:
    put = S3.operations["PutObject"]
    stream = io.BytesIO(b"data")
    assert restxml.serialize(put, {"Bucket": "b", "Key": "k", "Body": stream},
                             base_url=ENDPOINT).body is stream
    chunks = iter([b"a", b"b"])
    assert restxml.serialize(put, {"Bucket": "b", "Key": "k", "Body": chunks},
                             base_url=ENDPOINT).body is chunks


def test_missing_uri_label_is_a_validation_error() -> None:
    with pytest.raises(ParamValidationError, match="Key"):
        restxml.serialize(S3.operations["GetObject"], {"Bucket": "b"}, base_url=ENDPOINT)


# --- parsing -------------------------------------------------------------------------------

LIST_OBJECTS_V2 = f"""<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult {NS}><Name>bucket</Name><Prefix>photos/</Prefix><KeyCount>2</KeyCount>
<MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>
<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
<Contents><Key>photos/a b ü.jpg</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>
<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size>
<StorageClass>STANDARD</StorageClass><ChecksumAlgorithm>CRC32</ChecksumAlgorithm>
<Owner><ID>abc</ID><DisplayName>me</DisplayName></Owner></Contents>
<Contents><Key>photos/b.jpg</Key><LastModified>2010-01-01T00:00:00Z</LastModified>
<ETag>"x"</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>
<CommonPrefixes><Prefix>photos/2006/</Prefix></CommonPrefixes>
<CommonPrefixes><Prefix>photos/2007/</Prefix></CommonPrefixes>
</ListBucketResult>"""

LIST_OBJECTS_ONE = f"""<ListBucketResult {NS}><Name>b</Name><KeyCount>1</KeyCount>
<IsTruncated>false</IsTruncated><Contents><Key>only</Key><Size>1</Size></Contents>
</ListBucketResult>"""

LIST_BUCKETS = f"""<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult {NS}><Owner><ID>owner-id</ID><DisplayName>me</DisplayName></Owner>
<Buckets><Bucket><Name>one</Name><CreationDate>2019-12-11T23:32:47+00:00</CreationDate>
<BucketRegion>us-east-1</BucketRegion></Bucket><Bucket><Name>two</Name>
<CreationDate>2020-01-01T00:00:00.123456Z</CreationDate></Bucket></Buckets>
<Prefix></Prefix></ListAllMyBucketsResult>"""

DELETE_RESULT = f"""<DeleteResult {NS}><Deleted><Key>a</Key></Deleted>
<Deleted><Key>b</Key><VersionId>v</VersionId><DeleteMarker>true</DeleteMarker></Deleted>
<Error><Key>c</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>
</DeleteResult>"""

COMPLETE_MPU = f"""<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult {NS}><Location>https://b.s3.amazonaws.com/k</Location>
<Bucket>b</Bucket><Key>k</Key><ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
</CompleteMultipartUploadResult>"""

LIST_UPLOADS = f"""<ListMultipartUploadsResult {NS}><Bucket>b</Bucket><KeyMarker></KeyMarker>
<UploadIdMarker></UploadIdMarker><NextKeyMarker>my-movie.m2ts</NextKeyMarker>
<NextUploadIdMarker>YW55IGlkZWEgd2h5</NextUploadIdMarker><MaxUploads>3</MaxUploads>
<IsTruncated>true</IsTruncated><Upload><Key>my-divisor</Key><UploadId>XMgbGlrZ</UploadId>
<Initiator><ID>arn:aws:iam::1:user/u</ID><DisplayName>u</DisplayName></Initiator>
<Owner><ID>o</ID></Owner><StorageClass>STANDARD</StorageClass>
<Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload></ListMultipartUploadsResult>"""

PARSE_CASES: list[tuple[str, dict[str, str], str]] = [
    ("ListObjectsV2", {}, LIST_OBJECTS_V2),
    ("ListObjectsV2", {}, LIST_OBJECTS_ONE),
    ("ListBuckets", {}, LIST_BUCKETS),
    ("DeleteObjects", {}, DELETE_RESULT),
    ("CompleteMultipartUpload", {"x-amz-server-side-encryption": "AES256",
                                 "x-amz-version-id": "v1"}, COMPLETE_MPU),
    ("ListMultipartUploads", {}, LIST_UPLOADS),
    ("CreateMultipartUpload", {}, f"<InitiateMultipartUploadResult {NS}><Bucket>b</Bucket>"
     "<Key>k</Key><UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>"),
    ("CopyObject", {"x-amz-copy-source-version-id": "cv"},
     f"<CopyObjectResult {NS}><LastModified>2009-10-28T22:32:00.000Z</LastModified>"
     '<ETag>"9b2cf535f27731c974343645a3985328"</ETag></CopyObjectResult>'),
    ("HeadObject", {"Content-Length": "3191", "Last-Modified": "Wed, 12 Oct 2009 17:50:00 GMT",
                    "ETag": '"fba9dede5f27731c9771645a39863328"', "x-amz-meta-Color": "blue",
                    "x-amz-meta-size": "L", "x-amz-delete-marker": "false",
                    "x-amz-missing-meta": "2", "Expires": "Thu, 01 Dec 1994 16:00:00 GMT",
                    "Content-Type": "text/plain", "Accept-Ranges": "bytes"}, ""),
    ("HeadBucket", {"x-amz-bucket-region": "eu-west-1"}, ""),
    ("PutObject", {"ETag": '"abc"', "x-amz-version-id": "v"}, ""),
    ("DeleteObject", {"x-amz-delete-marker": "true"}, ""),
    ("GetBucketLocation", {}, f'<LocationConstraint {NS}>eu-west-1</LocationConstraint>'),
    ("CreateBucket", {"Location": "/b"}, ""),
]


def botocore_parse(name: str, status: int, headers: dict[str, str], body: bytes) -> Any:
    parser = botocore.parsers.create_parser("rest-xml")
    response = {"status_code": status, "headers": HTTPHeaderDict({**HEADERS, **headers}),
                "body": body}
    return parser.parse(response, BOTO_S3.operation_model(name).output_shape)


@pytest.mark.parametrize(("name", "headers", "body"), PARSE_CASES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(PARSE_CASES)])
def test_parse_matches_botocore(name: str, headers: dict[str, str], body: str) -> None:
    raw = body.encode()
    ours = restxml.parse(S3.operations[name], 200, {**HEADERS, **headers}, raw)
    theirs = botocore_parse(name, 200, headers, raw)
    our_meta = ours.pop("ResponseMetadata")
    their_meta = theirs.pop("ResponseMetadata")
    if name == "GetBucketLocation":
        # botocore fills this in a later handler; the bare root element is the value.
        theirs = {"LocationConstraint": "eu-west-1"}
    assert ours == theirs
    assert our_meta["RequestId"] == their_meta["RequestId"] == "REQ123"
    assert our_meta["HostId"] == their_meta["HostId"] == "HOST456"
    assert our_meta["HTTPStatusCode"] == 200
    assert our_meta["HTTPHeaders"] == their_meta["HTTPHeaders"]
    assert our_meta["RetryAttempts"] == 0


def test_parse_values_are_typed() -> None:
    parsed = restxml.parse(S3.operations["ListObjectsV2"], 200, HEADERS, LIST_OBJECTS_V2.encode())
    first = parsed["Contents"][0]
    assert first["LastModified"] == datetime.datetime(2009, 10, 12, 17, 50, 30, tzinfo=UTC)
    assert first["LastModified"].tzinfo is not None
    assert first["Size"] == 434234 and parsed["IsTruncated"] is True
    assert first["Key"] == "photos/a b ü.jpg"
    head = restxml.parse(S3.operations["HeadObject"], 200,
                         {"x-amz-meta-Color": "blue", "Content-Length": "7"}, b"")
    assert head["Metadata"] == {"Color": "blue"} and head["ContentLength"] == 7


def test_get_object_leaves_the_stream_to_the_caller() -> None:
    op = S3.operations["GetObject"]
    parsed = restxml.parse(op, 200, {"Content-Length": "5", "ETag": '"e"'}, b"")
    assert "Body" not in parsed and parsed["ContentLength"] == 5
    assert op.streaming_output_member == "Body"


def test_us_east_1_location_is_none() -> None:
    body = f"<LocationConstraint {NS}/>".encode()
    parsed = restxml.parse(S3.operations["GetBucketLocation"], 200, {}, body)
    assert parsed["LocationConstraint"] is None


# --- errors --------------------------------------------------------------------------------

def boto3_error(name: str, status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    parser = botocore.parsers.create_parser("rest-xml")
    response = {"status_code": status, "headers": HTTPHeaderDict(headers), "body": body}
    parsed: dict[str, Any] = parser.parse(response, BOTO_S3.operation_model(name).output_shape)
    shape = BOTO_S3.shape_for_error_code(parsed["Error"]["Code"])
    if shape is not None:  # what botocore's endpoint does for modeled errors
        parsed.update(parser.parse(response, shape))
    return parsed


ERROR_CASES: list[tuple[str, int, dict[str, str], bytes]] = [
    ("GetObject", 404, HEADERS, b'<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
     b"<Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
     b"<Key>k</Key><RequestId>REQ123</RequestId><HostId>HOST456</HostId></Error>"),
    ("GetObject", 403, HEADERS, b"<Error><Code>InvalidObjectState</Code><Message>m</Message>"
     b"<StorageClass>GLACIER</StorageClass><AccessTier>ARCHIVE_ACCESS</AccessTier></Error>"),
    ("HeadObject", 404, HEADERS, b""),
    ("HeadBucket", 403, HEADERS, b""),
    ("PutObject", 503, HEADERS, b"<html><body>Service Unavailable</body></html>"),
    ("PutObject", 500, {}, b""),
    ("ListObjectsV2", 400, {"x-amzn-requestid": "R9"},
     b"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidInput</Code>"
     b"<Message>bad</Message></Error><RequestId>R9</RequestId></ErrorResponse>"),
    ("CreateBucket", 409, HEADERS, b"<Error><Code>BucketAlreadyOwnedByYou</Code>"
     b"<Message>Your previous request to create the named bucket succeeded.</Message>"
     b"<BucketName>b</BucketName><RequestId>REQ123</RequestId></Error>"),
]


@pytest.mark.parametrize(("name", "status", "headers", "body"), ERROR_CASES,
                         ids=[f"{n}-{s}" for n, s, _, _ in ERROR_CASES])
def test_parse_error_matches_botocore(name: str, status: int, headers: dict[str, str],
                                      body: bytes) -> None:
    error = restxml.parse_error(S3.operations[name], status, headers, body)
    theirs = boto3_error(name, status, headers, body)
    assert isinstance(error, ClientError)
    ours = dict(error.response)
    our_meta, their_meta = ours.pop("ResponseMetadata"), theirs.pop("ResponseMetadata")
    assert ours == theirs
    assert error.code == theirs["Error"]["Code"]
    assert error.message == theirs["Error"]["Message"]
    assert error.status_code == status and error.operation == name
    for key in ("RequestId", "HostId", "HTTPStatusCode", "HTTPHeaders"):
        if key in their_meta:
            assert our_meta[key] == their_meta[key], key


def test_error_details() -> None:
    error = restxml.parse_error(S3.operations["GetObject"], *ERROR_CASES[0][1:])
    assert error.code == "NoSuchKey" and error.request_id == "REQ123"
    assert error.response["Error"]["Key"] == "k"
    assert "RequestId" not in error.response["Error"]
    head = restxml.parse_error(S3.operations["HeadObject"], 404, {}, b"")
    assert (head.code, head.message) == ("404", "Not Found")


def test_unparseable_error_body_falls_back_to_status() -> None:
    error = restxml.parse_error(S3.operations["GetObject"], 502, {}, b"<Error><Code>")
    assert error.code == "502"


# --- malformed input -----------------------------------------------------------------------

MALFORMED = [
    b"<ListBucketResult><Contents><Key>a</Key>",  # truncated
    b"not xml at all",
    b"<ListBucketResult><MaxKeys>lots</MaxKeys></ListBucketResult>",
    b"<ListBucketResult><Contents><LastModified>yesterday</LastModified></Contents>"
    b"</ListBucketResult>",
    b"\xff\xfe<\x00a\x00>\x00",
    b"<a></b>",
]


@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_bodies_raise_response_parse_error(body: bytes) -> None:
    with pytest.raises(ResponseParseError) as info:
        restxml.parse(S3.operations["ListObjectsV2"], 200, {}, body)
    assert info.value.operation == "ListObjectsV2" and info.value.status_code == 200


def test_bad_header_value_raises_response_parse_error() -> None:
    with pytest.raises(ResponseParseError, match="HeadObject"):
        restxml.parse(S3.operations["HeadObject"], 200, {"Content-Length": "many"}, b"")


def test_doctype_and_entities_are_refused() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            b"<ListBucketResult><Name>&lol2;</Name></ListBucketResult>")
    with pytest.raises(XMLForbidden, match="DOCTYPE") as refused:
        restxml.parse(S3.operations["ListObjectsV2"], 200, {}, bomb)
    assert isinstance(refused.value, ResponseParseError)
    assert refused.value.operation == "ListObjectsV2"
    external = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                b"<ListBucketResult><Name>&x;</Name></ListBucketResult>")
    with pytest.raises(ResponseParseError):
        restxml.parse(S3.operations["ListObjectsV2"], 200, {}, external)


@settings(max_examples=200, deadline=None)
@given(body=st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.lists(st.sampled_from(["<ListBucketResult>", "</ListBucketResult>", "<Contents>",
                              "</Contents>", "<Key>", "</Key>", "<Size>", "</Size>", "1", "x",
                              "<IsTruncated>", "</IsTruncated>", "<CommonPrefixes>", "&amp;",
                              "</CommonPrefixes>", "<LastModified>", "</LastModified>"]),
             max_size=30).map(lambda parts: "".join(parts).encode()),
))
def test_fuzzed_bodies_only_raise_response_parse_error(body: bytes) -> None:
    for name in ("ListObjectsV2", "DeleteObjects", "ListBuckets", "GetBucketLocation"):
        try:
            restxml.parse(S3.operations[name], 200, {}, body)
        except ResponseParseError:
            pass
    error = restxml.parse_error(S3.operations["GetObject"], 400, {}, body)
    assert isinstance(error, ClientError)


def test_xml_union_with_a_member_this_model_does_not_know() -> None:
    s3control, theirs = models("s3control")
    body = (b"<DescribeJobResult><Job><JobId>j</JobId><ManifestGenerator>"
            b"<FutureGenerator><X>1</X></FutureGenerator></ManifestGenerator></Job>"
            b"</DescribeJobResult>")
    ours = restxml.parse(s3control.operations["DescribeJob"], 200, HEADERS, body)
    parser = botocore.parsers.create_parser("rest-xml")
    expected = parser.parse({"status_code": 200, "headers": HTTPHeaderDict(HEADERS),
                             "body": body}, theirs.operation_model("DescribeJob").output_shape)
    assert ours["Job"] == expected["Job"] == {
        "JobId": "j", "ManifestGenerator": {"SDK_UNKNOWN_MEMBER": {"name": "FutureGenerator"}}}
    two = body.replace(b"<FutureGenerator>", b"<S3JobManifestGenerator/><FutureGenerator>")
    with pytest.raises(ResponseParseError, match="exactly one member"):
        restxml.parse(s3control.operations["DescribeJob"], 200, HEADERS, two)
