"""Running ``asl`` and the example worker as real processes against an SQLite store on disk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class Asl:
    """``asl`` commands sharing one store (``ASL_STORE``) and environment."""

    def __init__(self, store: Path, **env: str) -> None:
        self.env = {**os.environ, "ASL_STORE": str(store), "PYTHONUNBUFFERED": "1", **env}
        self.env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        """``asl ARGS`` in the background."""
        return subprocess.Popen(
            [sys.executable, "-m", "runtime.cli", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """``asl ARGS`` to its end."""
        return subprocess.run(
            [sys.executable, "-m", "runtime.cli", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def python(self, *args: str) -> subprocess.Popen[str]:
        """``python ARGS`` in the background (an example's worker)."""
        return subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def tasks(self) -> list[dict[str, Any]]:
        done = self.run("task", "list", "--format", "json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def wait_for_task(self, state: str, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for task in self.tasks():
                if task["state_name"] == state:
                    return task
            time.sleep(0.1)
        raise AssertionError(f"no pending task of {state} within {timeout} s")

    def history(self, execution: str) -> list[dict[str, Any]]:
        done = self.run("history", execution, "--format", "json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["events"]


def kill(process: subprocess.Popen[str]) -> None:
    """SIGKILL: the process gets no chance to clean up."""
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)


def finish(process: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"process did not finish: {err}")
    return process.returncode, out, err
