"""Fixtures for the callback tests: stores of every kind, hubs over them, and helpers."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.callbacks import CallbackHub, PendingTask
from runtime.store import MemoryStore, RedisStore, SqliteStore
from tests.support.redis_server import redis_server_url

BACKENDS = ("memory", "sqlite", "redis")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    yield from redis_server_url()


@pytest.fixture
def redis_store(redis_url: str) -> Iterator[RedisStore]:
    import redis

    prefix = f"asl-test-{uuid.uuid4().hex[:12]}:"
    store = RedisStore(f"{redis_url}{'&' if '?' in redis_url else '?'}prefix={prefix}")
    yield store
    store.close()
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A history store of each kind."""
    if request.param == "redis":
        yield request.getfixturevalue("redis_store")
        return
    backend = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "s.db")
    yield backend
    backend.close()


@pytest.fixture
def hub(store: Any) -> CallbackHub:
    return CallbackHub(store, poll_interval=0.05)


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "executions.sqlite3"


def wait_until(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def pending(hub: CallbackHub, state: str | None = None, timeout: float = 10.0) -> PendingTask:
    """The first open task (of ``state``) once there is one."""

    def find() -> PendingTask | None:
        for task in hub.list_tasks():
            if state is None or task.state_name == state:
                return task
        return None

    return wait_until(find, timeout, f"a pending task of {state or 'any state'}")
