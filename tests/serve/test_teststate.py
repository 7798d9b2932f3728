"""TestState through boto3: one state, with and without mocks, each status and level."""

from __future__ import annotations

import json

import pytest

from tests.serve.conftest import HANDLERS, ROLE

TASK = {
    "Type": "Task",
    "Resource": "arn:aws:lambda:us-east-1:111111111111:function:price",
    "InputPath": "$.order",
    "Parameters": {"id.$": "$.id"},
    "ResultSelector": {"price.$": "$.Payload.price"},
    "ResultPath": "$.priced",
    "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 2, "MaxAttempts": 2}],
    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
    "Next": "Ship",
}
ORDER = json.dumps({"order": {"id": 7}})


def run(sfn, state, **kw):
    out = sfn.test_state(definition=json.dumps(state), **kw)
    out.pop("ResponseMetadata")
    return out


def test_mocked_task_debug(live):
    out = run(
        live.sfn,
        TASK,
        input=ORDER,
        mock={"result": json.dumps({"Payload": {"price": 12}})},
        inspectionLevel="DEBUG",
    )
    assert out["status"] == "SUCCEEDED"
    assert out["nextState"] == "Ship"
    assert json.loads(out["output"]) == {"order": {"id": 7}, "priced": {"price": 12}}
    data = {k: json.loads(v) for k, v in out["inspectionData"].items()}
    assert data["input"] == {"order": {"id": 7}}
    assert data["afterInputPath"] == {"id": 7}
    assert data["afterParameters"] == {"id": 7}
    assert data["result"] == {"Payload": {"price": 12}}
    assert data["afterResultSelector"] == {"price": 12}
    assert data["afterResultPath"] == json.loads(out["output"])


def test_info_level_has_no_data_flow(live):
    out = run(live.sfn, TASK, input=ORDER, mock={"result": '{"Payload": {"price": 1}}'})
    assert out["status"] == "SUCCEEDED" and "inspectionData" not in out


def test_retriable_caught_and_failed(live):
    sfn = live.sfn
    busy = {"errorOutput": {"error": "Busy", "cause": "try later"}}
    retriable = run(sfn, TASK, input=ORDER, mock=busy, inspectionLevel="DEBUG")
    assert retriable["status"] == "RETRIABLE"
    assert (retriable["error"], retriable["cause"]) == ("Busy", "try later")
    assert retriable["inspectionData"]["errorDetails"] == {
        "retryIndex": 0,
        "retryBackoffIntervalSeconds": 2,
    }
    assert "nextState" not in retriable and "output" not in retriable
    again = {"mock": busy, "inspectionLevel": "DEBUG"}
    second = run(sfn, TASK, input=ORDER, stateConfiguration={"retrierRetryCount": 1}, **again)
    assert second["inspectionData"]["errorDetails"]["retryBackoffIntervalSeconds"] == 4
    caught = run(sfn, TASK, input=ORDER, stateConfiguration={"retrierRetryCount": 2}, **again)
    assert caught["status"] == "CAUGHT_ERROR"
    assert caught["nextState"] == "Failed"
    assert caught["inspectionData"]["errorDetails"] == {"retryIndex": 0, "catchIndex": 0}
    assert json.loads(caught["output"])["error"] == {"Error": "Busy", "Cause": "try later"}
    no_catch = {k: v for k, v in TASK.items() if k not in ("Catch", "Retry")}
    failed = run(sfn, no_catch, input=ORDER, mock={"errorOutput": {"error": "E", "cause": "c"}})
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "E", "c")


def test_real_task_through_the_server_routing(live):
    state = {"Type": "Task", "Resource": f"python:{HANDLERS}:double", "End": True}
    out = run(live.sfn, state, input='{"value": 4}', inspectionLevel="TRACE", roleArn=ROLE)
    assert out["status"] == "SUCCEEDED" and json.loads(out["output"]) == {"value": 8}
    assert "nextState" not in out
    assert json.loads(out["inspectionData"]["result"]) == {"value": 8}


def test_other_state_types(live):
    sfn = live.sfn
    choice = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}],
        "Default": "Small",
    }
    assert run(sfn, choice, input='{"n": 11}')["nextState"] == "Big"
    assert run(sfn, choice, input='{"n": 1}')["nextState"] == "Small"
    failed = run(sfn, {"Type": "Fail", "Error": "Bad", "Cause": "why"})
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "Bad", "why")
    waited = run(sfn, {"Type": "Wait", "Seconds": 3600, "Next": "Go"}, input='{"a": 1}')
    assert (waited["status"], waited["nextState"]) == ("SUCCEEDED", "Go")  # nothing waits
    jsonata = {
        "Type": "Pass",
        "QueryLanguage": "JSONata",
        "Assign": {"total": "{% $states.input.n + $base %}"},
        "Output": "{% {'doubled': $states.input.n * 2} %}",
        "End": True,
    }
    out = run(sfn, jsonata, input='{"n": 5}', variables='{"base": 100}', inspectionLevel="DEBUG")
    assert json.loads(out["output"]) == {"doubled": 10}
    assert json.loads(out["inspectionData"]["variables"]) == {"base": 100, "total": 105}


def test_state_of_a_whole_machine_and_mocked_map(live):
    sfn = live.sfn
    machine = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                "ResultPath": "$.items",
                "End": True,
            },
        },
    }
    out = run(sfn, machine, stateName="B", input="{}", mock={"result": "[1, 2, 3]"})
    assert out["status"] == "SUCCEEDED" and json.loads(out["output"]) == {"items": [1, 2, 3]}
    with pytest.raises(sfn.exceptions.InvalidDefinition):  # Map needs a mock, as on AWS
        run(sfn, machine, stateName="B")
    with pytest.raises(sfn.exceptions.ValidationException):
        run(sfn, machine, stateName="Nope")


def test_errors(live):
    sfn = live.sfn
    with pytest.raises(sfn.exceptions.InvalidDefinition):
        sfn.test_state(definition="{nope")
    with pytest.raises(sfn.exceptions.InvalidDefinition):
        run(sfn, {"Type": "Task", "End": True})  # no Resource
    with pytest.raises(sfn.exceptions.InvalidExecutionInput):
        run(sfn, {"Type": "Pass", "End": True}, input="[")
    with pytest.raises(sfn.exceptions.ValidationException):
        run(sfn, {"Type": "Pass", "End": True}, inspectionLevel="LOUD")
    with pytest.raises(sfn.exceptions.ValidationException):
        run(sfn, TASK, mock={"result": "{", "errorOutput": {"error": "x"}})
    with pytest.raises(sfn.exceptions.ValidationException):  # an unmocked Task needs a role
        run(sfn, TASK)
    with pytest.raises(sfn.exceptions.ValidationException, match="only with a mock"):
        waits = {**TASK, "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken"}
        run(sfn, waits, roleArn=ROLE)
