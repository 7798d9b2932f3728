"""``run_sync``: asyncio.run's contract on a reused loop."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from runtime.drivers.loop import run_sync


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


def test_a_coroutine_that_never_waits_needs_no_turn_of_the_loop() -> None:
    turns = []

    async def immediate() -> str:
        asyncio.get_running_loop().call_soon(turns.append, "turned")
        return "done"

    assert run_sync(immediate()) == "done"
    assert turns == []  # the callback was never run: nothing waited for it


def test_a_coroutine_that_waits_is_taken_over_where_it_stopped() -> None:
    steps = []

    async def child(n: int) -> int:
        await asyncio.sleep(0.001 * n)
        return n

    async def waits() -> list[int]:
        steps.append("before")  # stepped by hand
        await asyncio.sleep(0)  # a bare yield
        steps.append("after a bare yield")
        results = await asyncio.gather(child(2), child(1))  # a future
        steps.append("after the children")
        await asyncio.wait_for(child(1), 5)
        return results

    assert run_sync(waits()) == [2, 1]
    assert steps == ["before", "after a bare yield", "after the children"]


@pytest.mark.parametrize("where", ["by hand", "in the task"])
def test_errors_raised_at_either_stage_come_out(where: str) -> None:
    async def failing() -> None:
        if where == "in the task":
            await asyncio.sleep(0.001)
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        run_sync(failing())


def test_an_awaited_future_that_fails_raises_in_the_coroutine() -> None:
    async def failing_child() -> None:
        await asyncio.sleep(0.001)
        raise ValueError("child")

    async def parent() -> str:
        try:
            await asyncio.ensure_future(failing_child())
        except ValueError as exc:
            return f"caught {exc}"
        return "not raised"

    assert run_sync(parent()) == "caught child"


VAR: contextvars.ContextVar[str] = contextvars.ContextVar("test_run_sync_var", default="outside")


@pytest.mark.parametrize("wait", [False, True])
def test_context_changes_stay_the_coroutines_own(wait: bool) -> None:
    async def sets_and_resets() -> str:
        token = VAR.set("inside")
        if wait:
            await asyncio.sleep(0.001)  # the reset happens in the task that took over
        seen = VAR.get()
        VAR.reset(token)  # must be the same context as the set
        VAR.set("left set")
        return seen

    assert run_sync(sets_and_resets()) == "inside"
    assert VAR.get() == "outside"


def test_cancelling_the_takeover_cancels_what_the_coroutine_waits_on() -> None:
    events: list[str] = []

    async def sleeper() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            events.append("sleeper cancelled")
            raise

    async def waits_on_sleeper() -> None:
        inner = asyncio.ensure_future(sleeper())
        asyncio.get_running_loop().call_later(0.01, _cancel_current_tasks, inner)
        try:
            await inner
        except asyncio.CancelledError:
            events.append("coroutine cancelled")
            raise

    with pytest.raises(asyncio.CancelledError):
        run_sync(waits_on_sleeper())
    assert events == ["sleeper cancelled", "coroutine cancelled"]


def _cancel_current_tasks(inner: asyncio.Future[None]) -> None:
    """Cancel the task that took the coroutine over (every task but ``inner``)."""
    for task in asyncio.all_tasks():
        if task is not inner:
            task.cancel()
