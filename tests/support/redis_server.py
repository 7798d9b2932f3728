"""A real Redis for the tests: ``$REDIS_URL``, else 127.0.0.1:6379, else one started here.

Never fakeredis. Without any Redis the tests skip with a message, except under ``CI=true``,
where they fail.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def unavailable(message: str) -> None:
    """Skip the test, or fail it under CI=true."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def answers(url: str) -> bool:
    """Whether a Redis server answers PING at ``url``."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        with contextlib.closing(client):
            return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_server_url() -> Iterator[str]:
    """Yield the URL of a Redis server, starting (and finally stopping) one if needed."""
    if importlib.util.find_spec("redis") is None:
        unavailable("the redis package is not installed: pip install redis")
    given = os.environ.get("REDIS_URL")
    if given:
        if not answers(given):
            pytest.fail(f"REDIS_URL={given} does not answer")
        yield given
        return
    if answers(LOCAL_REDIS):
        yield LOCAL_REDIS
        return
    server = shutil.which("redis-server")
    if server is None:
        unavailable("no Redis: set REDIS_URL, run one on 127.0.0.1:6379 or install redis-server")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while not answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server on port {port} did not start")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def with_prefix(url: str, prefix: str) -> str:
    """``url`` with a ``prefix`` query parameter (the Redis store's key prefix)."""
    return f"{url}{'&' if '?' in url else '?'}prefix={prefix}"


@contextlib.contextmanager
def own_prefix(url: str) -> Iterator[str]:
    """A key prefix of one test's own; every key under it is deleted afterwards."""
    import uuid

    import redis

    prefix = f"asl-test-{uuid.uuid4().hex[:12]}:"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(url)
        try:
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()
