"""runtime.graph.overlay over real histories (machines run by runtime.execute): statuses,
retries, Catch, Map items (inline and Distributed), Parallel branches, a failed and a running
execution, transitions taken and the timeline."""

from __future__ import annotations

from typing import Any

import pytest

import runtime
from runtime.graph import build_graph, overlay
from tests.graph.examples import EVERYTHING, ROOT, run_everything

PICK = ("status", "entered", "retries", "error")


def _pick(states: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {node: tuple(state[k] for k in PICK) for node, state in states.items()}


@pytest.fixture(scope="module")
def everything() -> Any:
    return run_everything()


def test_retry_catch_map_and_parallel(everything: Any) -> None:
    assert everything.status == "SUCCEEDED"
    result = overlay(build_graph(EVERYTHING), everything.events)
    assert result["status"] == "SUCCEEDED"
    assert _pick(result["states"]) == {
        "P": ("succeeded", 1, 0, None),
        "P/0/A": ("succeeded", 1, 0, None),
        "P/1/B": ("retried", 1, 1, "RuntimeError"),
        "M": ("succeeded", 1, 0, None),
        "M/items/C": ("succeeded", 3, 0, None),
        "M/items/Ok": ("succeeded", 1, 0, None),
        "M/items/Bad": ("caught", 2, 0, "ValueError"),
        "M/items/Caught": ("succeeded", 2, 0, None),
        "Last": ("succeeded", 1, 0, None),
    }
    states = result["states"]
    assert states["M"]["items"] == {
        "total": 3,
        "succeeded": 3,
        "failed": 0,
        "running": 0,
        "aborted": 0,
    }
    assert states["P"]["items"]["total"] == 2 and states["P"]["items"]["succeeded"] == 2
    assert states["M/items/Bad"]["input"] == "3"  # the last visit's
    assert '"Error":"ValueError"' in states["M/items/Bad"]["output"]
    assert states["Last"]["ended"] - states["Last"]["started"] == 5000  # a 5 s Wait
    edges = {tuple(e) for e in result["edges"]}
    assert {
        ("#start", "P"),
        ("P/1#start", "P/1/B"),
        ("P/1/B", "P/1#end"),
        ("P", "M"),
        ("M/items/C", "M/items/Bad"),
        ("M/items/Bad", "M/items/Caught"),
        ("M/items/C", "M/items/Ok"),
        ("M", "Last"),
        ("Last", "#end"),
    } <= edges
    assert ("M/items/Bad", "M/items#end") not in edges
    assert len(result["timeline"]) == 13  # every state visit
    assert [t["id"] for t in result["timeline"]][:1] == ["P"]
    assert result["timeline"][-1] == {
        "id": "Last",
        "name": "Last",
        "start": states["Last"]["started"],
        "end": states["Last"]["ended"],
        "status": "succeeded",
        "retries": 0,
    }


def test_the_history_read_so_far_is_running(everything: Any) -> None:
    events = everything.events
    started = [i for i, e in enumerate(events) if e.type == "MapIterationStarted"]
    cut = started[-1] + 1  # every item started, the first one done
    result = overlay(build_graph(EVERYTHING), events[:cut])
    assert result["status"] == "RUNNING"
    assert result["states"]["M"]["status"] == "running"
    items = result["states"]["M"]["items"]
    assert (items["total"], items["succeeded"], items["running"]) == (3, 1, 2)
    assert result["states"]["M"]["ended"] is None
    assert "Last" not in result["states"]


def test_history_dicts_work_as_core_events(everything: Any) -> None:
    flat = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Fail", "Error": "E", "Cause": "c"},
        },
    }
    run = runtime.execute(flat, {"x": 1})
    from_dicts = overlay(build_graph(flat), run.history)
    assert from_dicts == overlay(build_graph(flat), run.events)
    assert _pick(from_dicts["states"]) == {
        "A": ("succeeded", 1, 0, None),
        "B": ("failed", 1, 0, "E"),
    }
    assert from_dicts["states"]["B"]["cause"] == "c"


def _fail_in(where: str) -> dict[str, Any]:
    failing = {"Type": "Pass", "InputPath": "$.missing", "End": True}
    if where == "map":
        return {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "ItemProcessor": {"StartAt": "X", "States": {"X": failing}},
                    "End": True,
                }
            },
        }
    if where == "items_path":
        return {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "ItemsPath": "$.none",
                    "ItemProcessor": {
                        "StartAt": "X",
                        "States": {"X": {"Type": "Pass", "End": True}},
                    },
                    "End": True,
                }
            },
        }
    return {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "End": True,
                "Branches": [
                    {
                        "StartAt": "X",
                        "States": {"X": {"Type": "Fail", "Error": "Broken", "Cause": "why"}},
                    },
                    {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}},
                ],
            }
        },
    }


@pytest.mark.parametrize(
    ("where", "data", "expected", "group_items"),
    [
        (
            "map",
            [{"a": 1}],
            {
                "M": ("failed", 1, 0, "States.Runtime"),
                "M/items/X": ("failed", 1, 0, "States.Runtime"),
            },
            {"total": 1, "succeeded": 0, "failed": 1, "running": 0, "aborted": 0},
        ),
        ("items_path", {}, {"M": ("failed", 1, 0, "States.Runtime")}, None),
        (
            "parallel",
            {},
            {
                "P": ("failed", 1, 0, "Broken"),
                "P/0/X": ("failed", 1, 0, "Broken"),
                "P/1/W": ("aborted", 1, 0, None),
            },
            {"total": 2, "succeeded": 0, "failed": 1, "running": 0, "aborted": 1},
        ),
    ],
)
def test_failed_executions(
    where: str, data: Any, expected: dict[str, Any], group_items: dict[str, int] | None
) -> None:
    definition = _fail_in(where)
    run = runtime.execute(definition, data, time_skip=True)
    assert run.status == "FAILED"
    result = overlay(build_graph(definition), run.events)
    assert result["status"] == "FAILED"
    assert _pick(result["states"]) == expected
    group = next(iter(expected))
    assert result["states"][group].get("items") == group_items


def test_a_failed_example_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    path = ROOT / "state_machines/error_handling/definition.asl.json"
    run = runtime.execute(
        path, {"orderId": "x", "amount": 1, "card": "0000", "gatewayFailures": 0}, time_skip=True
    )
    result = overlay(build_graph(path.read_text()), run.events)
    assert result["status"] == "FAILED"
    assert _pick(result["states"]) == {
        "Charge": ("caught", 1, 0, "CardDeclined"),
        "Rejected": ("failed", 1, 0, "OrderRejected"),
    }
    assert ["Charge", "Rejected"] in result["edges"]


def test_distributed_map_children_are_counted() -> None:
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ToleratedFailureCount": 1,
                "End": True,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "X",
                    "States": {
                        "X": {
                            "Type": "Choice",
                            "Default": "Ok",
                            "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "F"}],
                        },
                        "Ok": {"Type": "Pass", "End": True},
                        "F": {"Type": "Fail", "Error": "Two"},
                    },
                },
            }
        },
    }
    run = runtime.execute(definition, [1, 2, 3], time_skip=True)
    run_arn = next(e.details["mapRunArn"] for e in run.events if e.type == "MapRunStarted")
    ends = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED"}
    children = [{"executionArn": run_arn, "mapRunArn": run_arn, "status": "SUCCEEDED"}]
    children += [
        {"executionArn": arn, "mapRunArn": run_arn, "status": ends.get(h[-1].type, "RUNNING")}
        for arn, h in run.child_histories.items()
    ]
    children.append({"executionArn": "other", "mapRunArn": "another run", "status": "FAILED"})
    result = overlay(build_graph(definition), run.events, children)
    assert result["states"]["M"]["status"] == "succeeded"
    assert result["states"]["M"]["items"] == {
        "total": 3,
        "succeeded": 2,
        "failed": 1,
        "running": 0,
        "aborted": 0,
    }


def test_a_history_of_another_machine_is_refused(everything: Any) -> None:
    other = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    with pytest.raises(ValueError, match="of this graph"):
        overlay(build_graph(other), everything.events)
