"""Hosts record compact tuples; an execution's events are made from them when first read.

The light recorder (Express in memory: nothing to replay, no sink, no history limit, the real
clock) and the general one must give the same history, and reading it must not change it.
"""

from __future__ import annotations

import gc
import time
from typing import Any

import pytest

import runtime
from runtime.core.events import Event
from runtime.core.interpreter import Frame
from runtime.drivers.clock import RealClock
from runtime.drivers.execution import Host, event_of, record_of

MACHINE = {
    "StartAt": "Try",
    "States": {
        "Try": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Prepare",
                    "States": {
                        "Prepare": {"Type": "Pass", "Result": {"ok": False}, "Next": "Boom"},
                        "Boom": {"Type": "Fail", "Error": "Bench.Boom", "Cause": "planned"},
                    },
                }
            ],
            "Catch": [{"ErrorEquals": ["Bench.Boom"], "ResultPath": "$.err", "Next": "Map"}],
            "Next": "Map",
        },
        "Map": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "StartAt": "Echo",
                "States": {"Echo": {"Type": "Pass", "End": True}},
            },
            "ResultPath": "$.echoed",
            "End": True,
        },
    },
}
INPUT = {"items": [1, 2, 3]}


def _shape(events: list[Event]) -> list[tuple[Any, ...]]:
    return [
        (e.id, e.previous_event_id, e.type, e.frame, e.to_dict().get("stateEnteredEventDetails"))
        for e in events
    ]


def _host(**options: Any) -> Host:
    async def dispatch(request: Any) -> Any:
        raise AssertionError("no tasks here")

    return Host(dispatch=dispatch, clock=RealClock(), seed=1, **options)


def test_light_recorder_only_where_nothing_else_is_needed() -> None:
    assert "emit" in vars(_host(history_limit=None))  # bound once, per host
    assert "emit" not in vars(_host())  # a history limit to enforce
    assert "emit" not in vars(_host(history_limit=None, sink=lambda event: None))


@pytest.mark.parametrize("history_limit", [None, 25_000], ids=["light", "general"])
def test_both_recorders_make_the_same_records(history_limit: int | None) -> None:
    host = _host(history_limit=history_limit)
    root = Frame("", {}, {}, {})
    first = host.emit(root, "ExecutionStarted", {"input": "{}"}, advance=False)
    second = host.emit(root, "PassStateEntered", {"name": "A"})
    third = host.emit(root, "PassStateExited", {"name": "A"}, previous=1, advance=False)
    assert [r[0] for r in (first, second, third)] == [1, 2, 3]
    assert [r[1] for r in (first, second, third)] == [0, 0, 1]
    assert [r[3] for r in (first, second, third)] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
    ]
    assert root.last_event_id == 2  # advance=False left the chain where it was
    assert host.records == [first, second, third]
    assert all(abs(r[2] - time.time_ns()) < 10**10 for r in (first, second, third))  # nanos
    event = event_of(third)
    assert (event.id, event.millis, event.type) == (3, third[2] // 1_000_000, "PassStateExited")
    assert record_of(event)[2] == event.millis * 1_000_000


def test_events_are_made_once_from_the_records() -> None:
    result = runtime.execute(MACHINE, INPUT, express=True)
    assert result.status == "SUCCEEDED", result
    assert all(type(r) is tuple for r in result.records)
    events = result.events
    assert events is result.events  # made on the first reading, kept
    records = list(result.records)
    assert [(e.id, e.previous_event_id, e.millis, e.type, e.frame) for e in events] == [
        (r[0], r[1], r[2] // 1_000_000, r[3], r[5]) for r in records
    ]
    # A state's entry and exit are recorded as (name, payload), a Map iteration's events as
    # (name, index); their events have the usual dicts.
    compact = [r for r in records if type(r[4]) is tuple]
    assert {r[3] for r in compact} >= {"ParallelStateEntered", "PassStateExited"}
    by_id = {e.id: e for e in events}
    for r in compact:
        name, second = r[4]
        if r[3].startswith("MapIteration"):  # (name, index)
            assert by_id[r[0]].details == {"index": second, "name": name}
            continue
        key = "input" if r[3].endswith("Entered") else "output"
        assert by_id[r[0]].details == {
            "name": name,
            key: second,
            key + "Details": {"truncated": False},
        }
    assert [e["id"] for e in result.history] == list(range(1, len(events) + 1))


def test_express_and_standard_histories_have_the_same_shape() -> None:
    express = runtime.execute(MACHINE, INPUT, express=True)
    standard = runtime.execute(MACHINE, INPUT)
    assert (
        express.output
        == standard.output
        == {
            "items": [1, 2, 3],
            "err": {"Error": "Bench.Boom", "Cause": "planned"},
            "echoed": [1, 2, 3],
        }
    )
    assert _shape(express.events) == _shape(standard.events)


def test_a_history_is_freed_without_the_cycle_collector() -> None:
    runtime.execute(MACHINE, INPUT, express=True)  # imports and caches settle first
    gc.collect()
    gc.disable()
    try:
        result = runtime.execute(MACHINE, INPUT, express=True)
        assert len(result.records) > 10
        del result
        assert gc.collect() == 0  # nothing was left in a reference cycle
    finally:
        gc.enable()
