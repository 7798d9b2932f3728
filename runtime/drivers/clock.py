"""Clocks: the real one, and a virtual one for ``--time-skip`` that jumps over every wait."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime, timedelta

from runtime.core.events import from_millis, to_millis


class RealClock:
    """Wall-clock time; waits really wait."""

    virtual = False
    inline_io = False  # blocking I/O runs in a thread (see map_children.run_blocking)

    def now(self) -> datetime:
        """The current time, to the millisecond (as AWS records history timestamps)."""
        return from_millis(time.time_ns() // 1_000_000)

    def now_ms(self) -> int:
        """The current time in milliseconds since the epoch (what events show)."""
        return time.time_ns() // 1_000_000

    now_ns = staticmethod(time.time_ns)
    """The current time in nanoseconds since the epoch (what the host records)."""

    async def sleep_until(self, deadline: datetime) -> None:
        delay = (deadline - self.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)


class VirtualClock:
    """Time that advances only when every runnable coroutine is blocked on a virtual sleep.

    History timestamps advance as if the waits had elapsed; nothing actually sleeps. Work running
    outside the event loop (a task handler in a thread) is counted through :meth:`busy` so the
    clock does not jump while it is in flight.
    """

    virtual = True
    inline_io = False

    def __init__(self, start: datetime | None = None) -> None:
        self._now = from_millis(to_millis(start or datetime.now(UTC)))  # whole milliseconds
        self._millis: tuple[datetime, int] = (self._now, to_millis(self._now))
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._busy = 0
        self._ticker: asyncio.Task[None] | None = None

    def now(self) -> datetime:
        return self._now

    def now_ms(self) -> int:
        moment, millis = self._millis
        if moment is not self._now:
            millis = to_millis(self._now)
            self._millis = (self._now, millis)
        return millis

    def now_ns(self) -> int:
        return self.now_ms() * 1_000_000

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    def advance_to(self, moment: datetime) -> None:
        """Move the clock forward to ``moment`` (never backwards)."""
        if moment > self._now:
            self._now = moment

    async def sleep_until(self, deadline: datetime) -> None:
        if deadline <= self._now:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (deadline, next(self._seq), future))
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.ensure_future(self._tick())
        await future

    def busy(self) -> _Busy:
        """A context manager marking real work in flight (the clock will not jump meanwhile)."""
        return _Busy(self)

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while self._sleepers:
            # Let everything runnable run first; the clock jumps only when all are blocked.
            idle_rounds = 0
            while idle_rounds < 3:
                await asyncio.sleep(0)
                if getattr(loop, "_ready", None) or self._busy:
                    idle_rounds = 0
                    if self._busy:
                        await asyncio.sleep(0.001)
                else:
                    idle_rounds += 1
            deadline, _, future = heapq.heappop(self._sleepers)
            if future.cancelled():
                continue
            if deadline > self._now:
                self._now = deadline
            future.set_result(None)


class _Busy:
    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock

    def __enter__(self) -> None:
        self._clock._busy += 1

    def __exit__(self, *exc: object) -> None:
        self._clock._busy -= 1
