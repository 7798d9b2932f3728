"""An in-process store: Express executions, and tests."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from runtime.core.events import Event
from runtime.stores.base import (
    PAGE_SIZE,
    RUNNING,
    ChildAppend,
    ConcurrentWriteError,
    ExecutionRecord,
    Outcome,
    ambiguous,
    check_start,
    child_exists,
    in_page,
    lease_error,
    lease_is_live,
    listed,
    not_found,
    page_cursor,
    page_token,
    prunable,
)
from runtime.stores.contracts import (
    CHANGEABLE,
    SCHEDULED,
    STARTED,
    TIMED_OUT,
    Activity,
    MachineRecord,
    PendingTask,
)
from runtime.stores.schedules import ScheduleGroupRecord, ScheduleRecord


class MemoryStore:
    """Records and histories, pending tasks, activities and state machines in dictionaries;
    gone with the process.

    ``keep_events=False`` keeps the records but no events (``events`` returns none): an Express
    run whose history nobody reads then holds flat memory however long it loops.
    """

    def __init__(self, *, keep_events: bool = True) -> None:
        self._records: dict[str, ExecutionRecord] = {}
        self._events: dict[str, list[Event]] = {}
        self._lock = threading.Lock()
        self._keep = keep_events
        self._tasks: dict[str, PendingTask] = {}
        self._task_seq = itertools.count(1)
        self._activities: dict[str, Activity] = {}
        self._machines: dict[str, MachineRecord] = {}
        self._schedules: dict[str, ScheduleRecord] = {}
        self._groups: dict[str, ScheduleGroupRecord] = {}
        self._cursors: dict[str, str] = {}
        self._leases: dict[str, tuple[str, int, float]] = {}  # owner, fence, monotonic expiry
        self._fences: dict[str, int] = {}
        self._meta: dict[str, str] = {}

    def create(self, record: ExecutionRecord) -> tuple[ExecutionRecord, bool]:
        with self._lock:
            existing = self._records.get(record.execution_arn)
            if existing is not None:
                return check_start(existing, record).copy(), False
            stored = record.copy()
            stored.status, stored.last_event_id = RUNNING, 0
            self._records[record.execution_arn] = stored
            self._events[record.execution_arn] = []
            return stored.copy(), True

    def get(self, execution_id: str) -> ExecutionRecord:
        with self._lock:
            return self._find(execution_id).copy()

    def list(
        self, *, status: str | None = None, map_run_arn: str | None = None
    ) -> list[ExecutionRecord]:
        with self._lock:
            records = [r.copy() for r in self._records.values() if listed(r, map_run_arn)]
        if status is not None:
            records = [r for r in records if r.status == status]
        records.sort(key=lambda r: r.start_date, reverse=True)
        return records

    def page(
        self,
        *,
        status: str | None = None,
        machine_name: str | None = None,
        since: datetime | None = None,
        limit: int = PAGE_SIZE,
        token: str | None = None,
    ) -> tuple[list[ExecutionRecord], str | None]:
        cursor = None if token is None else page_cursor(token)
        with self._lock:
            records = [
                r.copy()
                for r in self._records.values()
                if in_page(r, status=status, machine_name=machine_name, since=since, cursor=cursor)
            ]
        records.sort(key=lambda r: (r.start_date, r.execution_arn), reverse=True)
        more = len(records) > limit
        records = records[:limit]
        return records, page_token(records[-1]) if more else None

    def prune(
        self, *, before: datetime, dry_run: bool = False, limit: int | None = None
    ) -> list[ExecutionRecord]:
        with self._lock:
            found = [r for r in self._records.values() if prunable(r, before)]
            found.sort(key=lambda r: (r.stop_date, r.execution_arn))
            found = found[:limit] if limit is not None else found
            if not dry_run:
                for record in found:
                    for arn in self._family(record.execution_arn):
                        self._records.pop(arn, None)
                        self._events.pop(arn, None)
                        for token in [t for t, x in self._tasks.items() if x.execution_arn == arn]:
                            del self._tasks[token]
            return [r.copy() for r in found]

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            return self._meta.get(key)

    def put_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._meta[key] = value

    def _family(self, arn: str) -> list[str]:
        """``arn`` and its Distributed Map children and Map Runs, theirs too."""
        family = [arn]
        for parent in family:
            family += [a for a, r in self._records.items() if r.parent_arn == parent]
        return family

    def children(self, parent_arn: str) -> list[ExecutionRecord]:
        with self._lock:
            records = [r.copy() for r in self._records.values() if r.parent_arn == parent_arn]
        records.sort(key=lambda r: r.start_date)
        return records

    def snapshot(self, execution_arn: str) -> tuple[ExecutionRecord, list[Event]]:
        """The execution's record and its history, as they stood together."""
        record = self.get(execution_arn)
        return record, self.events(record.execution_arn)

    def events(self, execution_arn: str) -> list[Event]:
        with self._lock:
            self._find(execution_arn)
            return list(self._events[execution_arn])

    def append(
        self,
        execution_arn: str,
        events: Sequence[Event],
        *,
        expected_last_id: int,
        outcome: Outcome | None = None,
        children: Mapping[str, ChildAppend] | None = None,
    ) -> None:
        with self._lock:
            record = self._checked(execution_arn, expected_last_id)
            for arn, child in (children or {}).items():  # every check before any write
                if child.record is None:
                    self._checked(arn, child.expected_last_id)
                elif arn in self._records:
                    raise child_exists(arn)
            self._write(execution_arn, record, events, outcome)
            for arn, child in (children or {}).items():
                if child.record is not None:
                    created = child.record.copy()
                    created.status, created.last_event_id = RUNNING, 0
                    self._records[arn], self._events[arn] = created, []
                self._write(arn, self._records[arn], child.events, child.outcome)

    def _write(
        self,
        execution_arn: str,
        record: ExecutionRecord,
        events: Sequence[Event],
        outcome: Outcome | None,
    ) -> None:
        if events:
            if self._keep:
                self._events[execution_arn].extend(events)
            record.last_event_id = events[-1].id
        if outcome is not None:
            record.status, record.stop_date = outcome.status, outcome.stop_date
            record.output, record.error, record.cause = (
                outcome.output,
                outcome.error,
                outcome.cause,
            )

    def redrive(self, execution_arn: str, event: Event, *, expected_last_id: int) -> None:
        with self._lock:
            record = self._checked(execution_arn, expected_last_id)
            self._events[execution_arn].append(event)
            record.last_event_id = event.id
            record.status, record.stop_date = RUNNING, None
            record.output = record.error = record.cause = None
            record.redrive_count += 1
            record.redrive_date = event.timestamp

    def acquire(self, execution_arn: str, owner: str) -> None:
        with self._lock:
            record = self._find(execution_arn)
            if lease_is_live(record.lease_owner, record.lease_heartbeat, owner):
                raise lease_error(record)
            record.lease_owner, record.lease_heartbeat = owner, time.time()

    def heartbeat(self, execution_arn: str, owner: str) -> bool:
        with self._lock:
            record = self._find(execution_arn)
            if record.lease_owner != owner:
                return False
            record.lease_heartbeat = time.time()
            return True

    def release(self, execution_arn: str, owner: str) -> None:
        with self._lock:
            record = self._find(execution_arn)
            if record.lease_owner == owner:
                record.lease_owner = record.lease_heartbeat = None

    def close(self) -> None:
        pass

    # -- TaskTokenStore --------------------------------------------------------------------------

    def put_activity(self, activity: Activity) -> Activity:
        with self._lock:
            return replace(self._activities.setdefault(activity.name, replace(activity)))

    def get_activity(self, name: str) -> Activity | None:
        with self._lock:
            found = self._activities.get(name)
            return None if found is None else replace(found)

    def list_activities(self) -> list[Activity]:
        with self._lock:
            found = [replace(a) for a in self._activities.values()]
        return sorted(found, key=lambda a: (a.created, a.name))

    def delete_activity(self, name: str) -> bool:
        with self._lock:
            return self._activities.pop(name, None) is not None

    def add_task(self, task: PendingTask) -> tuple[PendingTask, bool]:
        with self._lock:
            existing = self._tasks.get(task.token)
            if existing is not None:
                return replace(existing), False
            stored = self._tasks[task.token] = replace(task, seq=next(self._task_seq))
            return replace(stored), True

    def get_task(self, token: str) -> PendingTask | None:
        with self._lock:
            task = self._tasks.get(token)
            return None if task is None else replace(task)

    def update_task(
        self, token: str, expect: tuple[str, ...], changes: dict[str, Any]
    ) -> PendingTask | None:
        with self._lock:
            task = self._tasks.get(token)
            if task is None or task.status not in expect:
                return None
            known = {k: v for k, v in changes.items() if k in CHANGEABLE}
            task = self._tasks[token] = replace(task, **known)
            return replace(task)

    def claim_task(self, activity: str, worker: str | None, now: float) -> PendingTask | None:
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

    def list_tasks(
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

    # -- MachineStore ----------------------------------------------------------------------------

    def add_machine(self, record: MachineRecord) -> tuple[MachineRecord, bool]:
        with self._lock:
            existing = self._machines.get(record.arn)
            if existing is not None:
                return existing.copy(), False
            self._machines[record.arn] = record.copy()
            return record.copy(), True

    def get_machine(self, arn: str) -> MachineRecord | None:
        with self._lock:
            record = self._machines.get(arn)
            return None if record is None else record.copy()

    def list_machines(self) -> list[MachineRecord]:
        with self._lock:
            records = [r.copy() for r in self._machines.values()]
        return sorted(records, key=lambda r: (r.creation_date, r.arn))

    def put_machine(self, record: MachineRecord) -> None:
        with self._lock:
            self._machines[record.arn] = record.copy()

    def delete_machine(self, arn: str) -> bool:
        with self._lock:
            return self._machines.pop(arn, None) is not None

    # -- ScheduleStore ---------------------------------------------------------------------------

    def add_schedule(self, record: ScheduleRecord) -> tuple[ScheduleRecord, bool]:
        with self._lock:
            existing = self._schedules.get(record.arn)
            if existing is not None:
                return existing.copy(), False
            self._schedules[record.arn] = record.copy()
            return record.copy(), True

    def get_schedule(self, arn: str) -> ScheduleRecord | None:
        with self._lock:
            record = self._schedules.get(arn)
            return None if record is None else record.copy()

    def list_schedules(self) -> list[ScheduleRecord]:
        with self._lock:
            records = [r.copy() for r in self._schedules.values()]
        return sorted(records, key=lambda r: (r.creation_date, r.arn))

    def put_schedule(self, record: ScheduleRecord) -> None:
        with self._lock:
            self._schedules[record.arn] = record.copy()

    def delete_schedule(self, arn: str) -> bool:
        with self._lock:
            self._cursors.pop(arn, None)
            return self._schedules.pop(arn, None) is not None

    def add_schedule_group(self, record: ScheduleGroupRecord) -> tuple[ScheduleGroupRecord, bool]:
        with self._lock:
            existing = self._groups.get(record.name)
            if existing is not None:
                return existing.copy(), False
            self._groups[record.name] = record.copy()
            return record.copy(), True

    def get_schedule_group(self, name: str) -> ScheduleGroupRecord | None:
        with self._lock:
            record = self._groups.get(name)
            return None if record is None else record.copy()

    def list_schedule_groups(self) -> list[ScheduleGroupRecord]:
        with self._lock:
            records = [r.copy() for r in self._groups.values()]
        return sorted(records, key=lambda r: (r.creation_date, r.name))

    def put_schedule_group(self, record: ScheduleGroupRecord) -> None:
        with self._lock:
            self._groups[record.name] = record.copy()

    def delete_schedule_group(self, name: str) -> bool:
        with self._lock:
            return self._groups.pop(name, None) is not None

    def get_schedule_cursor(self, arn: str) -> str | None:
        with self._lock:
            return self._cursors.get(arn)

    def put_schedule_cursor(self, arn: str, text: str, *, lease: str, fence: int) -> bool:
        with self._lock:
            held = self._leases.get(lease)
            if held is None or held[1] != fence or held[2] <= time.monotonic():
                return False
            self._cursors[arn] = text
            return True

    def acquire_lease(self, name: str, owner: str, ttl: float) -> int | None:
        with self._lock:
            now = time.monotonic()
            held = self._leases.get(name)
            if held is not None and held[2] > now and held[0] != owner:
                return None
            if held is not None and held[2] > now:
                fence = held[1]
            else:
                fence = self._fences.get(name, 0) + 1
                self._fences[name] = fence
            self._leases[name] = (owner, fence, now + ttl)
            return fence

    def release_lease(self, name: str, owner: str) -> None:
        with self._lock:
            held = self._leases.get(name)
            if held is not None and held[0] == owner:
                del self._leases[name]

    # -- internals -------------------------------------------------------------------------------

    def _find(self, execution_id: str) -> ExecutionRecord:
        record = self._records.get(execution_id)
        if record is not None:
            return record
        matches = [r for r in self._records.values() if r.name == execution_id]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise ambiguous(execution_id, [r.execution_arn for r in matches])
        raise not_found(execution_id)

    def _checked(self, execution_arn: str, expected_last_id: int) -> ExecutionRecord:
        record = self._records.get(execution_arn)
        if record is None:
            raise not_found(execution_arn)
        if record.last_event_id != expected_last_id:
            raise ConcurrentWriteError(
                f"history of {execution_arn} ends at event {record.last_event_id}, "
                f"expected {expected_last_id}: another process is writing it"
            )
        return record
