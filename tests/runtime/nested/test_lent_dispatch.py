"""E4: a child started under ``runtime.execute`` runs with its parent's task dispatch (Lambda
handlers given as callables cannot be stored with the child), without the parent's mocks."""

from __future__ import annotations

from typing import Any

import pytest

import runtime
from tests.runtime.nested.support import START, child, one_state, starting

FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:triple"
TRIPLING = one_state({"Type": "Task", "Resource": FUNCTION})


def triple(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"tripled": event["n"] * 3}


@pytest.mark.parametrize("type_", ["STANDARD", "EXPRESS"])
def test_the_child_calls_the_parents_lambda_handler(type_: str) -> None:
    parent = one_state(starting(START + ".sync:2", child(TRIPLING, type_), {"n": 5}))
    result = runtime.execute(parent, {}, lambdas={FUNCTION: triple}, aws="off")
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["Output"] == {"tripled": 15}


def test_a_grandchild_calls_it_too() -> None:
    middle = one_state(starting(START + ".sync:2", child(TRIPLING), {"n.$": "$.n"}))
    parent = one_state(starting(START + ".sync:2", child(middle), {"n": 2}))
    result = runtime.execute(parent, {}, lambdas={FUNCTION: triple}, aws="off")
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["Output"]["Output"] == {"tripled": 6}


def test_the_parents_mocks_stay_the_parents() -> None:
    # The parent's mock test case names a state "Start"; the child has a state of that name too.
    mocks = {
        "StateMachines": {
            "machine": {"TestCases": {"Case": {"Start": "Started"}}},
        },
        "MockedResponses": {"Started": {"0": {"Return": {"mocked": True}}}},
    }
    parent = {
        "StartAt": "Start",
        "States": {
            "Start": {"Type": "Task", "Resource": FUNCTION, "Next": "Child"},
            "Child": {**starting(START + ".sync:2", child(TRIPLING), {"n": 1}), "End": True},
        },
    }
    result = runtime.execute(
        parent, {}, lambdas={FUNCTION: triple}, mock_config=mocks, test_case="Case", aws="off"
    )
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["Output"] == {"tripled": 3}
