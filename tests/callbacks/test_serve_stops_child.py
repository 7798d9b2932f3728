"""``asl serve`` runs a nested child on its loop; stopping the child (``aws-sdk:sfn:stopExecution``
from its parent) records it ABORTED and ends its run on the loop at once, whatever it waits for."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.callbacks.conftest import wait_until
from tests.serve.conftest import client

ROLE = "arn:aws:iam::111111111111:role/test"
GUARD = 30  # seconds: a bound against hanging, far beyond what stopping takes
LONG_WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Any]:
    """A server in this process on a fresh SQLite store; its Server object."""
    from runtime.serve import Server, Service
    from runtime.stores import SqliteStore

    store = SqliteStore(tmp_path / "executions.sqlite3")
    server = Server(Service(store, log=lambda message: None), port=0).start()
    yield server
    server.close()


def test_a_stopped_child_stops_running_on_the_servers_loop(served: Any) -> None:
    sfn = client(served.url)
    loop = served.service.loop
    kid = sfn.create_state_machine(name="kid", definition=json.dumps(LONG_WAIT), roleArn=ROLE)
    gate = sfn.create_activity(name="gate")["activityArn"]
    start = {
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution",
        "Parameters": {"StateMachineArn": kid["stateMachineArn"]},
        "Next": "Gate",
    }
    hold = {"Type": "Task", "Resource": gate, "ResultPath": None, "Next": "Stop"}
    stop = {
        "Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:sfn:stopExecution",
        "Parameters": {"ExecutionArn.$": "$.ExecutionArn"},
        "ResultPath": None,
        "End": True,
    }
    parent = {"StartAt": "Start", "States": {"Start": start, "Gate": hold, "Stop": stop}}
    machine = sfn.create_state_machine(name="mom", definition=json.dumps(parent), roleArn=ROLE)
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"]
    task = wait_until(lambda: sfn.get_activity_task(activityArn=gate).get("taskToken"), GUARD)
    child_arn = sfn.list_executions(stateMachineArn=kid["stateMachineArn"])["executions"][0][
        "executionArn"
    ]
    # The child runs on the server's loop, in its Wait of ten minutes.
    wait_until(lambda: loop.is_running(child_arn), GUARD, "the child to run on the loop")
    waiting = sfn.get_execution_history(executionArn=child_arn)["events"][-1]["type"]
    assert waiting == "WaitStateEntered"
    sfn.send_task_success(taskToken=task, output="{}")

    def ended() -> dict[str, Any] | None:
        out = sfn.describe_execution(executionArn=arn)
        return out if out["status"] != "RUNNING" else None

    done = wait_until(ended, GUARD, "the parent to end")
    assert done["status"] == "SUCCEEDED", done
    assert sfn.describe_execution(executionArn=child_arn)["status"] == "ABORTED"
    wait_until(lambda: not loop.is_running(child_arn), GUARD, "the child's run to end")
    assert sfn.get_execution_history(executionArn=child_arn)["events"][-1]["type"] == (
        "ExecutionAborted"
    )
