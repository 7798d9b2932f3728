"""The nightly batch: ArrayPartition, a Map with MaxConcurrency and Retry, then an aggregate."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from tests.examples.support import Example, event_types, execute

EXAMPLE = Example("nightly_batch")


def test_every_partition_fails_once_and_is_retried(at_root: Path) -> None:
    result = execute(EXAMPLE, time_skip=True)
    assert result.status == "SUCCEEDED"
    failed = [e["taskFailedEventDetails"] for e in result.history if e["type"] == "TaskFailed"]
    assert [f["error"] for f in failed] == ["WarehouseBusy"] * 3
    counts = Counter(event_types(result))
    assert counts["MapIterationStarted"] == counts["MapIterationSucceeded"] == 3
    # LoadRecords + 3 partitions x (failed attempt + retry) + Aggregate
    assert counts["TaskScheduled"] == 1 + 3 * 2 + 1
    assert counts["TaskSucceeded"] == 1 + 3 + 1


def test_at_most_two_partitions_run_at_once(at_root: Path) -> None:
    result = execute(EXAMPLE, time_skip=True)
    running = peak = 0
    for kind in event_types(result):
        running += {"MapIterationStarted": 1, "MapIterationSucceeded": -1}.get(kind, 0)
        peak = max(peak, running)
    assert peak == 2


def test_the_retry_delays_pass_on_the_virtual_clock(at_root: Path) -> None:
    result = execute(EXAMPLE, time_skip=True)
    times = [datetime.fromisoformat(e["timestamp"]) for e in result.history]
    # Two waves (MaxConcurrency 2, three partitions), each waiting one 1 s retry interval.
    assert (times[-1] - times[0]).total_seconds() == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("records", "size", "partitions"),
    [(1, 4, 1), (8, 4, 2), (10, 3, 4), (25, 25, 1), (25, 1, 25)],
)
def test_partitioning(records: int, size: int, partitions: int, at_root: Path) -> None:
    result = execute(
        EXAMPLE, {"day": "2024-06-02", "records": records, "partitionSize": size}, time_skip=True
    )
    expected_total = sum((n * 37) % 100 + 1 for n in range(records))
    assert result.output["partitions"] == partitions
    assert result.output["records"] == records
    assert result.output["total"] == sum(result.output["totalsByPartition"]) == expected_total
