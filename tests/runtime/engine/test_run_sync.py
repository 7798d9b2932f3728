"""``run_sync``: asyncio.run's contract on a reused loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from runtime._loop import run_sync


def test_returns_the_result_and_raises_the_error() -> None:
    async def ok() -> int:
        await asyncio.sleep(0)
        return 42

    async def boom() -> None:
        raise ValueError("boom")

    assert run_sync(ok()) == 42
    with pytest.raises(ValueError, match="boom"):
        run_sync(boom())
    assert run_sync(ok()) == 42  # the loop is still usable after a failure


def test_cancels_what_the_coroutine_left_running() -> None:
    cancelled = []

    async def forever() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    left: list[asyncio.Future[None]] = []

    async def leaves_a_task() -> str:
        left.append(asyncio.ensure_future(forever()))
        await asyncio.sleep(0)
        return "done"

    assert run_sync(leaves_a_task()) == "done"
    assert cancelled == [True]
    assert left[0].cancelled()


def test_refuses_to_run_inside_a_running_loop() -> None:
    async def inner() -> None:
        pass

    async def outer() -> None:
        coro = inner()
        with pytest.raises(RuntimeError, match="running event loop"):
            run_sync(coro)

    asyncio.run(outer())


def test_runs_in_other_threads() -> None:
    results = []

    async def where() -> str:
        return threading.current_thread().name

    thread = threading.Thread(target=lambda: results.append(run_sync(where())), name="worker-x")
    thread.start()
    thread.join()
    assert results == ["worker-x"]
