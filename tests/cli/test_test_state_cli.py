"""``asl test-state`` in a real subprocess, and ``runtime.test_state`` from Python.

The command prints the TestState response as JSON and exits 0 whatever the state's status;
a call AWS refuses exits 2 with AWS's error code and message on stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import runtime

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = ROOT / "tests" / "conformance" / "lambdas.py"
LAMBDA = "arn:aws:lambda:us-east-1:111111111111:function:"
MACHINE = {
    "StartAt": "Fan",
    "States": {
        "Fan": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "StartAt": "Double",
                "States": {
                    "Double": {
                        "Type": "Pass",
                        "Parameters": {
                            "twice.$": "States.MathAdd($.n, $.n)",
                            "by.$": "$$.Execution.Name",
                        },
                        "Next": "Done",
                    },
                    "Done": {"Type": "Succeed"},
                },
            },
            "End": True,
        }
    },
}
RETRIED = {
    "Type": "Task",
    "Resource": LAMBDA + "echo",
    "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 3, "BackoffRate": 2.0}],
    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}],
    "End": True,
}


def asl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runtime", "test-state", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def answered(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def write(path: Path, value: Any) -> str:
    path.write_text(json.dumps(value))
    return str(path)


def test_a_state_inside_a_map_of_a_yaml_machine(tmp_path: Path) -> None:
    import yaml

    machine = tmp_path / "machine.asl.yaml"
    machine.write_text(yaml.safe_dump(MACHINE))
    out = answered(
        asl(
            str(machine),
            "--state-name",
            "Double",
            "--input",
            '{"n": 21}',
            "--context",
            '{"Execution": {"Name": "given"}}',
            "--inspection-level",
            "DEBUG",
            cwd=tmp_path,
        )
    )
    assert out["status"] == "SUCCEEDED" and out["nextState"] == "Done"
    assert json.loads(out["output"]) == {"twice": 42, "by": "given"}
    data = out["inspectionData"]
    assert json.loads(data["afterInputPath"]) == {"n": 21}
    assert json.loads(data["afterParameters"]) == {"twice": 42, "by": "given"}


def test_a_failed_state_is_an_answer_a_refused_call_is_not(tmp_path: Path) -> None:
    fail = write(tmp_path / "fail.json", {"Type": "Fail", "Error": "Bad", "Cause": "why"})
    out = answered(asl(fail, cwd=tmp_path))
    assert (out["status"], out["error"], out["cause"]) == ("FAILED", "Bad", "why")
    refused = asl(fail, "--mock-result", "{}", cwd=tmp_path)
    assert refused.returncode == 2 and not refused.stdout
    assert refused.stderr.strip() == (
        "asl test-state: ValidationException: "
        "State type 'Fail' is not supported when a mock is specified"
    )


def test_mocked_errors_retried_then_caught(tmp_path: Path) -> None:
    task = write(tmp_path / "task.json", RETRIED)
    busy = ("--mock-error", "Busy", "--mock-cause", "later", "--inspection-level", "DEBUG")
    first = answered(asl(task, *busy, cwd=tmp_path))
    assert first["status"] == "RETRIABLE"
    assert first["inspectionData"]["errorDetails"] == {
        "retryIndex": 0,
        "retryBackoffIntervalSeconds": 3,
    }
    last = answered(
        asl(task, *busy, "--state-configuration", '{"retrierRetryCount": 3}', cwd=tmp_path)
    )
    assert (last["status"], last["nextState"]) == ("CAUGHT_ERROR", "Recover")
    assert json.loads(last["output"]) == {"error": {"Error": "Busy", "Cause": "later"}}


def test_an_unmocked_task_runs_its_local_handler(tmp_path: Path) -> None:
    task = write(tmp_path / "task.json", {**RETRIED, "Retry": [], "Catch": []})
    out = answered(
        asl(task, "--input", '{"a": 1}', "--lambda", f"echo={HANDLERS}:echo_function", cwd=tmp_path)
    )
    assert out["status"] == "SUCCEEDED"
    assert json.loads(out["output"]) == {"Return": "HelloWorld"}


def test_a_mock_checked_against_the_api(tmp_path: Path) -> None:
    put = {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "End": True}
    task = write(tmp_path / "put.json", put)
    wrong = '{"ConsumedCapacity": {"CapacityUnits": "1"}}'
    refused = asl(task, "--mock-result", wrong, cwd=tmp_path)
    assert refused.returncode == 2
    assert "Field 'CapacityUnits' must be a number" in refused.stderr
    out = answered(
        asl(task, "--mock-result", wrong, "--field-validation-mode", "NONE", cwd=tmp_path)
    )
    assert json.loads(out["output"]) == {"ConsumedCapacity": {"CapacityUnits": "1"}}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--mock-cause", "c"), "--mock-cause needs --mock-error"),
        (("--input", "{nope"), "InvalidExecutionInput"),
        (("--state-configuration", "[1]"), "--state-configuration must be a JSON object"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    state = write(tmp_path / "pass.json", {"Type": "Pass", "End": True})
    result = asl(state, *args, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr
    missing = asl(str(tmp_path / "missing.json"), cwd=tmp_path)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_the_python_call() -> None:
    out = runtime.test_state(
        {
            "Type": "Pass",
            "QueryLanguage": "JSONata",
            "Assign": {"seen": "{% $states.input %}"},
            "End": True,
        },
        input={"k": [1, 2]},
        variables={"before": True},
        inspection_level="TRACE",
    )
    assert out["status"] == "SUCCEEDED"
    assert json.loads(out["inspectionData"]["variables"]) == {"before": True, "seen": {"k": [1, 2]}}
    with pytest.raises(runtime.TestStateError) as refused:
        runtime.test_state({"Type": "Succeed"}, mock_error="E")
    assert refused.value.code == "ValidationException"
