"""``asl validate`` end to end: files, directories, globs, templates, formats and exit codes.

The validator itself is replaced by a small stand-in (``_stand_in``), so these tests pin down the
command's behaviour, not the rules; one subprocess test runs the installed ``asl`` script.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from asl.diagnostics import Diagnostic
from runtime.cli import main

VALID = '{\n  "StartAt": "A",\n  "States": {"A": {"Type": "Pass", "End": true}}\n}\n'
INVALID = '{\n  "StartAt": "A",\n  "States": {\n    "A": {"Type": "Pass", "Next": "Nope"}\n  }\n}\n'
VALID_YAML = "StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n"
INVALID_YAML = "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Next: Nope\n"


def _stand_in(definition, *, state_machine_type="STANDARD"):
    """A minimal validator: object root, states are objects, Next targets exist, ARN Resources."""
    CALLS.append(state_machine_type)
    if not isinstance(definition, dict):
        return [Diagnostic("ASL100", "Definition must be a valid JSON object", "", "SCHEMA")]
    problems = []
    states = definition.get("States")
    for name, state in (states or {}).items() if isinstance(states, dict) else ():
        pointer = "/States/" + name.replace("~", "~0").replace("/", "~1")
        if not isinstance(state, dict):
            problems.append(Diagnostic("ASL101", f"state {name} is not an object", pointer))
            continue
        resource = state.get("Resource")
        if isinstance(resource, str) and not resource.startswith("arn:"):
            problems.append(Diagnostic("ASL301", "Resource is not an ARN", pointer + "/Resource"))
        if "Next" in state and state["Next"] not in states:
            message = f'Next target "{state["Next"]}" does not exist'
            problems.append(
                Diagnostic("ASL201", message, pointer + "/Next", "MISSING_TRANSITION_TARGET")
            )
    return problems


CALLS: list[str] = []


@pytest.fixture(autouse=True)
def stand_in_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("asl.validation")
    module.validate_definition = _stand_in
    monkeypatch.setitem(sys.modules, "asl.validation", module)
    CALLS.clear()


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


SAM_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
  Inline:
    Type: AWS::Serverless::StateMachine
    Properties:
      Type: EXPRESS
      Definition:
        StartAt: A
        States:
          A:
            Type: Task
            Resource: !GetAtt Fn.Arn
            Next: Missing
  FromFile:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachine/flow.asl.json
      DefinitionSubstitutions:
        FnArn: !GetAtt Fn.Arn
"""

FLOW = (
    '{\n  "StartAt": "A",\n  "States": {\n'
    '    "A": {"Type": "Task", "Resource": "${FnArn}", "Next": "Gone"}\n  }\n}\n'
)

CFN_TEMPLATE = {
    "Resources": {
        "Machine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "DefinitionString": {
                    "Fn::Sub": '{"StartAt": "A", "States": {"A": {"Type": "Task", '
                    '"Resource": "${Fn.Arn}", "TimeoutSeconds": ${Timeout}, "Next": "X"}}}'
                }
            },
        },
        "Good": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {"Definition": json.loads(VALID)},
        },
    }
}

CFN_YAML_TEMPLATE = """\
Resources:
  M:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionString: !Sub |
        {
          "StartAt": "A",
          "States": {
            "A": {"Type": "Task", "Resource": "${F.Arn}", "Next": "B"}
          }
        }
"""

# (files, arguments, exit code, expected "file:line:col: CODE" prefixes on stdout)
CASES = {
    "valid file": ({"m.json": VALID}, ["m.json"], 0, []),
    "invalid file": ({"m.json": INVALID}, ["m.json"], 1, ["m.json:4:27: ASL201"]),
    "valid and invalid": (
        {"a.json": VALID, "b.json": INVALID},
        ["a.json", "b.json"],
        1,
        ["b.json:4:27: ASL201"],
    ),
    "yaml file": ({"m.yaml": INVALID_YAML}, ["m.yaml"], 1, ["m.yaml:5:5: ASL201"]),
    "valid yaml": ({"m.yml": VALID_YAML}, ["m.yml"], 0, []),
    "directory recursion": (
        {
            "d/a.asl.json": VALID,
            "d/sub/b.json": INVALID,
            "d/sub/deeper/c.yaml": INVALID_YAML,
            "d/package.json": '{"name": "not a machine"}',
            "d/notes.yaml": "a: 1\n",
            "d/.hidden/h.json": INVALID,
            "d/node_modules/n.json": INVALID,
            "d/readme.txt": INVALID,
        },
        ["d"],
        1,
        ["d/sub/b.json:4:27: ASL201", "d/sub/deeper/c.yaml:5:5: ASL201"],
    ),
    "glob": (
        {"g/a.asl.json": INVALID, "g/x/b.asl.json": INVALID, "g/c.json": INVALID},
        ["g/**/*.asl.json"],
        1,
        ["g/a.asl.json:4:27: ASL201", "g/x/b.asl.json:4:27: ASL201"],
    ),
    "glob matching folders searches them": (
        {"svc1/a.json": INVALID, "svc2/readme.txt": "x", "svc3.json": VALID},
        ["svc*"],
        1,
        ["svc1/a.json:4:27: ASL201"],
    ),
    "SAM template": (
        {"template.yaml": SAM_TEMPLATE, "statemachine/flow.asl.json": FLOW},
        ["template.yaml"],
        1,
        [
            "template.yaml:15:13: ASL201 [Inline]",
            "statemachine/flow.asl.json:4:51: ASL201 [FromFile]",
        ],
    ),
    "SAM project directory: the DefinitionUri file is checked once, substituted": (
        {"p/template.yaml": SAM_TEMPLATE, "p/statemachine/flow.asl.json": FLOW},
        ["p"],
        1,
        ["p/template.yaml:15:13: ASL201", "p/statemachine/flow.asl.json:4:51: ASL201 [FromFile]"],
    ),
    "CloudFormation DefinitionString with Fn::Sub": (
        {"cfn.json": json.dumps(CFN_TEMPLATE, indent=2)},
        ["cfn.json"],
        1,
        ["cfn.json:6:9: ASL201 [Machine]"],
    ),
    "CloudFormation YAML DefinitionString block: positions inside it": (
        {"t.yaml": CFN_YAML_TEMPLATE},
        ["t.yaml"],
        1,
        ["t.yaml:9:59: ASL201 [M]"],
    ),
    "SAM DefinitionUri file with ${Name} in value positions: substituted before parsing": (
        {
            "template.yaml": SAM_TEMPLATE.replace(
                "FnArn: !GetAtt Fn.Arn", "FnArn: !GetAtt Fn.Arn\n        Max: 10"
            ),
            "statemachine/flow.asl.json": FLOW.replace(
                '"Next"', '"TimeoutSeconds": ${Max}, "Next"'
            ),
        },
        ["template.yaml"],
        1,
        [
            "template.yaml:15:13: ASL201 [Inline]",
            "statemachine/flow.asl.json:4:77: ASL201 [FromFile]",
        ],
    ),
    "template: a duplicate key outside the state machine is a warning": (
        {
            "t.yaml": "Parameters:\n  P: {Type: String}\n  P: {Type: String}\nResources:\n"
            "  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n"
            "      Definition: {StartAt: A, States: {A: {Type: Pass, End: true}}}\n",
        },
        ["t.yaml"],
        0,
        ["t.yaml:3:3: ASL002"],
    ),
    "template: a duplicate key inside the state machine is an error": (
        {
            "d.yaml": "Resources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n"
            "    Properties:\n      Definition: {StartAt: A, StartAt: A, States: {}}\n",
        },
        ["d.yaml"],
        1,
        ["d.yaml:5:32: ASL002"],
    ),
    "SAM DefinitionUri file missing": (
        {"template.yaml": SAM_TEMPLATE},
        ["template.yaml"],
        2,
        [
            "template.yaml:15:13: ASL201 [Inline]",
            "statemachine/flow.asl.json:1:1: ASL006 [FromFile]",
        ],
    ),
    "definition with ${} outside a template": (
        {"flow.asl.json": FLOW.replace("Gone", "A")},
        ["flow.asl.json"],
        1,
        ["flow.asl.json:4:27: ASL301"],
    ),
    # bad input, each one
    "empty file": ({"e.json": ""}, ["e.json"], 2, ["e.json:1:1: ASL001"]),
    "not JSON or YAML": (
        {"t.txt": "\n  not a definition"},
        ["t.txt"],
        2,
        ["t.txt:2:3: ASL001"],
    ),
    "broken JSON": ({"b.json": '{\n  "StartAt": "A",\n}'}, ["b.json"], 2, ["b.json:3:1: ASL001"]),
    "broken YAML": ({"b.yaml": "a: [1, 2\nb: 3\n"}, ["b.yaml"], 2, ["b.yaml:2:2: ASL001"]),
    "JSON that is not an object": ({"l.json": "[1, 2]"}, ["l.json"], 1, ["l.json:1:1: ASL100"]),
    "a state that is not an object": (
        {"s.json": '{"StartAt": "A",\n "States": {\n  "A": 42}}'},
        ["s.json"],
        1,
        ["s.json:3:3: ASL101"],
    ),
    "10,000 levels of nesting": (
        {"deep.json": '{"a": ' + "[" * 10_000 + "]" * 10_000 + "}"},
        ["deep.json"],
        2,
        ["deep.json:1:262: ASL005"],
    ),
    "bytes that are not UTF-8": (
        {"u.json": b'{\n  "Comment": "caf\xe9"\n}'},
        ["u.json"],
        2,
        ["u.json:2:18: ASL003"],
    ),
    "duplicate keys": (
        {
            "d.json": '{"StartAt": "A",\n "States": {"A": {"Type": "Pass", "End": true}},\n'
            ' "StartAt": "A"}'
        },
        ["d.json"],
        1,
        ["d.json:3:2: ASL002"],
    ),
    "a lone surrogate in a key, printed escaped": (
        {"s.json": '{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "\\ud800"}}}'},
        ["s.json"],
        1,
        ['s.json:1:51: ASL201 Next target "\\ud800" does not exist'],
    ),
    "missing file": ({}, ["nope.json"], 2, ["nope.json:1:1: ASL006"]),
    "missing file beats an invalid one": (
        {"b.json": INVALID},
        ["b.json", "nope.json"],
        2,
        ["b.json:4:27: ASL201", "nope.json:1:1: ASL006"],
    ),
    "directory with no definitions": (
        {"empty/package.json": '{"name": "x"}', "empty/a.txt": "x"},
        ["empty"],
        2,
        [],
    ),
    "glob matching nothing": ({}, ["none/*.json"], 2, []),
    "template with no state machine": (
        {"t.yaml": "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"},
        ["t.yaml"],
        0,
        [],
    ),
}


@pytest.mark.parametrize(("files", "args", "exit_code", "expected"), CASES.values(), ids=CASES)
def test_validate(tmp_path, monkeypatch, capsys, files, args, exit_code, expected) -> None:
    write(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *args)
    lines = out.splitlines()
    assert [line.split(" ", 2)[:2] for line in lines] == [e.split(" ", 2)[:2] for e in expected], (
        out
    )
    for line, prefix in zip(lines, expected, strict=True):
        assert line.startswith(prefix), line
    assert code == exit_code, out + err
    assert "checked" in err.splitlines()[-1]
    assert "Traceback" not in out + err


def test_summary_line(tmp_path, monkeypatch, capsys) -> None:
    write(tmp_path, {"a.json": VALID, "b.json": INVALID, "c.json": "{"})
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "a.json", "b.json", "c.json")
    assert code == 2
    assert err.splitlines()[-1] == "3 files checked, 2 invalid, 1 could not be read (2 problems)"


def test_usage_errors_are_explained(tmp_path, monkeypatch, capsys) -> None:
    write(tmp_path, {"empty/a.txt": "x"})
    monkeypatch.chdir(tmp_path)
    _, _, err = run(capsys, "empty", "none/*.json")
    assert "no state machine definitions or templates found in 'empty'" in err
    assert "no files match 'none/*.json'" in err


def test_a_50_mb_file_is_refused_without_reading_it(tmp_path, monkeypatch, capsys) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: nothing to read if we tried
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "big.json")
    assert code == 2
    assert out.startswith("big.json:1:1: ASL004 the file is 52,428,800 bytes")


def test_type_option_and_template_type(tmp_path, monkeypatch, capsys) -> None:
    write(
        tmp_path,
        {"m.json": VALID, "template.yaml": SAM_TEMPLATE, "statemachine/flow.asl.json": FLOW},
    )
    monkeypatch.chdir(tmp_path)
    run(capsys, "m.json", "template.yaml")
    assert CALLS == ["STANDARD", "EXPRESS", "STANDARD"]
    CALLS.clear()
    run(capsys, "--type", "express", "m.json", "template.yaml")
    assert CALLS == ["EXPRESS", "EXPRESS", "EXPRESS"]


@pytest.mark.parametrize("args", [["--format", "xml", "m.json"], [], ["--type", "LOCAL", "m.json"]])
def test_usage_error_exits_2(capsys, args) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["validate", *args])
    assert caught.value.code == 2
    assert "usage:" in capsys.readouterr().err


# -- output formats -------------------------------------------------------------------------------

FORMAT_FILES = {"good.json": VALID, "bad.json": INVALID, "broken.json": '{"a": 1,}'}


def test_json_format(tmp_path, monkeypatch, capsys) -> None:
    write(tmp_path, FORMAT_FILES)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "--format", "json", "good.json", "bad.json", "broken.json")
    assert code == 2
    document = json.loads(out)
    assert [(f["file"], f["valid"], len(f["problems"])) for f in document] == [
        ("good.json", True, 0),
        ("bad.json", False, 1),
        ("broken.json", False, 1),
    ]
    assert document[1]["problems"][0] == {
        "code": "ASL201",
        "aws_code": "MISSING_TRANSITION_TARGET",
        "severity": "ERROR",
        "message": 'Next target "Nope" does not exist',
        "pointer": "/States/A/Next",
        "line": 4,
        "column": 27,
        "machine": None,
    }
    assert document[2]["problems"][0]["code"] == "ASL001"


def test_json_format_for_templates_names_the_machine(tmp_path, monkeypatch, capsys) -> None:
    write(tmp_path, {"template.yaml": SAM_TEMPLATE, "statemachine/flow.asl.json": FLOW})
    monkeypatch.chdir(tmp_path)
    _, out, _ = run(capsys, "--format", "json", "template.yaml")
    template, flow = json.loads(out)
    [problem] = template["problems"]
    assert problem["machine"] == "Inline"
    assert problem["pointer"] == "/Resources/Inline/Properties/Definition/States/A/Next"
    assert (problem["line"], problem["column"]) == (15, 13)
    assert flow["file"] == os.path.join("statemachine", "flow.asl.json")
    assert flow["problems"][0]["pointer"] == "/States/A/Next"


def test_github_format(tmp_path, monkeypatch, capsys) -> None:
    write(tmp_path, {**FORMAT_FILES, "a,b.json": '{"StartAt": "A", "States": {"A": 1}}'})
    monkeypatch.chdir(tmp_path)
    _, out, _ = run(
        capsys, "--format", "github", "good.json", "bad.json", "broken.json", "a,b.json"
    )
    assert out.splitlines() == [
        '::error file=bad.json,line=4,col=27,title=ASL201::Next target "Nope" does not exist',
        "::error file=broken.json,line=1,col=9,title=ASL001::not valid JSON: expecting property "
        "name enclosed in double quotes; keys need double quotes, and a comma may not come before "
        "'}'",
        "::error file=a%2Cb.json,line=1,col=29,title=ASL101::state A is not an object",
    ]


def test_sarif_format(tmp_path, monkeypatch, capsys) -> None:
    write(tmp_path, {**FORMAT_FILES, "also_bad.json": INVALID})
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(
        capsys, "--format", "sarif", "good.json", "bad.json", "broken.json", "also_bad.json"
    )
    assert code == 2
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    assert "sarif" in sarif["$schema"]
    [sarif_run] = sarif["runs"]
    rules = sarif_run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == ["ASL201", "ASL001"]
    assert rules[0]["helpUri"].endswith("diagnostics.md#asl201")
    assert all(rule["shortDescription"]["text"] not in ("", rule["id"]) for rule in rules)
    results = sarif_run["results"]
    assert [(r["ruleId"], r["ruleIndex"], r["level"]) for r in results] == [
        ("ASL201", 0, "error"),
        ("ASL001", 1, "error"),
        ("ASL201", 0, "error"),
    ]
    location = results[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "bad.json"
    assert location["region"] == {"startLine": 4, "startColumn": 27}
    assert results[0]["message"]["text"] == 'Next target "Nope" does not exist'
    assert results[0]["properties"]["pointer"] == "/States/A/Next"


def test_sarif_without_problems_is_still_a_document(tmp_path, monkeypatch, capsys) -> None:
    write(tmp_path, {"good.json": VALID})
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "--format", "sarif", "good.json")
    assert code == 0
    assert json.loads(out)["runs"][0]["results"] == []


def test_warnings_do_not_make_a_file_invalid(tmp_path, monkeypatch, capsys) -> None:
    template = {
        "Resources": {
            "M": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"DefinitionS3Location": {"Bucket": "b", "Key": "k"}},
            }
        }
    }
    write(tmp_path, {"t.json": json.dumps(template)})
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "--format", "github", "t.json")
    assert code == 0
    assert out.startswith("::warning file=t.json,line=1,col=")
    assert "title=ASL008::[M] not checked" in out or "title=ASL008::[M]" in out


# -- the installed script -------------------------------------------------------------------------


def _asl_command() -> list[str]:
    script = shutil.which("asl")
    return [script] if script else [sys.executable, "-m", "runtime"]


def test_asl_script_in_a_subprocess(tmp_path) -> None:
    write(tmp_path, {"broken.asl.json": '{\n  "StartAt": "A",,\n}'})
    result = subprocess.run(
        [*_asl_command(), "validate", "broken.asl.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout.startswith("broken.asl.json:2:18: ASL001 not valid JSON")
    assert (
        result.stderr.splitlines()[-1]
        == "1 file checked, 1 invalid, 1 could not be read (1 problem)"
    )
    assert "Traceback" not in result.stderr


def test_asl_script_with_the_real_validator(tmp_path, monkeypatch) -> None:
    monkeypatch.delitem(sys.modules, "asl.validation")  # the stand-in
    pytest.importorskip("asl.validation", reason="the validator is not written yet")
    write(tmp_path, {"good.asl.json": VALID, "bad.asl.json": INVALID})
    command = [*_asl_command(), "validate", "--format", "json", "good.asl.json", "bad.asl.json"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    good, bad = json.loads(result.stdout)
    assert good["valid"] and not good["problems"]
    assert not bad["valid"]
    assert any(p["pointer"] == "/States/A/Next" and p["line"] == 4 for p in bad["problems"])
