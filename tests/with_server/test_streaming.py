"""A 64 MiB object: multipart upload from a generator, chunked download in bounded memory."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator

import pytest
import urllib3

import hub
from hub import Config, Session

PART = 8 * 1024 * 1024
PARTS = 8


def _parts() -> Iterator[bytes]:
    for n in range(PARTS):
        # Distinct, non-repeating-looking content per part (cheap to make).
        yield hashlib.sha256(str(n).encode()).digest() * (PART // 32)


@pytest.fixture
def moto_process() -> Iterator[str]:
    """moto's server in its own process, so tracemalloc sees only the client's memory (the
    in-process ``moto`` fixture would count the server building the 64 MiB response)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib3.request("GET", url + "/moto-api/", retries=False, timeout=1)
                break
            except urllib3.exceptions.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def test_64_mib_multipart_upload_and_bounded_download(moto_process: str, aws_env: None) -> None:
    session = Session(Config(region="us-east-1", endpoint_url=moto_process,
                             credentials=hub.Credentials("testing", "testing")))
    s3 = session.client("s3")
    s3.create_bucket(Bucket="big")
    upload_id = s3.create_multipart_upload(Bucket="big", Key="obj")["UploadId"]
    expected = hashlib.sha256()
    parts = []
    for number, data in enumerate(_parts(), start=1):
        expected.update(data)
        etag = s3.upload_part(Bucket="big", Key="obj", UploadId=upload_id, PartNumber=number,
                              Body=data)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
        del data
    s3.complete_multipart_upload(Bucket="big", Key="obj", UploadId=upload_id,
                                 MultipartUpload={"Parts": parts})

    tracemalloc.start()
    try:
        response = s3.get_object(Bucket="big", Key="obj")
        assert response["ContentLength"] == PART * PARTS
        actual = hashlib.sha256()
        size = 0
        with response["Body"] as body:
            for chunk in body.iter_chunks(1024 * 1024):
                actual.update(chunk)
                size += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size == PART * PARTS
    assert actual.hexdigest() == expected.hexdigest()
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB while downloading"
