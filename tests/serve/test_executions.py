"""Execution actions through boto3: start, describe, list, history, stop, redrive, sync."""

from __future__ import annotations

import json
import time

import pytest

from tests.serve.conftest import HANDLERS, PASS, definition, history, wait_done

DOUBLE = definition(
    {
        "Double": {
            "Type": "Task",
            "Resource": f"python:{HANDLERS}:double",
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
    }
)
WAIT = definition(
    {
        "Wait": {"Type": "Wait", "Seconds": 2, "Next": "After"},
        "After": {"Type": "Pass", "End": True},
    }
)
FAIL = definition({"F": {"Type": "Fail", "Error": "Oops", "Cause": "because"}})


def test_start_describe_history(live):
    sfn = live.sfn
    machine = live.machine(DOUBLE, name="double")
    started = sfn.start_execution(stateMachineArn=machine, name="run1", input='{"value": 21}')
    arn = started["executionArn"]
    assert arn == "arn:aws:states:us-east-1:111111111111:execution:double:run1"
    done = wait_done(sfn, arn)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"value": 42}
    assert done["stateMachineArn"] == machine
    assert done["name"] == "run1"
    assert done["input"] == '{"value": 21}'
    assert done["startDate"] == started["startDate"]
    assert done["stopDate"] >= done["startDate"]
    assert done["redriveStatus"] == "NOT_REDRIVABLE"

    events = history(sfn, arn)
    types = [e["type"] for e in events]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    assert "TaskSucceeded" in types
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert json.loads(events[-1]["executionSucceededEventDetails"]["output"]) == {"value": 42}

    described = sfn.describe_state_machine_for_execution(executionArn=arn)
    assert described["stateMachineArn"] == machine
    assert json.loads(described["definition"]) == json.loads(DOUBLE)


def test_history_paging_order_and_data(live):
    sfn = live.sfn
    arn = sfn.start_execution(stateMachineArn=live.machine(DOUBLE), input='{"value": 1}')[
        "executionArn"
    ]
    wait_done(sfn, arn)
    every = history(sfn, arn)
    first = sfn.get_execution_history(executionArn=arn, maxResults=2)
    assert [e["id"] for e in first["events"]] == [1, 2]
    second = sfn.get_execution_history(executionArn=arn, maxResults=2, nextToken=first["nextToken"])
    assert [e["id"] for e in second["events"]] == [3, 4]
    backwards = sfn.get_execution_history(executionArn=arn, reverseOrder=True)["events"]
    assert [e["id"] for e in backwards] == [e["id"] for e in reversed(every)]
    bare = sfn.get_execution_history(executionArn=arn, includeExecutionData=False)["events"]
    assert "input" not in bare[0]["executionStartedEventDetails"]
    assert "input" in every[0]["executionStartedEventDetails"]
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.get_execution_history(executionArn=arn, nextToken="garbage!")


def test_list_executions_filter_and_pages(live):
    sfn = live.sfn
    ok, bad = live.machine(PASS, name="ok"), live.machine(FAIL, name="bad")
    arns = [sfn.start_execution(stateMachineArn=ok)["executionArn"] for _ in range(5)]
    failed = sfn.start_execution(stateMachineArn=bad)["executionArn"]
    for arn in [*arns, failed]:
        wait_done(sfn, arn)
    pages = list(
        sfn.get_paginator("list_executions").paginate(
            stateMachineArn=ok, PaginationConfig={"PageSize": 2}
        )
    )
    assert len(pages) == 3
    listed = [e["executionArn"] for p in pages for e in p["executions"]]
    assert sorted(listed) == sorted(arns)
    assert sfn.list_executions(stateMachineArn=ok, statusFilter="FAILED")["executions"] == []
    only = sfn.list_executions(stateMachineArn=bad, statusFilter="FAILED")["executions"]
    assert [e["executionArn"] for e in only] == [failed]
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.list_executions(stateMachineArn=ok + "x")
    with pytest.raises(sfn.exceptions.ValidationException):
        sfn.list_executions(stateMachineArn=ok, statusFilter="NOPE")
    express = live.machine(PASS, name="express", type="EXPRESS")
    with pytest.raises(sfn.exceptions.StateMachineTypeNotSupported):
        sfn.list_executions(stateMachineArn=express)


def test_failed_execution(live):
    sfn = live.sfn
    arn = sfn.start_execution(stateMachineArn=live.machine(FAIL))["executionArn"]
    done = wait_done(sfn, arn)
    assert (done["status"], done["error"], done["cause"]) == ("FAILED", "Oops", "because")
    assert done["redriveStatus"] == "REDRIVABLE"


def test_start_is_idempotent_by_name(live):
    sfn = live.sfn
    machine = live.machine(WAIT)
    first = sfn.start_execution(stateMachineArn=machine, name="same", input='{"a": 1}')
    again = sfn.start_execution(stateMachineArn=machine, name="same", input='{"a":1}')
    assert again["executionArn"] == first["executionArn"]
    assert again["startDate"] == first["startDate"]
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=machine, name="same", input='{"a": 2}')
    wait_done(sfn, first["executionArn"])
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=machine, name="same", input='{"a": 1}')
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 1


def test_start_errors(live):
    sfn = live.sfn
    machine = live.machine()
    with pytest.raises(sfn.exceptions.InvalidExecutionInput):
        sfn.start_execution(stateMachineArn=machine, input="{nope")
    with pytest.raises(sfn.exceptions.InvalidName):
        sfn.start_execution(stateMachineArn=machine, name="a/b")
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.start_execution(stateMachineArn=machine + "-gone")
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.start_execution(stateMachineArn="arn:aws:states:us-east-1:111111111111:execution:m:e")
    with pytest.raises(sfn.exceptions.ValidationException):
        sfn.start_execution(stateMachineArn=machine, input=json.dumps({"x": "y" * 300_000}))
    unknown = "arn:aws:states:us-east-1:111111111111:execution:m:never"
    for call in (
        sfn.describe_execution,
        sfn.get_execution_history,
        sfn.stop_execution,
        sfn.redrive_execution,
        sfn.describe_state_machine_for_execution,
    ):
        with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
            call(executionArn=unknown)
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.describe_execution(executionArn="arn:aws:states:us-east-1:111111111111:stateMachine:m")


def test_stop_aborts_and_really_stops(live):
    sfn = live.sfn
    machine = live.machine(WAIT)
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    time.sleep(0.3)
    stopped = sfn.stop_execution(executionArn=arn, error="Halt", cause="by the test")
    done = sfn.describe_execution(executionArn=arn)
    assert (done["status"], done["error"], done["cause"]) == ("ABORTED", "Halt", "by the test")
    assert done["stopDate"] == stopped["stopDate"]
    events = history(sfn, arn)
    assert events[-1]["type"] == "ExecutionAborted"
    assert events[-1]["executionAbortedEventDetails"] == {"error": "Halt", "cause": "by the test"}
    time.sleep(2.2)  # past the Wait: nothing more may be recorded
    assert history(sfn, arn) == events
    again = sfn.stop_execution(executionArn=arn)  # stopping an ended execution changes nothing
    assert again["stopDate"] == stopped["stopDate"]


def test_redrive_runs_the_failed_part_again(live, tmp_path):
    sfn = live.sfn
    flag, log = tmp_path / "flag", tmp_path / "count.log"
    body = definition(
        {
            "Count": {
                "Type": "Task",
                "Resource": f"python:{HANDLERS}:count",
                "ResultPath": None,
                "Next": "Flaky",
            },
            "Flaky": {"Type": "Task", "Resource": f"python:{HANDLERS}:flaky", "End": True},
        }
    )
    machine = live.machine(body)
    arn = sfn.start_execution(
        stateMachineArn=machine, input=json.dumps({"flag": str(flag), "log": str(log)})
    )["executionArn"]
    assert wait_done(sfn, arn)["status"] == "FAILED"
    with pytest.raises(sfn.exceptions.ExecutionNotRedrivable):
        sfn.redrive_execution(executionArn=_succeeded(live))
    flag.write_text("now")
    redriven = sfn.redrive_execution(executionArn=arn)
    assert redriven["redriveDate"]
    done = wait_done(sfn, arn)
    assert done["status"] == "SUCCEEDED"
    assert done["redriveCount"] == 1
    assert log.read_text().count("\n") == 1  # the step that succeeded did not run again
    types = [e["type"] for e in history(sfn, arn)]
    assert types.count("ExecutionRedriven") == 1 and types[-1] == "ExecutionSucceeded"


def _succeeded(live):
    arn = live.sfn.start_execution(stateMachineArn=live.machine(PASS, name="p"))["executionArn"]
    wait_done(live.sfn, arn)
    return arn


def test_start_sync_execution(live):
    sfn = live.sfn
    machine = live.machine(DOUBLE, name="sync", type="EXPRESS")
    out = sfn.start_sync_execution(stateMachineArn=machine, name="s1", input='{"value": 4}')
    assert out["status"] == "SUCCEEDED"
    assert json.loads(out["output"]) == {"value": 8}
    assert out["executionArn"].startswith("arn:aws:states:us-east-1:111111111111:express:sync:s1:")
    assert out["stateMachineArn"] == machine
    assert out["input"] == '{"value": 4}'
    assert out["billingDetails"]["billedDurationInMilliseconds"] >= 100
    assert out["stopDate"] >= out["startDate"]
    failed = sfn.start_sync_execution(stateMachineArn=live.machine(FAIL, name="f", type="EXPRESS"))
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "Oops", "because")
    assert "output" not in failed
    quiet = sfn.start_sync_execution(
        stateMachineArn=machine, input='{"value": 1}', includedData="METADATA_ONLY"
    )
    assert "input" not in quiet and "output" not in quiet
    with pytest.raises(sfn.exceptions.StateMachineTypeNotSupported):
        sfn.start_sync_execution(stateMachineArn=live.machine(PASS, name="standard"))
    with pytest.raises(sfn.exceptions.InvalidExecutionInput):
        sfn.start_sync_execution(stateMachineArn=machine, input="[")


def test_async_express_execution(live):
    sfn = live.sfn
    machine = live.machine(DOUBLE, name="async", type="EXPRESS")
    arn = sfn.start_execution(stateMachineArn=machine, input='{"value": 5}')["executionArn"]
    assert ":express:async:" in arn
    done = wait_done(sfn, arn)
    assert json.loads(done["output"]) == {"value": 10}
    with pytest.raises(sfn.exceptions.ExecutionNotRedrivable):
        sfn.redrive_execution(executionArn=arn)


def test_time_skip_server(make_server):
    live = make_server(time_skip=True)
    body = definition({"Long": {"Type": "Wait", "Seconds": 3600, "End": True}})
    arn = live.sfn.start_execution(stateMachineArn=live.machine(body))["executionArn"]
    done = wait_done(live.sfn, arn, timeout=10)
    assert done["status"] == "SUCCEEDED"
    assert (done["stopDate"] - done["startDate"]).total_seconds() >= 3600


def test_task_configuration_error_fails_the_execution(make_server):
    from runtime.serve.policy import CodePolicy

    live = make_server(policy=CodePolicy(local_code=True))
    body = definition({"T": {"Type": "Task", "Resource": "python:no_such_module:fn", "End": True}})
    arn = live.sfn.start_execution(stateMachineArn=live.machine(body))["executionArn"]
    done = wait_done(live.sfn, arn)
    assert (done["status"], done["error"]) == ("FAILED", "States.Runtime")
    assert "no_such_module" in done["cause"]
    assert history(live.sfn, arn)[-1]["type"] == "ExecutionFailed"
