"""Normalising our results the way the recorded AWS results were normalised (see the README)."""

from __future__ import annotations

import json
import re
from typing import Any

_PLACEHOLDER = re.compile(r"<[A-Za-z][A-Za-z0-9_\-]*(?::\d+)?>")
_WILDCARDS = {"date", "datetime", "timestamp"}
# The recordings replaced the execution role's ARN with one of these names.
_ROLE_NAMES = {"snf_role_arn", "sfn_role_arn"}


def parse_json_strings(value: Any) -> Any:
    """A string holding a JSON object becomes the object, as the recorder did (top level only)."""
    if isinstance(value, str) and value.startswith("{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


_ERROR_FIELD = re.compile(r'"(errorMessage|errorType)":\s*"((?:[^"\\]|\\.)*)"')


def _lambda_error(text: str) -> dict | None:
    """errorMessage and errorType of a Lambda runtime's error object held in JSON text.

    Read with a regex: some recordings' placeholders left that JSON text malformed.
    """
    if not text.startswith("{") or '"errorType"' not in text:
        return None
    fields = dict(_ERROR_FIELD.findall(text))
    return fields if "errorType" in fields else None


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


def _masked(key: str, expected: Any) -> bool:
    """The recorder masked some values with their own key's name (``"Date": "Date"``)."""
    return isinstance(expected, str) and expected.lower() == key.lower()


def matches(expected: Any, actual: Any) -> bool:
    """Whether ``actual`` equals ``expected``, treating recorded placeholders as wildcards."""
    if isinstance(expected, str):
        if expected in _WILDCARDS and isinstance(actual, (str, int, float, list)):
            return True
        if expected in _ROLE_NAMES:
            return isinstance(actual, str) and ":role/" in actual
        if not isinstance(actual, str):
            return False
        if expected == actual:
            return True
        expected_error = _lambda_error(expected)
        if expected_error is not None:
            actual_error = _lambda_error(actual)
            return actual_error is not None and all(
                matches(expected_error.get(k), actual_error.get(k))
                for k in ("errorMessage", "errorType")
            )
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
            and all(_masked(k, expected[k]) or matches(expected[k], actual[k]) for k in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return expected == actual
