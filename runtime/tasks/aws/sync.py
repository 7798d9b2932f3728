"""``.sync`` / ``.sync:2`` integrations: after the start call, poll the job to its end.

:func:`poller` gives, for an optimized integration's ``(service, action)``, the coroutine that
waits for the job the start call began and returns the task result in AWS's shape, or raises
:class:`asl._errors.StatesError` as AWS fails the task. None: AWS has no ``.sync`` for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from runtime._interpreter import TaskRequest
from runtime.tasks.aws.clients import AwsClients

Poller = Callable[[AwsClients, TaskRequest, dict[str, Any], str], Awaitable[Any]]
"""``(clients, request, start response, suffix)``: the task result; suffix ``.sync``/``.sync:2``."""

_POLLERS: dict[tuple[str, str], Poller] = {}


def poller(service: str, action: str) -> Poller | None:
    """The poller of ``arn:aws:states:::SERVICE:ACTION.sync``, or None."""
    return _POLLERS.get((service, action))


__all__ = ["Poller", "poller"]
