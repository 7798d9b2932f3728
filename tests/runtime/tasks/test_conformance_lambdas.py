"""The recorded Lambda cases, their handlers (``lambdas.py``) routed through ``--lambda``.

Each case runs through the driver with a dispatcher built from the case's ``lambda_functions``.
What is compared is this package's part: every task outcome event (``LambdaFunction*`` and
``Task*`` Succeeded/Failed) against the recorded one, and the separators of Lambda error causes
that reached the output as text. Whole-execution results are the job of
``tests/runtime/conformance``.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

import asl
from runtime.drivers.clock import VirtualClock
from runtime.drivers.execution import run_execution
from runtime.tasks import build_dispatch
from tests.conftest import conformance_dir, require_conformance

OUTCOMES = re.compile(r"^(LambdaFunction|Task)(Succeeded|Failed)$")
SLOW = {  # case id -> why it is not run here
    "timeouts_test_timeouts_TestTimeouts_test_fixed_timeout_lambda": "waits a real 5 s timeout; "
    "test_lambda.py::test_timed_out_handler_does_not_hold_the_loop covers it",
    "timeouts_test_timeouts_TestTimeouts_test_fixed_timeout_service_lambda": "as above",
}
_HEADER_PLACEHOLDERS = {
    "x-amzn-RequestId": "x-amzn-RequestId",
    "X-Amzn-Trace-Id": "X-Amzn-Trace-Id",
    "Date": "date",
    "RequestId": "RequestId",
}
_PLACEHOLDER = re.compile(r"<[A-Za-z0-9_:\-]+>")


def _cases() -> list[Path]:
    root = conformance_dir()
    if root is None:
        return []
    return [
        p
        for p in sorted((root / "execution").glob("*.json"))
        if "lambda" in json.loads(p.read_text()).get("needs_services", [])
    ]


def _run(case: dict[str, Any], root: Path):
    lambdas = {}
    for fn in case["lambda_functions"]:
        spec = f"{root / 'lambdas.py'}:{fn['handler'].split(':', 1)[1]}"
        lambdas[fn["function_name"]] = lambdas[fn["arn"]] = spec
    machine = asl.load(case["definition"], state_machine_type=case["state_machine_type"])
    dispatch = build_dispatch(lambdas=lambdas)
    return asyncio.run(
        run_execution(machine, case["input"], dispatch=dispatch, clock=VirtualClock(), seed=0)
    )


def _placeholders(case: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = [
        tuple(t["args"][:2])
        for t in case.get("snapshot_transformers", [])
        if t["type"] == "RegexTransformer"
    ]
    return [*pairs, ("arn:aws:", "arn:<partition>:"), ("us-east-1", "<region>")]


def _normalise(value: Any, pairs: list[tuple[str, str]]) -> Any:
    if isinstance(value, dict):
        return {
            k: _HEADER_PLACEHOLDERS[k] if k in _HEADER_PLACEHOLDERS else _normalise(v, pairs)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_normalise(v, pairs) for v in value]
    if isinstance(value, str):
        for pattern, repl in pairs:
            value = re.sub(pattern, repl, value)
    return value


def _same_text(expected: str, actual: str) -> bool:
    """Equal, with any <placeholder> left in the recording matching anything."""
    pattern = ".+?".join(re.escape(p) for p in _PLACEHOLDER.split(expected))
    return re.fullmatch(pattern, actual, re.S) is not None


def _compare(expected: dict[str, Any], actual: dict[str, Any], pairs) -> None:
    assert actual.get("error") == expected.get("error")
    if "output" in expected:
        want = expected["output"]
        if isinstance(want, str):  # JSON text the recorder left as it was
            assert _same_text(want, _normalise(actual["output"], pairs)), (want, actual)
        else:
            assert _normalise(json.loads(actual["output"]), pairs) == want
    if "cause" in expected:
        want, got = expected["cause"], actual.get("cause")
        if isinstance(want, dict):  # a Lambda error object, parsed by the recorder
            cause = json.loads(got)
            assert list(cause) == list(want)
            assert cause["errorMessage"] == want["errorMessage"]
            assert cause["errorType"] == want["errorType"]
            uuid.UUID(cause["requestId"])
            assert all(isinstance(line, str) for line in cause["stackTrace"])
        else:
            assert _same_text(want, _normalise(got, pairs)), (want, got)


def _causes(value: Any) -> list[str]:
    """Lambda error causes kept as text anywhere in a value."""
    if isinstance(value, dict):
        return [c for v in value.values() for c in _causes(v)]
    if isinstance(value, list):
        return [c for v in value for c in _causes(v)]
    return [value] if isinstance(value, str) and value.startswith('{"errorMessage"') else []


@pytest.mark.parametrize("path", _cases(), ids=lambda p: p.stem[:100])
def test_recorded_lambda_outcomes(path: Path) -> None:
    root = require_conformance()
    case = json.loads(path.read_text())
    if case["id"] in SLOW:
        pytest.skip(SLOW[case["id"]])
    result = _run(case, root)
    if case.get("expected_history"):  # none is recorded for Express executions
        recorded = [e for e in case["expected_history"] if OUTCOMES.match(e["type"])]
        ours = [e.to_dict() for e in result.events if OUTCOMES.match(e.type)]
        assert [e["type"] for e in ours] == [e["type"] for e in recorded]
        pairs = _placeholders(case)
        for want, got in zip(recorded, ours, strict=True):
            key = next(k for k in want if k.endswith("EventDetails"))
            _compare(want[key], got[key], pairs)
    expected_causes = _causes(case["expected"].get("output"))
    actual_causes = _causes(result.output)
    assert len(actual_causes) == len(expected_causes)
    for want, got in zip(expected_causes, actual_causes, strict=True):
        assert ('":"' in want) == ('":"' in got), (want, got)  # compact vs spaced JSON
