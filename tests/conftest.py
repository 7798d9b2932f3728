"""Shared fixtures: where the conformance cases live; a verdict cache of the session's own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.moto_server import AWS_VARIABLES, MotoServer, configure
from tests.support.redis_server import own_prefix, redis_server_url

ROOT = Path(__file__).resolve().parent.parent


def conformance_dir() -> Path:
    """The conformance cases: ``ASL_CONFORMANCE_DIR``, default ``tests/conformance`` (part of the
    repository). A missing folder fails the tests that read it (at collection too), never skips
    them."""
    path = Path(os.environ.get("ASL_CONFORMANCE_DIR") or ROOT / "tests" / "conformance")
    if not (path / "execution").is_dir() or not (path / "validation").is_dir():
        pytest.fail(
            f"conformance cases not found in {path}: it must hold execution/ and validation/ "
            "(the repository's tests/conformance, or a folder named by ASL_CONFORMANCE_DIR)",
            pytrace=False,
        )
    return path


def require_conformance() -> Path:
    """The conformance folder; fails the test with a clear message when it is absent."""
    return conformance_dir()


@pytest.fixture(autouse=True, scope="session")
def _verdict_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """``asl`` commands run in tests remember validation verdicts in a folder of the session's,
    never in the user's cache (subprocesses inherit it)."""
    saved = os.environ.get("ASL_CACHE_DIR")
    os.environ["ASL_CACHE_DIR"] = str(tmp_path_factory.mktemp("asl-cache"))
    yield
    if saved is None:
        os.environ.pop("ASL_CACHE_DIR", None)
    else:
        os.environ["ASL_CACHE_DIR"] = saved


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis server's URL: ``$REDIS_URL``, else 127.0.0.1:6379, else one started here."""
    yield from redis_server_url()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; every key under it is deleted afterwards."""
    with own_prefix(redis_url) as prefix:
        yield prefix


@pytest.fixture
def decider_fleet(redis_url: str, tmp_path: Path) -> Iterator[Any]:
    """A fleet under a key prefix of this test's own: a Redis store and broker, and the real
    ``asl worker``/``asl serve`` processes the test starts (tests/fleet/decider_support.py);
    every process is stopped afterwards."""
    from tests.fleet.decider_support import DeciderFleet

    fleet = DeciderFleet(redis_url, f"asl-test-{uuid.uuid4().hex[:12]}:", tmp_path)
    try:
        yield fleet
    finally:
        fleet.close()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """moto's server in its own process on 127.0.0.1, for the whole session."""
    with MotoServer() as server:
        yield server


@pytest.fixture
def moto_env(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[MotoServer]:
    """The moto server, emptied, with this process's boto3 (``ASL_AWS=aws``) pointed at it
    through ``AWS_ENDPOINT_URL``."""
    moto_server.reset()
    env: dict[str, str] = {}
    configure(env, moto_server, str(tmp_path))
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ASL_AWS", "aws")
    yield moto_server
