"""The payload quota: the gauge's verdict is the exact one, on both sides of the limit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runtime.core.size import PAYLOAD_LIMIT, SizeGauge

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


# A ResultPath placing a result into a measured input is bounded from the input's recorded bound
# (not walked again); the verdict must still be exact, for a Pass's result and for a Catch.
def _placing(result_path: str, catch: bool) -> dict[str, Any]:
    add = (
        {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Boom",
                    "States": {"Boom": {"Type": "Fail", "Error": "E", "Cause": "c" * 100_000}},
                }
            ],
            "Catch": [{"ErrorEquals": ["E"], "ResultPath": result_path, "Next": "Done"}],
            "Next": "Done",
        }
        if catch
        else {"Type": "Pass", "Result": "r" * 100_000, "ResultPath": result_path, "Next": "Done"}
    )
    return {
        "StartAt": "Measure",
        "States": {
            "Measure": {"Type": "Pass", "Next": "Add"},  # its output is the input, measured
            "Add": add,
            "Done": {"Type": "Succeed"},
        },
    }


@pytest.mark.parametrize("catch", [False, True], ids=["pass", "catch"])
@pytest.mark.parametrize("result_path", ["$.added", "$.deep.er.added"])
@pytest.mark.parametrize("input_size", [150_000, 170_000])
def test_placed_result_verdict_is_exact(catch: bool, result_path: str, input_size: int) -> None:
    import runtime

    value = {"big": _string_of(input_size)}
    result = runtime.execute(_placing(result_path, catch), value, express=True)
    expected = _placed_output(value, result_path, catch)
    if _exact(expected):
        assert (result.status, result.error) == ("FAILED", "States.DataLimitExceeded")
    else:
        assert result.status == "SUCCEEDED", result
        assert result.output == expected


def _placed_output(value: dict[str, Any], result_path: str, catch: bool) -> dict[str, Any]:
    placed = {"Error": "E", "Cause": "c" * 100_000} if catch else "r" * 100_000
    out = dict(value)
    node = out
    *parents, last = result_path[2:].split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = placed
    return out


def test_both_sides_of_the_limit_are_covered() -> None:
    verdicts = {
        _exact(_placed_output({"big": _string_of(size)}, "$.added", False))
        for size in (150_000, 170_000)
    }
    assert verdicts == {True, False}


@pytest.mark.parametrize("size", [LIMIT, LIMIT + 1])
def test_a_pass_result_over_the_quota_fails(size: int) -> None:
    import runtime

    machine = {
        "StartAt": "Big",
        "States": {
            "Big": {"Type": "Pass", "Result": _string_of(size), "Next": "Again"},
            "Again": {"Type": "Pass", "Result": _string_of(size), "End": True},
        },
    }
    result = runtime.execute(machine, {}, express=True)
    if size > LIMIT:
        assert (result.status, result.error) == ("FAILED", "States.DataLimitExceeded")
        assert "'Big'" in (result.cause or "")
    else:
        assert result.status == "SUCCEEDED"
        assert len(result.output) == size - 2


# A template's output is bounded from its data's measured bound (asl's size_terms): a template
# that copies its data twice can go over the quota where copying it once does not.
@pytest.mark.parametrize("copies", [1, 2])
@pytest.mark.parametrize("where", ["top", "map item", "after a state"])
def test_template_copies_verdict_is_exact(copies: int, where: str) -> None:
    import runtime

    template = {f"c{i}.$": "$.big" for i in range(copies)}
    template["n.$"] = "States.MathAdd($.n, 1)"
    double = {"Type": "Pass", "Parameters": template, "End": True}
    if where == "map item":
        states: dict[str, Any] = {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {"StartAt": "Double", "States": {"Double": double}},
                "End": True,
            }
        }
        start, value = "Each", {"items": [{"big": _string_of(150_000), "n": 1}]}
    else:
        states = {"Double": double}
        start, value = "Double", {"big": _string_of(150_000), "n": 1}
        if where == "after a state":
            states["First"] = {"Type": "Pass", "Next": "Double"}
            start = "First"
    result = runtime.execute({"StartAt": start, "States": states}, value, express=True)
    if copies == 2:
        assert (result.status, result.error) == ("FAILED", "States.DataLimitExceeded")
    else:
        assert result.status == "SUCCEEDED", result


def test_an_input_over_the_quota_fails_the_first_state() -> None:
    import runtime

    machine = {"StartAt": "Only", "States": {"Only": {"Type": "Pass", "End": True}}}
    result = runtime.execute(machine, {"big": _string_of(LIMIT)}, express=True)
    assert (result.status, result.error) == ("FAILED", "States.DataLimitExceeded")


@pytest.mark.parametrize("scope", ["Map", "Parallel"])
@pytest.mark.parametrize("first", ["Choice", "Pass"])
def test_a_scope_over_the_quota_is_caught(first: str, scope: str) -> None:
    """A scope's first state measures its input: over the quota, it fails the way a Catch
    sees (a Choice or Pass that only passes its data on included)."""
    import runtime

    opening: dict[str, Any] = {"Type": "Pass", "Next": "End"}
    if first == "Choice":
        opening = {
            "Type": "Choice",
            "Choices": [{"Variable": "$", "IsString": True, "Next": "End"}],
            "Default": "End",
        }
    inner = {"StartAt": "First", "States": {"First": opening, "End": {"Type": "Succeed"}}}
    outer: dict[str, Any] = {"Type": "Map", "ItemProcessor": inner}
    if scope == "Parallel":
        outer = {"Type": "Parallel", "Branches": [inner]}
    outer["Catch"] = [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "Done"}]
    outer["End"] = True
    machine = {"StartAt": "Outer", "States": {"Outer": outer, "Done": {"Type": "Succeed"}}}
    big = [_string_of(LIMIT + 1)]
    result = runtime.execute(machine, big if scope == "Map" else big[0], express=True)
    assert result.status == "SUCCEEDED", result
    assert result.output["Error"] == "States.DataLimitExceeded"
