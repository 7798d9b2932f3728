"""Task handlers for the callback tests: they hand their token to the test, or answer it."""

from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any

from runtime.callbacks import current_hub

TOKENS: queue.Queue[dict[str, Any]] = queue.Queue()
CALLS: list[Any] = []


def notify(event: dict[str, Any]) -> dict[str, Any]:
    """Hand the event (with its token) to the test; the state then waits for the answer."""
    CALLS.append(event)
    TOKENS.put(event)
    return {"MessageId": f"m-{len(CALLS)}"}


def answer_now(event: dict[str, Any]) -> dict[str, str]:
    """Answer the own token before returning (a fast integration)."""
    current_hub().send_task_success(
        event["token"], json.dumps({"echo": event.get("input", {}).get("value")})
    )
    return {"answered": "inline"}


def answer_later(event: dict[str, Any]) -> dict[str, str]:
    """Answer from another thread after a while, heartbeating meanwhile."""
    hub = current_hub()

    def later() -> None:
        for _ in range(3):
            time.sleep(0.1)
            hub.send_task_heartbeat(event["token"])
        hub.send_task_success(
            event["token"], json.dumps({"late": event.get("input", {}).get("value")})
        )

    threading.Thread(target=later).start()
    return {}


def reject(event: dict[str, Any]) -> dict[str, str]:
    current_hub().send_task_failure(event["token"], "Approval.Rejected", "no budget")
    return {}


def broken(event: dict[str, Any]) -> None:
    raise RuntimeError("the mail server is down")


def take_token(timeout: float = 10.0) -> dict[str, Any]:
    return TOKENS.get(timeout=timeout)


def reset() -> None:
    while not TOKENS.empty():
        TOKENS.get_nowait()
    CALLS.clear()


FLAKY: dict[str, int] = {"calls": 0}


def flaky(event: Any) -> Any:
    """Fails on its first call, succeeds afterwards (a step to redrive)."""
    FLAKY["calls"] += 1
    if FLAKY["calls"] == 1:
        raise RuntimeError("first call fails")
    return {"second": True}
