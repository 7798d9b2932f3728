"""``.waitForTaskToken`` in executions: the token, TaskSubmitted, answers, timeouts, retries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import runtime
from runtime.callbacks import TaskTimedOut, current_hub
from tests.callbacks import handlers
from tests.callbacks.conftest import pending

H = "python:tests.callbacks.handlers"


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    handlers.reset()
    yield
    handlers.reset()


def machine(resource: str, **task: Any) -> dict[str, Any]:
    state = {
        "Type": "Task",
        "Resource": resource,
        "Parameters": {"token.$": "$$.Task.Token", "input.$": "$"},
        "End": True,
        **task,
    }
    return {"StartAt": "Ask", "States": {"Ask": state}}


def types(result: runtime.ExecutionResult) -> list[str]:
    return [e["type"] for e in result.history]


def details(result: runtime.ExecutionResult, type_: str) -> dict[str, Any]:
    event = next(e for e in result.history if e["type"] == type_)
    return next(v for k, v in event.items() if k.endswith("EventDetails"))


def in_background(fn: Any) -> dict[str, Any]:
    box: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", fn()))
    thread.start()
    box["thread"] = thread
    return box


def test_the_token_is_in_the_context_and_the_answer_is_the_result() -> None:
    result = runtime.execute(machine(f"{H}:answer_now.waitForTaskToken"), {"value": 7})
    assert (result.status, result.output) == ("SUCCEEDED", {"echo": 7})
    assert types(result) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSubmitted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    token = json.loads(details(result, "TaskScheduled")["parameters"])["token"]
    assert isinstance(token, str) and len(token) == 56
    submitted = details(result, "TaskSubmitted")
    assert submitted["resourceType"] == "python"
    assert submitted["resource"] == "tests.callbacks.handlers:answer_now.waitForTaskToken"
    assert json.loads(submitted["output"]) == {"answered": "inline"}


def test_an_answer_from_another_thread_with_heartbeats() -> None:
    definition = machine(f"{H}:answer_later.waitForTaskToken", HeartbeatSeconds=1)
    result = runtime.execute(definition, {"value": "x"})
    assert (result.status, result.output) == ("SUCCEEDED", {"late": "x"})


def test_an_answer_from_outside_the_execution() -> None:
    run = in_background(lambda: runtime.execute(machine(f"{H}:notify.waitForTaskToken"), {}))
    event = handlers.take_token()
    current_hub().send_task_success(event["token"], '{"approved": true}')
    run["thread"].join(10)
    assert run["result"].output == {"approved": True}


def test_send_task_failure_is_caught_as_the_task_error() -> None:
    definition = machine(
        f"{H}:reject.waitForTaskToken",
        Catch=[{"ErrorEquals": ["Approval.Rejected"], "Next": "Caught"}],
    )
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    result = runtime.execute(definition, {})
    assert result.output == {"Error": "Approval.Rejected", "Cause": "no budget"}
    assert details(result, "TaskFailed")["error"] == "Approval.Rejected"


def test_timeout_seconds() -> None:
    result = runtime.execute(machine(f"{H}:notify.waitForTaskToken", TimeoutSeconds=1), {})
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    assert types(result)[-3:] == ["TaskSubmitted", "TaskTimedOut", "ExecutionFailed"]
    token = handlers.take_token()["token"]
    with pytest.raises(TaskTimedOut):
        current_hub().send_task_success(token, "{}")


def test_heartbeat_seconds() -> None:
    definition = machine(f"{H}:notify.waitForTaskToken", HeartbeatSeconds=1, TimeoutSeconds=30)
    result = runtime.execute(definition, {})
    assert (result.status, result.error) == ("FAILED", "States.HeartbeatTimeout")
    assert "TaskTimedOut" in types(result)


def test_every_retry_attempt_gets_its_own_token() -> None:
    definition = machine(
        f"{H}:notify.waitForTaskToken",
        TimeoutSeconds=1,
        Retry=[{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 1, "IntervalSeconds": 1}],
    )
    run = in_background(lambda: runtime.execute(definition, {}, time_skip=True))
    first = handlers.take_token()["token"]
    second = handlers.take_token()["token"]
    assert first != second
    with pytest.raises(TaskTimedOut):
        current_hub().send_task_success(first, "{}")
    current_hub().send_task_success(second, '"second"')
    run["thread"].join(10)
    assert run["result"].output == "second"


def test_jsonata_reads_the_token_from_states_context() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": f"{H}:answer_now.waitForTaskToken",
                "Arguments": {"token": "{% $states.context.Task.Token %}", "input": {"value": 1}},
                "End": True,
            }
        },
    }
    assert runtime.execute(definition, {}).output == {"echo": 1}


def test_other_tasks_have_no_token() -> None:
    result = runtime.execute(machine(f"{H}:notify"), {"value": 1})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "$$.Task.Token" in (result.cause or "")


def test_a_failed_submission_fails_the_task() -> None:
    result = runtime.execute(machine(f"{H}:broken.waitForTaskToken"), {})
    assert (result.status, result.error) == ("FAILED", "RuntimeError")
    assert "TaskSubmitted" not in types(result)


def test_lambda_invoke_wait_for_task_token_runs_the_function_then_waits() -> None:
    def approver(event: dict[str, Any], context: Any) -> dict[str, str]:
        handlers.TOKENS.put(event)
        return {"queued": "yes"}

    definition = machine("arn:aws:states:::lambda:invoke.waitForTaskToken")
    definition["States"]["Ask"]["Parameters"] = {
        "FunctionName": "approver",
        "Payload": {"token.$": "$$.Task.Token"},
    }
    run = in_background(lambda: runtime.execute(definition, {}, lambdas={"approver": approver}))
    token = handlers.take_token()["token"]
    current_hub().send_task_success(token, '{"ok": 1}')
    run["thread"].join(10)
    result = run["result"]
    assert result.output == {"ok": 1}
    submitted = json.loads(details(result, "TaskSubmitted")["output"])
    assert (submitted["StatusCode"], submitted["Payload"]) == (200, {"queued": "yes"})
    assert details(result, "TaskSubmitted")["resource"] == "invoke.waitForTaskToken"


def test_an_integration_nothing_answers_locally_still_waits() -> None:
    definition = machine("arn:aws:states:::sqs:sendMessage.waitForTaskToken")
    definition["States"]["Ask"]["Parameters"] = {
        "QueueUrl": "https://sqs.us-east-1.amazonaws.com/111111111111/approvals",
        "MessageBody": {"token.$": "$$.Task.Token"},
    }
    run = in_background(lambda: runtime.execute(definition, {}))
    task = pending(current_hub(), "Ask")
    assert task.resource == "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    current_hub().send_task_success(task.token, '{"done": true}')
    run["thread"].join(10)
    assert run["result"].output == {"done": True}
    assert json.loads(details(run["result"], "TaskSubmitted")["output"]) is None


def test_a_binding_of_the_exact_resource_replaces_the_wait() -> None:
    resource = f"{H}:notify.waitForTaskToken"
    definition = machine(resource)
    del definition["States"]["Ask"]["Parameters"]
    result = runtime.execute(definition, {}, bind={resource: f"{H}:notify"})
    assert result.output == {"MessageId": "m-1"}
