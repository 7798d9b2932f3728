"""JSONata expressions lifted from the AWS-recorded conformance cases.

1. Every case that is one JSONata Pass state (Output and/or Assign) is evaluated through
   asl.jsonata and must give AWS's output, or AWS's error and cause minus the runtime's
   ``An error occurred while executing the state ...`` prefix.
2. Expressions from multi-state cases (Choice conditions, Map Items, Arguments...) with the value
   AWS's recorded run implies.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from asl.errors import StatesError
from asl.jsonata import compile_jsonata, compile_jsonata_template, unexpected_type_error
from tests.conftest import conformance_dir

CONFORMANCE = conformance_dir()
FIELDS = {"Type", "End", "Comment", "QueryLanguage", "Output", "Assign"}
PREFIX = re.compile(
    r"^An error occurred while executing the state '[^']*' \(entered at the event "
    r"id #\d+\)\. "
)


def _cases() -> list[Path]:
    found = []
    for path in sorted((CONFORMANCE / "execution").glob("*.json")):
        definition = json.loads(path.read_text())["definition"]
        if len(definition["States"]) != 1:
            continue
        (state,) = definition["States"].values()
        language = state.get("QueryLanguage", definition.get("QueryLanguage", "JSONPath"))
        if language == "JSONata" and state["Type"] == "Pass" and not set(state) - FIELDS:
            found.append(path)
    return found


CASES = _cases()


@pytest.mark.skipif(not CASES, reason=f"no conformance cases under {CONFORMANCE}")
@pytest.mark.parametrize("path", CASES, ids=[p.stem[-60:] for p in CASES])
def test_single_pass_state_matches_aws(path: Path) -> None:
    case = json.loads(path.read_text())
    (state,) = case["definition"]["States"].values()
    states = {"input": case["input"], "context": {}}
    expected = case["expected"]
    try:
        if "Assign" in state:
            compile_jsonata_template(state["Assign"], "Assign")(states, {})
        output = (
            compile_jsonata_template(state["Output"], "Output")(states, {})
            if "Output" in state
            else case["input"]
        )
    except StatesError as error:
        assert expected["status"] == "FAILED", error
        assert error.error == expected["error"]
        assert error.cause == PREFIX.sub("", expected["cause"])
        return
    assert expected["status"] == "SUCCEEDED"
    assert json.dumps(output) == json.dumps(expected["output"])


# (case, expression, state input, variables, value AWS's run implies)
LIFTED: list[tuple[str, str, Any, dict[str, Any], Any]] = [
    (
        "arguments BASE_LAMBDA_EXPRESSION",
        "$sum($states.input.input_values) + $var_constant_1",
        {"input_value": "string literal", "input_values": [1, 2, 3]},
        {"var_constant_1": 1},
        7,
    ),
    (
        "arguments BASE_LAMBDA_EXPRESSION",
        "$var_input_value",
        {},
        {"var_input_value": "string literal"},
        "string literal",
    ),
    ("evaluate_jsonata map ITEMS", '$number("2")', {}, {}, 2),
    ("evaluate_jsonata MAX_CONCURRENCY", "$variable := 1", {}, {}, 1),
    (
        "evaluate_jsonata task_from_input HEARTBEAT",
        "$states.input.input_value",
        {"input_value": 1},
        {},
        1,
    ),
    (
        "assign_in_choice CONDITION_FALSE",
        "$states.input.condition",
        {"condition": False},
        {},
        False,
    ),
    (
        "CHOICE_STATE_AWS_SCENARIO_JSONATA",
        "$not($states.input.type = 'Private')",
        {"type": "Private", "value": 22},
        {},
        False,
    ),
    (
        "CHOICE_STATE_AWS_SCENARIO_JSONATA",
        "$states.input.value = 0",
        {"type": "Private", "value": 22},
        {},
        False,
    ),
    (
        "CHOICE_STATE_AWS_SCENARIO_JSONATA",
        "$states.input.value >= 20 and $states.input.value < 30",
        {"type": "Private", "value": 22},
        {},
        True,
    ),
    (
        "CHOICE_STATE_SINGLETON_COMPOSITE_JSONATA",
        "$states.input.type = 'Public'",
        {"type": "Public", "value": 22},
        {},
        True,
    ),
    (
        "CHOICE_STATE_UNSORTED_CHOICE_PARAMETERS (negative)",
        "$states.input.result.done",
        {"result": {"done": False}},
        {},
        False,
    ),
    (
        "CHOICE_STATE_UNSORTED_CHOICE_PARAMETERS (negative)",
        "$not($states.input.result.done)",
        {"result": {"done": False}},
        {},
        True,
    ),
    ("ESCAPE_SEQUENCES_JSONATA_COMPARISON_OUTPUT", "$states.input = '\"'", '"', {}, True),
    ("fail_error_jsonata", "$states.input.error", {"error": "Exception"}, {}, "Exception"),
    (
        "MAP_STATE_ITEM_SELECTOR_JSONATA",
        "$states.context.Map.Item.Value",
        None,
        {"ItemsVar": ["Item1", "Item2"]},
        "Item1",
    ),
    (
        "MAP_STATE_ITEM_SELECTOR_JSONATA",
        "$ItemsVar",
        None,
        {"ItemsVar": ["Item1", "Item2"]},
        ["Item1", "Item2"],
    ),
    ("map_state_items_eval_jsonata_empty", "[]", {}, {}, []),
    ("map_state_items_eval_jsonata_mixed", "[1, 'two', 3]", {}, {}, [1, "two", 3]),
    ("items_eval_jsonata_variable_sampling_fail_object", "{'foo': 'bar'}", {}, {}, {"foo": "bar"}),
    (
        "map_state_items_input_array_mixed",
        "$states.input.items",
        {"items": [1, "two", True]},
        {},
        [1, "two", True],
    ),
    ("map_state_items_variable_sampling_null", "$ItemsVar", {}, {"ItemsVar": None}, None),
    ("wait_seconds_jsonata", "$states.input.waitSeconds", {"waitSeconds": 0}, {}, 0),
    (
        "TASK_CATCH_ERROR_VARIABLE_SAMPLING",
        "$states.errorOutput",
        {},
        {},
        {"Error": "Exception", "Cause": "boom"},
    ),
    (
        "query_language LEGACY_RESOURCE_JSONATA",
        "$states.result",
        {},
        {},
        {"Payload": {"foo": "foo-1"}},
    ),
]


@pytest.mark.parametrize(
    ("case", "expr", "state_input", "variables", "expected"),
    LIFTED,
    ids=[f"{c[0]}: {c[1]}"[:80] for c in LIFTED],
)
def test_lifted_expression(
    case: str, expr: str, state_input: Any, variables: dict[str, Any], expected: Any
) -> None:
    states = {
        "input": state_input,
        "context": {"Map": {"Item": {"Index": 0, "Value": "Item1"}}},
        "result": {"Payload": {"foo": "foo-1"}},
        "errorOutput": {"Error": "Exception", "Cause": "boom"},
    }
    value = compile_jsonata("{% " + expr + " %}", "Output")(states, variables)
    assert json.dumps(value) == json.dumps(expected)


def test_map_items_function_result() -> None:
    """scenarios map_state_items_eval_jsonata_fail_function."""
    with pytest.raises(StatesError) as info:
        compile_jsonata("{% $fn := function($x){$x} %}", "Items")({"input": {}}, {})
    assert info.value.cause == (
        "The JSONata expression '$fn := function($x){$x}' specified for "
        "the field 'Items' returned an unsupported result type."
    )


@pytest.mark.parametrize(
    ("value", "cause_tail"),
    [
        (1, "Expected 'array', but was 'number' for value: 1"),
        ("string", "Expected 'array', but was 'string' for value: \"string\""),
        ({"foo": "bar"}, "Expected 'array', but was 'object' for value: {\"foo\":\"bar\"}"),
        (None, "Expected 'array', but was 'null' for value: null"),
    ],
)
def test_map_items_wrong_type(value: Any, cause_tail: str) -> None:
    """scenarios map_state_items_(eval_jsonata_)variable_sampling_*: the runtime's type check."""
    evaluator = compile_jsonata("{% $ItemsVar %}", "Items")
    items = evaluator({"input": {}}, {"ItemsVar": value})
    assert items == value
    error = unexpected_type_error(evaluator, "array", items)
    assert error.error == "States.QueryEvaluationError"
    assert error.cause == (
        "The JSONata expression '$ItemsVar' specified for the field 'Items' "
        f"returned an unexpected result type. {cause_tail}"
    )
