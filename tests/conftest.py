"""Shared fixtures: where the conformance cases live; a verdict cache of the session's own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

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
