"""Fixtures for the callback tests: stores of every kind, hubs over them, and helpers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.callbacks import CallbackHub, PendingTask
from runtime.stores import MemoryStore, RedisStore, SqliteStore
from tests.support.redis_server import with_prefix

BACKENDS = ("memory", "sqlite", "redis")


@pytest.fixture
def redis_store(redis_url: str, redis_prefix: str) -> Iterator[RedisStore]:
    store = RedisStore(with_prefix(redis_url, redis_prefix))
    yield store
    store.close()


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
