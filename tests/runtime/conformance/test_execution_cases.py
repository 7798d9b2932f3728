"""Every recorded AWS execution in the conformance folder, run through our engine: in process
(``runtime.execute``) and through decisions (``runtime.drivers.decider_local``: each decision
replays the stored history, runs on until every frame waits, and commits its events).

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
from runtime.drivers.decider_local import execute_decided
from tests.conftest import conformance_dir, require_conformance
from tests.runtime.conformance.normalise import matches, parse_json_strings, rewrite

# case id -> why it cannot pass yet
KNOWN_GAPS: dict[str, str] = {}

# Cases whose previousEventId chain AWS itself recorded differently for the same shape of
# history: in these two, MapStateExited follows MapRunStarted; in
# ..._test_map_state_config_distributed_item_selector it follows MapRunSucceeded (we do that).
PREVIOUS_ID_DIVERGENCES = {
    "scenarios_test_base_scenarios_TestBaseScenarios_test_map_state_config_distributed_items_path"
    "_from_previous",
    "scenarios_test_base_scenarios_TestBaseScenarios_test_map_state_nested_config_distributed_no"
    "_max_max_concurrency",
}


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
    """Machine and execution names the recording used, and the regex replacements to apply."""
    machine, execution = "statemachine", "exec0"
    replacements: list[tuple[str, str]] = []
    for t in case.get("snapshot_transformers", []):
        if t.get("type") != "RegexTransformer":
            continue
        pattern, repl = t["args"][0], t["args"][1]
        if repl == "<ArnPart_0idx>":
            machine = pattern
        elif repl == "<ExecArnPart_0idx>":
            execution = pattern
        replacements.append((pattern, repl))
    replacements += [("arn:aws:", "arn:<partition>:"), ("us-east-1", "<region>")]
    return machine, execution, replacements


def key_replacements(case: dict[str, Any]) -> dict[str, str]:
    """``JsonpathTransformer`` entries as {key name: replacement} (the recorder's masking)."""
    out = {}
    for t in case.get("snapshot_transformers", []):
        if t.get("type") != "JsonpathTransformer":
            continue
        kwargs = t.get("kwargs", {})
        path = kwargs.get("jsonpath") or t["args"][0]
        repl = kwargs.get("replacement") or t["args"][1]
        out[path.rsplit(".", 1)[-1]] = repl
    return out


def mask_keys(value: Any, keys: dict[str, str]) -> Any:
    """Replace the values under the masked keys, anywhere in ``value``."""
    if isinstance(value, dict):
        return {k: keys[k] if k in keys else mask_keys(v, keys) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_keys(v, keys) for v in value]
    return value


def run_case(case: dict[str, Any], root: Path, driver: str = "in-process"):
    machine, execution, replacements = _names(case)
    lambdas: dict[str, Any] = {}
    if case.get("lambda_functions"):
        module = _lambdas_module(root)
        for fn in case["lambda_functions"]:
            handler = getattr(module, fn["handler"].split(":", 1)[1])
            lambdas[fn["function_name"]] = handler
            lambdas[fn["arn"]] = handler
    options: dict[str, Any] = dict(
        name=execution,
        state_machine_name=machine,
        express=case.get("state_machine_type") == "EXPRESS",
        sync="express_async" not in case["id"],
        time_skip=True,
        lambdas=lambdas,
        seed=0,
        role_arn=next(
            (
                t["args"][0]
                for t in case.get("snapshot_transformers", [])
                if t.get("type") == "RegexTransformer" and t["args"][1].endswith("role_arn")
            ),
            None,
        ),
    )
    if driver == "decider":
        result, _ = execute_decided(case["definition"], case["input"], **options)
    else:
        result = execute(case["definition"], case["input"], **options)
    return result, replacements


def _same_cause(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict) and "errorMessage" in expected:
        return isinstance(actual, dict) and all(
            matches(expected.get(k), actual.get(k)) for k in ("errorMessage", "errorType")
        )
    return matches(expected, actual)


@pytest.mark.parametrize("driver", ["in-process", "decider"])
@pytest.mark.parametrize("path", _case_files(), ids=lambda p: p.stem[:120])
def test_execution_case(path: Path, driver: str) -> None:
    root = require_conformance()
    case = json.loads(path.read_text())
    if case["id"] in KNOWN_GAPS:
        pytest.xfail(KNOWN_GAPS[case["id"]])
    result, replacements = run_case(case, root, driver)
    expected = case["expected"]
    detail = f"error={result.error!r} cause={result.cause!r}"
    assert result.status == expected["status"], detail
    if expected["status"] == "SUCCEEDED":
        actual = parse_json_strings(rewrite(result.output, replacements))
        actual = mask_keys(actual, key_replacements(case))
        assert matches(expected.get("output"), actual), (expected.get("output"), actual)
    else:
        assert result.error == expected.get("error"), detail
        actual_cause = parse_json_strings(rewrite(result.cause, replacements))
        assert _same_cause(expected.get("cause"), actual_cause), (
            expected.get("cause"),
            actual_cause,
        )
    if case.get("expected_events") and not any("re-ordered" in c for c in case.get("caveats", [])):
        assert [e.type for e in result.events] == case["expected_events"]
        if case.get("expected_history") and case["id"] not in PREVIOUS_ID_DIVERGENCES:
            chain = [(e["id"], e["previousEventId"]) for e in case["expected_history"]]
            assert [(e.id, e.previous_event_id) for e in result.events] == chain
