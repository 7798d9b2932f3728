"""The decider: advances a stored execution one decision at a time, as SWF's decision tasks do.

A decision reads the execution's record and history from the shared store, replays the history
through the deterministic core and lets the execution run on until every frame waits on the
outside world: a task attempt out on the fleet, a timer, or nothing at all (it ended). The new
events are appended with the store's compare-and-swap; only then are the decision's commands
carried out (attempts sent, timers set). Whoever completes one of them (a worker storing an
attempt's outcome, a timer firing) asks for the next decision. Any process can decide: nothing of
an execution lives in memory between decisions.

Two deciders on one execution: one wins the swap, the other drops its work and decides again
from the new history (it may hold an outcome the winner had not seen yet). What a decision needs
beside the history (attempt outcomes, deadlines first computed by an earlier decision, heartbeats)
comes from :class:`DecisionServices`; see :mod:`runtime.drivers.decider_celery` (Redis and Celery)
and :mod:`runtime.drivers.decider_local` (one process, for tests and the conformance suites).
"""

from __future__ import annotations

import asyncio
import json
import selectors
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from asl import DefinitionError
from asl.errors import HEARTBEAT_TIMEOUT, RUNTIME, TIMEOUT, StatesError
from runtime.callbacks import progress
from runtime.core.events import Event, render_details
from runtime.core.interpreter import Frame, SentFailure, TaskRequest
from runtime.drivers import observers
from runtime.drivers.clock import RealClock
from runtime.drivers.execution import (
    ExecutionResult,
    Host,
    NondeterminismError,
    owns_timeout,
    run_execution,
)
from runtime.drivers.map_children import StoredChild, split
from runtime.drivers.map_runs import update_reader
from runtime.drivers.runner import _load, _outcome, live_events, stored_children
from runtime.stores.base import RUNNING, ConcurrentWriteError, ExecutionRecord, HistoryStore
from runtime.tasks.celery import outcome, task_id

MAX_RETRIES = 50
"""How often a decision that lost the compare-and-swap decides again before giving up (the next
completion asks again anyway)."""
STARTED_CHECK_SECONDS = 5.0
"""How soon a decision looks again at an attempt with HeartbeatSeconds that has not started."""


class DecisionServices(Protocol):
    """What a decision reads and asks for beside the history. Every method is idempotent."""

    def now(self) -> datetime:
        """The time of this decision."""
        ...

    def outcome(self, attempt_id: str) -> dict[str, Any] | None:
        """The stored outcome of an attempt (the fleet's outcome message), if any."""
        ...

    def post_outcome(self, attempt_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """Store ``message`` as the attempt's outcome unless one is; return the stored one."""
        ...

    def last_beat(self, attempt_id: str) -> float | None:
        """Epoch seconds of the attempt's start or latest heartbeat, if it sent any."""
        ...

    def recorded(self, arn: str, name: str, value: float) -> float:
        """The value first recorded under ``name`` for the execution (``value`` if none was)."""
        ...

    def send(self, arn: str, attempt_id: str, request: TaskRequest, *, fresh: bool) -> None:
        """Send the attempt to the fleet unless it was sent (at least once); ``fresh``: it was
        scheduled by the decision just committed, so nobody sent it yet."""
        ...

    def watch(self, arn: str, due: float | None, *, waits_on_tasks: bool) -> None:
        """The execution waits: ask for its next decision at epoch seconds ``due`` (its earliest
        timer), or sooner where a message may be lost (``waits_on_tasks``: attempts are out)."""
        ...

    def finished(self, arn: str) -> None:
        """The execution ended: forget what was kept for it."""
        ...


@dataclass(slots=True)
class Decision:
    """What one decision produced."""

    events: list[Event] = field(default_factory=list)
    sends: list[tuple[str, TaskRequest, bool]] = field(default_factory=list)
    """Attempts to send: (attempt id, request, scheduled by this decision)."""
    timers: set[float] = field(default_factory=set)
    result: ExecutionResult | None = None  # the execution ended

    @property
    def ended(self) -> bool:
        return self.result is not None


def decide(
    store: HistoryStore,
    arn: str,
    services: DecisionServices,
    *,
    dispatch: Any = None,
) -> Decision | None:
    """Make the execution's next decision and carry it out; None if it is not RUNNING.

    ``dispatch`` is lent to nested executions a Task state starts (as the in-process driver
    lends its own); a decision runs no task itself.
    """
    for _ in range(MAX_RETRIES):
        record, events = store.snapshot(arn)
        if record.status != RUNNING:  # ended (a StopExecution, or a decision before this one)
            services.finished(arn)
            return None
        children = stored_children(store, arn, live_events(events), services.now())
        try:
            decision = replay(
                record,
                events,
                services,
                dispatch=dispatch,
                children=children,
                map_run_update=update_reader(store),
            )
        except (NondeterminismError, DefinitionError) as exc:
            # No decision can ever be made: end it (as `asl resume` would refuse), never leave
            # it RUNNING for the watchdog to find again and again.
            decision = _cannot_decide(record, services.now(), exc)
        if decision.events:
            # Distributed Map children's events go to their own histories, in the same
            # transaction and behind the same compare-and-swap as the parent's.
            own, streams = split(decision.events)
            try:
                store.append(
                    arn,
                    own,
                    expected_last_id=record.last_event_id,
                    outcome=_outcome(own[-1]) if decision.ended and own else None,
                    **({"children": streams} if streams else {}),
                )
            except ConcurrentWriteError:
                continue  # another decider got there first: decide again from its history
            observers.notify(arn, own, streams)
        for attempt_id, request, fresh in decision.sends:
            services.send(arn, attempt_id, request, fresh=fresh)
        if decision.ended:
            services.finished(arn)
        else:  # one timer an execution: its earliest (each decision sets its timers again)
            services.watch(
                arn, min(decision.timers, default=None), waits_on_tasks=bool(decision.sends)
            )
        return decision
    return None


def replay(
    record: ExecutionRecord,
    events: list[Event],
    services: DecisionServices,
    *,
    dispatch: Any = None,
    children: Sequence[StoredChild] = (),
    map_run_update: Callable[[str], Mapping[str, Any] | None] | None = None,
) -> Decision:
    """Replay ``events`` (and the stored Distributed Map ``children``) and run the execution on
    until it waits; nothing is stored here."""
    machine = _machine(record)
    options = record.options or {}
    decision = Decision()
    clock = _DecisionClock(services.now(), decision)
    sink = _Sink(decision.events)

    def make_host(**kwargs: Any) -> Host:
        return _DecisionHost(record=record, services=services, decision=decision, **kwargs)

    run = run_execution(
        machine,
        record.input_value,
        dispatch=dispatch or _no_dispatch,
        name=record.name,
        machine_name=record.machine_name,
        express=record.type == "EXPRESS",
        clock=clock,
        seed=record.seed,
        sink=sink,
        recorded=live_events(events),
        start_date=record.start_date,
        redrive_count=record.redrive_count,
        next_event_id=record.last_event_id + 1,
        arn=record.execution_arn,
        role_arn=options.get("role_arn") or (options.get("serve") or {}).get("roleArn"),
        sync=options.get("sync", True),
        keep_history=False,
        host_factory=make_host,
        children=children,
        map_run_update=map_run_update,
    )

    decision.result = _run_until_parked(run, sink.close)
    return decision


def _cannot_decide(record: ExecutionRecord, now: datetime, exc: Exception) -> Decision:
    """The decision that ends an execution no decision can continue (its stored history does
    not replay, or its definition no longer loads)."""
    last = record.last_event_id
    cause = f"The fleet cannot continue this execution: {exc}"
    details = {"error": RUNTIME, "cause": cause}
    decision = Decision(events=[Event(last + 1, last, now, "ExecutionFailed", details)])
    decision.result = ExecutionResult(
        record.execution_arn,
        record.name,
        "FAILED",
        error=RUNTIME,
        cause=cause,
        start_date=record.start_date,
        stop_date=now,
    )
    return decision


_MACHINES: dict[tuple[str, str], Any] = {}
_MACHINES_KEPT = 256


def _machine(record: ExecutionRecord) -> Any:
    """The execution's compiled machine, kept per process: a worker decides the same few
    definitions over and over (loading checks the validation verdicts' files each time)."""
    key = (record.definition, record.type)
    machine = _MACHINES.get(key)
    if machine is None:
        if len(_MACHINES) >= _MACHINES_KEPT:
            _MACHINES.clear()
        machine = _MACHINES[key] = _load(record.definition, record.type, record.filename)
    return machine


# -- the decision's Host ----------------------------------------------------------------------


class _Sink:
    """The decision's new events, its Distributed Map children's among them (``child``), until
    the decision parks: what the coroutines it lets go then record is not kept."""

    def __init__(self, events: list[Event]) -> None:
        self.events = events
        self.open = True

    def __call__(self, event: Event) -> None:
        if self.open:
            self.events.append(event)

    child = __call__

    def close(self) -> None:
        self.open = False


class _DecisionClock(RealClock):
    """The real clock, read once per decision; a sleep not yet over parks instead of sleeping.
    Blocking I/O (a Distributed Map's S3 reads) runs in place, never in a thread."""

    inline_io = True

    def __init__(self, now: datetime, decision: Decision) -> None:
        self._now = now
        self._decision = decision

    def now(self) -> datetime:
        return self._now

    def now_ms(self) -> int:
        return int(self._now.timestamp() * 1000)

    def now_ns(self) -> int:
        return int(self._now.timestamp() * 1_000_000_000)

    async def sleep_until(self, deadline: datetime) -> None:
        if _reached(deadline.timestamp(), self._now):
            return
        self._decision.timers.add(deadline.timestamp())
        await _park()


class _DecisionHost(Host):
    """The in-process Host, but an attempt is sent to the fleet (its outcome read from the
    services on a later decision) and a sleep parks until a timer asks for the next decision."""

    def __init__(
        self,
        *,
        record: ExecutionRecord,
        services: DecisionServices,
        decision: Decision,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._record = record
        self._services = services
        self._decision = decision
        self._sleeps: dict[str, int] = defaultdict(int)
        self._ids_before = 0

    async def sleep_until(self, frame: Frame, deadline: datetime) -> None:
        self._sleeps[frame.key] += 1
        if self.recording is not None and self.recording.pending(frame.key):
            return  # the wait finished in an earlier decision
        name = f"sleep:{self._record.redrive_count}:{frame.key}#{self._sleeps[frame.key]}"
        due = self._services.recorded(self._record.execution_arn, name, deadline.timestamp())
        if _reached(due, self.clock.now()):
            return
        self._decision.timers.add(due)
        await _park()

    async def invoke(self, frame: Frame, request: TaskRequest) -> Any:
        # The ids the attempt's scheduling events take: new ones if it is scheduled now. (Nothing
        # awaits between here and _run, so no other frame's events come in between.)
        self._ids_before = self.next_id
        return await super().invoke(frame, request)

    async def _run(self, request: TaskRequest) -> Any:
        services, arn = self._services, self._record.execution_arn
        attempt = task_id(request)
        # Scheduled in this decision (its events are new): never sent, so no outcome to look for.
        fresh = self.next_id > self._ids_before
        message = None if fresh else services.outcome(attempt)
        if message is None:
            message = self._deadline_passed(arn, attempt, request)
        if message is not None:
            for type_, details in message.get("progress") or ():
                progress.note(type_, details)  # TaskSubmitted, ActivityStarted: as the route did
            return answer(message, request.resource)
        self._decision.sends.append((attempt, request, fresh))
        await _park()

    def _deadline_passed(
        self, arn: str, attempt: str, request: TaskRequest
    ) -> dict[str, Any] | None:
        """The timeout the attempt ran into by now (stored as its outcome), else None after
        setting a timer for its next deadline."""
        timed = request.timeout_seconds is not None and not owns_timeout(self.dispatch, request)
        if not timed and request.heartbeat_seconds is None:
            return None
        services, now = self._services, self.clock.now().timestamp()
        scheduled = services.recorded(arn, f"scheduled:{attempt}", now)
        deadlines: list[tuple[float, str]] = []
        if timed:
            deadlines.append((scheduled + request.timeout_seconds, TIMEOUT))  # type: ignore[operator]
        if request.heartbeat_seconds is not None:
            beat = services.last_beat(attempt)
            if beat is None:  # not started: the queue's time does not count
                deadlines.append((now + STARTED_CHECK_SECONDS, ""))
            else:
                deadlines.append((beat + request.heartbeat_seconds, HEARTBEAT_TIMEOUT))
        for due, error in sorted(deadlines):
            if error and round(due * 1000) <= round(now * 1000):
                return services.post_outcome(attempt, {"raised": {"error": error, "cause": None}})
        for due, _ in deadlines:
            self._decision.timers.add(max(due, now))
        return None


def answer(message: dict[str, Any], resource: str) -> Any:
    """The result an outcome message carries, or raise the failure it reports."""
    raised = message.get("raised")
    if isinstance(raised, dict) and raised.get("sent"):  # SendTaskFailure's, as sent
        raise SentFailure(raised.get("error"), raised.get("cause"))
    if "value" in message:  # an activity runner's answer: the route's result as it returned it
        return json.loads(message["value"])
    return outcome(message, resource)


async def run_attempt(dispatch: Any, request: TaskRequest) -> dict[str, Any]:
    """Run one task attempt where a worker takes it; its outcome message for the decider.

    The dispatcher is the in-process driver's (the route runs as it would there); nested
    executions it starts borrow it. TimeoutSeconds bounds the attempt here as well (the decider
    also enforces it from its own durable deadline: whichever outcome is stored first counts).
    """
    from runtime.callbacks import machines

    notes: list[tuple[str, Any]] = []
    lent = machines.DISPATCH.set(dispatch)
    noting = progress.CURRENT.set(lambda type_, details: notes.append((type_, details)))
    try:
        call = dispatch(request)
        if request.timeout_seconds is not None and not owns_timeout(dispatch, request):
            value = await asyncio.wait_for(call, request.timeout_seconds)
        else:
            value = await call
        return _noted(notes, {"value": json.dumps(value, ensure_ascii=False, allow_nan=False)})
    except TimeoutError:
        return _noted(notes, {"raised": {"error": TIMEOUT, "cause": None}})
    except SentFailure as exc:
        return _noted(
            notes, {"raised": {"error": exc.sent_error, "cause": exc.cause, "sent": True}}
        )
    except StatesError as exc:
        return _noted(notes, {"raised": {"error": exc.error, "cause": exc.cause}})
    except (TypeError, ValueError, RecursionError) as exc:  # a result that is not JSON
        cause = f"The task's result is not a JSON payload: {exc}"
        return _noted(notes, {"raised": {"error": RUNTIME, "cause": cause}})
    finally:
        progress.CURRENT.reset(noting)
        machines.DISPATCH.reset(lent)


def _noted(notes: list[tuple[str, Any]], message: dict[str, Any]) -> dict[str, Any]:
    """``message`` with the events the route recorded while it ran (TaskSubmitted...), their
    payloads as JSON text (as a stored history keeps them): the decision records them."""
    if notes:
        message["progress"] = [[type_, render_details(details)] for type_, details in notes]
    return message


def _reached(due: float, now: datetime) -> bool:
    """Whether ``due`` (epoch seconds) has come by ``now``, to the millisecond history keeps (a
    float's last digit must not keep a Wait from ending when its timer fires)."""
    return round(due * 1000) <= round(now.timestamp() * 1000)


async def _no_dispatch(request: TaskRequest) -> Any:
    raise AssertionError("a decision runs no task itself")


async def _park() -> None:
    """Wait for what never comes in this decision: the next decision carries on from here."""
    await asyncio.get_running_loop().create_future()


# -- running until every frame waits -------------------------------------------------------------


class _IdleSelector(selectors.DefaultSelector):
    """A selector that stops its event loop when the loop would wait with no timeout: nothing is
    ready to run and no timer is due, so every coroutine waits on what this decision cannot give.

    A decision does no real I/O on its loop, so "wait forever" can only mean parked, and a poll
    that would not wait has nothing to find (no system call for it).
    """

    loop: asyncio.AbstractEventLoop | None = None
    run: object | None = None  # the decision running on the loop now

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None and self.loop is not None:
            self.loop.stop()
            return []
        if timeout == 0:
            return []
        return super().select(timeout)


_LOOPS = threading.local()


def _decision_loop() -> tuple[asyncio.AbstractEventLoop, _IdleSelector]:
    """This thread's event loop for decisions, made once (a loop costs a socket pair)."""
    found = getattr(_LOOPS, "loop", None)
    if found is None or found[0].is_closed():
        selector = _IdleSelector()
        found = _LOOPS.loop = (asyncio.SelectorEventLoop(selector), selector)
    return found


def _run_until_parked(run: Any, parked: Callable[[], None]) -> ExecutionResult | None:
    """Run ``run`` (a coroutine) until it returns (its result) or every coroutine parks (None,
    after calling ``parked``)."""
    loop, selector = _decision_loop()
    selector.loop = loop
    this_run = object()
    selector.run = this_run

    def stop(_: Any) -> None:
        if selector.run is this_run:  # (not a callback left over from an earlier decision)
            loop.stop()

    try:
        task = loop.create_task(run)
        task.add_done_callback(stop)
        loop.run_forever()
        if task.done():
            return task.result()
        # Parked: let the coroutines go; what their cancellation handlers record is dropped.
        parked()
        selector.loop = selector.run = None  # the cleanup below runs to its own end
        pending = asyncio.all_tasks(loop)  # every branch and iteration, not only the main one
        for waiting in pending:
            waiting.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        return None
    finally:
        selector.loop = selector.run = None


__all__ = ["Decision", "DecisionServices", "answer", "decide", "replay", "run_attempt"]
