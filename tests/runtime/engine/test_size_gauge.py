"""The payload quota: the gauge's verdict is the exact one, on both sides of the limit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runtime._size import PAYLOAD_LIMIT, SizeGauge

LIMIT = PAYLOAD_LIMIT


def _exact(value: Any) -> bool:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return len(text.encode()) > LIMIT


def _string_of(size: int, char: str = "x") -> str:
    """A string whose JSON (with its quotes) takes ``size`` UTF-8 bytes, for 1-byte chars."""
    return char * (size - 2)


SHARED = list(range(30_000))  # about 170 KB as JSON

VALUES = [
    ("empty", {}),
    ("small", {"i": 1, "limit": 1000, "name": "x", "ok": False, "none": None}),
    ("string at the limit", _string_of(LIMIT)),
    ("string one over", _string_of(LIMIT + 1)),
    ("dict at the limit", {"k": _string_of(LIMIT - len('{"k":}'))}),
    ("dict one over", {"k": _string_of(LIMIT - len('{"k":}') + 1)}),
    ("two-byte characters, under", ["é" * 60_000]),
    ("two-byte characters, over", ["é" * 140_000]),
    ("four-byte characters, over", {"s": "😀" * 70_000}),
    ("control characters, over", {"s": "\x01" * 50_000}),
    ("huge integers, over", {"n": [10**300] * 1000}),
    ("floats and infinities", {"f": [1e308, float("inf"), -0.5] * 1000}),
    ("a shared big list, under", {"a": SHARED}),
    ("the shared list twice, over", {"a": SHARED, "b": SHARED}),
    ("nested small containers, over", [[{"x": "y" * 1000}] * 8] * 40),
    ("deep and small", {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": [1]}}}}}}}}}),
]


@pytest.mark.parametrize("value", [v for _, v in VALUES], ids=[n for n, _ in VALUES])
def test_verdict_is_exact(value: Any) -> None:
    gauge = SizeGauge()
    assert gauge.too_large(value) is _exact(value)
    assert gauge.too_large(value) is _exact(value)  # again, with what the gauge remembers


def test_known_text_is_used() -> None:
    text = json.dumps(_string_of(LIMIT + 1))
    assert SizeGauge().too_large(None, text) is True
    assert SizeGauge().too_large(None, "1") is False
