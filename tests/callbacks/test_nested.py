"""Nested executions through ``states:startExecution``: the three patterns and their shapes."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

import runtime
from runtime.callbacks import current_hub
from runtime.callbacks.machines import MachineSpec, add_resolver, register_machine
from runtime.drivers import runner as _runner
from runtime.stores import SqliteStore

START = "arn:aws:states:::states:startExecution"

CHILD = {
    "StartAt": "Check",
    "States": {
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.fail", "IsPresent": True, "Next": "Broken"}],
            "Default": "Double",
        },
        "Double": {
            "Type": "Pass",
            "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"},
            "End": True,
        },
        "Broken": {"Type": "Fail", "Error": "Child.Broken", "Cause": "it broke"},
    },
}


def child(definition: dict[str, Any] = CHILD, type_: str = "STANDARD") -> str:
    """Register a child machine under a fresh name; its ARN."""
    return register_machine(f"child-{uuid.uuid4().hex[:8]}", json.dumps(definition), type=type_)


def parent(resource: str, arn: str, child_input: Any, **task: Any) -> dict[str, Any]:
    state = {
        "Type": "Task",
        "Resource": resource,
        "Parameters": {"StateMachineArn": arn, "Input": child_input},
        "End": True,
        **task,
    }
    return {"StartAt": "Start", "States": {"Start": state}}


def details(result: runtime.ExecutionResult, type_: str) -> dict[str, Any]:
    event = next(e for e in result.history if e["type"] == type_)
    return next(v for k, v in event.items() if k.endswith("EventDetails"))


def test_sync_gives_describe_execution_with_output_as_text() -> None:
    arn = child()
    result = runtime.execute(parent(START + ".sync", arn, {"n": 2}), {})
    out = result.output
    assert result.status == "SUCCEEDED"
    assert list(out) == [
        "ExecutionArn",
        "Input",
        "InputDetails",
        "Name",
        "Output",
        "OutputDetails",
        "RedriveCount",
        "RedriveStatus",
        "RedriveStatusReason",
        "StartDate",
        "StateMachineArn",
        "Status",
        "StopDate",
    ]
    assert (out["Input"], out["Output"], out["Status"]) == ('{"n":2}', '{"doubled":4}', "SUCCEEDED")
    assert out["StateMachineArn"] == arn
    assert out["ExecutionArn"].startswith(arn.replace(":stateMachine:", ":execution:") + ":")
    assert isinstance(out["StartDate"], int) and out["StopDate"] >= out["StartDate"]
    assert [e["type"] for e in result.history][2:6] == [
        "TaskScheduled",
        "TaskStarted",
        "TaskSubmitted",
        "TaskSucceeded",
    ]
    scheduled = details(result, "TaskScheduled")
    assert (scheduled["resourceType"], scheduled["resource"]) == ("states", "startExecution.sync")
    submitted = json.loads(details(result, "TaskSubmitted")["output"])
    assert submitted["ExecutionArn"] == out["ExecutionArn"]
    assert set(submitted) == {"ExecutionArn", "SdkHttpMetadata", "SdkResponseMetadata", "StartDate"}


def test_sync_2_parses_input_and_output() -> None:
    result = runtime.execute(parent(START + ".sync:2", child(), {"n": 5}), {})
    assert (result.output["Input"], result.output["Output"]) == ({"n": 5}, {"doubled": 10})


def test_request_response_returns_once_started() -> None:
    result = runtime.execute(parent(START, child(), '{"n": 1}'), {})
    out = result.output
    assert set(out) == {"ExecutionArn", "SdkHttpMetadata", "SdkResponseMetadata", "StartDate"}
    assert out["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert "TaskSubmitted" not in [e["type"] for e in result.history]
    store = current_hub().store

    def ended() -> bool:
        return store.get(out["ExecutionArn"]).status == "SUCCEEDED"

    deadline = time.monotonic() + 10
    while not ended() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store.get(out["ExecutionArn"]).output_value == {"doubled": 2}


@pytest.mark.parametrize("mode", [".sync", ".sync:2"])
def test_a_failed_child_fails_the_task(mode: str) -> None:
    result = runtime.execute(parent(START + mode, child(), {"n": 1, "fail": True}), {})
    assert (result.status, result.error) == ("FAILED", "States.TaskFailed")
    cause = json.loads(result.cause or "")
    assert (cause["Status"], cause["Error"], cause["Cause"]) == (
        "FAILED",
        "Child.Broken",
        "it broke",
    )
    assert list(cause)[:2] == ["Cause", "Error"]
    assert "Output" not in cause
    assert cause["Input"] == (
        {"n": 1, "fail": True} if mode == ".sync:2" else '{"n":1,"fail":true}'
    )


def test_an_unknown_machine() -> None:
    missing = "arn:aws:states:us-east-1:111111111111:stateMachine:no-such-machine-here"
    result = runtime.execute(parent(START + ".sync", missing, {}), {})
    assert result.error == "StepFunctions.StateMachineDoesNotExistException"
    assert result.cause.startswith(
        f"State Machine Does Not Exist: '{missing}' (Service: AWSStepFunctions"
    )


def test_the_child_answers_the_parent_token_with_aws_sdk_send_task_success() -> None:
    answering = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Pass",
                "Parameters": {"result.$": "States.MathAdd($.n, 1)"},
                "ResultPath": "$.out",
                "Next": "Answer",
            },
            "Answer": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
                "Parameters": {"TaskToken.$": "$.token", "Output.$": "$.out"},
                "End": True,
            },
        },
    }
    definition = parent(
        START + ".waitForTaskToken", child(answering), {"n": 41, "token.$": "$$.Task.Token"}
    )
    result = runtime.execute(definition, {})
    assert (result.status, result.output) == ("SUCCEEDED", {"result": 42})
    submitted = json.loads(details(result, "TaskSubmitted")["output"])
    assert "ExecutionArn" in submitted
    assert details(result, "TaskSubmitted")["resource"] == "startExecution.waitForTaskToken"


def test_aws_sdk_send_task_success_with_a_spent_token() -> None:
    definition = {
        "StartAt": "Answer",
        "States": {
            "Answer": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
                "Parameters": {"TaskToken": "not-a-token", "Output": "{}"},
                "End": True,
            }
        },
    }
    result = runtime.execute(definition, {})
    assert result.error == "Sfn.InvalidTokenException"
    assert "(Service: Sfn, Status Code: 400" in (result.cause or "")


def test_an_express_child() -> None:
    result = runtime.execute(parent(START + ".sync:2", child(type_="EXPRESS"), {"n": 4}), {})
    assert (result.status, result.output["Output"]) == ("SUCCEEDED", {"doubled": 8})
    assert ":express:" in result.output["ExecutionArn"]


def test_timeout_seconds_on_a_slow_child() -> None:
    slow = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 30, "End": True}}}
    started = time.monotonic()
    result = runtime.execute(parent(START + ".sync", child(slow), {}, TimeoutSeconds=1), {})
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    assert time.monotonic() - started < 5


def test_a_named_child_cannot_be_started_twice_with_another_input() -> None:
    arn = child()
    name = f"fixed-{uuid.uuid4().hex[:6]}"
    first = parent(START + ".sync", arn, {"n": 1})
    first["States"]["Start"]["Parameters"]["Name"] = name
    assert runtime.execute(first, {}).output["Name"] == name
    second = parent(START + ".sync", arn, {"n": 2})
    second["States"]["Start"]["Parameters"]["Name"] = name
    result = runtime.execute(second, {})
    assert result.error == "StepFunctions.ExecutionAlreadyExistsException"


def test_a_resolver_supplies_machines(tmp_path: Path) -> None:
    seen: list[str] = []

    def resolver(arn: str) -> MachineSpec | None:
        seen.append(arn)
        return MachineSpec("served", json.dumps(CHILD)) if arn.endswith(":served") else None

    remove = add_resolver(resolver)
    try:
        arn = "arn:aws:states:us-east-1:111111111111:stateMachine:served"
        result = runtime.execute(parent(START + ".sync:2", arn, {"n": 3}), {})
    finally:
        remove()
    assert seen == [arn]
    assert result.output["Output"] == {"doubled": 6}


def test_definition_files_next_to_the_parent_and_a_durable_store(tmp_path: Path) -> None:
    (tmp_path / "machines" / "doubler").mkdir(parents=True)
    (tmp_path / "machines" / "doubler" / "definition.asl.json").write_text(json.dumps(CHILD))
    (tmp_path / "machines" / "main").mkdir()
    main = tmp_path / "machines" / "main" / "definition.asl.json"
    arn = "arn:aws:states:us-east-1:111111111111:stateMachine:doubler"
    main.write_text(json.dumps(parent(START + ".sync:2", arn, {"n": 21})))
    store = SqliteStore(tmp_path / "s.db")
    try:
        result = _runner.start(store, main.read_text(), {}, filename=str(main), name="p1")
        assert result.output["Output"] == {"doubled": 42}
        names = {r.name: r.machine_name for r in store.list()}
        assert names["p1"] == "machine" and "doubler" in names.values()
    finally:
        store.close()
