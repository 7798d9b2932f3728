"""Local handlers that heartbeat, or stop heartbeating."""

import time

import runtime


def beats_while_working(value: dict) -> dict:
    """Works 1.2 s, heartbeating every 0.1 s."""
    for _ in range(12):
        time.sleep(0.1)
        runtime.heartbeat()
    return {"done": value["n"]}


def goes_silent(value: dict) -> dict:
    """Heartbeats once, then works 3 s without a word."""
    runtime.heartbeat()
    time.sleep(3)
    return {"done": value["n"]}
