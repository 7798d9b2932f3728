"""A Task whose attempt fails a Parallel branch is recorded aborted: ``TaskStateAborted`` in the
branch after the ``TaskFailed``, and ``ParallelStateFailed`` still follows the ``TaskFailed``
(AWS's recorded histories; tests/services E3)."""

from __future__ import annotations

from typing import Any

import runtime

HERE = "python:tests.runtime.engine.test_parallel_task_aborted"


class Declined(Exception):
    """The error the failing task raises."""


def decline(event: Any) -> None:
    raise Declined("not today")


def quiet(event: Any) -> dict[str, Any]:
    """A .waitForTaskToken integration nobody answers."""
    return {}


def branch(index: int, state: dict[str, Any]) -> dict[str, Any]:
    """A branch of the one state ``state`` (ended, unless a Fail state)."""
    if state["Type"] != "Fail":
        state = {**state, "End": True}
    return {"StartAt": f"S{index}", "States": {f"S{index}": state}}


def parallel(*branch_states: dict[str, Any], **more: Any) -> dict[str, Any]:
    """A Parallel state with one branch per state given, caught into Caught."""
    branches = [branch(i, state) for i, state in enumerate(branch_states)]
    fan = {
        "Type": "Parallel",
        "Branches": branches,
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
        "Next": "Caught",
        **more,
    }
    caught = {"Type": "Pass", "End": True}
    return {"StartAt": "Fan", "States": {"Fan": fan, "Caught": caught}}


def chain(result: runtime.ExecutionResult) -> list[tuple[int, int, str]]:
    return [(e["id"], e["previousEventId"], e["type"]) for e in result.history]


def test_a_failed_task_is_aborted_with_its_branch() -> None:
    result = runtime.execute(parallel({"Type": "Task", "Resource": f"{HERE}:decline"}), {})
    assert result.status == "SUCCEEDED"
    assert result.output["error"]["Error"] == "Declined"
    assert chain(result) == [
        (1, 0, "ExecutionStarted"),
        (2, 0, "ParallelStateEntered"),
        (3, 2, "ParallelStateStarted"),
        (4, 3, "TaskStateEntered"),
        (5, 4, "TaskScheduled"),
        (6, 5, "TaskStarted"),
        (7, 6, "TaskFailed"),
        (8, 7, "TaskStateAborted"),
        (9, 7, "ParallelStateFailed"),
        (10, 9, "ParallelStateExited"),
        (11, 10, "PassStateEntered"),
        (12, 11, "PassStateExited"),
        (13, 12, "ExecutionSucceeded"),
    ]


def test_a_timed_out_task_is_aborted_too() -> None:
    task = {
        "Type": "Task",
        "Resource": f"{HERE}:quiet.waitForTaskToken",
        "Parameters": {"token.$": "$$.Task.Token"},
        "TimeoutSeconds": 1,
    }
    result = runtime.execute(parallel(task), {})
    assert result.output["error"]["Error"] == "States.Timeout"
    assert [t for _, _, t in chain(result)][7:10] == [
        "TaskTimedOut",
        "TaskStateAborted",
        "ParallelStateFailed",
    ]


def test_every_failed_attempt_of_the_parallel_state_records_it() -> None:
    retry = [{"ErrorEquals": ["Declined"], "MaxAttempts": 1, "IntervalSeconds": 1}]
    definition = parallel({"Type": "Task", "Resource": f"{HERE}:decline"}, Retry=retry)
    result = runtime.execute(definition, {}, time_skip=True)
    types = [t for _, _, t in chain(result)]
    assert types.count("TaskStateAborted") == 2
    aborted = [i for i, t in enumerate(types) if t == "TaskStateAborted"]
    assert all(
        types[i - 1] == "TaskFailed" and types[i + 1] == "ParallelStateFailed" for i in aborted
    )


def test_only_a_task_that_ended_its_branch_is_aborted() -> None:
    """The failing Task's branch records it, not a sibling; a Fail state ending a branch, a Task
    whose own Catch handles the failure, and a Task outside any Parallel state record none."""
    declined = {"Type": "Task", "Resource": f"{HERE}:decline"}
    result = runtime.execute(parallel({"Type": "Pass"}, declined), {})
    aborted = [e for e in result.history if e["type"] == "TaskStateAborted"]
    failed = [e for e in result.history if e["type"] == "TaskFailed"]
    assert [e["previousEventId"] for e in aborted] == [e["id"] for e in failed]

    handled = {**declined, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Stop"}], "End": True}
    definition = parallel({"Type": "Pass"})
    definition["States"]["Fan"]["Branches"].append(
        {"StartAt": "H", "States": {"H": handled, "Stop": {"Type": "Fail", "Error": "X"}}}
    )
    others = [
        runtime.execute(definition, {}),
        runtime.execute(parallel({"Type": "Fail", "Error": "X"}), {}),
        runtime.execute({"StartAt": "T", "States": {"T": {**declined, "End": True}}}, {}),
    ]
    assert [r.status for r in others] == ["SUCCEEDED", "SUCCEEDED", "FAILED"]
    assert not [e for r in others for e in r.history if e["type"] == "TaskStateAborted"]
