"""Property-based bad input: Config values, handler edits, operation parameters, response bodies.

Only hub's documented errors may come out; a failed handler edit publishes nothing. Example
counts (``max_examples``) are fixed and derandomized so runs are deterministic.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hub
from hub import Config, Session
from hub._config import _FIELDS
from hub.errors import (
    ClientError,
    ConfigError,
    HandlerError,
    ParamValidationError,
    ResponseParseError,
)
from hub.protocols import jsonrpc, restxml
from hub.protocols.validate import validate
from hub.services._registry import SERVICES

EXAMPLES = {"config": 400, "handlers": 150, "params": 300, "bodies": 300}
COMMON = {"deadline": None, "derandomize": True,
          "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
    st.text(max_size=30), st.binary(max_size=20), st.sampled_from(
        ["us-east-1", "http://127.0.0.1:1", "https://h", "DEBUG", "standard", "path", "", " ",
         "http://u:p@h", "ftp://x", "a\r\nb", "http://h:0", "http://h:99999"]),
)
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)


@settings(max_examples=EXAMPLES["config"], **COMMON)  # type: ignore[arg-type]
@given(st.dictionaries(st.sampled_from(list(_FIELDS)), _values, max_size=5))
def test_config_values_only_raise_config_error(kwargs: dict[str, Any]) -> None:
    try:
        config = Config(**kwargs)
    except ConfigError as exc:
        assert exc.field is not None
        return
    Config().merge(config)
    repr(config)


PHASES = ["validate", "build", "sign", "send", "unmarshal", "retry", "complete", "nope", "", 3]


def _noop(request: Any) -> None:
    return None


_handlers = st.sampled_from([_noop, None, 42, "core.send", lambda r: None])
_names = st.sampled_from(["core.send", "core.sigv4", "t.one", "t.two", "", None, 7])
_edits = st.lists(st.tuples(
    st.sampled_from(["push_back", "push_front", "remove", "swap", "clear"]),
    st.sampled_from(PHASES), _names, _handlers, st.booleans()), min_size=1, max_size=12)


@settings(max_examples=EXAMPLES["handlers"], **COMMON)  # type: ignore[arg-type]
@given(_edits)
def test_handler_edits_fail_cleanly(edits: list[tuple[Any, ...]]) -> None:
    session = Session(Config(region="us-east-1", credentials=hub.Credentials("a", "b")))
    for op, phase, name, handler, flag in edits:
        before = session.snapshot
        try:
            if op == "push_back":
                session.push_back(phase, handler, name=name)
            elif op == "push_front":
                session.push_front(phase, handler, name=name)
            elif op == "remove":
                session.remove_handler(phase, name, missing_ok=flag)
            elif op == "swap":
                session.swap_handler(phase, name, handler)
            else:
                session.clear_handlers(phase)
        except (HandlerError, ConfigError):
            assert session.snapshot is before  # nothing published
    try:
        with session.edit() as editor:
            for op, phase, name, handler, _ in edits:
                if op == "push_back":
                    editor.push_back(phase, handler, name=name)
                elif op == "swap":
                    editor.swap_handler(phase, name, handler)
                else:
                    editor.remove_handler(phase, name, missing_ok=True)
    except (HandlerError, ConfigError):
        pass


def _operations(service: str, names: list[str]) -> list[Any]:
    ops = SERVICES[service].operations
    return [ops[n] for n in names]


S3_OPS = _operations("s3", ["PutObject", "GetObject", "ListObjectsV2", "DeleteObjects",
                            "CreateBucket", "CopyObject", "HeadObject", "ListBuckets"])
DDB_OPS = _operations("dynamodb", ["PutItem", "GetItem", "Query", "CreateTable", "ListTables",
                                   "UpdateItem", "DescribeTable"])
_param_keys = st.sampled_from([
    "Bucket", "Key", "Body", "TableName", "Item", "Delete", "MaxKeys", "Limit", "Metadata",
    "ExpressionAttributeValues", "KeySchema", "CopySource", "ContentLength", "Expires", "x"])
_params = st.dictionaries(_param_keys, _values, max_size=6)


@settings(max_examples=EXAMPLES["params"], **COMMON)  # type: ignore[arg-type]
@given(st.sampled_from(S3_OPS + DDB_OPS), _params)
def test_params_only_raise_param_validation_error(op: Any, params: dict[str, Any]) -> None:
    try:
        validate(op, params)
    except ParamValidationError:
        return
    try:
        if op in S3_OPS:
            restxml.serialize(op, params, base_url="http://127.0.0.1:1")
        else:
            jsonrpc.serialize(op, params, target_prefix="DynamoDB_20120810", json_version="1.0")
    except ParamValidationError:
        pass


_xml = st.one_of(
    st.binary(max_size=200),
    st.builds(lambda tag, inner, text: f"<{tag}><{inner}>{text}</{inner}></{tag}>".encode(),
              st.sampled_from(["Error", "ErrorResponse", "ListBucketResult", "Contents", "x"]),
              st.sampled_from(["Code", "Message", "Contents", "Key", "Size", "LastModified",
                               "IsTruncated", "KeyCount", "Error"]),
              st.text(max_size=20).map(lambda t: t.replace("<", "&lt;").replace("&", "&amp;"))),
    st.sampled_from([b"<a>", b"<?xml version='1.0'?>", b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>",
                     b"<Error><Code>SlowDown</Code></Error>", b"\xff\xfe<a/>", b"<a>" * 500]),
)
_json = st.one_of(
    st.binary(max_size=200),
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(
            st.sampled_from(["Item", "Items", "TableNames", "Count", "__type", "message",
                             "Table", "Attributes", "S", "N", "M", "L"]),
            inner, max_size=4)), max_leaves=10).map(lambda v: json.dumps(v).encode()),
)
_status = st.sampled_from([200, 204, 301, 400, 403, 404, 500, 503])
_header_names = st.sampled_from(["content-length", "x-amz-crc32", "etag", "last-modified",
                                 "x-amz-request-id", "x-amz-meta-a", "retry-after"])
_headers = st.dictionaries(_header_names, st.text(max_size=12), max_size=3)


@settings(max_examples=EXAMPLES["bodies"], **COMMON)  # type: ignore[arg-type]
@given(st.data(), _status, _headers)
def test_response_bodies_only_raise_parse_or_client_errors(data: Any, status: int,
                                                           headers: dict[str, str]) -> None:
    s3 = data.draw(st.booleans())
    module, ops, bodies = (restxml, S3_OPS, _xml) if s3 else (jsonrpc, DDB_OPS, _json)
    op = data.draw(st.sampled_from(ops))
    body = data.draw(bodies)
    try:
        if status < 300:
            result = module.parse(op, status, headers, body)
            assert "ResponseMetadata" in result
        else:
            error = module.parse_error(op, status, headers, body)
            assert isinstance(error, ClientError) and error.code
    except ResponseParseError as exc:
        assert exc.operation == op.name
