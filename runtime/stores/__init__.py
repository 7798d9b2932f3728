"""Stores: where executions and their events, pending tasks (task tokens), activities and
state machines live.

One class per backend implements the whole :class:`Store` (the :class:`HistoryStore`,
:class:`TaskTokenStore` and :class:`MachineStore` contracts): ``SqliteStore`` (durable, the
default for Standard executions), ``RedisStore`` (durable and shared by a fleet:
``ASL_STORE=redis://...``), ``MemoryStore`` (Express executions, tests) and ``JsonlStore`` (in
memory plus a JSON Lines log of every event).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from runtime.stores.base import (
    REDIS_SCHEMES,
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
from runtime.stores.contracts import MachineStore, Store, TaskTokenStore
from runtime.stores.memory import MemoryStore
from runtime.stores.sqlite import DEFAULT_TIMEOUT, SqliteStore

__all__ = [
    "ConcurrentWriteError",
    "ExecutionAlreadyExists",
    "ExecutionNotFound",
    "ExecutionRecord",
    "HistoryStore",
    "JsonlStore",
    "LeaseHeld",
    "MachineStore",
    "MemoryStore",
    "Outcome",
    "RedisStore",
    "SqliteStore",
    "Store",
    "StoreCorrupt",
    "StoreError",
    "StoreLocked",
    "TaskTokenStore",
    "default_store_path",
    "open_store",
    "store_location",
]

STORE_FILE = "executions.sqlite3"


def __getattr__(name: str) -> Any:
    """``JsonlStore`` and ``RedisStore``, imported when first asked for (``asl run`` on the
    default SQLite store never loads them)."""
    if name == "JsonlStore":
        from runtime.stores.jsonl import JsonlStore

        return JsonlStore
    if name == "RedisStore":
        from runtime.stores.redis import RedisStore

        return RedisStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _is_redis_url(text: str | None) -> bool:
    return bool(text) and str(text).startswith(REDIS_SCHEMES)


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


def _chosen(path: str | os.PathLike[str] | None) -> str:
    return os.fspath(path) if path else os.environ.get("ASL_STORE") or ""


def store_location(path: str | os.PathLike[str] | None = None) -> str:
    """Where :func:`open_store` keeps executions, for messages (a Redis password is hidden)."""
    text = _chosen(path)
    if _is_redis_url(text):
        from runtime.stores.redis import redacted

        return redacted(text)
    return str(default_store_path(path))


def open_store(path: str | os.PathLike[str] | None = None, *, create: bool = True) -> Store:
    """The store ``path`` (else ``$ASL_STORE``) names: a ``redis://`` or ``rediss://`` URL gives
    a :class:`RedisStore`, anything else the SQLite store at :func:`default_store_path`.

    With ``create=False`` a missing SQLite file is not created: an empty :class:`MemoryStore`
    stands in, so read-only commands leave no trace (and an SQLite store makes no automatic
    prune: see ``ASL_RETENTION``). ``$ASL_STORE_TIMEOUT`` seconds is SQLite's
    busy timeout and Redis's socket timeout.
    """
    try:
        timeout = float(os.environ.get("ASL_STORE_TIMEOUT") or DEFAULT_TIMEOUT)
    except ValueError:
        raise StoreError("ASL_STORE_TIMEOUT must be a number of seconds")
    text = _chosen(path)
    if _is_redis_url(text):
        from runtime.stores.redis import RedisStore

        return RedisStore(text, timeout=timeout)
    file = default_store_path(path)
    if not create and not file.exists():
        return MemoryStore()
    return SqliteStore(file, timeout=timeout, auto_prune=create)
