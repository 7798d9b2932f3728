"""``asl task``: answers, refusals and exit codes, against a store on disk."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from runtime.callbacks import CallbackHub, PendingTask, activity_arn
from runtime.callbacks.records import ACTIVITY, CALLBACK, SCHEDULED, STARTED
from runtime.callbacks.tokens import token_for
from runtime.cli import main
from runtime.stores import SqliteStore

ARN = "arn:aws:states:us-east-1:111111111111:execution:m:cli"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "s.db"


@pytest.fixture
def hub(store_path: Path) -> CallbackHub:
    return CallbackHub(SqliteStore(store_path))


def add(hub: CallbackHub, n: int, kind: str = CALLBACK) -> str:
    token = token_for({"Execution": {"Id": ARN}}, f"/S#{n}", 0)
    now = time.time()
    hub.register(
        PendingTask(
            token=token,
            execution_arn=ARN,
            kind=kind,
            resource="r",
            state_name=f"S{n}",
            status=SCHEDULED if kind == ACTIVITY else STARTED,
            created=now,
            beat=now,
            activity="jobs" if kind == ACTIVITY else None,
            input='{"job": 1}' if kind == ACTIVITY else None,
        )
    )
    return token


def asl(store: Path, *args: str) -> int:
    return main(["task", *args, "--store", str(store)])


def test_success_then_refused(hub: CallbackHub, store_path: Path, capsys) -> None:
    token = add(hub, 1)
    assert asl(store_path, "success", token, "--output", '{"a": 1}') == 0
    assert hub.describe_task(token).output == '{"a": 1}'
    assert asl(store_path, "success", token) == 1
    err = capsys.readouterr().err
    assert (
        "asl task success: TaskTimedOut: Task Timed Out: 'Provided task does not exist anymore'"
        in err
    )


def test_output_file_and_default_output(hub: CallbackHub, store_path: Path, tmp_path: Path) -> None:
    first, second = add(hub, 1), add(hub, 2)
    (tmp_path / "out.json").write_text("[1, 2]")
    assert asl(store_path, "success", first, "--output-file", str(tmp_path / "out.json")) == 0
    assert asl(store_path, "success", second) == 0
    assert [hub.describe_task(t).output for t in (first, second)] == ["[1, 2]", "{}"]


def test_failure_and_heartbeat(hub: CallbackHub, store_path: Path) -> None:
    token = add(hub, 1)
    assert asl(store_path, "heartbeat", token) == 0
    assert asl(store_path, "failure", token, "--error", "E", "--cause", "c") == 0
    task = hub.describe_task(token)
    assert (task.status, task.error, task.cause) == ("FAILED", "E", "c")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("success", "nope"), 1, "InvalidToken"),
        (("success", token_for({}, "/x#1", 0)), 1, "TaskDoesNotExist"),
        (("success", "x", "--output", "{bad"), 1, "InvalidToken"),
        (("failure", token_for({}, "/x#1", 0), "--error", "E" * 300), 1, "ValidationException"),
    ],
)
def test_refusals(hub: CallbackHub, store_path: Path, capsys, args, code, message) -> None:
    assert asl(store_path, *args) == code
    assert message in capsys.readouterr().err


def test_invalid_output(hub: CallbackHub, store_path: Path, capsys) -> None:
    token = add(hub, 1)
    assert asl(store_path, "success", token, "--output", "{bad") == 1
    assert "InvalidOutput" in capsys.readouterr().err


def test_list(hub: CallbackHub, store_path: Path, capsys) -> None:
    tokens = [add(hub, 1), add(hub, 2, ACTIVITY)]
    assert asl(store_path, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == tokens
    assert lines[1].endswith("activity:jobs")
    assert asl(store_path, "list", "--format", "json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(t["state_name"], t["status"]) for t in listed] == [
        ("S1", "STARTED"),
        ("S2", "SCHEDULED"),
    ]


def test_poll(hub: CallbackHub, store_path: Path, capsys) -> None:
    hub.create_activity("jobs")
    token = add(hub, 1, ACTIVITY)
    assert asl(store_path, "poll", "jobs", "--worker", "sh", "--wait", "0") == 0
    assert json.loads(capsys.readouterr().out) == {"taskToken": token, "input": '{"job": 1}'}
    assert hub.describe_task(token).worker == "sh"
    assert asl(store_path, "poll", activity_arn("jobs"), "--wait", "0.1") == 1
    assert asl(store_path, "poll", "unknown", "--wait", "0") == 1
    assert "ActivityDoesNotExist" in capsys.readouterr().err


def test_no_store_file_is_created(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "none.db"
    assert asl(missing, "success", token_for({}, "/x#1", 0)) == 1
    assert not missing.exists()
    assert "TaskDoesNotExist" in capsys.readouterr().err


def test_a_store_that_is_not_a_database(tmp_path: Path, capsys) -> None:
    (tmp_path / "junk.db").write_text("not sqlite " * 100)
    assert asl(tmp_path / "junk.db", "list") == 2
    assert "asl task list:" in capsys.readouterr().err
