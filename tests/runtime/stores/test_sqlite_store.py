"""What only the SQLite store promises: durability, WAL, locking, corrupt files, versioning."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from runtime.stores import (
    ConcurrentWriteError,
    JsonlStore,
    MemoryStore,
    SqliteStore,
    StoreCorrupt,
    StoreError,
    StoreLocked,
    default_store_path,
    open_store,
)
from runtime.stores.sqlite import SCHEMA_VERSION

from .test_store_contract import ARN, event, record


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "executions.sqlite3"


def test_durable_across_reopen(path: Path) -> None:
    store = SqliteStore(path)
    store.create(record())
    store.append(ARN, [event(1, "ExecutionStarted", frame="")], expected_last_id=0)
    store.close()
    again = SqliteStore(path)
    assert again.get(ARN).last_event_id == 1
    assert [e.type for e in again.events(ARN)] == ["ExecutionStarted"]
    again.close()


def test_wal_mode_and_schema_version(path: Path) -> None:
    SqliteStore(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_second_writer_fails_cleanly(path: Path) -> None:
    first, second = SqliteStore(path), SqliteStore(path)
    first.create(record())
    first.append(ARN, [event(1)], expected_last_id=0)
    second.append(ARN, [event(2)], expected_last_id=1)
    with pytest.raises(ConcurrentWriteError):
        first.append(ARN, [event(2)], expected_last_id=1)
    assert [e.id for e in first.events(ARN)] == [1, 2]
    first.close()
    second.close()


def test_a_failed_append_writes_nothing(path: Path) -> None:
    store = SqliteStore(path)
    store.create(record())
    store.append(ARN, [event(1)], expected_last_id=0)
    with pytest.raises(StoreError):  # event 2 twice in one batch: the whole batch is refused
        store.append(ARN, [event(2), event(2)], expected_last_id=1)
    assert store.get(ARN).last_event_id == 1
    assert [e.id for e in store.events(ARN)] == [1]
    store.append(ARN, [event(2)], expected_last_id=1)
    store.close()


def test_locked_store_times_out_with_a_clear_error(path: Path) -> None:
    store = SqliteStore(path, timeout=0.1)
    store.create(record())
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreLocked, match="locked by another process"):
            store.append(ARN, [event(1)], expected_last_id=0)
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.append(ARN, [event(1)], expected_last_id=0)
    store.close()


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a database at all" * 40,
        b"SQLite format 3\x00" + b"\xff" * 4000,
    ],
    ids=["garbage", "bad-header"],
)
def test_corrupt_file_is_reported_and_left_untouched(path: Path, content: bytes) -> None:
    path.write_bytes(content)
    with pytest.raises(StoreCorrupt, match="untouched"):
        SqliteStore(path)
    assert path.read_bytes() == content
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_newer_schema_is_refused(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreCorrupt, match="newer"):
        SqliteStore(path)


def test_foreign_database_is_refused(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE mine (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreCorrupt, match="not an asl store"):
        SqliteStore(path)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="directory"):
        SqliteStore(tmp_path)


@pytest.mark.parametrize(
    ("arg", "env", "expected"),
    [
        (None, None, ".asl/executions.sqlite3"),
        (None, "from-env.db", "from-env.db"),
        ("given.db", "from-env.db", "given.db"),
        ("somedir/", None, "somedir/executions.sqlite3"),
        ("existing", None, "existing/executions.sqlite3"),
    ],
)
def test_default_store_path(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    arg: str | None,
    env: str | None,
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "existing").mkdir()
    if env is None:
        monkeypatch.delenv("ASL_STORE", raising=False)
    else:
        monkeypatch.setenv("ASL_STORE", env)
    assert default_store_path(arg).resolve() == (tmp_path / expected).resolve()


def test_open_store_for_reading_creates_nothing(tmp_path: Path) -> None:
    store = open_store(tmp_path / "missing" / "x.db", create=False)
    assert isinstance(store, MemoryStore) and store.list() == []
    assert not (tmp_path / "missing").exists()


def test_jsonl_log_has_every_event(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "express.jsonl"
    store = JsonlStore(log)
    store.create(record())
    store.append(ARN, [event(1, "ExecutionStarted"), event(2)], expected_last_id=0)
    store.close()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(x["executionArn"], x["id"], x["type"]) for x in lines] == [
        (ARN, 1, "ExecutionStarted"),
        (ARN, 2, "PassStateEntered"),
    ]


def test_a_store_created_by_another_process_while_opening_is_opened(tmp_path, monkeypatch) -> None:
    """Another process creating the schema between this one's reads is no foreign
    database: the header and the table list are read in one snapshot."""
    import sqlite3

    from runtime.stores import sqlite as sqlite_module

    path = tmp_path / "race.sqlite3"
    connect = sqlite3.connect

    def racing_connect(*args, **kwargs):
        conn = connect(*args, **kwargs)

        def trace(statement: str) -> None:
            if "sqlite_master" in statement and not path.with_suffix(".done").exists():
                path.with_suffix(".done").touch()
                SqliteStore(path).close()  # the other process wins the race here

        conn.set_trace_callback(trace)
        return conn

    monkeypatch.setattr(sqlite_module.sqlite3, "connect", racing_connect)
    store = SqliteStore(path)
    store.close()
