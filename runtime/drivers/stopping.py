"""StopExecution, one semantics wherever the execution runs: :func:`stop`.

The stop is written to the store: ``ExecutionAborted`` (with the error and cause) is appended
behind the history's compare-and-swap and the record ends ABORTED in the same transaction. What
the execution leaves open is then closed: its pending callback and activity tasks (TIMED_OUT, as
an answer to an ended execution finds them), the Standard executions it started (stopped
likewise) and its Distributed Map child executions still RUNNING (ABORTED, in their own
histories). Whoever was running it finds out from the store: a fleet decider at its next
decision, ``asl run`` and ``asl serve`` at their next lease heartbeat (they then end the run),
and nobody needs to for an orphaned record.
"""

from __future__ import annotations

import json
from contextlib import suppress
from datetime import UTC, datetime

from runtime.callbacks import hub_for, machines
from runtime.callbacks.records import NESTED, OPEN, TIMED_OUT
from runtime.core.events import Event
from runtime.drivers import observers
from runtime.stores.base import (
    MAP_RUN,
    RUNNING,
    ConcurrentWriteError,
    ExecutionNotFound,
    ExecutionRecord,
    HistoryStore,
    Outcome,
)

ABORT_ATTEMPTS = 10
ABORTED = "ABORTED"


def stop(
    store: HistoryStore, arn: str, error: str | None = None, cause: str | None = None
) -> ExecutionRecord:
    """Stop the execution ``arn`` as StopExecution does; its record as it then stands (an
    execution that had already ended is returned unchanged, and nothing else is touched)."""
    record = abort(store, arn, error, cause)
    if record.status == ABORTED:
        _close_tasks(store, arn)
        _abort_children(store, arn)
    return record


def abort(
    store: HistoryStore,
    arn: str,
    error: str | None = None,
    cause: str | None = None,
    *,
    frame: str = "",
) -> ExecutionRecord:
    """Append ``ExecutionAborted`` and end the record ABORTED, unless it has ended; the record.
    ``frame``: the frame of the execution's events (a Distributed Map child's is its key)."""
    details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
    for _ in range(ABORT_ATTEMPTS):  # another step may be recorded meanwhile: try after it
        record = store.get(arn)
        if record.status != RUNNING:
            return record
        now = datetime.now(UTC)
        last = record.last_event_id
        event = Event(last + 1, last, now, "ExecutionAborted", details or None, frame)
        try:
            store.append(
                arn,
                (event,),
                expected_last_id=last,
                outcome=Outcome(ABORTED, now, None, error, cause),
            )
        except ConcurrentWriteError:
            continue
        observers.notify(arn, (event,))
        break
    return store.get(arn)


def _close_tasks(store: HistoryStore, arn: str) -> None:
    """Close the stopped execution's open tasks; stop the Standard executions it started."""
    list_tasks = getattr(store, "list_tasks", None)
    if list_tasks is None:  # a bare history store keeps no tasks
        return
    hub = hub_for(store)
    cause = "The execution ended (ABORTED) before the task was answered."
    for task in list_tasks(arn, open_only=True):
        if task.kind == NESTED and task.submitted:
            child = json.loads(task.submitted).get("ExecutionArn") or ""
            if child and ":express:" not in child:
                with suppress(ExecutionNotFound):
                    stop(store, child)
            if child:
                machines.halt(child)  # its run here, if it runs in this process
        if task.status in OPEN:
            hub.settle(task.token, TIMED_OUT, {"error": "States.Timeout", "cause": cause})


def _abort_children(store: HistoryStore, arn: str) -> None:
    """End the Distributed Map child executions still RUNNING (their Map Runs' records hold
    only S3 calls, and end with the parent)."""
    for child in store.children(arn):
        if child.type == MAP_RUN:
            continue
        if child.status == RUNNING:
            events = store.events(child.execution_arn)
            abort(store, child.execution_arn, frame=events[0].frame if events else "")
        _abort_children(store, child.execution_arn)
