"""In-process wake-ups: an answer sent in this process reaches its waiter at once.

Waiters in other processes find out by polling the store; these signals only spare the wait
when both sides share a process (``asl serve``, tests, a Python worker thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator


class Signals:
    """Named events that any thread may set, each observed on its waiter's event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    @contextlib.contextmanager
    def listen(self, key: str) -> Iterator[asyncio.Event]:
        """An event set whenever :meth:`notify` is called for ``key`` while the block runs."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.setdefault(key, set()).add(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                waiting = self._waiters.get(key)
                if waiting is not None:
                    waiting.discard(entry)
                    if not waiting:
                        del self._waiters[key]

    def notify(self, key: str) -> None:
        with self._lock:
            entries = list(self._waiters.get(key, ()))
        for loop, event in entries:
            with contextlib.suppress(RuntimeError):  # that loop has closed
                loop.call_soon_threadsafe(event.set)

    def count(self, key: str) -> int:
        with self._lock:
            return len(self._waiters.get(key, ()))


SIGNALS = Signals()


async def wait_for(event: asyncio.Event, seconds: float) -> bool:
    """Wait until ``event`` is set or ``seconds`` pass; whether it was set."""
    if seconds <= 0:
        return event.is_set()
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        return False
    return True
