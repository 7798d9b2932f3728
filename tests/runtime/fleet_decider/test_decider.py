"""Decisions (runtime.drivers.decider) on a LocalFleet: compare-and-swap races, duplicate
deliveries, durable deadlines. The fleet over Celery is tests/fleet/test_decider_fleet.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from runtime import execute
from runtime.drivers.decider import decide
from runtime.drivers.decider_local import LocalFleet, execute_decided
from runtime.drivers.execution import execution_arn
from runtime.stores.base import ExecutionRecord
from runtime.stores.memory import MemoryStore

START = datetime(2026, 1, 1, tzinfo=UTC)


def fn(event: Any, context: Any) -> Any:
    return {"seen": event}


def fails(event: Any, context: Any) -> Any:
    raise ValueError("no")


LAMBDAS = {"fn": fn, "fails": fails}


def task(function: str = "fn", **fields: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": f"arn:aws:lambda:us-east-1:111111111111:function:{function}",
        **fields,
    }


def machine(states: dict[str, Any], start: str) -> dict[str, Any]:
    return {"StartAt": start, "States": states}


PARALLEL = machine(
    {
        "P": {
            "Type": "Parallel",
            "Branches": [
                machine({"A": task(End=True)}, "A"),
                machine(
                    {"W": {"Type": "Wait", "Seconds": 3, "Next": "B"}, "B": task(End=True)}, "W"
                ),
            ],
            "Next": "M",
        },
        "M": {
            "Type": "Map",
            "ItemsPath": "$[0].seen.items",
            "ItemProcessor": machine({"T": task(End=True)}, "T"),
            "End": True,
        },
    },
    "P",
)
RETRIED = machine(
    {
        "T": task(
            "fails",
            Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "MaxAttempts": 1}],
            Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done", "ResultPath": None}],
            End=True,
        ),
        "Done": {"Type": "Pass", "End": True},
    },
    "T",
)
CHOICE_LOOP = machine(
    {
        "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.i", "Next": "Check"},
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": 3, "Next": "End"}],
            "Default": "Work",
        },
        "Work": task(ResultPath="$.last", Next="Inc"),
        "Inc": {
            "Type": "Pass",
            "Parameters": {"i.$": "States.MathAdd($.i, 1)", "items.$": "$.items"},
            "Next": "Check",
        },
        "End": {"Type": "Succeed"},
    },
    "Init",
)


@pytest.mark.parametrize(
    "definition",
    [PARALLEL, RETRIED, CHOICE_LOOP],
    ids=["parallel-map", "retry-catch", "choice-loop"],
)
def test_decisions_record_the_history_the_in_process_driver_records(definition: dict) -> None:
    value = {"items": [1, 2, 3]}
    decided, fleet = execute_decided(definition, value, lambdas=LAMBDAS, name="e")
    direct = execute(
        definition,
        value,
        lambdas=LAMBDAS,
        name="e",
        state_machine_name="machine",
        time_skip=True,
        seed=0,
    )
    assert decided.status == direct.status == "SUCCEEDED"
    assert decided.output == direct.output
    shape = lambda events: [(e.type, e.id, e.previous_event_id) for e in events]  # noqa: E731
    assert shape(decided.events) == shape(direct.events)
    assert fleet.decisions > 1  # it really ran decision by decision


def _record(definition: dict, value: Any, name: str = "e") -> ExecutionRecord:
    return ExecutionRecord(
        execution_arn=execution_arn("machine", name),
        name=name,
        machine_name="machine",
        type="STANDARD",
        definition=json.dumps(definition),
        input=json.dumps(value),
        seed=1,
        start_date=START,
    )


class Racing:
    """A store whose first append lets another decider commit first (the race SWF's deciders
    run: two decision tasks of one execution at once)."""

    def __init__(self, store: MemoryStore, rival: Any) -> None:
        self.store, self.rival, self.raced = store, rival, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def append(self, arn: str, events: Any, **kwargs: Any) -> None:
        if not self.raced:
            self.raced = True
            self.rival()
        self.store.append(arn, events, **kwargs)


def test_the_losing_decider_drops_its_work_and_decides_again() -> None:
    from runtime.drivers.runner import result_of

    store = MemoryStore()
    fleet = LocalFleet(store, _dispatch(), start=START)
    arn = fleet.submit(_record(PARALLEL, {"items": [1]})).execution_arn
    decide(store, arn, fleet)  # schedules A, parks B's branch on its Wait
    (attempt,) = fleet.take_attempts()
    fleet.post_outcome(attempt.attempt_id, {"value": json.dumps({"seen": {"items": [1]}})})
    racing = Racing(store, lambda: decide(store, arn, fleet))
    before = store.get(arn).last_event_id
    decision = decide(racing, arn, fleet)  # loses the swap, then finds nothing left to do
    assert racing.raced and decision is not None and decision.events == []
    events = store.events(arn)
    assert [e.id for e in events] == list(range(1, len(events) + 1))
    assert sum(e.type == "LambdaFunctionSucceeded" for e in events) == 1
    assert store.get(arn).last_event_id > before
    fleet.run()
    result = result_of(store.get(arn), store.events(arn))
    assert result.status == "SUCCEEDED", result
    assert sum(e.type == "LambdaFunctionSucceeded" for e in result.events) == 3


def test_a_decision_delivered_twice_records_nothing_more() -> None:
    store = MemoryStore()
    fleet = LocalFleet(store, _dispatch(), start=START)
    arn = fleet.submit(_record(PARALLEL, {"items": [1]})).execution_arn
    decide(store, arn, fleet)
    last = store.get(arn).last_event_id
    again = decide(store, arn, fleet)
    assert again is not None and again.events == []
    assert store.get(arn).last_event_id == last


class Dropping(LocalFleet):
    """A fleet whose workers never answer: only the decider's own deadlines end an attempt."""

    def send(self, arn: str, attempt_id: str, request: Any, *, fresh: bool) -> None:
        self.sent.add(attempt_id)


@pytest.mark.parametrize(
    ("fields", "error", "seconds"),
    [
        ({"TimeoutSeconds": 5}, "States.Timeout", 5),
        ({"HeartbeatSeconds": 3, "TimeoutSeconds": 60}, "States.HeartbeatTimeout", 3),
    ],
)
def test_attempt_deadlines_fire_from_the_store(fields: dict, error: str, seconds: int) -> None:
    store = MemoryStore()
    fleet = Dropping(store, _dispatch(), start=START)
    arn = fleet.submit(_record(machine({"T": task(End=True, **fields)}, "T"), {})).execution_arn
    if "HeartbeatSeconds" in fields:  # the worker took it at once, then went silent
        decide(store, arn, fleet)
        (attempt_id,) = fleet.sent
        fleet.beats[attempt_id] = fleet.clock.now().timestamp()
    fleet.run()
    record = store.get(arn)
    assert (record.status, record.error) == ("FAILED", error)
    events = {e.type: e for e in store.events(arn)}
    waited = (
        events["LambdaFunctionTimedOut"].timestamp - events["LambdaFunctionScheduled"].timestamp
    )
    assert waited.total_seconds() == seconds


def test_a_retry_delay_is_not_moved_by_a_later_decision() -> None:
    store = MemoryStore()
    fleet = LocalFleet(store, _dispatch(), start=START)
    arn = fleet.submit(_record(RETRIED, {})).execution_arn
    decide(store, arn, fleet)  # first attempt sent
    (attempt,) = fleet.take_attempts()
    fleet.post_outcome(attempt.attempt_id, {"raised": {"error": "ValueError", "cause": "no"}})
    decide(store, arn, fleet)  # failed: the retry waits 10 s
    fleet.clock.advance(3)
    decide(store, arn, fleet)  # a spurious decision 3 s later computes now + 10 again
    fleet.run()
    scheduled = [e.timestamp for e in store.events(arn) if e.type == "LambdaFunctionScheduled"]
    failed = [e.timestamp for e in store.events(arn) if e.type == "LambdaFunctionFailed"]
    assert (scheduled[1] - failed[0]).total_seconds() == 10


def _dispatch() -> Any:
    from runtime.tasks import build_dispatch

    return build_dispatch(lambdas=LAMBDAS)


DISTRIBUTED = machine(
    {
        "M": {
            "Type": "Map",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                **machine({"T": task(End=True)}, "T"),
            },
            "End": True,
        }
    },
    "M",
)


def test_distributed_map_children_are_stored_and_never_run_again() -> None:
    store = MemoryStore()
    result, fleet = execute_decided(DISTRIBUTED, [1, 2, 3], lambdas=LAMBDAS, store=store)
    assert result.status == "SUCCEEDED", result
    assert fleet.attempts == 3  # one per child: later decisions hand finished ones back
    children = store.children(result.execution_arn)
    assert [c.status for c in children] == ["SUCCEEDED"] * 3
    for child in children:
        types = [e.type for e in store.events(child.execution_arn)]
        assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    assert store.list() == [store.get(result.execution_arn)]  # children hidden, as on AWS


def test_an_execution_whose_history_does_not_replay_ends_failed() -> None:
    """A stored history the definition no longer produces: the decision ends the execution
    FAILED with the reason, instead of leaving it RUNNING for ever."""
    store = MemoryStore()
    fleet = LocalFleet(store, _dispatch(), start=START)
    arn = fleet.submit(_record(PARALLEL, {"items": [1]})).execution_arn
    decide(store, arn, fleet)  # records the Parallel's start
    changed = store.get(arn)
    changed.definition = json.dumps(RETRIED)  # as if the definition changed underneath
    other = MemoryStore()
    other.create(changed)
    other.append(arn, store.events(arn), expected_last_id=0)
    decision = decide(other, arn, fleet)
    assert decision is not None and decision.ended
    record = other.get(arn)
    assert (record.status, record.error) == ("FAILED", "States.Runtime")
    assert "cannot continue" in record.cause and "replay diverged" in record.cause
