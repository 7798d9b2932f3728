"""Tasks the fleet tests' workers serve (``asl worker --tasks tests.fleet.fleet_tasks``)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import celery
from celery import Celery, shared_task

import runtime
from asl import StatesError


def _host() -> str:
    return celery.current_task.request.hostname


def _started(event: dict[str, Any], tag: str) -> Path:
    """Note in the test's folder that this process started the task."""
    path = Path(event["dir"]) / f"{tag}-{event.get('i', 0)}-{_host()}-{os.getpid()}.started"
    path.write_text(str(os.getpid()))
    return path


@runtime.task
def echo(event: Any) -> dict[str, Any]:
    return {"worker": _host(), "value": event}


@runtime.task
def work(event: dict[str, Any]) -> dict[str, Any]:
    _started(event, event.get("tag", "work"))
    time.sleep(event.get("sleep", 1.0))
    return {"worker": _host(), "i": event.get("i")}


@runtime.task
def count(event: dict[str, Any]) -> int:
    with open(Path(event["dir"]) / "count", "a") as handle:
        handle.write(f"{_host()}\n")
    return 1


@runtime.task
def gate(event: dict[str, Any]) -> str:
    """Wait until the test opens the gate: creates the file ``event["gate"]`` (60 s at most);
    ``GATE.waiting`` says a task waits at it."""
    path = Path(event["gate"])
    path.with_suffix(".waiting").touch()
    deadline = time.monotonic() + 60
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the gate {path} was never opened")
        time.sleep(0.05)
    return "open"


@runtime.task
def stall(event: dict[str, Any]) -> str:
    time.sleep(event.get("sleep", 2.5))
    return "late"


@runtime.task
def beat_then_stall(event: dict[str, Any]) -> dict[str, Any]:
    """First attempt: three heartbeats, then silence; later attempts answer at once."""
    attempts = Path(event["dir"]) / "beat-attempts"
    with open(attempts, "a") as handle:
        handle.write("x")
    if attempts.read_text() == "x":
        for _ in range(3):
            runtime.heartbeat()
            time.sleep(0.4)
        time.sleep(event.get("sleep", 2.5))
        return {"attempt": 1}
    return {"attempt": len(attempts.read_text()), "beat": runtime.heartbeat()}


class OrderRejected(Exception):
    pass


@runtime.task
def fail(event: Any) -> None:
    raise OrderRejected(f"order {event['order']} rejected")


@runtime.task(name="fleet.custom_error")
def custom_error(event: Any) -> None:
    raise StatesError("Custom.Error", "chose my own cause")


@shared_task(name="fleet_tasks.legacy_add")
def legacy_add(event: dict[str, Any]) -> int:
    return event["a"] + event["b"]


other_app = Celery("other", set_as_current=False)


@other_app.task(name="fleet_tasks.adopted")
def adopted(event: Any) -> str:
    return f"adopted {event}"


@runtime.task
def step(event: dict[str, Any]) -> dict[str, Any]:
    """One step of the decider tests' three-Task workflow: ``n`` goes up by one."""
    time.sleep(event.get("sleep", 0.0))
    return {**event, "n": event.get("n", 0) + 1}
