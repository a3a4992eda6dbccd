"""boto3-compatible paginators: ``client.get_paginator(name).paginate(**params)``.

Follows botocore's ``PageIterator``: ``PaginationConfig`` takes ``MaxItems`` (items of the
first result key across pages), ``PageSize`` (the operation's limit parameter) and
``StartingToken`` (a token from an earlier ``resume_token``/``NextToken``). Tokens use
botocore's encoding (base64 of a JSON document), so they can be passed between the two.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

from hub.errors import PaginationError, ParamValidationError
from hub.protocols._shapes import Paginator as PaginatorModel
from hub.services._search import search

__all__ = ["PageIterator", "Paginator", "PaginationError"]

_Call = Callable[[dict[str, Any]], dict[str, Any]]
_TRUNCATE = "boto_truncate_amount"
_ENCODED = "boto_encoded_keys"


class Paginator:
    """Creates page iterators for one operation.

    Args:
        call: Sends one page request and returns the parsed page.
        model: The operation's pagination facts.
        operation_name: The API name (for messages).
    """

    __slots__ = ("_call", "_model", "_name")

    def __init__(self, call: _Call, model: PaginatorModel, operation_name: str) -> None:
        self._call = call
        self._model = model
        self._name = operation_name

    def paginate(self, **params: Any) -> PageIterator:
        """Iterate over the operation's pages.

        Args:
            **params: The operation's parameters, plus ``PaginationConfig`` (``MaxItems``,
                ``PageSize``, ``StartingToken``).
        """
        config = params.pop("PaginationConfig", None) or {}
        if not isinstance(config, dict):
            raise ParamValidationError(self._name, ["PaginationConfig must be a dict"])
        unknown = set(config) - {"MaxItems", "PageSize", "StartingToken"}
        if unknown:
            raise ParamValidationError(self._name, [
                f"Unknown PaginationConfig keys: {', '.join(sorted(unknown))}"])
        return PageIterator(self._call, self._model, self._name, params,
                            max_items=config.get("MaxItems"), page_size=config.get("PageSize"),
                            starting_token=config.get("StartingToken"))


class PageIterator:
    """The pages of one pagination run; iterate over it (once) or call ``build_full_result``.

    Attributes:
        resume_token: After iteration stopped at ``MaxItems``, the token to continue from
            (pass it as ``StartingToken``); None when every page was returned.
    """

    def __init__(self, call: _Call, model: PaginatorModel, name: str, params: dict[str, Any], *,
                 max_items: int | None, page_size: int | None,
                 starting_token: str | None) -> None:
        self._call = call
        self._model = model
        self._name = name
        self._params = params
        self._max_items = None if max_items is None else int(max_items)
        self._page_size = page_size
        self._starting_token = starting_token
        self.resume_token: str | None = None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        model = self._model
        kwargs = dict(self._params)
        if self._page_size is not None:
            if model.limit_key is None:
                raise ParamValidationError(self._name, ["PageSize is not supported here"])
            kwargs[model.limit_key] = self._page_size
        skip = 0
        if self._starting_token is not None:
            tokens, skip = decode_token(self._starting_token, model.input_token)
            kwargs.update({k: v for k, v in tokens.items() if v is not None})
        primary = model.result_key[0]
        total = 0
        first = True
        previous: dict[str, Any] | None = None
        current_tokens = {k: kwargs.get(k) for k in model.input_token}
        while True:
            page = self._call(kwargs)
            if first and skip:
                page[primary] = list(page.get(primary) or [])[skip:]
            first = False
            items = page.get(primary)
            count = len(items) if isinstance(items, list) else 0
            if self._max_items is not None and total + count > self._max_items:
                keep = self._max_items - total
                assert isinstance(items, list)
                page[primary] = items[:keep]
                # skip is the StartingToken's truncation on the first page, 0 after it.
                self.resume_token = encode_token({**current_tokens, _TRUNCATE: keep + skip})
                yield page
                return
            yield page
            total += count
            next_tokens = self._next_tokens(page)
            if next_tokens is None:
                return
            if self._max_items is not None and total >= self._max_items:
                self.resume_token = encode_token(next_tokens)
                return
            if previous == next_tokens:
                raise PaginationError(
                    f"the {self._name} paginator got the same token twice: {next_tokens}")
            previous = next_tokens
            kwargs.update(next_tokens)
            current_tokens = next_tokens
            skip = 0

    def search(self, expression: str) -> Iterator[Any]:
        """Apply a JMESPath expression to every page; yield list results item by item.

        As boto3's ``PageIterator.search``: ``paginator.paginate(...).search("Contents[].Key")``.
        A non-list result is yielded as is (None included).

        Raises:
            MissingDependencyError: The expression needs the ``jmespath`` package.
        """
        for page in self:
            result = search(expression, page)
            if isinstance(result, list):
                yield from result
            else:
                yield result

    def _next_tokens(self, page: dict[str, Any]) -> dict[str, Any] | None:
        model = self._model
        if model.more_results is not None and not search(model.more_results, page):
            return None
        pairs = zip(model.input_token, model.output_token, strict=False)
        # Output tokens may be expressions ("NextMarker || Contents[-1].Key" for ListObjects).
        tokens = {inp: search(out, page) for inp, out in pairs}
        if all(v is None for v in tokens.values()):
            return None
        return tokens

    def build_full_result(self) -> dict[str, Any]:
        """Run the pagination and merge the pages (result keys concatenated or summed).

        The result has ``NextToken`` when ``MaxItems`` stopped it early, as in boto3.
        """
        result: dict[str, Any] = {}
        keys = self._model.result_key
        for page in self:
            for key in keys:
                value = page.get(key)
                if value is None:
                    continue
                if key not in result:
                    result[key] = copy.copy(value)
                elif isinstance(value, list):
                    result[key].extend(value)
                elif isinstance(value, (int, float)):
                    result[key] += value
            for key in self._model.non_aggregate_keys:
                if key in page:
                    result[key] = page[key]
        if self.resume_token is not None:
            result["NextToken"] = self.resume_token
        return result


def encode_token(token: dict[str, Any]) -> str:
    """Encode a continuation token as botocore does (base64 JSON; bytes base64-encoded)."""
    paths: list[list[Any]] = []
    encoded = _encode_bytes(token, [], paths)
    if paths:
        encoded[_ENCODED] = paths
    return base64.b64encode(json.dumps(encoded).encode("utf-8")).decode("utf-8")


def _encode_bytes(value: Any, path: list[Any], paths: list[list[Any]]) -> Any:
    if isinstance(value, dict):
        return {k: _encode_bytes(v, [*path, k], paths) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode_bytes(v, [*path, i], paths) for i, v in enumerate(value)]
    if isinstance(value, (bytes, bytearray)):
        paths.append(path)
        return base64.b64encode(value).decode("utf-8")
    return value


def decode_token(token: str, input_tokens: tuple[str, ...]) -> tuple[dict[str, Any], int]:
    """Decode a ``StartingToken`` into (input token values, items to skip on the first page).

    Raises:
        ParamValidationError: The token is not one hub or boto3 made.
    """
    try:
        document = json.loads(base64.b64decode(token.encode("utf-8")).decode("utf-8"))
        if not isinstance(document, dict):
            raise ValueError("not an object")
    except (ValueError, UnicodeDecodeError):
        # botocore's legacy format: values joined by "___", truncation amount last.
        parts = token.split("___")
        skip = 0
        if len(parts) == len(input_tokens) + 1 and parts[-1].isdigit():
            skip = int(parts.pop())
        if len(parts) != len(input_tokens):
            raise ParamValidationError("paginate", [f"invalid StartingToken: {token!r}"]) \
                from None
        return {k: (v or None) for k, v in zip(input_tokens, parts, strict=True)}, skip
    for path in document.pop(_ENCODED, []):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = base64.b64decode(target[path[-1]])
    skip = int(document.pop(_TRUNCATE, 0) or 0)
    return document, skip
