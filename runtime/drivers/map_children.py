"""Distributed Map children stored as executions of their own, and a Map Run's recorded S3 calls.

A child execution's events (frame ``<Map Run key>/i<n>`` and the frames under it) form its own
history, with its own event ids; a Map Run's S3 calls (ItemReader reads, ResultWriter writes)
and their answers form the Map Run's (frame ``<Map Run key>``). Each is a :class:`Stream`.

- The Host (:class:`Streams`) numbers a stream's events, keeps child histories in memory for the
  result, gives each new event to the sink as a :class:`ChildEvent`, and on replay hands
  recorded events back: a child whose recorded history has ended is taken as it ended
  (:class:`~runtime.core.map_io.ChildEnd`, nothing of it runs again); a recorded S3 answer is
  handed back without calling S3.
- A sink commits a stream's events with its parent's (:func:`split`): the store creates the
  child's record (linked to its parent and Map Run) with its first events, in the same
  transaction.
- ``resume`` and ``redrive`` load the stored streams (:class:`StoredChild`) into the recording.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from runtime.core.events import Event, EventDetails, Payload, render_details
from runtime.core.host import Record, record_of
from runtime.core.map_io import (
    GET_OBJECT,
    LIST_OBJECTS,
    ChildEnd,
    ChildExecution,
    IOFailed,
    S3Request,
)
from runtime.stores.base import MAP_RUN, ChildAppend, ExecutionRecord, Outcome

if TYPE_CHECKING:
    from runtime.core.interpreter import Frame
    from runtime.drivers.clock import RealClock, VirtualClock

TERMINAL = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}
S3_SUCCEEDED = "S3CallSucceeded"
S3_FAILED = "S3CallFailed"


@dataclass(slots=True, eq=False)
class Stream:
    """A history kept beside its parent's: a child execution's or a Map Run's."""

    key: str
    arn: str
    kind: str  # "STANDARD" or "EXPRESS" (a child execution), or MAP_RUN
    name: str
    machine_name: str
    parent_arn: str
    map_run_arn: str
    next_id: int = 1
    history: list[Event] | None = None


class ChildEvent(Event):
    """An event of a :class:`Stream`, as the Host hands it to its sink."""

    __slots__ = ("stream",)

    def __init__(self, stream: Stream, record: Record) -> None:
        event_id, previous, nanos, type_, details, frame = record
        super().__init__(event_id, previous, nanos // 1_000_000, type_, details, frame)
        self.stream = stream


@runtime_checkable
class ChildSink(Protocol):
    """A sink that takes the events of its execution's child executions and Map Runs too (in
    :meth:`child`), and commits them with its own (:func:`split`). The Host gives a sink
    without it no such events: they then stay in memory, and a replay runs children again."""

    def __call__(self, event: Event) -> None: ...

    def child(self, event: ChildEvent) -> None: ...


def child_sink(sink: Callable[[Event], None] | None) -> Callable[[ChildEvent], None] | None:
    """Where the Host sends child and Map Run events: ``sink.child`` (None if it takes none)."""
    if sink is None:
        return None
    return sink.child if isinstance(sink, ChildSink) else None


@dataclass(slots=True)
class StoredChild:
    """A stored child execution (or Map Run) and its events as a replay sees them."""

    record: ExecutionRecord
    events: list[Event]


# -- the Host's side -----------------------------------------------------------------------------


class Streams:
    """The streams of one execution's Host. It holds no reference to the Host (whose emit
    function may hold this object's :meth:`emit`)."""

    def __init__(
        self,
        *,
        clock: RealClock | VirtualClock,
        sink: Callable[[ChildEvent], None] | None = None,
        recording: Any = None,
        stored: Iterable[StoredChild] = (),
        keep: bool = True,
    ) -> None:
        """``recording``: the Host's recording, whose frames include the stored streams' events;
        ``keep``: child histories are kept in :attr:`histories` (for the result)."""
        self.clock = clock
        self.sink = sink
        self.recording = recording
        self.keep = keep
        self.stored = {child.record.execution_arn: child for child in stored}
        self.by_key: dict[str, Stream] = {}
        self.histories: dict[str, list[Event]] = {}
        """Child executions' histories by ARN (Map Runs' are left out)."""

    def start_child(self, child: ChildExecution) -> ChildEnd | None:
        """File the events of frames ``child.key``... under the child; how it ended if its
        stored history has ended (it is not run again)."""
        stored = self.stored.get(child.arn)
        if stored is not None:
            end = ended(stored.events)
            if end is not None:
                if self.keep:
                    self.histories[child.arn] = list(stored.events)
                return end
        history: list[Event] | None = [] if self.keep else None
        if history is not None:
            self.histories[child.arn] = history
        machine = child.state_machine_arn.partition(":stateMachine:")[2]
        self.by_key[child.key] = Stream(
            child.key,
            child.arn,
            "EXPRESS" if child.express else "STANDARD",
            child.name,
            machine or child.state_machine_arn,
            child.parent_arn,
            child.map_run_arn,
            next_id=_next_id(stored),
            history=history,
        )
        return None

    def emit(
        self,
        frame: Frame,
        type_: str,
        details: EventDetails = None,
        previous: int | None = None,
        advance: bool = True,
    ) -> Record:
        """Record an event of a child execution's frame (the Host's ``emit`` for a detached
        frame): handed back from the recording on replay, else new in the child's history."""
        key = frame.key
        head, _, rest = key.partition("/")
        stream = self.by_key[f"{head}/{rest.partition('/')[0]}"]
        rec = self.recording
        if rec is not None and rec.pending(key):
            event = rec.take(key, type_, details)
            if event is not None:
                if stream.history is not None:
                    stream.history.append(event)
                if advance:
                    frame.last_event_id = event.id
                return record_of(event)
        record = self._new(
            stream, key, frame.last_event_id if previous is None else previous, type_, details
        )
        if advance:
            frame.last_event_id = record[0]
        return record

    def replayed(self, frame: Frame, event: Event) -> None:
        """An event of a child's frame the Host took from the recording itself."""
        head, _, rest = frame.key.partition("/")
        history = self.by_key[f"{head}/{rest.partition('/')[0]}"].history
        if history is not None:
            history.append(event)

    async def io(self, frame: Frame, request: S3Request) -> Any:
        """The answer to a Map Run's S3 call: recorded in the Map Run's history when made, handed
        back from it on replay. Raises :class:`IOFailed`."""
        stream = self._map_run(request)
        rec = self.recording
        if rec is not None and rec.pending(stream.key):
            event = rec.peek(stream.key)
            details = event.details or {}
            if details.get("action") != request.action:
                from runtime.drivers.execution import NondeterminismError

                raise NondeterminismError(
                    f"replay diverged in Map Run {request.map_run_arn}: history has S3 call "
                    f"#{event.id} {details.get('action')}, the machine now makes "
                    f"{request.action}. Was the definition changed after the execution started?"
                )
            rec.take(stream.key, event.type)
            return answer(event)
        from runtime.drivers import s3

        described = _described(request)
        try:
            result = await run_blocking(self.clock, s3.call, request)
        except s3.S3Error as exc:
            self._new(
                stream, stream.key, stream.next_id - 1, S3_FAILED, {**described, "cause": str(exc)}
            )
            raise IOFailed(str(exc)) from None
        self._new(
            stream,
            stream.key,
            stream.next_id - 1,
            S3_SUCCEEDED,
            {**described, **_encoded(request, result)},
        )
        return result

    def _map_run(self, request: S3Request) -> Stream:
        stream = self.by_key.get(request.stream)
        if stream is None:
            label = request.map_run_arn.rpartition("/")[2]
            machine = request.map_run_arn.partition(":mapRun:")[2].rpartition("/")[0]
            stream = self.by_key[request.stream] = Stream(
                request.stream,
                request.map_run_arn,
                MAP_RUN,
                label,
                machine,
                request.parent_arn,
                request.map_run_arn,
                next_id=_next_id(self.stored.get(request.map_run_arn)),
            )
        return stream

    def _new(
        self, stream: Stream, key: str, previous: int, type_: str, details: EventDetails
    ) -> Record:
        event_id = stream.next_id
        stream.next_id = event_id + 1
        record = (event_id, previous, self.clock.now_ns(), type_, details, key)
        if stream.history is not None or self.sink is not None:
            event = ChildEvent(stream, record)
            if stream.history is not None:
                stream.history.append(event)
            if self.sink is not None:
                self.sink(event)
        return record

    def sort(self) -> None:
        """Put replayed histories in id order (a replay hands events back frame by frame)."""
        for history in self.histories.values():
            history.sort(key=_event_id)


def ended(events: Sequence[Event]) -> ChildEnd | None:
    """How a child whose history is ``events`` (as a replay sees them) ended; None if it did not."""
    if not events:
        return None
    last = events[-1]
    status = TERMINAL.get(last.type)
    if status is None:
        return None
    details = last.details or {}
    output = details.get("output") if status == "SUCCEEDED" else None
    if isinstance(output, Payload):
        output = output.value
    elif isinstance(output, str):
        output = json.loads(output)
    return ChildEnd(
        status,
        output,
        details.get("error"),
        details.get("cause"),
        events[0].timestamp,
        last.timestamp,
    )


async def run_blocking(clock: RealClock | VirtualClock, fn: Callable[..., Any], *args: Any) -> Any:
    """Run blocking I/O in a thread; a virtual clock does not jump while it is in flight. A
    decision's clock (``inline_io``) runs it in place: a decision's loop must never wait on a
    thread (it stops when nothing is ready, taking that for "every frame waits")."""
    if clock.inline_io:
        return fn(*args)
    if clock.virtual:
        with clock.busy():  # type: ignore[union-attr]
            return await asyncio.to_thread(fn, *args)
    return await asyncio.to_thread(fn, *args)


def answer(event: Event) -> Any:
    """The recorded answer of an S3 call (raises :class:`IOFailed` for a recorded failure)."""
    details = event.details or {}
    if event.type == S3_FAILED:
        raise IOFailed(details.get("cause", ""))
    if details.get("action") == GET_OBJECT:
        if "bodyBase64" in details:
            return base64.b64decode(details["bodyBase64"])
        return str(details.get("body", "")).encode("utf-8")
    if details.get("action") == LIST_OBJECTS:
        return details.get("objects", [])
    return None


def _described(request: S3Request) -> dict[str, Any]:
    out: dict[str, Any] = {"action": request.action, "bucket": request.bucket}
    if request.action == LIST_OBJECTS:
        out["prefix"] = request.prefix
    else:
        out["key"] = request.key
    return out


def _encoded(request: S3Request, result: Any) -> dict[str, Any]:
    if request.action == GET_OBJECT:
        try:
            return {"body": result.decode("utf-8")}
        except UnicodeDecodeError:
            return {"bodyBase64": base64.b64encode(result).decode("ascii")}
    if request.action == LIST_OBJECTS:
        return {"objects": result}
    return {}


def _next_id(stored: StoredChild | None) -> int:
    return 1 if stored is None else stored.record.last_event_id + 1


def _event_id(event: Event) -> int:
    return event.id


# -- the sink's side -----------------------------------------------------------------------------


def split(events: Iterable[Event]) -> tuple[list[Event], dict[str, ChildAppend]]:
    """The parent's own events, and what to commit with them to each stream (by ARN): pass both
    to ``HistoryStore.append(arn, own, ..., children=...)``."""
    own: list[Event] = []
    children: dict[str, ChildAppend] = {}
    for event in events:
        if type(event) is not ChildEvent:
            own.append(event)
            continue
        stream = event.stream
        entry = children.get(stream.arn)
        if entry is None:
            first = event.id == 1
            record = child_record(stream, event) if first else None
            entry = children[stream.arn] = ChildAppend([], event.id - 1, record=record)
        entry.events.append(event)  # type: ignore[attr-defined]
    for entry in children.values():
        entry.outcome = outcome_of(entry.events[-1])
    return own, children


def child_record(stream: Stream, first: Event) -> ExecutionRecord:
    """The record a stream's first event creates."""
    details = render_details(first.details) or {}
    return ExecutionRecord(
        execution_arn=stream.arn,
        name=stream.name,
        machine_name=stream.machine_name,
        type=stream.kind,
        definition="",
        input=details.get("input", "null") if stream.kind != MAP_RUN else "null",
        seed=0,
        start_date=first.timestamp,
        parent_arn=stream.parent_arn,
        map_run_arn=stream.map_run_arn,
    )


def outcome_of(event: Event) -> Outcome | None:
    """How an execution (its own or a child's) ended, when ``event`` is its end."""
    status = TERMINAL.get(event.type)
    if status is None:
        return None
    details = render_details(event.details) or {}
    return Outcome(
        status,
        event.timestamp,
        output=details.get("output") if status == "SUCCEEDED" else None,
        error=details.get("error"),
        cause=details.get("cause"),
    )
