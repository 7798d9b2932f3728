"""A ``.sync`` job started once per task attempt, across a crash of the process that waits.

The attempt has a record in the execution's store (a pending task, as a nested execution's, that
no token answers): the start call's result is kept there before the job is polled, so an attempt
resumed after its process died (``asl resume``) polls the job it began instead of starting
another. ``TimeoutSeconds`` runs from the record's creation, so it holds across the resume too;
when it passes, the poller is cancelled and asks the service to stop the job (:mod:`.sync`).

A crash between the start call's answer and its record (a few milliseconds) still starts the job
again on resume. A request without an execution (a dispatcher called by hand) keeps no record.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from asl.errors import TIMEOUT, StatesError
from runtime.callbacks import current_hub
from runtime.callbacks.records import FAILED, NESTED, STARTED, SUCCEEDED, TIMED_OUT
from runtime.callbacks.tokens import token_for
from runtime.core.events import to_json
from runtime.core.interpreter import TaskRequest
from runtime.tasks.callback import NOW, execution_of, pending_task

Start = Callable[[], Awaitable[Any]]
"""Makes the start call; the start result in the state's JSON."""
Wait = Callable[[Any], Awaitable[Any]]
"""Polls the job the start result names to its end; the task result."""


def owns_timeout(request: TaskRequest) -> bool:
    """Whether :func:`run` enforces the request's ``TimeoutSeconds`` (it keeps a record)."""
    return bool(execution_of(request))


async def run(request: TaskRequest, start: Start, wait: Wait) -> Any:
    """Start the job unless this attempt already did (the stored start result), then wait."""
    if not owns_timeout(request):
        return await wait(await start())
    hub = current_hub()
    token = token_for(request.context, request.key + "/sync", request.attempt)
    task = hub.register(pending_task(request, token, NESTED, STARTED, started=NOW))
    try:
        if task.submitted is None:
            begun = await start()
            hub.mark_submitted(token, to_json(begun))
        else:
            begun = json.loads(task.submitted)
        try:
            result = await _within(wait(begun), task.deadline)
        except TimeoutError:
            raise StatesError(TIMEOUT, None) from None
    except StatesError as exc:
        status = TIMED_OUT if exc.error == TIMEOUT else FAILED
        hub.settle(token, status, {"error": exc.error, "cause": exc.cause})
        raise
    hub.settle(token, SUCCEEDED, {"output": to_json(result)})
    return result


async def _within(waiting: Awaitable[Any], deadline: float | None) -> Any:
    """``waiting``'s result, cancelled (so the job is stopped) when ``deadline`` passes."""
    if deadline is None:
        return await waiting
    task = asyncio.ensure_future(waiting)
    await asyncio.sleep(0)  # the poller starts before a passed deadline cancels it
    return await asyncio.wait_for(task, max(0.0, deadline - time.time()))


__all__ = ["Start", "Wait", "owns_timeout", "run"]
