"""Which services to generate, and the few facts botocore's JSON does not say."""

from __future__ import annotations

#: botocore service names generated into ``hub/services/<package>/``.
SERVICES = ("dynamodb", "kms", "lambda", "s3", "secretsmanager", "sns", "sqs", "ssm", "sso",
            "sso-oidc", "sts")

#: Client class names where ``serviceId`` + "Client" is not the boto3-stubs spelling.
CLASS_NAMES: dict[str, str] = {}

#: Extra docstring paragraphs: hub-specific behaviour a caller should know about.
NOTES: dict[str, dict[str, str]] = {
    "s3": {
        "GetObject": "Body in the result is a hub.services.StreamingBody: read it to the end or "
                     "close it (with resp['Body'] as body: ...) so its connection returns to "
                     "the pool.",
        "PutObject": "Body may be bytes, str (UTF-8), a binary file object (sent from its "
                     "current position, rewound on retries) or an iterable of bytes (sent "
                     "chunked, never retried).",
        "CopyObject": "CopySource is 'bucket/key' (optionally ?versionId=...) or a dict with "
                      "Bucket, Key and optional VersionId. A 200 answer carrying an Error body "
                      "raises ClientError (and is retried like a 500), as in boto3.",
        "UploadPartCopy": "CopySource is 'bucket/key' (optionally ?versionId=...) or a dict "
                          "with Bucket, Key and optional VersionId.",
        "ListObjectsV2": "Keys come back decoded even though hub asks for url-encoded keys "
                         "(any key survives XML); with EncodingType='url' they stay encoded, "
                         "as the service sent them.",
        "CompleteMultipartUpload": "A 200 answer carrying an Error body raises ClientError "
                                   "(retried like a 500), as in boto3.",
    },
}

#: First docstring lines where the model's first paragraph is a notice or a run-on.
SUMMARIES: dict[str, dict[str, str]] = {
    "s3": {
        "PutObject": "Adds an object to a bucket.",
        "CreateMultipartUpload": "Starts a multipart upload and returns its upload ID.",
        "HeadBucket": "Checks that a bucket exists and that you may access it.",
    },
    "dynamodb": {
        "Query": "Finds items by primary key in a table or secondary index.",
        "TransactGetItems": "Atomically reads up to 100 items from one or more tables.",
        "DescribeTable": "Returns information about a table: status, key schema, indexes, ...",
    },
}

#: Input annotations wider than the model's, where a service's customizations accept more at
#: runtime: shape name -> annotation (in input TypedDicts only). DynamoDB's expressions take
#: hub.dynamodb.conditions objects (hub/services/dynamodb/customizations.py), as boto3's do.
INPUT_TYPES: dict[str, dict[str, str]] = {
    "dynamodb": {"ConditionExpression": "str | ConditionBase",
                 "KeyExpression": "str | ConditionBase"},
}
#: Imports the INPUT_TYPES annotations need, per service.
TYPE_IMPORTS: dict[str, tuple[str, ...]] = {
    "dynamodb": ("from hub.dynamodb.conditions import ConditionBase",),
}
