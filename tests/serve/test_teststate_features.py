"""TestState through boto3, feature by feature: what the recorded AWS calls do not all cover."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.serve.conftest import ROLE

MAPPED = {
    "Type": "Map",
    "ItemsPath": "$.items",
    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
    "End": True,
}


def call(sfn: Any, definition: dict[str, Any], **kw: Any) -> dict[str, Any]:
    out = sfn.test_state(definition=json.dumps(definition), **kw)
    out.pop("ResponseMetadata")
    return out


def data(out: dict[str, Any]) -> dict[str, Any]:
    """inspectionData with its JSON texts read."""
    return {k: json.loads(v) if isinstance(v, str) else v for k, v in out["inspectionData"].items()}


def test_the_direct_paths_of_pass_and_choice_show_every_stage(live):
    """As every state's own stages: a Wait shows its InputPath's (and does not wait)."""
    sfn = live.sfn
    direct_pass = {"Type": "Pass", "Parameters": {"v.$": "$.a"}, "Next": "N"}
    out = call(sfn, direct_pass, input='{"a": 5}', inspectionLevel="DEBUG")
    assert data(out) == {
        "input": {"a": 5},
        "afterInputPath": {"a": 5},
        "afterParameters": {"v": 5},
        "afterResultSelector": {"v": 5},
        "afterResultPath": {"v": 5},
    }
    choice = {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "Y"}]}
    out = call(sfn, choice, input='{"a": 5}', inspectionLevel="TRACE")
    assert out["nextState"] == "Y"
    assert data(out) == {"input": {"a": 5}, "afterInputPath": {"a": 5}}
    wait = {"Type": "Wait", "Seconds": 86400, "InputPath": "$.keep", "Next": "Later"}
    out = call(sfn, wait, input='{"keep": {"k": 1}}', inspectionLevel="DEBUG")
    assert (out["nextState"], json.loads(out["output"])) == ("Later", {"k": 1})
    assert data(out) == {"input": {"keep": {"k": 1}}, "afterInputPath": {"k": 1}}


def test_the_tested_states_names_never_collide_with_the_wrapper(live):
    inner = {
        name: {"Type": "Pass", "Next": after} if after else {"Type": "Pass", "End": True}
        for name, after in (("StateName", "Next0"), ("Next0", "Next01"), ("Next01", None))
    }
    state = {
        "Type": "Map",
        "ItemProcessor": {"StartAt": "StateName", "States": inner},
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Next0"}],
        "Next": "StateName",
    }
    ok = call(live.sfn, state, input="[1, 2]", mock={"result": "[1, 2]"})
    assert (ok["status"], ok["nextState"], ok["output"]) == ("SUCCEEDED", "StateName", "[1, 2]")
    failed = call(live.sfn, state, input="[1]", mock={"errorOutput": {"error": "E"}})
    assert (failed["status"], failed["nextState"]) == ("CAUGHT_ERROR", "Next0")


def test_a_state_inside_a_parallel_branch_of_a_machine(live):
    machine = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "L", "States": {"L": {"Type": "Pass", "End": True}}},
                    {
                        "StartAt": "R",
                        "States": {
                            "R": {"Type": "Pass", "Result": "r", "ResultPath": "$.r", "End": True}
                        },
                    },
                ],
                "End": True,
            }
        },
    }
    out = call(live.sfn, machine, stateName="R", input='{"a": 1}', inspectionLevel="DEBUG")
    assert json.loads(out["output"]) == {"a": 1, "r": "r"} and "nextState" not in out
    assert data(out)["result"] == "r"
    with pytest.raises(live.sfn.exceptions.ValidationException, match="State not found"):
        call(live.sfn, machine, stateName="Missing")


START = {
    "Type": "Task",
    "Resource": "arn:aws:states:::states:startExecution",
    "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:x"},
    "End": True,
}


def refusal(sfn: Any, result: Any, mode: str) -> str | None:
    """The ValidationException a mocked startExecution result gets in ``mode``, if any."""
    mock = {"result": json.dumps(result), "fieldValidationMode": mode}
    try:
        assert json.loads(call(sfn, START, mock=mock)["output"]) == result
    except sfn.exceptions.ValidationException as exc:
        return exc.response["Error"]["Message"]
    return None


def test_field_validation_modes(live):
    sfn = live.sfn
    prefix = "Mock result schema validation error: "
    arn_only, wrong_date = {"ExecutionArn": "a"}, {"ExecutionArn": "a", "StartDate": 5}
    assert refusal(sfn, arn_only, "STRICT") == prefix + "Required field 'StartDate' is missing"
    assert refusal(sfn, arn_only, "PRESENT") is None
    assert refusal(sfn, wrong_date, "PRESENT") == prefix + "Field 'StartDate' must be a string"
    assert refusal(sfn, wrong_date, "NONE") is None
    extra = {"ExecutionArn": "a", "StartDate": "d", "Extra": [1]}  # fields the API lacks pass
    assert refusal(sfn, extra, "STRICT") is None


def test_the_context_object_made_for_the_call_or_given(live):
    show = {"Type": "Pass", "Parameters": {"c.$": "$$"}, "End": True}
    made = json.loads(call(live.sfn, show, input='{"i": 1}', roleArn=ROLE)["output"])["c"]
    execution = made["Execution"]
    assert execution["Id"].startswith("arn:aws:states:us-east-1:111111111111:express:")
    assert execution["Id"].endswith(":" + execution["Name"])
    assert (execution["Input"], execution["RoleArn"]) == ({"i": 1}, ROLE)
    assert made["State"]["Name"] == "StateName" and "RetryCount" not in made["State"]
    given = {"Execution": {"Name": "mine"}, "State": {"Name": "Mine", "RetryCount": 2}}
    out = call(live.sfn, show, context=json.dumps(given))
    assert json.loads(out["output"])["c"] == given


def test_a_mocked_parallel_error_is_retried_then_caught(live):
    state = {
        "Type": "Parallel",
        "QueryLanguage": "JSONata",
        "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}],
        "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 1, "IntervalSeconds": 5}],
        "Catch": [
            {
                "ErrorEquals": ["States.ALL"],
                "Output": "{% {'failed': $states.errorOutput.Error} %}",
                "Next": "Handle",
            }
        ],
        "End": True,
    }
    flaky = {"mock": {"errorOutput": {"error": "Flaky", "cause": "c"}}, "inspectionLevel": "DEBUG"}
    first = call(live.sfn, state, **flaky)
    assert first["status"] == "RETRIABLE"
    assert first["inspectionData"]["errorDetails"] == {
        "retryIndex": 0,
        "retryBackoffIntervalSeconds": 5,
    }
    last = call(live.sfn, state, stateConfiguration={"retrierRetryCount": 1}, **flaky)
    assert (last["status"], last["nextState"]) == ("CAUGHT_ERROR", "Handle")
    assert json.loads(last["output"]) == {"failed": "Flaky"}
    assert last["inspectionData"]["errorDetails"] == {"retryIndex": 0, "catchIndex": 0}


@pytest.mark.parametrize(("failures", "status"), [(2, "SUCCEEDED"), (3, "FAILED")])
def test_a_mocked_map_tolerates_a_percentage_of_failures(live, failures: int, status: str):
    state = {**MAPPED, "ToleratedFailurePercentage": 50}
    out = call(
        live.sfn,
        state,
        input='{"items": [1, 2, 3, 4]}',
        mock={"result": "[1, 2, 3, 4]"},
        stateConfiguration={"mapIterationFailureCount": failures},
        inspectionLevel="DEBUG",
    )
    assert out["status"] == status
    if status == "FAILED":
        assert out["error"] == "States.ExceedToleratedFailureThreshold"
    inspected = data(out)
    assert inspected["afterItemsPath"] == [1, 2, 3, 4]
    assert (inspected["maxConcurrency"], inspected["toleratedFailurePercentage"]) == (0, 50.0)


def test_item_reader_data_needs_a_map_that_reads_items(live):
    reader = {
        **{k: v for k, v in MAPPED.items() if k != "ItemsPath"},
        "ItemProcessor": {
            **MAPPED["ItemProcessor"],
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        },
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b"}},
    }
    config = {"mapItemReaderData": "[1, 2]"}
    out = call(live.sfn, reader, mock={"result": "[2, 4]"}, stateConfiguration=config)
    assert (out["status"], out["output"]) == ("SUCCEEDED", "[2, 4]")
    with pytest.raises(live.sfn.exceptions.ValidationException, match="with an ItemReader"):
        call(live.sfn, MAPPED, mock={"result": "[1]"}, stateConfiguration=config)
