"""The HistoryStore contract, run against every backend (see conftest.BACKENDS)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from runtime.core.events import Event
from runtime.stores import (
    ConcurrentWriteError,
    ExecutionAlreadyExists,
    ExecutionNotFound,
    ExecutionRecord,
    HistoryStore,
    LeaseHeld,
    Outcome,
)

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
ARN = "arn:aws:states:us-east-1:111111111111:execution:m:run-1"


def record(name: str = "run-1", machine: str = "m", **fields) -> ExecutionRecord:
    values = dict(
        execution_arn=f"arn:aws:states:us-east-1:111111111111:execution:{machine}:{name}",
        name=name,
        machine_name=machine,
        type="STANDARD",
        definition='{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}',
        input='{"a": 1}',
        seed=2**63 - 1,
        start_date=T0,
        filename="m.json",
        options={"lambdas": {"F": "mod:fn"}, "time_skip": True},
    )
    values.update(fields)
    return ExecutionRecord(**values)


def event(id_: int, type_: str = "PassStateEntered", frame: str = "", **details) -> Event:
    return Event(id_, id_ - 1, T0 + timedelta(seconds=id_), type_, details or None, frame)


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


HOST = socket.gethostname()


# -- records -------------------------------------------------------------------------------------


def test_create_then_get_by_arn_and_by_name(store: HistoryStore) -> None:
    stored, created = store.create(record())
    assert created and stored.status == "RUNNING" and stored.last_event_id == 0
    for key in (ARN, "run-1"):
        got = store.get(key)
        assert got.execution_arn == ARN
        assert (got.name, got.machine_name, got.type, got.filename) == (
            "run-1",
            "m",
            "STANDARD",
            "m.json",
        )
        assert got.seed == 2**63 - 1
        assert got.start_date == T0 and got.start_date.tzinfo is not None
        assert got.options == {"lambdas": {"F": "mod:fn"}, "time_skip": True}
        assert got.input_value == {"a": 1}


def test_get_returns_copies(store: HistoryStore) -> None:
    store.create(record())
    got = store.get(ARN)
    got.status = "SUCCEEDED"
    got.options["x"] = 1
    assert store.get(ARN).status == "RUNNING" and "x" not in store.get(ARN).options


@pytest.mark.parametrize(
    ("first_status", "second_input", "expect"),
    [
        ("RUNNING", '{"a": 1}', "same"),  # idempotent StartExecution
        ("RUNNING", '{"a":1}', "same"),  # the same JSON, spelt differently
        ("RUNNING", '{"a": 2}', ExecutionAlreadyExists),
        ("SUCCEEDED", '{"a": 1}', ExecutionAlreadyExists),
        ("FAILED", '{"a": 2}', ExecutionAlreadyExists),
    ],
)
def test_name_uniqueness_as_start_execution(
    store: HistoryStore, first_status: str, second_input: str, expect: object
) -> None:
    store.create(record())
    if first_status != "RUNNING":
        store.append(
            ARN,
            [event(1, "ExecutionStarted")],
            expected_last_id=0,
            outcome=Outcome(first_status, T0),
        )
    if expect == "same":
        existing, created = store.create(record(input=second_input, seed=1))
        assert not created and existing.seed == 2**63 - 1
    else:
        with pytest.raises(expect, match="Already Exists"):
            store.create(record(input=second_input))


@pytest.mark.parametrize("call", ["get", "events", "snapshot"])
def test_unknown_execution(store: HistoryStore, call: str) -> None:
    with pytest.raises(ExecutionNotFound, match="nope"):
        getattr(store, call)("nope")


def test_ambiguous_name_asks_for_the_arn(store: HistoryStore) -> None:
    store.create(record(machine="m1"))
    store.create(record(machine="m2"))
    with pytest.raises(ExecutionNotFound, match="several"):
        store.get("run-1")
    assert store.get(record(machine="m2").execution_arn).machine_name == "m2"


def test_list_newest_first_and_by_status(store: HistoryStore) -> None:
    for i in range(3):
        store.create(record(f"r{i}", start_date=T0 + timedelta(minutes=i)))
    store.append(record("r1").execution_arn, [], expected_last_id=0, outcome=Outcome("FAILED", T0))
    assert [r.name for r in store.list()] == ["r2", "r1", "r0"]
    assert [r.name for r in store.list(status="FAILED")] == ["r1"]
    assert [r.name for r in store.list(status="RUNNING")] == ["r2", "r0"]


# -- events --------------------------------------------------------------------------------------


def test_events_round_trip(store: HistoryStore) -> None:
    store.create(record())
    events = [
        event(1, "ExecutionStarted", input='{"a":1}', inputDetails={"truncated": False}),
        event(2, "MapIterationStarted", frame="/Map/0", index=0, name="Map"),
        Event(3, 1, T0, "PassStateEntered", {"name": "Ünïcode ✓"}, ""),
        event(4, "WaitStateExited"),
    ]
    for e in events:
        store.append(ARN, [e], expected_last_id=e.id - 1)
    got = store.events(ARN)
    assert [(e.id, e.previous_event_id, e.timestamp, e.type, e.details, e.frame) for e in got] == [
        (e.id, e.previous_event_id, e.timestamp, e.type, e.details, e.frame) for e in events
    ]
    assert got[3].details is None
    assert store.get(ARN).last_event_id == 4


def test_snapshot_is_the_record_with_its_history(store: HistoryStore) -> None:
    store.create(record())
    store.append(ARN, [event(1), event(2)], expected_last_id=0)
    got, events = store.snapshot(ARN)
    assert got.execution_arn == ARN and got.last_event_id == 2
    assert [e.id for e in events] == [1, 2]


def test_append_is_compare_and_swap(store: HistoryStore) -> None:
    store.create(record())
    store.append(ARN, [event(1), event(2)], expected_last_id=0)
    with pytest.raises(ConcurrentWriteError, match="another process"):
        store.append(ARN, [event(2)], expected_last_id=1)  # a second writer, one step behind
    with pytest.raises(ConcurrentWriteError):
        store.append(ARN, [event(3)], expected_last_id=0, outcome=Outcome("FAILED", T0))
    assert [e.id for e in store.events(ARN)] == [1, 2]
    assert store.get(ARN).status == "RUNNING"


def test_append_with_outcome_finishes_the_record(store: HistoryStore) -> None:
    store.create(record())
    stop = T0 + timedelta(seconds=5)
    store.append(
        ARN,
        [event(1, "ExecutionStarted"), event(2, "ExecutionSucceeded")],
        expected_last_id=0,
        outcome=Outcome("SUCCEEDED", stop, output='{"ok":true}'),
    )
    got = store.get(ARN)
    assert (got.status, got.stop_date, got.output_value, got.error) == (
        "SUCCEEDED",
        stop,
        {"ok": True},
        None,
    )


def test_redrive_reopens_the_execution(store: HistoryStore) -> None:
    store.create(record())
    store.append(
        ARN,
        [event(1, "ExecutionStarted"), event(2, "ExecutionFailed")],
        expected_last_id=0,
        outcome=Outcome("FAILED", T0, error="Boom", cause="why"),
    )
    redriven = event(3, "ExecutionRedriven", redriveCount=1)
    with pytest.raises(ConcurrentWriteError):
        store.redrive(ARN, redriven, expected_last_id=1)
    store.redrive(ARN, redriven, expected_last_id=2)
    got = store.get(ARN)
    assert (got.status, got.error, got.cause, got.stop_date) == ("RUNNING", None, None, None)
    assert (got.redrive_count, got.redrive_date, got.last_event_id) == (1, redriven.timestamp, 3)
    assert store.events(ARN)[-1].details == {"redriveCount": 1}


# -- leases --------------------------------------------------------------------------------------


def test_lease_is_exclusive_while_its_owner_lives(store: HistoryStore) -> None:
    store.create(record())
    live_owner = f"{HOST}:{os.getppid()}"  # our parent process: alive
    store.acquire(ARN, live_owner)
    with pytest.raises(LeaseHeld, match="another process"):
        store.acquire(ARN, f"{HOST}:{os.getpid()}")
    assert store.heartbeat(ARN, live_owner)
    assert not store.heartbeat(ARN, "someone:else")
    store.release(ARN, "someone:else")  # not the owner: no effect
    assert store.get(ARN).lease_owner == live_owner
    store.release(ARN, live_owner)
    store.acquire(ARN, f"{HOST}:{os.getpid()}")


@pytest.mark.parametrize(
    ("owner", "heartbeat_age", "free"),
    [
        ("dead", 0, True),  # this host, the process is gone
        ("other-host:4242", 5, False),  # another host, fresh heartbeat
        ("other-host:4242", 3600, True),  # another host, stale heartbeat
        ("me", 0, True),  # our own lease (a retry in the same process)
    ],
)
def test_lease_taken_over_when_abandoned(
    store: HistoryStore, owner: str, heartbeat_age: float, free: bool
) -> None:
    owner = {"dead": f"{HOST}:{dead_pid()}", "me": f"{HOST}:{os.getpid()}"}.get(owner, owner)
    store.create(record(lease_owner=owner, lease_heartbeat=time.time() - heartbeat_age))
    me = f"{HOST}:{os.getpid()}"
    if free:
        store.acquire(ARN, me)
        assert store.get(ARN).lease_owner == me
    else:
        with pytest.raises(LeaseHeld):
            store.acquire(ARN, me)
