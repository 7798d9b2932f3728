"""Distributed Map: child executions with their own histories, tolerance, concurrency, Label."""

from __future__ import annotations

import pytest

import runtime

from .support import FAIL_MARKED, PASS, distributed, types

ITEM_ARN = "arn:aws:states:us-east-1:111111111111:execution:machine/"


def test_each_item_is_a_child_execution_with_its_own_history() -> None:
    result = runtime.execute(distributed(Label="Work"), ["a", "b", "c"], time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == ["a", "b", "c"]
    # The parent's history has the Map Run, not the children's states.
    assert "PassStateEntered" not in types(result.history)
    run_arn = result.history[3]["mapRunStartedEventDetails"]["mapRunArn"]
    assert run_arn.startswith("arn:aws:states:us-east-1:111111111111:mapRun:machine/Work:")
    assert len(result.child_histories) == 3
    for arn, history in result.child_histories.items():
        assert arn.startswith(ITEM_ARN + "Work:")
        assert types(history) == [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded",
        ]
        assert [event.id for event in history] == [1, 2, 3, 4]
    inputs = [
        h[0].to_dict()["executionStartedEventDetails"]["input"]
        for h in result.child_histories.values()
    ]
    assert sorted(inputs) == ['"a"', '"b"', '"c"']


def test_children_run_as_their_own_executions_in_the_context_object() -> None:
    processor = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Pass",
                "Parameters": {
                    "id.$": "$$.Execution.Id",
                    "input.$": "$$.Execution.Input",
                    "machine.$": "$$.StateMachine.Name",
                },
                "End": True,
            }
        },
    }
    result = runtime.execute(distributed(processor, Label="L"), [{"k": 1}], time_skip=True)
    (child,) = result.output
    assert child["id"] in result.child_histories
    assert child["input"] == {"k": 1}
    assert child["machine"] == "machine/L"


@pytest.mark.parametrize(
    ("mode", "status", "output"),
    [("INLINE", "SUCCEEDED", [{"v": 42}]), ("DISTRIBUTED", "FAILED", None)],
)
def test_children_do_not_see_outer_variables(mode: str, status: str, output) -> None:
    machine = {
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"x": 42}, "Next": "Map"},
            "Map": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": mode, "ExecutionType": "STANDARD"},
                    "StartAt": "Read",
                    "States": {"Read": {"Type": "Pass", "Parameters": {"v.$": "$x"}, "End": True}},
                },
                "End": True,
            },
        },
    }
    result = runtime.execute(machine, [1], time_skip=True)
    assert (result.status, result.output) == (status, output)
    if mode == "DISTRIBUTED":
        (history,) = result.child_histories.values()
        assert history[-1].type == "ExecutionFailed"
        assert history[-1].details["error"] == "States.Runtime"


def test_item_selector_still_reads_the_parents_variables() -> None:
    machine = distributed(
        before={"Type": "Pass", "Assign": {"x": 42}},
        ItemSelector={"v.$": "$x", "item.$": "$$.Map.Item.Value"},
    )
    result = runtime.execute(machine, [1, 2], time_skip=True)
    assert result.output == [{"v": 42, "item": 1}, {"v": 42, "item": 2}]


# (id, tolerance fields, which of 4 items fail, expected status)
TOLERANCE_CASES = [
    ("none-no-failure", {}, [], "SUCCEEDED"),
    ("none-one-failure", {}, [2], "FAILED"),
    ("count-1-one-failure", {"ToleratedFailureCount": 1}, [0], "SUCCEEDED"),
    ("count-1-two-failures", {"ToleratedFailureCount": 1}, [0, 3], "FAILED"),
    ("count-0", {"ToleratedFailureCount": 0}, [1], "FAILED"),
    ("percent-25-one", {"ToleratedFailurePercentage": 25}, [1], "SUCCEEDED"),
    ("percent-25-two", {"ToleratedFailurePercentage": 25}, [1, 2], "FAILED"),
    ("percent-100-all", {"ToleratedFailurePercentage": 100}, [0, 1, 2, 3], "SUCCEEDED"),
    (
        "both-lower-wins",
        {"ToleratedFailureCount": 3, "ToleratedFailurePercentage": 25},
        [0, 1],
        "FAILED",
    ),
    ("count-path", {"ToleratedFailureCountPath": "$.tolerate"}, [0, 1], "SUCCEEDED"),
]


@pytest.mark.parametrize(
    ("fields", "failing", "status"),
    [case[1:] for case in TOLERANCE_CASES],
    ids=[case[0] for case in TOLERANCE_CASES],
)
def test_tolerated_failures(fields: dict, failing: list[int], status: str) -> None:
    items = [{"n": i, "fail": i in failing} for i in range(4)]
    machine = distributed(FAIL_MARKED, ItemsPath="$.items", **fields)
    result = runtime.execute(machine, {"items": items, "tolerate": 2}, time_skip=True)
    assert result.status == status
    if status == "FAILED":
        assert result.error == "States.ExceedToleratedFailureThreshold"
        assert result.cause == "The specified tolerated failure threshold was exceeded"
        failed = next(e for e in result.history if e["type"] == "MapRunFailed")
        assert failed["mapRunFailedEventDetails"]["error"] == result.error
        assert types(result.history)[-3:] == ["MapRunFailed", "MapStateFailed", "ExecutionFailed"]
    else:
        for i, entry in enumerate(result.output):
            if i in failing:  # a failed child's entry is its execution record
                assert entry["Status"] == "FAILED"
                assert (entry["Error"], entry["Cause"]) == ("Boom", "marked to fail")
                assert entry["ExecutionArn"] in result.child_histories
            else:
                assert entry == items[i]


def test_threshold_exceeded_is_catchable() -> None:
    machine = distributed(
        FAIL_MARKED,
        Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
    )
    machine["States"]["Map"].pop("End")
    machine["States"]["Map"]["Next"] = "Handled"
    machine["States"]["Handled"] = {"Type": "Succeed"}
    result = runtime.execute(machine, [{"fail": True}], time_skip=True)
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "States.ExceedToleratedFailureThreshold"


def test_sequential_run_stops_at_the_first_failure() -> None:
    items = [{"fail": i == 1} for i in range(4)]
    result = runtime.execute(distributed(FAIL_MARKED, MaxConcurrency=1), items, time_skip=True)
    assert result.status == "FAILED"
    # Items 2 and 3 never started: only two children exist.
    assert [h[-1].type for h in result.child_histories.values()] == [
        "ExecutionSucceeded",
        "ExecutionFailed",
    ]


def test_running_children_are_aborted_when_the_run_fails() -> None:
    slow = {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Boom"}],
                "Default": "Wait",
            },
            "Boom": {"Type": "Fail", "Error": "Boom"},
            "Wait": {"Type": "Wait", "Seconds": 60, "End": True},
        },
    }
    items = [{"fail": False}, {"fail": False}, {"fail": True}]
    result = runtime.execute(distributed(slow), items, time_skip=True)
    assert result.error == "States.ExceedToleratedFailureThreshold"
    ends = sorted(h[-1].type for h in result.child_histories.values())
    assert ends == ["ExecutionAborted", "ExecutionAborted", "ExecutionFailed"]


def test_max_concurrency_limits_running_children() -> None:
    """Ten 10-second children, three at a time, take four rounds on the virtual clock."""
    wait = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}}
    result = runtime.execute(distributed(wait, MaxConcurrency=3), list(range(10)), time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    assert (result.stop_date - result.start_date).total_seconds() == pytest.approx(40)


def test_many_children_at_once() -> None:
    """MaxConcurrency 0 runs up to 10,000 children concurrently."""
    wait = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}}
    items = list(range(2_000))
    result = runtime.execute(distributed(wait), items, time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == items
    assert len(result.child_histories) == 2_000
    assert (result.stop_date - result.start_date).total_seconds() == pytest.approx(5)


def test_nested_distributed_maps_have_separate_histories() -> None:
    inner = distributed(PASS, Label="Inner", ItemsPath="$.inner")["States"]["Map"]
    outer = distributed({"StartAt": "InnerMap", "States": {"InnerMap": inner}}, Label="Outer")
    items = [{"inner": [1, 2]}, {"inner": [3]}]
    result = runtime.execute(outer, items, time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == [[1, 2], [3]]
    outer_children = [a for a in result.child_histories if "/Outer:" in a]
    inner_children = [a for a in result.child_histories if "/Inner:" in a]
    assert (len(outer_children), len(inner_children)) == (2, 3)
    for arn in outer_children:
        assert "MapRunStarted" in types(result.child_histories[arn])
    for arn in inner_children:
        assert types(result.child_histories[arn])[1] == "PassStateEntered"


def test_state_names_that_look_like_iterations_keep_children_apart() -> None:
    """A Map named "i" inside an inline Map: each child still gets a history of its own."""
    inner = distributed(PASS)["States"]["Map"]
    machine = {
        "StartAt": "i",
        "States": {
            "i": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "i2", "States": {"i2": inner}},
                "End": True,
            }
        },
    }
    result = runtime.execute(machine, [[1, 2], [3, 4]], time_skip=True)
    assert result.output == [[1, 2], [3, 4]]
    assert len(result.child_histories) == 4
    assert all(len(h) == 4 for h in result.child_histories.values())


def test_retry_on_the_map_starts_a_new_map_run() -> None:
    machine = distributed(
        FAIL_MARKED,
        Retry=[{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "MaxAttempts": 2}],
    )
    result = runtime.execute(machine, [{"fail": True}], time_skip=True)
    assert result.status == "FAILED"
    starts = [e for e in result.history if e["type"] == "MapRunStarted"]
    assert len(starts) == 3
    assert len({e["mapRunStartedEventDetails"]["mapRunArn"] for e in starts}) == 3
    assert len(result.child_histories) == 3


def test_result_over_256_kib_without_result_writer_is_data_limit_exceeded() -> None:
    big = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "x" * 70_000, "End": True}}}
    result = runtime.execute(distributed(big, ResultPath=None), [1, 2, 3, 4], time_skip=True)
    assert (result.status, result.error) == ("FAILED", "States.DataLimitExceeded")


def test_express_children() -> None:
    machine = distributed()
    machine["States"]["Map"]["ItemProcessor"]["ProcessorConfig"]["ExecutionType"] = "EXPRESS"
    result = runtime.execute(machine, [1], time_skip=True)
    assert result.status == "SUCCEEDED"
    (arn,) = result.child_histories
    assert ":express:machine/Map:" in arn
