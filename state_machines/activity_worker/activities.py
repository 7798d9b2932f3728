"""The work itself: one function per activity, called with the task's input and a ``heartbeat``
callable to call while working (the state's HeartbeatSeconds is the limit between two)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

OUT_OF_STOCK = {"unobtainium"}


def check_stock(task: dict[str, Any], heartbeat: Callable[[], None]) -> dict[str, Any]:
    missing = [sku for sku in task["skus"] if sku in OUT_OF_STOCK]
    return {"available": not missing, "missing": missing}


def pack_order(task: dict[str, Any], heartbeat: Callable[[], None]) -> dict[str, Any]:
    items = 0
    for line in task["lines"]:
        for _ in range(line["quantity"]):
            time.sleep(0.05)  # put it in the box
            items += 1
            heartbeat()
    return {"items": items, "weightKg": round(items * 0.4, 1)}


ACTIVITIES: dict[str, Callable[[dict[str, Any], Callable[[], None]], Any]] = {
    "check-stock": check_stock,
    "pack-order": pack_order,
}
