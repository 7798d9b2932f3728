"""Definitions AWS accepts that the validator once rejected: each is valid, loads and runs.

Each rule came from a peer validator's fixture or a reading of the specification stricter than
AWS; docs/validator-rules.md names the public, deployed AWS samples these shapes come from.
"""

from __future__ import annotations

from typing import Any

import pytest

import asl
import runtime
from asl.validation import validate_definition


def _jsonata(output: str) -> dict[str, Any]:
    return {
        "QueryLanguage": "JSONata",
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Output": output, "End": True}},
    }


def _jsonpath(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "A", "States": {"A": {"Type": "Pass", **fields, "End": True}}}


def _fail(error: str) -> dict[str, Any]:
    return {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": error, "Cause": "c"}}}


def _caught(name: str) -> dict[str, Any]:
    return {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [_fail(name)],
                "Catch": [{"ErrorEquals": [name], "ResultPath": "$.e", "Next": "Done"}],
                "End": True,
            },
            "Done": {"Type": "Pass", "OutputPath": "$.e.Error", "End": True},
        },
    }


# (id, definition, input, expected output: it runs as AWS runs it)
ACCEPTED = [
    ("JSONata: no blank after '{%'", _jsonata("{%$states.input.x %}"), {"x": 1}, 1),
    ("JSONata: no blank before '%}'", _jsonata("{% $states.input.x%}"), {"x": 2}, 2),
    ("JSONata: no blanks at all", _jsonata("{%$states.input.x%}"), {"x": 3}, 3),
    ("JSONata: a line break after '{%'", _jsonata("{%\n  $states.input.x\n%}"), {"x": 4}, 4),
    ("JSONata: half-delimited is a literal (warning)", _jsonata("{% 10 %"), {}, "{% 10 %"),
    (
        "reference path with a trailing space",
        _jsonpath(Parameters={"name.$": "$$.Execution.Name "}),
        {},
        {"name": "verdicts"},
    ),
    ("InputPath with spaces around it", _jsonpath(InputPath=" $.a "), {"a": 5}, 5),
    ("OutputPath with a trailing space", _jsonpath(OutputPath="$.a "), {"a": 6}, 6),
    (
        "ResultPath with a trailing space",
        _jsonpath(Result=7, ResultPath="$.r "),
        {"a": 0},
        {"a": 0, "r": 7},
    ),
    (
        "custom error name starting with 'States.' (warning only)",
        _caught("States.QuorumMet"),
        {},
        "States.QuorumMet",
    ),
]


@pytest.mark.parametrize(
    ("definition", "value", "expected"),
    [case[1:] for case in ACCEPTED],
    ids=[case[0] for case in ACCEPTED],
)
def test_aws_accepts_it_and_so_do_we(definition: dict[str, Any], value: Any, expected: Any) -> None:
    found = validate_definition(definition)
    assert not [d for d in found if d.severity is asl.Severity.ERROR], found
    result = runtime.execute(asl.load(definition), value, name="verdicts")
    assert (result.status, result.output) == ("SUCCEEDED", expected)


def test_a_reserved_error_name_is_still_pointed_out() -> None:
    [warning] = validate_definition(_fail("States.Oops"))
    assert (warning.code, warning.severity) == ("ASL502", asl.Severity.WARNING)
