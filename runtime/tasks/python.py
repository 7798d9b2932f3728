"""``python:module:function`` resources: a plain Python function as a task.

The function receives the task's effective input (one argument) and returns its result. It runs
in a worker thread, or on the event loop when it is a coroutine function. Its return value is
marshalled as Lambda marshals one (JSON, bytes taken as they are), an exception fails the task
with the class name as the error and ``{"errorMessage", "errorType", "stackTrace"}`` as the cause,
and a :class:`~asl.StatesError` it raises fails the task with exactly that error and cause.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

from asl.errors import RUNTIME, StatesError
from runtime.handlers import calls, heartbeat
from runtime.handlers.loading import ConfigurationError, load_callable

PREFIX = "python:"


class PythonFunctions:
    """Resolves ``python:`` resources to callables, importing each module once."""

    def __init__(self) -> None:
        self._cache: dict[str, Callable[..., Any]] = {}

    def resolve(self, resource: str, *, purpose: str | None = None) -> Callable[..., Any]:
        """The function ``resource`` names; :class:`ConfigurationError` if it cannot be loaded."""
        fn = self._cache.get(resource)
        if fn is None:
            spec = resource[len(PREFIX) :]
            fn = self._cache[resource] = load_callable(spec, purpose=purpose or resource)
        return fn

    async def run(self, resource: str, value: Any, heartbeat_seconds: float | None = None) -> Any:
        """Call the function ``resource`` names with ``value`` and return its result."""
        try:
            fn = self.resolve(resource)
        except ConfigurationError as exc:
            raise StatesError(RUNTIME, str(exc))
        return await call(fn, value, heartbeat_seconds)


async def call(fn: Callable[..., Any], value: Any, heartbeat_seconds: float | None = None) -> Any:
    """Call ``fn(value)`` and turn its outcome into a task result or a StatesError.

    With ``heartbeat_seconds``, the function must call :func:`runtime.heartbeat` at least that
    often, or the attempt fails with ``States.HeartbeatTimeout``.
    """
    return await heartbeat.watched(lambda: _call(fn, value), heartbeat_seconds)


async def _call(fn: Callable[..., Any], value: Any) -> Any:
    if inspect.iscoroutinefunction(fn):
        outcome = await calls.call_async(fn, (value,), None)
    else:
        name = f"python-{getattr(fn, '__name__', 'task')}"
        outcome = await calls.in_thread(calls.call, fn, (value,), None, name=name)
    if outcome.raised is not None:
        raise outcome.raised
    if outcome.error is not None:
        error = outcome.error
        cause = json.dumps(error, separators=(",", ":"), ensure_ascii=False)
        raise StatesError(error["errorType"], cause)
    assert outcome.body is not None
    return calls.unmarshal(outcome.body)


__all__ = ["PREFIX", "PythonFunctions", "call"]
