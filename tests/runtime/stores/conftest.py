"""Every store backend behind one fixture, so the contract suite runs against each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.store import HistoryStore, JsonlStore, MemoryStore, SqliteStore

BACKENDS = ("memory", "sqlite", "jsonl")


def make_store(kind: str, tmp_path: Path) -> HistoryStore:
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SqliteStore(tmp_path / "store" / "executions.sqlite3", timeout=0.2)
    return JsonlStore(tmp_path / "log.jsonl")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HistoryStore]:
    backend = make_store(request.param, tmp_path)
    yield backend
    backend.close()
