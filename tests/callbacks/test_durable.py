"""Pending tasks across replays in one process: Map iterations, redrive, resume."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import runtime
from runtime.callbacks import CallbackHub, current_hub
from runtime.drivers import runner as _runner
from runtime.stores import ExecutionRecord, SqliteStore
from tests.callbacks import handlers
from tests.callbacks.conftest import wait_until

H = "python:tests.callbacks.handlers"


def test_each_map_iteration_waits_for_its_own_token() -> None:
    handlers.reset()
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "Ask",
                    "States": {
                        "Ask": {
                            "Type": "Task",
                            "Resource": f"{H}:notify.waitForTaskToken",
                            "Parameters": {"token.$": "$$.Task.Token", "input.$": "$"},
                            "End": True,
                        }
                    },
                },
                "End": True,
            }
        },
    }
    box: dict[str, Any] = {}
    thread = threading.Thread(
        target=lambda: box.setdefault("r", runtime.execute(definition, [1, 2, 3]))
    )
    thread.start()
    events = [handlers.take_token() for _ in range(3)]
    assert len({e["token"] for e in events}) == 3
    for event in reversed(events):  # answered in any order
        current_hub().send_task_success(event["token"], json.dumps(event["input"] * 10))
    thread.join(10)
    assert box["r"].output == [10, 20, 30]


def test_redrive_replays_an_answered_callback_without_sending_again(tmp_path: Path) -> None:
    handlers.reset()
    handlers.FLAKY["calls"] = 0
    definition = json.dumps(
        {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": f"{H}:notify.waitForTaskToken",
                    "Parameters": {"token.$": "$$.Task.Token", "input.$": "$"},
                    "Next": "Flaky",
                },
                "Flaky": {"Type": "Task", "Resource": f"{H}:flaky", "End": True},
            },
        }
    )
    store = SqliteStore(tmp_path / "s.db")
    hub = CallbackHub(SqliteStore(tmp_path / "s.db"))  # another connection, as another process
    try:
        box: dict[str, Any] = {}
        thread = threading.Thread(
            target=lambda: box.setdefault("r", _runner.start(store, definition, {}, name="e"))
        )
        thread.start()
        token = handlers.take_token()["token"]
        hub.send_task_success(token, '"approved"')
        thread.join(10)
        assert (box["r"].status, box["r"].error) == ("FAILED", "RuntimeError")

        result = _runner.redrive(store, "e")
        assert (result.status, result.output) == ("SUCCEEDED", {"second": True})
        assert len(handlers.CALLS) == 1  # the approval request went out once
        types = [e.type for e in store.events(store.get("e").execution_arn)]
        assert types.count("TaskSubmitted") == 1 and types.count("ExecutionRedriven") == 1
    finally:
        store.close()


def test_a_created_execution_run_by_resume_waits_and_completes(tmp_path: Path) -> None:
    """How nested children run: stored first, then run by ``resume`` on a thread."""
    definition = json.dumps(
        {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {"QueueUrl": "q", "MessageBody": {"t.$": "$$.Task.Token"}},
                    "TimeoutSeconds": 60,
                    "End": True,
                }
            },
        }
    )
    store = SqliteStore(tmp_path / "s.db")
    hub = CallbackHub(store)
    try:
        store.create(
            ExecutionRecord(
                execution_arn="arn:aws:states:us-east-1:111111111111:execution:machine:r",
                name="r",
                machine_name="machine",
                type="STANDARD",
                definition=definition,
                input="{}",
                seed=5,
                start_date=datetime.now(UTC),
            )
        )
        runner = threading.Thread(target=lambda: _runner.resume(store, "r"), daemon=True)
        runner.start()
        task = wait_until(lambda: hub.list_tasks(), what="the pending task")[0]
        assert store.get("r").lease_owner  # the runner holds the execution
        hub.send_task_success(task.token, '{"ok": true}')
        runner.join(10)
        assert (store.get("r").status, store.get("r").output_value) == ("SUCCEEDED", {"ok": True})
    finally:
        store.close()


def test_a_callback_in_a_redis_store_answered_through_another_connection(
    redis_store: Any, redis_url: str
) -> None:
    from runtime.stores import RedisStore

    handlers.reset()
    definition = json.dumps(
        {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": f"{H}:notify.waitForTaskToken",
                    "Parameters": {"token.$": "$$.Task.Token", "input.$": "$"},
                    "HeartbeatSeconds": 5,
                    "End": True,
                }
            },
        }
    )
    box: dict[str, Any] = {}
    thread = threading.Thread(
        target=lambda: box.setdefault("r", _runner.start(redis_store, definition, {"a": 1}))
    )
    thread.start()
    token = handlers.take_token()["token"]
    other = RedisStore(f"{redis_url}{'&' if '?' in redis_url else '?'}prefix={redis_store.prefix}")
    try:
        hub = CallbackHub(other)
        assert [t.token for t in hub.list_tasks()] == [token]
        hub.send_task_heartbeat(token)
        hub.send_task_success(token, '{"via": "redis"}')
    finally:
        other.close()
    thread.join(10)
    assert box["r"].output == {"via": "redis"}
