"""The callback API against every store: activities, tokens, AWS's refusals."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import Any

import pytest

from runtime.callbacks import (
    ActivityDoesNotExist,
    CallbackHub,
    InvalidArn,
    InvalidName,
    InvalidOutput,
    InvalidToken,
    PendingTask,
    TaskDoesNotExist,
    TaskTimedOut,
    ValidationException,
    activity_arn,
)
from runtime.callbacks.records import ACTIVITY, CALLBACK, SCHEDULED, STARTED
from runtime.callbacks.tokens import token_for
from runtime.stores.base import ExecutionRecord, Outcome

ARN = "arn:aws:states:us-east-1:111111111111:execution:m:e1"


def token(n: int = 0) -> str:
    return token_for({"Execution": {"Id": ARN}}, f"/S#{n}", 0, 7)


def callback(hub: CallbackHub, n: int = 0, **fields: Any) -> PendingTask:
    now = time.time()
    base: dict[str, Any] = {
        "token": token(n),
        "execution_arn": ARN,
        "kind": CALLBACK,
        "resource": "python:m:f.waitForTaskToken",
        "state_name": "S",
        "status": STARTED,
        "created": now,
        "started": now,
        "beat": now,
    }
    return hub.register(PendingTask(**{**base, **fields}))


def queued(hub: CallbackHub, n: int, activity: str = "work", **fields: Any) -> PendingTask:
    base: dict[str, Any] = {
        "token": token(n),
        "execution_arn": ARN,
        "kind": ACTIVITY,
        "resource": activity_arn(activity),
        "state_name": "S",
        "status": SCHEDULED,
        "created": time.time(),
        "activity": activity,
        "input": json.dumps({"n": n}),
    }
    return hub.register(PendingTask(**{**base, **fields}))


# -- activities ----------------------------------------------------------------------------------


def test_create_activity_is_idempotent_and_described(hub: CallbackHub) -> None:
    arn = hub.create_activity("resize")
    assert arn == "arn:aws:states:us-east-1:111111111111:activity:resize"
    assert hub.create_activity("resize") == arn
    described = hub.describe_activity(arn)
    assert described["activityArn"] == arn and described["name"] == "resize"
    assert isinstance(described["creationDate"], datetime)
    hub.create_activity("crop")
    assert [a["name"] for a in hub.list_activities()] == ["resize", "crop"]
    hub.delete_activity(arn)
    hub.delete_activity(arn)  # deleting twice is fine, as on AWS
    with pytest.raises(ActivityDoesNotExist):
        hub.describe_activity(arn)
    assert [a["name"] for a in hub.list_activities()] == ["crop"]


@pytest.mark.parametrize("name", ["", "a b", "x" * 81, "a/b", "semi;colon"])
def test_bad_activity_names(hub: CallbackHub, name: str) -> None:
    with pytest.raises(InvalidName) as caught:
        hub.create_activity(name)
    assert caught.value.code == "InvalidName"


def test_bad_activity_arns(hub: CallbackHub) -> None:
    with pytest.raises(InvalidArn):
        hub.describe_activity("arn:aws:states:us-east-1:111111111111:stateMachine:x")
    with pytest.raises(ActivityDoesNotExist):
        asyncio.run(hub.get_activity_task(activity_arn("nope"), "w", 0))


def test_get_activity_task_hands_out_tasks_in_order_once(hub: CallbackHub) -> None:
    arn = hub.create_activity("work")
    for n in range(3):
        queued(hub, n)
    got = [asyncio.run(hub.get_activity_task(arn, "w1", 0)) for _ in range(4)]
    assert [json.loads(g[1])["n"] for g in got[:3] if g] == [0, 1, 2]
    assert got[3] is None
    task = hub.describe_task(got[0][0])
    assert (task.status, task.worker) == (STARTED, "w1")


def test_get_activity_task_long_polls_until_a_task_arrives(hub: CallbackHub) -> None:
    arn = hub.create_activity("work")

    async def poll_and_schedule() -> Any:
        poll = asyncio.ensure_future(hub.get_activity_task(arn, "w", 5))
        await asyncio.sleep(0.2)
        assert not poll.done()
        queued(hub, 1)
        return await poll

    started = time.monotonic()
    got = asyncio.run(poll_and_schedule())
    assert got is not None and json.loads(got[1]) == {"n": 1}
    assert time.monotonic() - started < 3


def test_get_activity_task_times_out_empty(hub: CallbackHub) -> None:
    arn = hub.create_activity("work")
    started = time.monotonic()
    assert asyncio.run(hub.get_activity_task(arn, "w", 0.3)) is None
    assert 0.25 < time.monotonic() - started < 3


def test_expired_queued_tasks_are_never_handed_out(hub: CallbackHub) -> None:
    arn = hub.create_activity("work")
    queued(hub, 1, deadline=time.time() - 1)
    queued(hub, 2)
    got = asyncio.run(hub.get_activity_task(arn, "w", 0))
    assert got is not None and json.loads(got[1]) == {"n": 2}
    with pytest.raises(TaskTimedOut):
        hub.send_task_success(token(1), "{}")


def test_activities_are_matched_by_name(hub: CallbackHub) -> None:
    hub.create_activity("work")
    queued(hub, 1)
    other = "arn:aws:states:eu-west-1:123456789012:activity:work"
    assert asyncio.run(hub.get_activity_task(activity_arn("work"), None, 0)) is not None
    assert hub.poll_activity_task(other) is None


# -- tokens --------------------------------------------------------------------------------------


def test_success_closes_the_task_once(hub: CallbackHub) -> None:
    callback(hub)
    hub.send_task_success(token(), '{"ok": true}')
    task = hub.describe_task(token())
    assert (task.status, task.output) == ("SUCCEEDED", '{"ok": true}')
    for again in (
        lambda: hub.send_task_success(token(), "{}"),
        lambda: hub.send_task_failure(token(), "E", "c"),
        lambda: hub.send_task_heartbeat(token()),
    ):
        with pytest.raises(TaskTimedOut) as caught:
            again()
        assert caught.value.code == "TaskTimedOut"
        assert "Provided task does not exist anymore" in caught.value.message


def test_failure_keeps_error_and_cause(hub: CallbackHub) -> None:
    callback(hub)
    hub.send_task_failure(token(), "Approval.Rejected", "too expensive")
    task = hub.describe_task(token())
    assert (task.status, task.error, task.cause) == ("FAILED", "Approval.Rejected", "too expensive")


@pytest.mark.parametrize("bad", ["", "abc", "A" * 56, token()[:-1] + "x", 42])
def test_malformed_tokens_are_invalid(hub: CallbackHub, bad: Any) -> None:
    with pytest.raises(InvalidToken) as caught:
        hub.send_task_success(bad, "{}")
    assert caught.value.code == "InvalidToken"


def test_unknown_tokens_do_not_exist(hub: CallbackHub) -> None:
    for call in (
        lambda: hub.send_task_success(token(9), "{}"),
        lambda: hub.send_task_failure(token(9)),
        lambda: hub.send_task_heartbeat(token(9)),
    ):
        with pytest.raises(TaskDoesNotExist):
            call()


def test_output_must_be_json_within_256_kib(hub: CallbackHub) -> None:
    callback(hub)
    with pytest.raises(InvalidOutput):
        hub.send_task_success(token(), "{not json")
    with pytest.raises(InvalidOutput):
        hub.send_task_success(token(), json.dumps("x" * (256 * 1024)))
    hub.send_task_success(token(), json.dumps("x" * (256 * 1024 - 10)))


def test_error_and_cause_limits(hub: CallbackHub) -> None:
    callback(hub)
    with pytest.raises(ValidationException):
        hub.send_task_failure(token(), "E" * 257)
    with pytest.raises(ValidationException):
        hub.send_task_failure(token(), "E", "c" * 32_769)
    hub.send_task_failure(token(), "E" * 256, "c" * 32_768)


def test_a_late_answer_is_refused(hub: CallbackHub) -> None:
    callback(hub, deadline=time.time() - 0.01)
    with pytest.raises(TaskTimedOut):
        hub.send_task_success(token(), "{}")
    task = hub.describe_task(token())
    assert (task.status, task.error) == ("TIMED_OUT", "States.Timeout")


def test_heartbeats_restart_the_heartbeat_clock(hub: CallbackHub) -> None:
    callback(hub, heartbeat_seconds=0.3)
    for _ in range(4):
        time.sleep(0.15)
        hub.send_task_heartbeat(token())
    time.sleep(0.4)
    with pytest.raises(TaskTimedOut):
        hub.send_task_heartbeat(token())
    assert hub.describe_task(token()).error == "States.HeartbeatTimeout"


def test_answers_for_an_ended_execution_are_refused(hub: CallbackHub, store: Any) -> None:
    record = ExecutionRecord(ARN, "e1", "m", "STANDARD", "{}", "{}", 1, datetime.now())
    store.create(record)
    callback(hub)
    store.append(ARN, (), expected_last_id=0, outcome=Outcome("ABORTED", datetime.now()))
    with pytest.raises(TaskTimedOut):
        hub.send_task_success(token(), "{}")


def test_wait_returns_the_answer_sent_from_another_thread(hub: CallbackHub) -> None:
    callback(hub)

    async def wait_and_answer() -> PendingTask:
        waiter = asyncio.ensure_future(hub.wait(token()))
        await asyncio.sleep(0.1)
        await asyncio.to_thread(hub.send_task_success, token(), "[1]")
        return await asyncio.wait_for(waiter, 5)

    assert asyncio.run(wait_and_answer()).output == "[1]"


def test_wait_enforces_the_deadline(hub: CallbackHub) -> None:
    callback(hub, deadline=time.time() + 0.2)
    started = time.monotonic()
    task = asyncio.run(hub.wait(token()))
    assert (task.status, task.error) == ("TIMED_OUT", "States.Timeout")
    assert time.monotonic() - started < 2


def test_list_tasks(hub: CallbackHub) -> None:
    callback(hub, 1)
    callback(hub, 2)
    hub.send_task_success(token(1), "{}")
    assert [t.token for t in hub.list_tasks()] == [token(2)]
    assert [t.token for t in hub.list_tasks(ARN, open_only=False)] == [token(1), token(2)]
