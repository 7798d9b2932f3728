"""The decider's fleet in one process: decisions and task attempts taken in turn from a queue.

The same decisions as on Celery (:mod:`runtime.drivers.decider`), with the fleet's services kept
in memory and time optionally virtual (when nothing is queued, the clock jumps to the next timer).
It runs the conformance suites through the decider, and lets tests check a decider's behaviour
without workers; a real fleet is :mod:`runtime.drivers.decider_celery`.
"""

from __future__ import annotations

import heapq
import itertools
import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runtime.core.interpreter import TaskRequest
from runtime.drivers.clock import RealClock, VirtualClock
from runtime.drivers.decider import decide, run_attempt
from runtime.drivers.execution import ExecutionResult, execution_arn
from runtime.drivers.loop import run_sync
from runtime.drivers.runner import result_of
from runtime.stores.base import ExecutionRecord, HistoryStore
from runtime.stores.memory import MemoryStore


class Stalled(RuntimeError):
    """The execution waits on nothing the local fleet can give (a callback nobody sends)."""


@dataclass(slots=True)
class _Attempt:
    arn: str
    attempt_id: str
    request: TaskRequest


class LocalFleet:
    """:class:`~runtime.drivers.decider.DecisionServices` in memory, and the loop that serves
    them: decisions, then task attempts (run with ``dispatch``), then timers, in turn."""

    def __init__(
        self,
        store: HistoryStore,
        dispatch: Any,
        *,
        virtual: bool = True,
        start: datetime | None = None,
    ) -> None:
        self.store = store
        self.dispatch = dispatch
        self.clock: RealClock | VirtualClock = VirtualClock(start) if virtual else RealClock()
        self.outcomes: dict[str, dict[str, Any]] = {}
        self.beats: dict[str, float] = {}
        self.values: dict[tuple[str, str], float] = {}
        self.sent: set[str] = set()
        self.decisions = 0
        self.attempts = 0
        self.results: dict[str, ExecutionResult] = {}  # what each ended execution's run returned
        self._queue: deque[str | _Attempt] = deque()
        self._timers: list[tuple[float, int, str]] = []
        self._order = itertools.count()

    # -- DecisionServices -----------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def outcome(self, attempt_id: str) -> dict[str, Any] | None:
        return self.outcomes.get(attempt_id)

    def post_outcome(self, attempt_id: str, message: dict[str, Any]) -> dict[str, Any]:
        return self.outcomes.setdefault(attempt_id, message)

    def last_beat(self, attempt_id: str) -> float | None:
        return self.beats.get(attempt_id)

    def recorded(self, arn: str, name: str, value: float) -> float:
        return self.values.setdefault((arn, name), value)

    def send(self, arn: str, attempt_id: str, request: TaskRequest, *, fresh: bool) -> None:
        if attempt_id not in self.sent:
            self.sent.add(attempt_id)
            self._queue.append(_Attempt(arn, attempt_id, request))

    def watch(self, arn: str, due: float | None, *, waits_on_tasks: bool) -> None:
        if due is not None:  # (nothing here loses a message: no watchdog)
            heapq.heappush(self._timers, (due, next(self._order), arn))

    def finished(self, arn: str) -> None:
        self.values = {k: v for k, v in self.values.items() if k[0] != arn}

    # -- the loop ---------------------------------------------------------------------------------

    def submit(self, record: ExecutionRecord) -> ExecutionRecord:
        """Store a new execution and queue its first decision."""
        stored, _ = self.store.create(record)
        self._queue.append(stored.execution_arn)
        return stored

    def take_attempts(self) -> list[_Attempt]:
        """Take the queued attempts off the queue, unrun (a test answers them itself)."""
        attempts = [item for item in self._queue if isinstance(item, _Attempt)]
        self._queue = deque(item for item in self._queue if not isinstance(item, _Attempt))
        return attempts

    def run(self) -> None:
        """Serve the queue until nothing is queued and no timer is set."""
        while True:
            while self._queue:
                item = self._queue.popleft()
                if isinstance(item, str):
                    self.decisions += 1
                    decision = decide(self.store, item, self, dispatch=self.dispatch)
                    if decision is not None and decision.result is not None:
                        self.results[item] = decision.result
                else:
                    self.attempts += 1
                    message = run_sync(run_attempt(self.dispatch, item.request))
                    self.post_outcome(item.attempt_id, message)
                    self._queue.append(item.arn)
            if not self._timers:
                return
            due, _, arn = heapq.heappop(self._timers)
            if isinstance(self.clock, VirtualClock):
                self.clock.advance_to(datetime.fromtimestamp(due, self.clock.now().tzinfo))
            else:
                import time

                time.sleep(max(0.0, due - time.time()))
            self._queue.append(arn)


def execute_decided(
    definition: str | Mapping[str, Any],
    input: Any = None,
    *,
    name: str = "exec",
    state_machine_name: str = "machine",
    express: bool = False,
    sync: bool = True,
    time_skip: bool = True,
    lambdas: Mapping[str, Any] | None = None,
    seed: int = 0,
    role_arn: str | None = None,
    store: HistoryStore | None = None,
    aws: str | None = None,
) -> tuple[ExecutionResult, LocalFleet]:
    """Run one execution through decisions on a :class:`LocalFleet`, as ``runtime.execute``
    runs it in process; the stored result (with its history) and the fleet (for its counts)."""
    from runtime.tasks import build_dispatch

    text = definition if isinstance(definition, str) else json.dumps(definition)
    store = store or MemoryStore()
    dispatch = build_dispatch(lambdas=lambdas or {}, aws=aws)
    fleet = LocalFleet(store, dispatch, virtual=time_skip)
    options: dict[str, Any] = {"sync": sync}
    if role_arn is not None:
        options["role_arn"] = role_arn
    record = ExecutionRecord(
        execution_arn=execution_arn(state_machine_name, name, express),
        name=name,
        machine_name=state_machine_name,
        type="EXPRESS" if express else "STANDARD",
        definition=text,
        input=json.dumps({} if input is None else input),
        seed=seed,
        start_date=fleet.clock.now(),
        options=options,
    )
    arn = fleet.submit(record).execution_arn
    fleet.run()
    stored = store.get(arn)
    if stored.status == "RUNNING":
        raise Stalled(f"execution {name!r} is still RUNNING with nothing left to do")
    result = fleet.results.get(arn) or result_of(stored)
    result.records = store.events(arn)  # the history as stored, decision after decision
    result.stop_date = stored.stop_date
    return result, fleet
