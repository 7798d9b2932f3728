"""Every recorded AWS execution in the conformance folder, run through our engine.

Status first, then output (or error and cause), then the event type sequence where recorded.
Known gaps are listed in ``KNOWN_GAPS`` with their reason and run as strict xfails.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from runtime import execute
from tests.conftest import conformance_dir, require_conformance
from tests.runtime.conformance.normalise import matches, parse_json_strings, rewrite

# case id -> why it cannot pass yet
KNOWN_GAPS: dict[str, str] = {}


def _case_files() -> list[Path]:
    root = conformance_dir()
    if root is None:
        return []
    return sorted((root / "execution").glob("*.json"))


def _lambdas_module(root: Path):
    name = "asl_conformance_lambdas"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, root / "lambdas.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _names(case: dict[str, Any]) -> tuple[str, str, list[tuple[str, str]]]:
    machine, execution = "statemachine", "exec0"
    replacements: list[tuple[str, str]] = []
    for t in case.get("snapshot_transformers", []):
        pattern, repl = t["args"][0], t["args"][1]
        if repl == "<ArnPart_0idx>":
            machine = pattern
        elif repl == "<ExecArnPart_0idx>":
            execution = pattern
        replacements.append((pattern, repl))
    replacements += [("arn:aws:", "arn:<partition>:"), ("us-east-1", "<region>")]
    return machine, execution, replacements


def run_case(case: dict[str, Any], root: Path):
    machine, execution, replacements = _names(case)
    lambdas: dict[str, Any] = {}
    if case.get("lambda_functions"):
        module = _lambdas_module(root)
        for fn in case["lambda_functions"]:
            handler = getattr(module, fn["handler"].split(":", 1)[1])
            lambdas[fn["function_name"]] = handler
            lambdas[fn["arn"]] = handler
    result = execute(
        case["definition"],
        case["input"],
        name=execution,
        state_machine_name=machine,
        express=case.get("state_machine_type") == "EXPRESS",
        time_skip=True,
        lambdas=lambdas,
        seed=0,
    )
    return result, replacements


def _same_cause(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict) and "errorMessage" in expected:
        return isinstance(actual, dict) and all(
            matches(expected.get(k), actual.get(k)) for k in ("errorMessage", "errorType")
        )
    return matches(expected, actual)


@pytest.mark.parametrize("path", _case_files(), ids=lambda p: p.stem[:120])
def test_execution_case(path: Path) -> None:
    root = require_conformance()
    case = json.loads(path.read_text())
    if case["id"] in KNOWN_GAPS:
        pytest.xfail(KNOWN_GAPS[case["id"]])
    result, replacements = run_case(case, root)
    expected = case["expected"]
    detail = f"error={result.error!r} cause={result.cause!r}"
    assert result.status == expected["status"], detail
    if expected["status"] == "SUCCEEDED":
        actual = parse_json_strings(rewrite(result.output, replacements))
        assert matches(expected.get("output"), actual), (expected.get("output"), actual)
    else:
        assert result.error == expected.get("error"), detail
        actual_cause = parse_json_strings(rewrite(result.cause, replacements))
        assert _same_cause(expected.get("cause"), actual_cause), (expected.get("cause"), actual_cause)
    if case.get("expected_events") and not any(
        "re-ordered" in c for c in case.get("caveats", [])
    ):
        assert [e.type for e in result.events] == case["expected_events"]
