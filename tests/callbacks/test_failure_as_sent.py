"""SendTaskFailure without an error or a cause: the state's Catch gets what was sent, nulls
included (AWS records ``{"Error": null, "Cause": null}``; tests/services E2)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import runtime
from runtime.callbacks import current_hub

H = "python:tests.callbacks.test_failure_as_sent"
ACTIVITY = "arn:aws:states:us-east-1:111111111111:activity:"
SENT: dict[str, tuple[str | None, str | None]] = {
    "bare": (None, None),
    "error-only": ("Rejected", None),
    "cause-only": (None, "no budget"),
}


def fail_as_sent(event: dict[str, Any]) -> dict[str, Any]:
    """A .waitForTaskToken integration whose worker fails the task with ``event["sent"]``."""
    error, cause = SENT[event["sent"]]
    current_hub().send_task_failure(event["token"], error, cause)
    return {}


def caught(task: dict[str, Any], query_language: str = "JSONPath") -> dict[str, Any]:
    """``task``, whose Catch sends States.Runtime to Runtime and States.ALL to All."""
    if query_language == "JSONPath":
        catch = [
            {"ErrorEquals": ["States.Runtime"], "ResultPath": "$.runtime", "Next": "Runtime"},
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.all", "Next": "All"},
        ]
    else:
        catch = [
            {"ErrorEquals": ["States.Runtime"], "Next": "Runtime"},
            {"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput %}", "Next": "All"},
        ]
    return {
        "QueryLanguage": query_language,
        "StartAt": "Ask",
        "States": {
            "Ask": {**task, "Catch": catch, "Next": "All"},
            "Runtime": {"Type": "Fail", "Error": "WrongCatcher"},
            "All": {"Type": "Pass", "End": True},
        },
    }


def callback_task(**more: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": f"{H}:fail_as_sent.waitForTaskToken",
        "Parameters": {"token.$": "$$.Task.Token", "sent.$": "$.sent"},
        **more,
    }


@pytest.mark.parametrize(
    ("sent", "error_output"),
    [
        ("bare", {"Error": None, "Cause": None}),
        ("error-only", {"Error": "Rejected", "Cause": None}),
        ("cause-only", {"Error": None, "Cause": "no budget"}),
    ],
)
def test_the_catch_gets_the_failure_as_sent(sent: str, error_output: dict[str, Any]) -> None:
    result = runtime.execute(caught(callback_task()), {"sent": sent})
    assert (result.status, result.output) == ("SUCCEEDED", {"sent": sent, "all": error_output})


def test_jsonata_error_output_has_the_nulls() -> None:
    task = {
        "Type": "Task",
        "Resource": f"{H}:fail_as_sent.waitForTaskToken",
        "Arguments": {"token": "{% $states.context.Task.Token %}", "sent": "bare"},
    }
    result = runtime.execute(caught(task, "JSONata"), {})
    assert result.output == {"Error": None, "Cause": None}


def test_retried_then_caught_or_else_failing_the_execution_without_error() -> None:
    task = callback_task(
        Retry=[{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 1, "IntervalSeconds": 1}]
    )
    result = runtime.execute(caught(task), {"sent": "bare"}, time_skip=True)
    assert result.output["all"] == {"Error": None, "Cause": None}
    assert [e["type"] for e in result.history].count("TaskScheduled") == 2
    alone = {"StartAt": "Ask", "States": {"Ask": {**task, "End": True}}}
    failed = runtime.execute(alone, {"sent": "bare"}, time_skip=True)
    assert (failed.status, failed.error, failed.cause) == ("FAILED", None, None)
    assert failed.history[-1]["type"] == "ExecutionFailed"
    assert failed.history[-1]["executionFailedEventDetails"] == {}


def test_an_activity_worker_failure_as_sent() -> None:
    hub = current_hub()
    arn = hub.create_activity("fails-bare")

    def work() -> None:
        got = asyncio.run(hub.get_activity_task(arn, "w1", 10))
        assert got is not None
        hub.send_task_failure(got[0])

    thread = threading.Thread(target=work)
    thread.start()
    result = runtime.execute(caught({"Type": "Task", "Resource": ACTIVITY + "fails-bare"}), {})
    thread.join(10)
    assert result.output == {"all": {"Error": None, "Cause": None}}


def test_task_failed_names_no_error_or_cause_when_none_was_sent() -> None:
    result = runtime.execute(caught(callback_task()), {"sent": "bare"})
    failed = next(e for e in result.history if e["type"] == "TaskFailed")
    assert failed["taskFailedEventDetails"] == {
        "resourceType": "python",
        "resource": "tests.callbacks.test_failure_as_sent:fail_as_sent.waitForTaskToken",
    }
