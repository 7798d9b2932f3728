"""A child started for a machine ARN in another account and region sees its own ARNs in its
context object, and DescribeExecution (``aws-sdk:sfn``) names its machine there too."""

from __future__ import annotations

import runtime
from tests.runtime.nested.support import SFN, START, child, one_state, starting

WHO = one_state(
    {
        "Type": "Pass",
        "Parameters": {
            "execution.$": "$$.Execution.Id",
            "machine.$": "$$.StateMachine.Id",
            "role.$": "$$.Execution.RoleArn",
        },
    }
)


def elsewhere(arn: str) -> str:
    return arn.replace(":us-east-1:111111111111:", ":eu-west-1:222222222222:")


def test_the_childs_context_names_its_own_account() -> None:
    target = elsewhere(child(WHO))
    result = runtime.execute(one_state(starting(START + ".sync:2", target, {})), {})
    assert result.status == "SUCCEEDED", result.cause
    seen = result.output["Output"]
    assert seen["execution"] == result.output["ExecutionArn"]
    assert seen["execution"].startswith("arn:aws:states:eu-west-1:222222222222:execution:")
    assert seen["machine"] == target
    assert seen["role"].startswith("arn:aws:iam::222222222222:")


def test_describe_execution_names_the_childs_machine() -> None:
    target = elsewhere(child(WHO))
    describe = {
        "Type": "Task",
        "Resource": SFN + "describeExecution",
        "Parameters": {"ExecutionArn.$": "$.ExecutionArn"},
    }
    machine = {
        "StartAt": "Start",
        "States": {"Start": {**starting(START, target, {}), "Next": "Describe"}},
    }
    machine["States"]["Describe"] = {**describe, "End": True}
    result = runtime.execute(machine, {})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["StateMachineArn"] == target
