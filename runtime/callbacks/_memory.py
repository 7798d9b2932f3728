"""Pending tasks in a dictionary: for in-memory history stores (Express runs, tests)."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace
from typing import Any

from runtime.callbacks.records import SCHEDULED, STARTED, TIMED_OUT, Activity, PendingTask


class MemoryTaskStore:
    """A :class:`~runtime.callbacks.records.TaskStore` gone with the process."""

    def __init__(self) -> None:
        self._tasks: dict[str, PendingTask] = {}
        self._activities: dict[str, Activity] = {}
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def put_activity(self, activity: Activity) -> Activity:
        with self._lock:
            return self._activities.setdefault(activity.name, activity)

    def get_activity(self, name: str) -> Activity | None:
        with self._lock:
            return self._activities.get(name)

    def list_activities(self) -> list[Activity]:
        with self._lock:
            return sorted(self._activities.values(), key=lambda a: (a.created, a.name))

    def delete_activity(self, name: str) -> bool:
        with self._lock:
            return self._activities.pop(name, None) is not None

    def add(self, task: PendingTask) -> tuple[PendingTask, bool]:
        with self._lock:
            existing = self._tasks.get(task.token)
            if existing is not None:
                return replace(existing), False
            stored = replace(task, seq=next(self._seq))
            self._tasks[task.token] = stored
            return replace(stored), True

    def get(self, token: str) -> PendingTask | None:
        with self._lock:
            task = self._tasks.get(token)
            return None if task is None else replace(task)

    def update(
        self, token: str, expect: tuple[str, ...], changes: dict[str, Any]
    ) -> PendingTask | None:
        with self._lock:
            task = self._tasks.get(token)
            if task is None or task.status not in expect:
                return None
            task = self._tasks[token] = replace(task, **changes)
            return replace(task)

    def claim(self, activity: str, worker: str | None, now: float) -> PendingTask | None:
        with self._lock:
            queued = sorted(
                (
                    t
                    for t in self._tasks.values()
                    if t.activity == activity and t.status == SCHEDULED
                ),
                key=lambda t: t.seq,
            )
            for task in queued:
                if task.deadline is not None and task.deadline <= now:
                    self._tasks[task.token] = replace(
                        task, status=TIMED_OUT, error="States.Timeout", closed=now
                    )
                    continue
                task = self._tasks[task.token] = replace(
                    task, status=STARTED, worker=worker, started=now, beat=now
                )
                return replace(task)
            return None

    def list(
        self, execution_arn: str | None = None, *, open_only: bool = False
    ) -> list[PendingTask]:
        with self._lock:
            tasks = [
                replace(t)
                for t in self._tasks.values()
                if (execution_arn is None or t.execution_arn == execution_arn)
                and (not open_only or t.is_open)
            ]
        return sorted(tasks, key=lambda t: t.seq)
