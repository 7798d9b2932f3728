"""Smoke test of ``bench/aws_integrations.py --quick``: every row of its tables is there and every
measured execution and ``asl run`` ended as it should. No time is asserted, ever."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = ("dynamodb:putItem", "sqs:sendMessage", "aws-sdk:dynamodb:getItem")
STARTUP_ROWS = (
    "`asl run` of a Pass machine",
    "`asl run --aws moto` of a one-task machine",
    "difference: the embedded AWS's start-up and first call",
    "in process: `embedded.start()`",
    "in process: first one-task execution after it",
    "in process: later one-task executions",
)


def _row(report: str, label: str) -> list[str]:
    """The cells of the table row that starts with ``label``."""
    for line in report.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == label:
            return cells
    raise AssertionError(f"no row {label!r} in:\n{report}")


def test_quick_run_prints_every_row_and_every_run_succeeds(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "bench/aws_integrations.py", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    report = done.stdout

    for operation in OPERATIONS:
        cells = _row(report, operation)
        assert cells[-1] == "ok", cells  # the machine's execution SUCCEEDED
        assert cells[1].endswith(" ms") and cells[2].endswith(" ms"), cells
        assert cells[4] in ("PASS", "MISS"), cells
    for label in STARTUP_ROWS:
        cells = _row(report, label)
        assert cells[1].endswith(" ms"), cells
        if label != STARTUP_ROWS[2]:
            assert cells[2] == "ok", cells

    results = json.loads(output.read_text(encoding="utf-8"))
    rows = results["overhead"]["operations"]
    assert [r["operation"] for r in rows] == list(OPERATIONS)
    for row in rows:
        assert row["status"] == "SUCCEEDED", row
        assert len(row["ours_seconds"]) == len(row["bare_seconds"]) == results["runs"] == 3
    assert results["startup"]["moto"]["exit_codes"] == [0]
    assert results["startup"]["pass"]["exit_codes"] == [0]
    assert results["first_call"]["statuses"] == ["SUCCEEDED"]
