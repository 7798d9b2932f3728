"""``asl run`` and the execution commands: exit codes, bad input, resume and redrive."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from runtime.cli import main

ROOT = Path(__file__).resolve().parents[2]
LAMBDA = "arn:aws:lambda:us-east-1:111111111111:function:"

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"x": 1}, "End": True}}}
ECHO = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "it broke"}}}
TIMEOUT = {
    "TimeoutSeconds": 1,
    "StartAt": "W",
    "States": {"W": {"Type": "Wait", "Seconds": 30, "End": True}},
}
INVALID = {"StartAt": "Nowhere", "States": {"P": {"Type": "Pass", "End": True}}}


def task(name: str, next_: str | None = None, resource: str | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Task", "Resource": resource or LAMBDA + name}
    state.update({"Next": next_} if next_ else {"End": True})
    return state


# A -> Wait -> B; each handler appends a line to the file named in the input.
A_WAIT_B = {
    "StartAt": "A",
    "States": {
        "A": task("A", "Wait"),
        "Wait": {"Type": "Wait", "Seconds": 3, "Next": "B"},
        "B": task("B"),
    },
}
A_THEN_B = {"StartAt": "A", "States": {"A": task("A", "B"), "B": task("B")}}

HANDLERS = """
import json, os

def _log(event, line):
    with open(event["log"], "a") as f:
        f.write(line + "\\n")

def task_a(event, context):
    _log(event, "A")
    return {**event, "steps": event.get("steps", []) + ["A"]}

def task_b(event, context):
    _log(event, "B")
    return {**event, "steps": event["steps"] + ["B"]}

def flaky_b(event, context):
    marker = event["log"] + ".failed-once"
    if not os.path.exists(marker):
        open(marker, "w").close()
        _log(event, "B failed")
        raise ValueError("first time fails")
    return task_b(event, context)

def raises(event, context):
    raise KeyError("no such thing")

def plain(value):
    return {"plain": value}

def count_once(value):
    _log(value, f"T {value['i']}")
    return {**value, "counted": True}
"""


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Workspace:
    """A temporary directory holding definitions, a handler module and the store."""

    path: Path
    handlers: str
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def store(self) -> Path:
        return self.path / "store.sqlite3"

    @property
    def log(self) -> Path:
        return self.path / "calls.log"

    def definition(self, value: Any, name: str = "machine.json") -> str:
        target = self.path / name
        target.write_text(value if isinstance(value, str) else json.dumps(value, indent=2))
        return name

    def lambdas(self, **functions: str) -> list[str]:
        return [a for n, f in functions.items() for a in ("--lambda", f"{n}={self.handlers}:{f}")]

    def asl(self, *args: str, stdin: str = "") -> Result:
        self.capsys.readouterr()
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture
def ws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Workspace:
    handlers = f"handlers_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{handlers}.py").write_text(HANDLERS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("ASL_STORE", str(tmp_path / "store.sqlite3"))
    monkeypatch.setenv("ASL_STORE_TIMEOUT", "0.2")
    return Workspace(tmp_path, handlers, capsys, monkeypatch)


# -- asl run: exit codes -------------------------------------------------------------------------

RunCase = tuple[Any, Callable[[Workspace], list[str]], str, int, Callable[[Result], Any]]

# fmt: off
RUN_CASES: dict[str, RunCase] = {
    "succeeded prints the output": (
        PASS, lambda w: [], "", 0, lambda r: r.json == {"x": 1} and r.err == "",
    ),
    "input from --input": (
        ECHO, lambda w: ["--input", '{"a": [1, "é"]}'], "", 0, lambda r: r.json == {"a": [1, "é"]},
    ),
    "input from stdin": (ECHO, lambda w: [], '{"s": 1}', 0, lambda r: r.json == {"s": 1}),
    "empty stdin is {}": (ECHO, lambda w: [], "  \n", 0, lambda r: r.json == {}),
    "--format json": (
        PASS, lambda w: ["--format", "json", "--name", "n1"], "", 0,
        lambda r: set(r.json) == {"executionArn", "name", "status", "output", "error", "cause",
                                  "startDate", "stopDate"}
        and r.json["status"] == "SUCCEEDED" and r.json["name"] == "n1"
        and r.json["executionArn"].endswith(":execution:machine:n1"),
    ),
    "Fail state exits 1": (
        FAIL, lambda w: [], "", 1,
        lambda r: r.out == "" and "FAILED: Boom: it broke" in r.err,
    ),
    "failed --format json": (
        FAIL, lambda w: ["--format", "json"], "", 1,
        lambda r: (r.json["status"], r.json["error"], r.json["cause"])
        == ("FAILED", "Boom", "it broke"),
    ),
    "a handler that raises fails the execution": (
        {"StartAt": "T", "States": {"T": task("T")}}, lambda w: w.lambdas(T="raises"), "", 1,
        lambda r: "FAILED: KeyError" in r.err and "no such thing" in r.err,
    ),
    "timed out exits 1": (
        TIMEOUT, lambda w: ["--time-skip"], "", 1, lambda r: " TIMED_OUT" in r.err,
    ),
    "python: resource": (
        {"StartAt": "T", "States": {"T": task("T", resource="python:{h}:plain")}},
        lambda w: ["--input", "7"], "", 0, lambda r: r.json == {"plain": 7},
    ),
    "express": (PASS, lambda w: ["--express"], "", 0, lambda r: r.json == {"x": 1}),
    "malformed --input": (
        ECHO, lambda w: ["--input", '{"a":'], "", 2,
        lambda r: "invalid input JSON (--input): line 1 column 6" in r.err,
    ),
    "malformed stdin": (
        ECHO, lambda w: [], '{\n  "a": tru\n}', 2,
        lambda r: "invalid input JSON (stdin): line 2 column 8" in r.err,
    ),
    "NaN is not JSON": (
        ECHO, lambda w: ["--input", "NaN"], "", 2, lambda r: "NaN is not a JSON value" in r.err,
    ),
    "Infinity in stdin": (
        ECHO, lambda w: [], '{"a": [-Infinity]}', 2,
        lambda r: "invalid input JSON (stdin): -Infinity is not a JSON value" in r.err,
    ),
    "1e999 is too large": (
        ECHO, lambda w: ["--input", '{"a": 1e999}'], "", 2,
        lambda r: "the number 1e999 is too large for a double" in r.err,
    ),
    "a lone surrogate escape": (
        ECHO, lambda w: ["--input", '{"a": "\\ud800"}'], "", 2,
        lambda r: "not Unicode text: a lone surrogate" in r.err,
    ),
    "10,000 levels in --input-file": (
        ECHO, lambda w: [(w.path / "deep.json").write_text("[" * 10_000 + "]" * 10_000) and
                         "--input-file", "deep.json"], "", 2,
        lambda r: "invalid input JSON (deep.json): nested deeper than 512 levels" in r.err
        and "Traceback" not in r.err,
    ),
    "missing --input-file": (
        ECHO, lambda w: ["--input-file", "nope.json"], "", 2,
        lambda r: "cannot read --input-file nope.json" in r.err,
    ),
    "invalid definition prints diagnostics": (
        INVALID, lambda w: [], "", 2,
        lambda r: "machine.json:2:" in r.err and " ASL" in r.err and "invalid definition" in r.err,
    ),
    "definition that is not JSON": (
        '{"StartAt": ', lambda w: [], "", 2, lambda r: "machine.json:1:" in r.err,
    ),
    "missing handler module": (
        {"StartAt": "T", "States": {"T": task("T")}},
        lambda w: ["--lambda", "T=no_such_module_xyz:handler"], "", 2,
        lambda r: "no_such_module_xyz" in r.err and "Traceback" not in r.err,
    ),
    "missing python: module": (
        {"StartAt": "T", "States": {"T": task("T", resource="python:no_such_mod_q:fn")}},
        lambda w: [], "", 2, lambda r: "no_such_mod_q" in r.err,
    ),
    "--lambda without =": (
        PASS, lambda w: ["--lambda", "justaname"], "", 2,
        lambda r: "--lambda expects NAME=MODULE:FUNCTION" in r.err,
    ),
    "--test-case without --mock-config": (
        PASS, lambda w: ["--test-case", "t"], "", 2, lambda r: "needs --mock-config" in r.err,
    ),
    "--log without --express": (
        PASS, lambda w: ["--log", "x.jsonl"], "", 2, lambda r: "--express" in r.err,
    ),
    "invalid execution name": (
        PASS, lambda w: ["--name", "has space"], "", 2,
        lambda r: "invalid execution name" in r.err,
    ),
}
# fmt: on


@pytest.mark.parametrize("case", list(RUN_CASES), ids=list(RUN_CASES))
def test_run(ws: Workspace, case: str) -> None:
    definition, extra, stdin, code, check = RUN_CASES[case]
    if isinstance(definition, dict):
        definition = json.loads(json.dumps(definition).replace("{h}", ws.handlers))
    name = ws.definition(definition)
    result = ws.asl("run", name, *extra(ws), stdin=stdin)
    assert result.code == code, result
    assert check(result), result
    assert "Traceback" not in result.err


def test_usage_error_exits_2(ws: Workspace) -> None:
    with pytest.raises(SystemExit) as exit_:
        ws.asl("run")
    assert exit_.value.code == 2


def test_missing_definition_file(ws: Workspace) -> None:
    result = ws.asl("run", "absent.json")
    assert (result.code, result.err.strip()) == (2, "asl run: absent.json: no such file")


def test_express_leaves_no_store_but_can_log(ws: Workspace) -> None:
    name = ws.definition(PASS)
    assert ws.asl("run", "--express", name, "--log", "logs/x.jsonl").code == 0
    assert not ws.store.exists()
    lines = (ws.path / "logs/x.jsonl").read_text().splitlines()
    types = [json.loads(line)["type"] for line in lines]
    assert types == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]


# -- names ---------------------------------------------------------------------------------------


def test_name_already_used_is_an_error(ws: Workspace) -> None:
    name = ws.definition(PASS)
    assert ws.asl("run", name, "--name", "once").code == 0
    again = ws.asl("run", name, "--name", "once")
    assert again.code == 2 and "Already Exists" in again.err


def test_same_name_and_input_while_running_after_a_crash_points_to_resume(ws: Workspace) -> None:
    from runtime.drivers import runner as _runner
    from runtime.stores import SqliteStore
    from runtime.stores.base import ExecutionRecord

    name = ws.definition(PASS)
    store = SqliteStore(ws.store)
    arn = "arn:aws:states:us-east-1:111111111111:execution:machine:crashed"
    store.create(
        ExecutionRecord(
            arn,
            "crashed",
            "machine",
            "STANDARD",
            json.dumps(PASS),
            "{}",
            1,
            _runner.RealClock().now(),
        )
    )
    store.close()
    result = ws.asl("run", name, "--name", "crashed")
    assert result.code == 2 and "asl resume crashed" in result.err


# -- the store going wrong -----------------------------------------------------------------------


def test_locked_store(ws: Workspace) -> None:
    name = ws.definition(PASS)
    assert ws.asl("run", name).code == 0
    holder = sqlite3.connect(ws.store, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = ws.asl("run", name)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.code == 2
    assert "is locked by another process" in result.err and "Traceback" not in result.err


def test_corrupt_store_is_left_untouched(ws: Workspace) -> None:
    garbage = b"definitely not sqlite\n" * 50
    ws.store.write_bytes(garbage)
    name = ws.definition(PASS)
    for args in (("run", name), ("executions",), ("history", "x"), ("resume", "x")):
        result = ws.asl(*args)
        assert result.code == 2 and "corrupt" in result.err, (args, result)
    assert ws.store.read_bytes() == garbage


@pytest.mark.parametrize("command", ["describe", "history", "resume", "redrive"])
def test_unknown_execution_id(ws: Workspace, command: str) -> None:
    ws.asl("run", ws.definition(PASS))
    result = ws.asl(command, "no-such-execution")
    assert result.code == 2
    assert "no execution with ARN or name 'no-such-execution'" in result.err


# -- executions, describe, history ---------------------------------------------------------------


def test_executions_describe_history(ws: Workspace) -> None:
    name = ws.definition(A_THEN_B)
    args = ["--input", json.dumps({"log": str(ws.log)}), *ws.lambdas(A="task_a", B="task_b")]
    assert ws.asl("run", name, "--name", "first", *args).code == 0
    assert ws.asl("run", ws.definition(FAIL, "fail.json"), "--name", "second").code == 1

    table = ws.asl("executions").out.splitlines()
    assert table[0].split() == ["NAME", "MACHINE", "STATUS", "START", "STOP"]
    assert [line.split()[:3] for line in table[1:]] == [
        ["second", "fail", "FAILED"],
        ["first", "machine", "SUCCEEDED"],
    ]
    listed = ws.asl("executions", "--format", "json", "--status", "failed").json
    assert [e["name"] for e in listed["executions"]] == ["second"]

    described = ws.asl("describe", "first").json
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["steps"] == ["A", "B"]
    assert described["stateMachineArn"].endswith(":stateMachine:machine")
    assert described["redriveStatus"] == "NOT_REDRIVABLE"
    assert ws.asl("describe", described["executionArn"]).json == described
    assert ws.asl("describe", "second").json["redriveStatus"] == "REDRIVABLE"

    history = ws.asl("history", "first", "--format", "json").json["events"]
    assert [e["id"] for e in history] == list(range(1, len(history) + 1))
    assert history[0]["type"] == "ExecutionStarted" and "previousEventId" in history[0]
    assert history[-1]["type"] == "ExecutionSucceeded"
    assert "executionSucceededEventDetails" in history[-1]

    rows = ws.asl("history", "first").out.splitlines()
    assert rows[0].split() == ["ID", "TIMESTAMP", "TYPE", "DETAILS"]
    assert len(rows) == len(history) + 1
    assert any("LambdaFunctionScheduled" in r and LAMBDA + "A" in r for r in rows)


@pytest.mark.parametrize(
    ("command", "message"),
    [("resume", "already ended (SUCCEEDED)"), ("redrive", "only FAILED, TIMED_OUT or ABORTED")],
)
def test_resume_and_redrive_refuse_a_finished_execution(
    ws: Workspace, command: str, message: str
) -> None:
    ws.asl("run", ws.definition(PASS), "--name", "done")
    result = ws.asl(command, "done")
    assert result.code == 2 and message in result.err


# -- redrive -------------------------------------------------------------------------------------


def test_redrive_reruns_only_the_failed_part(ws: Workspace) -> None:
    name = ws.definition(A_THEN_B)
    args = ["--input", json.dumps({"log": str(ws.log)}), *ws.lambdas(A="task_a", B="flaky_b")]
    first = ws.asl("run", name, "--name", "flaky", *args)
    assert first.code == 1 and "ValueError" in first.err
    assert ws.calls() == ["A", "B failed"]

    again = ws.asl("redrive", "flaky")
    assert again.code == 0, again
    assert again.json["steps"] == ["A", "B"]
    assert ws.calls() == ["A", "B failed", "B"]  # A not repeated

    described = ws.asl("describe", "flaky").json
    assert (described["status"], described["redriveCount"]) == ("SUCCEEDED", 1)
    types = [e["type"] for e in ws.asl("history", "flaky", "--format", "json").json["events"]]
    assert types.count("ExecutionRedriven") == 1
    assert types.index("ExecutionFailed") < types.index("ExecutionRedriven")
    assert types[-1] == "ExecutionSucceeded"


# -- resume after SIGKILL ------------------------------------------------------------------------


def _subprocess_env(ws: Workspace) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ws.path), env.get("PYTHONPATH", "")])
    return env


def _asl_process(ws: Workspace, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "runtime", *args],
        cwd=ws.path,
        env=_subprocess_env(ws),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_event(ws: Workspace, name: str, event_type: str, timeout: float = 20) -> None:
    from runtime.stores import SqliteStore, StoreError

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ws.store.exists():
            try:
                store = SqliteStore(ws.store)
                try:
                    arn = store.get(name).execution_arn
                    if any(e.type == event_type for e in store.events(arn)):
                        return
                finally:
                    store.close()
            except StoreError:
                pass
        time.sleep(0.05)
    raise AssertionError(f"{event_type} never appeared in the store")


def test_resume_after_sigkill_during_a_wait(ws: Workspace) -> None:
    name = ws.definition(A_WAIT_B)
    input_ = json.dumps({"log": str(ws.log)})
    run = _asl_process(
        ws, "run", name, "--name", "killed", "--input", input_, *ws.lambdas(A="task_a", B="task_b")
    )
    try:
        _wait_for_event(ws, "killed", "WaitStateEntered")
        busy = subprocess.run(  # the first process is alive: resume must refuse
            [sys.executable, "-m", "runtime", "resume", "killed"],
            cwd=ws.path,
            env=_subprocess_env(ws),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        assert busy.returncode == 2 and "being run by another process" in busy.stderr
    finally:
        run.send_signal(signal.SIGKILL)
        run.communicate()
    assert ws.calls() == ["A"]

    resumed = _asl_process(ws, "resume", "killed", "--format", "json")
    out, err = resumed.communicate(timeout=30)
    assert resumed.returncode == 0, err
    summary = json.loads(out)
    assert summary["status"] == "SUCCEEDED"
    assert summary["output"] == {"log": str(ws.log), "steps": ["A", "B"]}
    assert ws.calls() == ["A", "B"]  # each finished task ran once

    events = ws.asl("history", "killed", "--format", "json").json["events"]
    types = [e["type"] for e in events]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert types.count("LambdaFunctionScheduled") == 2 and types.count("ExecutionStarted") == 1
    assert types.count("WaitStateEntered") == 1 and types[-1] == "ExecutionSucceeded"


def _stored_events(ws: Workspace) -> tuple[int, str | None]:
    """The id and type of the last event in the store (0, None before there is one)."""
    if not ws.store.exists():
        return 0, None
    conn = sqlite3.connect(ws.store, timeout=5)
    try:
        row = conn.execute("SELECT id, type FROM events ORDER BY id DESC LIMIT 1").fetchone()
    except sqlite3.Error:
        return 0, None
    finally:
        conn.close()
    return (row[0], row[1]) if row else (0, None)


def test_resume_after_sigkill_in_a_long_pure_loop(ws: Workspace) -> None:
    """Killed while pure transitions are committed together (group commit): resume replays
    what was committed, runs the rest, and the Task after the loop runs once."""
    count = 6000  # 24,000 events: as long as a Standard history allows
    definition = {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.i", "NumericGreaterThanEquals": count, "Next": "Count"}
                ],
                "Default": "Inc",
            },
            "Inc": {
                "Type": "Pass",
                "Parameters": {"i.$": "States.MathAdd($.i, 1)", "log.$": "$.log"},
                "Next": "Check",
            },
            "Count": task("Count", resource=f"python:{ws.handlers}:count_once"),
        },
    }
    name = ws.definition(definition)
    input_ = json.dumps({"i": 0, "log": str(ws.log)})
    run = _asl_process(ws, "run", name, "--name", "looping", "--input", input_)
    try:
        deadline = time.monotonic() + 20
        while _stored_events(ws)[0] < 200 and time.monotonic() < deadline:
            time.sleep(0.002)
    finally:
        run.send_signal(signal.SIGKILL)
        run.communicate()
    last_id, last_type = _stored_events(ws)
    assert 200 <= last_id < 4 * count, "killed in the loop"
    assert last_type is not None and last_type.endswith("StateEntered")  # whole transitions
    assert ws.calls() == []

    resumed = _asl_process(ws, "resume", "looping", "--format", "json")
    out, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    summary = json.loads(out)
    assert summary["status"] == "SUCCEEDED"
    assert summary["output"] == {"i": count, "log": str(ws.log), "counted": True}
    assert ws.calls() == [f"T {count}"]  # the task ran once

    events = ws.asl("history", "looping", "--format", "json").json["events"]
    types = [e["type"] for e in events]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert types.count("ExecutionStarted") == 1 and types.count("TaskScheduled") == 1
    assert types.count("PassStateEntered") == count and types[-1] == "ExecutionSucceeded"


# -- progress ------------------------------------------------------------------------------------


def test_progress_line_follows_states_and_map_items() -> None:
    from datetime import UTC, datetime

    from runtime.cli.run import Progress
    from runtime.core.events import Event

    progress = Progress(io.StringIO())
    now = datetime.now(UTC)
    feed = [
        ("MapStateEntered", {"name": "Fan"}, ""),
        ("MapStateStarted", {"length": 3}, ""),
        ("MapIterationStarted", {"index": 0}, ""),
        ("PassStateEntered", {"name": "Item"}, "/Fan/0"),
        ("MapIterationSucceeded", {"index": 0}, ""),
        ("MapIterationSucceeded", {"index": 1}, ""),
    ]
    for i, (kind, details, frame) in enumerate(feed, 1):
        progress(Event(i, i - 1, now, kind, details, frame))
    line = progress.line()
    assert "state Item" in line and "map Fan 2/3" in line and "6 events" in line
    progress(Event(7, 6, now, "MapStateSucceeded", None, ""))
    assert "map" not in progress.line()


def test_no_progress_when_stderr_is_not_a_terminal(ws: Workspace) -> None:
    result = ws.asl("run", ws.definition(PASS))
    assert result.err == ""


# -- asl run --detach: refusals (the fleet itself: tests/fleet/test_decider_fleet.py) -----------


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ((), "--detach needs the fleet's shared Redis store"),
        (("--store", "local.sqlite3"), "--detach needs the fleet's shared Redis store"),
        (("--express", "--log", "events.jsonl"), "--log is for in-process Express runs"),
    ],
)
def test_detach_refuses_what_the_fleet_cannot_run(
    ws: Workspace, extra: tuple[str, ...], says: str
) -> None:
    if "--log" in extra:
        ws.monkeypatch.setenv("ASL_STORE", "redis://127.0.0.1:6379/15")
    name = ws.definition({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    result = ws.asl("run", name, "--detach", *extra)
    assert result.code == 2, result
    assert says in result.err and "Traceback" not in result.err
    assert result.out == ""
