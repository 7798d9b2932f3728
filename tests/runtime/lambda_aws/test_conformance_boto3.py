"""Every recorded Lambda case, its functions invoked through boto3 over HTTP.

The case's handlers (``lambdas.py``) run behind the Lambda-compatible endpoint; the engine has no
local handler and ``ASL_LAMBDA=aws``. Results are compared exactly as
``tests/runtime/conformance`` compares the local-handler runs, and the recorded task outcome
events as ``tests/runtime/tasks/test_conformance_lambdas.py`` does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import conformance_dir, require_conformance
from tests.runtime.conformance import test_execution_cases as cases
from tests.runtime.conformance.normalise import matches, parse_json_strings, rewrite
from tests.runtime.tasks import test_conformance_lambdas as outcomes
from tests.support.lambda_server import LambdaServer


def _lambda_cases() -> list[Path]:
    root = conformance_dir()
    if root is None:
        return []
    return [
        p
        for p in sorted((root / "execution").glob("*.json"))
        if "lambda" in json.loads(p.read_text()).get("needs_services", [])
    ]


@pytest.mark.parametrize("path", _lambda_cases(), ids=lambda p: p.stem[:120])
def test_lambda_case_through_boto3(
    path: Path, lambda_server: LambdaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = require_conformance()
    case = json.loads(path.read_text())
    if case["id"] in cases.KNOWN_GAPS:
        pytest.xfail(cases.KNOWN_GAPS[case["id"]])
    module = cases._lambdas_module(root)
    for fn in case["lambda_functions"]:
        lambda_server.add(fn["function_name"], getattr(module, fn["handler"].split(":", 1)[1]))
    monkeypatch.setenv("ASL_LAMBDA", "aws")

    result, replacements = cases.run_case({**case, "lambda_functions": []}, root)

    expected = case["expected"]
    detail = f"error={result.error!r} cause={result.cause!r}"
    assert result.status == expected["status"], detail
    if expected["status"] == "SUCCEEDED":
        actual = parse_json_strings(rewrite(result.output, replacements))
        actual = cases.mask_keys(actual, cases.key_replacements(case))
        assert matches(expected.get("output"), actual), (expected.get("output"), actual)
    else:
        assert result.error == expected.get("error"), detail
        actual_cause = parse_json_strings(rewrite(result.cause, replacements))
        assert cases._same_cause(expected.get("cause"), actual_cause), (
            expected.get("cause"),
            actual_cause,
        )
    if case.get("expected_events") and not any("re-ordered" in c for c in case.get("caveats", [])):
        assert [e.type for e in result.events] == case["expected_events"]
    if case.get("expected_history"):
        recorded = [e for e in case["expected_history"] if outcomes.OUTCOMES.match(e["type"])]
        ours = [e.to_dict() for e in result.events if outcomes.OUTCOMES.match(e.type)]
        assert [e["type"] for e in ours] == [e["type"] for e in recorded]
        pairs = outcomes._placeholders(case)
        for want, got in zip(recorded, ours, strict=True):
            key = next(k for k in want if k.endswith("EventDetails"))
            outcomes._compare(want[key], got[key], pairs)
    names = {fn["function_name"] for fn in case["lambda_functions"]}
    invoked = [re.sub(r"^.*:function:", "", i.function) for i in lambda_server.invocations]
    assert invoked, "nothing reached the endpoint"
    assert all(name in names or name.startswith("no_such") for name in invoked), invoked
