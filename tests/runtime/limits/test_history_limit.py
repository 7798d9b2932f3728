"""The 25,000-event quota ends a Standard execution FAILED, as AWS ends it: event 25,000 is
ExecutionFailed (States.Runtime), never a raise out of the engine or a RUNNING record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import runtime
from runtime.cli import main
from runtime.core.events import Event
from runtime.drivers import runner as _runner
from runtime.drivers.execution import HISTORY_LIMIT
from runtime.stores import ExecutionRecord, SqliteStore
from runtime.stores.base import Outcome
from tests.runtime.limits.support import COUNTER_LOOP, counter_loop

CAUSE = "The execution reached the maximum number of history events (25000)."


def _ends_at_the_limit(history: list[dict]) -> None:
    assert len(history) == HISTORY_LIMIT
    last = history[-1]
    assert (last["id"], last["type"]) == (HISTORY_LIMIT, "ExecutionFailed")
    assert last["executionFailedEventDetails"] == {"error": "States.Runtime", "cause": CAUSE}
    json.dumps(history)  # the whole history is JSON


def test_execute_fails_the_execution_at_the_limit() -> None:
    result = runtime.execute(COUNTER_LOOP, {"n": 0})
    assert (result.status, result.error, result.cause) == ("FAILED", "States.Runtime", CAUSE)
    _ends_at_the_limit(result.history)


def test_a_catch_all_does_not_see_the_limit() -> None:
    caught = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [COUNTER_LOOP],
                "Catch": [{"ErrorEquals": ["States.Runtime"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Succeed"},
        },
    }
    result = runtime.execute(caught, {"n": 0})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")


def test_asl_run_fails_the_execution_and_executions_shows_it_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "loop.json").write_text(json.dumps(COUNTER_LOOP))
    store = str(tmp_path / "s.sqlite3")
    code = main(["run", "loop.json", "--input", '{"n": 0}', "--name", "L", "--store", store])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    assert f"asl: execution L FAILED: States.Runtime: {CAUSE}" in err
    assert main(["executions", "--store", store, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["name"], e["status"]) for e in listed["executions"]] == [("L", "FAILED")]
    opened = SqliteStore(store)
    events = opened.events(opened.get("L").execution_arn)
    opened.close()
    _ends_at_the_limit([e.to_dict() for e in events])


def _stored(store: SqliteStore, steps: int, failed: bool = False) -> str:
    """A Standard loop's execution stored with ExecutionStarted and ``steps`` events of its
    run, then ExecutionFailed when ``failed`` (else RUNNING, as a process that died left it)."""
    express = runtime.execute(counter_loop(7_000), {"n": 0}, express=True)
    events = [e for e in express.events if not e.type.startswith("Execution")][:steps]
    assert len(events) == steps
    started = express.events[0]
    arn = "arn:aws:states:us-east-1:111111111111:execution:loop:r"
    store.create(
        ExecutionRecord(
            execution_arn=arn,
            name="r",
            machine_name="loop",
            type="STANDARD",
            definition=json.dumps(counter_loop(7_000)),
            input=json.dumps({"n": 0}),
            seed=1,
            start_date=started.timestamp,
        )
    )
    outcome = None
    if failed:
        last = steps + 1
        events.append(Event(last + 1, last, started.timestamp, "ExecutionFailed", {"error": "E"}))
        outcome = Outcome("FAILED", started.timestamp, error="E")
    store.append(arn, [started, *events], expected_last_id=0, outcome=outcome)
    return "r"


# A history stored RUNNING at the quota (by a process that died there, or by an engine that
# could not record the end): resume ends it instead of leaving it RUNNING.
@pytest.mark.parametrize("kept", [HISTORY_LIMIT - 1, HISTORY_LIMIT])
def test_resume_of_a_history_at_the_limit_ends_it(tmp_path: Path, kept: int) -> None:
    store = SqliteStore(tmp_path / "s.sqlite3")
    try:
        name = _stored(store, kept - 1)
        assert store.get(name).status == "RUNNING"
        result = _runner.resume(store, name)
        assert (result.status, result.error, result.cause) == ("FAILED", "States.Runtime", CAUSE)
        assert store.get(name).status == "FAILED"
        stored = store.events(store.get(name).execution_arn)
        assert stored[-1].type == "ExecutionFailed"
        assert stored[-1].id == max(kept, HISTORY_LIMIT - 1) + 1
        assert isinstance(stored[-1], Event)
    finally:
        store.close()


def _failed_at(store: SqliteStore, total: int) -> str:
    """A FAILED Standard execution whose stored history has ``total`` events; its name."""
    name = _stored(store, total - 2, failed=True)
    assert store.get(name).last_event_id == total
    return name


# RedriveExecution needs fewer than 24,999 events: room for ExecutionRedriven and one more.
@pytest.mark.parametrize("total", [24_999, HISTORY_LIMIT])
def test_asl_redrive_refuses_a_history_at_the_limit(
    tmp_path: Path, total: int, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.sqlite3"
    store = SqliteStore(path)
    try:
        name = _failed_at(store, total)
    finally:
        store.close()
    assert main(["redrive", name, "--store", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"its history has {total} events; a redrive needs fewer than 24,999" in err
    assert "Traceback" not in err
    store = SqliteStore(path)
    try:
        assert (store.get(name).status, store.get(name).last_event_id) == ("FAILED", total)
    finally:
        store.close()


def test_a_history_one_event_shorter_is_redriven(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.sqlite3")
    try:
        name = _failed_at(store, 24_998)
        result = _runner.redrive(store, name)
        assert (result.status, result.cause) == ("FAILED", CAUSE)  # the loop reaches the quota
        events = store.events(store.get(name).execution_arn)
        assert events[24_998].type == "ExecutionRedriven"
        assert len(events) == HISTORY_LIMIT
    finally:
        store.close()
