"""State machine records for ``asl serve``, kept next to the executions in the same store.

A :class:`MachineStore` keeps one :class:`MachineRecord` per state machine ARN. Backends: in
memory, a table of its own in the SQLite store's file, or keys under the Redis store's prefix
(``sm:{arn}`` hashes' JSON plus an ``sm`` sorted set by creation time).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from runtime.stores.base import StoreError


@dataclass(slots=True)
class MachineRecord:
    """One state machine as CreateStateMachine made it (dates: epoch seconds)."""

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

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> MachineRecord:
        data = json.loads(text)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def copy(self) -> MachineRecord:
        return replace(
            self, logging=dict(self.logging), tracing=dict(self.tracing), tags=dict(self.tags)
        )


class MachineStore(Protocol):
    """Where state machine records live. Every method is atomic."""

    def add(self, record: MachineRecord) -> tuple[MachineRecord, bool]:
        """Store a new record: ``(record, True)``; ``(existing, False)`` if the ARN is taken."""
        ...

    def get(self, arn: str) -> MachineRecord | None: ...

    def list(self) -> list[MachineRecord]:
        """Every record, oldest first."""
        ...

    def put(self, record: MachineRecord) -> None:
        """Replace the stored record with the same ARN."""
        ...

    def delete(self, arn: str) -> bool: ...

    def close(self) -> None: ...


class MemoryMachines:
    """Records in a dictionary; gone with the process."""

    def __init__(self) -> None:
        self._records: dict[str, MachineRecord] = {}
        self._lock = threading.Lock()

    def add(self, record: MachineRecord) -> tuple[MachineRecord, bool]:
        with self._lock:
            existing = self._records.get(record.arn)
            if existing is not None:
                return existing.copy(), False
            self._records[record.arn] = record.copy()
            return record.copy(), True

    def get(self, arn: str) -> MachineRecord | None:
        with self._lock:
            record = self._records.get(arn)
            return None if record is None else record.copy()

    def list(self) -> list[MachineRecord]:
        with self._lock:
            records = [r.copy() for r in self._records.values()]
        return sorted(records, key=lambda r: r.creation_date)

    def put(self, record: MachineRecord) -> None:
        with self._lock:
            self._records[record.arn] = record.copy()

    def delete(self, arn: str) -> bool:
        with self._lock:
            return self._records.pop(arn, None) is not None

    def close(self) -> None:
        pass


_TABLE = """
CREATE TABLE IF NOT EXISTS serve_state_machines (
    arn TEXT PRIMARY KEY,
    created REAL NOT NULL,
    data TEXT NOT NULL
)
"""


class SqliteMachines:
    """Records in a ``serve_state_machines`` table of the SQLite store's file."""

    def __init__(self, path: str | Path, *, timeout: float = 5.0) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self._conn = sqlite3.connect(
                str(self.path), timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self._conn.execute(_TABLE)
        except sqlite3.Error as exc:
            raise StoreError(f"store {self.path}: cannot keep state machines there ({exc})")

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"store {self.path}: {exc}")

    def add(self, record: MachineRecord) -> tuple[MachineRecord, bool]:
        with self._lock:
            try:
                cursor = self._conn.execute(
                    "INSERT OR IGNORE INTO serve_state_machines (arn, created, data) "
                    "VALUES (?, ?, ?)",
                    (record.arn, record.creation_date, record.to_json()),
                )
                if cursor.rowcount == 1:
                    return record.copy(), True
                row = self._conn.execute(
                    "SELECT data FROM serve_state_machines WHERE arn = ?", (record.arn,)
                ).fetchone()
            except sqlite3.Error as exc:
                raise StoreError(f"store {self.path}: {exc}")
        return MachineRecord.from_json(row[0]), False

    def get(self, arn: str) -> MachineRecord | None:
        rows = self._run("SELECT data FROM serve_state_machines WHERE arn = ?", (arn,))
        return MachineRecord.from_json(rows[0][0]) if rows else None

    def list(self) -> list[MachineRecord]:
        rows = self._run("SELECT data FROM serve_state_machines ORDER BY created, arn")
        return [MachineRecord.from_json(r[0]) for r in rows]

    def put(self, record: MachineRecord) -> None:
        self._run(
            "INSERT OR REPLACE INTO serve_state_machines (arn, created, data) VALUES (?, ?, ?)",
            (record.arn, record.creation_date, record.to_json()),
        )

    def delete(self, arn: str) -> bool:
        with self._lock:
            try:
                cursor = self._conn.execute(
                    "DELETE FROM serve_state_machines WHERE arn = ?", (arn,)
                )
            except sqlite3.Error as exc:
                raise StoreError(f"store {self.path}: {exc}")
            return cursor.rowcount == 1

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class RedisMachines:
    """Records under the Redis store's key prefix: ``sm:{arn}`` (JSON) and the ``sm`` zset."""

    def __init__(self, url: str, *, timeout: float = 5.0, prefix: str | None = None) -> None:
        import redis

        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        self.prefix = prefix or dict(query).get("prefix") or "asl:"
        client_url = urlunsplit(
            parts._replace(query=urlencode([q for q in query if q[0] != "prefix"]))
        )
        self._errors = redis.exceptions
        self._r = redis.Redis.from_url(
            client_url,
            decode_responses=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )

    def _key(self, arn: str) -> str:
        return f"{self.prefix}sm:{arn}"

    def _call(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except self._errors.RedisError as exc:
            raise StoreError(f"Redis store: {exc}")

    def add(self, record: MachineRecord) -> tuple[MachineRecord, bool]:
        if self._call(self._r.set, self._key(record.arn), record.to_json(), None, None, True):
            self._call(self._r.zadd, self.prefix + "sm", {record.arn: record.creation_date})
            return record.copy(), True
        existing = self.get(record.arn)
        if existing is None:  # deleted in between: try once more
            return self.add(record)
        return existing, False

    def get(self, arn: str) -> MachineRecord | None:
        text = self._call(self._r.get, self._key(arn))
        return None if text is None else MachineRecord.from_json(text)

    def list(self) -> list[MachineRecord]:
        arns = self._call(self._r.zrange, self.prefix + "sm", 0, -1)
        if not arns:
            return []
        texts = self._call(self._r.mget, [self._key(a) for a in arns])
        return [MachineRecord.from_json(t) for t in texts if t is not None]

    def put(self, record: MachineRecord) -> None:
        self._call(self._r.set, self._key(record.arn), record.to_json())
        self._call(self._r.zadd, self.prefix + "sm", {record.arn: record.creation_date})

    def delete(self, arn: str) -> bool:
        removed = self._call(self._r.delete, self._key(arn))
        self._call(self._r.zrem, self.prefix + "sm", arn)
        return bool(removed)

    def close(self) -> None:
        self._r.close()


def open_machines(store: Any, location: str | None = None) -> MachineStore:
    """The machine store that goes with the history ``store``: the same SQLite file, or the
    same Redis (``location`` is the store's URL) under the same prefix; else in memory."""
    from runtime.stores import RedisStore, SqliteStore

    if isinstance(store, SqliteStore):
        return SqliteMachines(store.path)
    if isinstance(store, RedisStore):
        if not location:
            raise StoreError("the Redis store's URL is needed to keep state machines there")
        return RedisMachines(location, prefix=store.prefix)
    return MemoryMachines()
