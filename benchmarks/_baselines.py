"""Floors and comparison points measured in the same run as hub.

Each function here is a factory: called once (setup, not timed), it returns a zero-argument
callable that performs exactly one operation (timed). Factories that talk HTTP take the base
URL of the fast responder (``_servers.FastResponder``), whose canned answers make the client
the dominant cost.

- ``slots_object``: the cheapest Python object creation; "nearly free" client creation is
  judged against it.
- ``urllib3_get`` / ``urllib3_put``: a raw round-trip through one shared ``PoolManager``; no
  SDK can beat it, so it is the floor for a request.
- ``boto3_*``: what users compare hub with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = [
    "BOTO3_CREDENTIALS",
    "boto3_client",
    "boto3_client_creation",
    "boto3_get_item",
    "boto3_get_object",
    "boto3_put_item",
    "boto3_put_object",
    "floors",
    "slots_object",
    "urllib3_get",
    "urllib3_pool",
    "urllib3_put",
]

Op = Callable[[], object]

#: Static dummy credentials so boto3 never searches the environment, files or IMDS.
BOTO3_CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}

BUCKET = "bench-bucket"
KEY = "bench-key"
TABLE = "bench-table"
SMALL_BODY = b"b" * 256


class _Slotted:
    __slots__ = ("a",)

    def __init__(self, a: object) -> None:
        self.a = a


def slots_object() -> Op:
    """Creating one object of a class with ``__slots__ = ("a",)`` and an ``__init__``."""
    cls = _Slotted
    return lambda: cls(None)


# --------------------------------------------------------------------------- urllib3


def urllib3_pool(maxsize: int = 32) -> Any:
    """A ``PoolManager`` sized for the thread counts benchmarks use (no retries)."""
    import urllib3

    return urllib3.PoolManager(maxsize=maxsize, retries=False, timeout=urllib3.Timeout(10.0))


def urllib3_get(base_url: str, *, pool: Any = None) -> Op:
    """``GET /bucket/key`` through a shared ``PoolManager``, body fully read."""
    http = pool if pool is not None else urllib3_pool()
    url = f"{base_url}/{BUCKET}/{KEY}"

    def op() -> object:
        return http.request("GET", url).data

    return op


def urllib3_put(base_url: str, *, pool: Any = None, body: bytes = SMALL_BODY) -> Op:
    """``PUT /bucket/key`` with a small body through a shared ``PoolManager``."""
    http = pool if pool is not None else urllib3_pool()
    url = f"{base_url}/{BUCKET}/{KEY}"

    def op() -> object:
        return http.request("PUT", url, body=body).status

    return op


def urllib3_dynamodb(base_url: str, operation: str, payload: dict[str, Any], *,
                     pool: Any = None) -> Op:
    """A raw DynamoDB JSON call (``POST /`` with ``X-Amz-Target``): no signing, no parsing.

    The same request body and the same canned response as the clients get, so the floor pays
    the same bytes on the wire; only the client-side work (validation, signing, parsing) is
    missing.
    """
    import json

    http = pool if pool is not None else urllib3_pool()
    url = f"{base_url}/"
    body = json.dumps(payload).encode()
    headers = {"X-Amz-Target": f"DynamoDB_20120810.{operation}",
               "Content-Type": "application/x-amz-json-1.0"}

    def op() -> object:
        return http.request("POST", url, body=body, headers=headers).data

    return op


def urllib3_json(base_url: str, target: str, payload: dict[str, Any], *,
                 pool: Any = None) -> Op:
    """A raw JSON-protocol call (SQS: ``X-Amz-Target: AmazonSQS.SendMessage``), unsigned and
    unparsed: the floor for a JSON service."""
    import json

    http = pool if pool is not None else urllib3_pool()
    url, body = f"{base_url}/", json.dumps(payload).encode()
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"}

    def op() -> object:
        return http.request("POST", url, body=body, headers=headers).data

    return op


def urllib3_form(base_url: str, form: str, *, pool: Any = None) -> Op:
    """A raw query-protocol call (a form POST, as STS gets), unsigned and unparsed."""
    http = pool if pool is not None else urllib3_pool()
    url, body = f"{base_url}/", form.encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}

    def op() -> object:
        return http.request("POST", url, body=body, headers=headers).data

    return op


# --------------------------------------------------------------------------- boto3


def boto3_client(
    service: str, endpoint_url: str, *, max_pool_connections: int = 32, **config: Any
) -> Any:
    """A warm boto3 client for ``service`` at ``endpoint_url`` (one already-made call path).

    Args:
        service: ``"s3"``, ``"dynamodb"``, ...
        endpoint_url: Base URL of the server.
        max_pool_connections: Pool size, so thread-scaling runs do not churn sockets.
        **config: Extra ``botocore.config.Config`` options.
    """
    import boto3
    from botocore.config import Config

    cfg = Config(max_pool_connections=max_pool_connections, retries={"mode": "standard"}, **config)
    session = boto3.session.Session()
    return session.client(service, endpoint_url=endpoint_url, config=cfg, **BOTO3_CREDENTIALS)


def boto3_client_creation(endpoint_url: str, service: str = "s3") -> Op:
    """Creating a client from a warm ``boto3.session.Session`` (loaders already cached)."""
    import boto3

    session = boto3.session.Session()
    kwargs = {"endpoint_url": endpoint_url, **BOTO3_CREDENTIALS}
    session.client(service, **kwargs)  # warm: models loaded, caches filled

    def op() -> object:
        return session.client(service, **kwargs)

    return op


def boto3_get_object(endpoint_url: str, *, client: Any = None) -> Op:
    """S3 ``get_object`` with the body read (so the connection returns to the pool)."""
    s3 = client if client is not None else boto3_client("s3", endpoint_url)

    def op() -> object:
        return s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read()

    op()
    return op


def boto3_put_object(endpoint_url: str, *, client: Any = None, body: bytes = SMALL_BODY) -> Op:
    """S3 ``put_object`` with a small body."""
    s3 = client if client is not None else boto3_client("s3", endpoint_url)

    def op() -> object:
        return s3.put_object(Bucket=BUCKET, Key=KEY, Body=body)

    op()
    return op


def boto3_get_item(endpoint_url: str, *, client: Any = None) -> Op:
    """DynamoDB ``get_item`` of one small item."""
    ddb = client if client is not None else boto3_client("dynamodb", endpoint_url)
    key = {"pk": {"S": KEY}}

    def op() -> object:
        return ddb.get_item(TableName=TABLE, Key=key)

    op()
    return op


def boto3_put_item(endpoint_url: str, *, client: Any = None) -> Op:
    """DynamoDB ``put_item`` of one small item."""
    ddb = client if client is not None else boto3_client("dynamodb", endpoint_url)
    item = {"pk": {"S": KEY}, "value": {"S": "v" * 64}, "n": {"N": "42"}}

    def op() -> object:
        return ddb.put_item(TableName=TABLE, Item=item)

    op()
    return op


def floors(base_url: str, *, include_boto3: bool = True) -> dict[str, Callable[[], Op]]:
    """Every baseline as ``name -> factory()``, bound to the fast responder at ``base_url``.

    Each factory call builds its own pool or client. ``_harness.measure_threads`` calls its
    factory once per thread; to measure threads *sharing* one pool or client (as an
    application would), build the op once and pass ``lambda: op``.
    """
    table: dict[str, Callable[[], Op]] = {
        "slots_object": slots_object,
        "urllib3_get": lambda: urllib3_get(base_url),
        "urllib3_put": lambda: urllib3_put(base_url),
    }
    if include_boto3:
        table.update(
            {
                "boto3_client_creation": lambda: boto3_client_creation(base_url),
                "boto3_get_object": lambda: boto3_get_object(base_url),
                "boto3_put_object": lambda: boto3_put_object(base_url),
                "boto3_get_item": lambda: boto3_get_item(base_url),
                "boto3_put_item": lambda: boto3_put_item(base_url),
            }
        )
    return table
