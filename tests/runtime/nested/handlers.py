"""``python:`` handlers for the child machines of the CLI tests."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any


def forever(event: Any) -> None:
    """Never returns (the run waiting for it must be ended, or the process never exits)."""
    threading.Event().wait()


def until_released(event: dict[str, str]) -> dict[str, bool]:
    """Touches ``event["started"]``, then returns once ``event["release"]`` exists."""
    Path(event["started"]).touch()
    while not Path(event["release"]).exists():
        time.sleep(0.05)
    return {"released": True}
