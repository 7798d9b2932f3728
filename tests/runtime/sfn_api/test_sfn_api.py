"""Step Functions' own ``aws-sdk:sfn:*`` actions, answered by the engine: machines run through
``runtime.execute`` (no AWS), the children they start in the same store."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

import runtime
from runtime.callbacks.machines import register_machine
from tests.conftest import conformance_dir

SFN = "arn:aws:states:::aws-sdk:sfn:"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": 1}, "End": True}}}
WAIT = {
    "StartAt": "W",
    "States": {
        "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
        "P": {"Type": "Pass", "End": True},
    },
}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Kid.Broke", "Cause": "why"}}}


def machine(definition: dict[str, Any], type_: str = "STANDARD") -> str:
    return register_machine(f"kid-{uuid.uuid4().hex[:8]}", json.dumps(definition), type=type_)


def task(action: str, parameters: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": SFN + action, "Parameters": parameters, **fields}


def chain(*states: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """A machine running ``states`` in order, each result at ``$.<name>``."""
    out: dict[str, Any] = {}
    for index, (name, state) in enumerate(states):
        if state["Type"] == "Task":
            state = {**state, "ResultPath": f"$.{name}"}
        if index + 1 < len(states):
            state["Next"] = states[index + 1][0]
        else:
            state["End"] = True
        out[name] = state
    return {"StartAt": states[0][0], "States": out}


def failure(definition: dict[str, Any]) -> tuple[str, str]:
    result = runtime.execute(definition, {})
    assert result.status == "FAILED"
    return str(result.error), str(result.cause)


def test_the_recorded_start_execution_case() -> None:
    case = json.loads(
        (
            conformance_dir()
            / "services"
            / "services_test_aws_sdk_task_service_TestTaskServiceAwsSdk_test_sfn_start_execution"
            ".json"
        ).read_text()
    )
    # A machine of this test's own: the recorded name stays free for the services harness,
    # which runs the same case against its own child machine in this process.
    arn = machine(PASS)
    name = arn.rsplit(":", 1)[1]
    result = runtime.execute(case["definition"], {**case["input"], "StateMachineArn": arn})
    assert result.status == case["expected"]["status"]
    out = result.output
    assert list(out) == list(case["expected"]["output"])
    assert out["ExecutionArn"] == (
        f"arn:aws:states:us-east-1:111111111111:execution:{name}:TestStartTarget"
    )
    assert ISO.match(out["StartDate"])
    assert [e["type"] for e in result.history] == case["expected_events"]


def test_start_then_describe_a_child() -> None:
    arn = machine(PASS)
    definition = chain(
        ("started", task("startExecution", {"StateMachineArn": arn, "Input": '{"a":1}'})),
        ("pause", {"Type": "Wait", "Seconds": 1}),
        ("described", task("describeExecution", {"ExecutionArn.$": "$.started.ExecutionArn"})),
    )
    result = runtime.execute(definition, {})
    assert result.status == "SUCCEEDED", result.cause
    described = result.output["described"]
    assert described["ExecutionArn"] == result.output["started"]["ExecutionArn"]
    assert (described["StateMachineArn"], described["Status"]) == (arn, "SUCCEEDED")
    assert (described["Input"], described["Output"]) == ('{"a":1}', '{"ok":1}')
    assert described["InputDetails"] == described["OutputDetails"] == {"Included": True}
    assert ISO.match(described["StartDate"]) and ISO.match(described["StopDate"])
    assert described["RedriveStatus"] == "NOT_REDRIVABLE"


@pytest.mark.parametrize(
    ("parameters", "error", "message"),
    [
        (
            {"StateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:nowhere"},
            "Sfn.StateMachineDoesNotExistException",
            "State Machine Does Not Exist: 'arn:aws:states:us-east-1:111111111111:"
            "stateMachine:nowhere'",
        ),
        (
            {"StateMachineArn": "KID", "Name": "no spaces allowed"},
            "Sfn.InvalidNameException",
            "Invalid Name: 'no spaces allowed'",
        ),
        ({}, "Sfn.InvalidArnException", "Invalid Arn: 'StateMachineArn' is required"),
    ],
)
def test_start_execution_errors_are_sfn_exceptions(
    parameters: dict[str, Any], error: str, message: str
) -> None:
    if parameters.get("StateMachineArn") == "KID":
        parameters = {**parameters, "StateMachineArn": machine(PASS)}
    name, cause = failure(chain(("started", task("startExecution", parameters))))
    assert name == error
    assert cause.startswith(message)
    assert re.search(
        r" \(Service: Sfn, Status Code: 400, Request ID: [0-9a-f-]{36}\) \(SDK Attempt Count: 1\)$",
        cause,
    )


def test_a_second_start_with_the_same_name_and_other_input_is_refused() -> None:
    arn = machine(PASS)
    definition = chain(
        ("one", task("startExecution", {"StateMachineArn": arn, "Name": "n", "Input": "{}"})),
        ("two", task("startExecution", {"StateMachineArn": arn, "Name": "n", "Input": "[1]"})),
    )
    error, _ = failure(definition)
    assert error == "Sfn.ExecutionAlreadyExistsException"


def test_start_sync_execution_runs_an_express_child_to_its_end() -> None:
    arn = machine(PASS, "EXPRESS")
    result = runtime.execute(
        chain(("sync", task("startSyncExecution", {"StateMachineArn": arn, "Input": "{}"}))), {}
    )
    out = result.output["sync"]
    assert (out["Status"], out["StateMachineArn"]) == ("SUCCEEDED", arn)
    assert (out["Input"], out["Output"]) == ("{}", '{"ok":1}')
    assert ":express:" in out["ExecutionArn"]
    assert out["BillingDetails"]["BilledMemoryUsedInMB"] == 64
    assert out["BillingDetails"]["BilledDurationInMilliseconds"] >= 100
    assert ISO.match(out["StartDate"]) and ISO.match(out["StopDate"])
    assert "TaskSubmitted" not in [e["type"] for e in result.history]


def test_a_failed_express_child_is_a_response_not_a_failure() -> None:
    arn = machine(FAIL, "EXPRESS")
    parameters = {"StateMachineArn": arn, "IncludedData": "METADATA_ONLY"}
    result = runtime.execute(chain(("sync", task("startSyncExecution", parameters))), {})
    assert result.status == "SUCCEEDED"
    out = result.output["sync"]
    assert (out["Status"], out["Error"], out["Cause"]) == ("FAILED", "Kid.Broke", "why")
    assert "Input" not in out and "Output" not in out


def test_start_sync_execution_of_a_standard_machine_is_refused() -> None:
    error, cause = failure(
        chain(("sync", task("startSyncExecution", {"StateMachineArn": machine(PASS)})))
    )
    assert error == "Sfn.StateMachineTypeNotSupportedException"
    assert cause.startswith("This operation is only supported by EXPRESS state machines")


def test_stop_execution_aborts_a_running_child() -> None:
    arn = machine(WAIT)
    stop = {"ExecutionArn.$": "$.started.ExecutionArn", "Error": "Halt", "Cause": "enough"}
    definition = chain(
        ("started", task("startExecution", {"StateMachineArn": arn})),
        ("pause", {"Type": "Wait", "Seconds": 0}),
        ("stopped", task("stopExecution", stop)),
        ("described", task("describeExecution", {"ExecutionArn.$": "$.started.ExecutionArn"})),
    )
    result = runtime.execute(definition, {})
    assert result.status == "SUCCEEDED", result.cause
    assert ISO.match(result.output["stopped"]["StopDate"])
    described = result.output["described"]
    assert (described["Status"], described["Error"], described["Cause"]) == (
        "ABORTED",
        "Halt",
        "enough",
    )
    assert described["RedriveStatus"] == "REDRIVABLE"


@pytest.mark.parametrize(
    ("action", "parameters", "error"),
    [
        (
            "describeExecution",
            {"ExecutionArn": "arn:aws:states:us-east-1:111111111111:execution:x:y"},
            "Sfn.ExecutionDoesNotExistException",
        ),
        ("describeExecution", {"ExecutionArn": "not-an-arn"}, "Sfn.InvalidArnException"),
        ("stopExecution", {}, "Sfn.ValidationException"),
        (
            "describeStateMachine",
            {"StateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:none"},
            "Sfn.StateMachineDoesNotExistException",
        ),
    ],
)
def test_lookups_of_what_does_not_exist(
    action: str, parameters: dict[str, Any], error: str
) -> None:
    assert failure(chain(("call", task(action, parameters))))[0] == error


def test_list_executions_pages_newest_first() -> None:
    arn = machine(PASS)
    starts = [
        (f"s{i}", task("startExecution", {"StateMachineArn": arn, "Name": f"run-{i}"}))
        for i in range(3)
    ]
    definition = chain(
        *starts,
        ("first", task("listExecutions", {"StateMachineArn": arn, "MaxResults": 2})),
        (
            "second",
            task(
                "listExecutions",
                {"StateMachineArn": arn, "MaxResults": 2, "NextToken.$": "$.first.NextToken"},
            ),
        ),
    )
    result = runtime.execute(definition, {})
    assert result.status == "SUCCEEDED", result.cause
    first, second = result.output["first"], result.output["second"]
    assert [e["Name"] for e in first["Executions"]] == ["run-2", "run-1"]
    assert [e["Name"] for e in second["Executions"]] == ["run-0"]
    assert "NextToken" not in second
    assert {e["StateMachineArn"] for e in first["Executions"]} == {arn}


def test_describe_state_machine_of_a_definition_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "orders.asl.json").write_text(json.dumps(PASS))
    monkeypatch.setenv("ASL_STATE_MACHINES", str(tmp_path))
    arn = "arn:aws:states:us-east-1:111111111111:stateMachine:orders"
    result = runtime.execute(
        chain(("m", task("describeStateMachine", {"StateMachineArn": arn}))), {}
    )
    out = result.output["m"]
    assert (out["Name"], out["StateMachineArn"], out["Type"], out["Status"]) == (
        "orders",
        arn,
        "STANDARD",
        "ACTIVE",
    )
    assert json.loads(out["Definition"]) == PASS
    assert ISO.match(out["CreationDate"])
    assert out["LoggingConfiguration"] == {"IncludeExecutionData": False, "Level": "OFF"}
