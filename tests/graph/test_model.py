"""runtime.graph.build_graph: nodes, edges, labels, groups and ids, over the example machines
and purpose-made definitions."""

from __future__ import annotations

from typing import Any

import pytest

import asl
from runtime.graph import build_graph, rule_label
from runtime.graph.style import all_nodes
from tests.graph.examples import EVERYTHING, example_machines

EXAMPLES = example_machines()


@pytest.mark.parametrize(
    ("rule", "label"),
    [
        ({"Variable": "$.x", "NumericGreaterThan": 3}, "$.x > 3"),
        ({"Variable": "$.x", "NumericLessThanEqualsPath": "$.y"}, "$.x <= $.y"),
        ({"Variable": "$.s", "StringEquals": "b"}, '$.s == "b"'),
        ({"Not": {"Variable": "$.a", "StringEquals": "b"}}, 'not($.a == "b")'),
        ({"Variable": "$.f", "BooleanEquals": True}, "$.f == true"),
        (
            {"Variable": "$.t", "TimestampGreaterThanEquals": "2024-01-01T00:00:00Z"},
            '$.t >= "2024-01-01T00:00:00Z"',
        ),
        ({"Variable": "$.n", "IsPresent": False}, "not present($.n)"),
        ({"Variable": "$.n", "IsNull": True}, "null($.n)"),
        ({"Variable": "$.s", "StringMatches": "log-*"}, '$.s like "log-*"'),
        (
            {
                "And": [
                    {"Variable": "$.a", "NumericEquals": 1},
                    {"Variable": "$.b", "IsString": True},
                ]
            },
            "($.a == 1) and (string($.b))",
        ),
        (
            {
                "Or": [
                    {"Variable": "$.a", "NumericEquals": 1},
                    {"Variable": "$.a", "NumericEquals": 2},
                ]
            },
            "($.a == 1) or ($.a == 2)",
        ),
        ({"Condition": "{% $states.input.total > 100 %}"}, "$states.input.total > 100"),
        ({"Condition": True}, "true"),
        ({"Variable": "$.long", "StringEquals": "x" * 80}, '$.long == "' + "x" * 36 + "…"),
    ],
)
def test_choice_rules_are_short_labels(rule: dict[str, Any], label: str) -> None:
    assert rule_label({**rule, "Next": "X"}) == label


def _ids(graph: dict[str, Any]) -> list[str]:
    return [n["id"] for n in all_nodes(graph)]


def _states(definition: Any) -> int:
    machine = definition if isinstance(definition, asl.StateMachine) else asl.load(definition)
    return sum(1 for _ in machine.iter_all_states())


@pytest.mark.parametrize(("name", "definition"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_examples_have_a_node_per_state_and_unique_ids(name: str, definition: Any) -> None:
    graph = build_graph(definition)
    ids = _ids(graph)
    assert len(ids) == len(set(ids))
    states = [n for n in all_nodes(graph) if n["type"] not in ("Start", "End")]
    assert len(states) == _states(definition)
    known = set(ids)
    for scope in _scopes(graph):
        assert f"{scope['id']}#start" in {n["id"] for n in scope["nodes"]}
        for edge in scope["edges"]:
            assert edge["source"] in known and edge["target"] in known
            assert edge["kind"] in ("next", "choice", "default", "catch")


def _scopes(graph: dict[str, Any]) -> list[dict[str, Any]]:
    out = [graph]
    for node in graph["nodes"]:
        for group in node.get("groups") or ():
            out.extend(_scopes(group))
    return out


def test_everything_kind_of_state_and_edge() -> None:
    graph = build_graph(EVERYTHING)
    nodes = {n["id"]: n for n in all_nodes(graph)}
    assert [g["id"] for g in nodes["P"]["groups"]] == ["P/0", "P/1"]
    assert nodes["P/1/B"]["retry"] == [
        {"errors": ["States.ALL"], "maxAttempts": 3, "interval": 1, "backoff": 2.0}
    ]
    assert nodes["P/1/B"]["detail"] == "lambda:flaky"
    assert nodes["M"]["distributed"] is False
    assert nodes["M"]["groups"][0]["id"] == "M/items"
    assert nodes["Last"]["detail"] == "Seconds 5"
    edges = {(e["source"], e["target"]): e for g in _scopes(graph) for e in g["edges"]}
    assert edges[("#start", "P")]["kind"] == "next"
    assert edges[("P", "M")]["kind"] == "next"
    assert edges[("Last", "#end")]["kind"] == "next"
    assert edges[("M/items/C", "M/items/Bad")] == {
        "source": "M/items/C",
        "target": "M/items/Bad",
        "kind": "choice",
        "label": "$ > 1",
    }
    assert edges[("M/items/C", "M/items/Ok")]["label"] == "Default"
    assert edges[("M/items/Bad", "M/items/Caught")]["kind"] == "catch"
    assert edges[("M/items/Bad", "M/items/Caught")]["label"] == "States.ALL"
    assert edges[("M/items/Ok", "M/items#end")]["kind"] == "next"


def test_distributed_map_and_clashing_names() -> None:
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "X",
                    "States": {"X": {"Type": "Pass", "End": True}},
                },
                "Next": "M/items/X",
            },
            "M/items/X": {"Type": "Fail", "Error": "Oops"},
        },
    }
    graph = build_graph(definition)
    nodes = {n["id"]: n for n in all_nodes(graph)}
    assert nodes["M"]["distributed"] is True
    assert nodes["M"]["detail"] == "Distributed Map"
    ids = _ids(graph)
    assert len(ids) == len(set(ids))
    assert {n["name"] for n in nodes.values()} >= {"X", "M/items/X"}
    fail = next(n for n in nodes.values() if n["name"] == "M/items/X")
    assert fail["detail"] == "Oops"


def test_an_invalid_definition_is_refused() -> None:
    with pytest.raises(asl.DefinitionError):
        build_graph({"StartAt": "Nowhere", "States": {"A": {"Type": "Pass", "End": True}}})
