"""Text edges of a definition: every public entry point gives the same clear answer.

``asl.validate`` reports a diagnostic (stable code, position) exactly when ``asl.load`` raises
:class:`asl.DefinitionError` carrying it; ``asl validate`` prints it and exits 2 (the text cannot
be read as a definition); a CloudFormation template holding the same text reports it too.
Never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import asl
from runtime.cli import main

PASS = '{"StartAt":"A","States":{"A":{"Type":"Pass","Result":%s,"End":true}}}'
YAML_PASS = "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Result: %s\n    End: true\n"


def _alias_bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def _deep_list(levels: int) -> Any:
    value: Any = []
    for _ in range(levels):
        value = [value]
    return value


# (id, definition given to asl.validate/asl.load, code, line, column). Nesting: "Result" is 3
# levels deep, so the 257th level (one past the limit of 256) is its 254th bracket.
EDGES: list[tuple[str, Any, str, int | None, int | None]] = [
    ("escaped lone surrogate", PASS % '"\\ud800"', "ASL009", 1, 45),
    ("raw lone surrogate in a str", PASS % '"x\ud800"', "ASL009", 1, 45),
    ("lone surrogate in a key", PASS % '{"k\\udfff": 1}', "ASL009", 1, 55),
    (
        "lone surrogate in a state name",
        (PASS % 1).replace('"A":{', '"A\\ud800":{'),
        "ASL009",
        1,
        26,
    ),
    ("mapping with a lone surrogate", json.loads(PASS % '"\\ud800"'), "ASL009", None, None),
    ("mapping with NaN", json.loads(PASS % "NaN"), "ASL009", None, None),
    ("mapping with Infinity", json.loads(PASS % "[-Infinity]"), "ASL009", None, None),
    ("1e999 reads as Infinity", PASS % "1e999", "ASL009", 1, 45),
    ("NaN in JSON text", PASS % "NaN", "ASL001", 1, 54),
    ("Infinity in JSON text", PASS % "-Infinity", "ASL001", 1, 54),
    (".nan in YAML", YAML_PASS % ".nan", "ASL001", 5, 13),
    ("-.inf in YAML", YAML_PASS % "-.inf", "ASL001", 5, 13),
    ("lone surrogate escape in YAML", YAML_PASS % '"\\ud800"', "ASL001", 5, 16),
    ("raw lone surrogate in YAML", YAML_PASS % "x\ud800", "ASL009", 5, 14),
    ("only non-ASCII blanks", "\u3000\n\u00a0\n", "ASL001", 1, 1),
    ("blank lines then an em space", "\n\n \u2003\n", "ASL001", 3, 2),
    ("a no-break space before the object", "\u00a0" + PASS % "1", "ASL001", 1, 1),
    ("a no-break space inside the object", PASS.replace(",", ",\u00a0", 1) % 1, "ASL001", 1, 16),
    ("10,000 levels of JSON arrays", PASS % ("[" * 10_000 + "]" * 10_000), "ASL005", 1, 54 + 253),
    (
        "10,000 levels of JSON objects",
        PASS % ('{"a":' * 10_000 + "1" + "}" * 10_000),
        "ASL005",
        1,
        54 + 5 * 253,
    ),
    (
        "10,000 levels of YAML flow",
        YAML_PASS % ("[" * 10_000 + "]" * 10_000),
        "ASL005",
        5,
        13 + 253,
    ),
    ("a YAML alias bomb", _alias_bomb(), "ASL004", 6, 45),
    (
        "a mapping nested 3,000 levels",
        {"StartAt": "A", "States": _deep_list(3_000)},
        "ASL005",
        None,
        None,
    ),
]


@pytest.mark.parametrize(
    ("definition", "code", "line", "column"), [e[1:] for e in EDGES], ids=[e[0] for e in EDGES]
)
def test_validate_and_load_agree(
    definition: Any, code: str, line: int | None, column: int | None
) -> None:
    found = asl.validate(definition)
    assert [(d.code, d.line, d.column) for d in found] == [(code, line, column)], found
    assert found[0].message
    with pytest.raises(asl.DefinitionError) as caught:
        asl.load(definition)
    assert caught.value.diagnostics == found


TEXTS = [e for e in EDGES if isinstance(e[1], str)]
FILES = [e for e in TEXTS if "raw" not in e[0]]  # a UTF-8 file cannot hold a raw surrogate


@pytest.mark.parametrize(
    ("text", "code", "line", "column"), [e[1:] for e in FILES], ids=[e[0] for e in FILES]
)
@pytest.mark.parametrize("guessed", [False, True], ids=["by-extension", "guessed"])
def test_cli_reports_it_and_exits_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    code: str,
    line: int,
    column: int,
    guessed: bool,
) -> None:
    suffix = ".asl" if guessed else ".json" if text.lstrip(" \n")[:1] == "{" else ".yaml"
    path = tmp_path / f"machine{suffix}"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    out = capsys.readouterr().out
    assert f"{path}:{line}:{column}: {code} " in out, out


@pytest.mark.parametrize("text", [e[1] for e in TEXTS], ids=[e[0] for e in TEXTS])
def test_template_definition_string_reports_it(text: str) -> None:
    """The same text as a CloudFormation DefinitionString: a diagnostic, never an exception."""
    from asl.cloudformation import find_state_machines

    template = {
        "Resources": {
            "M": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"DefinitionString": text},
            }
        }
    }
    [machine] = find_state_machines(template)
    if machine.definition is None:
        assert machine.problems
    else:
        assert any(d.severity is asl.Severity.ERROR for d in asl.validate(machine.definition))
