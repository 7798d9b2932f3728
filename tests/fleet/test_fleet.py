"""Task states on real ``asl worker`` processes over a real Redis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.fleet.conftest import ROOT, Fleet

T = "celery:tests.fleet.fleet_tasks."


def task(resource: str, **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": resource, "End": True, **fields}},
    }


def map_of(resource: str, concurrency: int, **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": concurrency,
                "ItemProcessor": {
                    "StartAt": "T",
                    "States": {"T": {"Type": "Task", "Resource": resource, "End": True, **fields}},
                },
                "End": True,
            }
        },
    }


def per_frame(result: Any, event_type: str) -> Counter[str]:
    return Counter(e.frame for e in result.events if e.type == event_type)


def test_map_of_200_spreads_over_both_workers(fleet: Fleet) -> None:
    items = list(range(200))
    result = fleet.run(map_of(T + "echo", 20), {"items": items})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert [r["value"] for r in result.output] == items
    assert {r["worker"].split("@")[0] for r in result.output} == {"w1", "w2"}
    succeeded = per_frame(result, "TaskSucceeded")
    assert len(succeeded) == 200 and set(succeeded.values()) == {1}


def test_queue_per_state(fleet: Fleet) -> None:
    for queue, worker in (("q1", "w1"), ("q2", "w2")):
        result = fleet.run(task(f"{T}echo@{queue}"), {"n": 1})
        assert result.status == "SUCCEEDED"
        assert result.output["worker"].startswith(worker + "@")


def test_errors_are_shaped_as_lambda_reports_them(fleet: Fleet) -> None:
    catch = {"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]}
    definition = task(T + "fail", **catch)
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    result = fleet.run(definition, {"order": 7})
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "OrderRejected"
    cause = json.loads(result.output["Cause"])
    assert cause["errorMessage"] == "order 7 rejected"
    assert cause["errorType"] == "OrderRejected"
    assert len(cause["stackTrace"]) == 1 and "fleet_tasks.py" in cause["stackTrace"][0]

    result = fleet.run(task("celery:fleet.custom_error"))
    assert (result.status, result.error, result.cause) == (
        "FAILED",
        "Custom.Error",
        "chose my own cause",
    )


def test_existing_celery_tasks_and_lambda_bindings(fleet: Fleet) -> None:
    assert fleet.run(task("celery:fleet_tasks.legacy_add"), {"a": 2, "b": 3}).output == 5
    assert fleet.run(task("celery:fleet_tasks.adopted"), "x").output == "adopted x"
    # A definition written for AWS runs on the fleet unchanged.
    from runtime import execute
    from runtime.tasks import build_dispatch
    from runtime.tasks.celery import CeleryDispatch

    arn = "arn:aws:lambda:us-east-1:123456789012:function:Echo"
    dispatcher = build_dispatch(bindings={arn: T + "echo"})
    dispatcher.fleet = CeleryDispatch(fleet.url, prefix=fleet.prefix)
    legacy = execute(task(arn), {"k": 1}, dispatch=dispatcher)
    assert legacy.status == "SUCCEEDED" and legacy.output["value"] == {"k": 1}
    invoke = execute(
        task(
            "arn:aws:states:::lambda:invoke",
            Parameters={"FunctionName": arn, "Payload": {"k": 2}},
        ),
        dispatch=dispatcher,
    )
    assert invoke.status == "SUCCEEDED", (invoke.error, invoke.cause)
    assert invoke.output["StatusCode"] == 200 and invoke.output["Payload"]["value"] == {"k": 2}


def test_asl_run_uses_the_fleet_from_the_environment(fleet: Fleet, tmp_path: Path) -> None:
    path = tmp_path / "echo.asl.json"
    path.write_text(json.dumps(task(T + "echo")))
    env = {**os.environ, "ASL_BROKER_URL": fleet.url, "ASL_FLEET_PREFIX": fleet.prefix}
    done = subprocess.run(
        [sys.executable, "-m", "runtime", "run", str(path), "--express", "--input", '"hi"'],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["value"] == "hi"


def test_worker_killed_mid_task_execution_still_succeeds(fleet: Fleet, tmp_path: Path) -> None:
    """SIGKILL a whole worker (w3, sharing q1 with w1) while it runs tasks: the attempts it held
    time out and Retry runs them on w1. Each item's task succeeds exactly once."""
    doomed = fleet.start("w3", "q1", concurrency=3)
    fleet.wait_ready("w3")
    retry = [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 3}]
    items = [{"i": i, "dir": str(tmp_path), "sleep": 1.0, "tag": "kill"} for i in range(6)]
    definition = map_of(T + "work@q1", 6, TimeoutSeconds=3, Retry=retry)

    import threading

    def kill_when_w3_works() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if any("-w3@" in p.name for p in tmp_path.glob("kill-*.started")):
                doomed.stop(signal.SIGKILL)
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_when_w3_works)
    killer.start()
    result = fleet.run(definition, {"items": items})
    killer.join()
    assert doomed.process.poll() is not None, "w3 never started a task"
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert [r["i"] for r in result.output] == list(range(6))
    assert all(r["worker"].startswith("w1@") for r in result.output if r)
    assert len(per_frame(result, "TaskTimedOut")) >= 1  # w3's attempts, retried
    succeeded = per_frame(result, "TaskSucceeded")
    assert len(succeeded) == 6 and set(succeeded.values()) == {1}


def test_pool_process_killed_mid_task_is_redelivered(fleet: Fleet, tmp_path: Path) -> None:
    """SIGKILL the pool process running a task: the message is requeued (acks_late,
    reject_on_worker_lost) and run again under the same task id; one attempt, one result."""
    item = {"i": 0, "dir": str(tmp_path), "sleep": 0.5, "tag": "child"}

    import threading

    def kill_first_runner() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            started = list(tmp_path.glob("child-*.started"))
            if started:
                os.kill(int(started[0].read_text()), signal.SIGKILL)
                return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_first_runner)
    killer.start()
    result = fleet.run(task(T + "work@q2", TimeoutSeconds=20), item)
    killer.join()
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert len(list(tmp_path.glob("child-*.started"))) == 2  # killed once, run again
    types = Counter(e.type for e in result.events)
    assert types["TaskScheduled"] == 1 and types["TaskSucceeded"] == 1


def test_never_answering_task_times_out(fleet: Fleet) -> None:
    started = time.monotonic()
    result = fleet.run(task(T + "stall", TimeoutSeconds=1), {"sleep": 2})
    elapsed = time.monotonic() - started
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    assert 1.0 <= elapsed < 1.9
    assert [e.type for e in result.events].count("TaskTimedOut") == 1


def test_stopped_heartbeat_fails_the_attempt_and_retry_handles_it(
    fleet: Fleet, tmp_path: Path
) -> None:
    retry = [{"ErrorEquals": ["States.HeartbeatTimeout"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    result = fleet.run(
        task(T + "beat_then_stall", HeartbeatSeconds=1, TimeoutSeconds=30, Retry=retry),
        {"dir": str(tmp_path), "sleep": 2},
    )
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output == {"attempt": 2, "beat": True}
    failures = [e for e in result.events if e.type in ("TaskFailed", "TaskTimedOut")]
    assert [f.details["error"] for f in failures] == ["States.HeartbeatTimeout"]
    first_start = next(e for e in result.events if e.type == "TaskStarted")
    alive = (failures[0].timestamp - first_start.timestamp).total_seconds()
    assert 1.6 <= alive < 2.6  # beats at 0, 0.4 and 0.8 s kept it alive, then 1 s of silence

    result = fleet.run(task(T + "stall", HeartbeatSeconds=1), {"sleep": 2})
    assert (result.status, result.error) == ("FAILED", "States.HeartbeatTimeout")


def test_duplicate_delivery_runs_a_finished_attempt_once(fleet: Fleet, tmp_path: Path) -> None:
    """A finished attempt delivered again (as after a resume) is not run again: the worker
    answers with the outcome stored the first time."""
    from runtime.core.interpreter import TaskRequest
    from runtime.fleet.wire import PREFIX_HEADER, REPLY_HEADER, Keys
    from runtime.tasks.celery import task_id

    event = {"dir": str(tmp_path)}
    result = fleet.run(task(T + "count@q1"), event)
    assert result.status == "SUCCEEDED"
    context = {"Execution": {"Id": result.execution_arn, "RedriveCount": 0}}
    tid = task_id(TaskRequest(T + "count@q1", event, "T", context, key="/T#1"))
    client = fleet.redis()
    stored = client.get(Keys(fleet.prefix).result(tid))
    assert stored is not None
    channel = Keys(fleet.prefix).channel("test-duplicates")
    pubsub = client.pubsub()
    pubsub.subscribe(channel)
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"
    for _ in range(2):  # the finished attempt's message, delivered twice more
        fleet.app().send_task(
            "tests.fleet.fleet_tasks.count",
            args=[event],
            task_id=tid,
            queue="q1",
            headers={REPLY_HEADER: channel, PREFIX_HEADER: fleet.prefix},
            ignore_result=True,
        )
    answers = [pubsub.get_message(timeout=5) for _ in range(2)]
    assert [a["data"] for a in answers if a] == [stored, stored]
    assert (tmp_path / "count").read_text().count("\n") == 1
    pubsub.close()


def test_map_keeps_at_most_max_concurrency_in_flight(fleet: Fleet) -> None:
    import asyncio

    dispatcher = fleet.dispatch()
    route = dispatcher.fleet
    flight = {"now": 0, "most": 0}

    class Counting:
        async def __call__(self, request: Any, resource: str | None = None) -> Any:
            flight["now"] += 1
            flight["most"] = max(flight["most"], flight["now"])
            try:
                await asyncio.sleep(0.01)
                return await route(request, resource)
            finally:
                flight["now"] -= 1

        def check(self, resource: str) -> str | None:
            return route.check(resource)

    dispatcher.fleet = Counting()
    from runtime import execute

    result = execute(map_of(T + "echo", 4), {"items": list(range(40))}, dispatch=dispatcher)
    assert result.status == "SUCCEEDED"
    assert flight["most"] == 4


def test_pickled_message_is_refused_and_logged(fleet: Fleet, tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"

    class Evil:
        def __reduce__(self) -> Any:
            return (os.mkdir, (str(marker),))

    fleet.app().send_task(T[7:] + "echo", args=[Evil()], serializer="pickle", queue="q2")
    fleet.wait_log("Refusing to deserialize untrusted content of type pickle")
    time.sleep(0.2)
    assert not marker.exists()


def test_unregistered_task_runs_nothing(fleet: Fleet, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    fleet.app().send_task("os.system", args=[f"touch {marker}"], queue="q1")
    fleet.wait_log("Received unregistered task of type 'os.system'")
    time.sleep(0.2)
    assert not marker.exists()
    # From the engine, the attempt fails at once with an error Retry and Catch can match.
    started = time.monotonic()
    result = fleet.run(task(T + "no_such_task", TimeoutSeconds=30))
    assert (result.status, result.error) == ("FAILED", "Celery.NotRegistered")
    assert time.monotonic() - started < 5
