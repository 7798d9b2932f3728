"""Group commit: whole transitions, several to a transaction; tasks and the end at once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from runtime.core.events import Event
from runtime.drivers import runner as _runner
from runtime.stores import ConcurrentWriteError, ExecutionNotFound, SqliteStore

from .test_store_contract import ARN, event, record

BOUNDARY = ("StateEntered", "Succeeded", "Failed", "TimedOut", "Aborted")


def loop(count: int, then: dict[str, Any] | None = None) -> str:
    """A Choice/Pass loop counting ``$.i`` up to ``count``, then ``then`` (a state) or Done."""
    states: dict[str, Any] = {
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": count, "Next": "After"}],
            "Default": "Inc",
        },
        "Inc": {
            "Type": "Pass",
            "Parameters": {"i.$": "States.MathAdd($.i, 1)"},
            "Next": "Check",
        },
        "After": then or {"Type": "Succeed"},
    }
    return json.dumps({"StartAt": "Check", "States": states})


class Spy:
    """A store that keeps every committed batch (the events of each ``append``)."""

    def __init__(self, inner: SqliteStore) -> None:
        self.inner = inner
        self.commits: list[list[Event]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def append(self, arn: str, events: Sequence[Event], **kw: Any) -> None:
        self.inner.append(arn, events, **kw)
        self.commits.append(list(events))


@pytest.fixture
def sqlite(tmp_path: Path) -> Any:
    store = SqliteStore(tmp_path / "s.sqlite3")
    yield store
    store.close()


def transitions(events: Sequence[Event]) -> int:
    return sum(e.type.endswith("StateEntered") for e in events)


def test_pure_loop_commits_far_fewer_transactions_than_transitions(
    sqlite: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASL_COMMIT_INTERVAL_MS", raising=False)
    spy = Spy(sqlite)
    result = _runner.start(spy, loop(3000), {"i": 0}, name="loop")
    assert (result.status, result.output) == ("SUCCEEDED", {"i": 3000})
    stored = sqlite.events(result.execution_arn)
    assert [e.id for e in stored] == [e.id for c in spy.commits for e in c]  # nothing else
    assert [e.type for e in stored] == [e.type for e in result.events]
    assert transitions(stored) == 6002
    assert len(spy.commits) < transitions(stored) / 10
    for commit in spy.commits[:-1]:
        assert commit[-1].type.endswith(BOUNDARY), commit[-1]  # never half a transition
    assert spy.commits[-1][-1].type == "ExecutionSucceeded"
    assert sqlite.get("loop").status == "SUCCEEDED"


@pytest.mark.parametrize("how", ["env", "argument"])
def test_interval_zero_commits_every_transition(
    sqlite: SqliteStore, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    spy = Spy(sqlite)
    if how == "env":
        monkeypatch.setenv("ASL_COMMIT_INTERVAL_MS", "0")
        result = _runner.start(spy, loop(50), {"i": 0})
    else:
        monkeypatch.setenv("ASL_COMMIT_INTERVAL_MS", "60000")  # the argument wins
        result = _runner.start(spy, loop(50), {"i": 0}, commit_interval=0)
    assert result.status == "SUCCEEDED"
    # As before group commit: a transaction ends with each ...StateEntered and with the end.
    assert len(spy.commits) == transitions(result.events) + 1
    for commit in spy.commits[:-1]:
        assert [e.type.endswith("StateEntered") for e in commit][-1]
        assert transitions(commit) == 1
    assert [e.type for e in spy.commits[-1]] == ["SucceedStateExited", "ExecutionSucceeded"]


@pytest.mark.parametrize("value", ["fast", "-1", "nan", "inf"])
def test_bad_interval_is_refused(sqlite: SqliteStore, monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv("ASL_COMMIT_INTERVAL_MS", value)
    with pytest.raises(_runner.RunError, match="ASL_COMMIT_INTERVAL_MS"):
        _runner.start(sqlite, loop(1), {"i": 0})
    assert sqlite.list() == []  # refused before anything was stored


class Reader:
    """A dispatcher that looks at the store while its task runs."""

    def __init__(self, store: SqliteStore, name: str, wait: float = 0) -> None:
        self.store, self.name, self.wait = store, name, wait
        self.seen: dict[str, list[Event]] = {}

    async def __call__(self, request: Any) -> Any:
        if self.wait:
            await asyncio.sleep(self.wait)
        arn = self.store.get(self.name).execution_arn
        self.seen[request.state_name] = self.store.events(arn)
        return request.parameters


LAMBDA = "arn:aws:states:::lambda:invoke"


def test_events_are_committed_before_a_task_is_dispatched(sqlite: SqliteStore) -> None:
    second = {"Type": "Task", "Resource": LAMBDA, "End": True}
    first = {"Type": "Task", "Resource": LAMBDA, "Next": "Second"}
    definition = json.loads(loop(20, first))
    definition["States"]["Second"] = second
    reader = Reader(sqlite, "tasks")
    spy = Spy(sqlite)
    result = _runner.start(
        spy, json.dumps(definition), {"i": 0}, name="tasks", dispatch=reader, commit_interval=60
    )
    assert result.status == "SUCCEEDED", result.error
    seen = [e.type for e in reader.seen["After"]]
    assert seen[-3:] == ["TaskStateEntered", "TaskScheduled", "TaskStarted"]
    assert seen.count("PassStateEntered") == 20  # the pure transitions before it too
    assert [e.type for e in reader.seen["Second"]][-5:] == [
        "TaskSucceeded",  # the first task's outcome was committed at once
        "TaskStateExited",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
    ]
    # Before each task, each outcome on its own, and the end.
    assert [[e.type for e in c][-1] for c in spy.commits] == [
        "TaskStarted",
        "TaskSucceeded",
        "TaskStarted",
        "TaskSucceeded",
        "ExecutionSucceeded",
    ]
    assert len(spy.commits[1]) == 1


def test_pending_transitions_are_committed_while_another_branch_waits(
    sqlite: SqliteStore,
) -> None:
    pure = json.loads(loop(30))
    slow = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA, "End": True}}}
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {"Type": "Parallel", "Branches": [slow, pure], "End": True},
        },
    }
    reader = Reader(sqlite, "par", wait=0.5)
    result = _runner.start(
        sqlite, json.dumps(definition), {"i": 0}, name="par", dispatch=reader, commit_interval=0.02
    )
    assert result.status == "SUCCEEDED", result.error
    # While T ran, the other branch's whole transitions were committed (the loop went idle).
    seen = reader.seen["T"]
    assert sum(e.type == "PassStateEntered" for e in seen) == 30
    assert any(e.type == "SucceedStateEntered" for e in seen)


class Killed(BaseException):
    """The process is interrupted (as Ctrl-C would) in the middle of a transition."""


def test_an_interrupted_run_keeps_its_whole_transitions(sqlite: SqliteStore) -> None:
    def observer(e: Event) -> None:
        if e.id == 1001:
            raise Killed()

    spy = Spy(sqlite)
    with pytest.raises(Killed):
        _runner.start(spy, loop(1000), {"i": 0}, name="cut", observer=observer, commit_interval=60)
    stored = sqlite.events(sqlite.get("cut").execution_arn)
    assert len(spy.commits) == 1  # only what the interruption flushed
    assert (stored[-1].id, stored[-1].type) == (1000, "PassStateEntered")  # not 1001, an Exited
    resumed = _runner.resume(sqlite, "cut")
    assert (resumed.status, resumed.output) == ("SUCCEEDED", {"i": 1000})
    reference = _runner.start(sqlite, loop(1000), {"i": 0}, name="whole")
    again = sqlite.events(resumed.execution_arn)
    assert [e.type for e in again] == [e.type for e in sqlite.events(reference.execution_arn)]
    assert [e.id for e in again] == list(range(1, len(again) + 1))


# -- the compare-and-swap's edges ----------------------------------------------------------------


def test_append_ahead_of_the_history_is_refused(sqlite: SqliteStore) -> None:
    sqlite.create(record())
    sqlite.append(ARN, [event(1), event(2)], expected_last_id=0)
    with pytest.raises(ConcurrentWriteError, match="ends at event 2, expected 4"):
        sqlite.append(ARN, [event(5)], expected_last_id=4)  # a writer that thinks it is further
    with pytest.raises(ExecutionNotFound):
        sqlite.append(ARN + "x", [event(3)], expected_last_id=2)
    with pytest.raises(ExecutionNotFound):
        sqlite.append(ARN + "x", [event(1)], expected_last_id=0)
    assert [e.id for e in sqlite.events(ARN)] == [1, 2]
