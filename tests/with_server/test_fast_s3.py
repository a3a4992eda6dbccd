"""The fast in-memory S3 server's storage (tests/servers/fast_s3.py): pooled buffers that are
reused without corrupting what is still stored, multipart objects kept as segments and read
across them, aws-chunked bodies kept as segments of what was received."""

from __future__ import annotations

import http.client
import os
from typing import Any

import hub
from tests.servers.fast_s3 import FastS3Server

BUCKET = "store"


def _client(url: str) -> Any:
    return hub.Session(hub.Config(region="us-east-1", endpoint_url=url,
                                  credentials=hub.Credentials("a", "b"))).client("s3")


def _get(s3: Any, key: str, spec: str | None = None) -> bytes:
    params = {"Range": spec} if spec else {}
    body: bytes = s3.get_object(Bucket=BUCKET, Key=key, **params)["Body"].read()
    return body


def test_ranges_read_across_the_segments_of_a_multipart_object(fast: FastS3Server) -> None:
    s3 = _client(fast.url)
    parts = [os.urandom(100_000), os.urandom(70_000), b"tail!"]
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="mp")["UploadId"]
    done = [{"PartNumber": n, "ETag": s3.upload_part(Bucket=BUCKET, Key="mp", UploadId=upload,
                                                      PartNumber=n, Body=p)["ETag"]}
            for n, p in enumerate(parts, 1)]
    s3.complete_multipart_upload(Bucket=BUCKET, Key="mp", UploadId=upload,
                                 MultipartUpload={"Parts": done})
    data = b"".join(parts)
    assert _get(s3, "mp") == data
    for spec, want in [("bytes=99990-100009", data[99_990:100_010]),
                       ("bytes=50000-170004", data[50_000:]),
                       ("bytes=169999-", data[169_999:]), ("bytes=-7", data[-7:])]:
        assert _get(s3, "mp", spec) == want
    s3.copy_object(Bucket=BUCKET, Key="copy", CopySource={"Bucket": BUCKET, "Key": "mp"})
    s3.delete_object(Bucket=BUCKET, Key="mp")  # the copy shares its buffers: still whole
    assert _get(s3, "copy") == data


def test_freed_buffers_are_reused_without_touching_stored_objects(fast: FastS3Server) -> None:
    s3 = _client(fast.url)
    first, kept = os.urandom(300_000), os.urandom(300_000)
    s3.put_object(Bucket=BUCKET, Key="first", Body=first)
    s3.put_object(Bucket=BUCKET, Key="kept", Body=kept)
    s3.delete_object(Bucket=BUCKET, Key="first")
    free_before = sum(len(v) for v in fast._pool._free.values())
    assert free_before >= 1  # the deleted object's buffer went back to the pool
    again = os.urandom(300_000)
    s3.put_object(Bucket=BUCKET, Key="again", Body=again)
    assert sum(len(v) for v in fast._pool._free.values()) == free_before - 1  # reused
    assert _get(s3, "kept") == kept and _get(s3, "again") == again
    s3.put_object(Bucket=BUCKET, Key="kept", Body=b"replaced")  # its buffer is freed...
    s3.put_object(Bucket=BUCKET, Key="new", Body=os.urandom(300_000))  # ...and reused
    assert _get(s3, "again") == again and _get(s3, "kept") == b"replaced"


def test_aws_chunked_bodies_are_kept_as_their_chunks_data(fast: FastS3Server) -> None:
    chunks = [os.urandom(70_000), os.urandom(1), os.urandom(90_000)]
    framed = b"".join(b"%x\r\n" % len(c) + c + b"\r\n" for c in chunks)
    framed += b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
    host, port = fast.url.rsplit("/", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("PUT", f"/{BUCKET}/framed", body=framed, headers={
            "Content-Encoding": "aws-chunked", "Content-Length": str(len(framed)),
            "X-Amz-Decoded-Content-Length": str(sum(map(len, chunks)))})
        assert conn.getresponse().read() == b""
        # The same framing inside HTTP chunked transfer, as botocore sends it over https.
        conn.request("PUT", f"/{BUCKET}/both", body=iter([framed[:1000], framed[1000:]]),
                     headers={"Content-Encoding": "aws-chunked",
                              "X-Amz-Decoded-Content-Length": str(sum(map(len, chunks)))},
                     encode_chunked=True)
        assert conn.getresponse().status == 200
    finally:
        conn.close()
    assert fast.object(BUCKET, "framed") == b"".join(chunks)
    assert fast.object(BUCKET, "both") == b"".join(chunks)
