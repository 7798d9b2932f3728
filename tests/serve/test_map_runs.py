"""DescribeMapRun, ListMapRuns and UpdateMapRun through boto3 against asl serve."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.serve.conftest import Live, client, history, wait_done


def distributed(name: str, processor_states: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "Type": "Map",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": next(iter(processor_states)),
            "States": processor_states,
        },
        "Label": name,
        **more,
    }


PASS = {"P": {"Type": "Pass", "End": True}}
TWO_RUNS = {
    "StartAt": "First",
    "States": {
        "First": {
            **distributed("First", {"P1": PASS["P"]}, MaxConcurrency=2, ToleratedFailureCount=1),
            "ResultPath": None,
            "Next": "Second",
        },
        "Second": {
            **distributed("Second", {"P2": PASS["P"]}, ToleratedFailurePercentage=10),
            "End": True,
        },
    },
}
WAITING = {
    "StartAt": "M",
    "States": {
        "M": {**distributed("M", {"W": {"Type": "Wait", "Seconds": 120, "End": True}}), "End": True}
    },
}
UNKNOWN = "arn:aws:states:us-east-1:111111111111:mapRun:fan/M:00000000-0000-0000-0000-000000000000"


def map_runs(live: Live, arn: str) -> list[str]:
    return [
        e["mapRunStartedEventDetails"]["mapRunArn"]
        for e in history(live.sfn, arn)
        if e["type"] == "MapRunStarted"
    ]


@pytest.fixture
def finished(live: Live) -> tuple[str, list[str]]:
    machine = live.machine(json.dumps(TWO_RUNS), name="fan")
    arn = live.sfn.start_execution(stateMachineArn=machine, input="[1, 2, 3]")["executionArn"]
    assert wait_done(live.sfn, arn)["status"] == "SUCCEEDED"
    return arn, map_runs(live, arn)


def test_describe_a_finished_map_run(live: Live, finished) -> None:
    arn, (first, second) = finished
    out = live.sfn.describe_map_run(mapRunArn=first)
    assert (out["mapRunArn"], out["executionArn"], out["status"]) == (first, arn, "SUCCEEDED")
    assert out["stopDate"] >= out["startDate"]
    assert (out["maxConcurrency"], out["toleratedFailureCount"]) == (2, 1)
    assert out["toleratedFailurePercentage"] == 0
    counts = {"pending": 0, "running": 0, "succeeded": 3, "failed": 0, "timedOut": 0}
    counts.update(aborted=0, total=3, resultsWritten=0)
    assert out["itemCounts"] == counts and out["executionCounts"] == counts
    assert out["redriveCount"] == 0
    assert live.sfn.describe_map_run(mapRunArn=second)["toleratedFailurePercentage"] == 10


def test_a_child_execution_names_its_map_run(live: Live, finished) -> None:
    _, (first, _) = finished
    child = live.sfn.list_executions(mapRunArn=first)["executions"][0]
    described = live.sfn.describe_execution(executionArn=child["executionArn"])
    assert described["mapRunArn"] == first and described["status"] == "SUCCEEDED"


def test_list_map_runs_with_pages(live: Live, finished) -> None:
    arn, runs = finished
    listed = live.sfn.list_map_runs(executionArn=arn)["mapRuns"]
    assert [r["mapRunArn"] for r in listed] == runs
    assert listed[0]["executionArn"] == arn
    assert listed[0]["stateMachineArn"].endswith(":stateMachine:fan/First")
    assert listed[1]["stateMachineArn"].endswith(":stateMachine:fan/Second")
    assert all(r["stopDate"] >= r["startDate"] for r in listed)
    page = live.sfn.list_map_runs(executionArn=arn, maxResults=1)
    assert [r["mapRunArn"] for r in page["mapRuns"]] == runs[:1]
    rest = live.sfn.list_map_runs(executionArn=arn, maxResults=1, nextToken=page["nextToken"])
    assert [r["mapRunArn"] for r in rest["mapRuns"]] == runs[1:] and "nextToken" not in rest


def test_update_map_run_is_stored_and_described(live: Live, finished) -> None:
    _, (first, _) = finished
    live.sfn.update_map_run(mapRunArn=first, maxConcurrency=7)
    live.sfn.update_map_run(mapRunArn=first, toleratedFailurePercentage=12.5)
    out = live.sfn.describe_map_run(mapRunArn=first)
    assert (out["maxConcurrency"], out["toleratedFailurePercentage"]) == (7, 12.5)
    assert out["toleratedFailureCount"] == 1  # as defined: not updated


@pytest.mark.parametrize(
    ("action", "params", "code"),
    [
        ("describe_map_run", {"mapRunArn": UNKNOWN}, "ResourceNotFound"),
        ("update_map_run", {"mapRunArn": UNKNOWN, "maxConcurrency": 1}, "ResourceNotFound"),
        ("describe_map_run", {"mapRunArn": "arn:aws:states:nope"}, "InvalidArn"),
        ("update_map_run", {"mapRunArn": "FIRST", "maxConcurrency": -1}, "ValidationException"),
        (
            "update_map_run",
            {"mapRunArn": "FIRST", "toleratedFailureCount": -2},
            "ValidationException",
        ),
        (
            "update_map_run",
            {"mapRunArn": "FIRST", "toleratedFailurePercentage": 100.5},
            "ValidationException",
        ),
        ("update_map_run", {"mapRunArn": "FIRST"}, "ValidationException"),
        (
            "list_map_runs",
            {"executionArn": "arn:aws:states:us-east-1:111111111111:execution:fan:none"},
            "ExecutionDoesNotExist",
        ),
    ],
)
def test_errors(live: Live, finished, action: str, params: dict, code: str) -> None:
    _, (first, _) = finished
    params = {k: first if v == "FIRST" else v for k, v in params.items()}
    raw = client(live.url, parameter_validation=False)  # let the server judge the values
    with pytest.raises(ClientError) as raised:
        getattr(raw, action)(**params)
    assert raised.value.response["Error"]["Code"] == code


def test_a_running_map_run_and_its_stop(live: Live) -> None:
    machine = live.machine(json.dumps(WAITING), name="slow")
    arn = live.sfn.start_execution(stateMachineArn=machine, input="[1, 2]")["executionArn"]
    deadline = time.monotonic() + 20
    while True:
        runs = map_runs(live, arn)
        if runs and live.sfn.describe_map_run(mapRunArn=runs[0])["executionCounts"]["running"]:
            break
        assert time.monotonic() < deadline, "the Map Run did not start"
        time.sleep(0.05)
    out = live.sfn.describe_map_run(mapRunArn=runs[0])
    assert out["status"] == "RUNNING" and "stopDate" not in out
    live.sfn.update_map_run(mapRunArn=runs[0], maxConcurrency=1)
    assert live.sfn.describe_map_run(mapRunArn=runs[0])["maxConcurrency"] == 1

    live.sfn.stop_execution(executionArn=arn)
    out = live.sfn.describe_map_run(mapRunArn=runs[0])
    assert out["status"] == "ABORTED" and out["stopDate"] >= out["startDate"]
    assert out["executionCounts"]["running"] == 0
    assert out["executionCounts"]["aborted"] == out["executionCounts"]["total"] > 0


# -- UpdateMapRun on a running Map Run: applied from the next child that ends -------------------


def activity_map(live: Live, name: str, **settings: Any) -> str:
    """A Distributed Map whose children each wait on activity ``name`` (the test works them)."""
    activity = live.sfn.create_activity(name=name)["activityArn"]
    work = {"Work": {"Type": "Task", "Resource": activity, "End": True}}
    body = {"StartAt": "M", "States": {"M": {**distributed("M", work, **settings), "End": True}}}
    return live.machine(json.dumps(body), name=f"{name}-fan")


def next_task(live: Live, name: str, tries: int = 10) -> str:
    """The next activity task's token (long polls until one comes)."""
    activity = f"arn:aws:states:us-east-1:111111111111:activity:{name}"
    for _ in range(tries):
        token = live.sfn.get_activity_task(activityArn=activity).get("taskToken")
        if token:
            return token
    raise AssertionError(f"no task of activity {name}")


def running_map_run(live: Live, arn: str) -> str:
    deadline = time.monotonic() + 20
    while not (runs := map_runs(live, arn)):
        assert time.monotonic() < deadline, "the Map Run did not start"
        time.sleep(0.05)
    return runs[0]


def test_a_larger_max_concurrency_starts_more_children_of_a_running_map_run(live: Live) -> None:
    machine = activity_map(live, "wide", MaxConcurrency=1)
    arn = live.sfn.start_execution(stateMachineArn=machine, input="[1, 2, 3, 4]")["executionArn"]
    first = next_task(live, "wide")
    run = running_map_run(live, arn)
    live.sfn.update_map_run(mapRunArn=run, maxConcurrency=3)
    live.sfn.send_task_success(taskToken=first, output="1")
    # The three children left now run at once: each holds an activity task, none answered.
    tokens = [next_task(live, "wide", tries=3) for _ in range(3)]
    assert len(set(tokens)) == 3
    for token in tokens:
        live.sfn.send_task_success(taskToken=token, output="2")
    assert wait_done(live.sfn, arn)["status"] == "SUCCEEDED"
    assert live.sfn.describe_map_run(mapRunArn=run)["maxConcurrency"] == 3


@pytest.mark.parametrize(("update", "status"), [(None, "FAILED"), (3, "SUCCEEDED")])
def test_a_new_tolerance_counts_for_a_running_map_run(
    live: Live, update: int | None, status: str
) -> None:
    machine = activity_map(live, "brittle", MaxConcurrency=1, ToleratedFailureCount=0)
    arn = live.sfn.start_execution(stateMachineArn=machine, input="[1, 2, 3]")["executionArn"]
    first = next_task(live, "brittle")
    if update is not None:
        live.sfn.update_map_run(mapRunArn=running_map_run(live, arn), toleratedFailureCount=update)
    live.sfn.send_task_failure(taskToken=first, error="Broken")
    if update is not None:  # tolerated: the other children run (and fail) too
        for _ in range(2):
            live.sfn.send_task_failure(taskToken=next_task(live, "brittle"), error="Broken")
    out = wait_done(live.sfn, arn)
    assert out["status"] == status
