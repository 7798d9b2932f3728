"""States.Runtime "The Parameters '...' could not be used to start the Task" names the state and
its StateEntered event, as AWS words it ("An error occurred while executing the state 'X'
(entered at the event id #N). The Parameters ...")."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import asl
import runtime
from asl import StatesError
from runtime.drivers.clock import VirtualClock
from runtime.drivers.execution import run_execution

UNUSABLE = "The Parameters '{\"a\":1}' could not be used to start the Task: [no]"
START = datetime.fromisoformat("2026-01-01T00:00:00+00:00")


def test_an_unsupported_field_names_the_state(moto_env: Any) -> None:
    send = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": "q", "MessageBody": "x", "MessageSystemAttributes": {}},
        "End": True,
    }
    first = {"Type": "Pass", "Next": "Send"}
    machine = {"StartAt": "First", "States": {"First": first, "Send": send}}
    result = runtime.execute(machine, {}, aws="aws")
    entered = next(e for e in result.history if e["type"] == "TaskStateEntered")
    assert entered["id"] == 4
    sent = '{"QueueUrl":"q","MessageBody":"x","MessageSystemAttributes":{}}'
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == (
        "An error occurred while executing the state 'Send' (entered at the event id #4). "
        f"The Parameters '{sent}' could not be used to start the Task: "
        '[The field "MessageSystemAttributes" is not supported by Step Functions]'
    )
    failed = next(e for e in result.history if e["type"] == "TaskFailed")
    assert failed["taskFailedEventDetails"]["cause"] == result.cause


def test_a_retried_attempt_names_the_state_entered_event() -> None:
    """The second attempt fails so: the id is still the state's, not the last attempt's."""
    task = {
        "Type": "Task",
        "Resource": "python:flaky",
        "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 1}],
        "End": True,
    }

    async def dispatch(request: Any) -> Any:
        if request.attempt == 0:
            raise StatesError("Boom", "first")
        raise StatesError("States.Runtime", UNUSABLE)

    result = asyncio.run(
        run_execution(
            asl.load({"StartAt": "Flaky", "States": {"Flaky": task}}),
            {},
            dispatch=dispatch,
            clock=VirtualClock(START),
            seed=1,
            start_date=START,
        )
    )
    assert [e.type for e in result.events][:2] == ["ExecutionStarted", "TaskStateEntered"]
    prefix = "An error occurred while executing the state 'Flaky' (entered at the event id #2). "
    assert (result.status, result.cause) == ("FAILED", prefix + UNUSABLE)


def test_other_runtime_causes_are_left_as_the_route_words_them() -> None:
    async def dispatch(request: Any) -> Any:
        raise StatesError("States.Runtime", "python:nowhere is not a handler")

    machine = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": "python:x", "End": True}},
    }
    result = asyncio.run(run_execution(asl.load(machine), {}, dispatch=dispatch))
    assert result.cause == "python:nowhere is not a handler"
