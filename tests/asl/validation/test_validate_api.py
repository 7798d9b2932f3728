"""validate_definition: its contract, its limits, robustness, and the code registry."""

from __future__ import annotations

import copy
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from asl import structure as _structure
from asl.diagnostics import Diagnostic, Severity
from asl.rules import CODES, RULES
from asl.validation import MAX_RULE_DEPTH, MAX_SCOPE_DEPTH, validate_definition

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs" / "diagnostics.md"
CASES = json.loads(Path(__file__).with_name("cases.json").read_text(encoding="utf-8"))["cases"]


def _pass_machine(**extra: Any) -> dict[str, Any]:
    return {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, **extra}}}


def _codes(found: list[Diagnostic]) -> list[str]:
    return [d.code for d in found]


@pytest.mark.parametrize("value", [None, [], "text", 3, True, [{"StartAt": "A"}]])
def test_non_objects_are_one_diagnostic(value: Any) -> None:
    (diag,) = validate_definition(value)
    assert diag.code == "ASL100"
    assert diag.aws_code == "SCHEMA_VALIDATION_FAILED"
    assert diag.message.startswith("Definition must be a valid JSON object")


def test_machine_type_is_checked() -> None:
    with pytest.raises(ValueError, match="STANDARD or EXPRESS"):
        validate_definition(_pass_machine(), state_machine_type="standard")


def test_stops_after_structure_when_top_level_is_broken() -> None:
    found = validate_definition({"StartAt": 1, "States": "x"})
    assert {d.code for d in found} == {"ASL106"}


def test_definition_is_not_modified() -> None:
    definition = json.loads(json.dumps(CASES[1]["definition"]))
    before = copy.deepcopy(definition)
    validate_definition(definition)
    assert definition == before


def test_errors_come_before_warnings_and_are_sorted() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Task", "Resource": "foo:bar", "Next": "Z"},
            "B": {"Type": "Pass", "End": True},
        },
    }
    found = validate_definition(definition)
    assert _codes(found) == ["ASL201", "ASL202", "ASL116"]
    assert found[-1].severity is Severity.WARNING


def test_deep_nesting_is_a_diagnostic() -> None:
    deep: Any = 1
    for _ in range(300):
        deep = {"v": deep}
    assert _codes(validate_definition(_pass_machine(Result=deep))) == ["ASL005"]


def _parallel(levels: int) -> dict[str, Any]:
    machine: dict[str, Any] = {"StartAt": "L", "States": {"L": {"Type": "Pass", "End": True}}}
    for i in range(levels):
        state = {"Type": "Parallel", "Branches": [machine], "End": True}
        machine = {"StartAt": f"P{i}", "States": {f"P{i}": state}}
    return machine


def test_scope_nesting_limit() -> None:
    assert validate_definition(_parallel(MAX_SCOPE_DEPTH - 1)) == []
    assert _codes(validate_definition(_parallel(MAX_SCOPE_DEPTH))) == ["ASL005"]


def _choice(levels: int) -> dict[str, Any]:
    rule: dict[str, Any] = {"Variable": "$.x", "IsPresent": True}
    for _ in range(levels):
        rule = {"Not": rule}
    rule["Next"] = "E"
    return {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [rule], "Default": "E"},
            "E": {"Type": "Succeed"},
        },
    }


def test_choice_nesting_limit() -> None:
    assert validate_definition(_choice(MAX_RULE_DEPTH - 1)) == []
    assert _codes(validate_definition(_choice(MAX_RULE_DEPTH))) == ["ASL005"]


def test_very_deep_caller_stack_does_not_crash() -> None:
    def nested(depth: int) -> list[Diagnostic]:
        return nested(depth - 1) if depth else validate_definition(_parallel(15))

    assert set(_codes(nested(900))) <= {"ASL005"}


def test_definitions_over_one_mebibyte() -> None:
    assert _codes(validate_definition(_pass_machine(Result="x" * (1024 * 1024)))) == ["ASL004"]
    assert validate_definition(_pass_machine(Result="x" * 500_000)) == []


_GARBAGE = [
    None,
    0,
    -1,
    1.5,
    True,
    "",
    "x",
    "$",
    "$$",
    "{% %}",
    "{%",
    "States.ALL",
    [],
    {},
    [1],
    {"Type": "Pass"},
    {"StartAt": "A", "States": {}},
    "arn:aws:states:::s3:getObject.sync",
]


def _slots(value: Any, out: list[tuple[Any, Any]]) -> None:
    if isinstance(value, dict):
        for key in value:
            out.append((value, key))
            _slots(value[key], out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out.append((value, i))
            _slots(item, out)


@pytest.mark.parametrize("seed", range(4))
def test_mutated_definitions_never_crash(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(150):
        definition = copy.deepcopy(rng.choice(CASES)["definition"])
        for _ in range(rng.randint(1, 4)):
            slots: list[tuple[Any, Any]] = []
            _slots(definition, slots)
            if not slots:
                break
            parent, key = rng.choice(slots)
            parent[key] = copy.deepcopy(rng.choice(_GARBAGE))
        for machine_type in ("STANDARD", "EXPRESS"):
            for diag in validate_definition(definition, state_machine_type=machine_type):
                assert diag.code in CODES


def test_schema_is_a_valid_json_schema() -> None:
    from jsonschema.validators import validator_for

    schema = _structure.load_schema()
    validator_for(schema).check_schema(schema)


def test_validator_is_built_once() -> None:
    assert _structure._validator() is _structure._validator()


def _codes_in_source() -> set[str]:
    text = "".join(
        (ROOT / "asl" / name).read_text() for name in ("structure.py", "rules.py", "validation.py")
    )
    return set(re.findall(r'"(ASL\d{3})"', text))


def test_every_code_used_is_registered() -> None:
    assert _codes_in_source() <= set(CODES)
    for rule in RULES:
        assert set(rule.codes) <= set(CODES), rule


def test_every_code_is_documented_with_an_anchor() -> None:
    text = DOCS.read_text(encoding="utf-8")
    anchors = set(re.findall(r'<a id="(asl\d{3})"></a>', text))
    assert {code.lower() for code in CODES} <= anchors
    for code, spec in CODES.items():
        assert f"## {code}: " in text, code
        if spec.aws_code:
            assert spec.aws_code in text, code


def test_every_validator_code_has_a_case() -> None:
    covered = {d["code"] for case in CASES for d in case["diagnostics"]}
    # Reader and command codes, tested above, in tests/cli and (ASL009) in test_text_edges.py.
    reading = {f"ASL00{n}" for n in range(1, 10)}
    assert set(CODES) - reading <= covered


def test_fast_validator_finds_what_stock_jsonschema_finds() -> None:
    """The speed-ups in asl.structure change nothing: same errors, paths and messages."""
    from tests.conftest import conformance_dir

    definitions = [case["definition"] for case in CASES]
    root = conformance_dir()
    if root is not None:
        for path in sorted(root.glob("*/*.json")):
            case = json.loads(path.read_text())
            if not case.get("definition_is_raw_text"):
                definitions.append(case["definition"])
    fast, stock = _structure._validator(), _structure.stock_validator()

    def errors(validator: Any, definition: Any) -> list[tuple[Any, ...]]:
        return sorted(
            (list(e.absolute_path), e.validator, e.message)
            for e in validator.iter_errors(definition)
        )

    for definition in definitions:
        assert errors(fast, definition) == errors(stock, definition)


def test_a_cloudformation_resource_is_reported_once_for_express_machines() -> None:
    definition = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": {"Ref": "Fn"}, "End": True}},
    }
    for kind in ("STANDARD", "EXPRESS"):
        found = validate_definition(definition, state_machine_type=kind)
        assert [(d.code, d.pointer) for d in found] == [("ASL116", "/States/T/Resource")], kind
