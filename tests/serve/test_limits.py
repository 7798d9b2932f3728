"""Limits through ``asl serve``: a Standard loop past 25,000 events ends FAILED as on AWS (its
event 25,000 is ExecutionFailed), and DescribeExecution no longer shows it RUNNING; data nested
past 512 levels ends the execution FAILED (States.Runtime) in Standard and Express runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.runtime.limits.deep_machines import ROUTES
from tests.runtime.limits.support import BURST_LOOP, COUNTER_LOOP
from tests.serve.conftest import ROLE, Live, client, history, wait_done

CAUSE = "The execution reached the maximum number of history events (25000)."


def test_a_standard_loop_past_the_quota_ends_failed(live: Live) -> None:
    machine = live.machine(json.dumps(COUNTER_LOOP), name="loop")
    arn = live.sfn.start_execution(stateMachineArn=machine, input='{"n": 0}')["executionArn"]
    out = wait_done(live.sfn, arn, timeout=120)
    assert (out["status"], out["error"], out["cause"]) == ("FAILED", "States.Runtime", CAUSE)
    # The newest events, newest first: the last is event 25,000 (paging all of them through
    # boto3 would take most of this test's time; the engine tests count every event).
    newest = live.sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=2)
    last = newest["events"][0]
    assert (last["id"], last["type"]) == (25_000, "ExecutionFailed")
    assert last["executionFailedEventDetails"] == {"error": "States.Runtime", "cause": CAUSE}
    listed = live.sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [e["status"] for e in listed] == ["FAILED"]
    # RedriveExecution needs fewer than 24,999 events (room for ExecutionRedriven and more).
    with pytest.raises(ClientError) as refused:
        live.sfn.redrive_execution(executionArn=arn)
    assert refused.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    assert "a redrive needs fewer than 24,999" in refused.value.response["Error"]["Message"]
    assert live.sfn.describe_execution(executionArn=arn)["status"] == "FAILED"


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


def _peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kib) / 1024


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_an_endless_async_express_loop_holds_flat_memory(serve_process) -> None:
    """800,000 events in 5 virtual minutes: the server keeps none of them (Express executions
    have no history), times the run out at its limit and stays under 150 MB."""
    server = serve_process("--time-skip")
    sfn = client(server.url)
    machine = sfn.create_state_machine(
        name="burst", definition=json.dumps(BURST_LOOP), roleArn=ROLE, type="EXPRESS"
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    out = wait_done(sfn, arn, timeout=120)
    assert out["status"] == "TIMED_OUT"
    peak = _peak_rss_mb(server.process.pid)
    assert peak < 150, f"peak RSS {peak:.0f} MB"
