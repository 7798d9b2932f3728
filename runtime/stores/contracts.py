"""What a store holds beside histories: pending tasks (task tokens), activities, state machines.

One backend class (``MemoryStore``, ``JsonlStore``, ``SqliteStore``, ``RedisStore``) implements
the whole :class:`Store`: the :class:`~runtime.stores.base.HistoryStore` of executions, the
:class:`TaskTokenStore` of callbacks and activities, and the :class:`MachineStore` of ``asl
serve``'s state machines, on one connection with one schema and one error mapping.

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

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Protocol

from runtime.stores.base import HistoryStore
from runtime.stores.schedules import ScheduleStore

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


COLUMNS = tuple(f.name for f in fields(PendingTask))
"""A pending task's fields, in the order the SQLite table holds them."""

CHANGEABLE = frozenset(COLUMNS) - {"token", "seq"}
"""The fields :meth:`TaskTokenStore.update_task` may change."""


@dataclass(slots=True)
class Activity:
    """A registered activity."""

    name: str
    arn: str
    created: float


MACHINE = "machine"
VERSION = "version"
ALIAS = "alias"


@dataclass(slots=True)
class MachineRecord:
    """One state machine as CreateStateMachine made it (dates: epoch seconds).

    The same record holds ``asl serve``'s published versions and aliases, under their own ARNs
    (``<machine ARN>:<n>``, ``<machine ARN>:<alias>``): ``kind`` says which. A version is a copy
    of the machine at publication (``version`` its number, ``description`` the version's); a
    deleted version stays as a tombstone (``deleted``) so that its number is never reused. An
    alias keeps its ``routing`` (``[{"stateMachineVersionArn", "weight"}]``), its name in
    ``name`` and an empty definition.
    """

    arn: str
    name: str
    definition: str
    type: str
    role_arn: str
    creation_date: float
    revision_id: str
    update_date: float | None = None
    description: str = ""
    logging: dict[str, Any] = field(default_factory=dict)
    tracing: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    kind: str = MACHINE  # MACHINE, VERSION or ALIAS
    version: int = 0  # a VERSION's number (1, 2...)
    routing: list[dict[str, Any]] = field(default_factory=list)  # an ALIAS's versions
    deleted: bool = False  # a deleted VERSION (its number stays taken)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> MachineRecord:
        data = json.loads(text)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def copy(self) -> MachineRecord:
        return replace(
            self,
            logging=dict(self.logging),
            tracing=dict(self.tracing),
            tags=dict(self.tags),
            routing=[dict(route) for route in self.routing],
        )


class TaskTokenStore(Protocol):
    """Pending tasks and activities; every method is atomic."""

    def put_activity(self, activity: Activity) -> Activity:
        """Register ``activity`` unless one has its name; the stored one either way."""
        ...

    def get_activity(self, name: str) -> Activity | None: ...

    def list_activities(self) -> list[Activity]:
        """Every activity, oldest first."""
        ...

    def delete_activity(self, name: str) -> bool: ...

    def add_task(self, task: PendingTask) -> tuple[PendingTask, bool]:
        """Store ``task`` unless its token exists: ``(stored, created)``."""
        ...

    def get_task(self, token: str) -> PendingTask | None: ...

    def update_task(
        self, token: str, expect: tuple[str, ...], changes: dict[str, Any]
    ) -> PendingTask | None:
        """Apply ``changes`` iff the task's status is one of ``expect``; the new task or None."""
        ...

    def claim_task(self, activity: str, worker: str | None, now: float) -> PendingTask | None:
        """Hand the oldest SCHEDULED task of ``activity`` to ``worker`` (it becomes STARTED).

        Tasks whose deadline has passed are closed TIMED_OUT on the way, never handed out.
        """
        ...

    def list_tasks(
        self, execution_arn: str | None = None, *, open_only: bool = False
    ) -> list[PendingTask]:
        """Tasks (of one execution), oldest first."""
        ...


class MachineStore(Protocol):
    """State machine records (``asl serve``); every method is atomic."""

    def add_machine(self, record: MachineRecord) -> tuple[MachineRecord, bool]:
        """Store a new record: ``(record, True)``; ``(existing, False)`` if the ARN is taken."""
        ...

    def get_machine(self, arn: str) -> MachineRecord | None: ...

    def list_machines(self) -> list[MachineRecord]:
        """Every record, oldest first."""
        ...

    def put_machine(self, record: MachineRecord) -> None:
        """Store ``record``, replacing the one with the same ARN."""
        ...

    def delete_machine(self, arn: str) -> bool: ...


class Store(HistoryStore, TaskTokenStore, MachineStore, ScheduleStore, Protocol):
    """A whole backend: histories, task tokens, state machines and schedules in one place."""


__all__ = [
    "ACTIVITY",
    "ALIAS",
    "CALLBACK",
    "CHANGEABLE",
    "CLOSED",
    "COLUMNS",
    "FAILED",
    "MACHINE",
    "NESTED",
    "OPEN",
    "SCHEDULED",
    "STARTED",
    "SUCCEEDED",
    "TIMED_OUT",
    "VERSION",
    "Activity",
    "MachineRecord",
    "MachineStore",
    "PendingTask",
    "Store",
    "TaskTokenStore",
]
