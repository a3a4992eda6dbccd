"""STS's hand-written behaviour: where its requests go.

botocore 1.43 sends STS requests to the regional endpoint of the configured region
(``sts_regional_endpoints = "regional"``, the default). Two cases differ, and this module's
``resolve_endpoint`` gives the same answers as botocore:

- no region configured: the global ``https://sts.amazonaws.com`` (signed for ``us-east-1``);
- ``sts_regional_endpoints = "legacy"`` (``AWS_STS_REGIONAL_ENDPOINTS`` or the config file):
  the regions botocore's legacy mode lists use the global endpoint, signed for ``us-east-1``,
  unless FIPS or dual-stack is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.endpoints import Endpoint

if TYPE_CHECKING:
    from hub._config import Config

__all__ = ["resolve_endpoint"]

_GLOBAL = Endpoint("https://sts.amazonaws.com", "us-east-1", "aws")

#: The regions botocore's legacy STS mode sends to the global endpoint.
_LEGACY_GLOBAL_REGIONS = frozenset({
    "aws-global", "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
    "ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3",
    "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
})


def resolve_endpoint(region: str | None, config: Config) -> Endpoint | None:
    """STS's endpoint when it is not the generic regional one (None otherwise)."""
    if config.use_fips_endpoint or config.use_dualstack_endpoint:
        return None
    if region is None or region == "aws-global":
        return _GLOBAL
    if config.sts_regional_endpoints == "legacy" and region in _LEGACY_GLOBAL_REGIONS:
        return _GLOBAL
    return None
