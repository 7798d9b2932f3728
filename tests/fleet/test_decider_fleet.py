"""The fleet runs the workflows: decisions on real ``asl worker`` processes over a real Redis.

No process holds an execution: executions are started through ``asl serve`` (with a Redis store
it only submits and observes) and ``asl run --detach``; workers are SIGKILLed and restarted, the
serve instance too, and every execution still completes with each task's completion recorded
once.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fleet.decider_support import (
    DeciderFleet,
    event_counts,
    kill,
    three_tasks,
    wait_all_ended,
)
from tests.serve.conftest import client

MACHINE_ARN = "arn:aws:states:us-east-1:111111111111:stateMachine:{}"
ROLE = "arn:aws:iam::111111111111:role/test"


@pytest.fixture
def decider_fleet(redis_url: str, tmp_path: Path) -> Iterator[DeciderFleet]:
    fleet = DeciderFleet(redis_url, f"asl-decider-{uuid.uuid4().hex[:10]}:", tmp_path)
    try:
        yield fleet
    finally:
        fleet.close()


def _create(serve_url: str, name: str, definition: dict) -> str:
    sfn = client(serve_url)
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"
    ]


def test_200_executions_survive_killed_worker_and_serve(
    decider_fleet: DeciderFleet, tmp_path: Path
) -> None:
    fleet = decider_fleet
    fleet.start_worker("w1")
    fleet.start_worker("w2")
    serve = fleet.start_serve()
    definition = three_tasks(wait_seconds=1, sleep=0.01)
    machine = _create(serve.url, "three", definition)
    file = tmp_path / "three.asl.json"
    file.write_text(json.dumps(definition))

    arns: list[str] = []
    detached = []
    sfn = client(serve.url)
    for i in range(150):
        if i == 40:  # a worker lost mid-run, then back
            kill(fleet.workers["w1"])
            fleet.start_worker("w1")
        if i == 80:  # the serve instance lost mid-run; another takes its place
            serve.kill()
            serve = fleet.start_serve()
            sfn = client(serve.url)
        started = sfn.start_execution(stateMachineArn=machine, name=f"s{i}", input='{"n": 0}')
        arns.append(started["executionArn"])
        if i % 3 == 0 and len(detached) < 50:
            name = f"d{len(detached)}"
            detached.append((name, fleet.detach(file, name, {"n": 0})))
    kill(fleet.workers["w2"])  # and another worker, while the Waits run
    fleet.start_worker("w2")
    for _name, process in detached:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err.decode()
        arns.append(json.loads(out)["executionArn"])
    assert len(arns) == 200

    store = fleet.store()
    statuses = wait_all_ended(store, arns, timeout=180)
    stuck = {
        arn: (status, [e.type for e in store.events(arn)][-3:])
        for arn, status in statuses.items()
        if status != "SUCCEEDED"
    }
    assert not stuck, (stuck, [w.text()[-3000:] for w in fleet.workers.values()])
    for arn in arns:
        record = store.get(arn)
        assert json.loads(record.output)["n"] == 3, arn
        counts = event_counts(store, arn)
        assert counts["TaskScheduled"] == counts["TaskSucceeded"] == 3, (arn, counts)
        assert counts["TaskFailed"] == counts["TaskTimedOut"] == 0, (arn, counts)
        ids = [e.id for e in store.events(arn)]
        assert ids == list(range(1, len(ids) + 1)), arn


def test_two_serve_instances_answer_for_each_other(decider_fleet: DeciderFleet) -> None:
    fleet = decider_fleet
    fleet.start_worker("w1")
    one, two = fleet.start_serve(), fleet.start_serve()
    machine = _create(one.url, "shared", three_tasks(wait_seconds=0))
    started = client(one.url).start_execution(stateMachineArn=machine, name="x", input='{"n": 0}')
    arn = started["executionArn"]
    other = client(two.url)
    assert other.describe_state_machine(stateMachineArn=machine)["name"] == "shared"
    deadline = time.monotonic() + 30
    while other.describe_execution(executionArn=arn)["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not end"
        time.sleep(0.1)
    described = other.describe_execution(executionArn=arn)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["n"] == 3
    listed = other.list_executions(stateMachineArn=machine)["executions"]
    assert [e["executionArn"] for e in listed] == [arn]
    history = other.get_execution_history(executionArn=arn)["events"]
    assert [e["type"] for e in history].count("TaskSucceeded") == 3


def test_a_wait_outlasts_every_process_restarting(decider_fleet: DeciderFleet) -> None:
    fleet = decider_fleet
    fleet.start_worker("w1")
    serve = fleet.start_serve()
    machine = _create(serve.url, "long-wait", three_tasks(wait_seconds=6))
    arn = client(serve.url).start_execution(stateMachineArn=machine, name="w", input='{"n": 0}')[
        "executionArn"
    ]
    store = fleet.store()
    deadline = time.monotonic() + 30
    while event_counts(store, arn)["WaitStateEntered"] == 0:
        assert time.monotonic() < deadline, "the execution did not reach its Wait"
        time.sleep(0.05)
    kill(fleet.workers["w1"])  # every process gone: the Wait lives in the store alone
    serve.kill()
    time.sleep(7)  # past the Wait's end, with nothing running
    assert store.get(arn).status == "RUNNING"
    fleet.start_worker("w1")
    fleet.start_serve()
    statuses = wait_all_ended(store, [arn], timeout=60)
    assert statuses[arn] == "SUCCEEDED"
    counts = event_counts(store, arn)
    assert counts["WaitStateExited"] == 1 and counts["TaskSucceeded"] == 3, counts


def test_a_duplicate_delivery_of_a_finished_attempt_asks_for_the_decision(
    decider_fleet: DeciderFleet,
) -> None:
    """A worker killed between storing an attempt's outcome and asking for the decision: the
    attempt's message comes again, finds the outcome stored, and must ask for it then."""
    import base64

    from runtime.fleet.app import make_app
    from runtime.fleet.decisions import DECIDE_HEADER, DECISION_QUEUE
    from runtime.fleet.wire import PREFIX_HEADER, REPLY_HEADER, Keys

    fleet = decider_fleet
    keys = Keys(fleet.prefix)
    client = redis_client(fleet.broker)
    attempt = f"attempt-{uuid.uuid4()}"
    client.set(keys.result(attempt), json.dumps({"id": attempt, "t": "done", "body": "{}"}))
    worker = fleet.start_worker_plain("w1")  # no --store: it takes no decision itself
    app = make_app(fleet.broker, prefix=fleet.prefix)
    headers = {REPLY_HEADER: keys.channel("t"), PREFIX_HEADER: fleet.prefix, DECIDE_HEADER: "arn-x"}
    app.send_task("tests.fleet.fleet_tasks.step", args=[{"n": 0}], task_id=attempt, headers=headers)
    queue = f"{fleet.prefix}{DECISION_QUEUE}"
    deadline = time.monotonic() + 20
    while not client.llen(queue):
        assert time.monotonic() < deadline, worker.text()
        time.sleep(0.05)
    message = json.loads(client.lindex(queue, 0))
    body = json.loads(base64.b64decode(message["body"]))
    assert body[0] == ["arn-x"]


def redis_client(url: str):
    import redis

    return redis.Redis.from_url(url)


def test_stop_execution_ends_a_fleet_execution(decider_fleet: DeciderFleet) -> None:
    fleet = decider_fleet
    fleet.start_worker("w1")
    serve = fleet.start_serve()
    machine = _create(serve.url, "stopped", three_tasks(wait_seconds=60))
    sfn = client(serve.url)
    arn = sfn.start_execution(stateMachineArn=machine, name="s", input='{"n": 0}')["executionArn"]
    store = fleet.store()
    deadline = time.monotonic() + 30
    while event_counts(store, arn)["WaitStateEntered"] == 0:
        assert time.monotonic() < deadline, "the execution did not reach its Wait"
        time.sleep(0.05)
    sfn.stop_execution(executionArn=arn, error="Operator", cause="no longer needed")
    described = sfn.describe_execution(executionArn=arn)
    assert (described["status"], described["error"]) == ("ABORTED", "Operator")
    assert [e.type for e in store.events(arn)][-1] == "ExecutionAborted"


def test_the_starter_makes_the_first_decision(decider_fleet: DeciderFleet, tmp_path: Path) -> None:
    """asl run --detach records the states up to the first task and sends its attempt itself
    (eager start): no worker runs yet, and no decision task waits for one."""
    from runtime.fleet.decisions import DECISION_QUEUE

    fleet = decider_fleet
    file = tmp_path / "three.asl.json"
    file.write_text(json.dumps(three_tasks(wait_seconds=0)))
    out, err = fleet.detach(file, "eager", {"n": 0}).communicate(timeout=60)
    arn = json.loads(out)["executionArn"]
    store = fleet.store()
    types = [e.type for e in store.events(arn)]
    assert types == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted"], err
    client = redis_client(fleet.broker)
    assert client.llen(f"{fleet.prefix}{DECISION_QUEUE}") == 0
    assert client.llen(f"{fleet.prefix}celery") == 1  # the first attempt, for any worker
    fleet.start_worker("w1")
    assert wait_all_ended(store, [arn], timeout=60)[arn] == "SUCCEEDED"


def test_a_task_no_worker_can_run_fails_instead_of_hanging(
    decider_fleet: DeciderFleet, tmp_path: Path
) -> None:
    fleet = decider_fleet
    fleet.start_worker("w1")
    file = tmp_path / "missing.asl.json"
    task = {"Type": "Task", "Resource": "python:tests.fleet.no_such_module:fn", "End": True}
    file.write_text(json.dumps({"StartAt": "T", "States": {"T": task}}))
    out, err = fleet.detach(file, "missing", {}).communicate(timeout=60)
    arn = json.loads(out)["executionArn"]
    store = fleet.store()
    assert wait_all_ended(store, [arn], timeout=60)[arn] == "FAILED", err
    record = store.get(arn)
    assert record.error == "States.Runtime", record
    assert "no_such_module" in (record.cause or "")


def test_serve_in_process_runs_executions_itself(decider_fleet: DeciderFleet) -> None:
    """``asl serve --in-process`` on a Redis store: no worker, and the execution still ends."""
    serve = decider_fleet.start_serve("--in-process")
    sfn = client(serve.url)
    # A Wait tells who drives it: on the fleet only a worker's sweeper would end it.
    waiting = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}}
    machine = _create(serve.url, "wait", waiting)
    arn = sfn.start_execution(stateMachineArn=machine, name="p", input="{}")["executionArn"]
    store = decider_fleet.store()
    assert wait_all_ended(store, [arn], timeout=30)[arn] == "SUCCEEDED"


def test_worker_refuses_a_store_the_fleet_cannot_share(capsys: pytest.CaptureFixture[str]) -> None:
    from runtime.cli import main

    assert main(["worker", "--store", "local.sqlite3"]) == 2
    assert "the fleet's store must be Redis" in capsys.readouterr().err
