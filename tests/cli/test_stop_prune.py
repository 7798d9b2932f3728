"""``asl stop`` (StopExecution against the store, whoever runs the execution: nobody, another
``asl run`` process, ``asl serve``) and ``asl prune``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from runtime.callbacks.records import CALLBACK, NESTED, STARTED
from runtime.cli import main
from runtime.stores import HistoryStore, Outcome, RedisStore, SqliteStore
from runtime.stores.base import MAP_RUN
from tests.runtime.stores.test_children_contract import child, started
from tests.runtime.stores.test_store_contract import event, record
from tests.runtime.stores.test_token_contract import task
from tests.serve.conftest import make_server  # noqa: F401 (a fixture)
from tests.support.redis_server import with_prefix

ROOT = Path(__file__).resolve().parents[2]
WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 120, "End": True}}}


@pytest.fixture(params=["sqlite", "redis"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "executions.sqlite3")
    url = request.getfixturevalue("redis_url")
    return with_prefix(url, request.getfixturevalue("redis_prefix"))


def open_at(location: str) -> HistoryStore:
    return RedisStore(location) if location.startswith("redis") else SqliteStore(location)


def asl(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def orphan(store: HistoryStore) -> str:
    """A RUNNING execution nobody runs, with an open callback task, a Distributed Map child and
    Map Run still RUNNING, and a nested Standard execution it started (RUNNING too)."""
    parent = record("orphan", start_date=datetime.now(UTC))
    arn = parent.execution_arn
    store.create(parent)
    kid = child("kid", parent_arn=arn, execution_arn=f"{arn}/kid")
    run = child("run", type=MAP_RUN, execution_arn=f"{arn}/run", parent_arn=arn)
    store.append(
        arn,
        [event(1, "ExecutionStarted"), event(2, "MapRunStarted")],
        expected_last_id=0,
        children={kid.execution_arn: started(kid), run.execution_arn: started(run)},
    )
    nested = record("nested", "inner", start_date=datetime.now(UTC))
    store.create(nested)
    store.append(nested.execution_arn, [event(1, "ExecutionStarted")], expected_last_id=0)
    store.add_task(task("tok-callback", arn, kind=CALLBACK, status=STARTED))
    submitted = json.dumps({"ExecutionArn": nested.execution_arn})
    store.add_task(task("tok-nested", arn, kind=NESTED, status=STARTED, submitted=submitted))
    return arn


def test_stop_an_execution_nobody_runs(location: str, capsys) -> None:
    store = open_at(location)
    arn = orphan(store)
    code, out, err = asl(
        capsys, "stop", "orphan", "--store", location, "--error", "Op", "--cause", "no longer"
    )
    assert (code, err) == (0, "")
    described = json.loads(out)
    assert (described["executionArn"], described["status"]) == (arn, "ABORTED")
    assert (described["error"], described["cause"]) == ("Op", "no longer")
    last = store.events(arn)[-1]
    assert (last.type, last.details) == ("ExecutionAborted", {"error": "Op", "cause": "no longer"})
    kid = store.get(f"{arn}/kid")
    assert kid.status == "ABORTED"
    assert store.events(kid.execution_arn)[-1].frame == "%2FMap#1/i0"  # in the child's frame
    assert store.get(f"{arn}/run").status == "RUNNING"  # a Map Run's record holds S3 calls only
    assert store.get("nested").status == "ABORTED"
    assert {t.token: t.status for t in store.list_tasks(arn)} == {
        "tok-callback": "TIMED_OUT",
        "tok-nested": "TIMED_OUT",
    }
    code, _, err = asl(capsys, "stop", "orphan", "--store", location)
    assert code == 3 and "had already ended: ABORTED" in err
    store.close()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("no-such",), 2, "no execution with ARN or name 'no-such'"),
        (("kid",), 2, "it is a Distributed Map child execution"),
        (("orphan", "--error", "E" * 257), 2, "--error must be at most 256 characters"),
    ],
)
def test_stop_refuses(
    location: str, capsys, args: tuple[str, ...], code: int, message: str
) -> None:
    store = open_at(location)
    orphan(store)
    got, out, err = asl(capsys, "stop", *args, "--store", location)
    assert (got, out) == (code, "")
    assert message in err and "Traceback" not in err
    assert store.get("orphan").status == "RUNNING"
    store.close()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ASL_STORE": str(tmp_path / "executions.sqlite3"),
        "PYTHONPATH": str(ROOT),
    }


def wait_for(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def entered_wait(store: HistoryStore, name: str) -> bool:
    try:
        return any(
            e.type == "WaitStateEntered" for e in store.events(store.get(name).execution_arn)
        )
    except Exception:  # not created yet
        return False


def test_stop_an_execution_another_asl_run_process_runs(tmp_path: Path, env, capsys) -> None:
    file = tmp_path / "wait.asl.json"
    file.write_text(json.dumps(WAIT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime", "run", str(file), "--name", "held"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        store = SqliteStore(env["ASL_STORE"])
        wait_for(lambda: entered_wait(store, "held"), "asl run did not reach its Wait")
        assert store.get("held").lease_owner  # that process holds the lease
        code, out, _ = asl(capsys, "stop", "held", "--store", env["ASL_STORE"])
        assert code == 0 and json.loads(out)["status"] == "ABORTED"
        # The process notices at its next heartbeat (10 s), ends the run and reports it.
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 1, err
        assert "ABORTED" in err and "Traceback" not in err
        record = store.get("held")
        assert (record.status, record.lease_owner) == ("ABORTED", None)
        assert [e.type for e in store.events(record.execution_arn)][-1] == "ExecutionAborted"
        store.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_stop_an_execution_asl_serve_runs(make_server, tmp_path: Path, capsys) -> None:  # noqa: F811
    path = tmp_path / "serve.sqlite3"
    live = make_server(SqliteStore(path))
    machine = live.machine(json.dumps(WAIT), name="waits")
    arn = live.sfn.start_execution(stateMachineArn=machine, name="served")["executionArn"]
    wait_for(lambda: live.service.loop.is_running(arn), "asl serve did not run it")
    store = SqliteStore(path)
    wait_for(lambda: entered_wait(store, "served"), "the execution did not reach its Wait")
    code, _, _ = asl(capsys, "stop", "served", "--store", str(path), "--error", "Ops")
    assert code == 0
    described = live.sfn.describe_execution(executionArn=arn)
    assert (described["status"], described["error"]) == ("ABORTED", "Ops")
    wait_for(lambda: not live.service.loop.is_running(arn), "asl serve still runs it", 30)
    assert [e.type for e in store.events(arn)][-1] == "ExecutionAborted"
    store.close()


# -- prune ---------------------------------------------------------------------------------------


@pytest.fixture
def aged(location: str) -> Iterator[HistoryStore]:
    """Executions that closed 10 and 2 days ago, and one RUNNING for 30 days."""
    store = open_at(location)
    now = datetime.now(UTC)
    for name, days, status in (("ten", 10, "FAILED"), ("two", 2, "SUCCEEDED"), ("on", 30, "")):
        rec = record(name, start_date=now - timedelta(days=days, minutes=1))
        store.create(rec)
        store.append(rec.execution_arn, [event(1, "ExecutionStarted")], expected_last_id=0)
        if status:
            outcome = Outcome(status, now - timedelta(days=days))
            store.append(rec.execution_arn, [event(2)], expected_last_id=1, outcome=outcome)
    yield store
    store.close()


def test_prune(aged: HistoryStore, location: str, capsys, monkeypatch) -> None:
    code, out, err = asl(capsys, "prune", "--older-than", "5", "--dry-run", "--store", location)
    assert code == 0
    assert out.startswith("would remove arn:") and ":ten (FAILED, stopped " in out
    assert "would remove 1 execution closed before" in err
    assert len(aged.list()) == 3

    monkeypatch.setenv("ASL_RETENTION", "1.5")  # days: the default --older-than
    code, out, err = asl(capsys, "prune", "--store", location)
    assert code == 0 and "removed 2 executions" in err
    assert [r.name for r in aged.list()] == ["on"]  # never a RUNNING one

    monkeypatch.setenv("ASL_RETENTION", "off")
    code, out, _ = asl(capsys, "prune", "--store", location)
    assert code == 0 and "ASL_RETENTION is off" in out


@pytest.mark.parametrize(
    ("value", "message"),
    [("-1", "not a number of days"), ("soon", "not a number of days")],
)
def test_prune_refuses_a_bad_age(location: str, capsys, value: str, message: str) -> None:
    code, out, err = asl(capsys, "prune", "--older-than", value, "--store", location)
    assert (code, out) == (2, "") and message in err
