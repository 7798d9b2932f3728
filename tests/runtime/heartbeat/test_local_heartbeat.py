"""HeartbeatSeconds for python: handlers run in-process: runtime.heartbeat() keeps them alive."""

from __future__ import annotations

import pytest

import runtime


def _machine(handler: str, retry: bool = False) -> dict:
    task = {
        "Type": "Task",
        "Resource": f"python:tests.runtime.heartbeat.handlers:{handler}",
        "HeartbeatSeconds": 1,
        "TimeoutSeconds": 10,
        "End": True,
    }
    if retry:
        task["Catch"] = [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Silent"}]
        task.pop("End")
        task["Next"] = "Done"
    states = {"Work": task}
    if retry:
        states["Silent"] = {"Type": "Pass", "Result": "caught", "End": True}
        states["Done"] = {"Type": "Succeed"}
    return {"StartAt": "Work", "States": states}


def test_a_handler_that_heartbeats_outlives_its_heartbeat_window() -> None:
    result = runtime.execute(_machine("beats_while_working"), {"n": 1})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"done": 1}


@pytest.mark.parametrize("caught", [False, True])
def test_a_silent_handler_fails_with_heartbeat_timeout(caught: bool) -> None:
    result = runtime.execute(_machine("goes_silent", retry=caught), {"n": 1})
    types = [e["type"] for e in result.history]
    assert "TaskTimedOut" in types
    timed_out = next(e for e in result.history if e["type"] == "TaskTimedOut")
    assert timed_out["taskTimedOutEventDetails"]["error"] == "States.HeartbeatTimeout"
    if caught:
        assert result.status == "SUCCEEDED" and result.output == "caught"
    else:
        assert result.status == "FAILED" and result.error == "States.HeartbeatTimeout"


def test_heartbeat_outside_a_task_does_nothing() -> None:
    assert runtime.heartbeat() is False
