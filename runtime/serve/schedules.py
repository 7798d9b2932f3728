"""``asl serve``'s scheduler: fires the store's schedules through StartExecution.

Every ``asl serve`` runs one :class:`~runtime.schedules.firing.Scheduler` on its store (unless
``--no-scheduler``): on SQLite or in memory it is the only one; on a Redis store it competes for
the store's lease with the other servers and the workers (``asl worker --store``), and only the
holder fires. Starts go through the StartExecution action itself (versions, aliases, the fleet
hand-over and all), with the occurrence recorded in the execution's options.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runtime.core.arns import execution_arn
from runtime.schedules.firing import Scheduler, StartRefused, StartRequest
from runtime.serve.errors import ApiError
from runtime.stores.base import RUNNING, lease_owner

if TYPE_CHECKING:
    from runtime.serve.service import Service

# StartExecution's errors that no retry mends (the others, e.g. ServiceUnavailable, may pass)
_REFUSED = frozenset(
    {
        "InvalidArn",
        "InvalidName",
        "InvalidExecutionInput",
        "InvalidDefinition",
        "StateMachineDoesNotExist",
        "StateMachineDeleting",
        "ValidationException",
    }
)


@dataclass(frozen=True, slots=True)
class SchedulerSettings:
    """How a server's scheduler runs: its clock (virtual in tests), how often it ticks, and
    the lease's time to live (seconds)."""

    clock: Callable[[], float] = time.time
    interval: float = 1.0
    ttl: float = 5.0


class ServeStarter:
    """Starts an occurrence's execution through the server's StartExecution."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def start(self, request: StartRequest) -> str:
        from runtime.serve.executions import start_execution

        params = {
            "stateMachineArn": request.machine_arn,
            "name": request.name,
            "input": request.input,
        }
        try:
            return str(
                start_execution(self.service, params, schedule=request.origin)["executionArn"]
            )
        except ApiError as exc:
            if exc.code == "ExecutionAlreadyExists":
                return self._existing(request)
            if exc.code in _REFUSED:
                raise StartRefused(f"{exc.code}: {exc.message}")
            raise

    def is_running(self, execution_arn: str) -> bool:
        try:
            return self.service.execution(execution_arn).status == RUNNING
        except ApiError:
            return False

    def _existing(self, request: StartRequest) -> str:
        """The ARN of the execution an earlier start of the same name made."""
        machine = request.machine_arn.split(":")[6]
        for express in (False, True):
            arn = execution_arn(machine, request.name, express)
            try:
                return self.service.execution(arn).execution_arn
            except ApiError:
                continue
        raise StartRefused(f"execution {request.name} exists but cannot be found")


def start_scheduler(service: Service, settings: SchedulerSettings) -> Scheduler:
    """A scheduler for ``service``'s store, ticking on its own thread."""
    scheduler = Scheduler(
        service.store,
        ServeStarter(service),
        owner=f"{lease_owner()}:serve:{uuid.uuid4().hex[:8]}",
        clock=settings.clock,
        ttl=settings.ttl,
        interval=settings.interval,
        log=service.log,
    )
    scheduler.start()
    return scheduler


__all__ = ["SchedulerSettings", "ServeStarter", "start_scheduler"]
