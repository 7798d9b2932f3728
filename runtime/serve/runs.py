"""The server's execution loop: one asyncio loop in a background thread runs every execution.

Request threads hand work over with :meth:`Loop.launch` (fire and forget) or :meth:`Loop.call`
(wait for a coroutine's result). Executions arrive prepared by the one run path
(:class:`~runtime.drivers.run_path.Executions`: a :class:`Launch`) and run as everywhere else
(:func:`~runtime.drivers.run_path.drive`): each Standard execution appends its events to the
store as they happen under this process's lease; one heartbeat task renews the leases of all of
them. :meth:`Loop.stop_execution` cancels a running execution and records ``ExecutionAborted``.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import traceback
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any, TypeVar

from runtime.core.events import Event
from runtime.drivers.execution import ExecutionResult
from runtime.drivers.run_path import HEARTBEAT_SECONDS, Launch, drive
from runtime.drivers.stopping import stop
from runtime.stores.base import (
    RUNNING,
    ExecutionRecord,
    HistoryStore,
    Outcome,
    StoreError,
)

T = TypeVar("T")
Log = Callable[[str], None]


class Loop:
    """The executions one service runs, on the process's background event loop."""

    def __init__(self, owner: str, log: Log) -> None:
        self.owner = owner
        self.log = log
        self.loop = shared_loop()
        self._running: dict[str, tuple[asyncio.Task[Any], Launch]] = {}
        self._beat: Future[None] | None = None

    # -- lifecycle (any thread) ------------------------------------------------------------------

    def start(self) -> None:
        self._beat = asyncio.run_coroutine_threadsafe(self._heartbeat(), self.loop)

    def close(self, timeout: float = 10.0) -> None:
        """Cancel this service's executions (they stay RUNNING, to be resumed); leases go."""
        with suppress(Exception):
            self.call(self._cancel_all(), timeout)
        if self._beat is not None:
            self._beat.cancel()

    # -- hand-over from request threads ----------------------------------------------------------

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop and wait for its result."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def launch(self, launch: Launch) -> None:
        """Start running ``launch`` on the loop; returns at once."""
        self.loop.call_soon_threadsafe(self._spawn, launch)

    def is_running(self, arn: str) -> bool:
        return arn in self._running

    def running_count(self) -> int:
        return len(self._running)

    async def stop_execution(
        self, store: HistoryStore, arn: str, error: str | None, cause: str | None
    ) -> ExecutionRecord:
        """Abort ``arn``: cancel it if it runs here, then record ``ExecutionAborted``."""
        entry = self._running.get(arn)
        if entry is not None:
            task, launch = entry
            if not launch.started:
                await asyncio.sleep(0)  # let it record ExecutionStarted first
            if not task.done():
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            launch.flush()  # what it recorded before the stop stays in its history
        return stop(store, arn, error, cause)

    # -- on the loop -----------------------------------------------------------------------------

    def _spawn(self, launch: Launch) -> None:
        arn = launch.arn
        if arn in self._running:
            return
        task = self.loop.create_task(self._drive(launch), name=arn)
        self._running[arn] = (task, launch)

    async def _drive(self, launch: Launch) -> ExecutionResult | None:
        arn = launch.arn
        try:
            return await drive(launch)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug, bad task configuration or a store failure
            self.log(f"execution {arn} failed to run:\n{traceback.format_exc()}")
            self._fail(launch, exc)
            return None
        finally:
            self._running.pop(arn, None)

    def _fail(self, launch: Launch, exc: Exception) -> None:
        from runtime.tasks import ConfigurationError

        now = datetime.now(UTC)
        cause = (
            str(exc)
            if isinstance(exc, ConfigurationError)
            else f"asl serve: internal error: {type(exc).__name__}: {exc}"
        )
        try:
            last = launch.flush()
        except StoreError:
            last = launch.last_event_id
        event = Event(
            last + 1, last, now, "ExecutionFailed", {"error": "States.Runtime", "cause": cause}
        )
        with suppress(StoreError):
            launch.store.append(
                launch.arn,
                (event,),
                expected_last_id=last,
                outcome=Outcome("FAILED", now, error="States.Runtime", cause=cause),
            )

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            for arn, (task, launch) in list(self._running.items()):
                if launch.owner is not None:
                    with suppress(StoreError):
                        launch.store.heartbeat(arn, launch.owner)
                        if launch.store.get(arn).status != RUNNING:
                            task.cancel()  # stopped from elsewhere (asl stop)

    async def _cancel_all(self) -> None:
        tasks = [task for task, _ in self._running.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


_SHARED: list[asyncio.AbstractEventLoop] = []
_SHARED_LOCK = threading.Lock()


def shared_loop() -> asyncio.AbstractEventLoop:
    """The process's background event loop, on a daemon thread that lives as long as the process.

    Never stopped: JSONata code compiled on a thread must not outlive it (``asl.jsonata`` keeps
    compiled expressions per thread), so every service in the process shares this one.
    """
    with _SHARED_LOCK:
        if not _SHARED:
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def main() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            threading.Thread(target=main, name="asl-serve-loop", daemon=True).start()
            ready.wait()
            _SHARED.append(loop)
        return _SHARED[0]


def log_to_stderr(message: str) -> None:
    print(f"asl serve: {message}", file=sys.stderr, flush=True)
