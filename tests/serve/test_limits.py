"""Limits through ``asl serve``: a Standard loop past 25,000 events ends FAILED as on AWS (its
event 25,000 is ExecutionFailed), and DescribeExecution no longer shows it RUNNING."""

from __future__ import annotations

import json

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
