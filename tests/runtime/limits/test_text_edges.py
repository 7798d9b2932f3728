"""Input that is not a JSON payload is refused before anything runs; task results and data
that JSON cannot carry end the execution FAILED (never RUNNING, never a raise)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

import runtime
from runtime.cli import main
from runtime.core.jsontext import JsonTextError
from runtime.stores import SqliteStore
from tests.runtime.limits.deep_machines import ROUTES

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def nested(levels: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(levels):
        value = [value]
    return value


INPUT_TEXT = {
    "NaN": ("NaN", "NaN is not a JSON value"),
    "Infinity": ('{"a": Infinity}', "Infinity is not a JSON value"),
    "1e999": ("[1e999]", "too large for a double"),
    "lone surrogate": ('{"a": "\\ud800"}', "lone surrogate"),
    "10,000 levels": ("[" * 10_000 + "]" * 10_000, "nested deeper than 512 levels"),
}
INPUT_VALUES = {
    "NaN": ({"a": float("nan")}, "JSON has no NaN or Infinity"),
    "lone surrogate": ({"a": "\ud800"}, "lone surrogate"),
    "1,500 levels": (nested(1_500), "nested deeper than 512 levels"),
    "a set": ({"a": {1}}, "a set is not a JSON value"),
}


@pytest.mark.parametrize("case", INPUT_TEXT)
def test_execute_refuses_input_json_that_is_not_a_payload(case: str) -> None:
    text, message = INPUT_TEXT[case]
    with pytest.raises(JsonTextError, match=message):
        runtime.execute(PASS, input_json=text)


@pytest.mark.parametrize("case", INPUT_VALUES)
def test_execute_refuses_an_input_value_that_is_not_a_payload(case: str) -> None:
    value, message = INPUT_VALUES[case]
    with pytest.raises(ValueError, match=message):
        runtime.execute(PASS, value)


HANDLERS = """
def deep(event):
    value = []
    for _ in range(1500):
        value = [value]
    return value


def nan(event):
    return {"x": float("nan")}


def surrogate(event):
    return {"s": "\\ud800"}
"""

TASK_RESULTS = {
    "1,500 levels": "nested deeper than 512 levels",
    "NaN": "Out of range float values are not JSON compliant",
    "lone surrogate": "lone surrogate",
}


@pytest.fixture
def handlers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    module = f"edge_handlers_{abs(hash(tmp_path)) % 10**8}"
    (tmp_path / f"{module}.py").write_text(HANDLERS)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yield module
    sys.modules.pop(module, None)


def _task(module: str, case: str) -> dict[str, Any]:
    function = {"1,500 levels": "deep", "NaN": "nan", "lone surrogate": "surrogate"}[case]
    resource = f"python:{module}:{function}"
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True}}}


@pytest.mark.parametrize("case", TASK_RESULTS)
def test_a_task_result_json_cannot_carry_fails_the_execution(handlers: str, case: str) -> None:
    result = runtime.execute(_task(handlers, case), {})
    assert (result.status, result.error) == ("FAILED", "Runtime.MarshalError")
    assert TASK_RESULTS[case] in result.cause
    json.dumps(result.history).encode("utf-8")  # the history is JSON, in UTF-8


@pytest.mark.parametrize("case", TASK_RESULTS)
def test_asl_run_stores_such_an_execution_failed(
    handlers: str, case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "task.json").write_text(json.dumps(_task(handlers, case)))
    store = str(tmp_path / "s.sqlite3")
    code = main(["run", "task.json", "--name", "t", "--store", store, "--input", "{}"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "FAILED: Runtime.MarshalError" in err
    opened = SqliteStore(store)
    try:
        assert opened.get("t").status == "FAILED"
    finally:
        opened.close()


def test_data_nested_by_a_loop_ends_an_express_execution_failed() -> None:
    result = runtime.execute(ROUTES["Parameters"], {}, express=True, keep_history=False)
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "nested deeper than 512 levels" in result.cause


def _pass(parameters: Any) -> dict[str, Any]:
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", **parameters, "End": True}}}


def _jsonata(output: str) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", **_pass({"Output": output})}


# What could make a string that is not Unicode (a lone surrogate) inside an execution: only
# States.StringToJson of an escape does; it fails as an intrinsic. The rest give Unicode text.
MADE_TEXT = {
    "StringToJson, a string": (
        _pass({"Parameters": {"a.$": "States.StringToJson($.s)"}}),
        {"s": '"\\ud800"'},
        "States.IntrinsicFailure",
    ),
    "StringToJson, a key": (
        _pass({"Parameters": {"a.$": "States.StringToJson($.s)"}}),
        {"s": '{"\\udc00x": 1}'},
        "States.IntrinsicFailure",
    ),
    "StringToJson inside States.Array": (
        _pass({"Parameters": {"a.$": "States.Array(States.StringToJson($.s))"}}),
        {"s": '["\\ud83d"]'},
        "States.IntrinsicFailure",
    ),
    "StringToJson, a whole pair": (
        _pass({"Parameters": {"a.$": "States.StringToJson($.s)"}}),
        {"s": '"\\ud83d\\ude00"'},
        None,
    ),
    "Base64Decode of bytes that are not UTF-8": (
        _pass({"Parameters": {"a.$": "States.Base64Decode($.b)"}}),
        {"b": "7aCA"},  # ED A0 80: a surrogate encoded as if it were a character
        None,
    ),
    "StringSplit of a pair": (
        _pass({"Parameters": {"a.$": "States.StringSplit($.e, 'x')"}}),
        {"e": "\U0001f600x\U0001f600"},
        None,
    ),
    "JSONata $substring of a pair": (
        _jsonata("{% $substring($states.input.e, 0, 1) %}"),
        {"e": "\U0001f600x"},
        None,
    ),
    "JSONata $split of a pair": (
        _jsonata("{% $split($states.input.e, '') %}"),
        {"e": "\U0001f600"},
        None,
    ),
    "JSONata $base64decode": (
        _jsonata("{% $base64decode('7aCA') %}"),
        {},
        "States.QueryEvaluationError",
    ),
}


@pytest.mark.parametrize("case", MADE_TEXT)
def test_text_made_in_an_execution_is_unicode(case: str) -> None:
    definition, value, error = MADE_TEXT[case]
    result = runtime.execute(definition, value)
    assert (result.status, result.error) == (("FAILED", error) if error else ("SUCCEEDED", None))
    json.dumps(result.output, ensure_ascii=False).encode("utf-8")
    for event in result.history:
        for details in event.values():
            if isinstance(details, dict):
                for text in details.values():
                    if isinstance(text, str):
                        text.encode("utf-8")  # every payload as history shows it: UTF-8
