"""Replay: a stored history re-run through the interpreter reaches the same state.

The golden history in ``golden_parallel_retry.json`` was recorded once from
``MACHINE``; replaying it must consume every event and emit nothing new. A history recorded
from one machine and replayed against a changed machine must raise NondeterminismError.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import asl
from asl import StatesError
from runtime import NondeterminismError
from runtime.core.events import Event, render_details
from runtime.drivers.clock import VirtualClock
from runtime.drivers.execution import run_execution

GOLDEN = Path(__file__).with_name("golden_parallel_retry.json")

MACHINE = {
    "StartAt": "Fan",
    "States": {
        "Fan": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Flaky",
                    "States": {
                        "Flaky": {
                            "Type": "Task",
                            "Resource": "python:flaky",
                            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 5}],
                            "End": True,
                        }
                    },
                },
                {
                    "StartAt": "Sleep",
                    "States": {"Sleep": {"Type": "Wait", "Seconds": 30, "End": True}},
                },
            ],
            "Next": "Pick",
        },
        "Pick": {
            "Type": "Choice",
            "Choices": [{"Variable": "$[0].n", "NumericGreaterThan": 1, "Next": "Big"}],
            "Default": "Small",
        },
        "Big": {"Type": "Pass", "Result": "big", "End": True},
        "Small": {"Type": "Pass", "Result": "small", "End": True},
    },
}


def _dispatch(calls: list[str]):
    async def dispatch(request: Any) -> Any:
        calls.append(request.state_name)
        if request.attempt == 0:
            raise StatesError("Boom", "first attempt fails")
        return {"n": 2}

    return dispatch


def _run(machine: dict, recorded: list[Event] | None, calls: list[str], sink=None):
    start = datetime.fromisoformat("2026-01-01T00:00:00+00:00")
    return asyncio.run(
        run_execution(
            asl.load(machine),
            {},
            dispatch=_dispatch(calls),
            name="golden",
            clock=VirtualClock(start),
            seed=7,
            recorded=recorded,
            sink=sink,
            start_date=start,
        )
    )


def _to_json(events: list[Event]) -> list[dict[str, Any]]:
    return [
        {
            "id": e.id,
            "previousEventId": e.previous_event_id,
            "timestamp": e.timestamp.isoformat(),
            "type": e.type,
            "details": render_details(e.details),
            "frame": e.frame,
        }
        for e in events
    ]


def _from_json(rows: list[dict[str, Any]]) -> list[Event]:
    return [
        Event(
            r["id"],
            r["previousEventId"],
            datetime.fromisoformat(r["timestamp"]),
            r["type"],
            r["details"],
            r["frame"],
        )
        for r in rows
    ]


def test_fresh_run_matches_the_golden_history() -> None:
    calls: list[str] = []
    result = _run(MACHINE, None, calls)
    assert result.status == "SUCCEEDED" and result.output == "big"
    assert _to_json(result.events) == json.loads(GOLDEN.read_text())


def test_replaying_the_golden_history_repeats_nothing() -> None:
    calls: list[str] = []
    new_events: list[Event] = []
    result = _run(MACHINE, _from_json(json.loads(GOLDEN.read_text())), calls, new_events.append)
    assert result.status == "SUCCEEDED" and result.output == "big"
    assert calls == []  # no task ran again
    assert new_events == []  # every event came from history


@pytest.mark.parametrize("cut", [3, 6, 9, 12])
def test_replaying_a_prefix_continues_where_it_stopped(cut: int) -> None:
    golden = json.loads(GOLDEN.read_text())
    calls: list[str] = []
    result = _run(MACHINE, _from_json(golden[:cut]), calls)
    assert result.status == "SUCCEEDED" and result.output == "big"
    assert [e.type for e in result.events] == [r["type"] for r in golden]
    # Attempts whose outcome was recorded are not run again.
    assert len(calls) == (0 if cut >= 11 else 1 if cut >= 7 else 2)


def test_a_changed_machine_does_not_replay_silently() -> None:
    changed = json.loads(json.dumps(MACHINE))
    changed["States"]["Pick"]["Choices"][0]["NumericGreaterThan"] = 5  # now goes to Small
    calls: list[str] = []
    with pytest.raises(NondeterminismError, match="replay diverged"):
        _run(changed, _from_json(json.loads(GOLDEN.read_text())), calls)
