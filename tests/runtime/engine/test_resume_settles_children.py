"""``asl resume`` waits for the nested executions it runs (and stops the abandoned ones) before
it closes the store: a resumed parent whose Parallel fails leaves its ``.sync`` child ABORTED,
and the process ends."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

from tests.callbacks.conftest import wait_until
from tests.callbacks.procs import Asl, finish
from tests.runtime.nested.test_cli import executions

GUARD = 120  # seconds: a bound against a hanging process, far beyond what a run takes
HANDLERS = "python:tests.runtime.engine.test_resume_settles_children"


def held(event: dict[str, str]) -> None:
    """First run: touches ``event["started"]`` and waits for ever (until the run is ended).
    Run again (resumed): fails at once, and the child's Retry waits ten minutes."""
    started = Path(event["started"])
    if started.exists():
        raise RuntimeError("resumed")
    started.touch()
    while True:
        time.sleep(0.05)


def fails_once_released(event: dict[str, str]) -> None:
    """Touches ``event["started"]``, then fails once ``event["release"]`` exists."""
    Path(event["started"]).touch()
    while not Path(event["release"]).exists():
        time.sleep(0.05)
    raise RuntimeError("the other branch fails")


def machines(folder: Path) -> Path:
    """``kid.asl.json`` (held, then retried in ten minutes) and ``parent.asl.json``: a Parallel
    whose one branch waits for kid (``.sync:2``) and whose other fails once released."""
    work = {
        "Type": "Task",
        "Resource": f"{HANDLERS}:held",
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 600}],
        "End": True,
    }
    kid = {"StartAt": "Work", "States": {"Work": work}}
    (folder / "kid.asl.json").write_text(json.dumps(kid))
    sync = {
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {
            "StateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:kid",
            "Input": {"started.$": "$.kid"},
        },
        "End": True,
    }
    other = {
        "Type": "Task",
        "Resource": f"{HANDLERS}:fails_once_released",
        "Parameters": {"started.$": "$.other", "release.$": "$.release"},
        "End": True,
    }
    branches = [{"StartAt": n, "States": {n: s}} for n, s in (("Kid", sync), ("Other", other))]
    parent = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "Branches": branches}}}
    parent["States"]["Both"]["End"] = True
    path = folder / "parent.asl.json"
    path.write_text(json.dumps(parent))
    return path


def test_asl_resume_stops_the_child_its_failed_parallel_gave_up(tmp_path: Path) -> None:
    files: dict[str, Any] = {k: str(tmp_path / k) for k in ("kid", "other", "release")}
    asl = Asl(tmp_path / "store.sqlite3")
    run = asl.start(
        "run", str(machines(tmp_path)), "--name", "parent-1", "--input", json.dumps(files)
    )
    wait_until(lambda: all(Path(files[k]).exists() for k in ("kid", "other")), GUARD, "both")
    run.send_signal(signal.SIGINT)
    code, _, err = finish(run, GUARD)
    assert code == 130, err
    assert set(executions(asl).values()) == {"RUNNING"}  # the parent and its child
    Path(files["release"]).touch()
    done = asl.run("resume", "parent-1", timeout=GUARD)
    assert done.returncode == 1, done.stderr
    assert "closed" not in done.stderr and "failed to run" not in done.stderr, done.stderr
    after = executions(asl)
    assert after.pop("parent-1") == "FAILED"
    assert list(after.values()) == ["ABORTED"]
