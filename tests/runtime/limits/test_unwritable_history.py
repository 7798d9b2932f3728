"""The stores' last line of defence: an event whose payload a store cannot write as JSON (a task
route that returned a set, an object, bytes, a lone surrogate) ends the execution FAILED with
States.Runtime in that event's place, with every event before it stored: never a raise out of
the run, never a record left RUNNING."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.core.interpreter import TaskRequest
from runtime.drivers import runner as _runner
from runtime.stores import RedisStore, SqliteStore
from runtime.stores.base import HistoryStore
from tests.support.redis_server import with_prefix

RESULTS = {
    "a set": lambda: {"tags": {"a", "b"}},
    "an object": lambda: {"at": object()},
    "bytes": lambda: [b"\x00"],
    "a lone surrogate": lambda: {"s": "\ud800"},
}
"""What a (faulty) task route hands back -> nothing JSON can hold."""

MACHINE = json.dumps(
    {
        "StartAt": "Before",
        "States": {
            "Before": {"Type": "Pass", "Result": {"ok": True}, "Next": "T"},
            "T": {"Type": "Task", "Resource": "arn:aws:states:::my:route", "End": True},
        },
    }
)


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HistoryStore]:
    if request.param == "sqlite":
        opened: HistoryStore = SqliteStore(tmp_path / "s.sqlite3")
    else:
        url = request.getfixturevalue("redis_url")
        opened = RedisStore(with_prefix(url, request.getfixturevalue("redis_prefix")))
    yield opened
    opened.close()


@pytest.mark.parametrize("case", RESULTS)
def test_an_unwritable_event_fails_the_execution(store: HistoryStore, case: str) -> None:
    async def route(request: TaskRequest) -> Any:
        return RESULTS[case]()

    result = _runner.start(store, MACHINE, {}, name="u", dispatch=route)
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "could not record its event" in result.cause
    record = store.get("u")
    assert (record.status, record.error) == ("FAILED", "States.Runtime")
    events = store.events(record.execution_arn)
    assert [e.id for e in events] == list(range(1, len(events) + 1))  # no gap
    assert events[-1].type == "ExecutionFailed"
    assert events[-2].type == "TaskStarted"  # TaskSucceeded, unwritable, is not there
    json.dumps([e.to_dict() for e in events])
    assert [e.id for e in result.events] == [e.id for e in events]
