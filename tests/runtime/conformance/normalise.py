"""Normalising our results the way the recorded AWS results were normalised (see the README)."""

from __future__ import annotations

import json
import re
from typing import Any

_PLACEHOLDER = re.compile(r"<[A-Za-z_\-]+(?::\d+)?>|<[A-Za-z]+_\d+idx>")
_WILDCARDS = {"date", "datetime", "timestamp"}


def parse_json_strings(value: Any) -> Any:
    """Strings holding JSON objects become objects, as the recorder did."""
    if isinstance(value, str) and value.startswith("{"):
        try:
            return parse_json_strings(json.loads(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return {k: parse_json_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [parse_json_strings(v) for v in value]
    return value


def rewrite(value: Any, replacements: list[tuple[str, str]]) -> Any:
    """Apply regex replacements to every string inside a value."""
    if isinstance(value, str):
        for pattern, repl in replacements:
            value = re.sub(pattern, repl, value)
        return value
    if isinstance(value, dict):
        return {rewrite(k, replacements): rewrite(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [rewrite(v, replacements) for v in value]
    return value


def matches(expected: Any, actual: Any) -> bool:
    """Whether ``actual`` equals ``expected``, treating recorded placeholders as wildcards."""
    if isinstance(expected, str):
        if expected in _WILDCARDS and isinstance(actual, (str, int, float)):
            return True
        if not isinstance(actual, str):
            return False
        if expected == actual:
            return True
        if _PLACEHOLDER.search(expected):
            parts = _PLACEHOLDER.split(expected)
            pattern = ".+?".join(re.escape(p) for p in parts)
            return re.fullmatch(pattern, actual, re.S) is not None
        return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return expected == actual
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(matches(expected[k], actual[k]) for k in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return expected == actual
