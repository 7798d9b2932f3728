"""ListExecutions by mapRunArn: a Distributed Map's child executions, hidden from the listing by
state machine as on AWS, listed for their Map Run."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.serve.conftest import Live, history, wait_done

DISTRIBUTED = {
    "StartAt": "M",
    "States": {
        "M": {
            "Type": "Map",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P",
                "States": {"P": {"Type": "Pass", "End": True}},
            },
            "End": True,
        }
    },
}


def test_list_executions_of_a_map_run(live: Live) -> None:
    machine = live.machine(json.dumps(DISTRIBUTED), name="fan")
    arn = live.sfn.start_execution(stateMachineArn=machine, input="[1, 2, 3]")["executionArn"]
    assert wait_done(live.sfn, arn)["status"] == "SUCCEEDED"
    (started,) = [e for e in history(live.sfn, arn) if e["type"] == "MapRunStarted"]
    map_run = started["mapRunStartedEventDetails"]["mapRunArn"]

    children = live.sfn.list_executions(mapRunArn=map_run)["executions"]
    assert len(children) == 3
    assert {c["status"] for c in children} == {"SUCCEEDED"}
    assert {c["mapRunArn"] for c in children} == {map_run}
    assert all(c["executionArn"] != arn for c in children)
    page = live.sfn.list_executions(mapRunArn=map_run, maxResults=2)
    assert len(page["executions"]) == 2 and page["nextToken"]
    assert live.sfn.list_executions(mapRunArn=map_run, statusFilter="FAILED")["executions"] == []
    by_machine = live.sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [e["executionArn"] for e in by_machine] == [arn]  # children stay hidden there


def test_an_unknown_map_run_is_not_found(live: Live) -> None:
    unknown = "arn:aws:states:us-east-1:111111111111:mapRun:fan/M:0000"
    with pytest.raises(ClientError) as raised:
        live.sfn.list_executions(mapRunArn=unknown)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFound"
