"""A small evaluator of botocore's endpoint rulesets, for services loaded from its model files.

A ruleset (``endpoint-rule-set-1.json``) is a tree of rules; each has conditions (function
calls whose results may be bound to names) and ends in an endpoint, an error, or more rules.
The first rule whose conditions all hold decides. hub evaluates the functions regional
services use (``isSet``, ``not``, ``booleanEquals``, ``stringEquals``, ``getAttr``,
``aws.partition``, ``substring``, ``isValidHostLabel``, ``parseURL``, ``uriEncode``); a rule
that needs another (``aws.parseArn``, S3's bucket checks) raises :class:`Unsupported`, and the
caller falls back to the generic endpoint pattern. Shipped services do not use this: their
endpoints are hub.endpoints' (checked against the same rulesets in the tests).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

__all__ = ["RuleError", "Unsupported", "evaluate", "partition_of"]

_TEMPLATE = re.compile(r"\{([^{}]+)\}")
_LABEL = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$")


class Unsupported(Exception):
    """The ruleset uses something this evaluator does not implement."""


class RuleError(Exception):
    """The ruleset ended in an error rule (its message, e.g. "FIPS is not supported")."""


def partition_of(region: str, partitions: Mapping[str, Any]) -> dict[str, Any]:
    """``aws.partition``: the outputs of the partition ``region`` belongs to."""
    listed = partitions["partitions"]
    for part in listed:
        if region in part.get("regions", {}):
            return {**part["outputs"], **part["regions"][region].get("outputs", {})}
    for part in listed:
        if re.match(part["regionRegex"], region):
            return dict(part["outputs"])
    aws = next((p for p in listed if p["id"] == "aws"), listed[0])
    return dict(aws["outputs"])


def _get_attr(value: Any, path: str) -> Any:
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            index = int(part[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else None
        else:
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is None:
            return None
    return value


def _substring(value: Any, start: int, stop: int, reverse: bool) -> str | None:
    if not isinstance(value, str) or start >= stop or len(value) < stop or not value.isascii():
        return None
    if reverse:
        return value[len(value) - stop:len(value) - start]
    return value[start:stop]


def _parse_url(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, str):
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or parts.query or "#" in value:
        return None
    host = parts.hostname or ""
    path = parts.path
    return {"scheme": parts.scheme, "authority": parts.netloc, "path": path,
            "normalizedPath": path if path.endswith("/") else path + "/",
            "isIp": bool(re.fullmatch(r"[\d.]+", host)) or ":" in host}


def _valid_label(value: Any, subdomains: bool) -> bool:
    if not isinstance(value, str):
        return False
    labels = value.split(".") if subdomains else [value]
    return all(_LABEL.match(label) for label in labels)


class _Scope:
    __slots__ = ("names", "partitions")

    def __init__(self, names: dict[str, Any], partitions: Mapping[str, Any]) -> None:
        self.names = names
        self.partitions = partitions

    def value(self, arg: Any) -> Any:
        if isinstance(arg, str):
            return self.template(arg)
        if isinstance(arg, Mapping):
            if "ref" in arg:
                return self.names.get(arg["ref"])
            if "fn" in arg:
                return self.call(arg["fn"], [self.value(a) for a in arg.get("argv", ())])
        return arg  # booleans and numbers

    def template(self, text: str) -> str:
        def one(match: re.Match[str]) -> str:
            name, _, path = match.group(1).partition("#")
            found = self.names.get(name)
            if path:
                found = _get_attr(found, path)
            return "" if found is None else str(found)

        return _TEMPLATE.sub(one, text) if "{" in text else text

    def call(self, fn: str, argv: list[Any]) -> Any:
        if fn == "isSet":
            return argv[0] is not None
        if fn == "not":
            return not argv[0]
        if fn == "booleanEquals" or fn == "stringEquals":
            return argv[0] == argv[1]
        if fn == "getAttr":
            return _get_attr(argv[0], argv[1])
        if fn == "aws.partition":
            return partition_of(argv[0], self.partitions) if isinstance(argv[0], str) else None
        if fn == "substring":
            return _substring(*argv)
        if fn == "isValidHostLabel":
            return _valid_label(argv[0], bool(argv[1]))
        if fn == "parseURL":
            return _parse_url(argv[0])
        if fn == "uriEncode":
            return quote(str(argv[0]), safe="")
        raise Unsupported(fn)


def _holds(conditions: list[Mapping[str, Any]], scope: _Scope) -> bool:
    for condition in conditions:
        result = scope.value(condition)
        if "assign" in condition:
            scope.names[condition["assign"]] = result
        if result is None or result is False:
            return False
    return True


def _walk(rules: list[Mapping[str, Any]], scope: _Scope) -> tuple[str, str | None]:
    for rule in rules:
        inner = _Scope(dict(scope.names), scope.partitions)
        if not _holds(list(rule.get("conditions", ())), inner):
            continue
        kind = rule["type"]
        if kind == "endpoint":
            endpoint = rule["endpoint"]
            url = inner.value(endpoint["url"])
            schemes = (endpoint.get("properties") or {}).get("authSchemes") or [{}]
            region = schemes[0].get("signingRegion")
            return str(url), (inner.value(region) if region is not None else None)
        if kind == "error":
            raise RuleError(str(inner.value(rule["error"])))
        return _walk(list(rule["rules"]), inner)  # a tree rule that matched decides
    raise RuleError("no endpoint rule matched")


def evaluate(ruleset: Mapping[str, Any], params: Mapping[str, Any],
             partitions: Mapping[str, Any]) -> tuple[str, str | None]:
    """``(url, signing region or None)`` for ``params`` (``Region``, ``UseFIPS``, ...).

    Raises:
        RuleError: The ruleset refuses the parameters (its own message).
        Unsupported: The ruleset needs a function this evaluator does not implement.
    """
    names: dict[str, Any] = {}
    for name, spec in (ruleset.get("parameters") or {}).items():
        names[name] = params.get(name, spec.get("default"))
    return _walk(list(ruleset["rules"]), _Scope(names, partitions))
