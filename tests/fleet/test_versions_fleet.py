"""Versions and aliases on a fleet: two ``asl serve`` on one Redis store with a deciding worker.
An execution started through an alias on one serve runs the version the alias routes to on the
fleet, and the other serve describes it with that version and alias."""

from __future__ import annotations

import json
import time

from tests.fleet.decider_support import DeciderFleet, three_tasks
from tests.serve.conftest import client

ROLE = "arn:aws:iam::111111111111:role/test"
LATEST = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def test_an_alias_runs_its_version_on_the_fleet(decider_fleet: DeciderFleet) -> None:
    fleet = decider_fleet
    fleet.start_worker("w1")
    one, two = client(fleet.start_serve().url), client(fleet.start_serve().url)
    made = one.create_state_machine(
        name="pipeline", definition=json.dumps(three_tasks(0)), roleArn=ROLE, publish=True
    )
    machine, v1 = made["stateMachineArn"], made["stateMachineVersionArn"]
    v2 = two.update_state_machine(stateMachineArn=machine, definition=LATEST, publish=True)[
        "stateMachineVersionArn"
    ]
    assert v2 == f"{machine}:2"  # numbered after the other serve's version 1
    alias = two.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}]
    )["stateMachineAliasArn"]

    arn = one.start_execution(stateMachineArn=alias, input='{"n": 0}')["executionArn"]
    deadline = time.monotonic() + 30
    while two.describe_execution(executionArn=arn)["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not end"
        time.sleep(0.1)
    described = two.describe_execution(executionArn=arn)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["n"] == 3  # version 1's three Tasks ran, not a Pass
    assert (described["stateMachineVersionArn"], described["stateMachineAliasArn"]) == (v1, alias)
    listed = two.list_executions(stateMachineArn=alias)["executions"]
    assert [e["executionArn"] for e in listed] == [arn]
