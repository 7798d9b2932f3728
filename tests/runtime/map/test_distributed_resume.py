"""Distributed Map children are stored as child executions: a run killed halfway and resumed,
or a failed one redriven, does not run finished children (or their tasks) again, and the Map
Run's S3 reads and writes are recorded, not repeated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from runtime.drivers import runner
from runtime.stores import SqliteStore

ROOT = Path(__file__).resolve().parents[3]
ITEMS = 8
FREE = 3  # items 0..2 run through; the others wait for the "go" file

# Each call of work() leaves a line in <counts>/<item>; items >= FREE wait for <go> to exist.
# flaky() fails item 5 the first time it is called. first(), each child's first Task, counts its
# calls in <counts>/first-<item>.
HANDLERS = """
import time
from pathlib import Path


def _count(event):
    with (Path(event["counts"]) / str(event["item"])).open("a") as log:
        log.write("call\\n")
    return len((Path(event["counts"]) / str(event["item"])).read_text().splitlines())


def work(event):
    _count(event)
    if event["item"] >= event["free"]:
        while not Path(event["go"]).exists():
            time.sleep(0.02)
    return {"item": event["item"], "done": True}


def first(event):
    with (Path(event["counts"]) / f"first-{event['item']}").open("a") as log:
        log.write("call\\n")
    return event


def fails_once(event):
    marker = Path(event["counts"]) / "failed-once"
    if not marker.exists():
        marker.touch()
        raise RuntimeError("the state after the Map fails once")
    return event


def flaky(event):
    if _count(event) == 1 and event["item"] == 5:
        raise RuntimeError("item 5 fails once")
    return event["item"]
"""


def machine(handlers: str, function: str, **map_fields: Any) -> dict[str, Any]:
    selector = {
        "item.$": "$$.Map.Item.Value",
        "counts.$": "$.counts",
        "go.$": "$.go",
        "free": FREE,
    }
    return {
        "StartAt": "Map",
        "States": {
            "Map": {
                "Type": "Map",
                "ItemSelector": selector,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "First",
                    "States": {
                        "First": {
                            "Type": "Task",
                            "Resource": f"python:{handlers}:first",
                            "Next": "Work",
                        },
                        "Work": {
                            "Type": "Task",
                            "Resource": f"python:{handlers}:{function}",
                            "End": True,
                        },
                    },
                },
                "End": True,
                **map_fields,
            }
        },
    }


class Workspace:
    """A folder with the handlers module, the call counts, the definition and the store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handlers = f"dm_handlers_{uuid.uuid4().hex[:8]}"
        (path / f"{self.handlers}.py").write_text(HANDLERS)
        self.counts = path / "counts"
        self.counts.mkdir()
        self.go = path / "go"
        self.store = path / "store.sqlite3"

    def input(self, **more: Any) -> dict[str, Any]:
        return {"counts": str(self.counts), "go": str(self.go), **more}

    def calls(self, prefix: str = "") -> dict[int, int]:
        """Calls of work() (or, with prefix "first-", of first()) by item."""
        return {
            int(p.name[len(prefix) :]): len(p.read_text().splitlines())
            for p in self.counts.iterdir()
            if p.name.startswith(prefix) and p.name[len(prefix) :].isdigit()
        }

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(self.path), env.get("PYTHONPATH", "")])
        env["ASL_STORE_TIMEOUT"] = "5"
        return env

    def asl(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "runtime", *args, "--store", str(self.store)],
            cwd=self.path,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.syspath_prepend(str(tmp_path))
    return Workspace(tmp_path)


def kill_when_blocked(
    ws: Workspace, run: subprocess.Popen[str], waiting: set[int], sig: int = signal.SIGKILL
) -> None:
    """Kill ``run`` (``sig``) once every item in ``waiting`` has called work() (and waits)."""
    deadline = time.monotonic() + 60
    try:
        while not waiting <= set(ws.calls()):
            if run.poll() is not None:
                raise AssertionError(f"the run ended before it was killed: {run.stderr.read()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"items {waiting} never started: {ws.calls()}")
            time.sleep(0.02)
    finally:
        run.send_signal(sig)
        run.communicate(timeout=60)


def resumed(ws: Workspace, name: str) -> dict[str, Any]:
    ws.go.touch()
    resume = ws.asl("resume", name, "--format", "json")
    out, err = resume.communicate(timeout=120)
    assert resume.returncode == 0, err
    return json.loads(out)


def check_children(store: SqliteStore, arn: str) -> list[Any]:
    """Every child stored once, SUCCEEDED, each history started once; listings hide them."""
    assert [r.execution_arn for r in store.list()] == [arn]
    (run_arn,) = {e.details["mapRunArn"] for e in store.events(arn) if e.type == "MapRunStarted"}
    children = store.list(map_run_arn=run_arn)
    assert len(children) == ITEMS
    for child in children:
        assert (child.status, child.parent_arn) == ("SUCCEEDED", arn)
        types = [e.type for e in store.events(child.execution_arn)]
        assert types.count("ExecutionStarted") == 1 and types[-1] == "ExecutionSucceeded"
    return children


@pytest.mark.parametrize(
    "sig",
    # SIGINT: asl run stops its children (recording ExecutionAborted) and leaves the run RUNNING;
    # the resume redrives those children, as their Map Run is still running.
    [signal.SIGKILL, signal.SIGINT],
    ids=["SIGKILL", "SIGINT"],
)
def test_killed_halfway_and_resumed_runs_no_finished_child_again(ws: Workspace, sig: int) -> None:
    definition = ws.path / "machine.json"
    definition.write_text(
        json.dumps(machine(ws.handlers, "work", MaxConcurrency=2, ItemsPath="$.items"))
    )
    items = list(range(ITEMS))
    run = ws.asl(
        "run", "machine.json", "--name", "dm", "--input", json.dumps(ws.input(items=items))
    )
    kill_when_blocked(ws, run, {FREE, FREE + 1}, sig)  # 0..2 finished; 3 and 4 wait
    assert ws.calls() == {0: 1, 1: 1, 2: 1, 3: 1, 4: 1}

    result = resumed(ws, "dm")
    assert result["status"] == "SUCCEEDED"
    assert result["output"] == [{"item": i, "done": True} for i in items]
    # Finished children and their tasks ran once in all; the two cut off ran again, from the
    # Task they were in: their first Task, finished, is handed back.
    assert ws.calls() == {0: 1, 1: 1, 2: 1, 3: 2, 4: 2, 5: 1, 6: 1, 7: 1}
    assert ws.calls("first-") == dict.fromkeys(items, 1)
    store = SqliteStore(ws.store)
    try:
        children = check_children(store, store.get("dm").execution_arn)
        # Stopped by SIGINT, the two were recorded ABORTED, then redriven by the resume.
        redriven = sorted(c.redrive_count for c in children)
        assert redriven == [0] * 6 + ([1, 1] if sig == signal.SIGINT else [0, 0])
    finally:
        store.close()


def test_an_item_reader_is_not_read_again_nor_results_written_twice(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = ws.path / "s3" / "data-bucket"
    bucket.mkdir(parents=True)
    (bucket / "items.json").write_text(json.dumps(list(range(ITEMS))))
    monkeypatch.setenv("ASL_S3_LOCAL_ROOT", str(ws.path / "s3"))
    definition = machine(
        ws.handlers,
        "work",
        MaxConcurrency=2,
        ItemReader={
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket": "data-bucket", "Key": "items.json"},
        },
        ResultWriter={
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": "data-bucket", "Prefix": "out"},
        },
    )
    (ws.path / "machine.json").write_text(json.dumps(definition))
    run = ws.asl("run", "machine.json", "--name", "reader", "--input", json.dumps(ws.input()))
    kill_when_blocked(ws, run, {FREE, FREE + 1})
    # A replay that read the object again would map over other items now.
    (bucket / "items.json").write_text(json.dumps([100, 101]))

    result = resumed(ws, "reader")
    assert result["status"] == "SUCCEEDED"
    assert ws.calls() == {0: 1, 1: 1, 2: 1, 3: 2, 4: 2, 5: 1, 6: 1, 7: 1}
    details = result["output"]["ResultWriterDetails"]
    manifest = json.loads((bucket / details["Key"]).read_text())
    (written,) = manifest["ResultFiles"]["SUCCEEDED"]
    records = json.loads((bucket / written["Key"]).read_text())
    assert [json.loads(r["Output"]) for r in records] == [
        {"item": i, "done": True} for i in range(ITEMS)
    ]
    store = SqliteStore(ws.store)
    try:
        arn = store.get("reader").execution_arn
        check_children(store, arn)
        (map_run,) = [r for r in store.children(arn) if r.type == "MAP_RUN"]
        calls = [(e.type, e.details["action"]) for e in store.events(map_run.execution_arn)]
        assert calls == [
            ("S3CallSucceeded", "getObject"),
            ("S3CallSucceeded", "putObject"),
            ("S3CallSucceeded", "putObject"),
        ]
    finally:
        store.close()


def test_a_redrive_reruns_only_the_failed_child(ws: Workspace) -> None:
    ws.go.touch()
    store = SqliteStore(ws.store)
    try:
        definition = json.dumps(
            machine(ws.handlers, "flaky", MaxConcurrency=1, ItemsPath="$.items")
        )
        failed = runner.start(
            store,
            definition,
            ws.input(items=list(range(ITEMS))),
            name="flaky",
            options=runner.RunOptions(cwd=str(ws.path)),
        )
        assert (failed.status, failed.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")
        assert ws.calls() == {0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1}  # 6 and 7 never started

        again = runner.redrive(store, "flaky")
        assert again.status == "SUCCEEDED", again.cause
        assert again.output == list(range(ITEMS))
        assert ws.calls() == {0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 2, 6: 1, 7: 1}
        assert ws.calls("first-") == dict.fromkeys(range(ITEMS), 1)
        children = check_children(store, again.execution_arn)
        redriven = [c for c in children if c.redrive_count]
        assert len(redriven) == 1
        types = [e.type for e in store.events(redriven[0].execution_arn)]
        assert types.index("ExecutionFailed") < types.index("ExecutionRedriven")
        with pytest.raises(runner.RunError, match="Distributed Map child execution"):
            runner.resume(store, redriven[0].execution_arn)
    finally:
        store.close()


def test_a_replayed_map_run_neither_reads_nor_writes_s3_again(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A redrive of a failure after the Map replays the whole Map Run from the store: with the
    bucket gone, any read or write would fail it."""
    ws.go.touch()
    root = ws.path / "s3"
    (root / "data-bucket").mkdir(parents=True)
    (root / "data-bucket" / "items.json").write_text(json.dumps(list(range(ITEMS))))
    monkeypatch.setenv("ASL_S3_LOCAL_ROOT", str(root))
    definition = machine(
        ws.handlers,
        "work",
        ItemReader={
            "Resource": "arn:aws:states:::s3:getObject",
            "Parameters": {"Bucket": "data-bucket", "Key": "items.json"},
        },
        ResultWriter={
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": "data-bucket", "Prefix": "out"},
        },
        ResultPath="$.written",
        Next="After",
    )
    del definition["States"]["Map"]["End"]
    definition["States"]["After"] = {
        "Type": "Task",
        "Resource": f"python:{ws.handlers}:fails_once",
        "Parameters": {"counts.$": "$.counts", "written.$": "$.written"},
        "End": True,
    }
    store = SqliteStore(ws.store)
    try:
        failed = runner.start(
            store,
            json.dumps(definition),
            ws.input(),
            name="after",
            options=runner.RunOptions(cwd=str(ws.path)),
        )
        assert (failed.status, failed.error) == ("FAILED", "RuntimeError")
        (root / "data-bucket").rename(root / "gone")

        again = runner.redrive(store, "after")
        assert again.status == "SUCCEEDED", again.cause
        assert again.output["written"]["ResultWriterDetails"]["Bucket"] == "data-bucket"
        assert ws.calls() == dict.fromkeys(range(ITEMS), 1)
        check_children(store, again.execution_arn)
    finally:
        store.close()
