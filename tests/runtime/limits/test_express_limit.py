"""Express executions stop at 5 minutes with AWS's outcome (TIMED_OUT, ExecutionTimedOut with
States.Timeout), in virtual time under ``--time-skip`` and in real time; a run keeps no more
history than asked, so an endless loop holds flat memory until its limit."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import runtime
from runtime.drivers.clock import RealClock
from runtime.drivers.execution import run_execution
from runtime.drivers.loop import run_sync
from tests.runtime.limits.support import (
    BURST_LOOP,
    COUNTER_LOOP,
    WAIT_LOOP,
    peak_rss_mb,
    write,
)

LIMIT = timedelta(minutes=5)  # AWS: an Express execution runs 5 minutes at most


def _timed_out(result: Any) -> None:
    assert result.status == "TIMED_OUT"
    last = result.history[-1]
    assert last["type"] == "ExecutionTimedOut"
    assert last["executionTimedOutEventDetails"]["error"] == "States.Timeout"


@pytest.mark.parametrize("timeout_seconds", [None, 3600], ids=["default", "TimeoutSeconds 3600"])
def test_virtual_time_counts(timeout_seconds: int | None) -> None:
    machine = dict(WAIT_LOOP)
    if timeout_seconds is not None:
        machine["TimeoutSeconds"] = timeout_seconds
    result = runtime.execute(machine, {}, express=True, time_skip=True)
    _timed_out(result)
    assert result.stop_date - result.start_date == LIMIT


def _no_tasks(request: Any) -> Any:
    raise AssertionError(f"no task runs here: {request}")


# Real time, without waiting 5 minutes: the execution is given a start 5 minutes ago.
REAL_CASES = {
    "a Wait that outlasts the limit": {
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}},
    },
    "a loop that never waits": COUNTER_LOOP,
    "a long TimeoutSeconds": {**COUNTER_LOOP, "TimeoutSeconds": 3600},
}


@pytest.mark.parametrize("case", REAL_CASES)
@pytest.mark.parametrize("keep_history", [True, False])
def test_real_time_counts(case: str, keep_history: bool) -> None:
    machine = runtime.load_definition(REAL_CASES[case], express=True)[0]
    started = RealClock().now() - LIMIT
    result = run_sync(
        run_execution(
            machine,
            {"n": 0},
            dispatch=_no_tasks,
            express=True,
            start_date=started,
            keep_history=keep_history,
        )
    )
    assert result.status == "TIMED_OUT"
    if keep_history:
        _timed_out(result)
    else:
        assert result.history == []


def test_execute_keeps_no_history_when_asked() -> None:
    result = runtime.execute(WAIT_LOOP, {}, express=True, time_skip=True, keep_history=False)
    assert (result.status, result.history) == ("TIMED_OUT", [])


@pytest.mark.parametrize(
    ("loop", "log"),
    [(WAIT_LOOP, False), (BURST_LOOP, False), (WAIT_LOOP, True)],
    ids=["wait 1s", "80,000 events a wait", "wait 1s --log"],
)
def test_asl_run_ends_an_endless_loop_at_its_limit_in_flat_memory(
    tmp_path: Path, loop: dict[str, Any], log: bool
) -> None:
    path = write(tmp_path, "loop.json", loop)
    args = ["run", str(path), "--express", "--time-skip", "--name", "runaway", "--format", "json"]
    if log:
        args += ["--log", str(tmp_path / "events.jsonl")]
    done, peak = peak_rss_mb(args, tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "asl: execution runaway TIMED_OUT" in done.stderr
    assert json.loads(done.stdout)["status"] == "TIMED_OUT"
    assert peak < 150, f"peak RSS {peak:.0f} MB"
    if log:
        lines = (tmp_path / "events.jsonl").read_text().splitlines()
        assert json.loads(lines[-1])["type"] == "ExecutionTimedOut"
