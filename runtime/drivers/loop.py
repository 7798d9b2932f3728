"""Running a coroutine to its end from synchronous code, cheaply and repeatedly.

``asyncio.run`` creates an event loop, installs a SIGINT handler and tears everything down on
every call: about 0.2 ms, more than a short execution takes. :func:`run_sync` keeps one loop for
the main thread and reuses it (other threads get ``asyncio.run``); like ``asyncio.run`` it
cancels whatever tasks the coroutine left behind before it returns.

Most executions never wait (no task, no Wait state, no retry delay): stepping the coroutine by
hand, with the loop set as the running one, finishes them without a task or a turn of the loop.
When the coroutine does wait, a task takes it over from where it stopped and the loop runs it to
its end, in the same context (see :func:`_resume`).
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_loop: asyncio.AbstractEventLoop | None = None


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion and return its result (as ``asyncio.run`` does)."""
    if threading.current_thread() is not threading.main_thread():
        return asyncio.run(coro)
    if asyncio._get_running_loop() is not None:
        coro.close()
        raise RuntimeError("cannot run an execution synchronously inside a running event loop")
    loop = _main_loop()
    context = contextvars.copy_context()  # as a task would have: its changes stay its own
    try:
        asyncio._set_running_loop(loop)
        try:
            waiting_on = context.run(coro.send, None)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        finally:
            asyncio._set_running_loop(None)
        task = loop.create_task(_resume(coro, waiting_on), context=context)
        return loop.run_until_complete(task)
    finally:
        _cancel_leftovers(loop)


async def _resume(coro: Coroutine[Any, Any, T], waiting_on: Any) -> T:
    """Go on with a coroutine that was stepped by hand until it first waited on ``waiting_on``
    (a future, or None for a bare yield): what a task does, step by step. Cancelled, it cancels
    what the coroutine waits on, whose await then raises the cancellation, as in a task."""
    while True:
        step, argument = coro.send, None
        try:
            await _ended(waiting_on)
        except BaseException as exc:
            if not (
                waiting_on is not None and waiting_on.cancel() and await _ended_quietly(waiting_on)
            ):
                step, argument = coro.throw, exc
        try:
            waiting_on = step(argument)  # type: ignore[operator]
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


async def _ended(waiting_on: Any) -> None:
    if waiting_on is None:
        await asyncio.sleep(0)
    else:
        waiting_on._asyncio_future_blocking = False
        await asyncio.wait((waiting_on,))


async def _ended_quietly(future: asyncio.Future[Any]) -> bool:
    """Wait for a cancelled future to end; False if this wait is itself interrupted."""
    try:
        await asyncio.wait((future,))
    except BaseException:
        return False
    return True


def _main_loop() -> asyncio.AbstractEventLoop:
    global _loop
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
        atexit.register(_loop.close)
    return _loop


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    leftovers = asyncio.all_tasks(loop)
    if not leftovers:
        return
    for task in leftovers:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
