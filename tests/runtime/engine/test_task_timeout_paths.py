"""A Task's ``TimeoutSecondsPath``/``HeartbeatSecondsPath`` that finds nothing fails the execution
with AWS's "Invalid path" cause (tests/services E6), as the state's other paths do."""

from __future__ import annotations

from typing import Any

import pytest

import runtime

PREFIX = "An error occurred while executing the state 'Work' (entered at the event id #2). "


def tasked(**fields: Any) -> dict[str, Any]:
    work = {"Type": "Task", "Resource": "python:json:dumps", "End": True, **fields}
    return {"StartAt": "Work", "States": {"Work": work}}


@pytest.mark.parametrize(
    ("fields", "cause"),
    [
        (
            {"TimeoutSecondsPath": "$.NoSuchTimeoutSecondsPath"},
            "Invalid path '$.NoSuchTimeoutSecondsPath' : "
            "No results for path: $['NoSuchTimeoutSecondsPath']",
        ),
        (
            {"TimeoutSeconds": 60, "HeartbeatSecondsPath": "$.limits.beat"},
            "Invalid path '$.limits.beat' : Missing property in path $['limits']",
        ),
    ],
)
def test_an_unfound_timeout_path_is_an_invalid_path(fields: dict[str, Any], cause: str) -> None:
    result = runtime.execute(tasked(**fields), {"int-literal": 0})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == PREFIX + cause
    assert [e["type"] for e in result.history] == [
        "ExecutionStarted",
        "TaskStateEntered",
        "ExecutionFailed",
    ]


def test_a_wait_state_keeps_its_own_wording() -> None:
    """The Wait state's SecondsPath is worded otherwise by AWS; only the Task's paths change."""
    task = runtime.execute(tasked(TimeoutSecondsPath="$.absent"), {})
    assert task.cause.endswith("Invalid path '$.absent' : No results for path: $['absent']")
    wait = {"Type": "Wait", "SecondsPath": "$.absent", "End": True}
    waited = runtime.execute({"StartAt": "Work", "States": {"Work": wait}}, {})
    assert waited.cause == (
        PREFIX + "The SecondsPath parameter does not reference an input value: $.absent"
    )
