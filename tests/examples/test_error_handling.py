"""Error handling: Retry with backoff and jitter, Catch with ResultPath, a fallback and a Fail."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from runtime import ExecutionResult
from tests.examples.support import Example, event_types, execute

EXAMPLE = Example("error_handling")
CAPS = [2, 4, 6]  # IntervalSeconds 2, BackoffRate 2, MaxDelaySeconds 6


def order(card: str = "4242", gateway_failures: int = 0) -> dict[str, Any]:
    return {"orderId": "o-7", "amount": 10, "card": card, "gatewayFailures": gateway_failures}


def task_failures(result: ExecutionResult) -> list[str]:
    return [
        e["taskFailedEventDetails"]["error"] for e in result.history if e["type"] == "TaskFailed"
    ]


def retry_delays(result: ExecutionResult) -> list[float]:
    """Seconds from each failed attempt to the next attempt, from the history's timestamps."""
    delays, failed_at = [], None
    for event in result.history:
        at = datetime.fromisoformat(event["timestamp"])
        if event["type"] == "TaskFailed":
            failed_at = at
        elif event["type"] == "TaskScheduled" and failed_at is not None:
            delays.append((at - failed_at).total_seconds())
    return delays


@pytest.mark.parametrize(
    ("given", "status", "outcome", "failures"),
    [
        (order(gateway_failures=0), "SUCCEEDED", {"status": "CHARGED", "chargeId": "ch-o-7"}, 0),
        (order(gateway_failures=3), "SUCCEEDED", {"status": "CHARGED", "chargeId": "ch-o-7"}, 3),
        (
            order(gateway_failures=4),
            "SUCCEEDED",
            {"status": "QUEUED", "reason": "GatewayTimeout"},
            4,
        ),
        (order(card="0000"), "FAILED", {"error": "OrderRejected"}, 1),
    ],
    ids=["first-try", "third-retry-succeeds", "retries-exhausted", "declined"],
)
def test_paths(
    given: dict[str, Any], status: str, outcome: dict[str, str], failures: int, at_root: Path
) -> None:
    result = execute(EXAMPLE, given, time_skip=True)
    assert result.status == status
    if status == "SUCCEEDED":
        assert result.output == {"orderId": "o-7", **outcome}
    else:
        assert (result.error, result.cause) == ("OrderRejected", "order o-7 rejected: CardDeclined")
    assert len(task_failures(result)) == failures


def test_retries_exhausted_then_caught(at_root: Path) -> None:
    result = execute(EXAMPLE, time_skip=True, seed=42)
    assert task_failures(result) == ["GatewayTimeout"] * 4  # the attempt and 3 retries
    assert event_types(result)[-5:] == [
        "TaskFailed",
        "TaskStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    # Catch's ResultPath added the error to the original input.
    fallback_input = json.loads(
        next(e for e in result.history if e["type"] == "PassStateEntered")[
            "stateEnteredEventDetails"
        ]["input"]
    )
    assert fallback_input["orderId"] == "o-1001"
    assert fallback_input["error"]["Error"] == "GatewayTimeout"
    assert json.loads(fallback_input["error"]["Cause"])["errorMessage"] == (
        "gateway timed out (call 4)"
    )


def test_backoff_with_full_jitter_stays_under_the_caps(at_root: Path) -> None:
    delays = retry_delays(execute(EXAMPLE, time_skip=True, seed=42))
    assert len(delays) == 3
    for delay, cap in zip(delays, CAPS, strict=True):
        assert 0 <= delay <= cap


def test_the_seed_makes_the_jitter_reproducible(at_root: Path) -> None:
    first = retry_delays(execute(EXAMPLE, time_skip=True, seed=7))
    again = retry_delays(execute(EXAMPLE, time_skip=True, seed=7))
    other = retry_delays(execute(EXAMPLE, time_skip=True, seed=8))
    assert first == again
    assert first != other


def test_a_declined_card_is_not_retried(at_root: Path) -> None:
    result = execute(EXAMPLE, order(card="0000"), time_skip=True)
    assert task_failures(result) == ["CardDeclined"]
    assert event_types(result)[-2:] == ["FailStateEntered", "ExecutionFailed"]
