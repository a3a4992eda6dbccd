"""``Client``: a thin object bound to one resolved :class:`~hub.ClientConfig`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub._client_config import ClientConfig, ClientInfo
from hub._config import Config
from hub._request import Request
from hub.errors import ParamValidationError

if TYPE_CHECKING:
    from hub._operation import Operation


class Client:
    """Base class of service clients.

    A client is one small object pointing at a shared :class:`ClientConfig`, so creating one is
    nearly free and clients are safe to share between threads (they hold no mutable state).
    Service clients (``session.client("s3")``) add one method per operation.

    Args:
        client_config: The resolved configuration (from ``session.client_config(...)``).
    """

    __slots__ = ("_client_config",)

    def __init__(self, client_config: ClientConfig) -> None:
        # Session.client does this assignment itself for classes that keep this __init__:
        # a client must stay this one slot.
        self._client_config = client_config

    @property
    def config(self) -> Config:
        """The merged Config this client was built with."""
        return self._client_config.config

    @property
    def info(self) -> ClientInfo:
        """Service, endpoint and signing facts."""
        return self._client_config.info

    @property
    def client_config(self) -> ClientConfig:
        """The full resolved configuration (shared with other clients of the same inputs)."""
        return self._client_config

    def new_request(self, operation: Operation | Any, params: dict[str, Any] | None = None
                    ) -> Request:
        """Create (but do not send) a request for ``operation``.

        Args:
            operation: An :class:`~hub.Operation` (or a protocol operation model).
            params: The operation's parameters.

        Raises:
            ParamValidationError: ``params`` is not a dict.
        """
        if params is None:
            params = {}
        elif not isinstance(params, dict):
            raise ParamValidationError(
                getattr(operation, "name", "?"),
                [f"parameters must be a dict, got {type(params).__name__}"],
            )
        return Request(self._client_config, operation, params)

    def __repr__(self) -> str:
        info = self._client_config.info
        return f"<{type(self).__name__} {info.service_name} {info.endpoint}>"
