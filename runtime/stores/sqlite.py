"""The durable store: one SQLite file in WAL mode, every append one transaction.

The file holds the executions and their histories, the pending tasks and activities
(``asl_tasks``, ``asl_activities``) and ``asl serve``'s state machines
(``serve_state_machines``), all through one connection; a file from before those tables existed
gets them when opened.

Each append inserts its events in one transaction, and only if the history still ends at the id
the writer expects: the first event goes in only if the expected last event is there, and the
events' primary key makes a racing second writer fail cleanly; a crash never leaves a half-written
history. The execution row (which holds the definition) is written only when the execution
starts, ends or changes hands, never per transition. Every sqlite3 error is translated into a
:class:`~runtime.stores.base.StoreError` with a message for the user.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runtime.core.events import Event
from runtime.stores.base import (
    DAY,
    PAGE_SIZE,
    RUNNING,
    ChildAppend,
    ConcurrentWriteError,
    ExecutionRecord,
    Outcome,
    StoreCorrupt,
    StoreError,
    StoreLocked,
    ambiguous,
    check_start,
    child_exists,
    lease_error,
    lease_is_live,
    not_found,
    page_cursor,
    page_token,
    retention_seconds,
)
from runtime.stores.contracts import (
    CHANGEABLE,
    COLUMNS,
    SCHEDULED,
    STARTED,
    TIMED_OUT,
    Activity,
    MachineRecord,
    PendingTask,
)
from runtime.stores.schedules import ScheduleGroupRecord, ScheduleRecord

SCHEMA_VERSION = 1
DEFAULT_TIMEOUT = 5.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS executions (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    machine_name TEXT NOT NULL,
    type TEXT NOT NULL,
    definition TEXT NOT NULL,
    filename TEXT NOT NULL,
    input TEXT NOT NULL,
    seed INTEGER NOT NULL,
    options TEXT NOT NULL,
    status TEXT NOT NULL,
    start_date TEXT NOT NULL,
    stop_date TEXT,
    output TEXT,
    error TEXT,
    cause TEXT,
    redrive_count INTEGER NOT NULL DEFAULT 0,
    redrive_date TEXT,
    last_event_id INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_heartbeat REAL
);
CREATE INDEX IF NOT EXISTS executions_by_name ON executions (name);
CREATE INDEX IF NOT EXISTS executions_by_start ON executions (start_date);
CREATE TABLE IF NOT EXISTS events (
    execution_arn TEXT NOT NULL REFERENCES executions (arn),
    id INTEGER NOT NULL,
    previous_event_id INTEGER NOT NULL,
    timestamp TEXT NOT NULL,
    type TEXT NOT NULL,
    details TEXT,
    frame TEXT NOT NULL,
    PRIMARY KEY (execution_arn, id)
) WITHOUT ROWID;
"""

# Pending tasks, activities and state machines: in the same schema version, created (if
# missing) whenever a file is opened, as the previous version created them on first use.
_TOKENS_SCHEMA = """
CREATE TABLE IF NOT EXISTS asl_tasks (
    token TEXT PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    kind TEXT NOT NULL,
    resource TEXT NOT NULL,
    state_name TEXT NOT NULL,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    activity TEXT,
    input TEXT,
    worker TEXT,
    started REAL,
    beat REAL,
    deadline REAL,
    heartbeat_seconds REAL,
    submitted TEXT,
    output TEXT,
    error TEXT,
    cause TEXT,
    closed REAL,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS asl_tasks_queue ON asl_tasks (activity, status, seq);
CREATE INDEX IF NOT EXISTS asl_tasks_by_execution ON asl_tasks (execution_arn, seq);
CREATE TABLE IF NOT EXISTS asl_activities (
    name TEXT PRIMARY KEY,
    arn TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS serve_state_machines (
    arn TEXT PRIMARY KEY,
    created REAL NOT NULL,
    data TEXT NOT NULL
);
"""
_TOKENS_TABLES = ("asl_tasks", "asl_activities", "serve_state_machines")

# Distributed Map children and Map Runs: their parent and Map Run (created likewise).
_CHILDREN_SCHEMA = """
CREATE TABLE IF NOT EXISTS asl_children (
    arn TEXT PRIMARY KEY,
    parent_arn TEXT NOT NULL,
    map_run_arn TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS asl_children_by_parent ON asl_children (parent_arn);
CREATE INDEX IF NOT EXISTS asl_children_by_map_run ON asl_children (map_run_arn);
"""
# Schedules, their groups and cursors, and the scheduler's leases (created likewise).
_SCHEDULES_SCHEMA = """
CREATE TABLE IF NOT EXISTS asl_schedules (
    arn TEXT PRIMARY KEY,
    created REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS asl_schedule_groups (
    name TEXT PRIMARY KEY,
    created REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS asl_schedule_cursors (
    arn TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS asl_leases (
    name TEXT PRIMARY KEY,
    owner TEXT,
    fence INTEGER NOT NULL,
    expires REAL NOT NULL
);
"""
_SCHEDULES_TABLES = ("asl_schedules", "asl_schedule_groups", "asl_schedule_cursors", "asl_leases")
# Retention: when the store was last pruned, and closed executions by stop date (likewise).
_RETENTION_SCHEMA = """
CREATE TABLE IF NOT EXISTS asl_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS executions_by_stop ON executions (stop_date);
"""
# Listings by machine or status, newest first (asl executions, the console), created likewise.
_LISTING_SCHEMA = """
CREATE INDEX IF NOT EXISTS executions_by_machine ON executions (machine_name, start_date);
CREATE INDEX IF NOT EXISTS executions_by_status ON executions (status, start_date);
"""
_LISTING_INDEXES = ("executions_by_machine", "executions_by_status")
_ADDED_SCHEMA = (
    _TOKENS_SCHEMA + _CHILDREN_SCHEMA + _SCHEDULES_SCHEMA + _RETENTION_SCHEMA + _LISTING_SCHEMA
)
# What a file from before may lack (tables and indexes, by name).
_ADDED_TABLES = (
    *_TOKENS_TABLES,
    "asl_children",
    *_SCHEDULES_TABLES,
    "asl_meta",
    *_LISTING_INDEXES,
)
AUTO_PRUNE_EVERY = DAY
"""Seconds between the automatic prunes a store opened for writing makes (see prune_due)."""
AUTO_PRUNE_LIMIT = 1000
"""At most this many executions go in one automatic prune (the rest the next day)."""

_RECORD_COLUMNS = (
    "arn, name, machine_name, type, definition, filename, input, seed, options, status, "
    "start_date, stop_date, output, error, cause, redrive_count, redrive_date, last_event_id, "
    "lease_owner, lease_heartbeat"
)
# Reads take the last event id from the history itself (the column is set only at creation),
# and a child's links from asl_children.
_SELECT_COLUMNS = _RECORD_COLUMNS.replace(
    "last_event_id",
    "(SELECT coalesce(max(id), 0) FROM events WHERE execution_arn = executions.arn)",
) + "".join(
    f", (SELECT {link} FROM asl_children AS c WHERE c.arn = executions.arn)"
    for link in ("parent_arn", "map_run_arn")
)
_TOP_LEVEL = "NOT EXISTS (SELECT 1 FROM asl_children AS c WHERE c.arn = executions.arn)"
_FAMILY = (
    "WITH RECURSIVE family(arn) AS (SELECT ? UNION "
    "SELECT c.arn FROM asl_children AS c JOIN family ON c.parent_arn = family.arn) "
    "SELECT arn FROM family"
)
_OF_MAP_RUN = "arn IN (SELECT arn FROM asl_children WHERE map_run_arn = ?) AND type != 'MAP_RUN'"


class SqliteStore:
    """A :class:`~runtime.stores.contracts.Store` in one SQLite file."""

    def __init__(
        self,
        path: str | Path,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retention: float | str | None = "env",
        auto_prune: bool = True,
    ) -> None:
        """``retention``: seconds a closed execution is kept (None: for ever; default
        ``ASL_RETENTION``); ``auto_prune``: prune at most once a day as the store opens."""
        self.path = Path(path)
        self.retention = retention_seconds() if retention == "env" else retention
        self._lock = threading.RLock()
        if self.path.is_dir():
            raise StoreError(f"store {self.path} is a directory, not a file")
        if not self.path.exists():
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create store {self.path}: {exc.strerror or exc}")
        try:
            self._conn = sqlite3.connect(
                str(self.path), timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open store {self.path}: {exc}")
        try:
            self._open()
            if auto_prune and self.retention is not None:
                self.prune_due()
        except BaseException:
            self._conn.close()
            raise

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if "locked" in text or "busy" in text:
                raise StoreLocked(f"store {self.path} is locked by another process")
            if "not a database" in text or "malformed" in text:
                raise StoreCorrupt(f"store {self.path} is corrupt ({exc}); left untouched")
            raise StoreError(f"store {self.path}: {exc}")
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"store {self.path}: {exc}")
        except sqlite3.DatabaseError as exc:
            if "closed database" in str(exc):  # a ProgrammingError: the file is fine
                raise StoreError(f"store {self.path} is closed: it was used after close() ({exc})")
            raise StoreCorrupt(
                f"store {self.path} is corrupt or not a database ({exc}); left untouched"
            )

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: committed if the block returns, rolled back otherwise."""
        with self._lock, self._guard():
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._guard():
            yield self._conn

    # -- setup -----------------------------------------------------------------------------------

    def _open(self) -> None:
        with self._guard():
            # Reading the header first: a file that is not a database fails here, unmodified.
            # One statement, one snapshot: another process creating the schema between two
            # reads would make a fresh store look like a foreign database.
            version, tables, families = self._conn.execute(
                "SELECT (SELECT user_version FROM pragma_user_version),"
                " (SELECT count(*) FROM sqlite_master),"
                " (SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'index') AND name IN"
                f" ({', '.join('?' * len(_ADDED_TABLES))}))",
                _ADDED_TABLES,
            ).fetchone()
        if version > SCHEMA_VERSION:
            raise StoreCorrupt(
                f"store {self.path} has schema version {version}, newer than this asl "
                f"supports ({SCHEMA_VERSION}); upgrade asl-engine"
            )
        if version == 0 and tables:
            raise StoreCorrupt(f"{self.path} is an SQLite database but not an asl store")
        with self._guard():
            if version == 0:
                mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(f"store {self.path}: cannot switch to WAL mode ({mode})")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            # No foreign_keys enforcement: every append first swaps the execution's last event
            # id, which fails for a missing execution; the check would only cost time.
        if version == 0:
            with self._write() as conn:
                if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
                    _script(conn, _SCHEMA + _ADDED_SCHEMA)
                    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        elif families < len(_ADDED_TABLES):  # a file written before these tables existed
            with self._write() as conn:
                _script(conn, _ADDED_SCHEMA)

    # -- HistoryStore ----------------------------------------------------------------------------

    def create(self, record: ExecutionRecord) -> tuple[ExecutionRecord, bool]:
        with self._write() as conn:
            row = conn.execute(
                f"SELECT {_SELECT_COLUMNS} FROM executions WHERE arn = ?", (record.execution_arn,)
            ).fetchone()
            if row is not None:
                return check_start(_record(row), record), False
            return _insert(conn, record), True

    def get(self, execution_id: str) -> ExecutionRecord:
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_SELECT_COLUMNS} FROM executions WHERE arn = ?", (execution_id,)
            ).fetchone()
            if row is not None:
                return _record(row)
            rows = conn.execute(
                f"SELECT {_SELECT_COLUMNS} FROM executions WHERE name = ?", (execution_id,)
            ).fetchall()
        if len(rows) == 1:
            return _record(rows[0])
        if rows:
            raise ambiguous(execution_id, [r[0] for r in rows])
        raise not_found(execution_id)

    def list(
        self, *, status: str | None = None, map_run_arn: str | None = None
    ) -> list[ExecutionRecord]:
        query = f"SELECT {_SELECT_COLUMNS} FROM executions WHERE "
        params: tuple[Any, ...] = ()
        if map_run_arn is None:
            query += _TOP_LEVEL
        else:
            query += _OF_MAP_RUN
            params = (map_run_arn,)
        if status is not None:
            query += " AND status = ?"
            params += (status,)
        with self._read() as conn:
            rows = conn.execute(query + " ORDER BY start_date DESC, rowid DESC", params).fetchall()
        return [_record(r) for r in rows]

    def page(
        self,
        *,
        status: str | None = None,
        machine_name: str | None = None,
        since: datetime | None = None,
        limit: int = PAGE_SIZE,
        token: str | None = None,
    ) -> tuple[list[ExecutionRecord], str | None]:
        where, params = [_TOP_LEVEL], []
        for column, value in (("status", status), ("machine_name", machine_name)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            where.append("start_date >= ?")
            params.append(_utc(since).isoformat())
        if token is not None:
            start, arn = page_cursor(token)
            where.append("(start_date < ? OR (start_date = ? AND arn < ?))")
            params += [_utc(start).isoformat(), _utc(start).isoformat(), arn]
        query = (
            f"SELECT {_SELECT_COLUMNS} FROM executions WHERE {' AND '.join(where)} "
            "ORDER BY start_date DESC, arn DESC LIMIT ?"
        )
        with self._read() as conn:
            rows = conn.execute(query, (*params, limit + 1)).fetchall()
        records = [_record(r) for r in rows[:limit]]
        return records, page_token(records[-1]) if len(rows) > limit else None

    def prune(
        self, *, before: datetime, dry_run: bool = False, limit: int | None = None
    ) -> list[ExecutionRecord]:
        cutoff = _utc(before).isoformat()
        query = (
            f"SELECT {_SELECT_COLUMNS} FROM executions WHERE status != ? AND stop_date < ? "
            f"AND {_TOP_LEVEL} ORDER BY stop_date, arn LIMIT ?"
        )
        with self._read() as conn:
            rows = conn.execute(query, (RUNNING, cutoff, -1 if limit is None else limit))
            found = [_record(r) for r in rows.fetchall()]
        if dry_run:
            return found
        removed = []
        for record in found:
            with self._write() as conn:  # one execution, one transaction; checked again inside
                again = conn.execute(
                    "SELECT 1 FROM executions WHERE arn = ? AND status != ? AND stop_date < ?",
                    (record.execution_arn, RUNNING, cutoff),
                ).fetchone()
                if again is None:
                    continue  # redriven meanwhile
                family = [r[0] for r in conn.execute(_FAMILY, (record.execution_arn,))]
                marks = ", ".join("?" * len(family))
                for table, column in _PRUNED:
                    conn.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", family)
            removed.append(record)
        return removed

    def prune_due(self, now: float | None = None) -> list[ExecutionRecord]:
        """The automatic prune: once per :data:`AUTO_PRUNE_EVERY` (whoever opens the store
        first after that claims it), closed executions older than the retention go, at most
        :data:`AUTO_PRUNE_LIMIT` of them. A cheap read when it is not due."""
        if self.retention is None:
            return []
        now = time.time() if now is None else now
        with self._read() as conn:
            row = conn.execute("SELECT value FROM asl_meta WHERE key = 'pruned'").fetchone()
        if row is not None and now - float(row[0]) < AUTO_PRUNE_EVERY:
            return []
        with self._write() as conn:
            row = conn.execute("SELECT value FROM asl_meta WHERE key = 'pruned'").fetchone()
            if row is not None and now - float(row[0]) < AUTO_PRUNE_EVERY:
                return []  # another process claimed it
            conn.execute(
                "INSERT OR REPLACE INTO asl_meta (key, value) VALUES ('pruned', ?)", (repr(now),)
            )
        before = datetime.fromtimestamp(now - self.retention, UTC)
        return self.prune(before=before, limit=AUTO_PRUNE_LIMIT)

    def get_meta(self, key: str) -> str | None:
        with self._read() as conn:
            row = conn.execute("SELECT value FROM asl_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put_meta(self, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO asl_meta (key, value) VALUES (?, ?)", (key, value))

    def children(self, parent_arn: str) -> list[ExecutionRecord]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_SELECT_COLUMNS} FROM executions WHERE arn IN "
                "(SELECT arn FROM asl_children WHERE parent_arn = ?) ORDER BY start_date, rowid",
                (parent_arn,),
            ).fetchall()
        return [_record(r) for r in rows]

    def snapshot(self, execution_arn: str) -> tuple[ExecutionRecord, list[Event]]:
        """The execution's record and its history, as they stood together."""
        record = self.get(execution_arn)
        return record, self.events(record.execution_arn)

    def events(self, execution_arn: str) -> list[Event]:
        with self._read() as conn:
            if (
                conn.execute("SELECT 1 FROM executions WHERE arn = ?", (execution_arn,)).fetchone()
                is None
            ):
                raise not_found(execution_arn)
            rows = conn.execute(
                "SELECT id, previous_event_id, timestamp, type, details, frame FROM events "
                "WHERE execution_arn = ? ORDER BY id",
                (execution_arn,),
            ).fetchall()
        return [
            Event(
                i,
                prev,
                datetime.fromisoformat(ts),
                type_,
                None if details is None else json.loads(details),
                frame,
            )
            for i, prev, ts, type_, details, frame in rows
        ]

    def append(
        self,
        execution_arn: str,
        events: Sequence[Event],
        *,
        expected_last_id: int,
        outcome: Outcome | None = None,
        children: Mapping[str, ChildAppend] | None = None,
    ) -> None:
        rows = _event_rows(execution_arn, events)
        with self._write() as conn:
            self._swap(conn, execution_arn, expected_last_id, rows)
            if outcome is not None:
                _finish(conn, execution_arn, outcome)
            for arn, child in (children or {}).items():
                if child.record is not None:
                    if _exists(conn, arn):
                        raise child_exists(arn)
                    _insert(conn, child.record)
                self._swap(conn, arn, child.expected_last_id, _event_rows(arn, child.events))
                if child.outcome is not None:
                    _finish(conn, arn, child.outcome)

    def redrive(self, execution_arn: str, event: Event, *, expected_last_id: int) -> None:
        with self._write() as conn:
            self._swap(conn, execution_arn, expected_last_id, _event_rows(execution_arn, [event]))
            conn.execute(
                "UPDATE executions SET status = ?, stop_date = NULL, output = NULL, "
                "error = NULL, cause = NULL, redrive_count = redrive_count + 1, "
                "redrive_date = ? WHERE arn = ?",
                (RUNNING, event.timestamp.isoformat(), execution_arn),
            )

    def acquire(self, execution_arn: str, owner: str) -> None:
        with self._write() as conn:
            row = conn.execute(
                f"SELECT {_SELECT_COLUMNS} FROM executions WHERE arn = ?", (execution_arn,)
            ).fetchone()
            if row is None:
                raise not_found(execution_arn)
            record = _record(row)
            if lease_is_live(record.lease_owner, record.lease_heartbeat, owner):
                raise lease_error(record)
            conn.execute(
                "UPDATE executions SET lease_owner = ?, lease_heartbeat = ? WHERE arn = ?",
                (owner, time.time(), execution_arn),
            )

    def heartbeat(self, execution_arn: str, owner: str) -> bool:
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE executions SET lease_heartbeat = ? WHERE arn = ? AND lease_owner = ?",
                (time.time(), execution_arn, owner),
            )
            return cursor.rowcount == 1

    def release(self, execution_arn: str, owner: str) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE executions SET lease_owner = NULL, lease_heartbeat = NULL "
                "WHERE arn = ? AND lease_owner = ?",
                (execution_arn, owner),
            )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- TaskTokenStore --------------------------------------------------------------------------

    def put_activity(self, activity: Activity) -> Activity:
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO asl_activities (name, arn, created) VALUES (?, ?, ?)",
                (activity.name, activity.arn, activity.created),
            )
            row = conn.execute(_ACTIVITY + " WHERE name = ?", (activity.name,)).fetchone()
        return Activity(*row)

    def get_activity(self, name: str) -> Activity | None:
        with self._read() as conn:
            row = conn.execute(_ACTIVITY + " WHERE name = ?", (name,)).fetchone()
        return None if row is None else Activity(*row)

    def list_activities(self) -> list[Activity]:
        with self._read() as conn:
            rows = conn.execute(_ACTIVITY + " ORDER BY created, name").fetchall()
        return [Activity(*row) for row in rows]

    def delete_activity(self, name: str) -> bool:
        with self._write() as conn:
            return conn.execute("DELETE FROM asl_activities WHERE name = ?", (name,)).rowcount > 0

    def add_task(self, task: PendingTask) -> tuple[PendingTask, bool]:
        with self._write() as conn:
            existing = _task(conn, task.token)
            if existing is not None:
                return existing, False
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM asl_tasks").fetchone()[0]
            values = (*(getattr(task, c) for c in COLUMNS[:-1]), seq)
            conn.execute(_INSERT_TASK, values)
            return PendingTask(*values), True

    def get_task(self, token: str) -> PendingTask | None:
        with self._read() as conn:
            return _task(conn, token)

    def update_task(
        self, token: str, expect: tuple[str, ...], changes: dict[str, Any]
    ) -> PendingTask | None:
        with self._write() as conn:
            return _update_task(conn, token, expect, changes)

    def claim_task(self, activity: str, worker: str | None, now: float) -> PendingTask | None:
        with self._write() as conn:
            rows = conn.execute(
                "SELECT token, deadline FROM asl_tasks WHERE activity = ? AND status = ? "
                "ORDER BY seq",
                (activity, SCHEDULED),
            ).fetchall()
            for token, deadline in rows:
                if deadline is not None and deadline <= now:
                    changes = {"status": TIMED_OUT, "error": "States.Timeout", "closed": now}
                    _update_task(conn, token, (SCHEDULED,), changes)
                    continue
                changes = {"status": STARTED, "worker": worker, "started": now, "beat": now}
                return _update_task(conn, token, (SCHEDULED,), changes)
        return None

    def list_tasks(
        self, execution_arn: str | None = None, *, open_only: bool = False
    ) -> list[PendingTask]:
        query = _SELECT_TASK
        where: list[str] = []
        params: list[Any] = []
        if execution_arn is not None:
            where.append("execution_arn = ?")
            params.append(execution_arn)
        if open_only:
            where.append("status IN (?, ?)")
            params += [SCHEDULED, STARTED]
        if where:
            query += " WHERE " + " AND ".join(where)
        with self._read() as conn:
            rows = conn.execute(query + " ORDER BY seq", params).fetchall()
        return [PendingTask(*row) for row in rows]

    # -- MachineStore ----------------------------------------------------------------------------

    def add_machine(self, record: MachineRecord) -> tuple[MachineRecord, bool]:
        with self._write() as conn:
            row = conn.execute(_MACHINE + " WHERE arn = ?", (record.arn,)).fetchone()
            if row is not None:
                return MachineRecord.from_json(row[0]), False
            conn.execute(_PUT_MACHINE, (record.arn, record.creation_date, record.to_json()))
        return record.copy(), True

    def get_machine(self, arn: str) -> MachineRecord | None:
        with self._read() as conn:
            row = conn.execute(_MACHINE + " WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else MachineRecord.from_json(row[0])

    def list_machines(self) -> list[MachineRecord]:
        with self._read() as conn:
            rows = conn.execute(_MACHINE + " ORDER BY created, arn").fetchall()
        return [MachineRecord.from_json(row[0]) for row in rows]

    def put_machine(self, record: MachineRecord) -> None:
        with self._write() as conn:
            conn.execute(_PUT_MACHINE, (record.arn, record.creation_date, record.to_json()))

    def delete_machine(self, arn: str) -> bool:
        with self._write() as conn:
            cursor = conn.execute("DELETE FROM serve_state_machines WHERE arn = ?", (arn,))
            return cursor.rowcount > 0

    # -- ScheduleStore ---------------------------------------------------------------------------

    def add_schedule(self, record: ScheduleRecord) -> tuple[ScheduleRecord, bool]:
        with self._write() as conn:
            row = conn.execute(_SCHEDULE + " WHERE arn = ?", (record.arn,)).fetchone()
            if row is not None:
                return ScheduleRecord.from_json(row[0]), False
            conn.execute(_PUT_SCHEDULE, (record.arn, record.creation_date, record.to_json()))
        return record.copy(), True

    def get_schedule(self, arn: str) -> ScheduleRecord | None:
        with self._read() as conn:
            row = conn.execute(_SCHEDULE + " WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else ScheduleRecord.from_json(row[0])

    def list_schedules(self) -> list[ScheduleRecord]:
        with self._read() as conn:
            rows = conn.execute(_SCHEDULE + " ORDER BY created, arn").fetchall()
        return [ScheduleRecord.from_json(row[0]) for row in rows]

    def put_schedule(self, record: ScheduleRecord) -> None:
        with self._write() as conn:
            conn.execute(_PUT_SCHEDULE, (record.arn, record.creation_date, record.to_json()))

    def delete_schedule(self, arn: str) -> bool:
        with self._write() as conn:
            conn.execute("DELETE FROM asl_schedule_cursors WHERE arn = ?", (arn,))
            cursor = conn.execute("DELETE FROM asl_schedules WHERE arn = ?", (arn,))
            return cursor.rowcount > 0

    def add_schedule_group(self, record: ScheduleGroupRecord) -> tuple[ScheduleGroupRecord, bool]:
        with self._write() as conn:
            row = conn.execute(_GROUP + " WHERE name = ?", (record.name,)).fetchone()
            if row is not None:
                return ScheduleGroupRecord.from_json(row[0]), False
            conn.execute(_PUT_GROUP, (record.name, record.creation_date, record.to_json()))
        return record.copy(), True

    def get_schedule_group(self, name: str) -> ScheduleGroupRecord | None:
        with self._read() as conn:
            row = conn.execute(_GROUP + " WHERE name = ?", (name,)).fetchone()
        return None if row is None else ScheduleGroupRecord.from_json(row[0])

    def list_schedule_groups(self) -> list[ScheduleGroupRecord]:
        with self._read() as conn:
            rows = conn.execute(_GROUP + " ORDER BY created, name").fetchall()
        return [ScheduleGroupRecord.from_json(row[0]) for row in rows]

    def put_schedule_group(self, record: ScheduleGroupRecord) -> None:
        with self._write() as conn:
            conn.execute(_PUT_GROUP, (record.name, record.creation_date, record.to_json()))

    def delete_schedule_group(self, name: str) -> bool:
        with self._write() as conn:
            cursor = conn.execute("DELETE FROM asl_schedule_groups WHERE name = ?", (name,))
            return cursor.rowcount > 0

    def get_schedule_cursor(self, arn: str) -> str | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT data FROM asl_schedule_cursors WHERE arn = ?", (arn,)
            ).fetchone()
        return None if row is None else str(row[0])

    def put_schedule_cursor(self, arn: str, text: str, *, lease: str, fence: int) -> bool:
        with self._write() as conn:
            held = conn.execute(
                "SELECT 1 FROM asl_leases WHERE name = ? AND fence = ? AND expires > ?",
                (lease, fence, time.time()),
            ).fetchone()
            if held is None:
                return False
            conn.execute(
                "INSERT OR REPLACE INTO asl_schedule_cursors (arn, data) VALUES (?, ?)",
                (arn, text),
            )
            return True

    def acquire_lease(self, name: str, owner: str, ttl: float) -> int | None:
        now = time.time()
        with self._write() as conn:
            row = conn.execute(
                "SELECT owner, fence, expires FROM asl_leases WHERE name = ?", (name,)
            ).fetchone()
            if row is not None and row[2] > now and row[0] != owner:
                return None
            if row is not None and row[2] > now:
                fence = int(row[1])
            else:
                fence = (int(row[1]) if row is not None else 0) + 1
            conn.execute(
                "INSERT OR REPLACE INTO asl_leases (name, owner, fence, expires) "
                "VALUES (?, ?, ?, ?)",
                (name, owner, fence, now + ttl),
            )
            return fence

    def release_lease(self, name: str, owner: str) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE asl_leases SET owner = NULL, expires = 0 WHERE name = ? AND owner = ?",
                (name, owner),
            )

    # -- internals -------------------------------------------------------------------------------

    @staticmethod
    def _swap(
        conn: sqlite3.Connection, arn: str, expected: int, rows: list[tuple[Any, ...]]
    ) -> None:
        """Append ``rows`` iff the history ends at ``expected`` (a compare-and-swap).

        One indexed lookup checks that event ``expected`` is stored (which also proves the
        execution exists); then the first new event must be ``expected + 1``, and an event already
        stored under one of the new ids (another writer got there first) fails the insert on the
        primary key. Ids are dense, so together these say the history ended at ``expected``.
        """
        if rows and rows[0][1] != expected + 1:
            raise ConcurrentWriteError(
                f"history of {arn}: event {rows[0][1]} does not follow {expected}"
            )
        if not rows:  # an outcome alone
            if not _exists(conn, arn):
                raise not_found(arn)
            last = _last_id(conn, arn)
            if last != expected:
                raise _concurrent(arn, last, expected)
            return
        if not expected:
            if not _exists(conn, arn):
                raise not_found(arn)
        elif conn.execute(_HAS_EVENT, (arn, expected)).fetchone() is None:
            if not _exists(conn, arn):
                raise not_found(arn)
            raise _concurrent(arn, _last_id(conn, arn), expected)
        try:
            conn.executemany(_INSERT_EVENT, rows)
        except sqlite3.IntegrityError:
            raise _concurrent(arn, _last_id(conn, arn), expected)


_PRUNED = (
    ("events", "execution_arn"),
    ("asl_tasks", "execution_arn"),
    ("asl_children", "arn"),
    ("executions", "arn"),
)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _script(conn: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _insert(conn: sqlite3.Connection, record: ExecutionRecord) -> ExecutionRecord:
    """Store a new RUNNING execution (linked to its parent if it is a child); return it."""
    stored = record.copy()
    stored.status, stored.last_event_id = RUNNING, 0
    conn.execute(
        f"INSERT INTO executions ({_RECORD_COLUMNS}) VALUES ({', '.join('?' * 20)})",
        _row(stored),
    )
    if stored.parent_arn is not None:
        conn.execute(
            "INSERT INTO asl_children (arn, parent_arn, map_run_arn) VALUES (?, ?, ?)",
            (stored.execution_arn, stored.parent_arn, stored.map_run_arn or ""),
        )
    return stored


def _finish(conn: sqlite3.Connection, arn: str, outcome: Outcome) -> None:
    conn.execute(
        "UPDATE executions SET status = ?, stop_date = ?, output = ?, error = ?, cause = ? "
        "WHERE arn = ?",
        (
            outcome.status,
            outcome.stop_date.isoformat(),
            outcome.output,
            outcome.error,
            outcome.cause,
            arn,
        ),
    )


def _exists(conn: sqlite3.Connection, arn: str) -> bool:
    return conn.execute("SELECT 1 FROM executions WHERE arn = ?", (arn,)).fetchone() is not None


def _last_id(conn: sqlite3.Connection, arn: str) -> int:
    return conn.execute(
        "SELECT coalesce(max(id), 0) FROM events WHERE execution_arn = ?", (arn,)
    ).fetchone()[0]


def _concurrent(arn: str, last: int | None, expected: int) -> ConcurrentWriteError:
    where = f"ends at event {last}" if last is not None else "does not reach that event"
    return ConcurrentWriteError(
        f"history of {arn} {where}, expected {expected}: another process is writing it"
    )


_INSERT_EVENT = (
    "INSERT INTO events (execution_arn, id, previous_event_id, timestamp, type, details, frame) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_HAS_EVENT = "SELECT 1 FROM events WHERE execution_arn = ? AND id = ?"

_TASK_COLUMNS = ", ".join(COLUMNS)
_SELECT_TASK = f"SELECT {_TASK_COLUMNS} FROM asl_tasks"
_INSERT_TASK = f"INSERT INTO asl_tasks ({_TASK_COLUMNS}) VALUES ({', '.join('?' * len(COLUMNS))})"
_ACTIVITY = "SELECT name, arn, created FROM asl_activities"
_MACHINE = "SELECT data FROM serve_state_machines"
_PUT_MACHINE = "INSERT OR REPLACE INTO serve_state_machines (arn, created, data) VALUES (?, ?, ?)"
_SCHEDULE = "SELECT data FROM asl_schedules"
_PUT_SCHEDULE = "INSERT OR REPLACE INTO asl_schedules (arn, created, data) VALUES (?, ?, ?)"
_GROUP = "SELECT data FROM asl_schedule_groups"
_PUT_GROUP = "INSERT OR REPLACE INTO asl_schedule_groups (name, created, data) VALUES (?, ?, ?)"


def _task(conn: sqlite3.Connection, token: str) -> PendingTask | None:
    row = conn.execute(_SELECT_TASK + " WHERE token = ?", (token,)).fetchone()
    return None if row is None else PendingTask(*row)


def _update_task(
    conn: sqlite3.Connection, token: str, expect: tuple[str, ...], changes: dict[str, Any]
) -> PendingTask | None:
    """Apply ``changes`` to the task iff its status is one of ``expect`` (a compare-and-swap)."""
    names = [c for c in changes if c in CHANGEABLE]
    sets = ", ".join(f"{c} = ?" for c in names) or "status = status"
    marks = ", ".join("?" * len(expect))
    cursor = conn.execute(
        f"UPDATE asl_tasks SET {sets} WHERE token = ? AND status IN ({marks})",
        (*(changes[c] for c in names), token, *expect),
    )
    return _task(conn, token) if cursor.rowcount == 1 else None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _date(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _row(r: ExecutionRecord) -> tuple[Any, ...]:
    return (
        r.execution_arn,
        r.name,
        r.machine_name,
        r.type,
        r.definition,
        r.filename,
        r.input,
        r.seed,
        json.dumps(r.options),
        r.status,
        r.start_date.isoformat(),
        _iso(r.stop_date),
        r.output,
        r.error,
        r.cause,
        r.redrive_count,
        _iso(r.redrive_date),
        r.last_event_id,
        r.lease_owner,
        r.lease_heartbeat,
    )


def _record(row: Sequence[Any]) -> ExecutionRecord:
    (
        arn,
        name,
        machine_name,
        type_,
        definition,
        filename,
        input_,
        seed,
        options,
        status,
        start,
        stop,
        output,
        error,
        cause,
        redrives,
        redrive_date,
        last_id,
        owner,
        heartbeat,
        parent,
        map_run,
    ) = row
    return ExecutionRecord(
        execution_arn=arn,
        name=name,
        machine_name=machine_name,
        type=type_,
        definition=definition,
        input=input_,
        seed=seed,
        start_date=datetime.fromisoformat(start),
        filename=filename,
        options=json.loads(options),
        status=status,
        stop_date=_date(stop),
        output=output,
        error=error,
        cause=cause,
        redrive_count=redrives,
        redrive_date=_date(redrive_date),
        last_event_id=last_id,
        lease_owner=owner,
        lease_heartbeat=heartbeat,
        parent_arn=parent,
        map_run_arn=map_run or None,
    )


def _event_rows(arn: str, events: Sequence[Event]) -> list[tuple[Any, ...]]:
    """The events as table rows."""
    return [
        (
            arn,
            e.id,
            e.previous_event_id,
            e.isoformat(),
            e.type,
            e.details_json(),
            e.frame,
        )
        for e in events
    ]
