"""Every store backend behind one fixture, so the contract suite runs against each.

The Redis backend needs a real server: ``$REDIS_URL``, else one answering on 127.0.0.1:6379,
else a ``redis-server`` started here on a free port. Each test gets its own key prefix, deleted
afterwards. Without any of these the Redis tests skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runtime.stores import HistoryStore, JsonlStore, MemoryStore, RedisStore, SqliteStore
from tests.support.redis_server import with_prefix

BACKENDS = ("memory", "sqlite", "jsonl", "redis")


def make_store(kind: str, tmp_path: Path) -> HistoryStore:
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SqliteStore(tmp_path / "store" / "executions.sqlite3", timeout=0.2)
    return JsonlStore(tmp_path / "log.jsonl")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HistoryStore]:
    if request.param == "redis":
        backend: HistoryStore = request.getfixturevalue("redis_stores")()
    else:
        backend = make_store(request.param, tmp_path)
    yield backend
    backend.close()


# -- Redis ---------------------------------------------------------------------------------------


@pytest.fixture
def redis_stores(redis_url: str, redis_prefix: str) -> Callable[[], RedisStore]:
    """Opens RedisStores on this test's prefix: several, like hosts sharing one store."""
    return lambda: RedisStore(with_prefix(redis_url, redis_prefix), timeout=2.0)
