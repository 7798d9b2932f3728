"""Fuzz: any JSON-ish input through a few machines ends in an ExecutionResult or the documented
JsonTextError, never another exception; the history is JSON in UTF-8."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import runtime
from runtime.core.jsontext import JsonTextError

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(), max_size=8),
    st.sampled_from(["\ud800", "a\udfffb", "é😀"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


def _deep(levels: int) -> Any:
    value: Any = 0
    for _ in range(levels):
        value = [value]
    return value


INPUTS = st.one_of(VALUES, st.integers(500, 1_200).map(_deep))

MACHINES = {
    "pass": {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Pass",
                "Parameters": {
                    "text.$": "States.JsonToString($)",
                    "arr.$": "States.Array($, $)",
                    "hash.$": "States.Hash(States.JsonToString($), 'SHA-256')",
                },
                "Next": "C",
            },
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.arr[0]", "IsPresent": True, "Next": "Done"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    },
    "map": {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
    },
}


@pytest.mark.parametrize("machine", MACHINES)
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(value=INPUTS)
def test_any_input_ends_in_a_result_or_the_input_error(machine: str, value: Any) -> None:
    definition = MACHINES[machine]
    for given_input in (value, {"items": [value, value]}):
        try:
            result = runtime.execute(definition, given_input, express=True)
        except JsonTextError:
            continue
        assert result.status in ("SUCCEEDED", "FAILED")
        json.dumps(result.history, ensure_ascii=False, allow_nan=False).encode("utf-8")
        json.dumps(result.output, ensure_ascii=False, allow_nan=False).encode("utf-8")
