"""Building task requests and running one dispatch call synchronously."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from asl import StatesError
from runtime.core.interpreter import TaskRequest

HANDLERS = "tests.runtime.tasks.handlers"
LEGACY = "arn:aws:lambda:us-east-1:111111111111:function:"
INVOKE = "arn:aws:states:::lambda:invoke"
EXECUTION = "arn:aws:states:us-east-1:111111111111:execution:machine:exec-1"


def request(
    resource: str,
    parameters: Any = None,
    *,
    state: str = "Task",
    execution: str = EXECUTION,
    timeout: float | None = None,
) -> TaskRequest:
    context = {"Execution": {"Id": execution}, "State": {"Name": state}}
    return TaskRequest(resource, parameters, state, context, timeout_seconds=timeout)


def run(dispatch: Any, resource: str, parameters: Any = None, **kw: Any) -> Any:
    """The result of one task attempt."""
    return asyncio.run(dispatch(request(resource, parameters, **kw)))


def fails(dispatch: Any, resource: str, parameters: Any = None, **kw: Any) -> StatesError:
    """The StatesError one task attempt fails with."""
    with pytest.raises(StatesError) as info:
        run(dispatch, resource, parameters, **kw)
    return info.value
