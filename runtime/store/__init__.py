"""History stores: where executions and their events live.

``SqliteStore`` (durable, the default for Standard executions), ``MemoryStore`` (Express
executions, tests) and ``JsonlStore`` (in memory plus a JSON Lines log of every event).
"""

from __future__ import annotations

import os
from pathlib import Path

from runtime.store.base import (
    ConcurrentWriteError,
    ExecutionAlreadyExists,
    ExecutionNotFound,
    ExecutionRecord,
    HistoryStore,
    LeaseHeld,
    Outcome,
    StoreCorrupt,
    StoreError,
    StoreLocked,
)
from runtime.store.jsonl import JsonlStore
from runtime.store.memory import MemoryStore
from runtime.store.sqlite import DEFAULT_TIMEOUT, SqliteStore

__all__ = [
    "ConcurrentWriteError",
    "ExecutionAlreadyExists",
    "ExecutionNotFound",
    "ExecutionRecord",
    "HistoryStore",
    "JsonlStore",
    "LeaseHeld",
    "MemoryStore",
    "Outcome",
    "SqliteStore",
    "StoreCorrupt",
    "StoreError",
    "StoreLocked",
    "default_store_path",
    "open_store",
]

STORE_FILE = "executions.sqlite3"


def default_store_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The SQLite file to use: ``path``, else ``$ASL_STORE``, else ``./.asl/executions.sqlite3``.

    A directory (existing, or written with a trailing slash) means the file inside it.
    """
    text = os.fspath(path) if path else os.environ.get("ASL_STORE") or ""
    if not text:
        return Path.cwd() / ".asl" / STORE_FILE
    chosen = Path(text).expanduser()
    if chosen.is_dir() or text.endswith(("/", os.sep)):
        return chosen / STORE_FILE
    return chosen


def open_store(path: str | os.PathLike[str] | None = None, *, create: bool = True) -> HistoryStore:
    """The SQLite store at :func:`default_store_path`.

    With ``create=False`` a missing file is not created: an empty :class:`MemoryStore` stands in,
    so read-only commands leave no trace. The busy timeout is ``$ASL_STORE_TIMEOUT`` seconds.
    """
    file = default_store_path(path)
    if not create and not file.exists():
        return MemoryStore()
    try:
        timeout = float(os.environ.get("ASL_STORE_TIMEOUT") or DEFAULT_TIMEOUT)
    except ValueError:
        raise StoreError("ASL_STORE_TIMEOUT must be a number of seconds")
    return SqliteStore(file, timeout=timeout)
