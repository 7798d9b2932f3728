"""Retry and Catch: which Retrier and which Catcher handle an error, worked out once per name."""

from __future__ import annotations

import pytest

import asl
from asl import model as m

DEFINITION = {
    "StartAt": "T",
    "States": {
        "T": {
            "Type": "Task",
            "Resource": "python:json:dumps",
            "Retry": [
                {"ErrorEquals": ["States.Timeout"]},
                {"ErrorEquals": ["Custom", "States.TaskFailed"]},
                {"ErrorEquals": ["States.ALL"]},
            ],
            "Catch": [
                {"ErrorEquals": ["Other"], "Next": "Done"},
                {"ErrorEquals": ["States.ALL"], "Next": "Done"},
            ],
            "End": True,
        },
        "Done": {"Type": "Succeed"},
    },
}

# (error, retrier index, catcher index)
CASES = [
    ("States.Timeout", 0, 1),
    ("Custom", 1, 1),
    ("Anything.Else", 1, 1),  # States.TaskFailed covers names outside States.*
    ("Other", 1, 0),
    ("States.DataLimitExceeded", 2, 1),
    ("States.Runtime", None, None),  # no Retrier or Catcher handles it, not even States.ALL
]


@pytest.mark.parametrize(("error", "retrier", "catcher"), CASES)
def test_handlers_for(error: str, retrier: int | None, catcher: int | None) -> None:
    state = asl.load(DEFINITION).states["T"]
    assert isinstance(state, m.TaskState)
    assert state.handlers_for(error) == (retrier, catcher)
    assert state.handlers_for(error) == (retrier, catcher)  # remembered


def test_remembers_a_bounded_number_of_names() -> None:
    state = asl.load(DEFINITION).states["T"]
    for n in range(1000):
        assert state.handlers_for(f"E{n}") == (1, 1)
    assert len(state._handlers) <= m._HANDLERS_REMEMBERED
