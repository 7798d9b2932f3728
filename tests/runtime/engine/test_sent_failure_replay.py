"""A task failure sent without error or cause, replayed (resume, redrive): the Catch gets what
the live run's got, ``{"Error": null, "Cause": null}``, and the task is not run again."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

import asl
from asl import StatesError
from runtime.core.events import Event
from runtime.core.interpreter import SentFailure
from runtime.drivers.clock import VirtualClock
from runtime.drivers.execution import ExecutionResult, run_execution

CALLBACK = "python:worker.waitForTaskToken"
ACTIVITY = "arn:aws:states:us-east-1:111111111111:activity:review"
PLAIN = "python:worker"
START = datetime.fromisoformat("2026-01-01T00:00:00+00:00")


def machine(resource: str) -> dict[str, Any]:
    """A Task whose failure is caught into ``$.caught``."""
    task: dict[str, Any] = {"Type": "Task", "Resource": resource, "Next": "Done"}
    if resource == CALLBACK:
        task["Parameters"] = {"token.$": "$$.Task.Token"}
    task["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Done"}]
    return {"StartAt": "Ask", "States": {"Ask": task, "Done": {"Type": "Pass", "End": True}}}


def run(
    resource: str, failure: StatesError, calls: list[str], recorded: list[Event] | None = None
) -> ExecutionResult:
    async def dispatch(request: Any) -> Any:
        calls.append(request.state_name)
        raise failure

    return asyncio.run(
        run_execution(
            asl.load(machine(resource)),
            {},
            dispatch=dispatch,
            name="sent",
            clock=VirtualClock(START),
            seed=3,
            recorded=recorded,
            start_date=START,
        )
    )


def cut_after_failure(result: ExecutionResult) -> list[Event]:
    """The history up to the task's failure: the run stopped before its Catch ran."""
    events = result.events
    failed = next(i for i, e in enumerate(events) if e.type in ("TaskFailed", "ActivityFailed"))
    return events[: failed + 1]


@pytest.mark.parametrize(
    ("resource", "failure", "caught"),
    [
        (CALLBACK, SentFailure(None, None), {"Error": None, "Cause": None}),
        (CALLBACK, SentFailure("Rejected", None), {"Error": "Rejected", "Cause": None}),
        (ACTIVITY, SentFailure(None, "no budget"), {"Error": None, "Cause": "no budget"}),
        (PLAIN, StatesError("Boom", None), {"Error": "Boom"}),
    ],
)
def test_a_replayed_failure_is_caught_as_the_live_one(
    resource: str, failure: StatesError, caught: dict[str, Any]
) -> None:
    live_calls: list[str] = []
    live = run(resource, failure, live_calls)
    assert (live.status, live.output, live_calls) == ("SUCCEEDED", {"caught": caught}, ["Ask"])
    replay_calls: list[str] = []
    replayed = run(resource, failure, replay_calls, cut_after_failure(live))
    assert replay_calls == []  # the failure came from history
    assert (replayed.status, replayed.output) == ("SUCCEEDED", live.output)
    assert [e.type for e in replayed.events] == [e.type for e in live.events]


def test_the_recorded_failure_names_only_what_was_sent() -> None:
    result = run(CALLBACK, SentFailure(None, "why"), [])
    failed = next(e for e in result.events if e.type == "TaskFailed")
    assert failed.details == {
        "resourceType": "python",
        "resource": "worker.waitForTaskToken",
        "cause": "why",
    }
