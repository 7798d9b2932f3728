"""The in-process driver: supplies the clock, ids, randomness and task I/O, and records history.

A history replays: given the events of an interrupted run, the driver re-runs the interpreter and,
frame by frame, hands back the recorded events and task outcomes instead of repeating them. New
events start where the recording ends. That is how ``resume`` and ``redrive`` work.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from asl import model as m
from asl.errors import HEARTBEAT_TIMEOUT, RUNTIME, TIMEOUT, StatesError
from runtime.callbacks import machines, progress
from runtime.core.arns import ACCOUNT as ACCOUNT  # re-exported: the ARN helpers live there
from runtime.core.arns import REGION, execution_arn, machine_arn_of
from runtime.core.arns import machine_arn as machine_arn
from runtime.core.arns import resource_parts as _resource_parts
from runtime.core.events import (
    Event,
    EventDetails,
    Payload,
    is_task_attempt,
    iso_millis,
    payload_details,
    to_json,
    to_millis,
)
from runtime.core.host import Record, event_of, record_of
from runtime.core.interpreter import Frame, Interpreter, SentFailure, StateFailed, TaskRequest
from runtime.core.jsontext import MAX_DEPTH
from runtime.core.map_io import ChildEnd, ChildExecution, S3Request
from runtime.core.size import DEEP_SIZE, SizeGauge
from runtime.drivers.clock import RealClock, VirtualClock
from runtime.drivers.gc import tune_collector
from runtime.drivers.map_children import StoredChild, Streams, child_sink

_time_ns = time.time_ns

HISTORY_LIMIT = 25_000
"""Events in a Standard execution's history. The last one may only end the execution: AWS
fails an execution whose event 25,000 would be anything else (with room for that event)."""
EXPRESS_LIMIT_SECONDS = 300
"""How long an Express execution may run (AWS's 5 minutes); it then ends TIMED_OUT."""
HISTORY_FULL_CAUSE = "The execution reached the maximum number of history events ({limit})."
_UNLIMITED = frozenset(
    (
        "ExecutionStarted",
        "ExecutionSucceeded",
        "ExecutionFailed",
        "ExecutionTimedOut",
        "ExecutionAborted",
    )
)
"""Events that the history and time limits never refuse: the execution's start and end."""
_UNUSABLE = re.compile(r"The Parameters '.*' could not be used to start the Task: ", re.DOTALL)
"""A States.Runtime cause a route gives without the state (the driver adds it, as AWS words it)."""
_NEVER = 1 << 62  # a deadline in nanoseconds that never comes
TOO_DEEP_RESULT = (
    f"The task's result is nested deeper than {MAX_DEPTH} levels of objects and arrays, more "
    "than a JSON payload may."
)


class NondeterminismError(RuntimeError):
    """Replaying a history produced a different event than the one recorded."""


class _HistoryFull(Exception):
    """The history has no room for another event but the execution's end. Not a StatesError:
    no Retry or Catch sees it; the execution fails with ``States.Runtime``, as on AWS."""


class HistoryUnwritable(Exception):
    """The sink could not write event ``event_id`` (a payload its store cannot hold as JSON).

    The execution ends FAILED (``States.Runtime``) in that event's place, after the events
    before it: the sink has dropped it and whatever followed it."""

    def __init__(self, event_id: int, reason: str) -> None:
        super().__init__(event_id, reason)
        self.event_id = event_id
        self.cause = (
            f"The execution's history could not record its event {event_id}: {reason}. "
            "A payload must be JSON: objects, arrays, strings, numbers, booleans and null."
        )


class _ExecutionTimedOut(Exception):
    """The execution ran past its TimeoutSeconds or the Express limit (not catchable either)."""


@dataclass(slots=True)
class ExecutionResult:
    """How an execution ended."""

    execution_arn: str
    name: str
    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    start_date: datetime | None = None
    stop_date: datetime | None = None
    # Not in repr: asyncio.run's teardown formats the coroutine's result, and a long history
    # rendered as text would cost more than the run.
    records: list[Event | Record] = field(default_factory=list, repr=False)
    """The history as recorded: events, or compact records made into events when first read."""
    child_histories: dict[str, list[Event]] = field(default_factory=dict, repr=False)
    """Distributed Map child executions' own histories, by child execution ARN."""
    _events: list[Event] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def events(self) -> list[Event]:
        """The history's events (made from the compact records on first reading)."""
        events = self._events
        if events is None:
            events = self._events = [
                r if type(r) is Event else event_of(r)  # type: ignore[arg-type]
                for r in self.records
            ]
        return events

    @property
    def history(self) -> list[dict[str, Any]]:
        """The events as GetExecutionHistory returns them."""
        return [e.to_dict() for e in self.events]

    def to_dict(self) -> dict[str, Any]:
        return {
            "executionArn": self.execution_arn,
            "name": self.name,
            "status": self.status,
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "startDate": self.start_date.isoformat() if self.start_date else None,
            "stopDate": self.stop_date.isoformat() if self.stop_date else None,
        }


class Dispatch(Protocol):
    """Runs one task attempt: an async callable returning the raw result or raising StatesError.

    A dispatcher may also be a :class:`TimeoutOwner` (the optional part of the contract)."""

    def __call__(self, request: TaskRequest, /) -> Awaitable[Any]: ...


@runtime_checkable
class TimeoutOwner(Protocol):
    """A dispatcher whose routes enforce some attempts' ``TimeoutSeconds`` themselves, from
    stored times (callbacks, activities, nested executions, ``.sync`` jobs)."""

    def owns_timeout(self, request: TaskRequest) -> bool: ...


def owns_timeout(dispatch: Dispatch, request: TaskRequest) -> bool:
    """Whether ``dispatch`` enforces the attempt's ``TimeoutSeconds`` itself (the driver not)."""
    return isinstance(dispatch, TimeoutOwner) and dispatch.owns_timeout(request)


class _Recording:
    """A previous run's events, grouped by frame, handed back in order. ``children`` are the
    events of its Distributed Map children and Map Runs (frames of their own, ids of their own:
    see :mod:`runtime.drivers.map_children`)."""

    def __init__(self, events: Iterable[Event], children: Iterable[Event] = ()) -> None:
        self.by_frame: dict[str, deque[Event]] = defaultdict(deque)
        self.last_id = 0
        self.last_time: datetime | None = None
        for event in events:
            self.by_frame[event.frame].append(event)
            self.last_id = max(self.last_id, event.id)
            if self.last_time is None or event.timestamp > self.last_time:
                self.last_time = event.timestamp
        for event in children:
            self.by_frame[event.frame].append(event)
            if self.last_time is None or event.timestamp > self.last_time:
                self.last_time = event.timestamp

    def pending(self, frame: str) -> bool:
        queue = self.by_frame.get(frame)
        return bool(queue)

    def peek(self, frame: str) -> Event | None:
        queue = self.by_frame.get(frame)
        return queue[0] if queue else None

    def take(self, frame: str, type_: str, details: EventDetails = None) -> Event | None:
        """The frame's next recorded event, which must be ``type_`` (NondeterminismError if not).

        A Map's iterations record their ``MapIteration...`` events in the Map's frame in the
        order they happened to run; a replay may run them in another order (an outcome it hands
        back does not wait). Those are matched by iteration index instead, and one not recorded
        yet is new (None)."""
        queue = self.by_frame[frame]
        if type_.startswith("MapIteration"):
            return _take_iteration(queue, type_, details)
        event = queue.popleft()
        recorded_name = (event.details or {}).get("name")
        name = details[0] if type(details) is tuple else (details or {}).get("name")
        if event.type != type_ or (
            recorded_name is not None and name is not None and recorded_name != name
        ):
            now = f"{type_} {name!r}" if name is not None else type_
            was = f"{event.type} {recorded_name!r}" if recorded_name is not None else event.type
            raise NondeterminismError(
                f"replay diverged in frame {frame or '(execution)'!r}: history has event "
                f"#{event.id} {was}, the machine now produces {now}. Was the definition "
                "changed after the execution started?"
            )
        return event


def _take_iteration(queue: deque[Event], type_: str, details: EventDetails) -> Event | None:
    index = _iteration_index(details)
    for position, event in enumerate(queue):
        if event.type == type_ and _iteration_index(event.details) == index:
            del queue[position]
            return event
    return None


def _iteration_index(details: EventDetails) -> Any:
    if type(details) is tuple:
        return details[1]
    return (details or {}).get("index") if isinstance(details, dict) else None


class Host:
    """The interpreter's view of the outside world for one execution."""

    def __init__(
        self,
        *,
        dispatch: Dispatch,
        clock: RealClock | VirtualClock,
        seed: int,
        sink: Callable[[Event], None] | None = None,
        recording: _Recording | None = None,
        history_limit: int | None = HISTORY_LIMIT,
        deadline_ns: int | None = None,
        keep_history: bool = True,
        children: Iterable[StoredChild] = (),
        map_run_update: Callable[[str], Mapping[str, Any] | None] | None = None,
    ) -> None:
        """``deadline_ns``: the clock reading (ns) past which no event but the execution's end
        is recorded (the execution times out); under a virtual clock real time counts as well.
        ``keep_history=False``: :attr:`records` keeps nothing (an Express run nobody reads), nor
        :attr:`child_histories`. ``children``: the stored Distributed Map children (and Map
        Runs) a replay continues; their events are in ``recording`` too. ``map_run_update``
        reads UpdateMapRun's values for a Map Run (see :mod:`runtime.drivers.map_runs`)."""
        self.dispatch = dispatch
        self._map_run_update = map_run_update
        self.clock = clock
        self.seed = seed
        self.records: list[Record] = [] if keep_history else deque(maxlen=0)  # type: ignore
        self.sink = sink
        self.flush: Callable[[], None] = getattr(sink, "flush", None) or _nothing
        self.recording = recording
        self.history_limit = history_limit
        self._limit = history_limit if history_limit is not None else _NEVER
        self._now_ns = clock.now_ns
        self._timed = deadline_ns is not None
        self._deadline_ns = deadline_ns if deadline_ns is not None else _NEVER
        self._real_deadline_ns = (
            _time_ns() + max(0, self._deadline_ns - clock.now_ns()) if clock.virtual else _NEVER
        )
        self.next_id = (recording.last_id if recording else 0) + 1
        self._rngs: dict[str, random.Random] = {}
        self._entered: dict[str, int] = {}  # frame key -> the running Task's StateEntered id
        self._streams = Streams(
            clock=clock,
            sink=child_sink(sink),
            recording=recording,
            stored=children,
            keep=keep_history,
        )
        self.child_histories = self._streams.histories
        """Distributed Map child executions' histories, by child execution ARN."""
        if recording is None and sink is None and history_limit is None and not clock.virtual:
            self.emit = self._light_emit()  # type: ignore[method-assign]

    # -- events ------------------------------------------------------------------------------

    def emit(
        self,
        frame: Frame,
        type_: str,
        details: EventDetails = None,
        previous: int | None = None,
        advance: bool = True,
    ) -> Record:
        """Record an event of ``frame``; return its :data:`Record`. Its previousEventId is
        ``previous`` or the frame's last event; ``advance=False`` leaves the frame's last event as
        it was (AWS's chaining)."""
        if frame.detached:
            return self._streams.emit(frame, type_, details, previous, advance)
        rec = self.recording
        if rec is not None and rec.pending(frame.key):
            event = rec.take(frame.key, type_, details)
            if event is not None:
                record = record_of(event)
                self.records.append(record)
                if advance:
                    frame.last_event_id = event.id
                return record
        event_id = self.next_id
        now = self._now_ns()
        if event_id >= self._limit and type_ not in _UNLIMITED:
            raise _HistoryFull()
        if (
            self._timed
            and (now > self._deadline_ns or _time_ns() > self._real_deadline_ns)
            and type_ not in _UNLIMITED
        ):
            raise _ExecutionTimedOut()
        record = (
            event_id,
            frame.last_event_id if previous is None else previous,
            now,
            type_,
            details,
            frame.key,
        )
        self.next_id = event_id + 1
        if advance:
            frame.last_event_id = event_id
        self.records.append(record)
        if self.sink is not None:
            self.sink(event_of(record))
        return record

    def _light_emit(self) -> Callable[..., Record]:
        """:meth:`emit` where there is nothing to replay, no sink, no history limit and the
        clock is the real one (an Express execution in memory): the same records and deadline,
        with what it needs bound once. Ids then come from its own counter, from ``next_id`` on."""
        append = self.records.append
        next_id = self.next_id
        deadline = self._deadline_ns
        final = _UNLIMITED
        # Nothing here refers back to the host: the host holds this function, and a cycle would
        # leave the whole history to the garbage collector instead of reference counting.
        emit_child = self._streams.emit

        def emit(
            frame: Frame,
            type_: str,
            details: EventDetails = None,
            previous: int | None = None,
            advance: bool = True,
        ) -> Record:
            nonlocal next_id
            if frame.detached:
                return emit_child(frame, type_, details, previous, advance)
            now = _time_ns()  # the real clock's own reading (a C call)
            if now > deadline and type_ not in final:
                raise _ExecutionTimedOut()
            event_id = next_id
            next_id = event_id + 1
            record = (
                event_id,
                frame.last_event_id if previous is None else previous,
                now,
                type_,
                details,
                frame.key,
            )
            if advance:
                frame.last_event_id = event_id
            append(record)
            return record

        return emit

    def drop_from(self, event_id: int) -> None:
        """Forget the events from ``event_id`` on (a sink could not write that one): the next
        event takes its id."""
        records = self.records
        if records and records[-1][0] >= event_id:
            self.records = [r for r in records if r[0] < event_id]
        self.next_id = min(self.next_id, event_id)

    def start_child(self, child: ChildExecution) -> ChildEnd | None:
        return self._streams.start_child(child)

    def map_run_update(self, map_run_arn: str) -> Mapping[str, Any] | None:
        reader = self._map_run_update
        return reader(map_run_arn) if reader is not None else None

    async def io(self, frame: Frame, request: S3Request) -> Any:
        return await self._streams.io(frame, request)

    def now(self) -> datetime:
        return self.clock.now()

    def rng(self, frame: Frame) -> random.Random:
        """The frame's random source, seeded from the execution's seed and the frame's key (so a
        replay draws the same numbers); created on its first real use."""
        rng = self._rngs.get(frame.key)
        if rng is None:
            rng = self._rngs[frame.key] = _LazyRandom(self.seed, frame.key)
        return rng  # type: ignore[return-value]

    async def sleep_until(self, frame: Frame, deadline: datetime) -> None:
        if self.recording is not None and self.recording.pending(frame.key):
            return  # the wait finished before the interruption
        self.flush()  # what happened so far is durable before time passes
        await self.clock.sleep_until(deadline)

    # -- tasks -------------------------------------------------------------------------------

    async def invoke(self, frame: Frame, request: TaskRequest) -> Any:
        if request.attempt == 0:  # the Task's StateEntered: its first attempt follows it
            self._entered[frame.key] = frame.last_event_id
        legacy = _is_legacy_lambda(request.resource)
        kind, resource = _resource_parts(request.resource)
        if legacy:
            details: dict[str, Any] = {
                **payload_details("input", request.parameters),
                "resource": request.resource,
            }
            if request.timeout_seconds is not None:
                details["timeoutInSeconds"] = request.timeout_seconds
            self.emit(frame, "LambdaFunctionScheduled", details)
            self.emit(frame, "LambdaFunctionStarted")
            prefix, base = "LambdaFunction", {}
        elif kind == "activity":  # ActivityStarted comes when a worker takes the task
            details = {"resource": resource, **payload_details("input", request.parameters)}
            if request.timeout_seconds is not None:
                details["timeoutInSeconds"] = request.timeout_seconds
            if request.heartbeat_seconds is not None:
                details["heartbeatInSeconds"] = request.heartbeat_seconds
            self.emit(frame, "ActivityScheduled", details)
            prefix, base = "Activity", {}
        else:
            details = {
                "resourceType": kind,
                "resource": resource,
                "region": REGION,
                "parameters": to_json(request.parameters),
            }
            if request.timeout_seconds is not None:
                details["timeoutInSeconds"] = request.timeout_seconds
            if request.heartbeat_seconds is not None:
                details["heartbeatInSeconds"] = request.heartbeat_seconds
            self.emit(frame, "TaskScheduled", details)
            self.emit(frame, "TaskStarted", {"resourceType": kind, "resource": resource})
            prefix, base = "Task", {"resourceType": kind, "resource": resource}
        recorded = self._recorded_outcome(frame, prefix)
        if recorded is not None:
            return recorded()
        # Routes record TaskSubmitted / ActivityStarted in this frame while the task runs
        # (durable at once: the task may wait for days).
        note = progress.CURRENT.set(
            lambda type_, details: (self.emit(frame, type_, details), self.flush())
        )
        self.flush()  # the attempt is on record before the task is sent
        lent = machines.DISPATCH.set(self.dispatch)  # for the children it starts here
        try:
            try:
                result = await self._run(request)
            except RecursionError:  # a route decoding deep JSON text
                raise StatesError(RUNTIME, TOO_DEEP_RESULT) from None
            _check_result_depth(result)
        except StatesError as exc:
            if exc.error == RUNTIME and _UNUSABLE.match(exc.cause or ""):
                exc = _in_state(exc, request.state_name, self._entered.get(frame.key, 0))
            kind_ = "TimedOut" if exc.error in (TIMEOUT, HEARTBEAT_TIMEOUT) else "Failed"
            failure = dict(base)
            if type(exc) is not SentFailure or exc.sent_error is not None:  # AWS: as sent
                failure["error"] = exc.error
            if exc.cause is not None:
                failure["cause"] = exc.cause
            self.emit(frame, prefix + kind_, failure)
            raise exc
        finally:
            progress.CURRENT.reset(note)
            machines.DISPATCH.reset(lent)
        self._entered.pop(frame.key, None)
        self.emit(frame, prefix + "Succeeded", {**base, **payload_details("output", result)})
        return result

    def _recorded_outcome(self, frame: Frame, prefix: str) -> Callable[[], Any] | None:
        rec = self.recording
        if rec is None:
            return None
        queue = rec.by_frame.get(frame.key) or ()
        ahead = 0  # recorded TaskSubmitted / ActivityStarted before the outcome
        while ahead < len(queue) and queue[ahead].type in progress.INTERMEDIATE:
            ahead += 1
        event = queue[ahead] if ahead < len(queue) else None
        if event is None or not event.type.startswith(prefix):
            return None  # no outcome recorded: the route runs (and re-records those events)
        for _ in range(ahead + 1):
            event = rec.take(frame.key, queue[0].type)
            if frame.detached:  # a Distributed Map child's
                self._streams.replayed(frame, event)
            else:
                self.records.append(record_of(event))
            frame.last_event_id = event.id
        details = event.details or {}
        if event.type.endswith("Succeeded"):
            import json

            output = details["output"]
            value = output.value if isinstance(output, Payload) else json.loads(output)
            return lambda: value
        error = _recorded_failure(event.type, details)

        def fail() -> Any:
            raise error

        return fail

    async def _run(self, request: TaskRequest) -> Any:
        clock = self.clock
        call = self.dispatch(request)
        if request.timeout_seconds is None or owns_timeout(self.dispatch, request):
            if isinstance(clock, VirtualClock):
                with clock.busy():
                    return await call
            return await call
        try:
            if isinstance(clock, VirtualClock):
                with clock.busy():
                    return await asyncio.wait_for(call, request.timeout_seconds)
            return await asyncio.wait_for(call, request.timeout_seconds)
        except TimeoutError:
            raise StatesError(TIMEOUT, None)


def _in_state(error: StatesError, state: str, entered_id: int) -> StatesError:
    """``error`` with AWS's prefix naming the state and the id of its StateEntered event."""
    return StatesError(
        error.error,
        f"An error occurred while executing the state '{state}' (entered at the event id "
        f"#{entered_id}). {error.cause}",
    )


def _recorded_failure(type_: str, details: dict[str, Any]) -> StatesError:
    """The error a recorded task failure raises again on replay: a worker's SendTaskFailure
    (an activity's, or a ``.waitForTaskToken`` task's) as sent, missing error and cause kept."""
    sent = type_ == "ActivityFailed" or (
        type_ == "TaskFailed" and str(details.get("resource", "")).endswith(".waitForTaskToken")
    )
    if sent:
        return SentFailure(details.get("error"), details.get("cause"))
    return StatesError(details.get("error", "States.TaskFailed"), details.get("cause"))


def _check_result_depth(result: Any) -> None:
    """Refuse a task result nested deeper than MAX_DEPTH (its event could not hold it)."""
    if type(result) is not dict and type(result) is not list:
        return
    gauge = SizeGauge()
    try:
        deep = gauge.bound(result) > DEEP_SIZE and gauge.depth(result) > MAX_DEPTH
    except StatesError:  # too deep for the encoder itself
        deep = True
    if deep:
        raise StatesError(RUNTIME, TOO_DEEP_RESULT)


class _LazyRandom:
    """A ``random.Random`` seeded on first use: most frames never draw a number."""

    __slots__ = ("_key", "_random", "_seed")

    def __init__(self, seed: int, key: str) -> None:
        self._seed, self._key = seed, key
        self._random: random.Random | None = None

    def __getattr__(self, name: str) -> Any:
        if self._random is None:
            digest = hashlib.sha256(f"{self._seed}:{self._key}".encode()).digest()
            self._random = random.Random(int.from_bytes(digest[:8], "big"))
        return getattr(self._random, name)


def _nothing() -> None:
    pass


def _is_legacy_lambda(resource: str) -> bool:
    return resource.startswith("arn:") and ":lambda:" in resource and ":function:" in resource


async def run_execution(
    machine: m.StateMachine,
    input_value: Any,
    *,
    dispatch: Dispatch,
    name: str | None = None,
    machine_name: str = "machine",
    express: bool = False,
    clock: RealClock | VirtualClock | None = None,
    seed: int | None = None,
    sink: Callable[[Event], None] | None = None,
    recorded: Iterable[Event] | None = None,
    start_date: datetime | None = None,
    redrive_count: int = 0,
    next_event_id: int | None = None,
    role_arn: str | None = None,
    sync: bool = True,
    keep_history: bool = True,
    arn: str | None = None,
    host_factory: Callable[..., Host] | None = None,
    children: Sequence[StoredChild] = (),
    map_run_update: Callable[[str], Mapping[str, Any] | None] | None = None,
) -> ExecutionResult:
    """Run (or, with ``recorded`` events, replay and continue) one execution to its end.

    ``recorded`` are the events of an earlier, interrupted run (see :func:`redrive_recording`
    for a failed one); ``next_event_id`` the id new events start at when the stored history has
    events the replay does not consume (a redrive's ``ExecutionRedriven``). ``seed`` must be the
    seed of the original run for a replay to reproduce its random draws. ``keep_history=False``
    leaves ``records`` empty (the sink still sees every event). ``arn`` is the execution's ARN
    as stored (by default one in the engine's account and region): ``$$.Execution.Id``,
    ``$$.StateMachine.Id`` and the default role name its account and region. ``host_factory``
    makes the :class:`Host` from its keyword arguments (a decider's host sends tasks to the
    fleet instead of running them). ``children`` are the stored Distributed Map children and
    Map Runs of the execution (and theirs) a replay continues: children that ended are taken as
    they ended, the others continue from their recorded events. ``map_run_update`` reads
    UpdateMapRun's values for its Map Runs (see :mod:`runtime.drivers.map_runs`).

    Limits end the execution, never the caller: a Standard history that reaches
    :data:`HISTORY_LIMIT` events ends FAILED (``States.Runtime``); an Express execution ends
    TIMED_OUT (``States.Timeout``) after :data:`EXPRESS_LIMIT_SECONDS` of its clock's time.
    """
    tune_collector()
    clock = clock or RealClock()
    name = name or str(uuid.uuid4())
    arn = arn or execution_arn(machine_name, name, express)
    machine_id = machine_arn_of(arn, machine_name)
    role_arn = role_arn or f"arn:aws:iam::{machine_id.split(':')[4]}:role/asl-local"
    recording = None
    if recorded is not None or children:
        stored = (event for child in children for event in child.events)
        recording = _Recording(recorded or (), stored)
    if recording is not None and isinstance(clock, VirtualClock) and recording.last_time:
        clock.advance_to(recording.last_time)  # virtual time never runs backwards
    started = start_date or clock.now()
    time_limit = machine.timeout_seconds
    if express:  # an Express execution runs 5 minutes at most, whatever its TimeoutSeconds
        time_limit = min(time_limit or EXPRESS_LIMIT_SECONDS, EXPRESS_LIMIT_SECONDS)
    host = (host_factory or Host)(
        dispatch=dispatch,
        clock=clock,
        seed=seed if seed is not None else random.SystemRandom().getrandbits(63),
        sink=sink,
        recording=recording,
        # Standard executions keep a history of at most 25,000 events; Express ones keep none.
        history_limit=None if express else HISTORY_LIMIT,
        # Checked per event for Express runs only: a loop that never waits times out too.
        deadline_ns=to_millis(started) * 1_000_000 + int(time_limit * 1e9) if express else None,
        keep_history=keep_history,
        children=children,
        map_run_update=map_run_update,
    )
    if next_event_id is not None:
        host.next_id = max(host.next_id, next_event_id)
    execution: dict[str, Any] = {
        "Id": arn,
        "Input": input_value,
        "Name": name,
        "RoleArn": role_arn,
        "StartTime": iso_millis(started),
        "RedriveCount": redrive_count,
    }
    if express and sync:  # as StartSyncExecution: no redrive for synchronous Express runs
        del execution["RedriveCount"]
    context = {
        "Execution": execution,
        "StateMachine": {"Id": machine_id, "Name": machine_name},
    }
    root = Frame("", {}, {}, context)
    root.scope = root.variables
    interpreter = Interpreter(machine, host)
    given = interpreter.measure_input(root, input_value)
    host.emit(
        root,
        "ExecutionStarted",
        {**payload_details("input", given), "roleArn": context["Execution"]["RoleArn"]},
        advance=False,  # AWS chains the first state's event to 0, not to ExecutionStarted
    )
    result = ExecutionResult(arn, name, "RUNNING", start_date=started)
    run = interpreter.run_scope(machine, root, input_value)
    try:
        if time_limit is not None and not (express and machine.immediate):
            output = await _with_timeout(run, time_limit, clock, started)
        else:  # (an Express scope that never waits times out at its next event)
            output = await run
    except StateFailed as failed:
        error = failed.error
        result.status = "FAILED"
        result.error = error.error or None
        result.cause = error.cause
        details = {}
        if result.error is not None:
            details["error"] = result.error
        if result.cause is not None:
            details["cause"] = result.cause
        end: tuple[str, EventDetails] = ("ExecutionFailed", details)
    except StatesError as error:  # raised outside a state's Retry and Catch (a placed result)
        result.status = "FAILED"
        result.error, result.cause = error.error, error.cause
        end = ("ExecutionFailed", {"error": error.error, "cause": error.cause or ""})
    except _HistoryFull:
        result.status = "FAILED"
        result.error = "States.Runtime"
        result.cause = HISTORY_FULL_CAUSE.format(limit=HISTORY_LIMIT)
        end = ("ExecutionFailed", {"error": result.error, "cause": result.cause})
    except HistoryUnwritable as unwritable:
        _unwritable(host, root, result, unwritable)
        end = None
    except _ExecutionTimedOut:
        result.status = "TIMED_OUT"
        end = ("ExecutionTimedOut", {"error": TIMEOUT})
    else:
        result.status = "SUCCEEDED"
        result.output = output
        end = ("ExecutionSucceeded", payload_details("output", output))
    if end is not None:
        try:
            host.emit(root, *end)
        except HistoryUnwritable as unwritable:  # found when the end commits what is pending
            _unwritable(host, root, result, unwritable)
    result.stop_date = clock.now()
    if recording is not None and keep_history:
        host.records.sort(key=_record_id)  # replayed events come back frame by frame
        host._streams.sort()
    result.records = host.records if keep_history else []
    result.child_histories = host.child_histories
    return result


_TERMINAL_SUFFIXES = ("Failed", "TimedOut", "Aborted")


def redrive_recording(events: Iterable[Event], *, keep_attempt: bool = False) -> list[Event]:
    """The part of a failed execution's history that a redrive replays.

    Drops the execution's end and, in every scope, the trailing failure events: the failed
    state from its entry (its task attempts too: the redrive reschedules the task, and its
    retries count from zero, as RedriveExecution does), a failed Map/Parallel's end (only its
    failed iterations and branches run again). Everything that succeeded is handed back from
    history. ``keep_attempt``: the rule of histories redriven before asl 0.1's redrive fix,
    which kept the failed task attempt's scheduling and recorded only its new outcome (see
    :func:`runtime.drivers.runner.live_events`).
    """
    by_frame: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        if event.type.startswith("Execution") and event.type != "ExecutionStarted":
            continue
        by_frame[event.frame].append(event)
    keep: set[int] = set()
    for frame_events in by_frame.values():
        end = len(frame_events)
        while end and frame_events[end - 1].type.endswith(_TERMINAL_SUFFIXES):
            end -= 1
        # A failed state is re-entered from its start: drop its partial attempt as well, its
        # task attempts included (a redrive reschedules the task, and its retries count from
        # zero again); a Map or Parallel that had started keeps its start (only the failed
        # iterations and branches run again).
        while end:
            kind = frame_events[end - 1].type
            if kind.endswith(("Exited", "Started", "Succeeded")) and (
                keep_attempt or not is_task_attempt(kind)
            ):
                break
            end -= 1
            if kind.endswith("Entered"):
                break
        keep.update(e.id for e in frame_events[:end])
    return (
        [e for e in events if e.id in keep]
        if isinstance(events, list)
        else [e for frame_events in by_frame.values() for e in frame_events if e.id in keep]
    )


def _unwritable(
    host: Host, root: Frame, result: ExecutionResult, unwritable: HistoryUnwritable
) -> None:
    """End the execution FAILED in the place of the event its sink could not write."""
    result.status, result.output = "FAILED", None
    result.error, result.cause = RUNTIME, unwritable.cause
    host.drop_from(unwritable.event_id)
    details = {"error": RUNTIME, "cause": unwritable.cause}
    host.emit(root, "ExecutionFailed", details, previous=unwritable.event_id - 1)


def _record_id(record: Record) -> int:
    return record[0]


async def _with_timeout(run, seconds: float, clock, started: datetime) -> Any:
    from datetime import timedelta

    task = asyncio.ensure_future(run)
    deadline = started + timedelta(seconds=seconds)
    timer = asyncio.ensure_future(clock.sleep_until(deadline))
    done, _ = await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        timer.cancel()
        return task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    raise _ExecutionTimedOut()
