"""Shared fixtures: where the conformance cases live; a verdict cache of the session's own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.redis_server import own_prefix, redis_server_url

ROOT = Path(__file__).resolve().parent.parent


def conformance_dir() -> Path | None:
    """The conformance folder (``ASL_CONFORMANCE_DIR``, default ``../shared/conformance``)."""
    path = Path(os.environ.get("ASL_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance"))
    return path if path.is_dir() else None


def require_conformance() -> Path:
    """The conformance folder; skip (fail in CI) with a clear message when it is absent."""
    path = conformance_dir()
    if path is None:
        message = (
            "conformance cases not found: set ASL_CONFORMANCE_DIR to the folder holding "
            "execution/ and validation/ (default ../shared/conformance)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


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
