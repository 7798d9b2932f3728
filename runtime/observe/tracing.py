"""OpenTelemetry traces of executions, made from their recorded events (docs/tracing.md).

One trace per execution: a span for the execution, a child per state (StateEntered to its end),
under a Map state a child per iteration, and under a Task state a child per attempt (Scheduled to
Succeeded/Failed/TimedOut, for tasks, Lambda functions and activities alike). Span times are the
events' timestamps.

The spans come from the drivers' observers, so whichever process stores an event (``asl run``,
``asl serve``, a fleet worker's decision) may be the one to end a span. No process shares state
with another: every id is derived from what all of them know.

* The trace id is a hash of the execution ARN (a Distributed Map child's: its parent's).
* A span id is a hash of the ARN and the event that starts the span (the execution's run: the
  redrive count; a task attempt: its place, visit and attempt number, which is all the
  dispatcher sending it knows, so the ``traceparent`` it sends names the attempt's span).
* A span is made whole when its end is stored: its start comes from this process's memory of the
  execution, or, when another process stored the events in between, from the stored history
  (read once, then followed).

The SDK takes the chosen ids through :class:`DerivedIds`, a custom ``IdGenerator`` (its public
extension point); spans started by anyone else get random ids as usual.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanProcessor
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.trace import NonRecordingSpan, SpanContext, Status, StatusCode, TraceFlags

from runtime.core.events import Event
from runtime.drivers.observers import add_observer
from runtime.observe.tracing_env import TracingError
from runtime.tasks import propagation

TRACER = "asl"
_CAUSE_LIMIT = 4096
_ENDS = ("Succeeded", "Failed", "TimedOut", "Aborted")
_ATTEMPT_KINDS = ("Task", "LambdaFunction", "Activity")
_ATTEMPT_FAILURES = ("Failed", "TimedOut", "ScheduleFailed", "StartFailed", "SubmitFailed")
_VISIT = re.compile(r"\d+(\.\d+)?")


# -- ids ------------------------------------------------------------------------------------------


def _hash(size: int, *parts: object) -> int:
    text = "\x1f".join(str(p) for p in parts).encode()
    value = int.from_bytes(hashlib.blake2b(text, digest_size=size).digest(), "big")
    return value or 1  # (0 is the invalid id)


def trace_id(root_arn: str) -> int:
    """The trace id of an execution (a Distributed Map child: its parent's ARN)."""
    return _hash(16, "trace", root_arn)


def run_span_id(arn: str, redrive: int) -> int:
    """The span id of an execution's run (0: as started; n: its n-th redrive)."""
    return _hash(8, "run", arn, redrive)


def event_span_id(arn: str, event_id: int) -> int:
    """The span id of a state or Map iteration started by event ``event_id``."""
    return _hash(8, "event", arn, event_id)


def attempt_span_id(arn: str, redrive: int, key: str, attempt: int) -> int:
    """The span id of a task attempt: the execution, its redrive count, the state's place and
    visit (``TaskRequest.key``) and the attempt number, as the Celery task id is made."""
    return _hash(8, "attempt", arn, redrive, key, attempt)


class DerivedIds(IdGenerator):
    """The ids the tracer chose for the span it starts next (on this thread); random ids for
    every other span."""

    def __init__(self) -> None:
        self._next = threading.local()
        self._random = RandomIdGenerator()

    def use(self, trace: int, span: int) -> None:
        self._next.ids = (trace, span)

    def generate_trace_id(self) -> int:
        ids = getattr(self._next, "ids", None)
        return ids[0] if ids else self._random.generate_trace_id()

    def generate_span_id(self) -> int:
        ids = getattr(self._next, "ids", None)
        if ids:
            self._next.ids = None
            return ids[1]
        return self._random.generate_span_id()


# -- configuration --------------------------------------------------------------------------------


def provider_from_env(environ: Mapping[str, str] | None = None) -> TracerProvider:
    """A tracer provider as the standard ``OTEL_*`` variables describe it: exporters
    (``OTEL_TRACES_EXPORTER``: ``console``, ``otlp``), ``OTEL_SERVICE_NAME`` (default ``asl``),
    ``OTEL_RESOURCE_ATTRIBUTES``, the sampler (``OTEL_TRACES_SAMPLER``). Raises TracingError."""
    env = os.environ if environ is None else environ
    processors = [BatchSpanProcessor(e) for e in _exporters(env)]
    return make_provider(*processors, resource=_resource(env))


def make_provider(*processors: SpanProcessor, resource: Resource | None = None) -> TracerProvider:
    """A tracer provider whose span ids the tracer may choose (:class:`DerivedIds`)."""
    provider = TracerProvider(resource=resource or Resource.create(), id_generator=DerivedIds())
    for processor in processors:
        provider.add_span_processor(processor)
    return provider


def _resource(env: Mapping[str, str]) -> Resource:
    named = env.get("OTEL_SERVICE_NAME") or "service.name=" in env.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )
    return Resource.create({} if named else {"service.name": "asl"})


def _exporters(env: Mapping[str, str]) -> list[Any]:
    exporters = []
    for name in (n.strip().lower() for n in env.get("OTEL_TRACES_EXPORTER", "").split(",")):
        if name in ("", "none"):
            continue
        if name == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            exporters.append(ConsoleSpanExporter(out=sys.stderr))  # stdout holds results
        elif name == "otlp":
            exporters.append(_otlp(env))
        else:
            raise TracingError(
                f"OTEL_TRACES_EXPORTER names {name!r}: asl knows console and otlp "
                "(a comma-separated list of them, or none)"
            )
    return exporters


def _otlp(env: Mapping[str, str]) -> Any:
    protocol = (
        env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    )
    try:
        if protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError as exc:
        raise TracingError(
            f"OTEL_TRACES_EXPORTER=otlp ({protocol}) needs the OTLP exporter, which is not "
            f"installed ({exc.name or exc}): pip install opentelemetry-exporter-otlp"
        ) from None
    return OTLPSpanExporter()


def enable(store: Any = None, *, celery_worker: bool = False) -> Callable[[], None]:
    """Trace every execution this process records, as the ``OTEL_*`` variables say (``store``:
    the executions' store, or its location, for what other processes recorded): set the
    global tracer provider, register the observer and the dispatchers' trace context, and in a
    Celery worker run each task under the context its message carries. Returns the function
    that turns it off (and flushes); it also runs at exit. Raises TracingError."""
    provider = provider_from_env()
    if isinstance(store, str):  # a location (asl worker --store)
        from runtime.stores import open_store

        store = open_store(store)
    otel_trace.set_tracer_provider(provider)
    removes = install(ExecutionTracer(provider, store))
    if celery_worker:
        removes.append(instrument_celery())
    done: list[bool] = []

    def disable() -> None:
        if done:
            return
        done.append(True)
        for remove in removes:
            remove()
        provider.shutdown()

    atexit.register(disable)
    return disable


def install(tracer: ExecutionTracer) -> list[Callable[[], None]]:
    """Register ``tracer`` as an observer and as the dispatchers' trace context; the
    functions that undo it."""
    return [add_observer(tracer), propagation.set_provider(tracer.context_for)]


def instrument_celery() -> Callable[[], None]:
    """Run each Celery task under the trace context of its message's headers (``traceparent``)
    so the spans user code makes are children of the attempt's span."""
    from celery import signals
    from opentelemetry import propagate

    tokens: dict[str, Any] = {}

    def before(task_id: str | None = None, task: Any = None, **_: Any) -> None:
        request = getattr(task, "request", None)
        carrier = {}
        for name in propagate.get_global_textmap().fields:
            value = getattr(request, name, None)
            if isinstance(value, str):
                carrier[name] = value
        if task_id and carrier:
            tokens[task_id] = otel_context.attach(propagate.extract(carrier))

    def after(task_id: str | None = None, **_: Any) -> None:
        token = tokens.pop(task_id or "", None)
        if token is not None:
            otel_context.detach(token)

    signals.task_prerun.connect(before, weak=False, dispatch_uid="asl-trace-prerun")
    signals.task_postrun.connect(after, weak=False, dispatch_uid="asl-trace-postrun")

    def remove() -> None:
        signals.task_prerun.disconnect(before, dispatch_uid="asl-trace-prerun")
        signals.task_postrun.disconnect(after, dispatch_uid="asl-trace-postrun")

    return remove


# -- the tracer -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Span:
    """An open span: what its end needs."""

    span_id: int
    parent_id: int  # 0: a root
    name: str
    start: int  # epoch ms
    attributes: dict[str, Any]
    events: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    error: str | None = None
    cause: str | None = None
    frames: list[str] = field(default_factory=list)  # child frames (Map iterations, branches)


@dataclass(slots=True)
class _State(_Span):
    frame: str = ""
    state: str = ""
    type: str = ""
    visit: int = 0
    attempts: int = 0
    attempt: _Span | None = None
    iterations: dict[int, _Span] = field(default_factory=dict)


@dataclass(slots=True)
class _Run:
    """What this process knows of one execution's open spans."""

    arn: str
    trace_id: int
    sampled: bool
    parent_id: int  # a Distributed Map child's: its parent's run span
    last_id: int = 0
    redrives: int = 0
    run: _Span | None = None
    states: dict[str, _State] = field(default_factory=dict)  # by frame key
    frame_parents: dict[str, int] = field(default_factory=dict)
    visits: dict[tuple[str, str], int] = field(default_factory=dict)
    ended: bool = False


class ExecutionTracer:
    """The observer that turns executions' events into spans (see the module's docstring).

    ``store`` (optional) answers what this process did not see: a Distributed Map child's
    parent, and the events another process stored. ``limit`` bounds the executions followed.
    """

    def __init__(self, provider: TracerProvider, store: Any = None, limit: int = 10_000) -> None:
        ids = provider.id_generator
        if not isinstance(ids, DerivedIds):
            raise TypeError("the provider must use DerivedIds (see make_provider)")
        self._ids = ids
        self._sampler = provider.sampler
        self._tracer = provider.get_tracer(TRACER)
        self._store = store
        self._limit = limit
        self._runs: OrderedDict[str, _Run] = OrderedDict()
        self._roots: dict[str, tuple[int, bool, int]] = {}
        self._lock = threading.RLock()

    # -- the observer ------------------------------------------------------------------------

    def __call__(self, arn: str, events: Sequence[Event]) -> None:
        if not events:
            return
        with self._lock:
            run = self._runs.pop(arn, None) or self._new_run(arn)
            first = events[0].id
            if first > run.last_id + 1 and self._store is not None:
                for event in self._history(arn):
                    if run.last_id < event.id < first:
                        self._apply(run, event, export=False)
            for event in events:
                if event.id > run.last_id:
                    self._apply(run, event, export=True)
            if not run.ended:
                self._runs[arn] = run
                while len(self._runs) > self._limit:
                    self._runs.popitem(last=False)

    def context_for(self, request: Any) -> Any:
        """The OpenTelemetry context of a task request's attempt span (None: not traced)."""
        execution = request.context.get("Execution") or {}
        arn = execution.get("Id")
        if not request.key or not isinstance(arn, str):
            return None
        with self._lock:
            trace, sampled, _ = self._root(arn)
        redrive = execution.get("RedriveCount") or 0
        span = attempt_span_id(arn, redrive, request.key, request.attempt)
        return _context(trace, span, sampled)

    # -- executions ----------------------------------------------------------------------------

    def _new_run(self, arn: str) -> _Run:
        trace, sampled, parent = self._root(arn)
        return _Run(arn, trace, sampled, parent)

    def _root(self, arn: str) -> tuple[int, bool, int]:
        """(trace id, sampled, parent span id) of an execution."""
        known = self._roots.get(arn)
        if known is not None:
            return known
        parent_arn = self._parent(arn)
        if parent_arn is not None:
            trace, sampled, _ = self._root(parent_arn)
            known = (trace, sampled, run_span_id(parent_arn, 0))
        else:
            trace = trace_id(arn)
            decision = self._sampler.should_sample(None, trace, "execution")
            known = (trace, decision.decision.is_sampled(), 0)
        if len(self._roots) > self._limit:
            self._roots.clear()
        self._roots[arn] = known
        return known

    def _parent(self, arn: str) -> str | None:
        """A Distributed Map child's parent execution (its machine part names the Map)."""
        rest = arn.partition(":execution:")[2]
        if not rest or "/" not in rest.rpartition(":")[0] or self._store is None:
            return None
        with contextlib.suppress(Exception):
            record = self._store.get(arn)
            parent = getattr(record, "parent_arn", None)
            return parent if parent and parent != arn else None
        return None

    def _history(self, arn: str) -> Sequence[Event]:
        try:
            return self._store.events(arn)
        except Exception:  # a tracer never fails the execution
            return ()

    # -- events --------------------------------------------------------------------------------

    def _apply(self, run: _Run, event: Event, *, export: bool) -> None:
        run.last_id = event.id
        kind, ms, frame = event.type, event.millis, event.frame
        if kind == "ExecutionStarted" or kind == "ExecutionRedriven":
            self._start_run(run, event)
        elif kind.startswith("Execution") and kind.endswith(_ENDS):
            self._end_run(run, event, export)
        elif kind.endswith("StateEntered"):
            self._enter(run, event, export)
        elif kind.endswith("StateExited"):
            state = run.states.get(frame)
            if state is not None:
                if state.error is not None:  # a Catch took the failure: the state goes on
                    state.attributes["asl.caught"] = state.error
                    state.error = state.cause = None
                self._close(run, state, ms, export)
        elif kind.endswith("StateAborted"):
            state = run.states.get(frame)
            if state is not None:
                state.error = state.error or "States.Aborted"
                self._close(run, state, ms, export)
        elif kind.startswith(_ATTEMPT_KINDS):
            self._attempt_event(run, event, export)
        elif kind.startswith("MapIteration"):
            self._iteration_event(run, event, export)
        elif kind.startswith(("MapState", "ParallelState")) and kind.endswith(_ENDS):
            state = run.states.get(frame)
            if state is not None:
                if not kind.endswith("Succeeded"):
                    details = event.details or {}
                    state.error = details.get("error") or kind.removeprefix("MapState")
                    state.cause = details.get("cause")
                self._close_children(run, state, ms, export)
        elif frame in run.states:  # MapStateStarted, MapRunStarted, WaitStateEntered...
            run.states[frame].events.append((kind, ms, {}))

    def _start_run(self, run: _Run, event: Event) -> None:
        if event.type == "ExecutionRedriven":
            run.redrives += 1
            run.ended = False
        arn = run.arn
        machine = _machine_arn(arn)
        attributes = {
            "asl.execution.arn": arn,
            "asl.state_machine.arn": machine,
            "asl.execution.redrive_count": run.redrives,
        }
        parent = run_span_id(arn, 0) if run.redrives else run.parent_id
        name = f"{'Redrive' if run.redrives else 'Execution'} {machine.rpartition(':')[2]}"
        run.run = _Span(run_span_id(arn, run.redrives), parent, name, event.millis, attributes)
        run.frame_parents[""] = run.run.span_id

    def _end_run(self, run: _Run, event: Event, export: bool) -> None:
        if run.run is None:  # started before anything this process could read
            self._start_run(run, event)
        assert run.run is not None
        status = event.type.removeprefix("Execution")
        details = event.details or {}
        failed = status != "Succeeded"
        error = details.get("error") or (f"States.{status}" if failed else None)
        for state in list(run.states.values()):
            if failed and state.type == "Fail":  # the state that failed the execution
                state.error, state.cause = error, details.get("cause")
        for state in sorted(run.states.values(), key=lambda s: len(s.frame)):
            self._close(run, state, event.millis, export, aborted=failed)  # (and its children)
        run.run.attributes["asl.execution.status"] = status.upper().replace("TIMEDOUT", "TIMED_OUT")
        if failed:
            run.run.error, run.run.cause = error, details.get("cause")
        self._export(run, run.run, event.millis, export)
        run.ended = True

    def _enter(self, run: _Run, event: Event, export: bool) -> None:
        frame = event.frame
        details = event.details or {}
        name = str(details.get("name", ""))
        kind = event.type.removesuffix("StateEntered")
        previous = run.states.get(frame)
        if previous is not None:  # its end was not recorded (a caught failure)
            self._close(run, previous, event.millis, export)
        parent = self._frame_parent(run, frame)
        visit_key = (frame, name)
        visit = run.visits[visit_key] = run.visits.get(visit_key, 0) + 1
        attributes: dict[str, Any] = {
            "asl.execution.arn": run.arn,
            "asl.state.name": name,
            "asl.state.type": kind,
        }
        run.states[frame] = _State(
            event_span_id(run.arn, event.id),
            parent,
            name,
            event.millis,
            attributes,
            frame=frame,
            state=name,
            type=kind,
            visit=visit,
        )

    def _frame_parent(self, run: _Run, frame: str) -> int:
        """The span a frame's states belong to: the run, a Map iteration or a Parallel state."""
        known = run.frame_parents.get(frame)
        if known is not None:
            return known
        parent = run.run.span_id if run.run is not None else run_span_id(run.arn, run.redrives)
        cut = frame.rfind("/")
        prefix, tail = frame[:cut], frame[cut + 1 :]
        for state in run.states.values():
            head = f"{state.frame}/{state.state}#"
            if state.type not in ("Map", "Parallel") or not prefix.startswith(head):
                continue
            if not _VISIT.fullmatch(prefix[len(head) :]):
                continue
            owner: _Span = state
            if tail.startswith("i") and tail[1:].isdigit():
                owner = state.iterations.get(int(tail[1:]), state)
            owner.frames.append(frame)
            parent = owner.span_id
            break
        run.frame_parents[frame] = parent
        return parent

    def _attempt_event(self, run: _Run, event: Event, export: bool) -> None:
        state = run.states.get(event.frame)
        if state is None:
            return
        kind = event.type
        prefix = next(p for p in _ATTEMPT_KINDS if kind.startswith(p))
        phase = kind[len(prefix) :]
        details = event.details or {}
        if phase in ("Scheduled", "ScheduleFailed") or state.attempt is None:
            if state.attempt is not None:  # (an end this process never saw)
                self._export(run, state.attempt, event.millis, export)
            number = state.attempts
            state.attempts += 1
            key = f"{state.frame}/{state.state}#{state.visit}"
            resource = str(details.get("resource", ""))
            attributes = {
                "asl.execution.arn": run.arn,
                "asl.state.name": state.state,
                "asl.task.resource": resource,
                "asl.task.retry_attempt": number,
            }
            if "resourceType" in details:
                attributes["asl.task.resource_type"] = str(details["resourceType"])
            state.attempt = _Span(
                attempt_span_id(run.arn, run.redrives, key, number),
                state.span_id,
                f"{state.state} attempt",
                event.millis,
                attributes,
            )
        attempt = state.attempt
        if phase in _ATTEMPT_FAILURES:
            error = details.get("error") or f"States.{phase}"
            attempt.error = state.error = str(error)
            attempt.cause = state.cause = details.get("cause")
        if phase in _ATTEMPT_FAILURES or phase == "Succeeded":
            state.error = None if phase == "Succeeded" else state.error
            self._export(run, attempt, event.millis, export)
            state.attempt = None
        elif phase != "Scheduled":
            attempt.events.append((kind, event.millis, {}))

    def _iteration_event(self, run: _Run, event: Event, export: bool) -> None:
        state = run.states.get(event.frame)
        details = event.details or {}
        index = details.get("index")
        if state is None or not isinstance(index, int):
            return
        phase = event.type.removeprefix("MapIteration")
        if phase == "Started":
            attributes = {"asl.execution.arn": run.arn, "asl.map.index": index}
            state.iterations[index] = _Span(
                event_span_id(run.arn, event.id),
                state.span_id,
                f"{state.state} iteration",
                event.millis,
                attributes,
            )
            return
        iteration = state.iterations.pop(index, None)
        if iteration is None:
            return
        if phase != "Succeeded":
            iteration.error = f"States.{phase}" if phase != "Failed" else "States.Failed"
        self._close_frames(run, iteration.frames, event.millis, export)
        self._export(run, iteration, event.millis, export)

    # -- ending spans ----------------------------------------------------------------------------

    def _close(
        self, run: _Run, state: _State, ms: int, export: bool, *, aborted: bool = False
    ) -> None:
        if run.states.get(state.frame) is not state:
            return
        del run.states[state.frame]
        self._close_children(run, state, ms, export)
        if state.attempt is not None:
            state.attempt.error = state.attempt.error or "States.Aborted"
            self._export(run, state.attempt, ms, export)
            state.attempt = None
        if aborted and state.error is None:
            state.attributes["asl.aborted"] = True
        self._export(run, state, ms, export)

    def _close_children(self, run: _Run, state: _State, ms: int, export: bool) -> None:
        for index in list(state.iterations):
            iteration = state.iterations.pop(index)
            iteration.attributes["asl.aborted"] = True
            self._close_frames(run, iteration.frames, ms, export)
            self._export(run, iteration, ms, export)
        self._close_frames(run, state.frames, ms, export)
        state.frames = []

    def _close_frames(self, run: _Run, frames: list[str], ms: int, export: bool) -> None:
        for frame in frames:
            child = run.states.get(frame)
            if child is not None:
                self._close(run, child, ms, export, aborted=True)

    def _export(self, run: _Run, span: _Span, end_ms: int, export: bool) -> None:
        if not export or not run.sampled:
            return
        parent = _context(run.trace_id, span.parent_id, True) if span.parent_id else None
        self._ids.use(run.trace_id, span.span_id)
        made = self._tracer.start_span(
            span.name,
            context=parent or otel_context.Context(),
            attributes=span.attributes,
            start_time=span.start * 1_000_000,
        )
        for name, ms, attributes in span.events:
            made.add_event(name, attributes, timestamp=ms * 1_000_000)
        if span.error is not None:
            made.set_attribute("error.type", span.error)
            made.set_attribute("asl.error", span.error)
            if span.cause:
                made.set_attribute("asl.cause", str(span.cause)[:_CAUSE_LIMIT])
            made.set_status(Status(StatusCode.ERROR, span.error))
        made.end(end_time=max(end_ms, span.start) * 1_000_000)


def _context(trace: int, span: int, sampled: bool) -> Any:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    parent = NonRecordingSpan(SpanContext(trace, span, is_remote=False, trace_flags=flags))
    return otel_trace.set_span_in_context(parent, otel_context.Context())


def _machine_arn(arn: str) -> str:
    """``...:execution:MACHINE:NAME`` -> ``...:stateMachine:MACHINE`` (a Distributed Map
    child's ``MACHINE/MAP``: the parent's machine)."""
    head, sep, rest = arn.partition(":execution:")
    if not sep:
        head, sep, rest = arn.partition(":express:")
    machine = rest.rpartition(":")[0].partition("/")[0]
    return f"{head}:stateMachine:{machine}" if sep else arn


__all__ = [
    "DerivedIds",
    "ExecutionTracer",
    "attempt_span_id",
    "enable",
    "event_span_id",
    "install",
    "instrument_celery",
    "make_provider",
    "provider_from_env",
    "run_span_id",
    "trace_id",
]
