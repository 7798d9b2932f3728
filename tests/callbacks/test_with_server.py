"""The activity worker example through boto3 against ``asl serve`` (a real server process)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.callbacks.procs import ROOT, Asl, finish, kill

WORKER = ROOT / "state_machines" / "activity_worker"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client(url: str) -> Any:
    boto3 = pytest.importorskip("boto3")
    return boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Asl, str]]:
    asl = Asl(tmp_path / "serve.sqlite3")
    port = free_port()
    process = asl.start("serve", "--port", str(port))
    url = f"http://127.0.0.1:{port}"
    sfn = client(url)
    deadline = time.monotonic() + 20
    while True:
        try:
            sfn.list_state_machines()
            break
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                kill(process)
                pytest.fail(
                    f"asl serve did not start: {process.stderr.read() if process.stderr else ''}"
                )
            time.sleep(0.1)
    yield asl, url
    kill(process)


def test_the_worker_serves_an_execution_started_through_boto3(server: tuple[Asl, str]) -> None:
    asl, url = server
    sfn = client(url)
    machine = sfn.create_state_machine(
        name="fulfil",
        definition=(WORKER / "definition.asl.json").read_text(),
        roleArn="arn:aws:iam::111111111111:role/local",
    )["stateMachineArn"]
    started = sfn.start_execution(
        stateMachineArn=machine, input=(WORKER / "order.json").read_text()
    )
    worker = asl.python(
        str(WORKER / "worker.py"),
        "--endpoint",
        url,
        "--name",
        "boto-worker",
        "--max-tasks",
        "2",
        "--wait",
        "1",
    )
    code, _, err = finish(worker)
    assert code == 0, err
    deadline = time.monotonic() + 20
    while (described := sfn.describe_execution(executionArn=started["executionArn"]))[
        "status"
    ] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == json.loads(
        (WORKER / "expected_output.json").read_text()
    )
    events = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
    workers = [
        e["activityStartedEventDetails"]["workerName"]
        for e in events
        if e["type"] == "ActivityStarted"
    ]
    assert workers == ["boto-worker", "boto-worker"]
