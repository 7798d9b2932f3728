"""A Pass state with both Parameters and Result outputs its Result, as AWS's TestState recorded
(tests/conformance/teststate, IO_RESULT_PASS_STATE): on the direct path and stage by stage."""

from __future__ import annotations

from typing import Any

import pytest

import runtime

BOTH = {"Type": "Pass", "Parameters": {"from.$": "$.a"}, "Result": {"fixed": True}}


@pytest.mark.parametrize(
    ("more", "expected"),
    [
        ({}, {"fixed": True}),  # direct: the output is the result
        ({"ResultPath": "$.r"}, {"a": 1, "r": {"fixed": True}}),  # stage by stage
        ({"InputPath": "$", "OutputPath": "$"}, {"fixed": True}),
    ],
)
def test_result_wins_over_parameters(more: dict[str, Any], expected: Any) -> None:
    machine = {"StartAt": "P", "States": {"P": {**BOTH, **more, "End": True}}}
    assert runtime.execute(machine, {"a": 1}).output == expected
