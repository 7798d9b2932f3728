"""``asl graph``: formats, --output, templates, --execution colouring of a failed run from the
store, and the errors (exit 2 with a message)."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.graph.examples import ROOT

DEFINITION = "state_machines/error_handling/definition.asl.json"
REJECTED = '{"orderId": "x", "amount": 1, "card": "0000", "gatewayFailures": 0}'


def asl(*args: str, store: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASL_STORE": str(store)} if store else dict(os.environ)
    command = [sys.executable, "-m", "runtime.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("graph") / "executions.sqlite3"
    run = asl(
        "run", DEFINITION, "--input", REJECTED, "--name", "rejected", "--time-skip", store=path
    )
    assert run.returncode == 1, run.stderr
    return path


def test_execution_colours_a_failed_run(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "rejected.svg"
    drawn = asl("graph", "--execution", "rejected", "--output", str(out), store=store)
    assert drawn.returncode == 0, drawn.stderr
    assert "wrote" in drawn.stderr
    root = ET.parse(out).getroot()
    classes = {g.get("data-state-id"): g.get("class") or "" for g in root.iter()}
    assert "state-failed" in classes["Rejected"]
    assert "state-caught" in classes["Charge"]
    assert "state-not_reached" in classes["Confirm"]


def test_mermaid_by_default_and_dot_on_request(store: Path) -> None:
    mermaid = asl("graph", DEFINITION, "--execution", "rejected", store=store)
    assert mermaid.returncode == 0, mermaid.stderr
    assert mermaid.stdout.startswith("flowchart TD")
    assert "class n4 failed" in mermaid.stdout  # Rejected, the fourth state
    dot = asl("graph", DEFINITION, "--format", "dot")
    assert dot.returncode == 0 and dot.stdout.startswith("digraph machine {")


def test_a_template_machine() -> None:
    template = "state_machines/samples/sfn-sns-task-timer/template.yaml"
    drawn = asl("graph", template, "--resource", "TaskTimer", "--format", "dot")
    assert drawn.returncode == 0, drawn.stderr
    assert "digraph" in drawn.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give a definition FILE, or --execution ID"),
        (("nope.json",), "nope.json: no such file"),
        (("--execution", "nobody"), "no execution with ARN or name 'nobody'"),
        (("state_machines/samples/sfn-sns-task-timer/template.yaml",), "--resource LOGICAL_ID"),
        ((DEFINITION, "--resource", "X"), "--resource is for CloudFormation/SAM templates"),
        (
            ("state_machines/two_step_job/definition.asl.json", "--execution", "rejected"),
            "did not run this definition",
        ),
        ((DEFINITION, "--format", "png"), "invalid choice"),
    ],
)
def test_errors_exit_2(store: Path, args: tuple[str, ...], message: str) -> None:
    drawn = asl("graph", *args, store=store)
    assert drawn.returncode == 2
    assert message in drawn.stderr
    assert "Traceback" not in drawn.stderr
