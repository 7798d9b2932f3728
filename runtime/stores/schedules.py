"""What a store holds for the scheduler: schedules, schedule groups, each schedule's cursor, and
the leases that make exactly one process fire them.

A :class:`ScheduleRecord` is a schedule as EventBridge Scheduler's CreateSchedule made it (plus
the two policies EventBridge lacks: overlap and catch-up). Its *cursor* is the scheduler's
progress through its occurrences, opaque JSON text to the store; it is written only by the
holder of the scheduler lease, and only while that lease still carries the holder's *fence*
(the number it was given when it took the lease), so a holder that stalled past its lease and
woke up cannot overwrite the progress of the one that replaced it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

DEFAULT_GROUP = "default"


@dataclass(slots=True)
class ScheduleRecord:
    """One schedule (dates: epoch seconds; ``target`` and ``flexible_time_window`` in the
    API's shape)."""

    arn: str
    name: str
    group_name: str
    schedule_expression: str
    target: dict[str, Any]
    creation_date: float
    last_modification_date: float
    timezone: str = "UTC"
    start_date: float | None = None
    end_date: float | None = None
    description: str = ""
    state: str = "ENABLED"
    flexible_time_window: dict[str, Any] = field(default_factory=lambda: {"Mode": "OFF"})
    action_after_completion: str = "NONE"
    kms_key_arn: str | None = None
    # Beyond EventBridge (Temporal's policies); None: the group's tag, else the default.
    overlap_policy: str | None = None  # SKIP, BUFFER_ONE or ALLOW_ALL
    catchup_window: float | None = None  # seconds

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> ScheduleRecord:
        data = json.loads(text)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def copy(self) -> ScheduleRecord:
        return ScheduleRecord.from_json(self.to_json())


@dataclass(slots=True)
class ScheduleGroupRecord:
    """One schedule group (``default`` always exists)."""

    arn: str
    name: str
    creation_date: float
    last_modification_date: float
    state: str = "ACTIVE"
    tags: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> ScheduleGroupRecord:
        data = json.loads(text)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def copy(self) -> ScheduleGroupRecord:
        return replace(self, tags=dict(self.tags))


class ScheduleStore(Protocol):
    """Schedules, groups, cursors and leases; every method is atomic."""

    def add_schedule(self, record: ScheduleRecord) -> tuple[ScheduleRecord, bool]:
        """Store a new schedule: ``(record, True)``; ``(existing, False)`` if its ARN is taken."""
        ...

    def get_schedule(self, arn: str) -> ScheduleRecord | None: ...

    def list_schedules(self) -> list[ScheduleRecord]:
        """Every schedule, oldest first."""
        ...

    def put_schedule(self, record: ScheduleRecord) -> None:
        """Store ``record``, replacing the schedule with the same ARN."""
        ...

    def delete_schedule(self, arn: str) -> bool:
        """Remove a schedule and its cursor; whether it existed."""
        ...

    def add_schedule_group(self, record: ScheduleGroupRecord) -> tuple[ScheduleGroupRecord, bool]:
        """Store a new group: ``(record, True)``; ``(existing, False)`` if the name is taken."""
        ...

    def get_schedule_group(self, name: str) -> ScheduleGroupRecord | None: ...

    def list_schedule_groups(self) -> list[ScheduleGroupRecord]:
        """Every group, oldest first."""
        ...

    def put_schedule_group(self, record: ScheduleGroupRecord) -> None: ...

    def delete_schedule_group(self, name: str) -> bool: ...

    def get_schedule_cursor(self, arn: str) -> str | None:
        """The scheduler's progress through a schedule (its JSON text), None before the first."""
        ...

    def put_schedule_cursor(self, arn: str, text: str, *, lease: str, fence: int) -> bool:
        """Store a cursor iff lease ``lease`` is held with fence ``fence`` (else False)."""
        ...

    def acquire_lease(self, name: str, owner: str, ttl: float) -> int | None:
        """Take or renew lease ``name`` for ``ttl`` seconds: its fence, or None if another
        owner holds it. A new holder gets a larger fence than every holder before it; a renewal
        keeps the fence."""
        ...

    def release_lease(self, name: str, owner: str) -> None:
        """Give up lease ``name`` if ``owner`` holds it."""
        ...


__all__ = [
    "DEFAULT_GROUP",
    "ScheduleGroupRecord",
    "ScheduleRecord",
    "ScheduleStore",
]
