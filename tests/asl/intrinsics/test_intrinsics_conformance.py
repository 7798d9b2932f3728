"""Intrinsic calls lifted from the AWS-recorded conformance cases, evaluated directly.

A case is used when it is one Pass state whose ``Parameters`` hold only intrinsic ``.$`` values
and literals, with no other data-flow field; its output must equal AWS's output. Cases that need
more machinery are skipped with a reason. ``ASL_CONFORMANCE_DIR`` overrides the directory
(default: ``tests/conformance``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asl.intrinsics import compile_intrinsic, is_intrinsic
from tests.conftest import conformance_dir

CONFORMANCE = conformance_dir()
FILES = sorted((CONFORMANCE / "execution").glob("*.json"))
_PLAIN_PASS_FIELDS = {"Type", "Parameters", "End", "Comment"}
RANDOM_PLACEHOLDER = "RandomNumberGenerated"  # the recorder replaced MathRandom results


def _uses_intrinsics(path: Path) -> bool:
    case = json.loads(path.read_text(encoding="utf-8"))
    return any(str(f).startswith("intrinsic:") for f in case.get("features", ()))


CASE_FILES = [p for p in FILES if _uses_intrinsics(p)]


def _context(case: dict) -> dict:
    """The context object with the placeholders the recorder put in the expected output."""
    return {
        "Execution": {
            "Id": "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:"
            "<ExecArnPart_0idx>",
            "Input": case["input"],
            "Name": "<ExecArnPart_0idx>",
        },
        "StateMachine": {
            "Id": "arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_0idx>",
            "Name": "<ArnPart_0idx>",
        },
    }


def _why_not_simple(case: dict) -> str | None:
    if case["expected"].get("status") != "SUCCEEDED":
        return "the case does not succeed"
    states = case["definition"]["States"]
    if len(states) != 1:
        return "more than one state"
    (state,) = states.values()
    if state.get("Type") != "Pass" or set(state) - _PLAIN_PASS_FIELDS:
        return f"needs more than Pass+Parameters ({sorted(set(state) - _PLAIN_PASS_FIELDS)})"
    for key, value in state.get("Parameters", {}).items():
        if key.endswith(".$") and not (isinstance(value, str) and is_intrinsic(value)):
            return f"the field {key} is not an intrinsic"
        if not key.endswith(".$") and isinstance(value, (dict, list)):
            return f"nested template under {key}"
    return None


def test_cases_found() -> None:
    if not FILES:
        pytest.skip(f"no conformance cases under {CONFORMANCE}")
    simple = [p for p in CASE_FILES if not _why_not_simple(json.loads(p.read_text("utf-8")))]
    assert len(simple) >= 60, f"only {len(simple)} of {len(CASE_FILES)} cases are usable"


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_conformance_case(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    reason = _why_not_simple(case)
    if reason:
        pytest.skip(reason)
    (state,) = case["definition"]["States"].values()
    output = {}
    for key, value in state["Parameters"].items():
        if key.endswith(".$"):
            output[key[:-2]] = compile_intrinsic(value)(case["input"], _context(case), {})
        else:
            output[key] = value
    expected = case["expected"]["output"]
    for key, value in expected.items():
        if value == RANDOM_PLACEHOLDER and isinstance(output.get(key), int):
            output[key] = RANDOM_PLACEHOLDER
    assert output == expected
