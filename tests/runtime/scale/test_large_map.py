"""A 10,000-item inline Map with MaxConcurrency 0: no thread per item, memory linear in items."""

from __future__ import annotations

import threading
import tracemalloc

import pytest

from runtime import execute
from tests.runtime.scale import handlers


def _machine(resource: str | None) -> dict:
    inner = (
        {"Type": "Task", "Resource": resource, "End": True}
        if resource
        else {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, 1)"}, "End": True}
    )
    return {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map",
                "MaxConcurrency": 0,
                "ItemProcessor": {"StartAt": "Work", "States": {"Work": inner}},
                "End": True,
            }
        },
    }


def _peak_bytes(items: int, resource: str | None) -> int:
    tracemalloc.start()
    try:
        result = execute(_machine(resource), list(range(items)), express=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.status == "SUCCEEDED"
    assert len(result.output) == items
    return peak


def test_ten_thousand_task_items_use_a_bounded_number_of_threads() -> None:
    before = threading.active_count()
    handlers.PEAK_THREADS[0] = 0
    result = execute(
        _machine("python:tests.runtime.scale.handlers:double"), list(range(10_000)), express=True
    )
    assert result.status == "SUCCEEDED"
    assert result.output == [2 * i for i in range(10_000)]
    # Iterations run at most 40 at a time (AWS's inline limit), on reused threads.
    assert handlers.PEAK_THREADS[0] <= before + 40


@pytest.mark.parametrize("resource", [None, "python:tests.runtime.scale.handlers:double"])
def test_memory_grows_linearly_with_the_items(resource: str | None) -> None:
    small = _peak_bytes(1_000, resource)
    large = _peak_bytes(10_000, resource)
    # Ten times the items: about ten times the memory (the history grows with the items), far
    # from the hundredfold a quadratic structure would need.
    assert large < 16 * small, (small, large)
