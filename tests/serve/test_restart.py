"""Durability: a killed ``asl serve`` restarted on the same store resumes its Standard executions
and still knows its state machines."""

from __future__ import annotations

import json
import time

from tests.serve.conftest import HANDLERS, client, definition, history, wait_done

ALLOW = ("--allow-python", HANDLERS)  # the operator allows the tests' handlers


def test_restart_in_the_middle_of_a_standard_execution(serve_process, tmp_path):
    store = tmp_path / "store.sqlite3"
    log = tmp_path / "count.log"
    body = definition(
        {
            "Before": {
                "Type": "Task",
                "Resource": f"python:{HANDLERS}:count",
                "ResultPath": None,
                "Next": "Wait",
            },
            "Wait": {"Type": "Wait", "Seconds": 3, "Next": "After"},
            "After": {
                "Type": "Task",
                "Resource": f"python:{HANDLERS}:count",
                "ResultPath": None,
                "End": True,
            },
        }
    )
    first = serve_process("--store", str(store), *ALLOW)
    sfn = client(first.url)
    machine = sfn.create_state_machine(
        name="durable", definition=body, roleArn="arn:aws:iam::111111111111:role/r"
    )["stateMachineArn"]
    arn = sfn.start_execution(
        stateMachineArn=machine, name="survivor", input=json.dumps({"log": str(log)})
    )["executionArn"]
    deadline = time.monotonic() + 10
    while "WaitStateEntered" not in [e["type"] for e in history(sfn, arn)]:
        assert time.monotonic() < deadline, first.text()
        time.sleep(0.05)
    first.kill()  # a crash in the middle of the Wait

    second = serve_process("--store", str(store), *ALLOW)
    sfn = client(second.url)
    assert sfn.describe_state_machine(stateMachineArn=machine)["name"] == "durable"
    done = wait_done(sfn, arn, timeout=20)
    assert done["status"] == "SUCCEEDED", second.text()
    events = history(sfn, arn)
    types = [e["type"] for e in events]
    assert types.count("ExecutionStarted") == 1
    assert types.count("WaitStateEntered") == 1 and types.count("WaitStateExited") == 1
    assert types[-1] == "ExecutionSucceeded"
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    pids = log.read_text().split()
    assert len(pids) == 2 and pids[0] != pids[1]  # one task per server, none repeated
    assert "resumed 1 running execution" in second.text()
    assert [
        e["executionArn"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]
    ] == [arn]


def test_clean_shutdown_leaves_executions_to_resume(serve_process, tmp_path):
    store = tmp_path / "store.sqlite3"
    body = definition({"Wait": {"Type": "Wait", "Seconds": 2, "End": True}})
    first = serve_process("--store", str(store), *ALLOW)
    sfn = client(first.url)
    machine = sfn.create_state_machine(
        name="w", definition=body, roleArn="arn:aws:iam::111111111111:role/r"
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    time.sleep(0.3)
    assert first.stop() == 0  # SIGTERM: exits 0, the execution stays RUNNING
    assert "stopped" in first.text()
    second = serve_process("--store", str(store), *ALLOW)
    assert wait_done(client(second.url), arn)["status"] == "SUCCEEDED"
