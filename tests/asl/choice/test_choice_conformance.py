"""The 255 choice_operators_* conformance cases: the rule must pick the branch AWS picked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asl.choice import compile_choice_rule
from tests.conftest import conformance_dir

CONFORMANCE = conformance_dir()
CASES = sorted((CONFORMANCE / "execution").glob("choice_operators_*.json"))


def _load(path: Path) -> tuple[dict, object, bool]:
    case = json.loads(path.read_text())
    state = case["definition"]["States"][case["definition"]["StartAt"]]
    (rule,) = state["Choices"]
    expected = case["expected"]["output"]["TestResult.$"] == rule["Next"]
    return rule, case["input"], expected


@pytest.mark.skipif(not CASES, reason=f"no conformance cases under {CONFORMANCE}")
@pytest.mark.parametrize(
    "path", CASES, ids=[p.stem.removeprefix("choice_operators_test_") for p in CASES]
)
def test_choice_operator_matches_aws(path: Path) -> None:
    rule, data, expected = _load(path)
    assert compile_choice_rule(rule)(data, {}, {}) is expected
