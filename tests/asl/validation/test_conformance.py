"""The validator against the conformance cases: AWS's verdicts, codes, locations and messages.

* ``validation/*.json``: ``expected_valid`` must match (a definition is valid when it has no
  ERROR diagnostic). For AWS cases the diagnostic must also carry AWS's code, sit at AWS's
  location and contain AWS's message. Fixture cases flagged ``disputed`` take AWS's side (the
  opposite of the fixture's verdict); the remaining disagreements are listed in ``KNOWN`` with
  the reason and run as strict xfails, so a change of behaviour is noticed.
* ``execution/*.json``: every definition AWS ran validates with zero errors.

Cases come from ``ASL_CONFORMANCE_DIR`` (default ``tests/conformance``); when absent the tests
fail with a message.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import asl
from asl.diagnostics import Severity
from asl.validation import validate_definition
from tests.conftest import conformance_dir, require_conformance

ROOT = conformance_dir()
VALIDATION = sorted((ROOT / "validation").glob("*.json")) if ROOT else []
EXECUTION = sorted((ROOT / "execution").glob("*.json")) if ROOT else []

# Where asl-engine deliberately disagrees with a recorded verdict: case id -> reason.
KNOWN = {
    "pysl-pass-with-intrinsic-function-inputpath": (
        "conflicting fixtures (awslabs/statelint rejects, its Python port accepts) and no AWS "
        "verdict recorded: asl-engine follows awslabs/statelint; InputPath holds a path, "
        "intrinsics belong in Parameters"
    ),
}

# Fixture verdicts AWS itself (its recorded verdicts, its documentation, its deployed samples)
# contradicts: case id -> (AWS's verdict, evidence). See docs/validator-rules.md.
AWS_OVERRIDES = {
    "pysl-test-map-state-test-max-items-zero-0": (
        True,
        "AWS created and ran a machine with ReaderConfig.MaxItems 0 (accepted__6541d36b978ae5cc)",
    ),
    "aslv-invalid-jsonata-surround-syntax-no-spaces": (
        True,
        "AWS takes any string starting with '{%' and ending with '%}' as JSONata, whatever the "
        "blanks inside (asl-reference.md section 5 Syntax; AWS samples deploy '{%$x %}', "
        "validator-notes.md)",
    ),
    "aslv-invalid-json-surround-syntax-extra-spaces": (
        True,
        "as above: blanks and line breaks inside '{%' ... '%}' are JSONata whitespace",
    ),
    "aslv-invalid-jsonata-surround-syntax-no-close": (
        True,
        "AWS's documentation: a string not both starting with '{%' and ending with '%}' is a "
        "literal (asl-reference.md section 5 Syntax); no AWS verdict refuses one (ASL307 warns)",
    ),
    "aslv-invalid-jsonata-surround-syntax-no-open": (True, "as above"),
}

_AWS_MESSAGE = re.compile(r"Invalid State Machine Definition: '(\w+): (.*) at (/\S*)'$", re.S)


def _errors(diagnostics: list[asl.Diagnostic]) -> list[asl.Diagnostic]:
    return [d for d in diagnostics if d.severity is Severity.ERROR]


def _expected_verdict(case: dict[str, Any]) -> bool:
    if case["id"] in AWS_OVERRIDES:
        return AWS_OVERRIDES[case["id"]][0]
    return not case["expected_valid"] if case.get("disputed") else case["expected_valid"]


def _aws_expectations(case: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(code, location, message) triples AWS recorded for this case."""
    found = []
    match = _AWS_MESSAGE.match(case.get("expected_message") or "")
    if match:
        code, message, location = match.groups()
        found.append((code, location, message))
    for diag in case.get("expected_diagnostics") or []:
        if "location" in diag and not diag["location"].startswith("["):
            found.append((diag["code"], diag["location"], diag["message"]))
    return found


def _params(paths: list[Path]) -> list[Any]:
    if not paths:
        return [pytest.param(None, id="conformance-cases-missing")]
    params = []
    for path in paths:
        marks = []
        if path.stem in KNOWN:
            marks.append(pytest.mark.xfail(reason=KNOWN[path.stem], strict=True))
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


@pytest.mark.parametrize("path", _params(VALIDATION))
def test_validation_case(path: Path | None) -> None:
    if path is None:
        require_conformance()
        return
    case = json.loads(path.read_text())
    machine_type = case.get("state_machine_type") or "STANDARD"
    if case.get("definition_is_raw_text"):
        # Text AWS could not parse: read through the public front, which parses first.
        diagnostics = asl.validate(case["definition"], state_machine_type=machine_type)
    else:
        # TestState cases ("scope": "state") are validated as whole definitions too: a single
        # state is not one, and TestState-only restrictions (no Map or Parallel) are not ours.
        diagnostics = validate_definition(case["definition"], state_machine_type=machine_type)
    errors = _errors(diagnostics)
    expected = _expected_verdict(case)
    shown = [f"{d.code} {d.pointer}: {d.message}" for d in errors]
    assert (not errors) is expected, shown
    for code, location, message in _aws_expectations(case):
        assert any(
            d.aws_code == code and d.aws_location == location and message in d.message
            for d in errors
        ), f"AWS reports {code} at {location}: {message!r}; we report {shown}"


@pytest.mark.parametrize("path", _params(EXECUTION))
def test_execution_definition_is_valid(path: Path | None) -> None:
    if path is None:
        require_conformance()
        return
    case = json.loads(path.read_text())
    diagnostics = validate_definition(
        case["definition"], state_machine_type=case.get("state_machine_type") or "STANDARD"
    )
    assert not _errors(diagnostics), [f"{d.code} {d.pointer}: {d.message}" for d in diagnostics]
