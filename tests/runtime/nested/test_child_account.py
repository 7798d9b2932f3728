"""E5: a child's ARNs name the account and region of the StateMachineArn it was started with."""

from __future__ import annotations

import pytest

import runtime
from runtime.callbacks import current_hub
from tests.runtime.nested.support import SFN, START, child, one_state, starting, submitted

PASS = one_state({"Type": "Pass", "Result": {"ok": 1}})


def elsewhere(arn: str) -> str:
    """``arn`` (a machine registered here) as named from account 222222222222 in eu-west-1."""
    return arn.replace(":us-east-1:111111111111:", ":eu-west-1:222222222222:")


@pytest.mark.parametrize(("type_", "kind"), [("STANDARD", "execution"), ("EXPRESS", "express")])
def test_sync_output_names_the_targets_account(type_: str, kind: str) -> None:
    target = elsewhere(child(PASS, type_))
    result = runtime.execute(one_state(starting(START + ".sync", target, {})), {})
    assert result.status == "SUCCEEDED", result.cause
    out = result.output
    assert out["StateMachineArn"] == target
    prefix = f"arn:aws:states:eu-west-1:222222222222:{kind}:{target.rsplit(':', 1)[1]}:"
    assert out["ExecutionArn"].startswith(prefix)
    assert submitted(result)["ExecutionArn"] == out["ExecutionArn"]


def test_the_child_is_stored_under_that_arn() -> None:
    target = elsewhere(child(PASS))
    result = runtime.execute(one_state(starting(START, target, {})), {})
    arn = result.output["ExecutionArn"]
    assert ":eu-west-1:222222222222:execution:" in arn
    assert current_hub().store.get(arn).execution_arn == arn


def test_aws_sdk_start_execution_too() -> None:
    target = elsewhere(child(PASS))
    state = {"Type": "Task", "Resource": SFN + "startExecution"}
    state["Parameters"] = {"StateMachineArn": target}
    result = runtime.execute(one_state(state), {})
    assert result.output["ExecutionArn"].startswith("arn:aws:states:eu-west-1:222222222222:")
