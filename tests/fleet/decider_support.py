"""Processes for the decider tests: ``asl worker --store`` and ``asl serve`` on a shared Redis
store, ``asl run --detach``, and reading the store."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fleet.conftest import ROOT, TASKS, Worker
from tests.serve.conftest import Process, _healthy, free_port

STEP = "celery:tests.fleet.fleet_tasks.step"


def three_tasks(wait_seconds: int = 1, sleep: float = 0.0) -> dict[str, Any]:
    """The three-Task workflow with a Wait between the second and the third Task."""

    def task(next_: str | None) -> dict[str, Any]:
        state: dict[str, Any] = {
            "Type": "Task",
            "Resource": STEP,
            "Parameters": {"n.$": "$.n", "sleep": sleep},
        }
        state.update({"Next": next_} if next_ else {"End": True})
        return state

    return {
        "StartAt": "A",
        "States": {
            "A": task("B"),
            "B": task("W"),
            "W": {"Type": "Wait", "Seconds": wait_seconds, "Next": "C"},
            "C": task(None),
        },
    }


@dataclass
class DeciderFleet:
    """Workers, serve instances and CLI runs sharing one broker prefix and one Redis store."""

    broker: str
    prefix: str
    dir: Path
    workers: dict[str, Worker] = field(default_factory=dict)
    serves: list[Process] = field(default_factory=list)

    @property
    def store_url(self) -> str:
        return f"{self.broker}?prefix={self.prefix}store:"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "ASL_BROKER_URL": self.broker,
            "ASL_FLEET_PREFIX": self.prefix,
            "ASL_STORE": self.store_url,
            "ASL_VISIBILITY_TIMEOUT": "5",
            "ASL_DECIDER_WATCHDOG": "5",
        }

    def start_worker(
        self, name: str, concurrency: int = 2, *, decider: bool = True, extra: tuple[str, ...] = ()
    ) -> Worker:
        """``asl worker`` with the store (``decider``: it also decides; ``extra``: more
        options), ready."""
        log = self.dir / f"{name}-{len(self.workers)}.log"
        env = self.env()
        if not decider:
            del env["ASL_STORE"]
        command = [
            sys.executable,
            "-m",
            "runtime",
            "worker",
            "--tasks",
            TASKS,
            "--concurrency",
            str(concurrency),
            "--hostname",
            f"{name}@%h",
            "--visibility-timeout",
            "5",
            *extra,
        ]
        with open(log, "wb") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        worker = self.workers[name] = Worker(name, process, log)
        deadline = time.monotonic() + 40
        while "ready:" not in worker.text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker {name} did not start:\n{worker.text()}")
            time.sleep(0.05)
        return worker

    def start_worker_plain(self, name: str) -> Worker:
        """``asl worker`` without a store: it runs tasks only."""
        return self.start_worker(name, decider=False)

    def start_serve(self, *extra: str) -> Process:
        """``asl serve`` on the shared store (``extra``: more options), listening."""
        port = free_port()
        log = self.dir / f"serve{len(self.serves)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "runtime", "serve", "--port", str(port), *extra],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env(),
            )
        live = Process(process, f"http://127.0.0.1:{port}", log)
        self.serves.append(live)
        deadline = time.monotonic() + 20
        while not _healthy(live.url):
            if process.poll() is not None or time.monotonic() > deadline:
                live.kill()
                raise AssertionError(f"asl serve did not come up:\n{live.text()}")
            time.sleep(0.05)
        assert ("executions run on the fleet" in live.text()) == ("--in-process" not in extra)
        return live

    def detach(self, definition: Path, name: str, value: Any) -> subprocess.Popen[bytes]:
        """``asl run FILE --detach`` (returns the running CLI process)."""
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "runtime",
                "run",
                str(definition),
                "--detach",
                "--name",
                name,
                "--input",
                json.dumps(value),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env(),
        )

    def store(self) -> Any:
        from runtime.stores import open_store

        return open_store(self.store_url)

    def close(self) -> None:
        for worker in self.workers.values():
            worker.stop()
        for serve in self.serves:
            serve.kill()
        import redis

        client = redis.Redis.from_url(self.broker)
        with contextlib.closing(client):
            keys = list(client.scan_iter(match=f"{self.prefix}*", count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])


def kill(worker: Worker) -> None:
    """SIGKILL a worker's whole process group, as a machine lost would."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.process.pid, signal.SIGKILL)
    worker.process.wait(10)


def event_counts(store: Any, arn: str) -> Counter[str]:
    return Counter(e.type for e in store.events(arn))


def wait_all_ended(store: Any, arns: list[str], timeout: float) -> dict[str, str]:
    """Statuses of ``arns`` once none is RUNNING (or when ``timeout`` passes)."""
    deadline = time.monotonic() + timeout
    while True:
        statuses = {arn: store.get(arn).status for arn in arns}
        if "RUNNING" not in statuses.values() or time.monotonic() > deadline:
            return statuses
        time.sleep(0.2)


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """``condition()``'s first true value, polled until ``timeout`` (then the test fails)."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)
