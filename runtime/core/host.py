"""The Host: everything the core needs from the outside world, as one typed contract.

A driver (``runtime.drivers.execution.Host`` and its subclasses) implements it: it records every
event, supplies the clock, randomness and task outcomes, and on replay hands recorded ones back.
The core reads nothing else of its host.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from runtime.core.events import Event, EventDetails

if TYPE_CHECKING:
    from runtime.core.interpreter import Frame, TaskRequest
    from runtime.core.map_io import ChildEnd, ChildExecution, S3Request

Record = tuple[int, int, int, str, EventDetails, str]
"""An event as the host records it: (id, previousEventId, nanoseconds since the epoch, type,
details, frame key). A tuple costs a fraction of an object, and the clock's reading is kept as it
comes; an execution's events (in milliseconds) are made from its records when first read."""


def record_of(event: Event) -> Record:
    """The :data:`Record` of an event."""
    return (
        event.id,
        event.previous_event_id,
        event.millis * 1_000_000,
        event.type,
        event.details,
        event.frame,
    )


def event_of(record: Record) -> Event:
    """The :class:`Event` of a record."""
    event_id, previous, nanos, type_, details, frame = record
    return Event(event_id, previous, nanos // 1_000_000, type_, details, frame)


class Host(Protocol):
    """What the interpreter needs from its driver."""

    seed: int
    """The execution's secret seed: task tokens and random draws derive from it (the same on
    every replay of the execution)."""

    def emit(
        self,
        frame: Frame,
        type_: str,
        details: EventDetails = None,
        previous: int | None = None,
        advance: bool = True,
    ) -> Record:
        """Record an event of ``frame``; return its :data:`Record`. Its previousEventId is
        ``previous`` or the frame's last event; ``advance=False`` leaves the frame's last event
        as it was."""
        ...

    def now(self) -> datetime:
        """The execution's clock (recorded time on replay, virtual time under time skipping)."""
        ...

    async def sleep_until(self, frame: Frame, deadline: datetime) -> None:
        """Wait until ``deadline`` (at once when the wait is already on record)."""
        ...

    async def invoke(self, frame: Frame, request: TaskRequest) -> Any:
        """Run one task attempt: its result, or a StatesError (recorded ones handed back)."""
        ...

    def rng(self, frame: Frame) -> random.Random:
        """The frame's random source, drawing the same numbers on every replay."""
        ...

    def start_child(self, child: ChildExecution) -> ChildEnd | None:
        """A Distributed Map child execution starts: its events (frame ``child.key`` and the
        frames under it) form its own history. How it ended if an earlier run recorded its end
        (the core then does not run it again), else None."""
        ...

    def map_run_update(self, map_run_arn: str) -> Mapping[str, Any] | None:
        """The values UpdateMapRun set for a running Map Run (``maxConcurrency``,
        ``toleratedFailureCount``, ``toleratedFailurePercentage``), or None: an operator's
        instruction from outside the execution, applied from the next child that ends."""
        ...

    async def io(self, frame: Frame, request: S3Request) -> Any:
        """Carry out a Map Run's S3 call and record its answer (on replay, hand the recorded
        answer back); a failed call raises :class:`~runtime.core.map_io.IOFailed`."""
        ...


__all__ = ["Host", "Record"]
