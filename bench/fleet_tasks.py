"""The fleet benchmark's three tasks (``asl worker --tasks bench.fleet_tasks``).

Each adds 1 to ``n``: the three-Task workflow and the bare Celery chain run the same three, so
``{"n": 0}`` ends as ``{"n": 3}`` either way (see :mod:`bench.fleet`).
"""

from __future__ import annotations

from typing import Any

import runtime

STEPS = ("bench.fleet.step1", "bench.fleet.step2", "bench.fleet.step3")


def _add_one(event: dict[str, Any]) -> dict[str, Any]:
    return {"n": event["n"] + 1}


@runtime.task(name=STEPS[0])
def step1(event: dict[str, Any]) -> dict[str, Any]:
    """The first step: n + 1."""
    return _add_one(event)


@runtime.task(name=STEPS[1])
def step2(event: dict[str, Any]) -> dict[str, Any]:
    """The second step: n + 1."""
    return _add_one(event)


@runtime.task(name=STEPS[2])
def step3(event: dict[str, Any]) -> dict[str, Any]:
    """The third step: n + 1."""
    return _add_one(event)


_profiler: dict[str, Any] = {}


@runtime.task(name="bench.fleet.profile")
def profile(event: dict[str, Any]) -> dict[str, Any]:
    """Start (``{"action": "start"}``) or stop and dump (``{"action": "stop", "path": P}``) a
    cProfile of this worker process: with ``--concurrency 1`` it is the one that runs every task."""
    import cProfile
    import os

    if event["action"] == "start":
        _profiler["p"] = cProfile.Profile()
        _profiler["p"].enable()
    else:
        found = _profiler.pop("p")
        found.disable()
        found.dump_stats(event["path"])
    return {"pid": os.getpid()}
