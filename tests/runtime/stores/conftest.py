"""Every store backend behind one fixture, so the contract suite runs against each.

The Redis backend needs a real server: ``$REDIS_URL``, else one answering on 127.0.0.1:6379,
else a ``redis-server`` started here on a free port. Each test gets its own key prefix, deleted
afterwards. Without any of these the Redis tests skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runtime.store import HistoryStore, JsonlStore, MemoryStore, RedisStore, SqliteStore

BACKENDS = ("memory", "sqlite", "jsonl", "redis")
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


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


def _answers(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def _unavailable(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis server's URL (see the module docstring)."""
    if importlib.util.find_spec("redis") is None:
        _unavailable("the redis package is not installed: pip install redis")
    given = os.environ.get("REDIS_URL")
    if given:
        if not _answers(given):
            pytest.fail(f"REDIS_URL={given} does not answer")
        yield given
        return
    if _answers(LOCAL_REDIS):
        yield LOCAL_REDIS
        return
    server = shutil.which("redis-server")
    if server is None:
        _unavailable("no Redis: set REDIS_URL, run one on 127.0.0.1:6379 or install redis-server")
    port = _free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while not _answers(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server on port {port} did not start")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def with_prefix(url: str, prefix: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}prefix={prefix}"


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; every key under it is deleted afterwards."""
    import redis

    prefix = f"asl-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def redis_stores(redis_url: str, redis_prefix: str) -> Callable[[], RedisStore]:
    """Opens RedisStores on this test's prefix: several, like hosts sharing one store."""
    return lambda: RedisStore(with_prefix(redis_url, redis_prefix), timeout=2.0)
