"""Start, resume and redrive executions against a history store.

The driver (:func:`runtime.drivers.execution.run_execution`) runs an execution and reports each
new event
to a sink; here that sink appends the events to the store in whole transitions (group commit: at
once for tasks and the execution's end, every ``commit_interval`` otherwise; the last commit
finishing the record too), while a heartbeat keeps the execution's lease. ``resume`` replays the
stored history and carries on; ``redrive`` appends ``ExecutionRedriven`` and replays what
succeeded, re-running the failed part, as RedriveExecution does. Distributed Map children are
child executions in the store, committed with their parent's events; both replay them too
(:func:`stored_children`).

Each of them prepares a :class:`Launch` (:func:`resuming` and :func:`redriving` are those steps
alone) and :func:`run` runs it; :func:`drive` is the run itself, for a caller that runs many
executions on one event loop (``asl serve``). Callers go through
:class:`runtime.drivers.run_path.Executions`.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import sys
import time
import uuid
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from asl.errors import StatesError
from runtime.callbacks import using_store
from runtime.callbacks.progress import INTERMEDIATE
from runtime.core.events import Event, is_task_attempt, to_json
from runtime.drivers import nested as _nested  # noqa: F401  (installs the nested executions' driver)
from runtime.drivers import observers
from runtime.drivers.clock import RealClock, VirtualClock
from runtime.drivers.execution import (
    Dispatch,
    ExecutionResult,
    HistoryUnwritable,
    execution_arn,
    redrive_recording,
    run_execution,
)
from runtime.drivers.map_children import ChildEvent, StoredChild, ended, outcome_of, split
from runtime.drivers.map_runs import update_reader
from runtime.stores.base import (
    MAP_RUN,
    REDRIVABLE_STATUSES,
    RUNNING,
    ExecutionRecord,
    HistoryStore,
    Outcome,
    StoreError,
    StoreLocked,
    lease_is_live,
    lease_owner,
)

HEARTBEAT_SECONDS = 10.0
REDRIVE_EVENT_LIMIT = 24_999
"""A redrive needs a history of fewer events than this: room for ExecutionRedriven and at
least one more event under the 25,000-event quota (RedriveExecution's rule)."""
DEFAULT_COMMIT_INTERVAL = 0.002
"""Seconds between commits of pure transitions (``ASL_COMMIT_INTERVAL_MS`` overrides it)."""
Observer = Callable[[Event], None]
Warn = Callable[[str], None]
Loader = Callable[[str, str, str], Any]
"""``(definition, type, filename) -> compiled machine``."""

_TERMINAL_EVENTS = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}
_NAME = re.compile(r"^[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}$")


class RunError(Exception):
    """An execution cannot be started, resumed or redriven as asked (message for the user)."""


def valid_name(name: str) -> bool:
    """Whether ``name`` may name an execution (StartExecution's rule)."""
    return _NAME.match(name) is not None


def load_machine(definition: str, kind: str, filename: str) -> Any:
    """The compiled machine of a definition (JSON or YAML text), remembered per text."""
    return _load(definition, kind, filename)


@dataclass(slots=True)
class RunOptions:
    """How tasks are dispatched and time passes; stored with the execution for resume."""

    lambdas: dict[str, str] = field(default_factory=dict)
    bindings: dict[str, str] = field(default_factory=dict)
    mock_config: str | None = None
    test_case: str | None = None
    time_skip: bool = False
    cwd: str | None = None  # added to sys.path so handler modules import as they did
    aws: str | None = None  # where AWS calls go (off|moto|aws); None: $ASL_AWS when it runs

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunOptions:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def start(
    store: HistoryStore,
    definition: str,
    input_value: Any = None,
    *,
    filename: str = "<definition>",
    name: str | None = None,
    machine_name: str = "machine",
    express: bool = False,
    options: RunOptions | None = None,
    seed: int | None = None,
    dispatch: Dispatch | None = None,
    observer: Observer | None = None,
    warn: Warn | None = None,
    commit_interval: float | None = None,
    keep_history: bool = True,
    owner: str | None = None,
    loader: Loader | None = None,
    callbacks: HistoryStore | None = None,
) -> ExecutionResult:
    """Start an execution of ``definition`` (JSON or YAML text), record it and run it to its end.

    Raises :class:`asl.DefinitionError` for an invalid definition, ``ConfigurationError`` for bad
    task options, :class:`RunError` for a bad name and ``StoreError`` subclasses (among them
    ``ExecutionAlreadyExists``). Repeating the start of a RUNNING execution with the same name and
    input waits for that execution, as StartExecution returns the existing one.

    ``commit_interval`` (seconds; default ``$ASL_COMMIT_INTERVAL_MS``, else 2 ms) is how long pure
    transitions may wait to be committed together; 0 commits every transition on its own. Tasks,
    Waits and the execution's end are committed at once whatever it is. ``keep_history=False``:
    the result carries no events (the store still gets them). ``owner``, ``loader`` and
    ``callbacks`` are as for :func:`resuming`.
    """
    check_name(name)
    interval = commit_interval_of(commit_interval)
    options = options or RunOptions()
    kind = "EXPRESS" if express else "STANDARD"
    machine = (loader or _load)(definition, kind, filename)
    dispatch = dispatch or _dispatch(options, machine_name, machine, warn)
    clock = _clock(options)
    owner = owner or lease_owner()
    record = new_record(
        definition,
        input_value,
        kind=kind,
        name=name,
        machine_name=machine_name,
        filename=filename,
        options=options,
        seed=seed,
        start_date=clock.now(),
        owner=owner,
    )
    stored, created = store.create(record)
    if not created:
        return _attach(store, stored)
    launch = Launch(
        store,
        stored,
        machine,
        dispatch,
        clock,
        owner,
        callbacks=callbacks,
        observer=observer,
        commit_interval=interval,
    )
    return run(launch, keep_history=keep_history)


def check_name(name: str | None) -> None:
    """StartExecution's rule for an execution name (None: one is made); :class:`RunError`."""
    if name is not None and not _NAME.match(name):
        raise RunError(
            f"invalid execution name {name!r}: 1 to 80 characters, no whitespace, brackets, "
            'wildcards or any of " # % \\ ^ | ~ ` $ & , ; : /'
        )


def new_record(
    definition: str,
    input_value: Any,
    *,
    kind: str,
    name: str | None,
    machine_name: str,
    filename: str,
    options: RunOptions,
    seed: int | None,
    start_date: datetime,
    owner: str | None = None,
) -> ExecutionRecord:
    """The record of a new execution (its name made when None, its seed drawn when None);
    ``owner``: the process that will run it, holding its lease from now."""
    name = name or str(uuid.uuid4())
    return ExecutionRecord(
        execution_arn=execution_arn(machine_name, name, kind == "EXPRESS"),
        name=name,
        machine_name=machine_name,
        type=kind,
        definition=definition,
        input=to_json({} if input_value is None else input_value),
        seed=seed if seed is not None else random.SystemRandom().getrandbits(63),
        start_date=start_date,
        filename=filename,
        options=options.to_dict(),
        lease_owner=owner,
        lease_heartbeat=time.time() if owner else None,
    )


def resume(
    store: HistoryStore,
    execution_id: str,
    *,
    dispatch: Dispatch | None = None,
    observer: Observer | None = None,
    warn: Warn | None = None,
    commit_interval: float | None = None,
    aws: str | None = None,
) -> ExecutionResult:
    """Continue a RUNNING Standard execution whose process died, from its stored history.

    Finished states and tasks are handed back from history, not repeated. Raises ``LeaseHeld``
    when another live process is running it, :class:`RunError` when it is not resumable.
    ``commit_interval`` is as for :func:`start`; ``aws`` (off|moto|aws) overrides the mode the
    execution was started with.
    """
    options = {"observer": observer, "warn": warn, "commit_interval": commit_interval, "aws": aws}
    return run(resuming(store, execution_id, dispatch=dispatch, **options))


def redrive(
    store: HistoryStore,
    execution_id: str,
    *,
    dispatch: Dispatch | None = None,
    observer: Observer | None = None,
    warn: Warn | None = None,
    commit_interval: float | None = None,
    aws: str | None = None,
) -> ExecutionResult:
    """Restart a FAILED, TIMED_OUT or ABORTED Standard execution from where it failed.

    Appends ``ExecutionRedriven`` and replays the history up to the failure, so only the failed
    part runs again; the record's ``redrive_count`` goes up by one. ``commit_interval`` is as for
    :func:`start`; ``aws`` as for :func:`resume`.
    """
    options = {"observer": observer, "warn": warn, "commit_interval": commit_interval, "aws": aws}
    return run(redriving(store, execution_id, dispatch=dispatch, **options))


class NotRedrivable(RunError):
    """The execution cannot be redriven now (it changed, or its history is too long); ``reason``
    says why in RedriveExecution's words."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def resuming(store: HistoryStore, execution_id: str, **options: Any) -> Launch:
    """:func:`resume` up to its run: the lease taken, the history and the stored Distributed Map
    children loaded. Takes :func:`resume`'s options and ``owner`` (the lease owner, default this
    process), ``loader`` (compiles the definition; default :func:`load_machine`) and
    ``callbacks`` (where pending tasks live; default the store)."""
    return _continuing(store, execution_id, redrive=False, **options)


def redriving(store: HistoryStore, execution_id: str, **options: Any) -> Launch:
    """:func:`redrive` up to its run: the lease taken, ``ExecutionRedriven`` recorded (the
    record's ``redrive_date`` is its time), the replay and the stored children loaded; options
    as for :func:`resuming`. Raises :class:`NotRedrivable` when the execution changed meanwhile
    or its history is too long."""
    return _continuing(store, execution_id, redrive=True, **options)


def _continuing(
    store: HistoryStore,
    execution_id: str,
    *,
    redrive: bool,
    dispatch: Dispatch | None = None,
    observer: Observer | None = None,
    warn: Warn | None = None,
    commit_interval: float | None = None,
    aws: str | None = None,
    owner: str | None = None,
    loader: Loader | None = None,
    callbacks: HistoryStore | None = None,
) -> Launch:
    interval = commit_interval_of(commit_interval)
    record = _durable(store.get(execution_id), "redrive" if redrive else "resume")
    _check_continuable(record, redrive)
    owner = owner or lease_owner()
    store.acquire(record.execution_arn, owner)
    try:
        record = store.get(record.execution_arn)
        _check_continuable(record, redrive, leased=True)
        events = store.events(record.execution_arn)
        options = _options(record, aws)
        machine = (loader or _load)(record.definition, record.type, record.filename)
        dispatch = dispatch or _dispatch(options, record.machine_name, machine, warn)
        clock = _clock(options, events)
        live = live_events(events)
        if redrive:
            # The children first: a redrive cut short before its parent's is done again in full.
            preview = redrive_recording(live)
            children = stored_children(
                store, record.execution_arn, preview, clock.now(), redrive=True
            )
            record, live = mark_redriven(store, record, events, clock.now())
        else:
            children = stored_children(store, record.execution_arn, live, clock.now())
    except BaseException:
        _release(store, record.execution_arn, owner)
        raise
    return Launch(
        store,
        record,
        machine,
        dispatch,
        clock,
        owner,
        live,
        children,
        callbacks=callbacks,
        observer=observer,
        commit_interval=interval,
    )


def _check_continuable(record: ExecutionRecord, redrive: bool, leased: bool = False) -> None:
    """RunError unless ``record`` can be resumed (or redriven) now."""
    name, status = record.name, record.status
    if not redrive:
        if status == RUNNING:
            return
        if leased:
            raise RunError(f"execution {name!r} has ended ({status}); not resumed")
        hint = "; use `asl redrive` to run its failed part again"
        raise RunError(
            f"execution {name!r} has already ended ({status}); "
            f"nothing to resume{hint if status in REDRIVABLE_STATUSES else ''}"
        )
    if status not in REDRIVABLE_STATUSES:
        if leased:
            raise NotRedrivable(
                f"execution {name!r} is {status} now; not redriven", f"the execution is {status}"
            )
        raise RunError(
            f"execution {name!r} is {status}; only FAILED, TIMED_OUT or ABORTED "
            "executions can be redriven"
            + ("" if status != RUNNING else " (use `asl resume` to continue it)")
        )
    too_long = history_too_long(record) if leased else None
    if too_long:
        raise NotRedrivable(f"execution {name!r} cannot be redriven: {too_long}", too_long)


def history_too_long(record: ExecutionRecord) -> str | None:
    """Why the execution's history is too long to redrive (None when it is not)."""
    if record.last_event_id < REDRIVE_EVENT_LIMIT:
        return None
    return (
        f"its history has {record.last_event_id} events; a redrive needs fewer than "
        f"{REDRIVE_EVENT_LIMIT:,} (room for ExecutionRedriven and more under the 25,000-event "
        "quota). Start a new execution instead"
    )


def mark_redriven(
    store: HistoryStore, record: ExecutionRecord, events: list[Event], now: datetime
) -> tuple[ExecutionRecord, list[Event]]:
    """Append ``ExecutionRedriven`` to a failed execution's stored history (the caller holds its
    lease); return the record as stored now and the events a redrive replays."""
    last = record.last_event_id
    redriven = Event(
        last + 1, last, now, "ExecutionRedriven", {"redriveCount": record.redrive_count + 1}
    )
    store.redrive(record.execution_arn, redriven, expected_last_id=last)
    observers.notify(record.execution_arn, (redriven,))
    return store.get(record.execution_arn), live_events([*events, redriven])


def stored_children(
    store: HistoryStore,
    arn: str,
    live: list[Event],
    now: datetime,
    *,
    redrive: bool = False,
) -> list[StoredChild]:
    """The stored Distributed Map children and Map Runs of execution ``arn`` (and of its
    children that have not ended), as a replay of ``live`` (its events as the replay sees them)
    continues them: pass them to :func:`run_execution` as ``children``.

    A child of a Map Run still open in ``live`` that ended ABORTED (its run was cut off with
    its parent's process) is redriven first: ``ExecutionRedriven`` is appended and it goes on
    where it was. With ``redrive`` (the parent is being redriven) so are FAILED and TIMED_OUT
    ones, as a redriven Map Run redrives its failed children; children that succeeded, and
    those of Map Runs that ended, are taken as they ended."""
    if not any(event.type == "MapRunStarted" for event in live):
        return []
    open_runs = _open_map_runs(live)
    again = REDRIVABLE_STATUSES if redrive else ("ABORTED",)
    found: list[StoredChild] = []
    for child in store.children(arn):
        events = store.events(child.execution_arn)
        rerun = child.status in again and child.map_run_arn in open_runs
        if rerun and child.type != MAP_RUN:
            child, events = mark_redriven(store, child, events, now)
        else:
            events = live_events(events)
        found.append(StoredChild(child, events))
        if child.type != MAP_RUN and ended(events) is None:
            found += stored_children(store, child.execution_arn, events, now, redrive=redrive)
    return found


def _open_map_runs(events: Iterable[Event]) -> set[str]:
    """The ARNs of the Map Runs started in ``events`` that have not ended there."""
    running: dict[str, str] = {}  # frame -> its Map Run
    for event in events:
        if event.type == "MapRunStarted":
            running[event.frame] = (event.details or {}).get("mapRunArn", "")
        elif event.type in ("MapRunSucceeded", "MapRunFailed", "MapRunAborted"):
            running.pop(event.frame, None)
    return set(running.values())


def live_events(events: Iterable[Event]) -> list[Event]:
    """The stored history as a replay sees it: each redrive drops what it ran again.

    A redrive recorded by an earlier asl continued the failed task attempt (its next event is
    that attempt's outcome, with no new scheduling): such a history is read by its own rule, so
    it replays as it was recorded.
    """
    events = list(events)
    live: list[Event] = []
    for index, event in enumerate(events):
        if event.type == "ExecutionRedriven":
            following = events[index + 1] if index + 1 < len(events) else None
            live = redrive_recording(live, keep_attempt=_continued_attempt(following))
        else:
            live.append(event)
    return live


def _continued_attempt(event: Event | None) -> bool:
    """Whether the first event after a redrive goes on with a task attempt (a redrive by an
    earlier asl) rather than re-entering a state or scheduling anew."""
    if event is None:
        return False
    return is_task_attempt(event.type) and not event.type.endswith("Scheduled")


def result_of(record: ExecutionRecord, events: list[Event] | None = None) -> ExecutionResult:
    """An :class:`ExecutionResult` for a stored execution."""
    return ExecutionResult(
        record.execution_arn,
        record.name,
        record.status,
        output=record.output_value,
        error=record.error,
        cause=record.cause,
        start_date=record.start_date,
        stop_date=record.stop_date,
        records=events or [],
    )


# -- internals -----------------------------------------------------------------------------------


class _Recorder:
    """The driver's sink: events are committed in whole transitions, several to a transaction.

    A commit ends on a transition boundary (an event ending in ``StateEntered``, ``Succeeded``,
    ``Failed``, ``TimedOut`` or ``Aborted``), never in the middle of one. It happens at once on
    what must not be lost: a task's outcome, a task's intermediate events (``TaskSubmitted``,
    ``ActivityStarted``), a Map Run's end and the execution's end; the driver also calls
    :meth:`flush` before it dispatches a task or lets time pass (Wait, retry delay). Any other
    boundary commits only once ``commit_interval`` seconds have passed since the last commit
    (0: every boundary, one transaction per transition); a loop that goes idle with whole
    transitions pending commits them after that interval too. What a crash loses is only pure
    transitions (Pass, Choice, ...) that a replay of the committed history produces again.
    """

    def __init__(
        self,
        store: HistoryStore,
        arn: str,
        last_id: int,
        observer: Observer | None,
        commit_interval: float = DEFAULT_COMMIT_INTERVAL,
    ) -> None:
        self.store, self.arn, self.last_id, self.observer = store, arn, last_id, observer
        self.pending: list[Event] = []
        self.whole = 0  # pending[:whole] are whole transitions
        self.interval = commit_interval
        self.due = time.monotonic() + commit_interval
        self.failed = False  # the last commit raised: its events are still pending
        self.unwritable: HistoryUnwritable | None = None  # until the execution's end is recorded
        self._timer: asyncio.TimerHandle | None = None
        self.streams = False  # events of child executions or Map Runs came (see :meth:`child`)

    def __call__(self, event: Event) -> None:
        if self.unwritable is not None:
            if event.type not in _TERMINAL_EVENTS or event.frame:
                raise self.unwritable
            self.unwritable = None  # the execution's end, in the unwritable event's place
        pending = self.pending
        pending.append(event)
        kind = _KINDS.get(event.type)
        if kind is None:
            kind = _KINDS[event.type] = _kind(event.type)
        if kind is _BOUNDARY:
            if self.interval <= 0 or time.monotonic() >= self.due:
                self.flush()
            else:
                self.whole = len(pending)
                if self._timer is None:
                    self._arm()
        elif kind is _AT_ONCE or (kind is _END and not event.frame):
            self.flush()
        elif kind is _END:
            self.whole = len(pending)  # a child execution's end: a boundary like any other
        if self.observer is not None:
            self.observer(event)

    def child(self, event: ChildEvent) -> None:
        """An event of a Distributed Map child execution or Map Run: committed with this
        execution's events, in the same transactions (a child's end is a transition's end)."""
        self.streams = True
        self(event)

    def flush(self) -> None:
        """Commit every event recorded since the last commit, in one transaction."""
        if self.pending:
            self._commit(len(self.pending))

    def flush_whole(self) -> None:
        """Commit the whole transitions still pending, if the store lets us (a run that raised).

        Leaves out a half-recorded transition, and does not retry a commit that just failed.
        """
        if self.whole and not self.failed:
            with suppress(StoreError, HistoryUnwritable):
                self._commit(self.whole)

    def close(self) -> None:
        """Stop the idle-commit timer (the run is over, whatever is still pending stays so)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _commit(self, count: int) -> None:
        pending = self.pending
        events = pending if count == len(pending) else pending[:count]
        own = events
        self.failed = True
        children = None
        try:
            if self.streams:
                own, children = split(events)
                self.store.append(
                    self.arn,
                    own,
                    expected_last_id=self.last_id,
                    outcome=_outcome(own[-1]) if own else None,
                    children=children,
                )
            else:
                self.store.append(
                    self.arn, events, expected_last_id=self.last_id, outcome=_outcome(events[-1])
                )
        except _RENDERING_ERRORS as exc:
            found = _first_unwritable(events)
            if found is None:
                raise
            self._drop_from(found[0], found[1] or str(exc))
        self.failed = False
        if observers.observed():
            observers.notify(self.arn, own, children)
        if own:
            self.last_id = own[-1].id
        self.pending = [] if events is pending else pending[count:]
        self.whole = 0
        self.due = time.monotonic() + self.interval
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _drop_from(self, index: int, reason: str) -> None:
        """Drop pending events from ``index`` on (the first the store cannot write) and raise
        :class:`HistoryUnwritable`; the driver ends the execution in that event's place (in the
        place of its next event when the event is a child execution's)."""
        event = self.pending[index]
        event_id = event.id
        if type(event) is ChildEvent:
            reason = f"event {event.id} of {event.stream.arn}: {reason}"
            own = [e.id for e in self.pending if type(e) is not ChildEvent]
            later = [e.id for e in self.pending[index:] if type(e) is not ChildEvent]
            event_id = later[0] if later else max(own, default=self.last_id) + 1
        self.unwritable = HistoryUnwritable(event_id, reason)
        del self.pending[index:]
        self.whole = min(self.whole, index)
        self.failed = False
        raise self.unwritable

    def _arm(self) -> None:
        """Commit the pending whole transitions when the event loop next idles past the interval
        (a Parallel branch's pure states while another branch waits on a long task)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not driven by an event loop: the next boundary or flush commits
            return
        self._timer = loop.call_later(self.interval, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if not self.whole:
            return
        try:
            self._commit(self.whole)
        except StoreLocked:
            self._arm()  # try again later; the driver's next commit raises if it persists
        except (StoreError, HistoryUnwritable):
            pass  # the driver's next commit or event raises it


_BOUNDARY = "boundary"  # ends a transition: commit when the interval has passed
_AT_ONCE = "at once"  # records the outside world (a task's outcome or progress): commit now
_END = "end"  # the execution's end (commit now, with the outcome), unless a child's
_INSIDE = "inside"  # the middle of a transition: never commit after it (unless flushed)
_KINDS: dict[str, str] = {}
_ENDS_TRANSITION = ("StateEntered", "Succeeded", "Failed", "TimedOut", "Aborted")
_OUTSIDE_WORLD = ("Task", "LambdaFunction", "Activity", "MapRun", "S3Call")


_RENDERING_ERRORS = (StatesError, TypeError, ValueError, RecursionError)
"""What writing an event's payload as JSON raises when it is not JSON (deep, a set, a cycle)."""


def _first_unwritable(events: list[Event]) -> tuple[int, str] | None:
    """(index, reason) of the first event whose details cannot be written as JSON."""
    for index, event in enumerate(events):
        try:
            text = event.details_json()
            if text is not None and not text.isascii():
                text.encode("utf-8")  # UnicodeEncodeError (a ValueError): a lone surrogate
        except _RENDERING_ERRORS as exc:
            return index, str(exc) or type(exc).__name__
    return None


def _kind(type_: str) -> str:
    if type_ in _TERMINAL_EVENTS:
        return _END
    if type_ in INTERMEDIATE:
        return _AT_ONCE
    if not type_.endswith(_ENDS_TRANSITION):
        return _INSIDE
    if type_.startswith(_OUTSIDE_WORLD) and not type_.startswith("TaskState"):
        return _AT_ONCE  # TaskSucceeded, LambdaFunctionFailed, MapRunSucceeded, ...
    return _BOUNDARY


def commit_interval_of(value: float | None = None) -> float:
    """The commit interval in seconds: ``value``, else ``$ASL_COMMIT_INTERVAL_MS``, else 2 ms."""
    if value is None:
        text = os.environ.get("ASL_COMMIT_INTERVAL_MS", "").strip()
        if not text:
            return DEFAULT_COMMIT_INTERVAL
        try:
            value = float(text) / 1000
        except ValueError:
            value = -1.0
        if not (0 <= value < float("inf")):
            raise RunError(
                f"ASL_COMMIT_INTERVAL_MS={text!r}: expected a number of milliseconds, 0 or more"
            )
        return value
    if not (0 <= value < float("inf")):
        raise RunError(f"commit_interval={value!r}: expected a number of seconds, 0 or more")
    return float(value)


def _outcome(event: Event) -> Outcome | None:
    """How the execution ended, when ``event`` is its end."""
    return None if event.frame else outcome_of(event)


@dataclass(slots=True, eq=False)
class Launch:
    """One stored execution ready to run: from its start, or going on from its ``recorded``
    history (and its stored Distributed Map ``children``).

    ``owner`` is the lease this process holds on it (None: none, as for ``asl serve``'s Express
    executions), released when the run ends; ``callbacks`` is where its pending tasks live
    (default: ``store``); ``role_arn`` and ``sync`` are as for ``run_execution``. Its events go to
    ``store`` through its recorder, in whole transitions every ``commit_interval`` seconds (at
    once around tasks, waits and the end), each one also given to ``observer``.
    """

    store: HistoryStore
    record: ExecutionRecord
    machine: Any
    dispatch: Dispatch
    clock: RealClock | VirtualClock
    owner: str | None = None
    recorded: list[Event] | None = None
    children: Sequence[StoredChild] = ()
    role_arn: str | None = None
    sync: bool = True
    callbacks: HistoryStore | None = None
    observer: Observer | None = None
    commit_interval: float = DEFAULT_COMMIT_INTERVAL
    recorder: _Recorder = field(init=False)

    def __post_init__(self) -> None:
        record = self.record
        self.recorder = _Recorder(
            self.store,
            record.execution_arn,
            record.last_event_id,
            self.observer,
            self.commit_interval,
        )

    @property
    def arn(self) -> str:
        return self.record.execution_arn

    @property
    def last_event_id(self) -> int:
        """The id of the last event of it stored."""
        return self.recorder.last_id

    @property
    def started(self) -> bool:
        """Whether the run has recorded an event yet (committed or not)."""
        return self.recorder.last_id > 0 or bool(self.recorder.pending)

    def flush(self) -> int:
        """Commit what the run has recorded so far; the id of the last event stored."""
        self.recorder.flush()
        return self.recorder.last_id


async def drive(launch: Launch, *, keep_history: bool = True) -> ExecutionResult:
    """Run ``launch`` to its end on the running event loop, its events committed to its store;
    its lease (if it holds one) is released when the run ends, however it ends. The caller
    keeps the lease alive meanwhile (:func:`run` does). ``keep_history=False``: the result
    carries no events (the store has them)."""
    record, recorder = launch.record, launch.recorder
    try:
        with using_store(launch.callbacks or launch.store):  # where its pending tasks live
            return await run_execution(
                launch.machine,
                record.input_value,
                dispatch=launch.dispatch,
                name=record.name,
                machine_name=record.machine_name,
                express=record.type == "EXPRESS",
                clock=launch.clock,
                seed=record.seed,
                sink=recorder,
                recorded=launch.recorded,
                start_date=record.start_date,
                redrive_count=record.redrive_count,
                next_event_id=record.last_event_id + 1,
                arn=record.execution_arn,
                role_arn=launch.role_arn,
                sync=launch.sync,
                keep_history=keep_history,
                children=launch.children,
                map_run_update=update_reader(launch.store),
            )
    except BaseException:
        # A bug, a store failure, a stop or Ctrl-C: keep the whole transitions recorded so
        # far, as a commit per transition would have (a resume carries on from them).
        recorder.flush_whole()
        raise
    finally:
        recorder.close()
        if launch.owner is not None:
            _release(launch.store, record.execution_arn, launch.owner)


def run(launch: Launch, *, keep_history: bool = True) -> ExecutionResult:
    """:func:`drive` on an event loop of its own, with a heartbeat keeping a Standard
    execution's lease; the result's stop date as stored."""
    store, arn, owner = launch.store, launch.arn, launch.owner
    beat = owner is not None and launch.record.type == "STANDARD"
    coro = drive(launch, keep_history=keep_history)
    result = asyncio.run(_with_heartbeat(coro, store, arn, owner or "", beat))
    final = store.get(arn)
    if final.stop_date is not None:
        result.stop_date = final.stop_date
    return result


async def _with_heartbeat(
    coro: Coroutine[Any, Any, ExecutionResult],
    store: HistoryStore,
    arn: str,
    owner: str,
    enabled: bool,
) -> ExecutionResult:
    if not enabled:
        return await coro

    main = asyncio.ensure_future(coro)
    stopped = False

    async def beat() -> None:
        nonlocal stopped
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            with suppress(StoreError):  # a busy store delays a beat; the next one catches up
                store.heartbeat(arn, owner)
                if store.get(arn).status != RUNNING:  # stopped from elsewhere (asl stop)
                    stopped = True
                    main.cancel()
                    return

    task = asyncio.ensure_future(beat())
    try:
        return await main
    except asyncio.CancelledError:
        if not stopped:
            raise
        return result_of(store.get(arn), store.events(arn))
    finally:
        task.cancel()


def _release(store: HistoryStore, arn: str, owner: str) -> None:
    with suppress(StoreError):  # the lease lapses with this process anyway
        store.release(arn, owner)


def _attach(store: HistoryStore, record: ExecutionRecord, poll: float = 0.2) -> ExecutionResult:
    """The idempotent start: wait for the execution another live process is running."""
    me = lease_owner()
    while record.status == RUNNING:
        if not lease_is_live(record.lease_owner, record.lease_heartbeat, me):
            raise RunError(
                f"execution {record.name!r} is already RUNNING but no process is running it; "
                f"continue it with `asl resume {record.name}`"
            )
        time.sleep(poll)
        record = store.get(record.execution_arn)
    return result_of(record, store.events(record.execution_arn))


def _durable(record: ExecutionRecord, verb: str) -> ExecutionRecord:
    if record.parent_arn is not None:
        kind = "a Map Run" if record.type == MAP_RUN else "a Distributed Map child execution"
        raise RunError(
            f"cannot {verb} {record.name!r}: it is {kind} of {record.parent_arn}; "
            f"{verb} that execution instead"
        )
    if record.type != "STANDARD":
        raise RunError(f"cannot {verb} {record.name!r}: Express executions are not durable")
    return record


def _load(definition: str, kind: str, filename: str) -> Any:
    from runtime.drivers import verdicts as _verdicts

    if _verdicts.enabled:
        return _verdicts.load(definition, kind, filename)
    from runtime.drivers.api import load_cached

    return load_cached(definition, kind, filename)


def _options(record: ExecutionRecord, aws: str | None) -> RunOptions:
    """The options an execution was started with, ``aws`` overriding its AWS mode."""
    options = RunOptions.from_dict(record.options)
    if aws is not None:
        options.aws = aws
    return options


def _dispatch(options: RunOptions, machine_name: str, machine: Any, warn: Warn | None) -> Dispatch:
    """The task dispatcher for ``options``, checked against the machine's Task resources: a Task
    nothing can run (an AWS service while AWS calls are off) fails before the execution starts."""
    if options.cwd and options.cwd not in sys.path:
        sys.path.insert(0, options.cwd)
    if options.cwd and warn is not None and os.path.realpath(options.cwd) != os.getcwd():
        warn(f"the execution was started in {options.cwd}; relative paths now resolve from here")
    from asl.model import TaskState
    from runtime.tasks import build_dispatch

    dispatch = build_dispatch(
        lambdas=dict(options.lambdas),
        bindings=dict(options.bindings),
        mock_config=options.mock_config,
        test_case=options.test_case,
        state_machine_name=machine_name,
        aws=options.aws,
    )
    tasks = [(s.name, s.resource) for s in machine.iter_all_states() if isinstance(s, TaskState)]
    for warning in dispatch.preflight(tasks, strict=True):
        if warn is not None:
            warn(warning)
    return dispatch


def _clock(options: RunOptions, events: list[Event] | None = None) -> RealClock | VirtualClock:
    if not options.time_skip:
        return RealClock()
    start = max((e.timestamp for e in events), default=None) if events else None
    return VirtualClock(start) if start is not None else VirtualClock()
