"""Benchmark: per-request client-side cost of hub vs boto3, with raw urllib3 as the floor.

Usage::

    python3 benchmarks/bench_requests.py [--quick] [--moto] [--json PATH] [--profile]

Scenarios: S3 ``get_object`` (1 KiB body read) and ``put_object`` (256 B), DynamoDB
``get_item`` and ``put_item``, SQS ``send_message``/``receive_message`` (256 B body, MD5
checked by hub) and STS ``get_caller_identity`` (query protocol, XML), against the fast
canned-response server (``_servers.FastResponder``, in a child process) so client work
dominates. Cases run interleaved round by round (``_harness.interleave``), so machine noise
hits them alike. The floor is a raw urllib3 round-trip (``_baselines.urllib3_*``: no signing,
no parsing); hub and boto3 sign with SigV4, serialize, validate and parse. ``--moto`` adds a
run against moto's server.
``--profile`` prints a cProfile of hub's get_object hot path.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _baselines
from _harness import Progress, Result, interleave, print_table, write_json
from _servers import SQS_BODY, fast_responder

import hub

Op = Callable[[], object]
_CREDENTIALS = hub.Credentials("testing", "testing")
_ITEM = {"pk": {"S": _baselines.KEY}, "value": {"S": "v" * 64}, "n": {"N": "42"}}


def hub_session(endpoint_url: str) -> hub.Session:
    """A hub session for the benchmark endpoint (static credentials, standard retries)."""
    return hub.Session(hub.Config(region="us-east-1", endpoint_url=endpoint_url,
                                  credentials=_CREDENTIALS, max_pool_connections=32))


def hub_cases(endpoint_url: str) -> dict[str, Op]:
    """hub's four operations, warmed once each."""
    session = hub_session(endpoint_url)
    s3 = session.client("s3")
    ddb = session.client("dynamodb")
    bucket, key, body = _baselines.BUCKET, _baselines.KEY, _baselines.SMALL_BODY
    table, item = _baselines.TABLE, _ITEM
    get_key = {"pk": {"S": key}}

    def get_object() -> object:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def put_object() -> object:
        return s3.put_object(Bucket=bucket, Key=key, Body=body)

    def get_item() -> object:
        return ddb.get_item(TableName=table, Key=get_key)

    def put_item() -> object:
        return ddb.put_item(TableName=table, Item=item)

    sqs, sts = session.client("sqs"), session.client("sts")
    queue = f"{endpoint_url}/123456789012/bench"

    def send_message() -> object:
        return sqs.send_message(QueueUrl=queue, MessageBody=SQS_BODY)

    def receive_message() -> object:
        return sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1)

    def get_caller_identity() -> object:
        return sts.get_caller_identity()

    cases: dict[str, Op] = {"s3.get_object": get_object, "s3.put_object": put_object,
                            "dynamodb.get_item": get_item, "dynamodb.put_item": put_item,
                            "sqs.send_message": send_message,
                            "sqs.receive_message": receive_message,
                            "sts.get_caller_identity": get_caller_identity}
    for op in cases.values():
        op()
    return cases


def boto3_cases(endpoint_url: str) -> dict[str, Op] | None:
    """boto3's four operations (None when boto3 is not installed)."""
    try:
        s3 = _baselines.boto3_client("s3", endpoint_url)
        ddb = _baselines.boto3_client("dynamodb", endpoint_url)
        sqs = _baselines.boto3_client("sqs", endpoint_url)
        sts = _baselines.boto3_client("sts", endpoint_url)
    except ImportError:
        return None
    queue = f"{endpoint_url}/123456789012/bench"
    return {
        "sqs.send_message": lambda: sqs.send_message(QueueUrl=queue, MessageBody=SQS_BODY),
        "sqs.receive_message": lambda: sqs.receive_message(QueueUrl=queue,
                                                           MaxNumberOfMessages=1),
        "sts.get_caller_identity": sts.get_caller_identity,
        "s3.get_object": _baselines.boto3_get_object(endpoint_url, client=s3),
        "s3.put_object": _baselines.boto3_put_object(endpoint_url, client=s3),
        "dynamodb.get_item": _baselines.boto3_get_item(endpoint_url, client=ddb),
        "dynamodb.put_item": _baselines.boto3_put_item(endpoint_url, client=ddb),
    }


def floor_cases(endpoint_url: str) -> dict[str, Op]:
    """Raw urllib3 round-trips carrying the same requests and responses: the floors."""
    pool = _baselines.urllib3_pool()
    table, key = _baselines.TABLE, {"pk": {"S": _baselines.KEY}}
    return {
        "s3.get_object": _baselines.urllib3_get(endpoint_url, pool=pool),
        "s3.put_object": _baselines.urllib3_put(endpoint_url, pool=pool),
        "dynamodb.get_item": _baselines.urllib3_dynamodb(
            endpoint_url, "GetItem", {"TableName": table, "Key": key}, pool=pool),
        "dynamodb.put_item": _baselines.urllib3_dynamodb(
            endpoint_url, "PutItem", {"TableName": table, "Item": _ITEM}, pool=pool),
        "sqs.send_message": _baselines.urllib3_json(
            endpoint_url, "AmazonSQS.SendMessage", {
                "QueueUrl": f"{endpoint_url}/123456789012/bench", "MessageBody": SQS_BODY},
            pool=pool),
        "sqs.receive_message": _baselines.urllib3_json(
            endpoint_url, "AmazonSQS.ReceiveMessage", {
                "QueueUrl": f"{endpoint_url}/123456789012/bench", "MaxNumberOfMessages": 1},
            pool=pool),
        "sts.get_caller_identity": _baselines.urllib3_form(
            endpoint_url, "Action=GetCallerIdentity&Version=2011-06-15", pool=pool),
    }


def _measure(endpoint_url: str, rounds: int, label: str) -> list[Result]:
    variants: dict[str, dict[str, Op]] = {"urllib3": floor_cases(endpoint_url),
                                          "hub": hub_cases(endpoint_url)}
    boto = boto3_cases(endpoint_url)
    if boto is not None:
        variants["boto3"] = boto
    cases = {f"{scenario}|{variant}": op for variant, ops in variants.items()
             for scenario, op in ops.items()}
    progress = Progress(rounds * len(cases), label=label) if sys.stderr.isatty() else None
    stats = interleave(cases, rounds, progress=progress)
    results = []
    for name, value in stats.items():
        scenario, variant = name.split("|")
        results.append(Result(scenario, variant, value, {"server": label}))
    results.sort(key=lambda r: (r.scenario, ["urllib3", "hub", "boto3"].index(r.variant)))
    return results


def _setup_moto(url: str) -> None:
    import os

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    session = hub_session(url)
    session.client("s3").create_bucket(Bucket=_baselines.BUCKET)
    session.client("s3").put_object(Bucket=_baselines.BUCKET, Key=_baselines.KEY, Body=b"x" * 1024)
    session.client("dynamodb").create_table(
        TableName=_baselines.TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST")


def run(quick: bool, *, moto: bool = False) -> list[Result]:
    """Measure every case; the entry point of ``benchmarks/run.py``.

    Args:
        quick: Fewer rounds (a smoke run of a few seconds).
        moto: Also measure against moto's server (slow: moto dominates the time).
    """
    rounds = 5 if quick else 25
    with fast_responder() as server:
        results = _measure(server.url, rounds, "fast-responder")
    if moto:
        from _servers import moto_server

        with moto_server() as srv:
            _setup_moto(srv.url)
            results += _measure(srv.url, max(3, rounds // 5), "moto")
    return results


def summary(results: list[Result]) -> list[str]:
    """One line per scenario: hub vs floor and vs boto3 (median per-call times)."""
    lines = []
    by_key = {(r.extra.get("server"), r.scenario, r.variant): r.stats.median for r in results}
    for server, scenario, variant in by_key:
        if variant != "hub":
            continue
        hub_ns = by_key[(server, scenario, "hub")]
        floor = by_key.get((server, scenario, "urllib3"))
        boto = by_key.get((server, scenario, "boto3"))
        text = f"{server:>14} {scenario:<18} hub {hub_ns / 1e3:7.1f} µs"
        if floor:
            text += f" | {hub_ns / floor:4.2f}x the urllib3 floor ({floor / 1e3:.1f} µs)"
        if boto:
            text += f" | boto3 {boto / 1e3:7.1f} µs = {boto / hub_ns:4.1f}x slower"
        lines.append(text)
    return lines


def _profile(url: str) -> None:
    import cProfile
    import pstats

    cases = hub_cases(url)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(3000):
        cases["s3.get_object"]()
        cases["dynamodb.get_item"]()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="a few rounds only")
    parser.add_argument("--moto", action="store_true", help="also run against moto")
    parser.add_argument("--json", help="write results to this JSON file")
    parser.add_argument("--profile", action="store_true", help="cProfile hub's hot path")
    args = parser.parse_args(argv)
    if args.profile:
        with fast_responder() as server:
            _profile(server.url)
        return 0
    results = run(args.quick, moto=args.moto)
    print_table(results, baseline="urllib3")
    print()
    for line in summary(results):
        print(line)
    if args.json:
        write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
