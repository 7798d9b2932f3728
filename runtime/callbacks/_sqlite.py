"""Pending tasks and activities in the SQLite store's file, in tables of their own.

The tables (``asl_tasks``, ``asl_activities``) are created on first use next to the history
store's; this module keeps its own connection, so the history store is not touched. Writes are
``BEGIN IMMEDIATE`` transactions, so a claim or an answer is atomic across processes.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from runtime.callbacks.records import (
    COLUMNS,
    SCHEDULED,
    STARTED,
    TIMED_OUT,
    Activity,
    PendingTask,
)
from runtime.stores.base import StoreError
from runtime.stores.sqlite import SqliteTransactions

_SCHEMA = """
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
"""

_COLS = ", ".join(COLUMNS)


class SqliteTaskStore(SqliteTransactions):
    """A :class:`~runtime.callbacks.records.TaskStore` in the SQLite store file ``path``."""

    def __init__(self, path: str | Path, *, timeout: float = 5.0) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(
                str(self.path), timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open store {self.path}: {exc}")
        with self._write() as conn:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- activities ------------------------------------------------------------------------------

    def put_activity(self, activity: Activity) -> Activity:
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO asl_activities (name, arn, created) VALUES (?, ?, ?)",
                (activity.name, activity.arn, activity.created),
            )
            row = conn.execute(
                "SELECT name, arn, created FROM asl_activities WHERE name = ?", (activity.name,)
            ).fetchone()
        return Activity(*row)

    def get_activity(self, name: str) -> Activity | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT name, arn, created FROM asl_activities WHERE name = ?", (name,)
            ).fetchone()
        return None if row is None else Activity(*row)

    def list_activities(self) -> list[Activity]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT name, arn, created FROM asl_activities ORDER BY created, name"
            ).fetchall()
        return [Activity(*row) for row in rows]

    def delete_activity(self, name: str) -> bool:
        with self._write() as conn:
            return conn.execute("DELETE FROM asl_activities WHERE name = ?", (name,)).rowcount > 0

    # -- tasks -----------------------------------------------------------------------------------

    def add(self, task: PendingTask) -> tuple[PendingTask, bool]:
        with self._write() as conn:
            existing = self._get(conn, task.token)
            if existing is not None:
                return existing, False
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM asl_tasks").fetchone()[0]
            task.seq = seq
            conn.execute(
                f"INSERT INTO asl_tasks ({_COLS}) VALUES ({', '.join('?' * len(COLUMNS))})",
                tuple(getattr(task, c) for c in COLUMNS),
            )
            return self._get(conn, task.token), True  # type: ignore[return-value]

    def get(self, token: str) -> PendingTask | None:
        with self._read() as conn:
            return self._get(conn, token)

    def update(
        self, token: str, expect: tuple[str, ...], changes: dict[str, Any]
    ) -> PendingTask | None:
        with self._write() as conn:
            return self._update(conn, token, expect, changes)

    def claim(self, activity: str, worker: str | None, now: float) -> PendingTask | None:
        with self._write() as conn:
            rows = conn.execute(
                "SELECT token, deadline FROM asl_tasks WHERE activity = ? AND status = ? "
                "ORDER BY seq",
                (activity, SCHEDULED),
            ).fetchall()
            for token, deadline in rows:
                if deadline is not None and deadline <= now:
                    changes = {"status": TIMED_OUT, "error": "States.Timeout", "closed": now}
                    self._update(conn, token, (SCHEDULED,), changes)
                    continue
                changes = {"status": STARTED, "worker": worker, "started": now, "beat": now}
                return self._update(conn, token, (SCHEDULED,), changes)
        return None

    def list(
        self, execution_arn: str | None = None, *, open_only: bool = False
    ) -> list[PendingTask]:
        query = f"SELECT {_COLS} FROM asl_tasks"
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

    # -- internals -------------------------------------------------------------------------------

    @staticmethod
    def _get(conn: sqlite3.Connection, token: str) -> PendingTask | None:
        row = conn.execute(f"SELECT {_COLS} FROM asl_tasks WHERE token = ?", (token,)).fetchone()
        return None if row is None else PendingTask(*row)

    def _update(
        self,
        conn: sqlite3.Connection,
        token: str,
        expect: tuple[str, ...],
        changes: dict[str, Any],
    ) -> PendingTask | None:
        names = [c for c in changes if c in COLUMNS and c not in ("token", "seq")]
        sets = ", ".join(f"{c} = ?" for c in names)
        marks = ", ".join("?" * len(expect))
        cursor = conn.execute(
            f"UPDATE asl_tasks SET {sets} WHERE token = ? AND status IN ({marks})",
            (*(changes[c] for c in names), token, *expect),
        )
        return self._get(conn, token) if cursor.rowcount == 1 else None
