"""``Operation``: the static description of one API operation."""

from __future__ import annotations

from typing import Any

from hub._value import dataclass


@dataclass(frozen=True, slots=True)
class Operation:
    """One API operation, shared read-only by every request that calls it.

    Args:
        name: The API name (``"GetObject"``).
        http_method: The HTTP method.
        request_uri: The path template (``"/{Bucket}/{Key+}"``) or ``"/"``.
        input: The input shape (protocol-specific), or None for no validation.
        output: The output shape, or None.
        streaming_output: The response body is streamed to the caller instead of read.
        model: The protocol layer's full operation model, when there is one.
    """

    name: str
    http_method: str = "POST"
    request_uri: str = "/"
    input: Any = None
    output: Any = None
    streaming_output: bool = False
    model: Any = None
