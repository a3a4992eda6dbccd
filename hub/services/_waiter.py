"""Waiters built from a service's waiter definitions (botocore's ``waiters-2.json``).

``client.get_waiter("table_exists").wait(TableName="t", WaiterConfig={"Delay": 1,
"MaxAttempts": 10})`` calls the waiter's operation until an acceptor decides:

- ``status``: the HTTP status equals ``expected`` (error responses included);
- ``error``: the error code equals ``expected`` (``true``: any error; ``false``: none);
- ``path``: the JMESPath ``argument`` of the result equals ``expected``;
- ``pathAll`` / ``pathAny``: every / some element of that (list) result equals it.

The first matching acceptor's state wins: ``success`` returns, ``failure`` raises
:class:`~hub.errors.WaiterError`, ``retry`` waits ``Delay`` seconds and tries again. An error no
acceptor matched raises WaiterError at once, as in botocore; so does running out of
``MaxAttempts``.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from hub.errors import ClientError, ParamValidationError, WaiterError
from hub.services._search import search

if TYPE_CHECKING:
    from hub._services import ServiceSpec
    from hub.services._base import ServiceClient

__all__ = ["Waiter", "get_waiter", "waiter_names"]


def _waiters(spec: ServiceSpec) -> Mapping[str, Mapping[str, Any]]:
    waiters: Mapping[str, Mapping[str, Any]] = importlib.import_module(
        spec.model_module).WAITERS
    return waiters


def _xform(name: str) -> str:
    out = []
    for i, char in enumerate(name):
        if char.isupper() and i and (not name[i - 1].isupper() or (
                i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def waiter_names(spec: ServiceSpec) -> list[str]:
    """The service's waiters in boto3's spelling (``"bucket_exists"``), sorted."""
    return sorted(_xform(name) for name in _waiters(spec))


def get_waiter(client: ServiceClient, name: str) -> Waiter:
    """The waiter ``name`` (boto3 spelling) of ``client``'s service.

    Raises:
        ValueError: The service has no such waiter.
    """
    spec = client.client_config.spec
    for model_name, config in _waiters(spec).items():
        if _xform(model_name) == name:
            return Waiter(model_name, config, _caller(client, config["operation"]))
    raise ValueError(f"Waiter does not exist: {name}")


def _caller(client: ServiceClient, operation: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def call(params: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = client._call(operation, params)
        return result

    return call


class Waiter:
    """Polls one operation until the waiter's acceptors say success or failure.

    Args:
        name: The waiter's model name (``"TableExists"``).
        config: Its definition: ``operation``, ``delay``, ``maxAttempts``, ``acceptors``.
        call: Sends the operation once with the given parameters.
    """

    __slots__ = ("_call", "config", "name")

    def __init__(self, name: str, config: Mapping[str, Any],
                 call: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self.name = name
        self.config = config
        self._call = call

    def wait(self, **params: Any) -> None:
        """Wait until the success state (returns None, as boto3's ``wait``).

        Args:
            **params: The operation's parameters, plus ``WaiterConfig``: ``Delay`` (seconds
                between attempts) and ``MaxAttempts`` (attempts in all).

        Raises:
            WaiterError: A failure state matched, an unexpected error came back, or the
                attempts ran out.
            ParamValidationError: ``WaiterConfig`` has unknown keys or bad values.
        """
        waiter_config = params.pop("WaiterConfig", None) or {}
        if not isinstance(waiter_config, Mapping) or set(waiter_config) - {"Delay",
                                                                            "MaxAttempts"}:
            raise ParamValidationError(self.name, [
                "WaiterConfig must be a dict with only Delay and MaxAttempts"])
        delay = waiter_config.get("Delay", self.config.get("delay", 5))
        max_attempts = waiter_config.get("MaxAttempts", self.config.get("maxAttempts", 20))
        if (not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0
                or not isinstance(max_attempts, int) or isinstance(max_attempts, bool)
                or max_attempts < 1):
            raise ParamValidationError(self.name, [
                "WaiterConfig Delay must be a number >= 0 and MaxAttempts an int >= 1"])
        acceptors = self.config.get("acceptors", ())
        for attempt in range(1, max_attempts + 1):
            try:
                response: dict[str, Any] = self._call(dict(params))
                error: ClientError | None = None
            except ClientError as exc:
                response, error = exc.response or {}, exc
            state = _match(acceptors, response, error)
            if state == "success":
                return
            if state == "failure":
                raise WaiterError(self.name, "Waiter encountered a terminal failure state",
                                  response)
            if state is None and error is not None:
                raise WaiterError(self.name, f"An error occurred ({error.code}): "
                                  f"{error.message}", response)
            if attempt == max_attempts:
                raise WaiterError(self.name, "Max attempts exceeded", response)
            time.sleep(delay)

    def __repr__(self) -> str:
        return f"<Waiter {self.name} ({self.config.get('operation')})>"


def _match(acceptors: Any, response: Mapping[str, Any], error: ClientError | None) -> str | None:
    for acceptor in acceptors:
        matcher, expected = acceptor["matcher"], acceptor["expected"]
        if matcher == "status":
            status = (error.status_code if error is not None else
                      response.get("ResponseMetadata", {}).get("HTTPStatusCode"))
            hit = status == expected
        elif matcher == "error":
            if expected is True or expected is False:
                hit = (error is not None) is expected
            else:
                hit = error is not None and error.code == expected
        elif error is not None:
            continue  # path matchers look at results, never at errors
        elif matcher == "path":
            hit = search(acceptor["argument"], response) == expected
        elif matcher in ("pathAll", "pathAny"):
            values = search(acceptor["argument"], response)
            if not isinstance(values, list) or not values:
                hit = False
            elif matcher == "pathAll":
                hit = all(v == expected for v in values)
            else:
                hit = any(v == expected for v in values)
        else:
            continue
        if hit:
            return str(acceptor["state"])
    return None
