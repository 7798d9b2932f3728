"""Validator cases from ``cases.json``: every diagnostic's code and pointer, and AWS's wording."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from asl.validation import validate_definition

CASES = json.loads((Path(__file__).with_name("cases.json")).read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["description"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    found = validate_definition(
        case["definition"], state_machine_type=case.get("state_machine_type", "STANDARD")
    )
    got = sorted((d.code, d.pointer) for d in found)
    expected = sorted((d["code"], d["pointer"]) for d in case["diagnostics"])
    assert got == expected, [f"{d.code} {d.pointer}: {d.message}" for d in found]
    for aws in case.get("aws", []):
        assert any(
            d.aws_code == aws["code"]
            and d.aws_location == aws["location"]
            and d.message.startswith(aws["message"])
            for d in found
        ), (aws, [(d.aws_code, d.aws_location, d.message) for d in found])
