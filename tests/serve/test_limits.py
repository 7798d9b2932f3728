"""Limits through ``asl serve``: a Standard loop past 25,000 events ends FAILED as on AWS (its
event 25,000 is ExecutionFailed), and DescribeExecution no longer shows it RUNNING; data nested
past 512 levels ends the execution FAILED (States.Runtime) in Standard and Express runs."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.runtime.limits.deep_machines import ROUTES
from tests.runtime.limits.support import COUNTER_LOOP
from tests.serve.conftest import Live, history, wait_done

CAUSE = "The execution reached the maximum number of history events (25000)."


def test_a_standard_loop_past_the_quota_ends_failed(live: Live) -> None:
    machine = live.machine(json.dumps(COUNTER_LOOP), name="loop")
    arn = live.sfn.start_execution(stateMachineArn=machine, input='{"n": 0}')["executionArn"]
    out = wait_done(live.sfn, arn, timeout=120)
    assert (out["status"], out["error"], out["cause"]) == ("FAILED", "States.Runtime", CAUSE)
    events = history(live.sfn, arn)
    assert len(events) == 25_000
    assert events[-1]["type"] == "ExecutionFailed"
    assert events[-1]["executionFailedEventDetails"] == {"error": "States.Runtime", "cause": CAUSE}
    listed = live.sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [e["status"] for e in listed] == ["FAILED"]
    # RedriveExecution needs fewer than 24,999 events (room for ExecutionRedriven and more).
    with pytest.raises(ClientError) as refused:
        live.sfn.redrive_execution(executionArn=arn)
    assert refused.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    assert "a redrive needs fewer than 24,999" in refused.value.response["Error"]["Message"]
    assert len(history(live.sfn, arn)) == 25_000


DEEP_ROUTES = ["Parameters", "ResultPath", "States.StringToJson, 1,500 levels"]


@pytest.mark.parametrize("route", DEEP_ROUTES)
def test_deep_data_ends_a_standard_execution_failed(live: Live, route: str) -> None:
    machine = live.machine(json.dumps(ROUTES[route]), name="deep")
    arn = live.sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    out = wait_done(live.sfn, arn, timeout=60)
    assert (out["status"], out["error"]) == ("FAILED", "States.Runtime")
    assert "nested deeper than 512 levels" in out["cause"]
    events = history(live.sfn, arn)
    assert events[-1]["type"] == "ExecutionFailed"
    listed = live.sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [e["status"] for e in listed] == ["FAILED"]


@pytest.mark.parametrize("route", DEEP_ROUTES)
def test_deep_data_ends_a_sync_express_execution_failed(live: Live, route: str) -> None:
    machine = live.machine(json.dumps(ROUTES[route]), name="deep", type="EXPRESS")
    out = live.sfn.start_sync_execution(stateMachineArn=machine, input="{}")
    assert (out["status"], out["error"]) == ("FAILED", "States.Runtime")
    assert "nested deeper than 512 levels" in out["cause"]
