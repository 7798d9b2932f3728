"""Engine behaviour found while writing the examples: regressions tests for the fixes."""

from __future__ import annotations

from typing import Any

import runtime


def test_retry_count_reaches_the_parameters_of_each_attempt() -> None:
    seen: list[int] = []

    def flaky(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(event["attempt"])
        if len(seen) < 3:
            raise ConnectionError("try again")
        return event

    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:111111111111:function:Flaky",
                "Parameters": {"attempt.$": "$$.State.RetryCount"},
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}],
                "End": True,
            }
        },
    }
    result = runtime.execute(definition, {}, time_skip=True, lambdas={"Flaky": flaky})
    assert result.status == "SUCCEEDED"
    assert seen == [0, 1, 2]


def test_a_missing_intrinsic_argument_fails_the_execution() -> None:
    definition = {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Pass", "Parameters": {"a.$": "States.Array($.missing)"}, "End": True}
        },
    }
    result = runtime.execute(definition, {})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")


def test_the_seed_fixes_intrinsic_random_draws() -> None:
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {"u.$": "States.UUID()"}, "End": True}},
    }
    assert runtime.execute(definition, seed=1).output == runtime.execute(definition, seed=1).output
