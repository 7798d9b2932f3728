"""Scopes whose states never wait run as plain loops; the result must be what the coroutine
path (concurrent asyncio tasks that never yield) gives: same events, same chaining, same end."""

from __future__ import annotations

import json
from typing import Any

import pytest

import asl
from asl import model as m
from runtime.drivers.clock import VirtualClock
from runtime.drivers.execution import run_execution
from runtime.drivers.loop import run_sync


def _with_coroutines(machine: m.StateMachine) -> None:
    """Mark every scope of ``machine`` as waiting, so the coroutine path runs."""
    for state in machine.iter_all_states():
        if isinstance(state, m.ParallelState):
            object.__setattr__(state, "immediate", False)
            for branch in state.branches:
                object.__setattr__(branch, "immediate", False)
        elif isinstance(state, m.MapState) and state.processor is not None:
            object.__setattr__(state.processor, "immediate", False)
    object.__setattr__(machine, "immediate", False)


def _run(definition: dict[str, Any], value: Any, coroutines: bool) -> Any:
    machine = asl.load(json.dumps(definition))
    if coroutines:
        _with_coroutines(machine)
    result = run_sync(
        run_execution(machine, value, dispatch=None, clock=VirtualClock(), seed=7, name="n")
    )
    events = [
        (e.id, e.previous_event_id, e.type, json.dumps(e.to_dict().get(_key(e)), sort_keys=True))
        for e in result.events
    ]
    return result.status, result.output, result.error, result.cause, events


def _key(event: Any) -> str:
    from runtime.core.events import details_key

    return details_key(event.type)


def _fail(name: str) -> dict[str, Any]:
    return {"Type": "Fail", "Error": name, "Cause": f"{name} failed"}


def _pass_chain(prefix: str, n: int, end: dict[str, Any] | None = None) -> dict[str, Any]:
    """A branch of ``n`` Pass states named ``<prefix>0``..., then ``end`` if given."""
    names = [f"{prefix}{i}" for i in range(n)] + ([f"{prefix}End"] if end else [])
    states: dict[str, Any] = {}
    for i, name in enumerate(names[:n]):
        states[name] = {"Type": "Pass", "Result": {"step": i}, "ResultPath": f"$.s{i}"}
        if i + 1 < len(names):
            states[name]["Next"] = names[i + 1]
        else:
            states[name]["End"] = True
    if end:
        states[names[-1]] = end
    return {"StartAt": names[0], "States": states}


def _parallel(branches: list[dict[str, Any]], catch: bool = True) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Parallel", "Branches": branches, "End": True}
    states = {"P": state}
    if catch:
        state["Catch"] = [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}
        ]
        states["Caught"] = {"Type": "Pass", "End": True}
    return {"StartAt": "P", "States": states}


def _map(processor: dict[str, Any], **fields: Any) -> dict[str, Any]:
    state = {
        "Type": "Map",
        "ItemsPath": "$.items",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **processor},
        "End": True,
        **fields,
    }
    return {"StartAt": "M", "States": {"M": state}}


_CHOOSE = {
    "StartAt": "C",
    "States": {
        "C": {
            "Type": "Choice",
            "Choices": [{"Variable": "$", "NumericGreaterThanEquals": 3, "Next": "Bad"}],
            "Default": "Good",
        },
        "Good": {"Type": "Pass", "Parameters": {"v.$": "$"}, "End": True},
        "Bad": _fail("Item.Bad"),
    },
}

CASES = [
    (
        "parallel, all succeed",
        _parallel([_pass_chain("A", 2), _pass_chain("B", 3), _pass_chain("C", 1)]),
        {},
    ),
    (
        "parallel, the second of three fails",
        _parallel([_pass_chain("A", 2), _pass_chain("B", 2, _fail("B.Two")), _pass_chain("C", 3)]),
        {},
    ),
    (
        "parallel, two fail: the first in branch order wins",
        _parallel(
            [
                _pass_chain("A", 1),
                _pass_chain("B", 3, _fail("B.Two")),
                _pass_chain("C", 1, _fail("B.3")),
            ]
        ),
        {},
    ),
    ("parallel, uncaught failure", _parallel([_pass_chain("A", 1, _fail("X"))], catch=False), {}),
    ("map, all succeed", _map(_CHOOSE), {"items": [0, 1, 2]}),
    ("map, an item fails", _map(_CHOOSE), {"items": [0, 1, 5, 2, 7]}),
    (
        "map, failures tolerated",
        _map(_CHOOSE, ToleratedFailureCount=2),
        {"items": [5, 0, 6, 1, 2]},
    ),
    (
        "map, tolerance exceeded",
        _map(_CHOOSE, ToleratedFailurePercentage=20),
        {"items": [0, 5, 1, 6, 2, 7]},
    ),
    ("map, one at a time", _map(_CHOOSE, MaxConcurrency=1), {"items": [2, 1, 0, 4]}),
    (
        "map with an item selector reading $$.Map.Item",
        _map(
            _CHOOSE,
            ItemSelector={"i.$": "$$.Map.Item.Index"},
        ),
        {"items": ["a", "b", "c", "d"]},
    ),
]


@pytest.mark.parametrize(("definition", "value"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_plain_loop_matches_coroutines(definition: dict[str, Any], value: Any) -> None:
    immediate = _run(definition, value, coroutines=False)
    awaited = _run(definition, value, coroutines=True)
    assert immediate == awaited


def test_scopes_are_marked_immediate_only_without_waiting_states() -> None:
    machine = asl.load(
        json.dumps(
            _parallel(
                [
                    _pass_chain("A", 1),
                    {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}},
                ]
            )
        )
    )
    parallel = machine.states["P"]
    assert [b.immediate for b in parallel.branches] == [True, False]
    assert parallel.immediate is False
    assert machine.immediate is False
