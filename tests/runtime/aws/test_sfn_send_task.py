"""``aws-sdk:sfn:sendTask*`` failures carry the cause AWS recorded (2025): the Java SDK 2.x's
wording with its attempt count (services finding E7)."""

from __future__ import annotations

import re

import pytest

import runtime

CAUSE = re.compile(
    r"^Invalid Token: 'Invalid token' \(Service: Sfn, Status Code: 400, Request ID: "
    r"[0-9a-f-]{36}\) \(SDK Attempt Count: 1\)$"
)


@pytest.mark.parametrize("action", ["sendTaskSuccess", "sendTaskFailure", "sendTaskHeartbeat"])
def test_a_token_no_task_has_fails_with_aws_cause(action: str) -> None:
    parameters = {"TaskToken": "NoSuchTaskToken"}
    if action == "sendTaskSuccess":
        parameters["Output"] = "{}"
    definition = {
        "StartAt": "Answer",
        "States": {
            "Answer": {
                "Type": "Task",
                "Resource": f"arn:aws:states:::aws-sdk:sfn:{action}",
                "Parameters": parameters,
                "End": True,
            }
        },
    }
    result = runtime.execute(definition, {})
    assert (result.status, result.error) == ("FAILED", "Sfn.InvalidTokenException")
    assert CAUSE.match(result.cause or ""), result.cause
