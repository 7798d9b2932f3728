"""``arn:aws:states:::aws-sdk:sfn:ACTION``, answered by the engine itself, as within one account
(the task-token actions are :mod:`.callback`'s)."""

from __future__ import annotations

from typing import Any

from asl._errors import RUNTIME, StatesError
from runtime._interpreter import TaskRequest

PREFIX = "arn:aws:states:::aws-sdk:sfn:"


def handles(resource: str) -> bool:
    """Whether the engine answers ``resource``."""
    return False


async def run(request: TaskRequest) -> Any:
    """The action's response, in the Step Functions API's shape."""
    raise StatesError(RUNTIME, f"{request.resource} is not available yet")


__all__ = ["PREFIX", "handles", "run"]
