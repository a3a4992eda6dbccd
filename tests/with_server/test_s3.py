"""The S3 client against moto's standalone server (and the local fault server for quirks)."""

from __future__ import annotations

import base64
import hashlib
import io
import zlib
from typing import Any

import pytest
import urllib3

import hub
from hub import Config, Session
from hub.errors import ClientError, ParamValidationError
from hub.services import S3Client, StreamingBody
from tests.servers.local import LocalServer
from tests.servers.moto_server import MotoServer
from tests.servers.responses import ok

CREDENTIALS = hub.Credentials("testing", "testing")


@pytest.fixture
def s3(moto: MotoServer) -> Any:
    session = Session(Config(region="us-east-1", endpoint_url=moto.url, credentials=CREDENTIALS))
    client = session.client("s3")
    client.create_bucket(Bucket="bkt")
    return client


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_client_class_is_thin(s3: Any) -> None:
    assert isinstance(s3, S3Client)
    assert not hasattr(s3, "__dict__")


def test_bucket_lifecycle(moto: MotoServer) -> None:
    s3 = Session(Config(region="us-east-1", endpoint_url=moto.url,
                        credentials=CREDENTIALS)).client("s3")
    created = s3.create_bucket(Bucket="one")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 200
    s3.create_bucket(Bucket="two", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert names == ["one", "two"]
    assert s3.get_bucket_location(Bucket="two")["LocationConstraint"] == "eu-west-1"
    assert s3.head_bucket(Bucket="one")["ResponseMetadata"]["HTTPStatusCode"] == 200
    s3.delete_bucket(Bucket="one")
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket="one")
    assert _code(exc) == "404"
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket="one")
    assert _code(exc) == "NoSuchBucket"


@pytest.mark.parametrize("body", [
    b"bytes body",
    "text body \u00e9",
    io.BytesIO(b"file body"),
])
def test_put_object_body_kinds(s3: Any, body: Any) -> None:
    expected = body.getvalue() if isinstance(body, io.BytesIO) else (
        body.encode() if isinstance(body, str) else body)
    put = s3.put_object(Bucket="bkt", Key="k", Body=body)
    assert put["ETag"] == f'"{hashlib.md5(expected).hexdigest()}"'
    assert s3.get_object(Bucket="bkt", Key="k")["Body"].read() == expected


def test_put_object_from_iterable_is_sent_chunked(s3: Any) -> None:
    chunks = (bytes([65 + i]) * 1000 for i in range(5))
    s3.put_object(Bucket="bkt", Key="gen", Body=chunks)
    data = s3.get_object(Bucket="bkt", Key="gen")["Body"].read()
    assert data == b"".join(bytes([65 + i]) * 1000 for i in range(5))


def test_put_object_with_seekable_file_from_disk(s3: Any, tmp_path: Any) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"0123456789" * 1000)
    with open(path, "rb") as fh:
        fh.seek(10)  # sent from the current position, as boto3 does
        s3.put_object(Bucket="bkt", Key="disk", Body=fh)
    assert s3.head_object(Bucket="bkt", Key="disk")["ContentLength"] == 9990


def test_metadata_content_type_and_head(s3: Any) -> None:
    s3.put_object(Bucket="bkt", Key="m", Body=b"x", Metadata={"color": "red"},
                  ContentType="text/plain", ContentMD5="nVscr8G1ktaD8JHPBQAtKw==")
    head = s3.head_object(Bucket="bkt", Key="m")
    assert head["Metadata"] == {"color": "red"}
    assert head["ContentType"] == "text/plain"
    assert head["ContentLength"] == 1
    got = s3.get_object(Bucket="bkt", Key="m")
    assert got["Metadata"] == {"color": "red"} and got["Body"].read() == b"x"


def test_content_md5_and_delete_objects_checksum_are_sent(local_server: LocalServer) -> None:
    local_server.set_default(ok(b""))
    s3 = _local_s3(local_server)
    s3.put_object(Bucket="b", Key="k", Body=b"x", ContentMD5="nVscr8G1ktaD8JHPBQAtKw==")
    assert local_server.requests[-1].header("Content-MD5") == "nVscr8G1ktaD8JHPBQAtKw=="
    s3.delete_objects(Bucket="b", Delete={"Objects": [{"Key": "k"}]})
    sent = local_server.requests[-1]
    # botocore 1.36+ sends a CRC32 flexible checksum (not Content-MD5) for checksum-required
    # operations; so does hub.
    digest = base64.b64encode(zlib.crc32(sent.body).to_bytes(4, "big")).decode()
    assert sent.header("x-amz-checksum-crc32") == digest and sent.query == "delete"
    assert sent.header("Content-MD5") is None


def test_checksum_algorithm_crc32(s3: Any) -> None:
    put = s3.put_object(Bucket="bkt", Key="c", Body=b"checked", ChecksumAlgorithm="CRC32")
    assert put["ChecksumCRC32"]


def test_get_object_range_and_streaming(s3: Any) -> None:
    s3.put_object(Bucket="bkt", Key="r", Body=b"0123456789")
    part = s3.get_object(Bucket="bkt", Key="r", Range="bytes=2-5")
    assert part["ContentRange"] == "bytes 2-5/10"
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["Body"].read() == b"2345"
    whole = s3.get_object(Bucket="bkt", Key="r")
    body = whole["Body"]
    assert isinstance(body, StreamingBody)
    assert body.read(3) == b"012"
    assert b"".join(body.iter_chunks(4)) == b"3456789"
    assert body.read() == b"" or body.closed


def test_keys_with_special_characters(s3: Any) -> None:
    keys = ["a b/c+d", "ü/ñ?x=1&y", "dir//double", "~tilde", "percent%20"]
    for key in keys:
        s3.put_object(Bucket="bkt", Key=key, Body=key.encode())
    for key in keys:
        assert s3.get_object(Bucket="bkt", Key=key)["Body"].read() == key.encode()
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket="bkt")["Contents"]}
    assert listed == set(keys)


def test_delete_object_and_objects(s3: Any) -> None:
    for i in range(3):
        s3.put_object(Bucket="bkt", Key=f"k{i}", Body=b"x")
    assert s3.delete_object(Bucket="bkt", Key="k0")["ResponseMetadata"]["HTTPStatusCode"] == 204
    result = s3.delete_objects(Bucket="bkt", Delete={"Objects": [{"Key": "k1"}, {"Key": "k2"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["k1", "k2"]
    assert s3.list_objects_v2(Bucket="bkt")["KeyCount"] == 0


@pytest.mark.parametrize("source", [
    "bkt/src key",
    {"Bucket": "bkt", "Key": "src key"},
])
def test_copy_object(s3: Any, source: Any) -> None:
    s3.put_object(Bucket="bkt", Key="src key", Body=b"copy me")
    result = s3.copy_object(Bucket="bkt", Key="dst", CopySource=source)
    assert result["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"copy me").hexdigest()}"'
    assert s3.get_object(Bucket="bkt", Key="dst")["Body"].read() == b"copy me"


def test_list_objects_v2_and_paginator(s3: Any) -> None:
    for i in range(7):
        s3.put_object(Bucket="bkt", Key=f"p/{i}", Body=b"x")
    s3.put_object(Bucket="bkt", Key="q/x", Body=b"x")
    listing = s3.list_objects_v2(Bucket="bkt", Delimiter="/")
    assert [p["Prefix"] for p in listing["CommonPrefixes"]] == ["p/", "q/"]
    paginator = s3.get_paginator("list_objects_v2")
    pages = list(paginator.paginate(Bucket="bkt", Prefix="p/", PaginationConfig={"PageSize": 3}))
    assert [len(p["Contents"]) for p in pages] == [3, 3, 1]
    first = paginator.paginate(Bucket="bkt", Prefix="p/",
                               PaginationConfig={"MaxItems": 4, "PageSize": 3})
    full = first.build_full_result()
    assert [o["Key"] for o in full["Contents"]] == [f"p/{i}" for i in range(4)]
    rest = paginator.paginate(Bucket="bkt", Prefix="p/",
                              PaginationConfig={"StartingToken": full["NextToken"],
                                                "PageSize": 3}).build_full_result()
    assert [o["Key"] for o in rest["Contents"]] == [f"p/{i}" for i in range(4, 7)]
    assert s3.can_paginate("list_objects_v2") and not s3.can_paginate("get_object")


def test_list_objects_v2_encoding_type_url(s3: Any) -> None:
    s3.put_object(Bucket="bkt", Key="a b", Body=b"x")
    listing = s3.list_objects_v2(Bucket="bkt", EncodingType="url")
    assert listing["Contents"][0]["Key"] in ("a b", "a+b", "a%20b")


def test_multipart_upload_round_trip(s3: Any) -> None:
    upload = s3.create_multipart_upload(Bucket="bkt", Key="big", ContentType="application/x")
    upload_id = upload["UploadId"]
    part1 = b"a" * (5 * 1024 * 1024)
    part2 = b"b" * 1024
    etags = [
        s3.upload_part(Bucket="bkt", Key="big", UploadId=upload_id, PartNumber=n, Body=body)["ETag"]
        for n, body in ((1, part1), (2, part2))
    ]
    parts = s3.list_parts(Bucket="bkt", Key="big", UploadId=upload_id)["Parts"]
    assert [p["PartNumber"] for p in parts] == [1, 2]
    uploads = s3.list_multipart_uploads(Bucket="bkt")["Uploads"]
    assert [u["UploadId"] for u in uploads] == [upload_id]
    pages = list(s3.get_paginator("list_multipart_uploads").paginate(Bucket="bkt"))
    assert [u["Key"] for p in pages for u in p.get("Uploads", [])] == ["big"]
    done = s3.complete_multipart_upload(
        Bucket="bkt", Key="big", UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]},
    )
    assert done["Key"] == "big" and done["ETag"].endswith('-2"')
    data = s3.get_object(Bucket="bkt", Key="big")["Body"].read()
    assert data == part1 + part2


def test_abort_multipart_upload(s3: Any) -> None:
    upload_id = s3.create_multipart_upload(Bucket="bkt", Key="gone")["UploadId"]
    s3.abort_multipart_upload(Bucket="bkt", Key="gone", UploadId=upload_id)
    assert "Uploads" not in s3.list_multipart_uploads(Bucket="bkt")
    with pytest.raises(ClientError) as exc:
        s3.list_parts(Bucket="bkt", Key="gone", UploadId=upload_id)
    assert _code(exc) == "NoSuchUpload"


def test_errors_have_boto3_shape(s3: Any) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket="bkt", Key="missing")
    assert _code(exc) == "NoSuchKey"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert exc.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket="no-such-bucket")
    assert _code(exc) == "NoSuchBucket"
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket="bkt", Key="missing")
    assert _code(exc) == "404"


def test_validation_happens_before_any_request(local_server: LocalServer) -> None:
    s3 = Session(Config(region="us-east-1", endpoint_url=local_server.url,
                        credentials=CREDENTIALS)).client("s3")
    with pytest.raises(ParamValidationError) as exc:
        s3.put_object(Bucket=3, Nope=1)
    message = str(exc.value)
    assert '"Key"' in message and "Bucket" in message and '"Nope"' in message
    assert local_server.requests == []


def test_parameter_validation_can_be_disabled(local_server: LocalServer) -> None:
    local_server.set_default(ok(b""))
    s3 = Session(Config(region="us-east-1", endpoint_url=local_server.url,
                        credentials=CREDENTIALS, parameter_validation=False)).client("s3")
    s3.delete_object(Bucket="b", Key="k", VersionId="v" * 0 or "1")
    assert local_server.requests[-1].path == "/b/k"


def test_presigned_url_works_without_credentials(s3: Any) -> None:
    s3.put_object(Bucket="bkt", Key="shared file", Body=b"presigned")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "shared file"},
                                    ExpiresIn=60)
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
    response = urllib3.request("GET", url)
    assert response.status == 200 and response.data == b"presigned"
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": "bkt", "Key": "up"})
    assert urllib3.request("PUT", put_url, body=b"uploaded").status == 200
    assert s3.get_object(Bucket="bkt", Key="up")["Body"].read() == b"uploaded"


# --------------------------------------------------------------------------- fault server


def _local_s3(server: LocalServer, **settings: Any) -> Any:
    return Session(Config(region="us-east-1", endpoint_url=server.url, credentials=CREDENTIALS,
                          **settings)).client("s3")


_COPY_OK = (b'<?xml version="1.0" encoding="UTF-8"?><CopyObjectResult><ETag>"e"</ETag>'
            b"<LastModified>2024-01-01T00:00:00.000Z</LastModified></CopyObjectResult>")
_ERROR_200 = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code>'
              b"<Message>We encountered an internal error.</Message></Error>")


def test_copy_object_200_with_error_body_is_retried(local_server: LocalServer) -> None:
    local_server.script(ok(_ERROR_200), ok(_COPY_OK))
    s3 = _local_s3(local_server)
    result = s3.copy_object(Bucket="b", Key="k", CopySource="b/src")
    assert result["CopyObjectResult"]["ETag"] == '"e"'
    assert result["ResponseMetadata"]["RetryAttempts"] == 1
    assert len(local_server.requests) == 2
    assert local_server.requests[0].header("x-amz-copy-source") == "b/src"


def test_complete_multipart_200_error_raises_client_error(local_server: LocalServer) -> None:
    local_server.set_default(ok(_ERROR_200))
    s3 = _local_s3(local_server, max_attempts=2)
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(Bucket="b", Key="k", UploadId="u",
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": "e"}]})
    assert _code(exc) == "InternalError"
    assert exc.value.response["ResponseMetadata"]["RetryAttempts"] == 1


def test_streaming_body_returns_connection_when_read(local_server: LocalServer) -> None:
    local_server.set_default(ok(b"z" * 100_000, headers=[("ETag", '"x"')]))
    s3 = _local_s3(local_server)
    for _ in range(5):
        body = s3.get_object(Bucket="b", Key="k")["Body"]
        assert len(b"".join(body.iter_chunks(8192))) == 100_000
        # Read to its end, the connection is back in the pool, but (as any io.IOBase, and so
        # io.TextIOWrapper keeps working) the body only reports closed once closed.
        assert body.read() == b"" and not body.closed
    for _ in range(5):
        with s3.get_object(Bucket="b", Key="k")["Body"] as body:
            body.read()
    assert local_server.connections.accepted == 1


def test_streaming_body_closed_early_drops_its_connection(local_server: LocalServer) -> None:
    local_server.set_default(ok(b"z" * 1_000_000))
    s3 = _local_s3(local_server, max_pool_connections=1, pool_timeout=2)
    for _ in range(3):
        with s3.get_object(Bucket="b", Key="k")["Body"] as body:
            assert body.read(10) == b"z" * 10
    # Each early close discards its connection, so the next request needs a new one, and the
    # single-connection pool never runs dry (no pool_timeout error).
    assert local_server.connections.accepted == 3


def test_truncated_stream_raises(local_server: LocalServer) -> None:
    from hub.errors import ConnectionClosedError
    from tests.servers.responses import truncated

    local_server.set_default(truncated(b"y" * 10_000, sent=5000))
    s3 = _local_s3(local_server)
    body = s3.get_object(Bucket="b", Key="k")["Body"]
    with pytest.raises(ConnectionClosedError):
        body.read()


def test_iter_lines(local_server: LocalServer) -> None:
    local_server.set_default(ok(b"one\ntwo\r\nthree"))
    s3 = _local_s3(local_server)
    lines = list(s3.get_object(Bucket="b", Key="k")["Body"].iter_lines(chunk_size=3))
    assert lines == [b"one", b"two", b"three"]
