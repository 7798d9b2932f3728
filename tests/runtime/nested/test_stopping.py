"""F2 and StopExecution: a child nobody waits for any more is stopped (ABORTED, recorded) and its
run in this process ends at once, whatever it was waiting for."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

import runtime
from runtime.callbacks import current_hub
from runtime.callbacks.machines import add_stopper
from runtime.drivers.nested import NESTED as CHILDREN
from runtime.stores.base import RUNNING
from tests.runtime.nested.support import (
    LONG_WAIT,
    SFN,
    START,
    child,
    one_state,
    starting,
    submitted,
    wait_until,
)

BLOCKED = "arn:aws:lambda:us-east-1:111111111111:function:blocked"
FAILING = "arn:aws:lambda:us-east-1:111111111111:function:fail_once_a_child_runs"


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """What the blocked handler waits for: opened when the test ends."""
    event = threading.Event()
    yield event
    event.set()


def status(arn: str) -> str:
    return str(current_hub().store.get(arn).status)


def assert_stopped(arn: str) -> None:
    """The child ended ABORTED (``ExecutionAborted`` its last event); its run here is over."""
    wait_until(lambda: status(arn) != RUNNING, 30, f"{arn} to end")
    assert status(arn) == "ABORTED"
    assert current_hub().store.events(arn)[-1].type == "ExecutionAborted"
    future = CHILDREN.future(arn)
    assert future is not None
    wait_until(future.done, 30, f"the run of {arn} to end here")


def test_a_sync_task_past_its_timeout_stops_its_child() -> None:
    state = starting(START + ".sync", child(LONG_WAIT), {}, TimeoutSeconds=1)
    result = runtime.execute(one_state(state), {})
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    assert_stopped(submitted(result)["ExecutionArn"])


def test_a_parent_past_its_own_timeout_stops_its_child() -> None:
    state = starting(START + ".sync:2", child(LONG_WAIT), {})
    result = runtime.execute(one_state(state, TimeoutSeconds=1), {})
    assert result.status == "TIMED_OUT"
    assert_stopped(submitted(result)["ExecutionArn"])


def test_a_failed_parallel_branch_stops_the_child_of_the_other() -> None:
    kid = child(LONG_WAIT)
    name = kid.rsplit(":", 1)[1]

    def fail_once_a_child_runs(event: Any, context: Any) -> None:
        store = current_hub().store
        wait_until(
            lambda: [r for r in store.list(status=RUNNING) if r.machine_name == name],
            30,
            "the other branch's child",
        )
        raise RuntimeError("this branch fails")

    branches = [
        {"StartAt": "Child", "States": {"Child": {**starting(START + ".sync", kid), "End": True}}},
        {"StartAt": "Fail", "States": {"Fail": {"Type": "Task", "Resource": FAILING, "End": True}}},
    ]
    parallel = {"Type": "Parallel", "Branches": branches}
    result = runtime.execute(one_state(parallel), {}, lambdas={FAILING: fail_once_a_child_runs})
    assert (result.status, result.error) == ("FAILED", "RuntimeError")
    (record,) = [r for r in current_hub().store.list() if r.machine_name == name]
    assert_stopped(record.execution_arn)


def stopping(arn: str, *, before: dict[str, Any] | None = None) -> dict[str, Any]:
    """A machine starting ``arn``, then stopping that execution with an error and a cause."""
    stop = {"ExecutionArn.$": "$.started.ExecutionArn", "Error": "Halt", "Cause": "enough"}
    return {
        "StartAt": "Start",
        "States": {
            "Start": {
                "Type": "Task",
                "Resource": SFN + "startExecution",
                "Parameters": {"StateMachineArn": arn},
                "ResultPath": "$.started",
                "Next": "Stop",
            },
            "Stop": {
                "Type": "Task",
                "Resource": SFN + "stopExecution",
                "Parameters": stop,
                "ResultPath": "$.stopped",
                "End": True,
            },
        },
    }


def test_stop_execution_ends_a_waiting_childs_run_here() -> None:
    result = runtime.execute(stopping(child(LONG_WAIT)), {})
    assert result.status == "SUCCEEDED", result.cause
    arn = result.output["started"]["ExecutionArn"]
    assert_stopped(arn)
    record = current_hub().store.get(arn)
    assert (record.error, record.cause) == ("Halt", "enough")


def test_stop_execution_ends_a_child_waiting_on_a_lambda(gate: threading.Event) -> None:
    entered = threading.Event()

    def blocked(event: Any, context: Any) -> dict[str, Any]:
        entered.set()
        gate.wait()
        return {}

    def wait_for_the_handler(event: Any, context: Any) -> dict[str, Any]:
        entered.wait()
        return event

    kid = child(one_state({"Type": "Task", "Resource": BLOCKED}))
    definition = stopping(kid)
    definition["States"]["Start"]["Next"] = "Entered"
    definition["States"]["Entered"] = {"Type": "Task", "Resource": FAILING, "Next": "Stop"}
    handlers = {BLOCKED: blocked, FAILING: wait_for_the_handler}
    result = runtime.execute(definition, {}, lambdas=handlers)
    assert result.status == "SUCCEEDED", result.cause
    assert_stopped(result.output["started"]["ExecutionArn"])
    assert not gate.is_set()  # the handler itself is still blocked: only the run ended


def test_stop_execution_asks_this_processs_stoppers() -> None:
    asked: list[str] = []

    def stopper(arn: str) -> bool:
        asked.append(arn)
        return False  # not run by it: the others are asked too

    remove = add_stopper(stopper)
    try:
        result = runtime.execute(stopping(child(LONG_WAIT)), {})
    finally:
        remove()
    arn = result.output["started"]["ExecutionArn"]
    assert asked == [arn]
    assert_stopped(arn)
