"""The history store contract: execution records and their append-only event histories.

A store keeps, per execution, one :class:`ExecutionRecord` (what was started, how it ended, who is
running it) and its events. Appends are compare-and-swap on the record's ``last_event_id``, so two
processes writing the same history fail cleanly instead of interleaving. A lease (owner host and
pid plus a heartbeat) says which process is running an execution right now.

Exceptions::

    StoreError                  anything a store refuses; the CLI exits 2 with its message
    ├── ExecutionNotFound       no execution has that ARN or name
    ├── ExecutionAlreadyExists  StartExecution's name clash
    ├── ConcurrentWriteError    the compare-and-swap on last_event_id failed
    ├── LeaseHeld               another live process is running the execution
    ├── StoreLocked             the database stayed locked past the busy timeout
    └── StoreCorrupt            the file is not a (compatible) store; it is left untouched
"""

from __future__ import annotations

import base64
import json
import os
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from runtime.core.events import Event

RUNNING = "RUNNING"
TERMINAL_STATUSES = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
REDRIVABLE_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
REDIS_SCHEMES = ("redis://", "rediss://")
"""Store locations naming a Redis store rather than an SQLite file."""
MAP_RUN = "MAP_RUN"
"""The ``type`` of a Map Run's record: its history holds the run's S3 calls and their answers."""
DAY = 86400.0
RETENTION_DAYS = 90.0
"""How long a closed execution is kept by default (``ASL_RETENTION``), as AWS keeps them."""
PAGE_SIZE = 100


class StoreError(Exception):
    """A store operation that cannot be done; the message is meant for the user."""


class ExecutionNotFound(StoreError):
    """No execution has that ARN or name."""


class ExecutionAlreadyExists(StoreError):
    """An execution with that name exists and the start is not an idempotent repeat."""


class ConcurrentWriteError(StoreError):
    """Another writer appended to the history since this one last did."""


class LeaseHeld(StoreError):
    """Another live process is running the execution."""


class StoreLocked(StoreError):
    """The store stayed locked by another process past the busy timeout."""


class StoreCorrupt(StoreError):
    """The store file is not a database this version can use (it is left untouched)."""


@dataclass(slots=True)
class Outcome:
    """How an execution ended, stored together with its last event."""

    status: str
    stop_date: datetime
    output: str | None = None  # JSON text
    error: str | None = None
    cause: str | None = None


@dataclass(slots=True)
class ExecutionRecord:
    """One execution: what was started and how it stands. JSON values are kept as JSON text."""

    execution_arn: str
    name: str
    machine_name: str
    type: str  # "STANDARD" or "EXPRESS"
    definition: str
    input: str
    seed: int
    start_date: datetime
    filename: str = "<definition>"
    options: dict[str, Any] = field(default_factory=dict)
    status: str = RUNNING
    stop_date: datetime | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    redrive_count: int = 0
    redrive_date: datetime | None = None
    last_event_id: int = 0
    lease_owner: str | None = None  # "host:pid"
    lease_heartbeat: float | None = None  # time.time() of the last heartbeat
    parent_arn: str | None = None
    """A Distributed Map child's (or Map Run's) parent execution; None for any other."""
    map_run_arn: str | None = None
    """The Map Run a Distributed Map child belongs to (a Map Run's record: its own ARN)."""

    @property
    def input_value(self) -> Any:
        return json.loads(self.input)

    @property
    def output_value(self) -> Any:
        return None if self.output is None else json.loads(self.output)

    def copy(self) -> ExecutionRecord:
        return replace(self, options=dict(self.options))


@dataclass(slots=True)
class ChildAppend:
    """What one :meth:`HistoryStore.append` adds to a Distributed Map child's history (or a Map
    Run's), in the same transaction as its parent's events.

    ``record`` comes with the child's first events (``expected_last_id`` 0): the child is created
    then (RUNNING, linked by its ``parent_arn`` and ``map_run_arn``), hidden from
    :meth:`HistoryStore.list` unless its Map Run is asked for."""

    events: Sequence[Event]
    expected_last_id: int
    outcome: Outcome | None = None
    record: ExecutionRecord | None = None


class HistoryStore(Protocol):
    """What the runner needs from a store. Every method is atomic."""

    def create(self, record: ExecutionRecord) -> tuple[ExecutionRecord, bool]:
        """Store a new RUNNING execution; ``(record, True)``.

        As StartExecution: the same name with the same input while that execution is RUNNING
        gives ``(existing, False)``; any other clash raises :class:`ExecutionAlreadyExists`.
        """
        ...

    def get(self, execution_id: str) -> ExecutionRecord:
        """The execution with that ARN or name; :class:`ExecutionNotFound` otherwise."""
        ...

    def list(
        self, *, status: str | None = None, map_run_arn: str | None = None
    ) -> list[ExecutionRecord]:
        """Every execution (optionally of one status), newest first. Distributed Map children
        are left out, as ListExecutions leaves them, unless ``map_run_arn`` asks for that Map
        Run's children (then only them)."""
        ...

    def page(
        self,
        *,
        status: str | None = None,
        machine_name: str | None = None,
        since: datetime | None = None,
        limit: int = PAGE_SIZE,
        token: str | None = None,
    ) -> tuple[list[ExecutionRecord], str | None]:
        """Up to ``limit`` top-level executions, newest first (by start date, then ARN), of one
        status and state machine (by name), started at or after ``since``; and the token of
        the next page (None when no more remain), to pass back as ``token``."""
        ...

    def prune(
        self, *, before: datetime, dry_run: bool = False, limit: int | None = None
    ) -> list[ExecutionRecord]:
        """Remove the top-level executions that closed before ``before`` (never a RUNNING one),
        each with its events, pending tasks and Distributed Map children and Map Runs, one
        execution per transaction; the removed records (with ``dry_run``, those it would
        remove), oldest stop first, at most ``limit``."""
        ...

    def get_meta(self, key: str) -> str | None:
        """A small setting stored under ``key`` (None if unset)."""
        ...

    def put_meta(self, key: str, value: str) -> None:
        """Store a small setting (UpdateMapRun's values, by Map Run ARN)."""
        ...

    def children(self, parent_arn: str) -> list[ExecutionRecord]:
        """The Distributed Map children and Map Runs whose parent is ``parent_arn``."""
        ...

    def events(self, execution_arn: str) -> list[Event]:
        """The execution's history in id order, ``frame`` included."""
        ...

    def snapshot(self, execution_arn: str) -> tuple[ExecutionRecord, list[Event]]:
        """The execution (by ARN) and its history as they stood together (one read where the
        backend can: a decision's first step)."""
        ...

    def append(
        self,
        execution_arn: str,
        events: Sequence[Event],
        *,
        expected_last_id: int,
        outcome: Outcome | None = None,
        children: Mapping[str, ChildAppend] | None = None,
    ) -> None:
        """Append events in one transaction, iff the history still ends at ``expected_last_id``.

        With ``outcome`` the record is finished in the same transaction. ``children`` (by child
        ARN) are committed in the same transaction too, each with its own compare-and-swap (a
        child to create must not exist yet); ``events`` may then be empty. Raises
        :class:`ConcurrentWriteError` when another writer got there first (nothing is written).
        """
        ...

    def redrive(self, execution_arn: str, event: Event, *, expected_last_id: int) -> None:
        """Append an ``ExecutionRedriven`` event and make the record RUNNING again, atomically."""
        ...

    def acquire(self, execution_arn: str, owner: str) -> None:
        """Take the execution's lease for ``owner``; :class:`LeaseHeld` if a live process has it."""
        ...

    def heartbeat(self, execution_arn: str, owner: str) -> bool:
        """Renew the lease; False when ``owner`` no longer holds it."""
        ...

    def release(self, execution_arn: str, owner: str) -> None:
        """Give the lease up (no-op unless ``owner`` holds it)."""
        ...

    def close(self) -> None: ...


# -- shared helpers for backends ----------------------------------------------------------------

LEASE_TTL = 60.0
"""Seconds after which a lease held from another host counts as abandoned."""


def lease_owner() -> str:
    """This process's lease owner id: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def lease_is_live(owner: str | None, heartbeat: float | None, me: str) -> bool:
    """Whether a lease held by ``owner`` still belongs to a running process other than ``me``.

    On this host the owner's pid decides; a lease from another host lives while its heartbeat is
    younger than :data:`LEASE_TTL`.
    """
    if not owner or owner == me:
        return False
    host, _, pid_text = owner.rpartition(":")
    if host == socket.gethostname() and pid_text.isdigit():
        return _pid_alive(int(pid_text))
    return heartbeat is not None and time.time() - heartbeat < LEASE_TTL


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def retention_seconds(text: str | None = None) -> float | None:
    """``ASL_RETENTION`` (or ``text``) in seconds: days, a decimal allowed (``0.5``); ``off``
    or ``0`` keeps closed executions for ever (None). Unset: :data:`RETENTION_DAYS`."""
    raw = (os.environ.get("ASL_RETENTION", "") if text is None else text).strip().lower()
    if not raw:
        return RETENTION_DAYS * DAY
    if raw in ("off", "none", "never"):
        return None
    try:
        days = float(raw)
    except ValueError:
        days = -1.0
    if not days >= 0 or days == float("inf"):
        raise StoreError(
            f"ASL_RETENTION must be a number of days (e.g. 90 or 0.5) or 'off', not {raw!r}"
        )
    return days * DAY if days else None


def page_token(record: ExecutionRecord) -> str:
    """The token of the page after ``record`` (see :meth:`HistoryStore.page`)."""
    text = f"{record.start_date.isoformat()} {record.execution_arn}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def page_cursor(token: str) -> tuple[datetime, str]:
    """(start date, ARN) of the last record of the previous page; StoreError for a bad token."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        start, arn = text.split(" ", 1)
        return datetime.fromisoformat(start), arn
    except ValueError:
        raise StoreError(f"invalid page token {token!r}: give the token the last page printed")


def in_page(
    record: ExecutionRecord,
    *,
    status: str | None,
    machine_name: str | None,
    since: datetime | None,
    cursor: tuple[datetime, str] | None,
) -> bool:
    """Whether ``record`` belongs to the page asked for (see :meth:`HistoryStore.page`)."""
    return (
        record.parent_arn is None
        and (status is None or record.status == status)
        and (machine_name is None or record.machine_name == machine_name)
        and (since is None or record.start_date >= since)
        and (cursor is None or (record.start_date, record.execution_arn) < cursor)
    )


def prunable(record: ExecutionRecord, before: datetime) -> bool:
    """Whether ``prune(before=...)`` removes ``record``: closed before ``before``, top-level."""
    return (
        record.parent_arn is None
        and record.status != RUNNING
        and record.stop_date is not None
        and record.stop_date < before
    )


def check_start(existing: ExecutionRecord, record: ExecutionRecord) -> ExecutionRecord:
    """StartExecution's name rule: the existing record, or raise :class:`ExecutionAlreadyExists`."""
    same_input = _canonical(existing.input) == _canonical(record.input)
    if existing.status == RUNNING and same_input and existing.type == record.type:
        return existing
    raise ExecutionAlreadyExists(
        f"Execution Already Exists: '{record.execution_arn}' ({existing.status}"
        f"{'' if same_input else ', different input'})"
    )


def _canonical(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def listed(record: ExecutionRecord, map_run_arn: str | None) -> bool:
    """Whether :meth:`HistoryStore.list` shows ``record``: a top-level execution, or (asked for
    by ``map_run_arn``) a child execution of that Map Run."""
    if map_run_arn is None:
        return record.parent_arn is None
    return record.map_run_arn == map_run_arn and record.type != MAP_RUN


def child_exists(arn: str) -> ConcurrentWriteError:
    return ConcurrentWriteError(f"child execution {arn} exists already: another process wrote it")


def lease_error(record: ExecutionRecord) -> LeaseHeld:
    owner = record.lease_owner or "?"
    return LeaseHeld(
        f"execution {record.name!r} is being run by another process ({owner}); "
        "wait for it or stop that process first"
    )


def not_found(execution_id: str) -> ExecutionNotFound:
    return ExecutionNotFound(f"no execution with ARN or name {execution_id!r} in the store")


def ambiguous(execution_id: str, arns: Sequence[str]) -> ExecutionNotFound:
    listed = ", ".join(arns)
    return ExecutionNotFound(
        f"the name {execution_id!r} matches several executions ({listed}); give the ARN"
    )
