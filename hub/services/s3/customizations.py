"""S3's hand-written behaviour: its signing options, its client methods, and its departures
from plain rest-xml as named handlers (``s3.*``) added per client config.

- ``SIGNING``: S3 signs the path as sent (no normalization), always sends
  ``X-Amz-Content-SHA256``, streams over HTTPS unsigned, and presigns ``UNSIGNED-PAYLOAD``;
- ``ClientMixin``: methods boto3 adds by hand (``generate_presigned_post``).

Each quirk is its own handler, so it can be found, swapped or removed like any other:

- validate ``s3.copy_source``: ``CopySource`` as ``"bucket/key"`` or a dict, percent-encoded
  once (before ``protocol.validate_params``);
- validate ``s3.sse_customer_key``: SSE-C keys given raw are base64-encoded and their MD5 added
  (``SSECustomerKey``, ``CopySourceSSECustomerKey``), as boto3 does;
- validate ``s3.bucket_name``: botocore's bucket-name rules (below);
- build ``s3.listing_encoding``: listings ask for url-encoded keys unless the caller chose an
  ``EncodingType`` (any key then survives XML), and ``s3.decode_listing`` in unmarshal decodes
  them, as boto3 does;
- build ``s3.addressing``: virtual-hosted or path-style bucket addressing (after
  ``protocol.build``, which serializes path-style);
- unmarshal ``s3.error_in_200``: CopyObject, CompleteMultipartUpload and UploadPartCopy can
  answer 200 OK with an ``<Error>`` body; like botocore, that is a 500 (so it is retried);
- unmarshal_error ``s3.host_id``: body-less errors (HEAD 404) still report ``HostId``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote, unquote_plus

from hub._deferred import deferred_from, deferred_regex
from hub._handlers import Handlers, NamedHandler
from hub._protocol_handlers import modeled_error
from hub._redact import scrubbed
from hub._request import Request
from hub._services import SigningOptions
from hub.errors import ClientError, ParamValidationError
from hub.protocols._shapes import OperationModel
from hub.services._base import ServiceClient, require_signing

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

    from hub.endpoints import s3_bucket_url
    from hub.transfer import TransferConfig
else:  # the endpoint rules load with the first request, not with the first client
    s3_bucket_url = deferred_from(globals(), "s3_bucket_url", "hub.endpoints")

__all__ = ["SIGNING", "ClientMixin", "customize"]

#: How S3 signs (botocore's ``s3v4`` signer).
SIGNING = SigningOptions(normalize_path=False, payload_hash_header=True,
                         unsigned_streams_over_tls=True, presign_unsigned_payload=True)

# --------------------------------------------------------------------------- bucket names
# S3 bucket-name validation (the ``s3.bucket_name`` validate handler).
#
# The rules are botocore's ``validate_bucket_name``: a bucket is 1 to 255 of ``A-Z a-z 0-9 . - _``
# (the legacy us-east-1 rules, the loosest S3 ever accepted), or an access-point or Outposts
# access-point ARN. Anything else is refused before the request is built: a bucket name ends up
# in the URL path or, virtual-hosted, in the host name, so ``?``, ``#``, ``/``, ``@``, CR/LF or
# 10,000 characters would change where the request goes. hub matches the whole string (botocore's
# ``$`` also accepts one trailing newline).
#
# The check runs whatever ``Config.parameter_validation`` says, as botocore's does.

# Compiled by the first request that names a bucket, not by creating a client.
_BUCKET: re.Pattern[str] = deferred_regex(globals(), "_BUCKET", r"[A-Za-z0-9._-]{1,255}")
_ACCESS_POINT_ARN: re.Pattern[str] = deferred_regex(
    globals(), "_ACCESS_POINT_ARN",
    r"arn:aws[^:]*:(?:s3|s3-object-lambda):[a-z0-9-]*:[0-9]{12}:accesspoint[/:][A-Za-z0-9.-]{1,63}"
)
_OUTPOSTS_ARN: re.Pattern[str] = deferred_regex(
    globals(), "_OUTPOSTS_ARN",
    r"arn:aws[^:]*:s3-outposts:[a-z0-9-]+:[0-9]{12}:outpost[/:][A-Za-z0-9-]{1,63}"
    r"[/:]accesspoint[/:][A-Za-z0-9-]{1,63}"
)
_ECHO = 80  # characters of a refused name quoted in the message


def check_bucket_name(bucket: str, operation: str) -> None:
    """Refuse a bucket name S3 cannot have.

    Args:
        bucket: The ``Bucket`` parameter.
        operation: The operation name, for the error.

    Raises:
        ParamValidationError: Naming ``Bucket`` and the rule it broke.
    """
    if (_BUCKET.fullmatch(bucket) or _ACCESS_POINT_ARN.fullmatch(bucket)
            or _OUTPOSTS_ARN.fullmatch(bucket)):
        return
    shown = bucket if len(bucket) <= _ECHO else f"{bucket[:_ECHO]}... ({len(bucket)} characters)"
    raise ParamValidationError(operation, [
        f"Invalid bucket name for parameter Bucket, value: {shown!r}: a bucket name is 1 to "
        "255 letters, digits, '.', '-' or '_', or an S3 access-point ARN"])


def bucket_name(request: Request) -> None:
    """Validate handler: check ``Bucket`` when it is a string (other types: type validation)."""
    bucket = request.params.get("Bucket")
    if isinstance(bucket, str):
        check_bucket_name(bucket, request.operation.name)


_ERROR_IN_200_OPS = frozenset({"CopyObject", "CompleteMultipartUpload", "UploadPartCopy"})
_ERROR_SNIFF = 256
_URL_ENCODED_LISTINGS = frozenset({"ListObjectsV2", "ListObjects", "ListObjectVersions"})
_LISTING_SCALARS = ("Delimiter", "Marker", "NextMarker", "Prefix", "StartAfter", "KeyMarker",
                    "NextKeyMarker")
_LISTING_LISTS = (("Contents", "Key"), ("CommonPrefixes", "Prefix"), ("Versions", "Key"),
                  ("DeleteMarkers", "Key"))


class _QuotedSource(str):
    """A CopySource already percent-encoded: never encoded again (e.g. on a retry)."""

    __slots__ = ()


def _quote_copy_source(value: object, operation: str) -> object:
    if isinstance(value, _QuotedSource):
        return value
    if isinstance(value, Mapping):
        bucket, key = value.get("Bucket"), value.get("Key")
        if not isinstance(bucket, str) or not isinstance(key, str):
            raise ParamValidationError(operation,
                                       ["CopySource dict must contain string Bucket and Key"])
        source = f"{quote(bucket, safe='')}/{quote(key, safe='/~')}"
        version = value.get("VersionId")
        return _QuotedSource(f"{source}?versionId={version}" if version is not None
                             else source)
    if isinstance(value, str):
        first, sep, version = value.partition("?versionId=")
        return _QuotedSource(quote(first, safe="/~") + (sep + version if sep else ""))
    return value  # a wrong type: validation reports it


def copy_source(request: Request) -> None:
    """Percent-encode ``CopySource`` (str or dict) once, as boto3 does."""
    params = request.params
    if "CopySource" in params:
        quoted = _quote_copy_source(params["CopySource"], request.operation.name)
        request.params = {**params, "CopySource": quoted}


def sse_customer_key(request: Request) -> None:
    """SSE-C as boto3 sends it: the raw key (bytes or str) base64-encoded, and its MD5 added.

    Applies to ``SSECustomerKey`` and ``CopySourceSSECustomerKey`` when the caller did not
    give the matching ``...KeyMD5`` (then the key is taken as already encoded, as botocore
    does).
    """
    params = request.params
    for prefix in ("SSECustomer", "CopySourceSSECustomer"):
        key = params.get(prefix + "Key")
        if key is None or prefix + "KeyMD5" in params:
            continue
        raw = key.encode("utf-8") if isinstance(key, str) else key
        if not isinstance(raw, (bytes, bytearray)):
            continue  # a wrong type: validation reports it
        digest = hashlib.md5(raw, usedforsecurity=False).digest()  # S3's checksum, not crypto
        params = {**params,
                  prefix + "Key": base64.b64encode(raw).decode("ascii"),
                  prefix + "KeyMD5": base64.b64encode(digest).decode("ascii")}
    request.params = params


def listing_encoding(request: Request) -> None:
    """Ask listings for url-encoded keys unless the caller chose an EncodingType."""
    if (request.operation.name in _URL_ENCODED_LISTINGS
            and request.params.get("EncodingType") is None):
        request.params = {**request.params, "EncodingType": "url"}
        request.context["s3.decode_listing"] = True


def addressing(request: Request) -> None:
    """Move the bucket into the host name when virtual-hosted addressing applies."""
    op = request.operation
    bucket = request.params.get("Bucket")
    if bucket is None or type(op) is not OperationModel or not op.path_parts:
        return
    if op.path_parts[0][1] != "Bucket":
        return
    client_config = request.client_config
    info = client_config.info
    style = client_config.config.s3_addressing_style or "auto"
    key = (info.endpoint, bucket, style, info.custom_endpoint)
    decided = _ADDRESSED.get(key) if type(bucket) is str else None
    if decided is None:
        base, prefix = s3_bucket_url(info.endpoint, bucket, addressing_style=style,
                                     custom_endpoint=info.custom_endpoint)
        # Virtual-hosted: the path-style head protocol.build wrote, to be replaced by base.
        head = "" if prefix else info.endpoint.rstrip("/") + "/" + quote(bucket, safe="~")
        decided = (base, head)
        if type(bucket) is str:
            if len(_ADDRESSED) >= _ADDRESSED_MAX:
                _ADDRESSED.clear()
            _ADDRESSED[key] = decided
    base, head = decided
    if not head:  # path style: protocol.build already put the bucket in the path
        return
    http = request.http_request
    tail = http.url[len(head):]
    http.url = base + (tail if tail.startswith("/") else "/" + tail)


# (endpoint, bucket, addressing style, custom endpoint) -> (base URL, path-style head or "")
# for virtual-hosted addressing: the decision is a pure function of the key, and a client
# addresses the same few buckets over and over. Bounded (cleared when full); each get/set
# is one dict operation, and a lost write only means the next request decides again.
_ADDRESSED: dict[tuple[str, str, str, bool], tuple[str, str]] = {}
_ADDRESSED_MAX = 1024


def _is_error_body(body: bytes) -> bool:
    head = body[:_ERROR_SNIFF].lstrip()
    if head.startswith(b"<?xml"):
        head = head[head.find(b"?>") + 2:].lstrip()
    return head.startswith(b"<Error>") or head.startswith(b"<Error ")


def error_in_200(request: Request) -> None:
    """Treat an ``<Error>`` body (or an empty one) in a 200 answer as a 500, as botocore does."""
    op = request.operation
    response = request.http_response
    if op.name not in _ERROR_IN_200_OPS or response is None or response.raw is not None:
        return
    body = response.read_body()
    if not body.strip() or _is_error_body(body):
        error = request.client_config.protocol.parse_error(op, 500, response.headers, body)
        request.error = modeled_error(request, error)


def decode_listing(request: Request) -> None:
    """Decode the keys and prefixes that ``s3.listing_encoding`` asked to be url-encoded."""
    data = request.data
    if not request.context.get("s3.decode_listing") or not isinstance(data, dict):
        return
    for name in _LISTING_SCALARS:
        value = data.get(name)
        if isinstance(value, str):
            data[name] = unquote_plus(value)
    for list_name, key in _LISTING_LISTS:
        for entry in data.get(list_name) or ():
            value = entry.get(key)
            if isinstance(value, str):
                entry[key] = unquote_plus(value)


def host_id(request: Request) -> None:
    """boto3 reports ``HostId`` for body-less S3 errors (HEAD 404), even when it is empty."""
    error, response = request.error, request.http_response
    if not isinstance(error, ClientError) or response is None or response.body.strip():
        return
    meta = error.response.get("ResponseMetadata") if error.response else None
    if isinstance(meta, dict):
        meta.setdefault("HostId", response.headers.get("x-amz-id-2", ""))


def _named(name: str, fn: Any) -> NamedHandler:
    return NamedHandler(name, fn)


def customize(handlers: Handlers) -> Handlers:
    """Return ``handlers`` (with the protocol's already in) plus S3's own."""
    return (
        handlers.push_front("validate", _named("s3.copy_source", copy_source))
        .insert_after("validate", "s3.copy_source", _named("s3.sse_customer_key",
                                                           sse_customer_key))
        .insert_after("validate", "s3.copy_source", _named("s3.bucket_name", bucket_name))
        .insert_before("build", "protocol.build",
                       _named("s3.listing_encoding", listing_encoding))
        .insert_after("build", "protocol.build", _named("s3.addressing", addressing))
        .insert_before("unmarshal", "protocol.unmarshal",
                       _named("s3.error_in_200", error_in_200))
        .insert_after("unmarshal", "protocol.unmarshal",
                      _named("s3.decode_listing", decode_listing))
        .insert_after("unmarshal_error", "protocol.unmarshal_error",
                      _named("s3.host_id", host_id))
    )


class ClientMixin(ServiceClient):
    """S3 client methods that are not API operations (boto3 adds them by hand)."""

    __slots__ = ()

    def generate_presigned_post(self, Bucket: str, Key: str,
                                Fields: Mapping[str, Any] | None = None,
                                Conditions: Sequence[Any] | None = None,
                                ExpiresIn: int = 3600) -> dict[str, Any]:
        """Build a presigned POST: a URL and form fields a browser can upload one object with.

        As boto3's: the policy lists ``Conditions`` plus the bucket, the key (a key ending in
        ``${filename}`` becomes a ``starts-with`` condition) and the signing fields, and is
        signed with SigV4.

        Args:
            Bucket: The bucket.
            Key: The object key (may end with ``${filename}``).
            Fields: Form fields to include (``acl``, ``Content-Type``, ...); add a condition
                for each as well.
            Conditions: Policy conditions (dicts or ``[op, field, value]`` lists).
            ExpiresIn: Seconds the policy stays valid.

        Returns:
            ``{"url": ..., "fields": {...}}``: POST ``fields`` plus a ``file`` field to ``url``.

        Raises:
            ParamValidationError: The bucket name is invalid or ``ExpiresIn`` is not an int.
            NoCredentialsError: No credentials are available to sign with.
            ConfigError: Signing failed (e.g. a condition that is not JSON-serializable); the
                error names only the original exception's type, since its details may quote
                the session token.
        """
        check_bucket_name(Bucket, "PutObject")
        if not isinstance(ExpiresIn, int) or isinstance(ExpiresIn, bool):
            raise ParamValidationError("generate_presigned_post", [
                f"ExpiresIn must be an int, got {type(ExpiresIn).__name__}"])
        client_config = self._client_config
        info = client_config.info
        fields = dict(Fields or {})
        conditions: list[Any] = list(Conditions or [])
        if Key.endswith("${filename}"):
            conditions.append(["starts-with", "$key", Key[: -len("${filename}")]])
        else:
            conditions.append({"key": Key})
        conditions.append({"bucket": Bucket})
        fields["key"] = Key
        base, prefix = s3_bucket_url(
            info.endpoint, Bucket,
            addressing_style=client_config.config.s3_addressing_style or "auto",
            custom_endpoint=info.custom_endpoint)
        require_signing(client_config.config, "generate_presigned_post")
        credentials = client_config.credentials.get()
        try:
            _sign_post(fields, conditions, credentials, info, ExpiresIn)
        except BaseException as exc:  # noqa: BLE001 - re-raised, scrubbed
            error = scrubbed(exc, "signing the POST policy", field="Conditions")
        else:
            return {"url": base + prefix if prefix else base + "/", "fields": fields}
        del fields, conditions  # they may hold the session token by now (hub._redact)
        raise error


    # -- managed transfers: hub.transfer does the work (loaded on first use) ------------------

    def upload_file(self, Filename: str | os.PathLike[str], Bucket: str, Key: str,
                    ExtraArgs: Mapping[str, Any] | None = None,
                    Callback: Callable[[int], Any] | None = None,
                    Config: TransferConfig | None = None) -> None:
        """Upload a file, in parallel parts above ``Config.multipart_threshold`` (as boto3).

        A failed or interrupted multipart upload is aborted (no orphaned parts). See
        ``docs/transfer.md``.

        Args:
            Filename: The file to upload.
            Bucket: The bucket.
            Key: The object key.
            ExtraArgs: PutObject/CreateMultipartUpload parameters, among
                ``hub.transfer.ALLOWED_UPLOAD_ARGS``.
            Callback: Called with byte counts as parts complete (calls never overlap).
            Config: A :class:`hub.transfer.TransferConfig` (boto3's defaults when None).

        Raises:
            ParamValidationError: An ``ExtraArgs`` key is not allowed, or a bad argument.
            ClientError: S3 refused a request (after the client's retries).
        """
        _transfer().upload_file(self, Filename, Bucket, Key, ExtraArgs, Callback, Config)

    def upload_fileobj(self, Fileobj: IO[bytes], Bucket: str, Key: str,
                       ExtraArgs: Mapping[str, Any] | None = None,
                       Callback: Callable[[int], Any] | None = None,
                       Config: TransferConfig | None = None) -> None:
        """Upload a binary file object (seekable or not); as :meth:`upload_file` otherwise.

        Raises:
            ParamValidationError: An ``ExtraArgs`` key is not allowed, or a bad argument.
            ClientError: S3 refused a request (after the client's retries).
        """
        _transfer().upload_fileobj(self, Fileobj, Bucket, Key, ExtraArgs, Callback, Config)

    def download_file(self, Bucket: str, Key: str, Filename: str | os.PathLike[str],
                      ExtraArgs: Mapping[str, Any] | None = None,
                      Callback: Callable[[int], Any] | None = None,
                      Config: TransferConfig | None = None) -> None:
        """Download an object to a file with parallel ranged GETs pinned to one ETag.

        Written to a temporary file beside ``Filename`` and renamed into place, so a failed
        download never leaves a partial file under the final name.

        Args:
            Bucket: The bucket.
            Key: The object key.
            Filename: Where to write the object.
            ExtraArgs: GetObject parameters among ``hub.transfer.ALLOWED_DOWNLOAD_ARGS``.
            Callback: Called with byte counts as data is written (calls never overlap).
            Config: A :class:`hub.transfer.TransferConfig` (boto3's defaults when None).

        Raises:
            ParamValidationError: An ``ExtraArgs`` key is not allowed, or a bad argument.
            ClientError: S3 refused a request (412 when the object changed mid-download).
        """
        _transfer().download_file(self, Bucket, Key, Filename, ExtraArgs, Callback, Config)

    def download_fileobj(self, Bucket: str, Key: str, Fileobj: IO[bytes],
                         ExtraArgs: Mapping[str, Any] | None = None,
                         Callback: Callable[[int], Any] | None = None,
                         Config: TransferConfig | None = None) -> None:
        """Download an object into a binary file object (in order when it is unseekable).

        Raises:
            ParamValidationError: An ``ExtraArgs`` key is not allowed, or a bad argument.
            ClientError: S3 refused a request (412 when the object changed mid-download).
        """
        _transfer().download_fileobj(self, Bucket, Key, Fileobj, ExtraArgs, Callback, Config)

    def copy(self, CopySource: Mapping[str, Any] | str, Bucket: str, Key: str,
             ExtraArgs: Mapping[str, Any] | None = None,
             Callback: Callable[[int], Any] | None = None, SourceClient: Any = None,
             Config: TransferConfig | None = None) -> None:
        """Managed copy: CopyObject below the threshold, parallel UploadPartCopy above it.

        Args:
            CopySource: ``{"Bucket": ..., "Key": ..., "VersionId": ...}`` (VersionId optional).
            Bucket: The destination bucket.
            Key: The destination key.
            ExtraArgs: Parameters among ``hub.transfer.ALLOWED_COPY_ARGS``.
            Callback: Called with byte counts as parts are copied (calls never overlap).
            SourceClient: The client that reads the source's size (this one when None).
            Config: A :class:`hub.transfer.TransferConfig` (boto3's defaults when None).

        Raises:
            ParamValidationError: Bad ``CopySource``, or an ``ExtraArgs`` key is not allowed.
            ClientError: S3 refused a request (after the client's retries).
        """
        _transfer().copy(self, CopySource, Bucket, Key, ExtraArgs, Callback, SourceClient,
                         Config)


def _transfer() -> Any:
    # hub.transfer loads on the first managed transfer, not with every S3 client.
    import hub.transfer._manager as manager

    return manager


def _sign_post(fields: dict[str, Any], conditions: list[Any], credentials: Any, info: Any,
               expires_in: int) -> None:
    # Adds the signing fields, the policy and its signature to ``fields`` (and ``conditions``).
    now = datetime.now(timezone.utc)
    date = now.strftime("%Y%m%d")
    scope = f"{date}/{info.signing_region}/{info.signing_name}/aws4_request"
    signed = {"x-amz-algorithm": "AWS4-HMAC-SHA256",
              "x-amz-credential": f"{credentials.access_key}/{scope}",
              "x-amz-date": now.strftime("%Y%m%dT%H%M%SZ")}
    if credentials.token:
        signed["x-amz-security-token"] = credentials.token
    for name, value in signed.items():
        fields[name] = value
        conditions.append({name: value})
    policy = {"expiration": (now + timedelta(seconds=expires_in)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"), "conditions": conditions}
    encoded = base64.b64encode(json.dumps(policy).encode("utf-8")).decode("utf-8")
    fields["policy"] = encoded
    fields["x-amz-signature"] = _post_signature(
        credentials.secret_key, date, info.signing_region, info.signing_name, encoded)


def _post_signature(secret: str, date: str, region: str, service: str, policy: str) -> str:
    # SigV4's signing key (RFC: "AWS4" + secret, then date, region, service, aws4_request);
    # a POST policy is signed as the whole string to sign.
    key = ("AWS4" + secret).encode("utf-8")
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(key, policy.encode("utf-8"), hashlib.sha256).hexdigest()
