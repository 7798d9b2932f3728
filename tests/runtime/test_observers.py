"""Observers see every stored event once, in order, from each way an execution is recorded."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.drivers import observers
from runtime.drivers.run_path import Executions
from runtime.drivers.runner import RunOptions
from runtime.drivers.stopping import stop
from runtime.stores import SqliteStore

WAIT_THEN_PASS = {
    "StartAt": "W",
    "States": {
        "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
        "P": {"Type": "Pass", "End": True},
    },
}
DISTRIBUTED = {
    "StartAt": "M",
    "States": {
        "M": {
            "Type": "Map",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P",
                "States": {"P": {"Type": "Pass", "End": True}},
            },
            "End": True,
        }
    },
}


@pytest.fixture
def seen() -> Iterator[dict[str, list]]:
    by_arn: dict[str, list] = defaultdict(list)
    remove = observers.add_observer(lambda arn, events: by_arn[arn].extend(events))
    yield by_arn
    remove()


def run(tmp_path: Path, definition: dict, value) -> tuple[SqliteStore, str]:
    store = SqliteStore(tmp_path / "s.sqlite3")
    options = RunOptions(time_skip=True)
    result = Executions(store).start(
        json.dumps(definition), value, machine_name="m", options=options
    )
    return store, result.execution_arn


def test_every_stored_event_once_in_order(tmp_path: Path, seen) -> None:
    store, arn = run(tmp_path, WAIT_THEN_PASS, {})
    stored = store.events(arn)
    assert [e.id for e in seen[arn]] == [e.id for e in stored]
    assert seen[arn][-1].type == "ExecutionSucceeded"


def test_distributed_map_children_come_under_their_own_arns(tmp_path: Path, seen) -> None:
    store, arn = run(tmp_path, DISTRIBUTED, [1, 2, 3])
    children = [a for a in seen if a != arn]
    assert len(children) >= 3
    for child in store.children(arn):
        assert [e.id for e in seen[child.execution_arn]] == [
            e.id for e in store.events(child.execution_arn)
        ]


def test_a_stop_is_observed(tmp_path: Path, seen) -> None:
    from datetime import UTC, datetime

    from runtime.drivers.runner import new_record

    store = SqliteStore(tmp_path / "s.sqlite3")
    record = new_record(
        json.dumps(WAIT_THEN_PASS),
        {},
        kind="STANDARD",
        name="x",
        machine_name="m",
        filename="m.json",
        options=RunOptions(),
        seed=1,
        start_date=datetime.now(UTC),
    )
    store.create(record)
    stop(store, record.execution_arn, "Halt", "by hand")
    assert [e.type for e in seen[record.execution_arn]] == ["ExecutionAborted"]


def test_a_failing_observer_never_fails_the_execution(tmp_path: Path) -> None:
    def broken(arn, events):
        raise RuntimeError("observer bug")

    remove = observers.add_observer(broken)
    try:
        store, arn = run(tmp_path, WAIT_THEN_PASS, {})
        assert store.get(arn).status == "SUCCEEDED"
    finally:
        remove()
