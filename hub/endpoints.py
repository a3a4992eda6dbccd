"""Region and partition to endpoint URL, and S3 bucket addressing.

This is a small, hand-written table covering what hub ships clients for (S3 and DynamoDB) plus
the generic AWS pattern for anything else. It follows the results botocore's endpoint rulesets
give with default settings (checked against botocore 1.43), for three partitions:

- ``aws``: ``us-*``, ``eu-*``, ``ap-*``, ``sa-*``, ``ca-*``, ``me-*``, ``af-*``, ``il-*``,
  ``mx-*``; DNS suffix ``amazonaws.com``, dual-stack suffix ``api.aws``.
- ``aws-cn``: ``cn-*``; ``amazonaws.com.cn``, dual-stack ``api.amazonwebservices.com.cn``.
- ``aws-us-gov``: ``us-gov-*``; ``amazonaws.com``, dual-stack ``api.aws``.

A well-formed region that matches no partition's pattern resolves in ``aws``, as botocore does,
so new regions work before hub knows about them.

Not covered: account-id based DynamoDB endpoints, S3 access points/ARNs, S3 Accelerate, S3
Express, and the ISO partitions. Use ``endpoint_url`` for those.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Literal
from urllib.parse import quote, urlsplit

from hub._deferred import deferred_regex
from hub._value import dataclass
from hub.errors import ConfigError

__all__ = [
    "Endpoint",
    "is_dns_compatible_bucket",
    "resolve",
    "s3_bucket_url",
]

AddressingStyle = Literal["auto", "virtual", "path"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a service lives in one region.

    Attributes:
        url: ``scheme://host`` with no trailing slash, e.g. ``https://s3.us-west-2.amazonaws.com``.
        signing_region: The region to put in the SigV4 credential scope.
        partition: ``"aws"``, ``"aws-cn"`` or ``"aws-us-gov"``.
    """

    url: str
    signing_region: str
    partition: str


@dataclass(frozen=True, slots=True)
class _Partition:
    name: str
    pattern: re.Pattern[str]
    dns_suffix: str
    dualstack_dns_suffix: str


# Most specific first: us-gov-* would otherwise be tried against the broad aws pattern (it does
# not match today, but the order keeps that from mattering).
_PARTITIONS = (
    _Partition("aws-us-gov", deferred_regex(None, "aws-us-gov", r"^us\-gov\-\w+\-\d+$"),
               "amazonaws.com", "api.aws"),
    _Partition(
        "aws-cn",
        deferred_regex(None, "aws-cn", r"^cn\-\w+\-\d+$"),
        "amazonaws.com.cn",
        "api.amazonwebservices.com.cn",
    ),
    _Partition(
        "aws",
        deferred_regex(None, "aws", r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$"),
        "amazonaws.com",
        "api.aws",
    ),
)
_AWS = _PARTITIONS[-1]

# Endpoint prefixes whose FIPS endpoint in aws-us-gov (without dual-stack) is the standard host
# (botocore 1.43's rulesets; checked for the shipped services by tests/test_endpoints_parity.py).
_GOV_FIPS_IS_STANDARD = frozenset({"sts", "sqs", "sns", "ssm", "portal.sso", "oidc"})
# Endpoint prefixes whose dual-stack hosts keep the partition's main DNS suffix.
_DUALSTACK_MAIN_SUFFIX = frozenset({"secretsmanager"})

# A region and a service name become DNS labels, so they must be valid lowercase host labels.
# (Compiled on first use: creating a client with an endpoint URL needs none of them.)
_HOST_LABEL: re.Pattern[str] = deferred_regex(globals(), "_HOST_LABEL",
                                              r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_BUCKET: re.Pattern[str] = deferred_regex(globals(), "_BUCKET",
                                          r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IPV4_LIKE: re.Pattern[str] = deferred_regex(globals(), "_IPV4_LIKE",
                                             r"^\d+\.\d+\.\d+\.\d+$")
_ADDRESSING_STYLES = ("auto", "virtual", "path")


def resolve(
    service: str, region: str, *, use_fips: bool = False, use_dualstack: bool = False
) -> Endpoint:
    """Resolve a service's endpoint in a region.

    S3 in ``us-east-1`` resolves to the global ``https://s3.amazonaws.com``: that is what
    botocore and boto3 do by default (their ``s3_us_east_1_regional_endpoint`` setting defaults
    to ``"legacy"``). With FIPS or dual-stack on, ``us-east-1`` gets its regional host like every
    other region. The pseudo-region ``aws-global`` also maps to the global S3 host. DynamoDB's
    ``local`` region resolves to ``http://localhost:8000`` (DynamoDB Local).

    Results are cached; the inputs are plain strings and booleans.

    Args:
        service: The endpoint prefix, e.g. ``"s3"`` or ``"dynamodb"``; other services get the
            generic ``https://{service}.{region}.{dnsSuffix}`` pattern.
        region: The region, e.g. ``"us-west-2"``.
        use_fips: Use the FIPS 140-2 endpoint.
        use_dualstack: Use the IPv4/IPv6 dual-stack endpoint.

    Returns:
        The endpoint URL, signing region and partition.

    Raises:
        ConfigError: The region or service name is malformed (``field="region"`` or
            ``"service_name"``), or the partition does not offer the requested variant
            (``field="use_fips"`` or ``"use_dualstack"``).
    """
    return _resolve(service, region, bool(use_fips), bool(use_dualstack))


@functools.lru_cache(maxsize=256)
def _resolve(service: str, region: str, use_fips: bool, use_dualstack: bool) -> Endpoint:
    for label in service.split(".") if isinstance(service, str) else (service,):
        _check_label(label, "service_name")  # a prefix may be dotted ("portal.sso")
    if service == "s3" and region == "aws-global":
        region = "us-east-1"
    _check_label(region, "region")
    partition = _partition_for(region)
    if service == "s3":
        return _resolve_s3(region, partition, use_fips, use_dualstack)
    if service == "dynamodb":
        return _resolve_dynamodb(region, partition, use_fips, use_dualstack)
    if (use_fips and not use_dualstack and partition.name == "aws-us-gov"
            and service in _GOV_FIPS_IS_STANDARD):
        # These services' standard GovCloud endpoints are already FIPS validated.
        return _generic(service, region, partition, False, False)
    return _generic(service, region, partition, use_fips, use_dualstack)


def _partition_for(region: str) -> _Partition:
    for partition in _PARTITIONS:
        if partition.pattern.match(region):
            return partition
    return _AWS


def _generic(
    prefix: str, region: str, partition: _Partition, use_fips: bool, use_dualstack: bool
) -> Endpoint:
    host = f"{prefix}-fips" if use_fips else prefix
    main = prefix in _DUALSTACK_MAIN_SUFFIX and not (use_fips and partition.name == "aws-cn")
    suffix = partition.dualstack_dns_suffix if use_dualstack and not main else partition.dns_suffix
    return Endpoint(f"https://{host}.{region}.{suffix}", region, partition.name)


def _resolve_s3(
    region: str, partition: _Partition, use_fips: bool, use_dualstack: bool
) -> Endpoint:
    if use_fips and partition.name == "aws-cn":
        raise ConfigError(
            f"S3 has no FIPS endpoints in the aws-cn partition (region {region!r});"
            " turn use_fips off",
            field="use_fips",
        )
    host = "s3-fips" if use_fips else "s3"
    if use_dualstack:
        # S3 predates the api.aws dual-stack domain and keeps its own dualstack label.
        url = f"https://{host}.dualstack.{region}.{partition.dns_suffix}"
    elif region == "us-east-1" and not use_fips:
        url = f"https://s3.{partition.dns_suffix}"
    else:
        url = f"https://{host}.{region}.{partition.dns_suffix}"
    return Endpoint(url, region, partition.name)


def _resolve_dynamodb(
    region: str, partition: _Partition, use_fips: bool, use_dualstack: bool
) -> Endpoint:
    if region == "local":
        if use_fips or use_dualstack:
            field = "use_fips" if use_fips else "use_dualstack"
            raise ConfigError(
                f"the DynamoDB 'local' region has no FIPS or dual-stack endpoint; turn {field} off",
                field=field,
            )
        return Endpoint("http://localhost:8000", "us-east-1", "aws")
    if use_fips and not use_dualstack and partition.name == "aws-us-gov":
        # GovCloud's standard DynamoDB endpoints are already FIPS validated (the ruleset;
        # botocore's client.meta.endpoint_url, from the older endpoints.json, says otherwise
        # but its requests follow the ruleset).
        return _generic("dynamodb", region, partition, False, False)
    return _generic("dynamodb", region, partition, use_fips, use_dualstack)


def _check_label(value: object, field: str) -> None:
    if isinstance(value, str) and _HOST_LABEL.fullmatch(value):
        return
    what = "region" if field == "region" else "service name"
    if not isinstance(value, str):
        problem = f"must be a string, not {type(value).__name__}"
    elif not value:
        problem = "is empty"
    elif any(ch.isspace() for ch in value):
        problem = "contains whitespace"
    elif any(ch.isupper() for ch in value):
        problem = "contains uppercase letters (use lowercase)"
    elif len(value) > 63:
        problem = "is longer than 63 characters"
    elif value.startswith("-") or value.endswith("-"):
        problem = "starts or ends with a hyphen"
    else:
        problem = "may only contain lowercase letters, digits and hyphens"
    example = " (like 'us-west-2')" if field == "region" else ""
    raise ConfigError(f"invalid {what} {value!r}: it {problem}{example}", field=field)


def is_dns_compatible_bucket(name: str) -> bool:
    """Tell whether a bucket name can be used as a DNS label (virtual-hosted addressing).

    A DNS-compatible name is 3 to 63 characters of lowercase letters, digits, hyphens and dots,
    starts and ends with a letter or digit, has no ``..``, and is not an IPv4 address. Names with
    dots are DNS compatible but cannot be virtual-hosted over HTTPS (the wildcard certificate
    covers one label); :func:`s3_bucket_url` takes care of that.

    Args:
        name: The bucket name.

    Returns:
        True when the name is DNS compatible.
    """
    if not _BUCKET.fullmatch(name) or ".." in name:
        return False
    # Dotted labels next to a hyphen ("a-.b", "a.-b") are not valid host labels.
    if ".-" in name or "-." in name:
        return False
    return not _IPV4_LIKE.fullmatch(name)


def s3_bucket_url(
    endpoint_url: str,
    bucket: str,
    *,
    addressing_style: AddressingStyle | str = "auto",
    custom_endpoint: bool = False,
) -> tuple[str, str]:
    """Decide how to address an S3 bucket: in the host name or in the path.

    With ``"auto"``, a bucket is addressed in the path when its name is not DNS compatible,
    when it contains a dot and the endpoint is HTTPS, or when the endpoint is a custom one
    (``custom_endpoint=True``, or a host that is ``localhost`` or an IP address, as with moto,
    MinIO or LocalStack). Otherwise it is virtual-hosted. botocore differs on one point: it
    virtual-hosts DNS-compatible buckets on custom named hosts; hub prefers path style there
    because local S3 look-alikes rarely resolve ``bucket.host`` names.

    Args:
        endpoint_url: The service endpoint, ``scheme://host[:port]`` (a trailing slash is
            ignored).
        bucket: The bucket name.
        addressing_style: ``"auto"``, ``"virtual"`` (always in the host name) or ``"path"``
            (always in the path).
        custom_endpoint: True when ``endpoint_url`` came from the user's configuration rather
            than from :func:`resolve`.

    Returns:
        ``(base_url, path_prefix)``: ``("https://bucket.s3.us-west-2.amazonaws.com", "")`` for
        virtual-hosted addressing, ``("https://s3.us-west-2.amazonaws.com", "/bucket")`` for
        path addressing. The prefix is percent-encoded; append ``/key`` to it.

    Raises:
        ConfigError: ``addressing_style`` is unknown, ``bucket`` is empty or contains ``/``,
            or ``"virtual"`` was forced for a bucket whose name is not DNS compatible.
    """
    if addressing_style not in _ADDRESSING_STYLES:
        raise ConfigError(
            f"invalid addressing_style {addressing_style!r}: expected one of"
            f" {', '.join(_ADDRESSING_STYLES)}",
            field="addressing_style",
        )
    if not bucket or "/" in bucket:
        raise ConfigError(
            f"invalid bucket name {bucket!r}: it must be non-empty and contain no '/'",
            field="bucket",
        )
    base = endpoint_url.rstrip("/")
    if addressing_style == "path":
        return base, _path_prefix(bucket)
    if addressing_style == "virtual":
        if not is_dns_compatible_bucket(bucket):
            raise ConfigError(
                f"bucket {bucket!r} cannot be addressed virtually: its name is not DNS"
                " compatible; use addressing_style='path' or 'auto'",
                field="addressing_style",
            )
        return _virtual(base, bucket), ""
    parts = urlsplit(base)
    if (
        custom_endpoint
        or _is_local_host(parts.hostname or "")
        or not is_dns_compatible_bucket(bucket)
        or ("." in bucket and parts.scheme == "https")
    ):
        return base, _path_prefix(bucket)
    return _virtual(base, bucket), ""


def _path_prefix(bucket: str) -> str:
    return "/" + quote(bucket, safe="")


def _virtual(base: str, bucket: str) -> str:
    scheme, sep, rest = base.partition("://")
    if not sep:
        raise ConfigError(
            f"invalid endpoint URL {base!r}: expected scheme://host", field="endpoint_url"
        )
    return f"{scheme}://{bucket}.{rest}"


def _is_local_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
