"""Backfill: start a schedule's occurrences over a range of time, as Temporal's backfill does.

:func:`occurrence_times` lists the occurrences of a schedule's expression in ``[first, last]``
(in its time zone, within its StartDate/EndDate); :func:`backfill` starts them in order through
a :class:`~runtime.schedules.firing.Starter`, honouring an overlap policy, and reports what it
did with each. Each start goes through :func:`~runtime.schedules.firing.fire`, whose execution
name derives from the schedule and the scheduled time, so a second backfill of the same range
finds every execution there already and starts nothing new.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from runtime.schedules.firing import execution_name, fire, iso
from runtime.stores.schedules import ScheduleRecord

ALLOW_ALL, SKIP, BUFFER_ONE = "ALLOW_ALL", "SKIP", "BUFFER_ONE"
POLICIES = (SKIP, BUFFER_ONE, ALLOW_ALL)

STARTED = "STARTED"  # started by this backfill
EXISTS = (
    "EXISTS"  # an execution of that name was already there (an earlier backfill, the scheduler)
)
SKIPPED = "SKIPPED"  # left out by the overlap policy

START, BUFFER = "start", "buffer"

MAX_OCCURRENCES = 10_000
"""A backfill starts at most this many executions; a longer range is refused (narrow it)."""


class BackfillError(ValueError):
    """The range cannot be backfilled (what is wrong and how to fix it)."""


@dataclass(frozen=True, slots=True)
class Step:
    """What a backfill did with one occurrence."""

    scheduled: float  # epoch seconds
    name: str  # the execution's name
    action: str  # STARTED, EXISTS or SKIPPED
    execution_arn: str | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "scheduledTime": iso(self.scheduled),
            "name": self.name,
            "action": self.action,
        }
        if self.execution_arn:
            out["executionArn"] = self.execution_arn
        if self.reason:
            out["reason"] = self.reason
        return out


def occurrence_times(
    record: ScheduleRecord, first: datetime, last: datetime, *, limit: int = MAX_OCCURRENCES
) -> list[float]:
    """The occurrences of ``record``'s expression in ``[first, last]`` (aware datetimes), in
    its time zone and within its StartDate/EndDate, as epoch seconds in order."""
    from runtime.schedules import expressions

    if last < first:
        raise BackfillError(
            f"the range ends ({last.isoformat()}) before it starts "
            f"({first.isoformat()}): swap --from and --to"
        )
    expression = expressions.parse(record.schedule_expression)
    zone = expressions.zone(record.timezone or "UTC")
    anchor = _moment(record.start_date if record.start_date is not None else record.creation_date)
    times: list[float] = []
    for moment in expressions.occurrences(
        expression,
        tz=zone,
        anchor=anchor,
        after=first - timedelta(microseconds=1),
        until=last,
        start=_moment(record.start_date),
        end=_moment(record.end_date),
    ):
        if len(times) == limit:
            raise BackfillError(
                f"the range holds more than {limit} occurrences of {record.schedule_expression}; "
                "backfill a shorter range at a time"
            )
        times.append(moment.timestamp())
    return times


def decide(policy: str, previous_running: bool, buffered: bool) -> str:
    """What an overlap policy does with an occurrence that is due: :data:`START` it,
    :data:`BUFFER` it until the previous run ends, or :data:`SKIPPED`."""
    if policy == ALLOW_ALL or not previous_running:
        return START
    if policy == BUFFER_ONE and not buffered:
        return BUFFER
    return SKIPPED


def backfill(
    store: Any,
    starter: Any,
    record: ScheduleRecord,
    times: list[float],
    *,
    policy: str,
    existing: Callable[[str], str | None],
    wait: Callable[[str], None] | None = None,
) -> list[Step]:
    """Start the occurrences ``times`` of ``record`` in order, with overlap ``policy``.

    ``existing(name)`` gives the ARN of the schedule's execution of that name, or None;
    ``wait(arn)`` blocks until that execution has ended (a buffered occurrence starts then; by
    default ``starter.is_running`` is polled). Returns one :class:`Step` per occurrence.
    """
    if policy not in POLICIES:
        raise BackfillError(f"unknown overlap policy {policy!r}: use one of {', '.join(POLICIES)}")
    wait = wait or _poller(starter)
    steps: list[Step] = []
    previous: str | None = None  # the ARN of the latest run of this schedule
    buffered: tuple[int, float, str] | None = None  # (index in steps, time, name)

    def start(scheduled: float) -> str:
        return fire(store, starter, record, scheduled)

    def release_buffer(block: bool) -> None:
        nonlocal buffered, previous
        if buffered is None:
            return
        if previous is not None and starter.is_running(previous):
            if not block:
                return
            wait(previous)
        index, scheduled, name = buffered
        previous = start(scheduled)
        steps[index] = Step(scheduled, name, STARTED, previous, "after the previous run ended")
        buffered = None

    for scheduled in times:
        name = execution_name(record, scheduled)
        found = existing(name)
        if found is not None:
            steps.append(Step(scheduled, name, EXISTS, found, "started before"))
            previous = found
            continue
        release_buffer(block=False)
        running = previous is not None and starter.is_running(previous)
        action = decide(policy, running, buffered is not None)
        if action == START:
            previous = start(scheduled)
            steps.append(Step(scheduled, name, STARTED, previous))
        elif action == BUFFER:
            buffered = (len(steps), scheduled, name)
            steps.append(Step(scheduled, name, SKIPPED, None, "buffered"))
        else:
            why = "the buffer holds one already" if policy == BUFFER_ONE else "overlap SKIP"
            steps.append(Step(scheduled, name, SKIPPED, None, f"{why}: {previous} still runs"))
    release_buffer(block=True)
    return steps


def _poller(starter: Any, interval: float = 0.5) -> Callable[[str], None]:
    def wait(arn: str) -> None:
        while starter.is_running(arn):
            time.sleep(interval)

    return wait


def _moment(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


__all__ = [
    "ALLOW_ALL",
    "BUFFER_ONE",
    "EXISTS",
    "MAX_OCCURRENCES",
    "POLICIES",
    "SKIP",
    "SKIPPED",
    "STARTED",
    "BackfillError",
    "Step",
    "backfill",
    "decide",
    "iso",
    "occurrence_times",
]
