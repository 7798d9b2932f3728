"""Activities, task-token callbacks and nested executions, all through boto3."""

from __future__ import annotations

import json
import threading
import time

import pytest

from tests.serve.conftest import client, definition, history, wait_done

ACTIVITY_PREFIX = "arn:aws:states:us-east-1:111111111111:activity:"
WAIT_FOR_TOKEN = definition(
    {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "approvals", "MessageBody": {"token.$": "$$.Task.Token"}},
            "ResultPath": "$.approval",
            "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.why", "Next": "No"}],
            "Next": "Yes",
        },
        "Yes": {"Type": "Pass", "End": True},
        "No": {"Type": "Fail", "Error": "OrderRejected"},
    }
)


def token_of(sfn, arn, timeout=10.0):
    """The task token the execution's pending TaskScheduled carries."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in history(sfn, arn):
            if event["type"] == "TaskScheduled":
                params = json.loads(event["taskScheduledEventDetails"]["parameters"])
                return params["MessageBody"]["token"]
        time.sleep(0.05)
    raise AssertionError("no TaskScheduled event")


def test_activity_actions(live):
    sfn = live.sfn
    created = sfn.create_activity(name="resize")
    arn = created["activityArn"]
    assert arn == ACTIVITY_PREFIX + "resize"
    assert sfn.create_activity(name="resize")["activityArn"] == arn  # idempotent
    described = sfn.describe_activity(activityArn=arn)
    assert (described["name"], described["creationDate"]) == ("resize", created["creationDate"])
    sfn.create_activity(name="crop")
    assert [a["name"] for a in sfn.list_activities()["activities"]] == ["resize", "crop"]
    page = sfn.list_activities(maxResults=1)
    assert len(page["activities"]) == 1 and page["nextToken"]
    began = time.monotonic()
    empty = sfn.get_activity_task(activityArn=arn, workerName="w")
    assert not empty.get("taskToken")  # the long poll ended without a task
    assert time.monotonic() - began >= 1.5
    sfn.delete_activity(activityArn=arn)
    with pytest.raises(sfn.exceptions.ActivityDoesNotExist):
        sfn.describe_activity(activityArn=arn)
    with pytest.raises(sfn.exceptions.ActivityDoesNotExist):
        sfn.get_activity_task(activityArn=arn)
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.describe_activity(activityArn="arn:aws:states:us-east-1:111111111111:execution:a:b")
    with pytest.raises(sfn.exceptions.InvalidName):
        sfn.create_activity(name="bad name")


def _worker(url, arn, stop, answer):
    sfn = client(url)
    while not stop.is_set():
        task = sfn.get_activity_task(activityArn=arn, workerName="worker-1")
        token = task.get("taskToken")
        if not token:
            continue
        sfn.send_task_heartbeat(taskToken=token)
        answer(sfn, token, json.loads(task["input"]))


def test_activity_worker(live):
    sfn = live.sfn
    activity = sfn.create_activity(name="double")["activityArn"]
    body = definition(
        {
            "Work": {
                "Type": "Task",
                "Resource": activity,
                "HeartbeatSeconds": 10,
                "TimeoutSeconds": 30,
                "End": True,
            }
        }
    )
    machine = live.machine(body)
    answered = []

    def answer(sfn, token, value):
        if value.get("fail"):
            sfn.send_task_failure(taskToken=token, error="Nope", cause="asked to fail")
        else:
            sfn.send_task_success(taskToken=token, output=json.dumps({"n": value["n"] * 2}))
        answered.append(token)

    stop = threading.Event()
    thread = threading.Thread(target=_worker, args=(live.url, activity, stop, answer))
    thread.start()
    try:
        ok = sfn.start_execution(stateMachineArn=machine, input='{"n": 21}')["executionArn"]
        bad = sfn.start_execution(stateMachineArn=machine, input='{"fail": true}')["executionArn"]
        done = wait_done(sfn, ok)
        assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"n": 42})
        failed = wait_done(sfn, bad)
        assert (failed["status"], failed["error"], failed["cause"]) == (
            "FAILED",
            "Nope",
            "asked to fail",
        )
    finally:
        stop.set()
        thread.join(10)
    events = history(sfn, ok)
    types = [e["type"] for e in events]
    assert types[1:4] == ["TaskStateEntered", "ActivityScheduled", "ActivityStarted"]
    assert "ActivitySucceeded" in types
    started = next(e for e in events if e["type"] == "ActivityStarted")
    assert started["activityStartedEventDetails"]["workerName"] == "worker-1"
    with pytest.raises(sfn.exceptions.TaskTimedOut):  # a token answers once
        sfn.send_task_success(taskToken=answered[0], output="{}")


def test_callback_approval(live):
    sfn = live.sfn
    machine = live.machine(WAIT_FOR_TOKEN)
    arn = sfn.start_execution(stateMachineArn=machine, input='{"order": 7}')["executionArn"]
    token = token_of(sfn, arn)
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    sfn.send_task_heartbeat(taskToken=token)
    with pytest.raises(sfn.exceptions.InvalidOutput):
        sfn.send_task_success(taskToken=token, output="{not json")
    sfn.send_task_success(taskToken=token, output='{"approved": true}')
    done = wait_done(sfn, arn)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"order": 7, "approval": {"approved": True}}
    with pytest.raises(sfn.exceptions.TaskTimedOut):
        sfn.send_task_success(taskToken=token, output="{}")
    with pytest.raises(sfn.exceptions.TaskTimedOut):
        sfn.send_task_heartbeat(taskToken=token)

    rejected = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    sfn.send_task_failure(taskToken=token_of(sfn, rejected), error="Rejected", cause="too dear")
    done = wait_done(sfn, rejected)
    assert (done["status"], done["error"]) == ("FAILED", "OrderRejected")


def test_token_errors(live):
    sfn = live.sfn
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.send_task_success(taskToken="not-a-token", output="{}")
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.send_task_heartbeat(taskToken="x" * 56)
    # a well-formed token of a task that never existed: that of a finished execution's twin
    machine = live.machine(WAIT_FOR_TOKEN, name="twin")
    arn = sfn.start_execution(stateMachineArn=machine, name="one")["executionArn"]
    token = token_of(sfn, arn)
    sfn.stop_execution(executionArn=arn)
    with pytest.raises(sfn.exceptions.TaskTimedOut):  # its execution was stopped
        sfn.send_task_success(taskToken=token, output="{}")
    forged = token[:-8] + ("A" if token[-8] != "A" else "B") + token[-7:]
    with pytest.raises((sfn.exceptions.InvalidToken, sfn.exceptions.TaskDoesNotExist)):
        sfn.send_task_failure(taskToken=forged)


def test_heartbeat_timeout(live):
    sfn = live.sfn
    body = json.loads(WAIT_FOR_TOKEN)
    body["States"]["Ask"]["HeartbeatSeconds"] = 1
    arn = sfn.start_execution(stateMachineArn=live.machine(json.dumps(body)))["executionArn"]
    done = wait_done(sfn, arn)
    assert (done["status"], done["error"]) == ("FAILED", "States.HeartbeatTimeout")


@pytest.mark.parametrize(
    ("resource", "parsed"),
    [
        ("arn:aws:states:::states:startExecution.sync:2", True),
        ("arn:aws:states:::states:startExecution.sync", False),
    ],
)
def test_nested_sync_execution(live, resource, parsed):
    sfn = live.sfn
    child = live.machine(
        definition(
            {
                "Add": {
                    "Type": "Pass",
                    "Parameters": {"sum.$": "States.MathAdd($.a, 1)"},
                    "End": True,
                }
            }
        ),
        name="child",
    )
    parent = live.machine(
        definition(
            {
                "Call": {
                    "Type": "Task",
                    "Resource": resource,
                    "Parameters": {"StateMachineArn": child, "Input": {"a.$": "$.a"}},
                    "End": True,
                }
            }
        ),
        name="parent",
    )
    arn = sfn.start_execution(stateMachineArn=parent, input='{"a": 41}')["executionArn"]
    done = wait_done(sfn, arn)
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    result = output["Output"] if parsed else json.loads(output["Output"])
    assert result == {"sum": 42}
    assert output["Status"] == "SUCCEEDED" and output["StateMachineArn"] == child
    children = sfn.list_executions(stateMachineArn=child)["executions"]
    assert [c["executionArn"] for c in children] == [output["ExecutionArn"]]
    assert wait_done(sfn, output["ExecutionArn"])["status"] == "SUCCEEDED"
    types = [e["type"] for e in history(sfn, arn)]
    assert "TaskSubmitted" in types and "TaskSucceeded" in types


def test_nested_request_response_and_failure(live):
    sfn = live.sfn
    child = live.machine(definition({"F": {"Type": "Fail", "Error": "ChildBroke"}}), name="kid")
    body = definition(
        {
            "Start": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution",
                "Parameters": {"StateMachineArn": child},
                "ResultSelector": {"arn.$": "$.ExecutionArn"},
                "Next": "Sync",
            },
            "Sync": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": child},
                "End": True,
            },
        }
    )
    arn = sfn.start_execution(stateMachineArn=live.machine(body, name="mom"))["executionArn"]
    done = wait_done(sfn, arn)
    assert (done["status"], done["error"]) == ("FAILED", "States.TaskFailed")
    assert json.loads(done["cause"])["Error"] == "ChildBroke"
    kids = sfn.list_executions(stateMachineArn=child)["executions"]
    assert len(kids) == 2


def test_pending_callback_survives_a_restart(serve_process, tmp_path):
    store = str(tmp_path / "store.sqlite3")
    first = serve_process("--store", store)
    sfn = client(first.url)
    machine = sfn.create_state_machine(
        name="approval", definition=WAIT_FOR_TOKEN, roleArn="arn:aws:iam::111111111111:role/r"
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input='{"order": 1}')["executionArn"]
    token = token_of(sfn, arn)
    first.kill()
    second = serve_process("--store", store)
    sfn = client(second.url)
    sfn.send_task_success(taskToken=token, output='{"approved": true}')
    done = wait_done(sfn, arn)
    assert done["status"] == "SUCCEEDED", second.text()
    assert json.loads(done["output"])["approval"] == {"approved": True}
    types = [e["type"] for e in history(sfn, arn)]
    assert types.count("TaskScheduled") == 1 and types.count("TaskSucceeded") == 1


def test_pending_activity_task_survives_a_restart(serve_process, tmp_path):
    store = str(tmp_path / "store.sqlite3")
    first = serve_process("--store", store)
    sfn = client(first.url)
    activity = sfn.create_activity(name="later")["activityArn"]
    body = definition({"Work": {"Type": "Task", "Resource": activity, "End": True}})
    machine = sfn.create_state_machine(
        name="act", definition=body, roleArn="arn:aws:iam::111111111111:role/r"
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input='{"n": 1}')["executionArn"]
    deadline = time.monotonic() + 10
    while "ActivityScheduled" not in [e["type"] for e in history(sfn, arn)]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    first.kill()
    second = serve_process("--store", store)
    sfn = client(second.url)
    task = sfn.get_activity_task(activityArn=activity, workerName="after-restart")
    assert json.loads(task["input"]) == {"n": 1}
    sfn.send_task_success(taskToken=task["taskToken"], output='{"done": true}')
    done = wait_done(sfn, arn)
    assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"done": True})
