"""The S3 client (REST-XML): boto3's method names, parameters, results and errors.

Create it from a session::

    s3 = session.client("s3")
    s3.put_object(Bucket="b", Key="k", Body=b"hi")
    with s3.get_object(Bucket="b", Key="k")["Body"] as body:
        data = body.read()

Operation definitions are the generated model (:mod:`hub.services._s3_model`); each method
below only picks its operation and hands the parameters to the request pipeline.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from hub._request import Request
from hub.errors import ParamValidationError
from hub.services._base import ServiceClient, python_names
from hub.services._s3_model import SERVICE_MODEL

__all__ = ["S3Client"]

_OPS = SERVICE_MODEL.operations


class S3Client(ServiceClient):
    """Amazon S3 (and S3-compatible servers: moto, MinIO, LocalStack).

    Thread-safe and one slot wide: create one per use or share it. Buckets are addressed in
    the host name (virtual-hosted) or in the path, per ``Config.s3_addressing_style``
    (``"auto"`` picks path style for custom endpoints and names that are not DNS-compatible).
    """

    __slots__ = ()

    _MODEL = SERVICE_MODEL
    _PY_NAMES = python_names(SERVICE_MODEL)

    def generate_presigned_url(self, ClientMethod: str,
                               Params: dict[str, Any] | None = None,
                               ExpiresIn: int = 3600,
                               HttpMethod: str | None = None) -> str:
        """Return a presigned URL for one call of ``ClientMethod`` (as boto3 does).

        Whoever holds the URL can make that request without credentials until it expires.
        Header parameters are not part of the URL; query and path parameters are.

        Args:
            ClientMethod: The method name (``"get_object"``, ``"put_object"``, ...).
            Params: The operation's parameters.
            ExpiresIn: Validity in seconds (1 to 604800).
            HttpMethod: Overrides the operation's HTTP method.

        Raises:
            ParamValidationError: Unknown method or invalid parameters.
            NoCredentialsError: No credentials are available to sign with.
        """
        from hub.signing import presign_url

        op = self._operation(ClientMethod)
        client_config = self._client_config
        params = dict(Params or {})
        if not isinstance(ExpiresIn, int) or isinstance(ExpiresIn, bool):
            raise ParamValidationError(op.name, [
                f"ExpiresIn must be an int, got {type(ExpiresIn).__name__}"])
        # The client's own validate and build phases: S3's handlers (addressing, CopySource)
        # and the session's build handlers apply to presigned URLs as to sent requests.
        http = Request(client_config, op, params).build()
        info = client_config.info
        return presign_url(
            HttpMethod or http.method,
            http.url,
            credentials=client_config.credentials.get(),
            region=info.signing_region,
            service=info.signing_name,
            timestamp=datetime.now(timezone.utc),
            expires=ExpiresIn,
            normalize_path=False,
        )

    def list_buckets(self, **params: Any) -> dict[str, Any]:
        """Returns a list of all buckets owned by the authenticated sender of the request.

        Args:
            **params: ``ListBuckets`` parameters, as in boto3. Required: none.
                Optional: MaxBuckets, ContinuationToken, Prefix, BucketRegion.

        Returns:
            Buckets, Owner, ContinuationToken, Prefix, ResponseMetadata.

        Raises:
            ClientError: The service refused (any service error code).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["ListBuckets"], params)

    def create_bucket(self, **params: Any) -> dict[str, Any]:
        """This action creates an Amazon S3 bucket.

        Args:
            **params: ``CreateBucket`` parameters, as in boto3. Required: Bucket.
                Optional: ACL, CreateBucketConfiguration, GrantFullControl, GrantRead,
                    GrantReadACP, GrantWrite, GrantWriteACP, ObjectLockEnabledForBucket,
                    ObjectOwnership, BucketNamespace.

        Returns:
            Location, BucketArn, ResponseMetadata.

        Raises:
            ClientError: The service refused (BucketAlreadyExists, BucketAlreadyOwnedByYou).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["CreateBucket"], params)

    def delete_bucket(self, **params: Any) -> dict[str, Any]:
        """Deletes the S3 bucket.

        Args:
            **params: ``DeleteBucket`` parameters, as in boto3. Required: Bucket.
                Optional: ExpectedBucketOwner.

        Returns:
            ResponseMetadata.

        Raises:
            ClientError: The service refused (any service error code).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["DeleteBucket"], params)

    def head_bucket(self, **params: Any) -> dict[str, Any]:
        """Checks that a bucket exists and that you may access it.

        Args:
            **params: ``HeadBucket`` parameters, as in boto3. Required: Bucket.
                Optional: ExpectedBucketOwner.

        Returns:
            BucketArn, BucketLocationType, BucketLocationName, BucketRegion, AccessPointAlias,
            ResponseMetadata.

        Raises:
            ClientError: The service refused (NoSuchBucket).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["HeadBucket"], params)

    def get_bucket_location(self, **params: Any) -> dict[str, Any]:
        """Returns the Region the bucket resides in.

        Args:
            **params: ``GetBucketLocation`` parameters, as in boto3. Required: Bucket.
                Optional: ExpectedBucketOwner.

        Returns:
            LocationConstraint, ResponseMetadata.

        Raises:
            ClientError: The service refused (any service error code).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["GetBucketLocation"], params)

    def put_object(self, **params: Any) -> dict[str, Any]:
        """Adds an object to a bucket.

        ``Body`` may be bytes, str (UTF-8), a binary file object (sent from its current
        position, rewound on retries) or an iterable of bytes (sent chunked, never retried).
        ``ChecksumAlgorithm`` CRC32/SHA1/SHA256 adds the checksum header for bytes bodies.

        Args:
            **params: ``PutObject`` parameters, as in boto3. Required: Bucket, Key.
                Optional: ACL, Body, CacheControl, ContentDisposition, ContentEncoding,
                    ContentLanguage, ContentLength, ContentMD5, ContentType, ChecksumAlgorithm,
                    ....

        Returns:
            Expiration, ETag, ChecksumCRC32, ChecksumCRC32C, ChecksumCRC64NVME, ChecksumSHA1,
            ChecksumSHA256, ChecksumSHA512, ChecksumMD5, ChecksumXXHASH64, ..., ResponseMetadata.

        Raises:
            ClientError: The service refused (InvalidRequest, InvalidWriteOffset, TooManyParts,
            EncryptionTypeMismatch).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["PutObject"], params)

    def get_object(self, **params: Any) -> dict[str, Any]:
        """Retrieves an object from Amazon S3.

        ``Body`` in the result is a :class:`~hub.services.StreamingBody`: read it to the end or
        close it (``with resp["Body"] as body: ...``) so its connection returns to the pool.

        Args:
            **params: ``GetObject`` parameters, as in boto3. Required: Bucket, Key.
                Optional: IfMatch, IfModifiedSince, IfNoneMatch, IfUnmodifiedSince, Range,
                    ResponseCacheControl, ResponseContentDisposition, ResponseContentEncoding,
                    ResponseContentLanguage, ResponseContentType, ....

        Returns:
            Body, DeleteMarker, AcceptRanges, Expiration, Restore, LastModified, ContentLength,
            ETag, ChecksumCRC32, ChecksumCRC32C, ..., ResponseMetadata.

        Raises:
            ClientError: The service refused (NoSuchKey, InvalidObjectState).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["GetObject"], params)

    def head_object(self, **params: Any) -> dict[str, Any]:
        """The HEAD operation retrieves metadata from an object without returning the object
        itself.

        Args:
            **params: ``HeadObject`` parameters, as in boto3. Required: Bucket, Key.
                Optional: IfMatch, IfModifiedSince, IfNoneMatch, IfUnmodifiedSince, Range,
                    ResponseCacheControl, ResponseContentDisposition, ResponseContentEncoding,
                    ResponseContentLanguage, ResponseContentType, ....

        Returns:
            DeleteMarker, AcceptRanges, Expiration, Restore, ArchiveStatus, LastModified,
            ContentLength, ChecksumCRC32, ChecksumCRC32C, ChecksumCRC64NVME, ..., ResponseMetadata.

        Raises:
            ClientError: The service refused (NoSuchKey).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["HeadObject"], params)

    def delete_object(self, **params: Any) -> dict[str, Any]:
        """Removes an object from a bucket.

        Args:
            **params: ``DeleteObject`` parameters, as in boto3. Required: Bucket, Key.
                Optional: MFA, VersionId, RequestPayer, BypassGovernanceRetention,
                    ExpectedBucketOwner, IfMatch, IfMatchLastModifiedTime, IfMatchSize.

        Returns:
            DeleteMarker, VersionId, RequestCharged, ResponseMetadata.

        Raises:
            ClientError: The service refused (any service error code).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["DeleteObject"], params)

    def delete_objects(self, **params: Any) -> dict[str, Any]:
        """This operation enables you to delete multiple objects from a bucket using a single HTTP
        request.

        Args:
            **params: ``DeleteObjects`` parameters, as in boto3. Required: Bucket, Delete.
                Optional: MFA, RequestPayer, BypassGovernanceRetention, ExpectedBucketOwner,
                    ChecksumAlgorithm.

        Returns:
            Deleted, RequestCharged, Errors, ResponseMetadata.

        Raises:
            ClientError: The service refused (any service error code).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["DeleteObjects"], params)

    def copy_object(self, **params: Any) -> dict[str, Any]:
        """Creates a copy of an object that is already stored in Amazon S3.

        ``CopySource`` is ``"bucket/key"`` (optionally ``?versionId=...``) or a dict with
        ``Bucket``, ``Key`` and optional ``VersionId``. A 200 response carrying an ``<Error>`` body
        raises ClientError (and is retried like a 500), as in boto3.

        Args:
            **params: ``CopyObject`` parameters, as in boto3. Required: Bucket, CopySource, Key.
                Optional: ACL, CacheControl, ChecksumAlgorithm, ContentDisposition,
                    ContentEncoding, ContentLanguage, ContentType, CopySourceIfMatch,
                    CopySourceIfModifiedSince, CopySourceIfNoneMatch, ....

        Returns:
            CopyObjectResult, Expiration, CopySourceVersionId, VersionId, ServerSideEncryption,
            SSECustomerAlgorithm, SSECustomerKeyMD5, SSEKMSKeyId, SSEKMSEncryptionContext,
            BucketKeyEnabled, ..., ResponseMetadata.

        Raises:
            ClientError: The service refused (ObjectNotInActiveTierError).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["CopyObject"], params)

    def list_objects_v2(self, **params: Any) -> dict[str, Any]:
        """Returns some or all (up to 1,000) of the objects in a bucket with each request.

        Paginate with ``get_paginator("list_objects_v2")``. With ``EncodingType="url"`` the
        keys come back url-encoded, exactly as the service sent them.

        Args:
            **params: ``ListObjectsV2`` parameters, as in boto3. Required: Bucket.
                Optional: Delimiter, EncodingType, MaxKeys, Prefix, ContinuationToken, FetchOwner,
                    StartAfter, RequestPayer, ExpectedBucketOwner, OptionalObjectAttributes.

        Returns:
            IsTruncated, Contents, Name, Prefix, Delimiter, MaxKeys, CommonPrefixes, EncodingType,
            KeyCount, ContinuationToken, ..., ResponseMetadata.

        Raises:
            ClientError: The service refused (NoSuchBucket).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["ListObjectsV2"], params)

    def create_multipart_upload(self, **params: Any) -> dict[str, Any]:
        """Starts a multipart upload and returns its upload ID.

        Args:
            **params: ``CreateMultipartUpload`` parameters, as in boto3. Required: Bucket, Key.
                Optional: ACL, CacheControl, ContentDisposition, ContentEncoding, ContentLanguage,
                    ContentType, Expires, GrantFullControl, GrantRead, GrantReadACP, ....

        Returns:
            AbortDate, AbortRuleId, Bucket, Key, UploadId, ServerSideEncryption,
            SSECustomerAlgorithm, SSECustomerKeyMD5, SSEKMSKeyId, SSEKMSEncryptionContext, ...,
            ResponseMetadata.

        Raises:
            ClientError: The service refused (any service error code).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["CreateMultipartUpload"], params)

    def upload_part(self, **params: Any) -> dict[str, Any]:
        """Uploads a part in a multipart upload.

        Args:
            **params: ``UploadPart`` parameters, as in boto3. Required: Bucket, Key, PartNumber,
                UploadId.
                Optional: Body, ContentLength, ContentMD5, ChecksumAlgorithm, ChecksumCRC32,
                    ChecksumCRC32C, ChecksumCRC64NVME, ChecksumSHA1, ChecksumSHA256,
                    ChecksumSHA512, ....

        Returns:
            ServerSideEncryption, ETag, ChecksumCRC32, ChecksumCRC32C, ChecksumCRC64NVME,
            ChecksumSHA1, ChecksumSHA256, ChecksumSHA512, ChecksumMD5, ChecksumXXHASH64, ...,
            ResponseMetadata.

        Raises:
            ClientError: The service refused (any service error code).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["UploadPart"], params)

    def complete_multipart_upload(self, **params: Any) -> dict[str, Any]:
        """Completes a multipart upload by assembling previously uploaded parts.

        A 200 response carrying an ``<Error>`` body raises ClientError (retried like a 500).

        Args:
            **params: ``CompleteMultipartUpload`` parameters, as in boto3. Required: Bucket, Key,
                UploadId.
                Optional: MultipartUpload, ChecksumCRC32, ChecksumCRC32C, ChecksumCRC64NVME,
                    ChecksumSHA1, ChecksumSHA256, ChecksumSHA512, ChecksumMD5, ChecksumXXHASH64,
                    ChecksumXXHASH3, ....

        Returns:
            Location, Bucket, Key, Expiration, ETag, ChecksumCRC32, ChecksumCRC32C,
            ChecksumCRC64NVME, ChecksumSHA1, ChecksumSHA256, ..., ResponseMetadata.

        Raises:
            ClientError: The service refused (any service error code).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["CompleteMultipartUpload"], params)

    def abort_multipart_upload(self, **params: Any) -> dict[str, Any]:
        """This operation aborts a multipart upload.

        Args:
            **params: ``AbortMultipartUpload`` parameters, as in boto3. Required: Bucket, Key,
                UploadId.
                Optional: RequestPayer, ExpectedBucketOwner, IfMatchInitiatedTime.

        Returns:
            RequestCharged, ResponseMetadata.

        Raises:
            ClientError: The service refused (NoSuchUpload).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["AbortMultipartUpload"], params)

    def list_multipart_uploads(self, **params: Any) -> dict[str, Any]:
        """This operation lists in-progress multipart uploads in a bucket.

        Args:
            **params: ``ListMultipartUploads`` parameters, as in boto3. Required: Bucket.
                Optional: Delimiter, EncodingType, KeyMarker, MaxUploads, Prefix, UploadIdMarker,
                    ExpectedBucketOwner, RequestPayer.

        Returns:
            Bucket, KeyMarker, UploadIdMarker, NextKeyMarker, Prefix, Delimiter,
            NextUploadIdMarker, MaxUploads, IsTruncated, Uploads, ..., ResponseMetadata.

        Raises:
            ClientError: The service refused (any service error code).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["ListMultipartUploads"], params)

    def list_parts(self, **params: Any) -> dict[str, Any]:
        """Lists the parts that have been uploaded for a specific multipart upload.

        Args:
            **params: ``ListParts`` parameters, as in boto3. Required: Bucket, Key, UploadId.
                Optional: MaxParts, PartNumberMarker, RequestPayer, ExpectedBucketOwner,
                    SSECustomerAlgorithm, SSECustomerKey, SSECustomerKeyMD5.

        Returns:
            AbortDate, AbortRuleId, Bucket, Key, UploadId, PartNumberMarker, NextPartNumberMarker,
            MaxParts, IsTruncated, Parts, ..., ResponseMetadata.

        Raises:
            ClientError: The service refused (any service error code).
            ParamValidationError: The parameters do not match the input shape.
        """
        return self._call(_OPS["ListParts"], params)
