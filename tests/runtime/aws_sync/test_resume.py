"""A ``.sync`` job is started once per task attempt, even when the process waiting for it dies:
``asl run`` is killed (SIGKILL) while it polls an Athena query kept running in moto's server,
and ``asl resume`` waits for that same query instead of starting another. TimeoutSeconds counts
from the attempt's start across the resume."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from runtime.stores import SqliteStore, StoreError
from tests.callbacks.conftest import wait_until
from tests.runtime.aws_sync.conftest import FOREVER, World

ROOT = Path(__file__).resolve().parents[3]
QUERY = {
    "Type": "Task",
    "Resource": "arn:aws:states:::athena:startQueryExecution.sync",
    "Parameters": {"QueryString": "SELECT 1", "WorkGroup": "primary"},
    "ResultSelector": {"state.$": "$.QueryExecution.Status.State"},
    "End": True,
}


def asl(tmp_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "runtime", *args, "--store", str(tmp_path / "store.sqlite3")]


def run_until_submitted(tmp_path: Path, task: dict[str, Any]) -> str:
    """``asl run --aws aws`` the one-task machine, killed once the job's start is on record;
    the execution's ARN."""
    (tmp_path / "query.json").write_text(
        json.dumps({"StartAt": "Query", "States": {"Query": task}})
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.Popen(
        asl(tmp_path, "run", "query.json", "--aws", "aws", "--name", "q"),
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        arn = wait_until(lambda: submitted(tmp_path / "store.sqlite3"), 60, "TaskSubmitted")
    finally:
        run.send_signal(signal.SIGKILL)
        run.communicate()
    return arn


def submitted(store: Path) -> str | None:
    """The execution's ARN once its TaskSubmitted is in the store."""
    if not store.exists():
        return None
    with contextlib.suppress(StoreError), contextlib.closing(SqliteStore(store)) as opened:
        arn = opened.get("q").execution_arn
        if any(e.type == "TaskSubmitted" for e in opened.events(arn)):
            return arn
    return None


def resume(tmp_path: Path) -> dict[str, Any]:
    done = subprocess.run(
        asl(tmp_path, "resume", "q", "--format", "json"),
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout, done.stderr
    return json.loads(done.stdout)


def queries(world: World) -> list[dict[str, Any]]:
    athena = world.client("athena")
    ids = athena.list_query_executions()["QueryExecutionIds"]
    return [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]


def release(world: World) -> None:
    """Let moto end the query at its next GetQueryExecution."""
    world.moto_api("state-manager/unset-transition", {"model_name": "athena::execution"})


def test_a_resumed_task_waits_for_the_job_it_started(world: World, tmp_path: Path) -> None:
    world.transition("athena::execution", FOREVER)
    run_until_submitted(tmp_path, QUERY)
    [started] = queries(world)
    assert started["Status"]["State"] == "QUEUED"
    release(world)
    result = resume(tmp_path)
    assert (result["status"], result["output"]) == ("SUCCEEDED", {"state": "SUCCEEDED"}), result
    [ended] = queries(world)  # the same query, and no other
    assert ended["QueryExecutionId"] == started["QueryExecutionId"]


def test_timeout_seconds_counts_from_the_attempt_before_the_crash(
    world: World, tmp_path: Path
) -> None:
    world.transition("athena::execution", FOREVER)
    arn = run_until_submitted(tmp_path, {**QUERY, "TimeoutSeconds": 2})
    with contextlib.closing(SqliteStore(tmp_path / "store.sqlite3")) as store:
        [record] = store.list_tasks(arn)
    assert record.deadline is not None
    time.sleep(max(0.0, record.deadline - time.time()))  # the task's time is up while it is down
    release(world)  # a query described now would succeed
    result = resume(tmp_path)  # its process waits for its stop call before it exits
    assert (result["status"], result["error"]) == ("FAILED", "States.Timeout"), result
    [query] = queries(world)
    assert query["Status"]["State"] == "CANCELLED"  # stopped, as a timed-out job is
