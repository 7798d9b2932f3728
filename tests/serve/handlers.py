"""Task handlers the serve tests bind resources to (imported as tests.serve.handlers)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def double(event):
    return {"value": event["value"] * 2}


def slow(event):
    time.sleep(float(event.get("seconds", 1)))
    return {"slept": event.get("seconds", 1)}


def flaky(event):
    """Fails until the file ``event["flag"]`` exists, then succeeds."""
    if not Path(event["flag"]).exists():
        raise RuntimeError("not yet")
    return {"ok": True}


def count(event):
    """Appends a line to ``event["log"]`` per call (how many times did this task run?)."""
    with open(event["log"], "a", encoding="utf-8") as f:
        f.write(f"{os.getpid()}\n")
    return {"counted": True}


def double_lambda(event, context):
    return double(event)
