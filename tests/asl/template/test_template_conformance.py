"""AWS conformance cases that are one JSONPath Pass state: InputPath, Parameters/Result,
ResultPath, OutputPath run through asl.jsonpath and asl.template must give what AWS returned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asl.errors import RUNTIME, PathNotFound, StatesError
from asl.jsonpath import JsonPathNotFound, compile_path, compile_result_path
from asl.template import compile_template
from tests.conftest import conformance_dir

CONFORMANCE = conformance_dir()
FIELDS = {"Type", "End", "Comment", "Parameters", "InputPath", "OutputPath", "ResultPath", "Result"}
SKIP_TEXT = ("$$", "States.UUID", "States.MathRandom")  # need a real context object / randomness


def _cases() -> list[Path]:
    found = []
    for path in sorted((CONFORMANCE / "execution").glob("*.json")):
        case = json.loads(path.read_text())
        definition = case["definition"]
        if (
            definition.get("QueryLanguage", "JSONPath") != "JSONPath"
            or len(definition["States"]) != 1
        ):
            continue
        (state,) = definition["States"].values()
        if state["Type"] != "Pass" or set(state) - FIELDS:
            continue
        if any(text in json.dumps(definition) for text in SKIP_TEXT):
            continue
        found.append(path)
    return found


CASES = _cases()


def _run_pass(state: dict, raw: object) -> object:
    effective = raw
    if "InputPath" in state:
        effective = (
            {} if state["InputPath"] is None else compile_path(state["InputPath"])(raw, {}, {})
        )
    if "Result" in state:
        result = state["Result"]
    elif "Parameters" in state:
        result = compile_template(state["Parameters"], "Parameters")(effective, {}, {})
    else:
        result = effective
    output = compile_result_path(state.get("ResultPath", "$"))(raw, result)
    if "OutputPath" in state:
        path = state["OutputPath"]
        if path is None:
            return {}
        try:
            output = compile_path(path)(output, {}, {})
        except JsonPathNotFound as exc:
            raise StatesError(RUNTIME, f"Invalid path '{path}' : {exc.detail}")
    return output


@pytest.mark.skipif(not CASES, reason=f"no conformance cases under {CONFORMANCE}")
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_pass_state_matches_aws(path: Path) -> None:
    case = json.loads(path.read_text())
    ((name, state),) = case["definition"]["States"].items()
    expected = case["expected"]
    if expected["status"] == "SUCCEEDED":
        assert _run_pass(state, case["input"]) == expected["output"]
        return
    with pytest.raises(StatesError) as info:
        _run_pass(state, case["input"])
    assert info.value.error == expected["error"]
    prefix = f"An error occurred while executing the state '{name}' (entered at the event id #2). "
    cause = expected["cause"].replace(
        "<json-input:1>", json.dumps(case["input"], separators=(",", ":"))
    )
    assert prefix + (info.value.cause or "") == cause


def test_there_are_cases() -> None:
    if CONFORMANCE.exists():
        assert len(CASES) > 30


def test_output_path_detail_wording() -> None:
    with pytest.raises(PathNotFound) as info:
        compile_path("$.no.such.result.path")({}, {}, {})
    assert f"Invalid path '$.no.such.result.path' : {info.value.detail}" == (  # type: ignore[attr-defined]
        "Invalid path '$.no.such.result.path' : Missing property in path $['no']"
    )
