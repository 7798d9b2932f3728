"""Pending tasks and activities as the stores keep them, and the store contract.

A :class:`PendingTask` is one task attempt waiting on the outside world: a ``.waitForTaskToken``
callback, an activity task queued for (or held by) a worker, or a nested execution a ``.sync``
task waits for. It lives in the execution's store, so it survives the process that waits on it.
Status moves one way::

    SCHEDULED (activity, queued) -> STARTED (a worker has it; callbacks start here)
        -> SUCCEEDED | FAILED | TIMED_OUT          (closed: its token is spent)

Every change is a compare-and-swap on the status, so exactly one of a worker's answer, the
engine's timeout or a second answer wins.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Protocol

SCHEDULED = "SCHEDULED"
STARTED = "STARTED"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
TIMED_OUT = "TIMED_OUT"
OPEN = (SCHEDULED, STARTED)
CLOSED = (SUCCEEDED, FAILED, TIMED_OUT)

CALLBACK = "callback"
ACTIVITY = "activity"
NESTED = "nested"


@dataclass(slots=True)
class PendingTask:
    """One waiting task attempt. Times are ``time.time()`` seconds; JSON values are JSON text."""

    token: str
    execution_arn: str
    kind: str  # CALLBACK, ACTIVITY or NESTED
    resource: str
    state_name: str
    status: str
    created: float
    activity: str | None = None  # the activity's name (ACTIVITY)
    input: str | None = None  # what GetActivityTask hands the worker (ACTIVITY)
    worker: str | None = None  # the workerName that took it (ACTIVITY)
    started: float | None = None
    beat: float | None = None  # the last heartbeat (or the start)
    deadline: float | None = None  # created + TimeoutSeconds
    heartbeat_seconds: float | None = None
    submitted: str | None = None  # the integration's response, once the work was handed over
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    closed: float | None = None
    seq: int = 0  # queue order, set by the store

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PendingTask:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(slots=True)
class Activity:
    """A registered activity."""

    name: str
    arn: str
    created: float


COLUMNS = tuple(f.name for f in fields(PendingTask))


class TaskStore(Protocol):
    """Where pending tasks and activities live; every method is atomic."""

    def put_activity(self, activity: Activity) -> Activity:
        """Register ``activity`` unless one has its name; the stored one either way."""
        ...

    def get_activity(self, name: str) -> Activity | None: ...

    def list_activities(self) -> list[Activity]:
        """Every activity, oldest first."""
        ...

    def delete_activity(self, name: str) -> bool: ...

    def add(self, task: PendingTask) -> tuple[PendingTask, bool]:
        """Store ``task`` unless its token exists: ``(stored, created)``."""
        ...

    def get(self, token: str) -> PendingTask | None: ...

    def update(
        self, token: str, expect: tuple[str, ...], changes: dict[str, Any]
    ) -> PendingTask | None:
        """Apply ``changes`` iff the task's status is one of ``expect``; the new task or None."""
        ...

    def claim(self, activity: str, worker: str | None, now: float) -> PendingTask | None:
        """Hand the oldest SCHEDULED task of ``activity`` to ``worker`` (it becomes STARTED).

        Tasks whose deadline has passed are closed TIMED_OUT on the way, never handed out.
        """
        ...

    def list(
        self, execution_arn: str | None = None, *, open_only: bool = False
    ) -> list[PendingTask]:
        """Tasks (of one execution), oldest first."""
        ...


__all__ = [
    "ACTIVITY",
    "CALLBACK",
    "CLOSED",
    "COLUMNS",
    "FAILED",
    "NESTED",
    "OPEN",
    "SCHEDULED",
    "STARTED",
    "SUCCEEDED",
    "TIMED_OUT",
    "Activity",
    "PendingTask",
    "TaskStore",
]
