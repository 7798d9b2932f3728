"""A live ``asl serve`` for the tests, driven only through boto3's ``stepfunctions`` client.

``server`` runs one in a thread (fast; a fresh SQLite store per test), ``serve_process``
starts the real ``asl serve`` command in a subprocess (for restarts and the CLI). Clients use
dummy credentials, us-east-1 and ``inject_host_prefix=False`` (StartSyncExecution and TestState
would otherwise go to ``sync-127.0.0.1``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::111111111111:role/test"
HANDLERS = "tests.serve.handlers"


def client(url: str, **config: Any) -> Any:
    import boto3
    from botocore.config import Config

    options = {
        "inject_host_prefix": False,
        "retries": {"max_attempts": 1, "mode": "standard"},
        "read_timeout": 30,
        **config,
    }
    return boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(**options),
    )


def definition(states: dict[str, Any], start: str | None = None, **more: Any) -> str:
    return json.dumps({"StartAt": start or next(iter(states)), "States": states, **more})


PASS = definition({"P": {"Type": "Pass", "Result": {"ok": True}, "End": True}})


def wait_done(sfn: Any, arn: str, timeout: float = 20.0) -> dict[str, Any]:
    """DescribeExecution once the execution has ended."""
    deadline = time.monotonic() + timeout
    while True:
        out = sfn.describe_execution(executionArn=arn)
        if out["status"] != "RUNNING":
            return out
        if time.monotonic() > deadline:
            raise AssertionError(f"{arn} still RUNNING after {timeout}s")
        time.sleep(0.05)


def history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
    return [e for p in pages for e in p["events"]]


@dataclass
class Live:
    """A running server: its URL, a client, and the service behind it (thread mode)."""

    url: str
    sfn: Any
    service: Any = None

    def machine(self, body: str = PASS, name: str = "m", **kw: Any) -> str:
        return self.sfn.create_state_machine(name=name, definition=body, roleArn=ROLE, **kw)[
            "stateMachineArn"
        ]


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., Live]]:
    """Start in-thread servers (``bindings``, ``store``, ``activity_wait``...); closed after."""
    from runtime.serve import Server, Service
    from runtime.stores import SqliteStore

    servers: list[Any] = []

    def make(store: Any = None, **options: Any) -> Live:
        options.setdefault("activity_wait", 2.0)
        options.setdefault("log", lambda message: None)
        store = store or SqliteStore(tmp_path / f"store{len(servers)}" / "executions.sqlite3")
        server = Server(Service(store, **options), port=0).start()
        servers.append(server)
        return Live(server.url, client(server.url), server.service)

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def live(make_server: Callable[..., Live]) -> Live:
    """A server on a fresh SQLite store whose operator allowed ``python:tests.serve.handlers``
    tasks (``--allow-python tests.serve.handlers``)."""
    from runtime.serve.policy import CodePolicy

    return make_server(policy=CodePolicy.build(python=[HANDLERS]))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    """``asl serve`` in a subprocess."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL, as a crash would (no clean shutdown), and reap it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode


@pytest.fixture
def serve_process(tmp_path: Path) -> Iterator[Callable[..., Process]]:
    """Start ``python -m runtime serve ARGS`` on a free port; every one is stopped after."""
    started: list[Process] = []

    def start(*args: str, port: int | None = None, timeout: float = 20.0) -> Process:
        port = port or free_port()
        log = tmp_path / f"serve{len(started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "runtime", "serve", "--port", str(port), *args],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
        live = Process(process, f"http://127.0.0.1:{port}", log)
        started.append(live)
        deadline = time.monotonic() + timeout
        while not _healthy(live.url):
            if process.poll() is not None or time.monotonic() > deadline:
                live.kill()
                raise AssertionError(f"asl serve did not come up:\n{live.text()}")
            time.sleep(0.05)
        return live

    yield start
    for live in started:
        live.stop()


def _healthy(url: str) -> bool:
    with contextlib.suppress(OSError), urllib.request.urlopen(url + "/health", timeout=1) as r:
        return r.status == 200
    return False
