"""Handlers for the nightly batch: plain Python functions run as ``python:`` Task resources."""

from __future__ import annotations

import threading
from typing import Any

_failed_once: set[tuple[str, int]] = set()
_lock = threading.Lock()


class WarehouseBusy(Exception):
    """A transient failure: the warehouse refused the first attempt at each partition."""


def load_records(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Yesterday's sales records (generated from the input, so every run is the same)."""
    day = event["day"]
    return [
        {"id": f"{day}-{n:03d}", "store": f"store-{n % 3}", "amount": (n * 37) % 100 + 1}
        for n in range(event["records"])
    ]


def process_partition(event: dict[str, Any]) -> dict[str, Any]:
    """Total one partition. The first attempt at every partition fails (a flaky dependency).

    The failure is deterministic: the handler remembers, per execution and partition, that it
    already failed once, so attempt 1 fails and the retry succeeds. (Python handlers run inside
    the asl process, so the memory lasts for the whole execution.)
    """
    key = (event["execution"], event["index"])
    with _lock:
        first = key not in _failed_once
        _failed_once.add(key)
    if first:
        raise WarehouseBusy(f"partition {event['index']}: warehouse busy, try again")
    records = event["records"]
    return {
        "partition": event["index"],
        "count": len(records),
        "total": sum(r["amount"] for r in records),
    }


def aggregate(event: dict[str, Any]) -> dict[str, Any]:
    """One summary for the night from the partitions' results."""
    results = event["results"]
    return {
        "day": event["day"],
        "partitions": len(results),
        "records": sum(r["count"] for r in results),
        "total": sum(r["total"] for r in results),
        "totalsByPartition": [r["total"] for r in results],
    }
