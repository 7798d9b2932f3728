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
        "Again": {"Type": "Pass", "Next": "Nap"},
    },
}
"""An endless loop that lets time pass: one second per round."""


def write(tmp_path: Path, name: str, definition: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(definition))
    return path


def asl(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the ``asl`` command in a subprocess (its own interpreter, as a user runs it)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "runtime", *args],
        cwd=cwd,
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        check=False,
    )
