"""asl serve runs executions through the one run path: a RedriveExecution continues from the
stored history as ``asl redrive`` does, Distributed Map children included, so the children that
succeeded (and their tasks) are not run again."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ITEMS = 6
FLAKY = 4  # the item whose task fails the first time

HANDLERS = """
from pathlib import Path


def _count(event, name):
    path = Path(event["counts"]) / name
    with path.open("a") as log:
        log.write("call\\n")
    return len(path.read_text().splitlines())


def first(event):
    _count(event, f"first-{event['item']}")
    return event


def flaky(event):
    if _count(event, str(event["item"])) == 1 and event["item"] == event["flaky"]:
        raise RuntimeError("fails once")
    return event["item"]
"""


def _definition(handlers: str) -> str:
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "First",
        "States": {
            "First": {"Type": "Task", "Resource": f"python:{handlers}:first", "Next": "Flaky"},
            "Flaky": {"Type": "Task", "Resource": f"python:{handlers}:flaky", "End": True},
        },
    }
    selector = {"item.$": "$$.Map.Item.Value", "counts.$": "$.counts", "flaky": FLAKY}
    return json.dumps(
        {
            "StartAt": "Map",
            "States": {
                "Map": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "MaxConcurrency": 1,
                    "ItemSelector": selector,
                    "ItemProcessor": processor,
                    "End": True,
                }
            },
        }
    )


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str, Path]]:
    """A client of an ``asl serve`` (in this process, SQLite store) allowed to run the handlers
    module written in ``tmp_path``; the module's name; the folder counting the calls."""
    import boto3
    from botocore.config import Config

    from runtime.serve import Server, Service
    from runtime.serve.policy import CodePolicy
    from runtime.stores import SqliteStore

    handlers = f"run_path_handlers_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{handlers}.py").write_text(HANDLERS)
    monkeypatch.syspath_prepend(str(tmp_path))
    counts = tmp_path / "counts"
    counts.mkdir()
    service = Service(
        SqliteStore(tmp_path / "executions.sqlite3"),
        policy=CodePolicy.build(python=[handlers]),
        log=lambda message: None,
    )
    server = Server(service, port=0).start()
    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    try:
        yield sfn, handlers, counts
    finally:
        server.close()


def _ended(sfn: Any, arn: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return dict(described)
        assert time.monotonic() < deadline, f"{arn} still RUNNING after {timeout}s"
        time.sleep(0.05)


def _calls(counts: Path, prefix: str = "") -> dict[int, int]:
    found = {}
    for path in counts.iterdir():
        rest = path.name[len(prefix) :]
        if path.name.startswith(prefix) and rest.isdigit():
            found[int(rest)] = len(path.read_text().splitlines())
    return found


def test_redrive_execution_runs_no_finished_distributed_map_child_again(
    served: tuple[Any, str, Path],
) -> None:
    sfn, handlers, counts = served
    machine = sfn.create_state_machine(
        name="flaky-map",
        definition=_definition(handlers),
        roleArn="arn:aws:iam::111111111111:role/test",
    )["stateMachineArn"]
    started = sfn.start_execution(
        stateMachineArn=machine,
        input=json.dumps({"counts": str(counts), "items": list(range(ITEMS))}),
    )
    failed = _ended(sfn, started["executionArn"])
    assert (failed["status"], failed.get("error")) == (
        "FAILED",
        "States.ExceedToleratedFailureThreshold",
    )
    assert _calls(counts) == dict.fromkeys(range(FLAKY + 1), 1)  # the last one never started

    sfn.redrive_execution(executionArn=started["executionArn"])
    done = _ended(sfn, started["executionArn"])
    assert done["status"] == "SUCCEEDED", done.get("cause")
    assert json.loads(done["output"]) == list(range(ITEMS))
    assert _calls(counts, "first-") == dict.fromkeys(range(ITEMS), 1)  # no child ran again
    assert _calls(counts) == {**dict.fromkeys(range(ITEMS), 1), FLAKY: 2}
