"""The ``celery:`` route's parts: resources, task ids, outcomes, exactly-once storage."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import uuid

import pytest

import runtime
from asl import StatesError
from runtime.core.interpreter import TaskRequest
from runtime.fleet.wire import PUBLISH_OUTCOME, Keys
from runtime.tasks import ConfigurationError, build_dispatch
from runtime.tasks.celery import CeleryDispatch, outcome, parse, task_id
from tests.fleet.conftest import ROOT

ARN = "arn:aws:states:us-east-1:111111111111:execution:m:e1"


def request(key: str = "/T#1", attempt: int = 0, redrive: int = 0, arn: str = ARN) -> TaskRequest:
    context = {"Execution": {"Id": arn, "RedriveCount": redrive}, "State": {"Name": "T"}}
    return TaskRequest("celery:m.f", {"x": 1}, "T", context, attempt=attempt, key=key)


def test_resources_name_a_task_and_maybe_a_queue() -> None:
    assert parse("celery:images.resize") == ("images.resize", None)
    assert parse("celery:images.resize@gpu") == ("images.resize", "gpu")
    for bad in ("celery:", "celery:@gpu", "celery:images.resize@", "celery:a b"):
        with pytest.raises(ValueError, match="celery:TASK_NAME"):
            parse(bad)


def test_task_ids_are_stable_per_attempt_and_distinct_across_attempts() -> None:
    first = task_id(request())
    assert first == task_id(request()) and uuid.UUID(first).version == 5
    others = {
        task_id(request(attempt=1)),
        task_id(request(redrive=1)),  # a redrive runs the failed attempt afresh
        task_id(request(key="/M#1/i1/T#1")),
        task_id(request(arn=ARN + "x")),
    }
    assert first not in others and len(others) == 4


def test_outcomes_become_results_or_errors() -> None:
    assert outcome({"id": "1", "t": "done", "body": '{"a": 1}'}, "celery:x") == {"a": 1}
    error = {"errorMessage": "no", "errorType": "KeyError", "stackTrace": []}
    with pytest.raises(StatesError) as caught:
        outcome({"id": "1", "t": "done", "error": error}, "celery:x")
    assert caught.value.error == "KeyError" and json.loads(caught.value.cause) == error
    with pytest.raises(StatesError) as caught:
        outcome({"raised": {"error": "Mine", "cause": "why"}}, "celery:x")
    assert (caught.value.error, caught.value.cause) == ("Mine", "why")
    with pytest.raises(StatesError, match="size exceeding") as caught:
        outcome({"body": json.dumps("x" * 300_000)}, "celery:x")
    assert caught.value.error == "States.DataLimitExceeded"


def test_preflight_checks_resources_and_the_broker() -> None:
    dispatcher = build_dispatch()
    dispatcher.fleet = CeleryDispatch("redis://127.0.0.1:1/0")
    with pytest.raises(ConfigurationError, match="celery:TASK_NAME"):
        dispatcher.preflight([("T", "celery:a@")])
    [warning] = dispatcher.preflight([("T", "celery:a.b")])
    assert "cannot reach the Celery broker redis://127.0.0.1:1/0" in warning


def test_task_decorator_and_heartbeat_outside_a_worker() -> None:
    @runtime.task
    def plain(event: int) -> int:
        return event + 1

    @runtime.task(name="custom.name")
    def named(event: int) -> int:
        return event

    from runtime.fleet import registered

    assert plain(1) == 2 and named(3) == 3  # still plain functions
    assert registered()[f"{__name__}.{plain.__qualname__}"] is plain
    assert registered()["custom.name"] is named
    assert runtime.heartbeat() is False


def test_worker_reports_a_module_it_cannot_import() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "runtime", "worker", "--tasks", "no_such_module_xyz"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--tasks no_such_module_xyz: cannot import module 'no_such_module_xyz'" in done.stderr


@pytest.fixture
def keys(redis_url: str):
    import redis

    prefix = f"asl-test-{uuid.uuid4().hex[:12]}:"
    client = redis.Redis.from_url(redis_url)
    try:
        yield client, Keys(prefix)
    finally:
        with contextlib.closing(client):
            for key in client.scan_iter(match=f"{prefix}*"):
                client.delete(key)


def test_a_second_completion_stores_nothing_and_repeats_the_first(keys) -> None:
    client, names = keys
    channel = names.channel("listener-1")
    pubsub = client.pubsub()
    pubsub.subscribe(channel)
    assert pubsub.get_message(timeout=1)["type"] == "subscribe"
    first = json.dumps({"id": "t1", "t": "done", "body": "1"})
    second = json.dumps({"id": "t1", "t": "done", "body": "2"})
    script = client.register_script(PUBLISH_OUTCOME)
    assert script(keys=[names.result("t1")], args=[first, 60, channel]) == 1
    assert script(keys=[names.result("t1")], args=[second, 60, channel]) == 0
    assert client.get(names.result("t1")).decode() == first
    assert pubsub.get_message(timeout=1)["data"].decode() == first
    assert pubsub.get_message(timeout=1)["data"].decode() == first  # never the second
    assert pubsub.get_message(timeout=0.2) is None
    pubsub.close()


def test_a_redispatched_attempt_takes_its_stored_outcome(keys, redis_url: str) -> None:
    """As when an execution resumes: the attempt finished while no engine listened."""
    client, names = keys
    route = CeleryDispatch(redis_url, prefix=names.prefix)
    attempt = request()
    attempt.resource = "celery:m.f@queue-nobody-serves"
    stored = {"id": task_id(attempt), "t": "done", "body": '{"done": true}'}
    client.set(names.result(task_id(attempt)), json.dumps(stored))
    assert asyncio.run(asyncio.wait_for(route(attempt), 5)) == {"done": True}
    assert client.llen(f"{names.prefix}queue-nobody-serves") == 0  # nothing sent


def test_late_outcomes_are_ignored(keys, redis_url: str) -> None:
    """An attempt that timed out stops listening; its outcome arriving later changes nothing."""
    client, names = keys
    route = CeleryDispatch(redis_url, prefix=names.prefix)
    attempt = request(key="/late#1")
    attempt.resource = "celery:m.f@queue-nobody-serves"

    async def scenario() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(route(attempt), 0.3)
        listener = route._listener()
        assert not listener.waiters
        late = json.dumps({"id": task_id(attempt), "t": "done", "body": "1"})
        assert client.publish(listener.channel, late) == 1  # the listener hears it...
        await asyncio.sleep(0.1)
        assert not listener.waiters  # ...and drops it

    asyncio.run(scenario())
    assert client.llen(f"{names.prefix}queue-nobody-serves") == 1  # sent once, never answered
