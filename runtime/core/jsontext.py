"""JSON text in and out of the engine, strictly: what AWS accepts as a JSON payload, nothing else.

Execution inputs, task results read as text, request members and stored payloads all pass through
:func:`loads`; values leave through :func:`dumps`. Both refuse, with a :class:`JsonTextError` that
says what is wrong and where, what Python's ``json`` module would let through:

- ``NaN``, ``Infinity``, ``-Infinity`` and numbers too large for a double (``1e999``): not JSON,
  and a value holding them cannot be written back as JSON;
- lone UTF-16 surrogates (``"\\ud800"``), escaped or raw: not Unicode, so the text cannot be
  stored or sent as UTF-8;
- nesting deeper than :data:`MAX_DEPTH` levels: every consumer of the value (the size gauge,
  templates, the JSON encoder) stays far from Python's recursion limit.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["MAX_DEPTH", "JsonTextError", "check_value", "depth", "dumps", "loads"]

MAX_DEPTH = 512
"""Deepest nesting of objects and arrays accepted in a payload. Real payloads stay near a dozen
levels; the bound keeps the C encoder and decoder (which recurse) well inside their limits."""

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


class JsonTextError(ValueError):
    """Text (or a value) that is not a JSON payload the engine can carry; ``str()`` says why."""


def _reject_constant(name: str) -> Any:
    raise JsonTextError(f"{name} is not a JSON value (JSON has no NaN or Infinity)")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JsonTextError(f"the number {_clip(text)} is too large for a double")
    return value


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """The value of JSON ``text``, or :class:`JsonTextError` with what is wrong and where."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonTextError(f"not UTF-8 text: invalid byte at offset {exc.start}") from None
    _check_document(text)
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_float)
    except JsonTextError:
        raise
    except json.JSONDecodeError as exc:
        raise JsonTextError(f"line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise JsonTextError(f"nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # integers over Python's digit limit
        raise JsonTextError(str(exc)) from None
    if text.count("[") + text.count("{") > max_depth and depth(value, max_depth) > max_depth:
        raise JsonTextError(f"nested deeper than {max_depth} levels")
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        _check_strings(value)
    return value


def dumps(value: Any, *, max_depth: int = MAX_DEPTH) -> str:
    """Compact JSON text of ``value``; :class:`JsonTextError` when it is not a JSON payload."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except RecursionError:
        raise JsonTextError(f"nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # NaN/Infinity, or a circular reference
        raise JsonTextError(str(exc)) from None
    except TypeError as exc:
        raise JsonTextError(str(exc)) from None
    _check_document(text)
    return text


def check_value(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise :class:`JsonTextError` unless ``value`` is a JSON payload (see the module's rules)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            level += 1
            for key, member in node.items():
                if not isinstance(key, str):
                    raise JsonTextError(f"object keys must be strings, not {type(key).__name__}")
                _check_text(key)
                stack.append((member, level))
        elif isinstance(node, list):
            level += 1
            stack.extend((member, level) for member in node)
        elif isinstance(node, str):
            _check_text(node)
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise JsonTextError(f"{node!r} is not a JSON value (JSON has no NaN or Infinity)")
        elif node is not None and not isinstance(node, (bool, int)):
            raise JsonTextError(f"a {type(node).__name__} is not a JSON value")
        if level > deepest:
            deepest = level
            if deepest > max_depth:
                raise JsonTextError(f"nested deeper than {max_depth} levels")


def depth(value: Any, limit: int | None = None) -> int:
    """Nesting depth of a value (a scalar is 0, ``[]`` is 1; a tuple counts as an array, as the
    encoder writes it), level by level without recursion; with a ``limit``, the walk stops past
    it and returns ``limit + 1``."""
    level = [value] if isinstance(value, _CONTAINERS) else []
    deepest = 0
    while level:
        deepest += 1
        if limit is not None and deepest > limit:
            return deepest
        below = []
        for node in level:
            for member in node.values() if isinstance(node, dict) else node:
                if isinstance(member, _CONTAINERS):
                    below.append(member)
        level = below
    return deepest


_CONTAINERS = (dict, list, tuple)


def _check_strings(value: Any) -> None:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, member in node.items():
                _check_text(key)
                stack.append(member)
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            _check_text(node)


def _check_document(text: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise JsonTextError(
                f"not Unicode text: a lone surrogate at character {exc.start}"
            ) from None


def _check_text(text: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise JsonTextError(
                f"not Unicode text: a lone surrogate in the string {_clip(text)!r}"
            ) from None


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
