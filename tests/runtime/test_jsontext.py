"""runtime.core.jsontext: JSON payloads in and out, refusing what is not JSON a payload can
carry."""

from __future__ import annotations

import math

import pytest

from runtime.core.jsontext import MAX_DEPTH, JsonTextError, check_value, depth, dumps, loads

REFUSED = [
    ("nan", "[NaN]", "NaN is not a JSON value"),
    ("infinity", '{"a": Infinity}', "Infinity is not a JSON value"),
    ("minus_infinity", "-Infinity", "-Infinity is not a JSON value"),
    ("overflow", "[1e999]", "too large for a double"),
    ("long_overflow", "1" + "0" * 400 + ".0", "too large for a double"),
    ("escaped_surrogate", '{"a": "\\ud800"}', "lone surrogate"),
    ("escaped_low_surrogate_key", '{"\\uDC00": 1}', "lone surrogate"),
    ("raw_surrogate", '"\ud800"', "lone surrogate"),
    ("deep_10000", "[" * 10_000 + "]" * 10_000, "nested deeper than"),
    ("deep_just_over", "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested deeper than"),
    ("syntax", '{"a": }', "line 1 column 7"),
    ("bad_utf8", b'"\xff"', "not UTF-8"),
]


@pytest.mark.parametrize("text, message", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused(text: str | bytes, message: str) -> None:
    with pytest.raises(JsonTextError, match=message):
        loads(text)


ACCEPTED = [
    ("pair", '{"a": "\\ud83d\\ude00"}', {"a": "\U0001f600"}),
    ("deep_at_limit", "[" * MAX_DEPTH + "]" * MAX_DEPTH, None),
    ("unicode", '"\u00e9\u2003"', "\u00e9\u2003"),
    ("bytes", b'{"x": 1.5}', {"x": 1.5}),
]


@pytest.mark.parametrize("text, value", [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_accepted(text: str | bytes, value: object) -> None:
    got = loads(text)
    if value is not None:
        assert got == value
    else:
        assert depth(got) == MAX_DEPTH


@pytest.mark.parametrize(
    "value, message",
    [
        (math.nan, "not a JSON value"),
        ({"a": [math.inf]}, "not a JSON value"),
        ("\udc80", "lone surrogate"),
        ({"\ud800": 1}, "lone surrogate"),
        ({1: 2}, "keys must be strings"),
        (object(), "not a JSON value"),
    ],
)
def test_check_value_refuses(value: object, message: str) -> None:
    with pytest.raises(JsonTextError, match=message):
        check_value(value)


def test_deep_values_refused_without_recursion() -> None:
    value: list = []
    for _ in range(20_000):
        value = [value]
    with pytest.raises(JsonTextError, match="nested deeper"):
        check_value(value)
    with pytest.raises(JsonTextError, match="nested deeper"):
        dumps(value)
    assert depth(value) == 20_001


def test_dumps_refuses_what_loads_refuses() -> None:
    with pytest.raises(JsonTextError):
        dumps({"a": math.nan})
    with pytest.raises(JsonTextError, match="lone surrogate"):
        dumps(["\ud800"])
    assert dumps({"a": [1, "é"]}) == '{"a":[1,"é"]}'


@pytest.mark.parametrize(
    "value, expected",
    [
        (1, 0),
        ("x", 0),
        ([], 1),
        ({}, 1),
        ([1, [2, [3]], {"a": {}}], 3),
        ({"a": [[], [[]]]}, 4),
        ((1, (2,)), 2),
    ],
)
def test_depth(value: object, expected: int) -> None:
    assert depth(value) == expected


def test_depth_stops_past_its_limit() -> None:
    value: list = []
    for _ in range(5_000):
        value = [value]
    assert depth(value, limit=10) == 11
