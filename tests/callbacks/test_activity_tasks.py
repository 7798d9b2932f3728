"""Activity tasks in executions: scheduling, workers, heartbeats, timeouts, history events."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest

import runtime
from runtime.callbacks import TaskTimedOut, current_hub

ACTIVITY = "arn:aws:states:us-east-1:111111111111:activity:"


def machine(name: str, **task: Any) -> dict[str, Any]:
    state = {"Type": "Task", "Resource": ACTIVITY + name, "End": True, **task}
    return {"StartAt": "Work", "States": {"Work": state}}


def events(result: runtime.ExecutionResult, prefix: str = "Activity") -> list[tuple[str, Any]]:
    out = []
    for event in result.history:
        if event["type"].startswith(prefix):
            detail = next((v for k, v in event.items() if k.endswith("EventDetails")), None)
            out.append((event["type"], detail))
    return out


def worker(name: str, handle: Any, worker_name: str = "w1", tasks: int = 1) -> threading.Thread:
    """A worker thread answering ``tasks`` tasks of activity ``name`` with ``handle``."""
    hub = current_hub()
    arn = hub.create_activity(name)

    def work() -> None:
        for _ in range(tasks):
            got = asyncio.run(hub.get_activity_task(arn, worker_name, 10))
            assert got is not None
            handle(hub, *got)

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_a_worker_takes_and_answers_the_task() -> None:
    def handle(hub: Any, token: str, input_json: str) -> None:
        hub.send_task_heartbeat(token)
        hub.send_task_success(token, json.dumps({"got": json.loads(input_json)}))

    thread = worker("echo", handle, "worker-7")
    definition = machine("echo", Parameters={"n.$": "$.n"}, TimeoutSeconds=30, HeartbeatSeconds=10)
    result = runtime.execute(definition, {"n": 3})
    thread.join(5)
    assert (result.status, result.output) == ("SUCCEEDED", {"got": {"n": 3}})
    assert events(result) == [
        (
            "ActivityScheduled",
            {
                "resource": ACTIVITY + "echo",
                "input": '{"n":3}',
                "inputDetails": {"truncated": False},
                "timeoutInSeconds": 30,
                "heartbeatInSeconds": 10,
            },
        ),
        ("ActivityStarted", {"workerName": "worker-7"}),
        ("ActivitySucceeded", {"output": '{"got":{"n":3}}', "outputDetails": {"truncated": False}}),
    ]
    assert not [t for t, _ in events(result, "Task") if not t.startswith("TaskState")]


def test_the_token_in_the_context_is_the_one_the_worker_gets() -> None:
    def handle(hub: Any, token: str, input_json: str) -> None:
        hub.send_task_success(token, json.dumps(json.loads(input_json)["token"] == token))

    thread = worker("same-token", handle)
    result = runtime.execute(machine("same-token", Parameters={"token.$": "$$.Task.Token"}), {})
    thread.join(5)
    assert result.output is True


def test_a_worker_failure_is_the_task_error() -> None:
    thread = worker("fails", lambda hub, token, _: hub.send_task_failure(token, "Boom", "why"))
    definition = machine("fails", Catch=[{"ErrorEquals": ["Boom"], "Next": "Caught"}])
    del definition["States"]["Work"]["End"]
    definition["States"]["Work"]["Next"] = "Caught"
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    result = runtime.execute(definition, {})
    thread.join(5)
    assert result.output == {"Error": "Boom", "Cause": "why"}
    assert events(result)[-1] == ("ActivityFailed", {"error": "Boom", "cause": "why"})


def test_no_worker_within_timeout_seconds() -> None:
    started = time.monotonic()
    result = runtime.execute(machine("nobody-home", TimeoutSeconds=1), {})
    assert time.monotonic() - started < 5
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    assert [t for t, _ in events(result)] == ["ActivityScheduled", "ActivityTimedOut"]
    hub = current_hub()
    assert hub.poll_activity_task(ACTIVITY + "nobody-home") is None  # never handed out late


def test_a_silent_worker_misses_its_heartbeat_and_the_retry_goes_to_another() -> None:
    hub = current_hub()
    arn = hub.create_activity("flaky")
    late: dict[str, Any] = {}

    def silent_then_good() -> None:
        first = asyncio.run(hub.get_activity_task(arn, "silent", 10))
        assert first is not None
        second = asyncio.run(hub.get_activity_task(arn, "good", 10))
        assert second is not None
        hub.send_task_success(second[0], '"done"')
        try:
            hub.send_task_success(first[0], '"too late"')
        except TaskTimedOut as exc:
            late["error"] = exc.code

    thread = threading.Thread(target=silent_then_good)
    thread.start()
    definition = machine(
        "flaky",
        HeartbeatSeconds=1,
        Retry=[
            {"ErrorEquals": ["States.HeartbeatTimeout"], "MaxAttempts": 1, "IntervalSeconds": 1}
        ],
    )
    result = runtime.execute(definition, {})
    thread.join(10)
    assert (result.status, result.output) == ("SUCCEEDED", "done")
    assert late == {"error": "TaskTimedOut"}
    assert [(t, d.get("workerName") or d.get("error")) for t, d in events(result)[:3]] == [
        ("ActivityScheduled", None),
        ("ActivityStarted", "silent"),
        ("ActivityTimedOut", "States.HeartbeatTimeout"),
    ]
    assert events(result)[4] == ("ActivityStarted", {"workerName": "good"})


def test_an_activity_is_registered_when_first_scheduled() -> None:
    hub = current_hub()
    result = runtime.execute(machine("auto-registered", TimeoutSeconds=1), {})
    assert result.error == "States.Timeout"
    assert hub.describe_activity(ACTIVITY + "auto-registered")["name"] == "auto-registered"


@pytest.mark.parametrize("bad", ["arn:aws:states:us-east-1:111111111111:activity:a:b"])
def test_a_malformed_activity_arn_fails_the_task(bad: str) -> None:
    result = runtime.execute(
        {"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": bad, "End": True}}}, {}
    )
    assert result.status == "FAILED"
