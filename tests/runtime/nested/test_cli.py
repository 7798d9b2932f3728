"""F2 through ``asl run``: the process ends once its children are over or suspended, never
writing to the store it has closed; an interrupted run leaves its child to ``asl resume``."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

from tests.callbacks.conftest import wait_until
from tests.callbacks.procs import Asl, finish

GUARD = 120  # seconds: a bound against a hanging process, far beyond what a run takes
HANDLERS = "python:tests.runtime.nested.handlers"


def machines(folder: Path, child_task: dict[str, Any], **parent_task: Any) -> Path:
    """``kid.asl.json`` (one Task) and ``parent.asl.json`` (starts kid with ``.sync:2``, its
    Task with ``parent_task``) in ``folder``; the parent's path."""
    kid = {"StartAt": "Work", "States": {"Work": {**child_task, "End": True}}}
    (folder / "kid.asl.json").write_text(json.dumps(kid))
    start = {
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {
            "StateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:kid",
            "Input.$": "$",
        },
        "OutputPath": "$.Output",
        "End": True,
        **parent_task,
    }
    states: dict[str, Any] = {"Child": start}
    if "Catch" in parent_task:
        states["RolledBack"] = {"Type": "Pass", "Result": "rolled back", "End": True}
    parent = folder / "parent.asl.json"
    parent.write_text(json.dumps({"StartAt": "Child", "States": states}))
    return parent


def executions(asl: Asl) -> dict[str, str]:
    done = asl.run("executions", "--format", "json")
    assert done.returncode == 0, done.stderr
    return {e["name"]: e["status"] for e in json.loads(done.stdout)["executions"]}


def test_asl_run_ends_once_its_timed_out_child_is_stopped(tmp_path: Path) -> None:
    parent = machines(
        tmp_path,
        {"Type": "Task", "Resource": f"{HANDLERS}:forever"},
        TimeoutSeconds=1,
        Catch=[{"ErrorEquals": ["States.Timeout"], "Next": "RolledBack"}],
    )
    asl = Asl(tmp_path / "store.sqlite3")
    done = asl.run("run", str(parent), "--name", "parent-1", timeout=GUARD)
    assert (done.returncode, json.loads(done.stdout)) == (0, "rolled back"), done.stderr
    assert "corrupt" not in done.stderr and "failed to run" not in done.stderr, done.stderr
    statuses = executions(asl)
    assert statuses.pop("parent-1") == "SUCCEEDED"
    assert list(statuses.values()) == ["ABORTED"]


def test_an_interrupted_asl_run_leaves_its_child_to_resume(tmp_path: Path) -> None:
    started, release = tmp_path / "started", tmp_path / "release"
    parent = machines(tmp_path, {"Type": "Task", "Resource": f"{HANDLERS}:until_released"})
    asl = Asl(tmp_path / "store.sqlite3")
    run = asl.start(
        "run",
        str(parent),
        "--name",
        "parent-1",
        "--input",
        json.dumps({"started": str(started), "release": str(release)}),
    )
    wait_until(started.exists, GUARD, "the child's handler to start")
    run.send_signal(signal.SIGINT)
    code, _, err = finish(run, GUARD)
    assert code == 130, err
    assert "corrupt" not in err and "failed to run" not in err, err
    assert set(executions(asl).values()) == {"RUNNING"}  # the parent and its child
    release.touch()
    done = asl.run("resume", "parent-1", timeout=GUARD)
    assert (done.returncode, json.loads(done.stdout)) == (0, {"released": True}), done.stderr
    assert set(executions(asl).values()) == {"SUCCEEDED"}
