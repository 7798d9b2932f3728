"""Data written by the previous version (three store families, each with its own SQLite
connection or Redis client) opens in the one store per backend: executions, events, pending
tasks, activities and state machines are all there.

The SQL statements and key layouts below are the previous version's, copied verbatim, so these
files are what it left on disk.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from runtime.stores import RedisStore, SqliteStore
from runtime.stores.contracts import ACTIVITY, SCHEDULED, Activity, MachineRecord, PendingTask
from tests.support.redis_server import with_prefix

ARN = "arn:aws:states:us-east-1:111111111111:execution:m:old-run"
MACHINE_ARN = "arn:aws:states:us-east-1:111111111111:stateMachine:m"
ACTIVITY_ARN = "arn:aws:states:us-east-1:111111111111:activity:resize"

# runtime/stores/sqlite.py (schema version 1)
HISTORY_SCHEMA = """
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

# runtime/callbacks/_sqlite.py (created on a hub's first use)
TASKS_SCHEMA = """
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

# runtime/serve/machines.py (created when asl serve opened the store)
MACHINES_SCHEMA = """
CREATE TABLE IF NOT EXISTS serve_state_machines (
    arn TEXT PRIMARY KEY,
    created REAL NOT NULL,
    data TEXT NOT NULL
)
"""

MACHINE = MachineRecord(
    arn=MACHINE_ARN,
    name="m",
    definition='{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}',
    type="STANDARD",
    role_arn="arn:aws:iam::111111111111:role/r",
    creation_date=1714564800.5,
    revision_id="r1",
    tags={"team": "a"},
)
MACHINE_JSON = json.dumps(
    {
        "arn": MACHINE_ARN,
        "name": "m",
        "definition": MACHINE.definition,
        "type": "STANDARD",
        "role_arn": MACHINE.role_arn,
        "creation_date": 1714564800.5,
        "revision_id": "r1",
        "update_date": None,
        "description": "",
        "logging": {},
        "tracing": {},
        "tags": {"team": "a"},
    },
    separators=(",", ":"),
)
TASK = PendingTask(
    token="tok-1",
    execution_arn=ARN,
    kind=ACTIVITY,
    resource=ACTIVITY_ARN,
    state_name="Resize",
    status=SCHEDULED,
    created=1714564801.25,
    activity="resize",
    input='{"n": 1}',
    deadline=1714568401.25,
    seq=1,
)


def old_file(path: Path, *, tokens: bool) -> None:
    """What the previous version left: an execution with two events; with ``tokens``, a queued
    activity task, its activity and a state machine too."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN IMMEDIATE")
    for statement in HISTORY_SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("PRAGMA user_version=1")
    conn.execute("COMMIT")
    conn.execute(
        "INSERT INTO executions (arn, name, machine_name, type, definition, filename, input, "
        "seed, options, status, start_date, stop_date, output, error, cause, redrive_count, "
        "redrive_date, last_event_id, lease_owner, lease_heartbeat) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (ARN, "old-run", "m", "STANDARD", MACHINE.definition, "m.json", '{"a": 1}', 7,
         "{}", "RUNNING", "2024-05-01T12:00:00+00:00", None, None, None, None, 0, None, 0,
         None, None),
    )  # fmt: skip
    for id_, type_ in ((1, "ExecutionStarted"), (2, "ActivityScheduled")):
        conn.execute(
            "INSERT INTO events (execution_arn, id, previous_event_id, timestamp, type, "
            "details, frame) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (ARN, id_, id_ - 1, f"2024-05-01T12:00:0{id_}+00:00", type_, None, ""),
        )
    if tokens:
        for statement in TASKS_SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(MACHINES_SCHEMA)
        columns = [
            "token", "execution_arn", "kind", "resource", "state_name", "status", "created",
            "activity", "input", "worker", "started", "beat", "deadline", "heartbeat_seconds",
            "submitted", "output", "error", "cause", "closed", "seq",
        ]  # fmt: skip
        conn.execute(
            f"INSERT INTO asl_tasks ({', '.join(columns)}) VALUES ({', '.join('?' * 20)})",
            tuple(getattr(TASK, c) for c in columns),
        )
        conn.execute(
            "INSERT OR IGNORE INTO asl_activities (name, arn, created) VALUES (?, ?, ?)",
            ("resize", ACTIVITY_ARN, 1714564700.0),
        )
        conn.execute(
            "INSERT OR IGNORE INTO serve_state_machines (arn, created, data) VALUES (?, ?, ?)",
            (MACHINE_ARN, MACHINE.creation_date, MACHINE_JSON),
        )
    conn.close()


def test_a_previous_sqlite_file_opens_with_everything_in_it(tmp_path: Path) -> None:
    path = tmp_path / "executions.sqlite3"
    old_file(path, tokens=True)
    store = SqliteStore(path)
    try:
        assert store.get(ARN).name == "old-run"
        assert [e.type for e in store.events(ARN)] == ["ExecutionStarted", "ActivityScheduled"]
        assert store.get_task("tok-1") == TASK
        assert store.list_activities() == [Activity("resize", ACTIVITY_ARN, 1714564700.0)]
        assert store.list_machines() == [MACHINE]
        claimed = store.claim_task("resize", "w", 1714564802.0)
        assert claimed is not None and claimed.token == "tok-1"
        added, created = store.add_task(PendingTask(**{**TASK.to_dict(), "token": "tok-2"}))
        assert created and added.seq == 2
    finally:
        store.close()


@pytest.mark.parametrize("tokens", [True, False])
def test_a_previous_file_gets_the_listing_indexes(tmp_path: Path, tokens: bool) -> None:
    """Listings by machine or status use an index, in files from before it existed too."""
    path = tmp_path / "executions.sqlite3"
    old_file(path, tokens=tokens)
    SqliteStore(path).close()
    conn = sqlite3.connect(path)
    try:
        plan = " ".join(
            str(row)
            for row in conn.execute(
                "EXPLAIN QUERY PLAN SELECT arn FROM executions WHERE machine_name = ? "
                "ORDER BY start_date DESC LIMIT 10",
                ("m",),
            )
        )
    finally:
        conn.close()
    assert "executions_by_machine" in plan


def test_a_previous_history_only_file_gets_the_other_tables(tmp_path: Path) -> None:
    """A store that never held a callback nor a state machine: the tables are added on open."""
    path = tmp_path / "executions.sqlite3"
    old_file(path, tokens=False)
    store = SqliteStore(path)
    try:
        assert store.get(ARN).name == "old-run"
        assert store.list_tasks() == [] and store.list_machines() == []
        assert store.add_task(TASK)[1] and store.add_machine(MACHINE)[1]
    finally:
        store.close()
    again = SqliteStore(path)
    try:
        assert again.get_task("tok-1").token == "tok-1"
        assert again.get_machine(MACHINE_ARN) == MACHINE
        assert [e.id for e in again.events(ARN)] == [1, 2]
    finally:
        again.close()


def test_previous_redis_keys_are_read(redis_url: str, redis_prefix: str) -> None:
    """Pending tasks, activities and state machines under the keys the previous version's
    RedisTaskStore and RedisMachines wrote."""
    import redis

    raw = redis.Redis.from_url(redis_url, decode_responses=True)
    p = redis_prefix
    try:
        fields = {
            k: (repr(v) if isinstance(v, float) else str(v))
            for k, v in TASK.to_dict().items()
            if v is not None
        }
        raw.hset(f"{p}cb:t:tok-1", mapping=fields)
        raw.zadd(f"{p}cb:e:{ARN}", {"tok-1": 1})
        raw.zadd(f"{p}cb:q:resize", {"tok-1": 1})
        raw.set(f"{p}cb:seq", 1)
        raw.hset(f"{p}cb:a:resize", mapping={"arn": ACTIVITY_ARN, "created": "1714564700.0"})
        raw.zadd(f"{p}cb:acts", {"resize": 1714564700.0})
        raw.set(f"{p}sm:{MACHINE_ARN}", MACHINE_JSON)
        raw.zadd(f"{p}sm", {MACHINE_ARN: MACHINE.creation_date})
    finally:
        raw.close()
    store = RedisStore(with_prefix(redis_url, redis_prefix))
    try:
        assert store.get_task("tok-1") == TASK
        assert [t.token for t in store.list_tasks(ARN)] == ["tok-1"]
        assert store.list_activities() == [Activity("resize", ACTIVITY_ARN, 1714564700.0)]
        assert store.get_machine(MACHINE_ARN) == MACHINE
        assert store.list_machines() == [MACHINE]
        assert store.claim_task("resize", "w", 1714564802.0).token == "tok-1"
        assert store.add_task(PendingTask(**{**TASK.to_dict(), "token": "tok-2"}))[0].seq == 2
    finally:
        store.close()
