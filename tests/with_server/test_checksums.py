"""Flexible checksums on the wire: what hub sends beside boto3 (local server), aws-chunked
trailers decoded by the server, response validation against a server that corrupts a body or
a checksum, and uploads/multipart with checksums on moto."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import threading
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from hub import Config, Credentials, Session
from hub.checksums import checksum, decode_aws_chunked
from hub.errors import FlexibleChecksumError
from tests.servers.fixtures import HTTPSServer
from tests.servers.local import LocalServer
from tests.servers.moto_server import MotoServer
from tests.servers.responses import RecordedRequest, Response, ok, server_error

boto3 = pytest.importorskip("boto3")
botocore_config = pytest.importorskip("botocore.config")

CREDENTIALS = Credentials("testing", "testing")
# Headers whose values both clients must agree on (the rest: dates, signatures, user agents).
_COMPARED = ("content-length", "content-md5", "content-encoding", "x-amz-content-sha256",
             "x-amz-sdk-checksum-algorithm", "x-amz-trailer", "x-amz-decoded-content-length",
             "x-amz-checksum-mode", "transfer-encoding")


def _hub(url: str, **settings: Any) -> Any:
    return Session(Config(region="us-east-1", endpoint_url=url, credentials=CREDENTIALS,
                          **settings)).client("s3")


def _boto(url: str, **settings: Any) -> Any:
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1",
    ).client("s3", endpoint_url=url, config=botocore_config.Config(
        s3={"addressing_style": "path"}, **settings))


def _wire(request: RecordedRequest) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in request.headers
               if k.lower() in _COMPARED or k.lower().startswith("x-amz-checksum-")}
    return {"method": request.method, "target": request.target, "headers": headers,
            "body": request.body}


def _calls() -> list[tuple[str, dict[str, Any]]]:
    cors = {"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]}
    return [
        ("put_object", {"Bucket": "bkt", "Key": "bytes", "Body": b"hello"}),
        ("put_object", {"Bucket": "bkt", "Key": "file", "Body": io.BytesIO(b"hello file")}),
        ("put_object", {"Bucket": "bkt", "Key": "s", "Body": b"hi", "ChecksumAlgorithm": "SHA256"}),
        ("put_object", {"Bucket": "bkt", "Key": "s1", "Body": io.BytesIO(b"hi"),
                        "ChecksumAlgorithm": "SHA1"}),
        ("put_object", {"Bucket": "bkt", "Key": "md5", "Body": b"hello",
                        "ContentMD5": "XUFAKrxLKna5cZ2REBfFkg=="}),
        ("put_object", {"Bucket": "bkt", "Key": "own", "Body": b"hello",
                        "ChecksumCRC32": "NhCmhg=="}),
        ("put_object", {"Bucket": "bkt", "Key": "empty", "Body": b""}),
        ("upload_part", {"Bucket": "bkt", "Key": "k", "UploadId": "u", "PartNumber": 1,
                         "Body": b"part"}),
        ("delete_objects", {"Bucket": "bkt", "Delete": {"Objects": [{"Key": "a"}]}}),
        ("put_bucket_cors", {"Bucket": "bkt", "CORSConfiguration": cors}),
        ("get_object", {"Bucket": "bkt", "Key": "k"}),
        ("get_object", {"Bucket": "bkt", "Key": "k", "ChecksumMode": "ENABLED"}),
        # More of the model's checksum operations: required with an empty body, a string
        # payload, optional on a non-streaming body.
        ("put_bucket_acl", {"Bucket": "bkt", "ACL": "private"}),
        ("put_bucket_policy", {"Bucket": "bkt", "Policy": '{"Version": "2012-10-17"}'}),
        ("put_object_tagging", {"Bucket": "bkt", "Key": "k",
                                "Tagging": {"TagSet": [{"Key": "a", "Value": "b"}]}}),
        ("restore_object", {"Bucket": "bkt", "Key": "k", "RestoreRequest": {"Days": 1}}),
        ("put_bucket_versioning", {"Bucket": "bkt", "ChecksumAlgorithm": "SHA1",
                                   "VersioningConfiguration": {"Status": "Enabled"}}),
    ]


def _replay(server: LocalServer, client: Any) -> list[dict[str, Any]]:
    server.reset()
    server.set_default(ok(b"<DeleteResult/>"))
    for method, params in _calls():
        params = {k: (io.BytesIO(v.getvalue()) if isinstance(v, io.BytesIO) else v)
                  for k, v in params.items()}
        result = getattr(client, method)(**params)
        if "Body" in result and hasattr(result["Body"], "read"):
            result["Body"].read()
    return [_wire(r) for r in server.requests]


@pytest.mark.parametrize("settings", [
    {},
    {"request_checksum_calculation": "when_required",
     "response_checksum_validation": "when_required"},
], ids=["when_supported", "when_required"])
def test_headers_and_bodies_match_boto3(local_server: LocalServer,
                                        settings: dict[str, str]) -> None:
    theirs = _replay(local_server, _boto(local_server.url, **settings))
    ours = _replay(local_server, _hub(local_server.url, **settings))
    assert len(ours) == len(theirs) == len(_calls())
    for call, want, got in zip(_calls(), theirs, ours, strict=True):
        assert got == want, call[0]
    if not settings:  # the defaults: CRC32 on uploads, ChecksumMode on downloads
        assert ours[0]["headers"]["x-amz-checksum-crc32"] == checksum("CRC32", b"hello")
        assert ours[10]["headers"]["x-amz-checksum-mode"] == "ENABLED"
    else:  # only the checksum-required calls (DeleteObjects, PutBucketCors) carry one
        carrying = [i for i, w in enumerate(ours)
                    if any(h.startswith("x-amz-checksum-") and h != "x-amz-checksum-mode"
                           for h in w["headers"])]
        # chosen algorithms, the caller's value, the required ones (not RestoreObject's)
        assert carrying == [2, 3, 5, 8, 9, 12, 13, 14, 16]


def test_crc32c_and_crc64nvme_are_computed(local_server: LocalServer) -> None:
    local_server.set_default(ok(b""))
    s3 = _hub(local_server.url)
    s3.put_object(Bucket="bkt", Key="c", Body=b"hello", ChecksumAlgorithm="CRC32C")
    s3.put_object(Bucket="bkt", Key="n", Body=io.BytesIO(b"hello"),
                  ChecksumAlgorithm="crc64nvme")
    crc32c, nvme = local_server.requests
    assert crc32c.header("x-amz-checksum-crc32c") == "mnG7TA=="
    assert crc32c.header("x-amz-sdk-checksum-algorithm") == "CRC32C"
    assert nvme.header("x-amz-checksum-crc64nvme") == checksum("CRC64NVME", b"hello")


def test_unknown_algorithm_is_refused_before_sending(local_server: LocalServer) -> None:
    s3 = _hub(local_server.url)
    with pytest.raises(FlexibleChecksumError, match="ChecksumAlgorithm") as info:
        s3.put_object(Bucket="bkt", Key="k", Body=b"x", ChecksumAlgorithm="MD5")
    assert info.value.operation == "PutObject"
    assert local_server.requests == []


def _sent_exactly(server: LocalServer, data: bytes) -> None:
    """The last request carried ``data``, with its CRC32 header and its SHA-256 signed."""
    sent = server.requests[-1]
    assert sent.body == data
    assert sent.header("x-amz-checksum-crc32") == checksum("CRC32", data)
    assert sent.header("X-Amz-Content-SHA256") == hashlib.sha256(data).hexdigest()


def test_file_body_over_http_is_read_once_for_checksum_and_signature(
        local_server: LocalServer) -> None:
    local_server.set_default(ok(b""))
    data = os.urandom(300_000)

    class CountingFile(io.BytesIO):
        reads = 0

        def read(self, size: int | None = -1) -> bytes:
            chunk = super().read(size)
            if chunk:
                CountingFile.reads += len(chunk)
            return chunk

    _hub(local_server.url).put_object(Bucket="bkt", Key="f", Body=CountingFile(data))
    _sent_exactly(local_server, data)
    assert CountingFile.reads == 2 * len(data)  # one pass for both hashes, one to send


@pytest.mark.parametrize("size", [10, 3 * 1024 * 1024 + 17])
def test_a_bytes_io_body_is_checksummed_in_place_from_its_position(
        local_server: LocalServer, size: int) -> None:
    # A BytesIO is checksummed and hashed where its bytes lie (no reads): the values must
    # still cover exactly what is sent from the caller's position, and the BytesIO must stay
    # usable (no buffer export left behind).
    local_server.set_default(ok(b""))
    data = os.urandom(size)
    body = io.BytesIO()
    body.write(data)  # written, not made from bytes: its own buffer
    body.seek(7)
    _hub(local_server.url).put_object(Bucket="bkt", Key="f", Body=body)
    _sent_exactly(local_server, data[7:])
    body.write(b"more")  # still writable and resizable
    assert body.getvalue() == data + b"more"


def test_a_file_from_open_is_checksummed_from_its_position(local_server: LocalServer,
                                                           tmp_path: Any) -> None:
    # open()'s BufferedReader is read into one buffer (readinto); the values must cover
    # exactly what is sent from the caller's position.
    local_server.set_default(ok(b""))
    data = os.urandom(2 * 1024 * 1024 + 999)
    path = tmp_path / "body"
    path.write_bytes(data)
    with open(path, "rb") as body:
        body.seek(4321)
        _hub(local_server.url).put_object(Bucket="bkt", Key="f", Body=body)
    _sent_exactly(local_server, data[4321:])


def test_a_file_subclass_is_read_with_its_own_read(local_server: LocalServer,
                                                   tmp_path: Any) -> None:
    # A subclass may override read() alone: the checksum must cover what read() gives, which
    # is what the send reads.
    local_server.set_default(ok(b""))
    path = tmp_path / "body"
    path.write_bytes(b"abc" * 100_000)

    class Upper(io.FileIO):
        def read(self, size: int = -1) -> bytes:  # type: ignore[override]
            return super().read(size).upper()

    with Upper(path, "rb") as body:
        _hub(local_server.url).put_object(Bucket="bkt", Key="f", Body=body)
    sent = local_server.requests[-1]
    assert sent.body == b"ABC" * 100_000
    assert sent.header("x-amz-checksum-crc32") == checksum("CRC32", sent.body)


def test_a_file_the_helper_cannot_take_is_checksummed_inline(
        local_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # zlib, a helper free, but a body that is no regular file: its blocks are checksummed on
    # this thread (handing them over one by one measured slower), none goes to the helper.
    from hub import _checksum_offload as offload
    from hub import checksums as checksums_module

    monkeypatch.setattr(checksums_module, "_native", {"CRC32": None})
    pool = offload._Pool(1, "test-inline-crc")
    submitted: list[object] = []
    real_submit = pool.submit

    def submit(job: Any) -> bool:
        submitted.append(job)
        return real_submit(job)

    monkeypatch.setattr(pool, "submit", submit)
    monkeypatch.setattr(offload, "_POOL", pool)
    local_server.set_default(ok(b""))
    data = os.urandom(3 * 1024 * 1024)

    class NotAFile(io.BytesIO):  # a subclass: read() block by block, like any file object
        pass

    _hub(local_server.url).put_object(Bucket="bkt", Key="f", Body=NotAFile(data))
    sent = local_server.requests[-1]
    assert sent.body == data
    assert sent.header("x-amz-checksum-crc32") == checksum("CRC32", data)
    assert submitted == []


def test_a_file_bodys_zlib_crc_from_a_helper_matches_what_is_sent(
        local_server: LocalServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The default install (zlib) checksums a regular file on a helper thread that reads the
    # file itself, from the caller's position, while the caller hashes it for the signature.
    from hub import _checksum_offload as offload
    from hub import checksums as checksums_module

    monkeypatch.setattr(checksums_module, "_native", {"CRC32": None})
    monkeypatch.setattr(offload, "_POOL", offload._Pool(1, "test-file-crc"))
    helper_reads: list[str] = []
    real_preadv = os.preadv

    def preadv(fd: int, buffers: Any, offset: int) -> int:
        helper_reads.append(threading.current_thread().name)
        return real_preadv(fd, buffers, offset)

    monkeypatch.setattr(os, "preadv", preadv)
    local_server.set_default(ok(b""))
    data = os.urandom(3 * 1024 * 1024 + 4321)
    path = tmp_path / "body"
    path.write_bytes(data)
    s3 = _hub(local_server.url)
    with open(path, "rb") as body:
        body.seek(12345)
        s3.put_object(Bucket="bkt", Key="f", Body=body)
    _sent_exactly(local_server, data[12345:])
    assert helper_reads and set(helper_reads) == {"test-file-crc"}


# --------------------------------------------------------------------------- trailers

def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA256", "SHA1", "CRC64NVME"])
def test_unseekable_stream_goes_aws_chunked_with_a_trailer(local_server: LocalServer,
                                                           algorithm: str) -> None:
    local_server.set_default(ok(b""))
    data = os.urandom(200_000)
    _hub(local_server.url).put_object(Bucket="bkt", Key="g", Body=_chunks(data, 70_000),
                                      ChecksumAlgorithm=algorithm)
    sent = local_server.requests[-1]
    assert sent.header("Content-Encoding") == "aws-chunked"
    assert sent.header("Transfer-Encoding") == "chunked"  # length unknown to hub
    assert sent.header("X-Amz-Content-SHA256") == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    name = f"x-amz-checksum-{algorithm.lower()}"
    assert sent.header("X-Amz-Trailer") == name
    assert sent.header(name) is None and sent.header("x-amz-decoded-content-length") is None
    payload, trailers = decode_aws_chunked(sent.body)  # the server's view, de-chunked first
    assert payload == data and trailers == {name: checksum(algorithm, data)}
    assert "x-amz-content-sha256;" in (sent.header("Authorization") or "")


def test_pipe_with_content_length_sends_the_decoded_length(local_server: LocalServer) -> None:
    local_server.set_default(ok(b""))
    read_fd, write_fd = os.pipe()
    with os.fdopen(write_fd, "wb") as writer:
        writer.write(b"from a pipe")
    with os.fdopen(read_fd, "rb") as pipe:
        _hub(local_server.url).put_object(Bucket="bkt", Key="p", Body=pipe, ContentLength=11)
    sent = local_server.requests[-1]
    assert sent.header("x-amz-decoded-content-length") == "11"
    assert sent.header("Content-Length") is None
    assert decode_aws_chunked(sent.body) == (
        b"from a pipe", {"x-amz-checksum-crc32": checksum("CRC32", b"from a pipe")})


@pytest.mark.parametrize("signing", [True, False])
def test_payload_signing_setting_matches_botocores(signing: bool,
                                                   local_server: LocalServer) -> None:
    # botocore's s3={"payload_signing_enabled": ...} is hub's s3_payload_signing_enabled:
    # over http the same headers (x-amz-content-sha256 among them) and bodies for every call.
    theirs = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1",
    ).client("s3", endpoint_url=local_server.url, config=botocore_config.Config(
        s3={"addressing_style": "path", "payload_signing_enabled": signing}))
    ours = _hub(local_server.url, s3_payload_signing_enabled=signing)
    want, got = _replay(local_server, theirs), _replay(local_server, ours)
    for call, their, our in zip(_calls(), want, got, strict=True):
        assert our == their, call[0]
    hashes = {w["headers"]["x-amz-content-sha256"] for w in got}
    assert hashes == {"UNSIGNED-PAYLOAD"} if not signing else "UNSIGNED-PAYLOAD" not in hashes


@pytest.mark.parametrize("signing", [None, True, False])
def test_payload_signing_setting_over_https(signing: bool | None,
                                            https_server: HTTPSServer) -> None:
    # Over https a body framed with a trailer is never signed (botocore's rule, whatever the
    # setting); otherwise True signs what the default leaves unsigned (a body whose checksum
    # the caller gave, a stream sent without a checksum) and False signs nothing.
    https_server.set_default(ok(b""))
    data = b"payload" * 1000
    s3 = _hub(https_server.url, verify=https_server.ca_bundle,
              s3_payload_signing_enabled=signing)
    s3.put_object(Bucket="bkt", Key="own", Body=data, ChecksumCRC32=checksum("CRC32", data))
    s3.put_object(Bucket="bkt", Key="file", Body=io.BytesIO(data))
    Session(Config(region="us-east-1", endpoint_url=https_server.url, credentials=CREDENTIALS,
                   verify=https_server.ca_bundle, s3_payload_signing_enabled=signing,
                   request_checksum_calculation="when_required")).client("s3").put_object(
        Bucket="bkt", Key="bare", Body=io.BytesIO(data))
    s3.get_object(Bucket="bkt", Key="own")["Body"].read()
    own, file, bare, get = (r.header("x-amz-content-sha256") for r in https_server.requests)
    assert file == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    signed = hashlib.sha256(data).hexdigest()
    if signing is True:
        assert (own, bare, get) == (signed, signed, hashlib.sha256(b"").hexdigest())
    elif signing is False:
        assert (own, bare, get) == ("UNSIGNED-PAYLOAD",) * 3
    else:
        assert (own, bare, get) == ("UNSIGNED-PAYLOAD", "UNSIGNED-PAYLOAD",
                                    hashlib.sha256(b"").hexdigest())


def test_file_over_https_uses_the_trailer_and_rewinds_on_retry(
        https_server: HTTPSServer) -> None:
    https_server.script(server_error(), ok(b""))
    data = os.urandom(150_000)
    body = io.BytesIO(b"skip" + data)
    body.seek(4)
    s3 = _hub(https_server.url, verify=https_server.ca_bundle)
    s3.put_object(Bucket="bkt", Key="t", Body=body)
    first, second = https_server.requests
    assert first.body == second.body  # the retry sent the same framed body again
    assert second.header("x-amz-decoded-content-length") == str(len(data))
    assert second.header("Content-Length") == str(len(second.body))  # framed length, exact
    assert second.header("X-Amz-Content-SHA256") == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert decode_aws_chunked(second.body) == (data, {"x-amz-checksum-crc32":
                                                      checksum("CRC32", data)})


def test_bytes_over_https_send_the_checksum_instead_of_a_body_hash(
        https_server: HTTPSServer) -> None:
    https_server.set_default(ok(b"<DeleteResult/>"))
    s3 = _hub(https_server.url, verify=https_server.ca_bundle)
    s3.put_object(Bucket="bkt", Key="b", Body=b"hello")
    s3.delete_objects(Bucket="bkt", Delete={"Objects": [{"Key": "a"}]})
    put, delete = https_server.requests
    # botocore's S3 rule: TLS plus a checksum header on a streaming-input operation make
    # the SHA-256 of the body redundant; other operations still sign their body.
    assert put.header("x-amz-checksum-crc32") == checksum("CRC32", b"hello")
    assert put.header("X-Amz-Content-SHA256") == "UNSIGNED-PAYLOAD" and put.body == b"hello"
    assert delete.header("X-Amz-Content-SHA256") == hashlib.sha256(delete.body).hexdigest()


def test_large_bodies_hash_is_the_signers(local_server: LocalServer) -> None:
    local_server.set_default(ok(b""))
    data = os.urandom(5 * 1024 * 1024)
    s3 = _hub(local_server.url)
    s3.put_object(Bucket="bkt", Key="big", Body=data)
    s3.put_object(Bucket="bkt", Key="big", Body=io.BytesIO(data))  # file: one pass, both
    for sent in local_server.requests:
        assert sent.body == data
        assert sent.header("X-Amz-Content-SHA256") == hashlib.sha256(data).hexdigest()
        assert sent.header("x-amz-checksum-crc32") == checksum("CRC32", data)


@pytest.mark.parametrize("kind", ["bytes", "file"])
def test_large_bodies_headers_match_boto3(local_server: LocalServer, kind: str) -> None:
    # Past the size where hub computes the CRC32 on a helper thread and, for bytes, the
    # SHA-256 in the checksum's pass: the wire must not change.
    local_server.set_default(ok(b""))
    data = os.urandom(3 * 1024 * 1024 + 5)
    sent = []
    for client in (_boto(local_server.url), _hub(local_server.url)):
        local_server.reset()
        local_server.set_default(ok(b""))
        client.put_object(Bucket="bkt", Key="k",
                          Body=data if kind == "bytes" else io.BytesIO(data))
        sent.append(_wire(local_server.requests[-1]))
    theirs, ours = sent
    assert ours == theirs
    assert ours["headers"]["x-amz-checksum-crc32"] == checksum("CRC32", data)
    assert ours["headers"]["x-amz-content-sha256"] == hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- validation

_BODY = b"0123456789" * 10


def _object(body: bytes, **headers: str) -> Response:
    return ok(body, headers=tuple(headers.items()))


def test_good_response_checksum_passes_and_is_reported(local_server: LocalServer) -> None:
    local_server.set_default(_object(_BODY, **{"x-amz-checksum-crc32": checksum("CRC32", _BODY)}))
    got = _hub(local_server.url).get_object(Bucket="bkt", Key="k")
    assert got["Body"].read() == _BODY
    assert got["ResponseMetadata"]["ChecksumAlgorithm"] == "crc32"
    assert got["ChecksumCRC32"] == checksum("CRC32", _BODY)


@pytest.mark.parametrize("damage", ["body", "checksum"])
def test_damaged_response_raises_and_is_never_returned_whole(local_server: LocalServer,
                                                             damage: str) -> None:
    good = checksum("SHA256", _BODY)
    sent = good if damage == "body" else checksum("SHA256", b"other")
    response = _object(_BODY[:-1] + b"X" if damage == "body" else _BODY,
                       **{"x-amz-checksum-sha256": sent})
    local_server.set_default(response)
    got = _hub(local_server.url).get_object(Bucket="bkt", Key="k")
    with pytest.raises(FlexibleChecksumError) as info:
        got["Body"].read()
    error = info.value
    assert error.algorithm == "SHA256" and error.operation == "GetObject"
    assert error.expected == sent
    assert error.computed is not None and error.computed != error.expected
    assert "SHA256" in str(error) and error.computed in str(error)


def test_chunked_reader_sees_all_but_the_last_chunk(local_server: LocalServer) -> None:
    local_server.set_default(_object(_BODY, **{"x-amz-checksum-crc32": "AAAAAA=="}))
    body = _hub(local_server.url).get_object(Bucket="bkt", Key="k")["Body"]
    seen = [body.read(30), body.read(30), body.read(30)]
    assert b"".join(seen) == _BODY[:90]
    with pytest.raises(FlexibleChecksumError):
        body.read(30)  # the read that reaches the end raises instead of returning 10 bytes
    assert body.read() == b""


def test_buffered_read_all_raises(local_server: LocalServer) -> None:
    local_server.set_default(_object(_BODY, **{"x-amz-checksum-crc32c": "AAAAAA=="}))
    body = _hub(local_server.url).get_object(Bucket="bkt", Key="k")["Body"]
    with pytest.raises(FlexibleChecksumError, match="CRC32C"):
        body.read()


def test_composite_and_unrequested_checksums_are_not_validated(
        local_server: LocalServer) -> None:
    local_server.script(_object(_BODY, **{"x-amz-checksum-crc32": "AAAAAA==-3"}),
                        _object(_BODY, **{"x-amz-checksum-crc32": "AAAAAA=="}))
    got = _hub(local_server.url).get_object(Bucket="bkt", Key="k")
    assert got["Body"].read() == _BODY  # a multipart composite value: skipped, as boto3
    assert "ChecksumAlgorithm" not in got["ResponseMetadata"]
    relaxed = _hub(local_server.url, response_checksum_validation="when_required")
    assert relaxed.get_object(Bucket="bkt", Key="k")["Body"].read() == _BODY
    assert local_server.requests[-1].header("x-amz-checksum-mode") is None


def test_boto3_raises_on_the_same_bad_checksum(local_server: LocalServer) -> None:
    local_server.set_default(_object(_BODY, **{"x-amz-checksum-crc32": "AAAAAA=="}))
    from botocore.exceptions import FlexibleChecksumError as BotoChecksumError

    with pytest.raises(BotoChecksumError):
        _boto(local_server.url).get_object(Bucket="bkt", Key="k")["Body"].read()


# --------------------------------------------------------------------------- moto

@pytest.fixture
def s3(moto: MotoServer) -> Any:
    client = _hub(moto.url)
    client.create_bucket(Bucket="bkt")
    return client


def test_seven_integrity_cases_on_moto(s3: Any) -> None:
    data = b"integrity" * 1000
    crc = checksum("CRC32", data)
    assert s3.put_object(Bucket="bkt", Key="bytes", Body=data)["ChecksumCRC32"] == crc
    assert s3.put_object(Bucket="bkt", Key="file", Body=io.BytesIO(data))["ChecksumCRC32"] == crc
    stream = s3.put_object(Bucket="bkt", Key="stream", Body=_chunks(data, 1000))
    assert stream["ChecksumCRC32"] == crc
    sha = s3.put_object(Bucket="bkt", Key="sha", Body=data, ChecksumAlgorithm="SHA256")
    assert sha["ChecksumSHA256"] == checksum("SHA256", data)
    c = s3.put_object(Bucket="bkt", Key="c", Body=data, ChecksumAlgorithm="CRC32C")
    assert c["ChecksumCRC32C"] == checksum("CRC32C", data)
    for key in ("bytes", "file", "stream", "sha", "c"):
        got = s3.get_object(Bucket="bkt", Key=key)
        assert got["Body"].read() == data
        assert got["ResponseMetadata"]["ChecksumAlgorithm"] in ("crc32", "sha256", "crc32c")


def test_multipart_with_checksums_on_moto(s3: Any) -> None:
    upload = s3.create_multipart_upload(Bucket="bkt", Key="m", ChecksumAlgorithm="SHA256")
    parts_data = [os.urandom(5 * 1024 * 1024), b"tail"]
    parts = []
    for number, data in enumerate(parts_data, 1):
        result = s3.upload_part(Bucket="bkt", Key="m", UploadId=upload["UploadId"],
                                PartNumber=number, Body=data, ChecksumAlgorithm="SHA256")
        assert result["ChecksumSHA256"] == checksum("SHA256", data)
        # As with boto3, the caller passes each part's checksum back in the completion.
        parts.append({"ETag": result["ETag"], "PartNumber": number,
                      "ChecksumSHA256": result["ChecksumSHA256"]})
    s3.complete_multipart_upload(Bucket="bkt", Key="m", UploadId=upload["UploadId"],
                                 MultipartUpload={"Parts": parts})
    got = s3.get_object(Bucket="bkt", Key="m")
    # The checksum of the part checksums, "-2": a composite value, not validated (as boto3).
    composite = checksum("SHA256", b"".join(hashlib.sha256(d).digest() for d in parts_data))
    assert got["ChecksumSHA256"] == f"{composite}-2"
    assert "ChecksumAlgorithm" not in got["ResponseMetadata"]
    assert got["Body"].read() == b"".join(parts_data)


def test_crc32_default_values_equal_boto3s_on_moto(s3: Any, moto: MotoServer) -> None:
    boto = _boto(moto.url)
    ours = s3.put_object(Bucket="bkt", Key="a", Body=b"same")
    theirs = boto.put_object(Bucket="bkt", Key="b", Body=b"same")
    assert ours["ChecksumCRC32"] == theirs["ChecksumCRC32"] == checksum("CRC32", b"same")
    assert ours["ChecksumCRC32"] == base64.b64encode(zlib.crc32(b"same").to_bytes(4, "big")
                                                     ).decode()


def test_transfer_manager_part_checksums_on_moto(s3: Any) -> None:
    from hub.checksums import PartChecksums
    from hub.transfer import TransferConfig, TransferManager

    data = os.urandom(11 * 1024 * 1024)
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024,
                            multipart_chunksize=5 * 1024 * 1024)
    with TransferManager(s3, config, checksum=PartChecksums("SHA256")) as manager:
        future = manager.upload(io.BytesIO(data), "bkt", "big")
    future.result()
    parts = [data[i:i + 5 * 1024 * 1024] for i in range(0, len(data), 5 * 1024 * 1024)]
    composite = checksum("SHA256", b"".join(hashlib.sha256(p).digest() for p in parts))
    got = s3.get_object(Bucket="bkt", Key="big")
    assert got["ChecksumSHA256"] == f"{composite}-3"
    assert got["Body"].read() == data


# --------------------------------------------------------------------------- managed downloads

@pytest.mark.parametrize("size", [3000, 3 * 1024 * 1024])
@pytest.mark.parametrize("damage", [None, "body", "checksum"])
def test_small_download_file_is_validated_like_boto3s(local_server: LocalServer,
                                                      tmp_path: Any, damage: str | None,
                                                      size: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # An object up to multipart_threshold comes in one plain GET (no Range: S3 sends no
    # checksum for a range), so its checksum is checked as boto3's download_file checks it;
    # also when the body is large enough for hub.transfer's reader threads to read it.
    from hub.transfer import _pump

    handed: list[int] = []
    drain = _pump.pump.drain
    monkeypatch.setattr(_pump.pump, "drain",
                        lambda body, *args: handed.append(1) or drain(body, *args))
    body = os.urandom(size)
    sent = checksum("CRC32", b"other" if damage == "checksum" else body)
    wire = body[:-1] + bytes([body[-1] ^ 1]) if damage == "body" else body
    local_server.set_default(_object(wire, **{"x-amz-checksum-crc32": sent, "ETag": '"e"'}))
    target = tmp_path / "got.bin"
    client = _hub(local_server.url)
    if damage is None:
        client.download_file("bkt", "k", str(target))
        assert target.read_bytes() == body
    else:
        with pytest.raises(FlexibleChecksumError) as info:
            client.download_file("bkt", "k", str(target))
        assert info.value.algorithm == "CRC32" and info.value.expected == sent
        assert os.listdir(tmp_path) == []  # neither the file nor a temporary one
    (request,) = local_server.requests
    assert request.header("Range") is None
    assert request.header("x-amz-checksum-mode") == "ENABLED"
    assert handed == ([1] if size > 1024 * 1024 else [])


def test_downloads_after_a_plain_first_get_round_trip_on_moto(
        s3: Any, moto: MotoServer, tmp_path: Any) -> None:
    from hub.transfer import TransferConfig

    config = TransferConfig(multipart_threshold=5 * 1024 * 1024,
                            multipart_chunksize=5 * 1024 * 1024)
    small, large = os.urandom(100_000), os.urandom(11 * 1024 * 1024)
    s3.put_object(Bucket="bkt", Key="small", Body=small, ChecksumAlgorithm="SHA256")
    s3.upload_fileobj(io.BytesIO(large), "bkt", "large", Config=config)
    s3.download_file("bkt", "small", str(tmp_path / "small"), Config=config)
    s3.download_file("bkt", "large", str(tmp_path / "large"), Config=config)
    assert (tmp_path / "small").read_bytes() == small
    assert (tmp_path / "large").read_bytes() == large
