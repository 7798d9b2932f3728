"""The context object is built only for states that can read it, and every field that can
read it sees it; random draws come from the execution's seeded source."""

from __future__ import annotations

import json
from typing import Any

import pytest

import runtime

NAME = "ctx-run"


def _one(state: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"StartAt": "S", "States": {"S": {**state, "End": True}, **more}}


CASES = [
    ("Parameters", _one({"Type": "Pass", "Parameters": {"n.$": "$$.State.Name"}}), {"n": "S"}),
    ("InputPath", _one({"Type": "Pass", "InputPath": "$$.Execution.Name"}), NAME),
    ("OutputPath", _one({"Type": "Pass", "OutputPath": "$$.State.Name"}), "S"),
    (
        "intrinsic argument",
        _one({"Type": "Pass", "Parameters": {"f.$": "States.Format('{}!', $$.State.Name)"}}),
        {"f": "S!"},
    ),
    (
        "Assign",
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Assign": {"who.$": "$$.State.Name"}, "Next": "B"},
                "B": {"Type": "Pass", "Parameters": {"who.$": "$who"}, "End": True},
            },
        },
        {"who": "A"},
    ),
    (
        "Choice Variable",
        {
            "StartAt": "C",
            "States": {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$$.State.Name", "StringEquals": "C", "Next": "Yes"}],
                    "Default": "No",
                },
                "Yes": {"Type": "Pass", "Result": "yes", "End": True},
                "No": {"Type": "Pass", "Result": "no", "End": True},
            },
        },
        "yes",
    ),
    (
        "JSONata $states.context",
        _one(
            {
                "Type": "Pass",
                "QueryLanguage": "JSONata",
                "Output": "{% $states.context.State.Name %}",
            }
        ),
        "S",
    ),
    (
        "a branch sees the execution",
        _one(
            {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "B",
                        "States": {
                            "B": {
                                "Type": "Pass",
                                "Parameters": {"n.$": "$$.Execution.Name", "s.$": "$$.State.Name"},
                                "End": True,
                            }
                        },
                    }
                ],
            }
        ),
        [{"n": NAME, "s": "B"}],
    ),
    (
        "a map item sees the execution",
        _one(
            {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "StartAt": "I",
                    "States": {
                        "I": {
                            "Type": "Pass",
                            "Parameters": {"n.$": "$$.Execution.Name"},
                            "End": True,
                        }
                    },
                },
            }
        ),
        [{"n": NAME}, {"n": NAME}],
    ),
]


@pytest.mark.parametrize(
    ("definition", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_fields_read_the_context(definition: dict[str, Any], expected: Any) -> None:
    result = runtime.execute(json.dumps(definition), {"items": [1, 2]}, name=NAME, time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == expected


def test_entered_time_is_the_state_entered_event_time() -> None:
    definition = _one({"Type": "Pass", "Parameters": {"t.$": "$$.State.EnteredTime"}})
    result = runtime.execute(json.dumps(definition), {})
    entered = next(e for e in result.events if e.type == "PassStateEntered")
    assert result.output["t"] == entered.timestamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@pytest.mark.parametrize(
    "fields",
    [
        {"Parameters": {"u.$": "States.UUID()"}},
        {"Parameters": {"r.$": "States.MathRandom(1, 1000000)"}},
        {"QueryLanguage": "JSONata", "Output": "{% $uuid() %}"},
        {"QueryLanguage": "JSONata", "Output": "{% $random() %}"},
    ],
    ids=["States.UUID", "States.MathRandom", "$uuid", "$random"],
)
def test_random_draws_follow_the_seed(fields: dict[str, Any]) -> None:
    definition = json.dumps(_one({"Type": "Pass", **fields}))
    first = runtime.execute(definition, {}, seed=11).output
    again = runtime.execute(definition, {}, seed=11).output
    other = runtime.execute(definition, {}, seed=12).output
    assert first == again
    assert first != other


VARIABLES = [
    (
        "a branch that never assigns reads the outer variables",
        {
            "StartAt": "Set",
            "States": {
                "Set": {"Type": "Pass", "Assign": {"x": 1}, "Next": "P"},
                "P": {
                    "Type": "Parallel",
                    "Branches": [
                        {
                            "StartAt": "Read",
                            "States": {
                                "Read": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": True}
                            },
                        }
                    ],
                    "End": True,
                },
            },
        },
        [{"x": 1}],
    ),
    (
        "an iteration's own variables shadow and do not leak",
        {
            "StartAt": "Set",
            "States": {
                "Set": {"Type": "Pass", "Assign": {"x": "outer"}, "Next": "M"},
                "M": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "ItemProcessor": {
                        "StartAt": "Own",
                        "States": {
                            "Own": {"Type": "Pass", "Assign": {"x.$": "$"}, "Next": "Read"},
                            "Read": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": True},
                        },
                    },
                    "ResultPath": "$.out",
                    "Next": "After",
                },
                "After": {
                    "Type": "Pass",
                    "Parameters": {"x.$": "$x", "out.$": "$.out"},
                    "End": True,
                },
            },
        },
        {"x": "outer", "out": [{"x": 1}, {"x": 2}]},
    ),
]


@pytest.mark.parametrize(
    ("definition", "expected"), [c[1:] for c in VARIABLES], ids=[c[0] for c in VARIABLES]
)
def test_variable_scopes(definition: dict[str, Any], expected: Any) -> None:
    result = runtime.execute(json.dumps(definition), {"items": [1, 2]})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == expected
