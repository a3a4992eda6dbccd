"""The interface every wire protocol object provides (:class:`WireProtocol`).

Re-exported as ``hub.protocols.WireProtocol``; this module loads only when that name is read
(creating a ``typing.Protocol`` class costs about 0.1 ms: type checkers need it, a client
does not).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from hub.errors import ClientError
    from hub.protocols._common import SerializedRequest
    from hub.protocols._shapes import OperationModel, ServiceModel

__all__ = ["WireProtocol"]


class WireProtocol(Protocol):
    """What every wire protocol object provides (stateless, shared, thread-safe).

    Attributes:
        name: ``rest-xml``, ``json``, ``rest-json`` or ``query``.
    """

    name: str

    def serialize(self, op: OperationModel, params: Mapping[str, Any], *, endpoint: str,
                  service: ServiceModel) -> SerializedRequest:
        """Build the HTTP request for ``op``.

        Args:
            op: The operation.
            params: Validated parameters (``None`` values are skipped).
            endpoint: ``scheme://host[:port][/path]`` of the service endpoint.
            service: The service model; its ``metadata`` gives ``targetPrefix``,
                ``jsonVersion``, ``apiVersion`` and ``awsQueryCompatible``.

        Returns:
            The request. ``host_prefix`` is set (not applied) for operations with an
            ``endpoint.hostPrefix``.

        Raises:
            ParamValidationError: A URI label is missing, a parameter is unknown, or a host
                label is invalid.
            UnsupportedProtocolError: The operation sends an input event stream.
        """
        ...

    def parse(self, op: OperationModel, status: int, headers: Mapping[str, str],
              body: bytes) -> dict[str, Any]:
        """Parse a 2xx response into a boto3-shaped dict including ``ResponseMetadata``.

        For a streaming operation the caller passes ``body=b""`` and attaches the stream under
        :meth:`streaming_member`.

        Raises:
            ResponseParseError: The body or a header does not match the output shape.
        """
        ...

    def parse_error(self, op: OperationModel, status: int, headers: Mapping[str, str],
                    body: bytes) -> ClientError:
        """Turn an error response into a boto3-shaped :class:`~hub.errors.ClientError`.

        The error code is set; modeled error fields are at the top level of ``response``.
        Never raises for a malformed body (the status code becomes the code).
        """
        ...

    def streaming_member(self, op: OperationModel) -> str | None:
        """The output member a streamed response body is attached to, or None."""
        ...


WireProtocol.__module__ = "hub.protocols"
