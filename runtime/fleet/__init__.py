"""Task code for a Celery worker fleet: :func:`task` publishes a function, :func:`heartbeat`.

::

    import runtime

    @runtime.task                    # served as "images.resize" by `asl worker --tasks images`
    def resize(event):
        for chunk in work(event):
            runtime.heartbeat()      # within the state's HeartbeatSeconds
        return {"ok": True}

A definition calls it with ``"Resource": "celery:images.resize"`` (see docs/fleet.md). The
decorated function is returned unchanged, so it can still be called or tested directly; Celery
is imported only by ``asl worker``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any, TypeVar, overload

F = TypeVar("F", bound=Callable[..., Any])

_REGISTRY: dict[str, Callable[..., Any]] = {}


@overload
def task(fn: F, /) -> F: ...


@overload
def task(*, name: str | None = None) -> Callable[[F], F]: ...


def task(fn: Any = None, /, *, name: str | None = None) -> Any:
    """Make ``fn`` a fleet task named ``name`` (default ``module.function``).

    The task is called with one argument, the Task state's effective input, and its return
    value (JSON-serialisable) is the state's result. An exception fails the state with the class
    name as the error, as a Lambda function's would; ``asl.StatesError`` picks both.
    """

    def register(function: F) -> F:
        task_name = name or f"{function.__module__}.{function.__qualname__}"
        _REGISTRY[task_name] = function
        with contextlib.suppress(AttributeError, TypeError):
            function.task_name = task_name  # type: ignore[attr-defined]
        return function

    return register(fn) if fn is not None else register


def registered() -> dict[str, Callable[..., Any]]:
    """Every function :func:`task` has registered in this process, by task name."""
    return dict(_REGISTRY)


def heartbeat() -> bool:
    """Tell the engine the running task is alive; False (and nothing done) outside a task.

    Works in ``python:`` handlers run by ``asl run`` and in fleet tasks run by ``asl worker``.

    A Task state with ``HeartbeatSeconds`` fails with ``States.HeartbeatTimeout`` when that long
    passes without a heartbeat once a worker has started it.
    """
    from runtime.handlers.heartbeat import beat

    if beat():  # a python: handler running in this process
        return True
    if "celery" not in sys.modules:  # not inside a worker
        return False
    from runtime.fleet import _replies

    return _replies.heartbeat()


__all__ = ["heartbeat", "registered", "task"]
