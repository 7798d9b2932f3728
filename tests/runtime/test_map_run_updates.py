"""UpdateMapRun's values as a running Map Run reads them (runtime.drivers.map_runs)."""

from __future__ import annotations

from runtime.drivers.map_runs import read_update, save_update, update_reader
from runtime.stores import MemoryStore, StoreError

ARN = "arn:aws:states:us-east-1:111111111111:mapRun:m/M:00000000-0000-0000-0000-000000000001"


class Flaky(MemoryStore):
    """A store whose reads fail while ``down``."""

    down = False

    def get_meta(self, key: str) -> str | None:
        if self.down:
            raise StoreError("the store is down")
        return super().get_meta(key)


def test_updates_merge_and_unknown_keys_are_left_out() -> None:
    store = MemoryStore()
    assert read_update(store, ARN) == {}
    save_update(store, ARN, {"maxConcurrency": 3, "other": 1})
    save_update(store, ARN, {"toleratedFailureCount": 2, "maxConcurrency": None})
    assert read_update(store, ARN) == {"maxConcurrency": 3, "toleratedFailureCount": 2}


def test_a_store_that_cannot_be_read_keeps_the_last_answer() -> None:
    store = Flaky()
    read = update_reader(store)
    assert read(ARN) is None
    save_update(store, ARN, {"maxConcurrency": 5})
    assert read(ARN) == {"maxConcurrency": 5}
    store.down = True
    assert read(ARN) == {"maxConcurrency": 5}  # never failing the Map Run
    store.down = False
    save_update(store, ARN, {"maxConcurrency": 1})
    assert read(ARN) == {"maxConcurrency": 1}
