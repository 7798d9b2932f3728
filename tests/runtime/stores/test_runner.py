"""The runner over a store: crash anywhere, resume, and end as an uninterrupted run would."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from asl import StatesError
from runtime.core.events import Event
from runtime.drivers import runner as _runner
from runtime.stores import ExecutionRecord, MemoryStore, Outcome, SqliteStore

FN = "arn:aws:lambda:us-east-1:111111111111:function:"


def task(name: str, next_: str | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Task", "Resource": FN + name}
    state.update({"Next": next_} if next_ else {"End": True})
    return state


MACHINE = json.dumps(
    {
        "StartAt": "A",
        "States": {
            "A": task("A", "Both"),
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "L", "States": {"L": task("L")}},
                    {
                        "StartAt": "R",
                        "States": {
                            "R": task("R", "RW"),
                            "RW": {"Type": "Wait", "Seconds": 5, "End": True},
                        },
                    },
                ],
                "Next": "Each",
            },
            "Each": {
                "Type": "Map",
                "ItemsPath": "$[0].items",
                "ItemProcessor": {"StartAt": "I", "States": {"I": task("I")}},
                "Next": "B",
            },
            "B": task("B"),
        },
    }
)
INPUT = {"items": [1, 2, 3]}


class Tasks:
    """A fake dispatcher: records calls; ``fail`` maps a state to how many first calls fail."""

    def __init__(self, fail: dict[str, int] | None = None) -> None:
        self.calls: Counter[str] = Counter()
        self.fail = dict(fail or {})

    async def __call__(self, request: Any) -> Any:
        key = f"{request.state_name}:{json.dumps(request.parameters, sort_keys=True)}"
        self.calls[key] += 1
        if self.fail.get(request.state_name, 0) > 0:
            self.fail[request.state_name] -= 1
            raise StatesError("Flaky", f"{request.state_name} failed")
        value = request.parameters
        return {"items": value["items"]} if isinstance(value, dict) else value


class Crash(Exception):
    """The process 'dies' while appending this event."""


class CrashingStore:
    """A store that dies at event ``at``: the transaction holding it and every later one are
    lost (a transaction is atomic: none of its events is kept)."""

    def __init__(self, inner: Any, at: int) -> None:
        self.inner, self.at, self.dead = inner, at, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def append(self, arn: str, events: Sequence[Event], **kw: Any) -> None:
        if self.dead or events[-1].id >= self.at:
            self.dead = True
            raise Crash(events[0].type)
        self.inner.append(arn, events, **kw)

    def release(self, arn: str, owner: str) -> None:
        pass  # a dead process releases nothing


def options() -> _runner.RunOptions:
    return _runner.RunOptions(time_skip=True)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "redis":
        backend = request.getfixturevalue("redis_stores")()
    else:
        backend = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "s.db")
    yield backend
    backend.close()


def reference() -> tuple[Any, list[str]]:
    tasks = Tasks()
    result = _runner.start(MemoryStore(), MACHINE, INPUT, dispatch=tasks, options=options())
    assert result.status == "SUCCEEDED"
    return result.output, [e.type for e in result.events]


@pytest.mark.parametrize("interval", [None, 0, 60], ids=["default", "per-transition", "60s"])
def test_crash_at_any_event_then_resume(store: Any, interval: float | None) -> None:
    output, types = reference()
    for at in range(2, len(types) + 1):
        name = f"crash-{at}"
        tasks = Tasks()
        with pytest.raises(Crash):
            _runner.start(
                CrashingStore(store, at),
                MACHINE,
                INPUT,
                name=name,
                dispatch=tasks,
                options=options(),
                seed=7,
                commit_interval=interval,
            )
        before = store.events(store.get(name).execution_arn)
        done = Counter(tasks.calls)
        result = _runner.resume(store, name, dispatch=tasks)
        assert (result.status, result.output) == ("SUCCEEDED", output), at
        events = store.events(result.execution_arn)
        assert [e.type for e in events] == types, at
        assert [e.id for e in events] == list(range(1, len(types) + 1))
        finished, in_flight = task_outcomes(before)
        assert all(tasks.calls[key] == 1 for key in finished), at  # finished tasks ran once
        repeats = sum(tasks.calls.values()) - len(tasks.calls)
        assert repeats <= len(in_flight), at  # only tasks cut off by the crash run again
        assert sum(done.values()) >= len(finished)
        assert store.get(name).status == "SUCCEEDED"


def task_outcomes(events: list[Event]) -> tuple[list[str], list[str]]:
    """Keys (as Tasks counts them) of the tasks that finished, and of those cut off."""
    state: dict[str, str] = {}
    scheduled: dict[str, str] = {}
    finished = []
    for e in events:
        d = e.details or {}
        if e.type.endswith("StateEntered"):
            state[e.frame] = d["name"]
        elif e.type == "LambdaFunctionScheduled":
            value = json.dumps(json.loads(str(d["input"])), sort_keys=True)
            scheduled[e.frame] = f"{state[e.frame]}:{value}"
        elif e.type == "LambdaFunctionSucceeded":
            finished.append(scheduled.pop(e.frame))
    return finished, list(scheduled.values())


def test_redrive_twice(store: Any) -> None:
    tasks = Tasks(fail={"B": 2})
    first = _runner.start(store, MACHINE, INPUT, name="r", dispatch=tasks, options=options())
    assert (first.status, first.error) == ("FAILED", "Flaky")
    assert _runner.redrive(store, "r", dispatch=tasks).status == "FAILED"
    final = _runner.redrive(store, "r", dispatch=tasks)
    assert final.status == "SUCCEEDED"
    assert {k.split(":")[0]: v for k, v in tasks.calls.items() if k[0] in "AL"} == {"A": 1, "L": 1}
    assert sum(v for k, v in tasks.calls.items() if k.startswith("B")) == 3
    record = store.get("r")
    assert (record.redrive_count, record.status) == (2, "SUCCEEDED")
    types = [e.type for e in store.events(record.execution_arn)]
    assert types.count("ExecutionRedriven") == 2 and types[-1] == "ExecutionSucceeded"


RETRIED = json.dumps(
    {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Pass", "Next": "R"},
            "R": {
                **task("R"),
                "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 1, "IntervalSeconds": 1}],
            },
        },
    }
)


@pytest.mark.parametrize(("fails", "status", "calls"), [(4, "FAILED", 4), (3, "SUCCEEDED", 4)])
def test_a_redrive_reschedules_the_failed_task_with_its_retries_anew(
    store: Any, fails: int, status: str, calls: int
) -> None:
    """As RedriveExecution: the failed Task state is entered and scheduled again, and its
    Retry counts from zero (two more attempts, not one outcome recorded again)."""
    tasks = Tasks(fail={"R": fails})
    assert _runner.start(
        store, RETRIED, INPUT, name="x", dispatch=tasks, options=options()
    ).status == ("FAILED")
    assert _runner.redrive(store, "x", dispatch=tasks).status == status
    assert sum(tasks.calls.values()) == calls
    types = [e.type for e in store.events(store.get("x").execution_arn)]
    after = types[types.index("ExecutionRedriven") + 1 :]
    assert after[:3] == ["TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted"]
    assert after.count("LambdaFunctionScheduled") == 2
    assert "PassStateEntered" not in after  # what succeeded is not run again


@pytest.mark.parametrize(
    ("status", "express", "verb", "message"),
    [
        ("SUCCEEDED", False, "resume", "already ended"),
        ("FAILED", False, "resume", "asl redrive"),
        ("RUNNING", False, "redrive", "asl resume"),
        ("SUCCEEDED", False, "redrive", "only FAILED"),
        ("RUNNING", True, "resume", "Express executions are not durable"),
    ],
)
def test_refusals(store: Any, status: str, express: bool, verb: str, message: str) -> None:
    kind = "EXPRESS" if express else "STANDARD"
    arn = f"arn:aws:states:us-east-1:111111111111:execution:m:{status}"
    record = ExecutionRecord(arn, status, "m", kind, MACHINE, "{}", 1, _runner.RealClock().now())
    store.create(record)
    if status != "RUNNING":
        store.append(arn, [], expected_last_id=0, outcome=Outcome(status, record.start_date))
    with pytest.raises(_runner.RunError, match=message):
        getattr(_runner, verb)(store, status, dispatch=Tasks())


def test_express_runs_in_memory() -> None:
    store = MemoryStore()
    result = _runner.start(
        store, MACHINE, INPUT, express=True, name="e", dispatch=Tasks(), options=options()
    )
    assert result.status == "SUCCEEDED" and ":express:" in result.execution_arn
    assert store.get("e").type == "EXPRESS" and store.get("e").status == "SUCCEEDED"


def test_live_events_drop_each_redriven_failure() -> None:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    kinds = [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskFailed",
        "ExecutionFailed",
        "ExecutionRedriven",
        "TaskSucceeded",
        "TaskStateExited",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskFailed",
        "ExecutionFailed",
        "ExecutionRedriven",
    ]
    events = [Event(i, i - 1, now, k, None, "") for i, k in enumerate(kinds, 1)]
    live = [e.id for e in _runner.live_events(events)]
    # A history an earlier asl redrove (the attempt went on: TaskSucceeded after the redrive)
    # replays as recorded; its last redrive, with nothing after it yet, re-enters the state.
    assert live == [1, 2, 3, 4, 8, 9]


def test_a_redrive_reenters_the_failed_state_and_restarts_its_retries() -> None:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    kinds = [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskFailed",
        "TaskScheduled",
        "TaskStarted",
        "TaskFailed",
        "ExecutionFailed",
        "ExecutionRedriven",
        "TaskStateEntered",
        "TaskScheduled",
    ]
    events = [Event(i, i - 1, now, k, None, "") for i, k in enumerate(kinds, 1)]
    assert [e.id for e in _runner.live_events(events)] == [1, 2, 3, 13, 14]
