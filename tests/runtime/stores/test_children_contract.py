"""The HistoryStore contract for Distributed Map children, run against every backend: child
executions (and Map Runs) committed with their parent's events, linked, hidden from listings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from runtime.stores import ConcurrentWriteError, ExecutionNotFound, HistoryStore, Outcome
from runtime.stores.base import MAP_RUN, ChildAppend, ExecutionRecord

from .test_store_contract import ARN, T0, event, record

RUN = "arn:aws:states:us-east-1:111111111111:mapRun:m/Map:0b7a"
OTHER_RUN = "arn:aws:states:us-east-1:111111111111:mapRun:m/Map:9c1d"


def child(name: str, run: str = RUN, minute: int = 1, **fields) -> ExecutionRecord:
    values = dict(
        execution_arn=f"arn:aws:states:us-east-1:111111111111:execution:m/Map:{name}",
        name=name,
        machine_name="m/Map",
        type="STANDARD",
        definition="",
        input='{"item":1}',
        seed=0,
        start_date=T0 + timedelta(minutes=minute),
        parent_arn=ARN,
        map_run_arn=run,
    )
    values.update(fields)
    return ExecutionRecord(**values)


def started(record: ExecutionRecord, *more) -> ChildAppend:
    """A child's first commit: its record and its first events."""
    events = [event(1, "ExecutionStarted", frame="%2FMap#1/i0"), *more]
    return ChildAppend(events, 0, record=record)


def test_children_are_committed_with_their_parent(store: HistoryStore) -> None:
    store.create(record())
    a, b = child("a"), child("b", minute=2)
    store.append(
        ARN,
        [event(1, "ExecutionStarted"), event(2, "MapRunStarted", mapRunArn=RUN)],
        expected_last_id=0,
        children={a.execution_arn: started(a), b.execution_arn: started(b)},
    )
    assert [e.id for e in store.events(ARN)] == [1, 2]
    for made in (a, b):
        got = store.get(made.execution_arn)
        assert (got.status, got.parent_arn, got.map_run_arn, got.last_event_id) == (
            "RUNNING",
            ARN,
            RUN,
            1,
        )
        (first,) = store.events(made.execution_arn)
        assert (first.type, first.frame) == ("ExecutionStarted", "%2FMap#1/i0")
    assert store.get("a").execution_arn == a.execution_arn  # by name, as any execution
    assert store.get(ARN).parent_arn is None


def test_children_are_hidden_from_listings_unless_their_map_run_is_asked_for(
    store: HistoryStore,
) -> None:
    store.create(record())
    a, b, c = child("a"), child("b", minute=2), child("c", run=OTHER_RUN, minute=3)
    run = child("run", type=MAP_RUN, execution_arn=RUN, map_run_arn=RUN, minute=0)
    store.append(
        ARN,
        [event(1, "ExecutionStarted")],
        expected_last_id=0,
        children={r.execution_arn: started(r) for r in (a, b, c, run)},
    )
    assert [r.execution_arn for r in store.list()] == [ARN]
    assert [r.execution_arn for r in store.list(status="RUNNING")] == [ARN]
    assert [r.name for r in store.list(map_run_arn=RUN)] == ["b", "a"]  # not the Map Run
    assert [r.name for r in store.list(map_run_arn=OTHER_RUN)] == ["c"]
    assert [r.name for r in store.list(map_run_arn=RUN, status="FAILED")] == []
    assert [r.name for r in store.children(ARN)] == ["run", "a", "b", "c"]  # oldest first
    assert store.children(a.execution_arn) == []


def test_a_childs_end_finishes_its_record(store: HistoryStore) -> None:
    store.create(record())
    a = child("a")
    store.append(
        ARN,
        [event(1, "ExecutionStarted")],
        expected_last_id=0,
        children={a.execution_arn: started(a)},
    )
    stop = T0 + timedelta(minutes=9)
    store.append(
        ARN,
        [],  # only a child's events: the parent's history must still end at 1
        expected_last_id=1,
        children={
            a.execution_arn: ChildAppend(
                [event(2, "PassStateEntered"), event(3, "ExecutionSucceeded")],
                1,
                outcome=Outcome("SUCCEEDED", stop, output='{"done":true}'),
            )
        },
    )
    got = store.get(a.execution_arn)
    assert (got.status, got.stop_date, got.output_value, got.last_event_id) == (
        "SUCCEEDED",
        stop,
        {"done": True},
        3,
    )
    assert [r.name for r in store.list(map_run_arn=RUN, status="SUCCEEDED")] == ["a"]
    assert store.get(ARN).status == "RUNNING" and store.get(ARN).last_event_id == 1


@pytest.mark.parametrize("conflict", ["parent", "child", "created child exists"])
def test_a_family_append_is_all_or_nothing(store: HistoryStore, conflict: str) -> None:
    store.create(record())
    a, b = child("a"), child("b", minute=2)
    store.append(ARN, [event(1)], expected_last_id=0, children={a.execution_arn: started(a)})
    parent_expected = 0 if conflict == "parent" else 1
    children = {
        a.execution_arn: ChildAppend(
            [event(2)] if conflict != "child" else [event(3)],
            1 if conflict != "child" else 2,
        ),
        b.execution_arn: started(b),
    }
    if conflict == "created child exists":
        children = {a.execution_arn: started(a), b.execution_arn: started(b)}
    with pytest.raises(ConcurrentWriteError, match="another process"):
        store.append(
            ARN,
            [event(2)] if conflict != "parent" else [event(1)],
            expected_last_id=parent_expected,
            outcome=Outcome("FAILED", T0),
            children=children,
        )
    assert [e.id for e in store.events(ARN)] == [1]
    assert store.get(ARN).status == "RUNNING"
    assert [e.id for e in store.events(a.execution_arn)] == [1]
    with pytest.raises(ExecutionNotFound):
        store.get(b.execution_arn)
    assert [r.name for r in store.list(map_run_arn=RUN)] == ["a"]


def test_a_missing_child_is_not_found(store: HistoryStore) -> None:
    store.create(record())
    with pytest.raises(ExecutionNotFound):
        store.append(
            ARN,
            [event(1)],
            expected_last_id=0,
            children={child("ghost").execution_arn: ChildAppend([event(2)], 1)},
        )
    assert store.events(ARN) == []


def test_a_redriven_child_stays_hidden(store: HistoryStore) -> None:
    store.create(record())
    a = child("a")
    failed = ChildAppend(
        [event(1, "ExecutionStarted"), event(2, "ExecutionFailed")],
        0,
        outcome=Outcome("FAILED", T0, error="Boom"),
        record=a,
    )
    store.append(ARN, [event(1)], expected_last_id=0, children={a.execution_arn: failed})
    assert store.get(a.execution_arn).status == "FAILED"
    store.redrive(a.execution_arn, event(3, "ExecutionRedriven"), expected_last_id=2)
    got = store.get(a.execution_arn)
    assert (got.status, got.redrive_count) == ("RUNNING", 1)
    assert [r.execution_arn for r in store.list(status="RUNNING")] == [ARN]
    assert [r.execution_arn for r in store.list()] == [ARN]
