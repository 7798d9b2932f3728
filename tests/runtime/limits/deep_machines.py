"""Machines that nest their data deeper and deeper, one per route data can take, shared by the
deep-data tests of ``runtime.execute``, ``asl run`` and ``asl serve``.

Each loop wraps its data (or a variable) one level or more per round and stops after 1,500 rounds:
unrefused, it would end SUCCEEDED with data 1,500 levels deep or more. The one-shot machines make
such data in a single step. Pass, Choice, Map and Parallel only: ``asl serve`` runs them all.
"""

from __future__ import annotations

from typing import Any

ROUNDS = 1_500


def nested_text(levels: int) -> str:
    """JSON text of ``levels`` arrays, one inside the other."""
    return "[" * levels + "]" * levels


def _jsonpath_loop(wrap: dict[str, Any], start: Any = None) -> dict[str, Any]:
    """Init (n = 0 and v = {}; ``start`` as the data) -> Wrap -> Count -> Check -> Wrap..."""
    init: dict[str, Any] = {"Type": "Pass", "Assign": {"n": 0, "v": {}}, "Next": "Wrap"}
    if start is not None:
        init["Result"] = start
    return {
        "StartAt": "Init",
        "States": {
            "Init": init,
            "Wrap": {**wrap, "Next": "Count"},
            "Count": {"Type": "Pass", "Assign": {"n.$": "States.MathAdd($n, 1)"}, "Next": "Check"},
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$n", "NumericGreaterThanEquals": ROUNDS, "Next": "Done"}],
                "Default": "Wrap",
            },
            "Done": {"Type": "Succeed"},
        },
    }


def _jsonata_loop(wrap: dict[str, Any]) -> dict[str, Any]:
    """The same loop in JSONata: Wrap also counts the rounds in $n."""
    return {
        "QueryLanguage": "JSONata",
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"n": 0}, "Next": "Wrap"},
            "Wrap": {**wrap, "Assign": {"n": "{% $n + 1 %}"}, "Next": "Check"},
            "Check": {
                "Type": "Choice",
                "Choices": [{"Condition": f"{{% $n >= {ROUNDS} %}}", "Next": "Done"}],
                "Default": "Wrap",
            },
            "Done": {"Type": "Succeed"},
        },
    }


def _one_shot(parameters: dict[str, Any], start: Any) -> dict[str, Any]:
    return {
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Result": start, "Next": "Make"},
            "Make": {"Type": "Pass", "Parameters": parameters, "End": True},
        },
    }


_BRANCH = {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}
_JSONATA_BRANCH = {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}

ROUTES: dict[str, dict[str, Any]] = {
    "Parameters": _jsonpath_loop({"Type": "Pass", "Parameters": {"in.$": "$"}}),
    "ResultPath": _jsonpath_loop({"Type": "Pass", "ResultPath": "$.a"}, start={"a": 0}),
    "ResultSelector": _jsonpath_loop(
        {"Type": "Parallel", "Branches": [_BRANCH], "ResultSelector": {"in.$": "$[0]"}}
    ),
    "ItemSelector": _jsonpath_loop(
        {
            "Type": "Map",
            "ItemsPath": "$.l",
            "ItemSelector": {"in.$": "$$.Map.Item.Value"},
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
            "ResultPath": "$.l",
        },
        start={"l": [0]},
    ),
    "Parallel results": _jsonpath_loop({"Type": "Parallel", "Branches": [_BRANCH]}),
    "Assign (a variable)": _jsonpath_loop({"Type": "Pass", "Assign": {"v": {"in.$": "$v"}}}),
    "States.Array": _jsonpath_loop({"Type": "Pass", "Parameters": {"a.$": "States.Array($)"}}),
    "States.JsonMerge": _jsonpath_loop(
        {"Type": "Pass", "Parameters": {"a.$": "States.JsonMerge($, $, false)"}}, start={}
    ),
    "States.StringToJson, 700 levels": _one_shot(
        {"a.$": "States.StringToJson($.s)"}, {"s": nested_text(700)}
    ),
    "States.StringToJson, 1,500 levels": _one_shot(
        {"a.$": "States.StringToJson($.s)"}, {"s": nested_text(ROUNDS)}
    ),
    "JSONata Output": _jsonata_loop({"Type": "Pass", "Output": "{% {'in': $states.input} %}"}),
    "JSONata Arguments": _jsonata_loop(
        {
            "Type": "Parallel",
            "Arguments": "{% {'in': $states.input} %}",
            "Branches": [_JSONATA_BRANCH],
            "Output": "{% $states.result[0] %}",
        }
    ),
    "Map results": _jsonpath_loop(
        {
            "Type": "Map",
            "ItemsPath": "$.l",
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
            "ResultPath": "$.l[0]",
        },
        start={"l": [0]},
    ),
}
"""Route -> a machine whose data would grow past 1,500 levels through it."""
