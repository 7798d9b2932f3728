"""UpdateMapRun's values, kept with the Map Run in its execution's store and read by the run.

A running Distributed Map asks its Host for them (``Host.map_run_update``) each time a child
execution ends, so a new MaxConcurrency or tolerated-failure threshold applies from the next
child on, whichever process (in-process run, ``asl serve``, a fleet decider) runs the Map Run.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from typing import Any

SETTINGS = ("maxConcurrency", "toleratedFailurePercentage", "toleratedFailureCount")


def _key(map_run_arn: str) -> str:
    return f"map-run:{map_run_arn}"


def read_update(store: Any, map_run_arn: str) -> dict[str, Any]:
    """The values UpdateMapRun set for a Map Run (empty when none)."""
    text = store.get_meta(_key(map_run_arn))
    data = json.loads(text) if text else {}
    return {k: v for k, v in data.items() if k in SETTINGS}


def save_update(store: Any, map_run_arn: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``values`` into a Map Run's stored update; the update as stored."""
    stored = read_update(store, map_run_arn)
    stored.update({k: v for k, v in values.items() if k in SETTINGS and v is not None})
    store.put_meta(_key(map_run_arn), json.dumps(stored))
    return stored


def update_reader(store: Any) -> Callable[[str], Mapping[str, Any] | None]:
    """What a Host answers ``map_run_update`` with: the stored update (one point read each
    time a child ends, small beside the child's own writes); a store that cannot be read
    keeps the last answer, never failing the Map Run."""
    last: dict[str, Mapping[str, Any] | None] = {}

    def read(map_run_arn: str) -> Mapping[str, Any] | None:
        with contextlib.suppress(Exception):
            last[map_run_arn] = read_update(store, map_run_arn) or None
        return last.get(map_run_arn)

    return read
