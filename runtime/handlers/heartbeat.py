"""Heartbeats for tasks that run in this process (``python:`` handlers).

The handler calls :func:`runtime.heartbeat`; the engine fails the attempt with
``States.HeartbeatTimeout`` when ``HeartbeatSeconds`` pass without one.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from asl.errors import HEARTBEAT_TIMEOUT, StatesError

T = TypeVar("T")

CURRENT: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar(
    "asl_local_heartbeat", default=None
)
"""The running local task's heartbeat callback (None outside one); threads inherit it."""


def beat() -> bool:
    """Record a heartbeat for the local task running in this context; False outside one."""
    callback = CURRENT.get()
    if callback is None:
        return False
    callback()
    return True


async def watched(start: Callable[[], Awaitable[T]], seconds: float | None) -> T:
    """Await ``start()``; with ``seconds``, fail when that long passes without a heartbeat."""
    if seconds is None:
        return await start()
    last = [time.monotonic()]

    def record() -> None:  # may be called from the handler's thread
        last[0] = time.monotonic()

    token = CURRENT.set(record)
    try:
        task = asyncio.ensure_future(start())  # copies the context: the handler sees ``record``
    finally:
        CURRENT.reset(token)
    while True:
        remaining = last[0] + seconds - time.monotonic()
        if remaining <= 0:
            task.cancel()
            raise StatesError(
                HEARTBEAT_TIMEOUT,
                f"The task sent no heartbeat for {seconds:g} seconds (HeartbeatSeconds).",
            )
        done, _ = await asyncio.wait({task}, timeout=remaining)
        if done:
            return task.result()
