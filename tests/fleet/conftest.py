"""A real Redis and real ``asl worker`` processes for the fleet tests.

Redis is ``$REDIS_URL``, else 127.0.0.1:6379 when it answers, else a ``redis-server`` started
here on a free port. Every run uses its own key prefix, so runs sharing a Redis never meet.
Workers are killed (their whole process groups) at teardown. Under CI=true nothing is skipped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.redis_server import redis_server_url, unavailable

ROOT = Path(__file__).resolve().parents[2]
TASKS = "tests.fleet.fleet_tasks"
CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    for module in ("celery", "redis"):
        try:
            __import__(module)
        except ImportError:
            unavailable(f"the fleet tests need {module!r}: pip install 'celery[redis]'")
    yield from redis_server_url()


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, wait: float = 5.0) -> None:
        """Signal the worker's whole process group; SIGKILL it if it lingers."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(wait)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        with contextlib.suppress(ProcessLookupError):  # pool children left behind
            os.killpg(self.process.pid, signal.SIGKILL)


@dataclass
class Fleet:
    """Workers serving one test run's prefix, and an engine-side dispatcher for them."""

    url: str
    prefix: str
    dir: Path
    workers: dict[str, Worker] = field(default_factory=dict)

    def start(self, name: str, queues: str = "celery", concurrency: int = 3) -> Worker:
        log = self.dir / f"{name}.log"
        command = [
            sys.executable,
            "-m",
            "runtime",
            "worker",
            "--tasks",
            TASKS,
            "--broker",
            self.url,
            "--prefix",
            self.prefix,
            "--concurrency",
            str(concurrency),
            "--hostname",
            f"{name}@%h",
            "--queues",
            queues,
        ]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
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
        return worker

    def wait_ready(self, *names: str, timeout: float = 40.0) -> None:
        deadline = time.monotonic() + timeout
        for name in names:
            worker = self.workers[name]
            while "ready:" not in worker.text():
                if worker.process.poll() is not None:
                    pytest.fail(f"worker {name} exited:\n{worker.text()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"worker {name} did not start:\n{worker.text()}")
                time.sleep(0.05)

    def dispatch(self) -> Any:
        from runtime.tasks import build_dispatch
        from runtime.tasks.celery import CeleryDispatch

        dispatcher = build_dispatch()
        dispatcher.fleet = CeleryDispatch(self.url, prefix=self.prefix)
        return dispatcher

    def run(self, definition: dict[str, Any], value: Any = None, **options: Any) -> Any:
        import runtime

        return runtime.execute(
            definition, {} if value is None else value, dispatch=self.dispatch(), **options
        )

    def redis(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url)

    def app(self) -> Any:
        from runtime.fleet.app import make_app

        return make_app(self.url, prefix=self.prefix)

    def wait_log(self, text: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for worker in self.workers.values():
                if text in worker.text():
                    return worker.name
            time.sleep(0.05)
        logs = "\n".join(f"--- {w.name}\n{w.text()}" for w in self.workers.values())
        pytest.fail(f"no worker logged {text!r}:\n{logs}")


@pytest.fixture(scope="module")
def fleet(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """Two workers: w1 serves queues celery and q1, w2 serves celery and q2."""
    fleet = Fleet(redis_url, f"asl-test-{uuid.uuid4().hex[:12]}:", tmp_path_factory.mktemp("fleet"))
    try:
        fleet.start("w1", "celery,q1")
        fleet.start("w2", "celery,q2")
        fleet.wait_ready("w1", "w2")
        yield fleet
    finally:
        for worker in fleet.workers.values():
            worker.stop()
        client = fleet.redis()
        with contextlib.closing(client):
            keys = list(client.scan_iter(match=f"{fleet.prefix}*", count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])
