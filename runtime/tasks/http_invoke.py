"""The HTTP Task: ``arn:aws:states:::http:invoke``."""

from __future__ import annotations

from typing import Any

from asl._errors import RUNTIME, StatesError
from runtime._interpreter import TaskRequest
from runtime.tasks.aws.clients import AwsClients

RESOURCE = "arn:aws:states:::http:invoke"


def handles(resource: str) -> bool:
    """Whether ``resource`` is the HTTP Task."""
    return resource == RESOURCE


async def run(request: TaskRequest, clients: AwsClients | None) -> Any:
    """Call the endpoint; the task result (``clients``: where connections are looked up)."""
    raise StatesError(RUNTIME, "http:invoke is not available yet")


__all__ = ["RESOURCE", "handles", "run"]
