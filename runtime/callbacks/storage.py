"""The task store that goes with a history store: same file, same Redis, or in memory."""

from __future__ import annotations

import threading
import weakref
from typing import Any

from runtime.callbacks._memory import MemoryTaskStore
from runtime.callbacks.records import TaskStore

_CACHE: weakref.WeakKeyDictionary[Any, TaskStore] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def task_store_for(store: Any) -> TaskStore:
    """The :class:`TaskStore` kept beside ``store`` (one per history store object).

    A ``SqliteStore`` gets tables in its file, a ``RedisStore`` keys under its prefix; any other
    store (memory, JSON Lines) an in-memory task store living as long as it does.
    """
    with _LOCK:
        found = _CACHE.get(store)
        if found is None:
            found = _CACHE[store] = _make(store)
        return found


def _make(store: Any) -> TaskStore:
    from runtime.stores.redis import RedisStore
    from runtime.stores.sqlite import SqliteStore

    if isinstance(store, SqliteStore):
        from runtime.callbacks._sqlite import SqliteTaskStore

        return SqliteTaskStore(store.path)
    if isinstance(store, RedisStore):
        from runtime.callbacks._redis import RedisTaskStore

        return RedisTaskStore(store)
    return MemoryTaskStore()
