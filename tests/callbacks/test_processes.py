"""Real processes on an SQLite store on disk: a worker process polling, callbacks answered from
another process, and executions killed while they wait, then resumed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.callbacks.procs import Asl, finish, kill

APPROVAL = "state_machines/approval"
WORKER = "state_machines/activity_worker"
WAITER_ARN = "arn:aws:states:us-east-1:111111111111:stateMachine:waiter"


@pytest.fixture
def asl(tmp_path: Path) -> Asl:
    return Asl(tmp_path / "store" / "executions.sqlite3", APPROVAL_OUTBOX=str(tmp_path / "outbox"))


def types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


def start_approval(asl: Asl, name: str):
    return asl.start(
        "run",
        f"{APPROVAL}/definition.asl.json",
        "--input-file",
        f"{APPROVAL}/order.json",
        "--name",
        name,
    )


def test_an_activity_worker_process_serves_the_decider(asl: Asl) -> None:
    decider = asl.start(
        "run",
        f"{WORKER}/definition.asl.json",
        "--input-file",
        f"{WORKER}/order.json",
        "--name",
        "job-1",
    )
    worker = asl.python(
        f"{WORKER}/worker.py", "--name", "worker-a", "--max-tasks", "2", "--wait", "1"
    )
    code, out, err = finish(decider)
    assert code == 0, err
    assert json.loads(out) == json.loads((Path(WORKER) / "expected_output.json").read_text())
    code, _, err = finish(worker)
    assert code == 0, err
    assert "2 task(s) done" in err
    events = asl.history("job-1")
    started = [e["activityStartedEventDetails"] for e in events if e["type"] == "ActivityStarted"]
    assert started == [{"workerName": "worker-a"}, {"workerName": "worker-a"}]


def test_killed_while_waiting_resumed_then_answered_from_another_process(
    asl: Asl, tmp_path: Path
) -> None:
    first = start_approval(asl, "order-42")
    task = asl.wait_for_task("RequestApproval")
    outbox = json.loads((tmp_path / "outbox" / "o-4711.json").read_text())
    assert outbox["taskToken"] == task["token"]
    time.sleep(0.3)  # let TaskSubmitted reach the store
    kill(first)
    assert [t["token"] for t in asl.tasks()] == [task["token"]]  # still pending, in the store

    resumed = asl.start("resume", "order-42")
    time.sleep(1.0)
    answered = asl.run(
        "task", "success", task["token"], "--output", '{"approved": true, "approver": "bob"}'
    )
    assert answered.returncode == 0, answered.stderr
    code, out, err = finish(resumed)
    assert code == 0, err
    assert json.loads(out) == {
        "orderId": "o-4711",
        "status": "SHIPPED",
        "total": 590.0,
        "approvedBy": "bob",
    }
    assert "approval requested" not in err  # the integration was not run again
    events = asl.history("order-42")
    assert types(events).count("TaskSubmitted") == 1
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert types(events)[-1] == "ExecutionSucceeded"
    again = asl.run("task", "success", task["token"], "--output", "{}")
    assert again.returncode == 1
    assert "TaskTimedOut" in again.stderr


def test_answered_while_no_process_waits(asl: Asl) -> None:
    first = start_approval(asl, "order-43")
    task = asl.wait_for_task("RequestApproval")
    time.sleep(0.3)
    kill(first)
    rejected = asl.run(
        "task", "failure", task["token"], "--error", "Approval.Rejected", "--cause", "over budget"
    )
    assert rejected.returncode == 0, rejected.stderr
    code, _, _ = finish(asl.start("resume", "order-43"), timeout=30)
    assert code == 1
    described = json.loads(asl.run("describe", "order-43").stdout)
    assert (described["status"], described["error"]) == ("FAILED", "OrderRejected")
    failed = next(e for e in asl.history("order-43") if e["type"] == "TaskFailed")
    assert failed["taskFailedEventDetails"]["error"] == "Approval.Rejected"


def test_timeout_seconds_run_on_across_a_restart(asl: Asl, tmp_path: Path) -> None:
    definition = tmp_path / "wait.asl.json"
    definition.write_text(
        json.dumps(
            {
                "StartAt": "Wait",
                "States": {
                    "Wait": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                        "Parameters": {"QueueUrl": "q", "MessageBody": {"t.$": "$$.Task.Token"}},
                        "TimeoutSeconds": 2,
                        "End": True,
                    }
                },
            }
        )
    )
    first = asl.start("run", str(definition), "--name", "slow")
    task = asl.wait_for_task("Wait")
    kill(first)
    time.sleep(2.2)
    started = time.monotonic()
    code, _, err = finish(asl.start("resume", "slow"), timeout=30)
    assert code == 1, err
    assert time.monotonic() - started < 10
    assert types(asl.history("slow"))[-2:] == ["TaskTimedOut", "ExecutionFailed"]
    late = asl.run("task", "success", task["token"])
    assert late.returncode == 1 and "TaskTimedOut" in late.stderr


def test_a_worker_takes_an_activity_task_while_the_decider_is_down(asl: Asl) -> None:
    decider = asl.start(
        "run",
        f"{WORKER}/definition.asl.json",
        "--input-file",
        f"{WORKER}/order.json",
        "--name",
        "job-2",
    )
    asl.wait_for_task("CheckStock")
    kill(decider)
    worker = asl.python(
        f"{WORKER}/worker.py", "--name", "night-shift", "--max-tasks", "1", "--wait", "1"
    )
    assert finish(worker)[0] == 0
    assert asl.tasks() == []  # answered; nothing waits for it yet
    resumed = asl.start("resume", "job-2")
    worker = asl.python(
        f"{WORKER}/worker.py", "--name", "day-shift", "--max-tasks", "1", "--wait", "1"
    )
    code, out, err = finish(resumed)
    assert code == 0, err
    assert json.loads(out)["status"] == "PACKED"
    assert finish(worker)[0] == 0
    started = [
        e["activityStartedEventDetails"]["workerName"]
        for e in asl.history("job-2")
        if e["type"] == "ActivityStarted"
    ]
    assert started == ["night-shift", "day-shift"]


def test_a_nested_sync_child_survives_the_parents_process(asl: Asl, tmp_path: Path) -> None:
    folder = tmp_path / "machines"
    (folder / "waiter").mkdir(parents=True)
    (folder / "waiter" / "definition.asl.json").write_text(
        json.dumps(
            {
                "StartAt": "Wait",
                "States": {
                    "Wait": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                        "Parameters": {"QueueUrl": "q", "MessageBody": {"t.$": "$$.Task.Token"}},
                        "End": True,
                    }
                },
            }
        )
    )
    (folder / "main").mkdir()
    main = folder / "main" / "definition.asl.json"
    main.write_text(
        json.dumps(
            {
                "StartAt": "Child",
                "States": {
                    "Child": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::states:startExecution.sync:2",
                        "Parameters": {
                            "StateMachineArn": WAITER_ARN,
                            "Input": {"x": 1},
                        },
                        "OutputPath": "$.Output",
                        "End": True,
                    }
                },
            }
        )
    )
    parent = asl.start("run", str(main), "--name", "parent-1")
    task = asl.wait_for_task("Wait")
    time.sleep(0.3)
    kill(parent)  # the child ran on a thread of that process: both stop
    resumed = asl.start("resume", "parent-1")
    time.sleep(1.5)  # the parent resumes the child, which waits for the same token again
    assert [t["token"] for t in asl.tasks()] == [task["token"]]
    answered = asl.run("task", "success", task["token"], "--output", '{"from": "outside"}')
    assert answered.returncode == 0, answered.stderr
    code, out, err = finish(resumed)
    assert code == 0, err
    assert json.loads(out) == {"from": "outside"}
