"""The scheduler: fires each schedule's occurrences, exactly once, on one server or a fleet.

Exactly one process fires at a time: the holder of the store's ``scheduler`` lease. Each tick
takes or renews the lease, then walks every schedule from its *cursor* (JSON in the store:
the last scheduled time handled, the last execution started, a buffered occurrence, counts,
the retry in progress). The cursor is written only while the lease still carries this
holder's fence, so a holder that stalled and lost the lease cannot move it.

An occurrence's execution name is derived from the schedule and the scheduled time
(:func:`execution_name`) and starts are idempotent on the name, so the cursor advances only
after a start succeeded (or the occurrence was skipped or dropped): a holder that dies between
starting and advancing leaves the next holder to start the same name again, harmlessly.

Rules (docs/schedules.md, "How schedules fire"):

* due occurrences: after the cursor, up to now, within StartDate/EndDate (one-time
  schedules ignore both); a FLEXIBLE window delays a start by a deterministic part of the
  window; occurrences are handled in order, one at a time.
* catch-up: an occurrence whose start is older than now minus the catch-up window (at least
  :data:`MIN_CATCHUP` seconds) is skipped, counted and logged.
* overlap, while the schedule's last execution still runs: SKIP skips, BUFFER_ONE keeps one
  occurrence to start when it ends (later ones are skipped), ALLOW_ALL starts.
* RetryPolicy: a start that fails transiently is tried again with backoff until
  MaximumRetryAttempts or MaximumEventAgeInSeconds, then dropped; a refused start
  (:class:`StartRefused`) is dropped at once.
* DISABLED schedules fire nothing; once enabled again they go on from the time they were
  enabled (paused occurrences are not replayed, as on EventBridge). A changed expression or
  time zone likewise counts from the update.
* ActionAfterCompletion DELETE removes a schedule with no occurrence left.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from runtime.schedules import expressions, targets
from runtime.stores.schedules import ScheduleGroupRecord, ScheduleRecord

POLICIES = ("SKIP", "BUFFER_ONE", "ALLOW_ALL")
DEFAULT_POLICY = "ALLOW_ALL"  # EventBridge's behaviour
DEFAULT_EVENT_AGE = 86400.0  # RetryPolicy.MaximumEventAgeInSeconds' default
DEFAULT_RETRIES = 185  # RetryPolicy.MaximumRetryAttempts' default
MIN_CATCHUP = 60.0  # EventBridge fires within the minute; a smaller window would skip on lag
MAX_BACKOFF = 60.0
OVERLAP_TAG = "asl:overlap-policy"
CATCHUP_TAG = "asl:catchup-window"
CLOCK_ENV = "ASL_SCHEDULER_CLOCK"
_SKIP_COUNT_LIMIT = 10_000  # counting skipped occurrences one by one stops here
_NAME_LIMIT = 80

Log = Callable[[str], None]
_log = logging.getLogger("asl.scheduler")


@dataclass(slots=True)
class StartRequest:
    """One execution an occurrence asks for; ``origin`` = ``{"scheduleArn", "scheduledTime",
    "attempt"}`` (recorded with the execution)."""

    machine_arn: str
    name: str
    input: str
    origin: dict[str, Any]


class StartRefused(Exception):
    """A start that cannot succeed however often it is tried (machine missing, bad input)."""


class Starter(Protocol):
    def start(self, request: StartRequest) -> str:
        """Start the execution; its ARN. Idempotent on the name: when the machine already has
        an execution of that name, its ARN."""
        ...

    def is_running(self, execution_arn: str) -> bool: ...


class LeaseLost(Exception):
    """This scheduler no longer holds the lease (its cursor writes are refused)."""


# -- one occurrence ------------------------------------------------------------------------------


def iso(epoch: float) -> str:
    """A scheduled time as EventBridge writes it: ``2024-01-01T03:00:00Z``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def execution_name(record: ScheduleRecord, scheduled: float) -> str:
    """The execution name of ``record``'s occurrence at ``scheduled``: ``GROUP@NAME@STAMP``
    (stamp ``YYYYMMDDTHHMMSSZ``), deterministic, valid for Step Functions, at most 80
    characters (a long group and name become a prefix and a hash)."""
    stamp = datetime.fromtimestamp(scheduled, UTC).strftime("@%Y%m%dT%H%M%SZ")
    head = f"{record.group_name}@{record.name}"
    if len(head) + len(stamp) > _NAME_LIMIT:
        digest = hashlib.sha256(head.encode()).hexdigest()[:16]
        head = f"{head[: _NAME_LIMIT - len(stamp) - len(digest) - 1]}-{digest}"
    return head + stamp


def effective_policy(
    record: ScheduleRecord, group: ScheduleGroupRecord | None
) -> tuple[str, float]:
    """``(overlap policy, catch-up seconds)``: the schedule's own, else its group's tags
    (``asl:overlap-policy``, ``asl:catchup-window``), else ALLOW_ALL and the target's
    MaximumEventAgeInSeconds."""
    tags = group.tags if group is not None else {}
    policy = record.overlap_policy or tags.get(OVERLAP_TAG, "").strip().upper()
    if policy not in POLICIES:
        policy = DEFAULT_POLICY
    catchup = record.catchup_window
    if catchup is None:
        try:
            catchup = float(tags[CATCHUP_TAG])
        except (KeyError, ValueError):
            catchup = retry_policy(record)[1]
    return policy, float(catchup)


def retry_policy(record: ScheduleRecord) -> tuple[int, float]:
    """``(MaximumRetryAttempts, MaximumEventAgeInSeconds)`` of the schedule's target."""
    policy = record.target.get("RetryPolicy") or {}
    retries = policy.get("MaximumRetryAttempts")
    age = policy.get("MaximumEventAgeInSeconds")
    return (
        DEFAULT_RETRIES if retries is None else int(retries),
        DEFAULT_EVENT_AGE if age is None else float(age),
    )


def start_request(record: ScheduleRecord, scheduled: float, *, attempt: int = 1) -> StartRequest:
    """The start ``record``'s occurrence at ``scheduled`` asks for (:class:`StartRefused` when
    its target cannot start an execution)."""
    name = execution_name(record, scheduled)
    when = iso(scheduled)
    attributes = targets.context_attributes(
        record.arn, when, str(uuid.uuid5(uuid.NAMESPACE_URL, f"{record.arn}/{when}")), attempt
    )
    try:
        resolved = targets.resolve(record.target, attributes)
    except targets.TargetError as exc:
        raise StartRefused(str(exc))
    origin = {"scheduleArn": record.arn, "scheduledTime": when, "attempt": attempt}
    return StartRequest(resolved.machine_arn, resolved.name or name, resolved.input, origin)


def fire(
    store: Any, starter: Starter, record: ScheduleRecord, scheduled: float, *, attempt: int = 1
) -> str:
    """Start ``record``'s occurrence at ``scheduled`` now (no cursor, no policy: what
    ``asl schedule trigger`` and ``backfill`` do); the execution's ARN. ``store`` is the
    schedule's store (unused: the starter knows where executions go)."""
    return starter.start(start_request(record, scheduled, attempt=attempt))


# -- the cursor ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Cursor:
    """A schedule's progress (stored as JSON under the scheduler lease's fence)."""

    created: float  # the schedule's creation date: a cursor of an older incarnation is ignored
    last: float  # the last scheduled time handled (fired, skipped or dropped)
    started: str | None = None  # the last execution started
    buffered: float | None = None  # BUFFER_ONE: the occurrence waiting for it to end
    retry: dict[str, float] | None = None  # {"scheduled", "attempt", "at"}
    fired: int = 0
    skipped: int = 0
    dropped: int = 0
    state: str = "ENABLED"  # the schedule's state when last seen
    expression: str = ""  # expression and time zone when last seen
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def load(cls, text: str | None, record: ScheduleRecord) -> Cursor | None:
        """The stored cursor of ``record``, None if absent, unreadable or of an older
        incarnation of the schedule."""
        if not text:
            return None
        try:
            data = json.loads(text)
            cursor = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        except (TypeError, ValueError):
            return None
        return cursor if cursor.created == record.creation_date else None


def expression_key(record: ScheduleRecord) -> str:
    return f"{record.schedule_expression}|{record.timezone}"


# -- the loop ------------------------------------------------------------------------------------


class Scheduler:
    """Fires every schedule of ``store`` through ``starter`` while holding lease ``lease``."""

    def __init__(
        self,
        store: Any,
        starter: Starter,
        *,
        owner: str,
        clock: Callable[[], float] = time.time,
        lease: str = "scheduler",
        ttl: float = 5.0,
        interval: float = 1.0,
        log: Log = _log.info,
    ) -> None:
        self.store = store
        self.starter = starter
        self.owner = owner
        self.clock = clock
        self.lease = lease
        self.ttl = ttl
        self.interval = interval
        self.log = log
        self.fence: int | None = None
        self._failing: dict[str, str] = {}  # schedule ARN -> its last error, logged once
        self._renewed = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- a pass ----------------------------------------------------------------------------------

    def tick(self) -> list[str]:
        """One pass over every schedule; the ARNs of the executions started."""
        if not self._hold():
            return []
        now = self.clock()
        groups: dict[str, ScheduleGroupRecord | None] = {}
        started: list[str] = []
        for record in self.store.list_schedules():
            if record.group_name not in groups:
                groups[record.group_name] = self.store.get_schedule_group(record.group_name)
            try:
                started += _Pass(self, record, groups[record.group_name], now).run()
            except LeaseLost:
                self.log(f"scheduler {self.owner}: lost the lease (fence {self.fence})")
                self.fence = None
                break
            except Exception as exc:  # one broken schedule must not stop the others
                self._failed(record, f"{type(exc).__name__}: {exc}")
            else:
                self._failing.pop(record.arn, None)
        return started

    def _failed(self, record: ScheduleRecord, error: str) -> None:
        """Log a schedule's failure once, not on every tick while it lasts."""
        if self._failing.get(record.arn) != error:
            self._failing[record.arn] = error
            self.log(f"schedule {_label(record)}: {error} (logged once while it lasts)")

    def _hold(self) -> bool:
        """Take or renew the lease; whether this scheduler holds it."""
        fence = self.store.acquire_lease(self.lease, self.owner, self.ttl)
        if fence is not None and fence != self.fence:
            self.log(f"scheduler {self.owner}: holds the lease (fence {fence})")
        elif fence is None and self.fence is not None:
            self.log(f"scheduler {self.owner}: lost the lease (fence {self.fence})")
        self.fence = fence
        self._renewed = time.monotonic()
        return fence is not None

    def keep_lease(self) -> int:
        """The fence, renewing the lease when a third of its time has gone (:class:`LeaseLost`
        when another scheduler took it)."""
        fence = self.fence
        if fence is not None and time.monotonic() - self._renewed > self.ttl / 3:
            self._hold()
        if fence is None or self.fence != fence:
            raise LeaseLost()
        return fence

    # -- the thread ------------------------------------------------------------------------------

    def start(self) -> None:
        """Tick every ``interval`` seconds (the first after one interval) on a daemon thread
        until :meth:`stop`."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="asl-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop ticking and give the lease up, so another scheduler takes over at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(10.0, self.interval * 2))
            self._thread = None
        try:
            self.store.release_lease(self.lease, self.owner)
        except Exception as exc:  # best effort: the lease expires anyway
            self.log(f"scheduler {self.owner}: releasing the lease: {exc}")
        self.fence = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception as exc:  # the store may be down for a while: try again
                self.log(f"scheduler {self.owner}: {type(exc).__name__}: {exc}")


class _Pass:
    """One schedule's part of a tick."""

    def __init__(
        self,
        scheduler: Scheduler,
        record: ScheduleRecord,
        group: ScheduleGroupRecord | None,
        now: float,
    ) -> None:
        self.s = scheduler
        self.record = record
        self.now = now
        self.expr = expressions.parse(record.schedule_expression)
        self.tz = expressions.zone(record.timezone)
        self.anchor = _dt(record.start_date or record.creation_date)
        self.policy, catchup = effective_policy(record, group)
        self.catchup = max(catchup, MIN_CATCHUP)
        self.retries, self.max_age = retry_policy(record)
        window = record.flexible_time_window or {}
        flexible = window.get("Mode") == "FLEXIBLE"
        self.window = int(window.get("MaximumWindowInMinutes") or 0) if flexible else 0
        text = scheduler.store.get_schedule_cursor(record.arn)
        loaded = Cursor.load(text, record)
        self.saved = loaded.to_json() if loaded else None
        self.cursor = loaded or self._fresh()
        self.started: list[str] = []

    def _fresh(self) -> Cursor:
        record = self.record
        if self.expr.one_time:
            after = 0.0  # an at() in the past at creation: the catch-up window decides
        else:  # a rate() fires at its anchor itself; nothing before the schedule existed
            after = max(record.start_date or record.creation_date, record.creation_date) - 1e-3
        return Cursor(
            created=record.creation_date,
            last=after,
            state=record.state,
            expression=expression_key(record),
        )

    # -- the steps -------------------------------------------------------------------------------

    def run(self) -> list[str]:
        record, cursor = self.record, self.cursor
        if record.state != "ENABLED":
            cursor.state = record.state
            self._save()
            return []
        if cursor.state != "ENABLED" or cursor.expression != expression_key(record):
            # resumed, or the expression changed: go on from the update, not from the pause
            cursor.last = max(cursor.last, record.last_modification_date)
            cursor.state, cursor.expression = "ENABLED", expression_key(record)
        if self._pending() and self._due_occurrences():
            self._complete()
        self._save()
        return self.started

    def _pending(self) -> bool:
        """Carry on a retry or a buffered occurrence; whether new occurrences may go next."""
        cursor = self.cursor
        if cursor.retry is not None:
            if self.now < cursor.retry["at"]:
                return False
            retry, cursor.retry = cursor.retry, None
            if not self._start(retry["scheduled"], int(retry["attempt"])):
                return False
        if cursor.buffered is not None and not self._running():
            buffered, cursor.buffered = cursor.buffered, None
            if not self._start(buffered, 1):
                return False
        return True

    def _due_occurrences(self) -> bool:
        """Handle the occurrences due by now, in order; whether all of them were handled."""
        self._skip_old()
        cursor = self.cursor
        for when in self._occurrences(cursor.last, self.now):
            scheduled = when.timestamp()
            due = scheduled + self._delay(scheduled)
            if due > self.now:
                return False  # its flexible window has not come yet
            if due < self.now - self.catchup:
                self._skip(scheduled, "older than the catch-up window")
            elif self.policy != "ALLOW_ALL" and self._running():
                if self.policy == "BUFFER_ONE" and cursor.buffered is None:
                    cursor.buffered = scheduled
                    cursor.last = scheduled
                else:
                    self._skip(scheduled, f"the previous execution still runs ({self.policy})")
            elif not self._start(scheduled, 1):
                return False
        return True

    def _skip_old(self) -> None:
        """Skip, counting them, the occurrences certainly older than the catch-up window
        (without looking at each once there are very many)."""
        cutoff = self.now - self.catchup - self.window * 60 - 1
        if cutoff <= self.cursor.last:
            return
        count, last = 0, None
        for when in self._occurrences(self.cursor.last, cutoff):
            count, last = count + 1, when.timestamp()
            if count >= _SKIP_COUNT_LIMIT:
                last = cutoff
                break
        if last is None:
            return
        self.cursor.last, self.cursor.skipped = last, self.cursor.skipped + count
        more = "+" if count >= _SKIP_COUNT_LIMIT else ""
        self.s.log(
            f"schedule {_label(self.record)}: skipped {count}{more} occurrence(s) older than "
            f"the catch-up window ({self.catchup:g} s), up to {iso(last)}"
        )

    def _start(self, scheduled: float, attempt: int) -> bool:
        """Start one occurrence, then save the cursor; whether it is settled (started or
        dropped) rather than waiting for a retry."""
        self.s.keep_lease()
        name = execution_name(self.record, scheduled)
        self.cursor.last = max(self.cursor.last, scheduled)  # saved only after the start
        try:
            arn = fire(self.s.store, self.s.starter, self.record, scheduled, attempt=attempt)
        except StartRefused as exc:
            self._drop(scheduled, f"refused: {exc}")
            self._save()
            return True
        except Exception as exc:
            settled = self._retry(scheduled, attempt, f"{type(exc).__name__}: {exc}")
            self._save()
            return settled
        self.cursor.started, self.cursor.fired = arn, self.cursor.fired + 1
        self.started.append(arn)
        self.s.log(f"schedule {_label(self.record)}: started {name} ({iso(scheduled)})")
        self._save()
        return True

    def _retry(self, scheduled: float, attempt: int, reason: str) -> bool:
        at = self.now + min(MAX_BACKOFF, 2.0 ** (attempt - 1))
        if attempt > self.retries or at > scheduled + self.max_age:
            self._drop(scheduled, f"failed {attempt} time(s), the last: {reason}")
            return True
        self.cursor.retry = {"scheduled": scheduled, "attempt": attempt + 1, "at": at}
        self.s.log(
            f"schedule {_label(self.record)}: start of {iso(scheduled)} failed (attempt "
            f"{attempt}: {reason}); trying again at {iso(at)}"
        )
        return False

    def _drop(self, scheduled: float, reason: str) -> None:
        self.cursor.dropped += 1
        dlq = (self.record.target.get("DeadLetterConfig") or {}).get("Arn")
        note = f"; dead-letter queue {dlq} not sent to (asl does not send to it)" if dlq else ""
        self.s.log(f"schedule {_label(self.record)}: dropped {iso(scheduled)}: {reason}{note}")

    def _skip(self, scheduled: float, reason: str) -> None:
        self.cursor.last = scheduled
        self.cursor.skipped += 1
        self.s.log(f"schedule {_label(self.record)}: skipped {iso(scheduled)}: {reason}")

    def _complete(self) -> None:
        """ActionAfterCompletion DELETE: remove the schedule once no occurrence is left."""
        record, cursor = self.record, self.cursor
        if record.action_after_completion != "DELETE" or cursor.buffered is not None:
            return
        if cursor.retry is not None or self._next(cursor.last) is not None:
            return
        self.s.keep_lease()
        self.s.store.delete_schedule(record.arn)
        self.saved = self.cursor.to_json()  # its cursor went with it
        self.s.log(f"schedule {_label(record)}: completed and deleted (ActionAfterCompletion)")

    # -- helpers ---------------------------------------------------------------------------------

    def _occurrences(self, after: float, until: float) -> Any:
        one_time = self.expr.one_time
        record = self.record
        return expressions.occurrences(
            self.expr,
            tz=self.tz,
            anchor=self.anchor,
            after=_dt(after),
            until=_dt(until),
            start=None if one_time or record.start_date is None else _dt(record.start_date),
            end=None if one_time or record.end_date is None else _dt(record.end_date),
        )

    def _next(self, after: float) -> datetime | None:
        found = self.expr.next_after(_dt(after), tz=self.tz, anchor=self.anchor)
        end = self.record.end_date
        if found is not None and not self.expr.one_time and end is not None:
            return found if found.timestamp() <= end else None
        return found

    def _delay(self, scheduled: float) -> float:
        if not self.window:
            return 0.0
        return expressions.flexible_delay(execution_name(self.record, scheduled), self.window)

    def _running(self) -> bool:
        started = self.cursor.started
        return started is not None and self.s.starter.is_running(started)

    def _save(self) -> None:
        text = self.cursor.to_json()
        if text == self.saved:
            return
        fence = self.s.keep_lease()
        if not self.s.store.put_schedule_cursor(
            self.record.arn, text, lease=self.s.lease, fence=fence
        ):
            raise LeaseLost()
        self.saved = text


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _label(record: ScheduleRecord) -> str:
    return f"{record.group_name}/{record.name}"


# -- the clock -----------------------------------------------------------------------------------


def clock_from_env(environ: dict[str, str] | None = None) -> Callable[[], float]:
    """The scheduler's clock: real time, or (a testing aid) ``ASL_SCHEDULER_CLOCK=
    "ORIGIN:SPEED"``: now = ORIGIN + (real now - ORIGIN) * SPEED, the same in every process
    given the same value (ValueError when malformed)."""
    text = (environ if environ is not None else os.environ).get(CLOCK_ENV, "").strip()
    if not text:
        return time.time
    try:
        origin_text, speed_text = text.split(":")
        origin, speed = float(origin_text), float(speed_text)
    except ValueError:
        raise ValueError(f"{CLOCK_ENV}={text!r}: expected ORIGIN:SPEED (epoch seconds, factor)")
    if speed <= 0:
        raise ValueError(f"{CLOCK_ENV}={text!r}: the speed must be positive")
    return lambda: origin + (time.time() - origin) * speed


__all__ = [
    "CLOCK_ENV",
    "Cursor",
    "LeaseLost",
    "Scheduler",
    "StartRefused",
    "StartRequest",
    "Starter",
    "clock_from_env",
    "effective_policy",
    "execution_name",
    "fire",
    "iso",
    "retry_policy",
    "start_request",
]
