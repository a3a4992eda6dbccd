"""S3 bucket-name validation (the ``s3.bucket_name`` validate handler).

The rules are botocore's ``validate_bucket_name``: a bucket is 1 to 255 of ``A-Z a-z 0-9 . - _``
(the legacy us-east-1 rules, the loosest S3 ever accepted), or an access-point or Outposts
access-point ARN. Anything else is refused before the request is built: a bucket name ends up
in the URL path or, virtual-hosted, in the host name, so ``?``, ``#``, ``/``, ``@``, CR/LF or
10,000 characters would change where the request goes. hub matches the whole string (botocore's
``$`` also accepts one trailing newline).

The check runs whatever ``Config.parameter_validation`` says, as botocore's does.
"""

from __future__ import annotations

import re

from hub._deferred import deferred_regex
from hub._request import Request
from hub.errors import ParamValidationError

__all__ = ["bucket_name", "check_bucket_name"]

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
