"""Machines and helpers shared by the limit tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


def counter_loop(rounds: int) -> dict[str, Any]:
    """A Pass/Choice loop of ``rounds`` rounds (four events each), then Succeed."""
    return {
        "StartAt": "Inc",
        "States": {
            "Inc": {
                "Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($.n, 1)"},
                "Next": "Check",
            },
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThan": rounds, "Next": "Done"}],
                "Default": "Inc",
            },
            "Done": {"Type": "Succeed"},
        },
    }


COUNTER_LOOP = counter_loop(10_000_000)
"""A loop far past any limit."""

WAIT_LOOP = {
    "StartAt": "Nap",
    "States": {
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Again"},
        "Again": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.stop", "IsPresent": True, "Next": "Done"}],
            "Default": "Nap",
        },
        "Done": {"Type": "Succeed"},
    },
}
"""An endless loop that lets time pass: one second per round."""


def write(tmp_path: Path, name: str, definition: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(definition))
    return path


BURST_LOOP = {
    "StartAt": "Reset",
    "States": {
        "Reset": {"Type": "Pass", "Result": {"n": 0}, "Next": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Check"},
        "Check": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.n", "NumericGreaterThan": 20_000, "Next": "Nap"},
                {"Variable": "$.n", "NumericLessThan": 0, "Next": "Done"},
            ],
            "Default": "Inc",
        },
        "Nap": {"Type": "Wait", "Seconds": 30, "Next": "Reset"},
        "Done": {"Type": "Succeed"},
    },
}
"""An endless loop of 80,000 events per 30 (virtual) seconds: 800,000 events in 5 minutes."""


def peak_rss_mb(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``asl ARGS`` under a fresh interpreter of its own and return (result, the peak
    resident memory of the ``asl`` process in MB): RUSAGE_CHILDREN of a parent that has no
    other child. A run that never ends is killed after 2 minutes (the test then fails)."""
    probe = (
        "import json, resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps([done.returncode, done.stdout, done.stderr, peak]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", probe, sys.executable, "-m", "runtime", *args]
    out = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=True)
    code, stdout, stderr, peak = json.loads(out.stdout)
    return subprocess.CompletedProcess(args, code, stdout, stderr), peak
