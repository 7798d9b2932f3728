"""Reading request members: required or optional, typed and bounded, with AWS's errors."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import datetime
from typing import Any

from runtime.core import jsontext
from runtime.serve.errors import ApiError, invalid_token, missing, too_long, validation

PAYLOAD_LIMIT = 256 * 1024
DEFINITION_LIMIT = 1024 * 1024


def required(params: dict[str, Any], key: str, kind: type = str) -> Any:
    value = params.get(key)
    if value is None:
        raise missing(key)
    return _typed(key, value, kind)


def optional(params: dict[str, Any], key: str, kind: type = str, default: Any = None) -> Any:
    value = params.get(key)
    return default if value is None else _typed(key, value, kind)


def _typed(key: str, value: Any, kind: type) -> Any:
    if kind is int and isinstance(value, bool):
        raise validation(f"Value at '{key}' must be an integer")
    if not isinstance(value, kind):
        raise ApiError("SerializationException", f"Unexpected value type for '{key}'")
    return value


def bounded(text: str | None, key: str, limit: int) -> str | None:
    if text is not None and len(text) > limit:
        raise too_long(key, limit)
    return text


def choice(params: dict[str, Any], key: str, allowed: tuple[str, ...], default: str | None = None):
    value = optional(params, key, str, default)
    if value is not None and value not in allowed:
        raise validation(
            f"1 validation error detected: Value '{value}' at '{key}' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
        )
    return value


def max_results(params: dict[str, Any], default: int = 100, limit: int = 1000) -> int:
    value = optional(params, "maxResults", int, 0)
    if value < 0 or value > limit:
        raise validation(
            f"1 validation error detected: Value '{value}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value less than or equal to {limit}"
        )
    return value or default


def json_input(params: dict[str, Any], key: str = "input", code: str = "InvalidExecutionInput"):
    """``(text, value)`` of a JSON member (default ``{}``), read with
    :mod:`runtime.core.jsontext`."""
    text = optional(params, key, str, None)
    if text is None:
        return "{}", {}
    if len(text.encode("utf-8", "surrogatepass")) > PAYLOAD_LIMIT:
        raise too_long(key, PAYLOAD_LIMIT)
    return text, json_member(text, key, code)


def json_member(text: str, key: str, code: str) -> Any:
    """The value of the JSON text member ``key``; ``code`` (an AWS error) when it is not JSON."""
    try:
        return jsontext.loads(text)
    except jsontext.JsonTextError as exc:
        if code == "InvalidExecutionInput":  # AWS's own wording
            raise ApiError(code, f"Invalid State Machine Execution Input: '{exc}'")
        raise ApiError(code, f"Invalid {key}: not a JSON payload ({exc})")


def epoch(moment: datetime | float | None) -> float | None:
    """A date as the JSON protocol carries it: epoch seconds."""
    if moment is None or isinstance(moment, float):
        return moment
    return moment.timestamp()


def page(
    items: list[Any], key: Any, size: int, token: str | None, scope: str
) -> tuple[list[Any], str | None]:
    """One page of ``items`` and the token for the next (``key(item)`` names an item).

    ``scope`` names the request (action, resource, filters): a token works only for a request
    with the same scope, as on AWS, and ``InvalidToken`` answers any other.
    """
    start = 0
    seal = hashlib.sha256(scope.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    if token:
        try:
            mark = json.loads(base64.urlsafe_b64decode(token.encode()))
            offset, last, sealed = int(mark["o"]), mark["k"], mark["s"]
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
            raise invalid_token(token)
        if sealed != seal:
            raise invalid_token(token)
        keys = [key(item) for item in items]
        start = keys.index(last) + 1 if last in keys else min(max(offset, 0), len(items))
    chunk = items[start : start + size]
    if start + size >= len(items) or not chunk:
        return chunk, None
    mark = {"o": start + len(chunk), "k": key(chunk[-1]), "s": seal}
    return chunk, base64.urlsafe_b64encode(json.dumps(mark).encode()).decode()
