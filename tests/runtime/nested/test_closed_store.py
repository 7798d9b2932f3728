"""F2: a store used after it was closed says so; it is not reported as a corrupt file."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.stores import SqliteStore
from runtime.stores.base import StoreCorrupt, StoreError


def test_a_closed_sqlite_store_is_reported_as_closed(tmp_path: Path) -> None:
    path = tmp_path / "executions.sqlite3"
    store = SqliteStore(path)
    store.close()
    with pytest.raises(StoreError) as raised:
        store.get("arn:aws:states:us-east-1:111111111111:execution:m:e")
    assert not isinstance(raised.value, StoreCorrupt)
    assert str(raised.value).startswith(f"store {path} is closed")
    assert "corrupt" not in str(raised.value)
