"""What nested executions (``states:startExecution``, ``aws-sdk:sfn``) ask of the driver.

A dispatcher does not drive executions: :mod:`.nested` and :mod:`.sfn_api` start, find, wait on
and stop child executions through the :class:`ChildDriver` the driver installs
(:func:`install`; ``runtime.drivers.nested`` installs the in-process one when it is imported,
and every driver imports it). Each call names the store the parent's pending tasks live in (the
callback hub's), where its Standard children are stored too.

A child runs with the task dispatch its parent lends it (:func:`lent_dispatch`: the parent's
Lambda handlers, bindings and AWS mode, without its mocks) when the parent's Task runs in this
process; otherwise (a child resumed on its own) with the options stored with it.
"""

from __future__ import annotations

import concurrent.futures
import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from asl.errors import RUNTIME, StatesError
from runtime.callbacks import machines
from runtime.callbacks.machines import MachineSpec


class Halted(Exception):
    """The run of a child execution was ended in this process (stopped or suspended)."""


class ChildRefused(Exception):
    """The driver would not start the child: ``code`` is StartExecution's error code
    (``InvalidName``, ``InvalidDefinition``, ``ExecutionAlreadyExists``,
    ``ServiceUnavailable``) and the message says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ChildStart:
    """A child execution to start: its ARN (in its machine's account and region), machine,
    name, input (JSON text) and the options stored with it (its parent's, without mocks)."""

    arn: str
    spec: MachineSpec
    name: str
    input: str
    options: dict[str, Any]
    dispatch: Any = None  # lent by the parent whose Task starts it (None: from ``options``)


class ChildDriver(Protocol):
    """The driver's side of nested executions. ``store`` is the parent's store; records are
    the store's execution records (``status``, ``output``, ``start_date``, ...)."""

    def start(self, store: Any, child: ChildStart) -> datetime:
        """Start ``child`` (a Standard one stored in ``store``, an Express one in memory) and
        set it running; its start date. Raises :class:`ChildRefused`."""
        ...

    def ensure_running(self, store: Any, arn: str, dispatch: Any = None) -> None:
        """Run the stored child ``arn`` here unless it has ended or a live process runs it."""
        ...

    def find(self, store: Any, arn: str) -> Any | None:
        """The stored record of execution ``arn``; None when there is none."""
        ...

    def stop(
        self, store: Any, arn: str, error: str | None = None, cause: str | None = None
    ) -> Any | None:
        """Stop ``arn`` as StopExecution does (``ExecutionAborted`` recorded, its run here
        ended at once); its record as stored then, None for an Express child."""
        ...

    def abandon(self, store: Any, parent_arn: str, child_arn: str) -> None:
        """The Task of ``parent_arn`` waiting on ``child_arn`` was given up: stop the child
        unless the parent stays RUNNING to be resumed. Returns at once."""
        ...

    def future(self, arn: str) -> concurrent.futures.Future[Any] | None:
        """The end of child ``arn``'s run in this process (None if it never ran here): for an
        Express child ``(ExecutionResult, input text)``, or the exception that ended it
        (:class:`Halted` when it was ended here)."""
        ...


_INSTALLED: list[ChildDriver] = []


def install(driver: ChildDriver) -> None:
    """Make ``driver`` the one nested executions in this process ask."""
    _INSTALLED[:] = [driver]


def driver() -> ChildDriver:
    """The installed :class:`ChildDriver`."""
    if not _INSTALLED:
        raise StatesError(RUNTIME, "Nested executions need a driver; none runs in this process.")
    return _INSTALLED[0]


def lent_dispatch() -> Any:
    """The dispatch the parent whose Task runs in this context lends its children (None outside
    a Task): its own, without a mock test case (that is the parent's, by state name)."""
    dispatch = machines.DISPATCH.get()
    from runtime.tasks import TaskDispatcher

    if isinstance(dispatch, TaskDispatcher) and dispatch._mocks is not None:
        dispatch = copy.copy(dispatch)
        dispatch._mocks = None
    return dispatch


__all__ = [
    "ChildDriver",
    "ChildRefused",
    "ChildStart",
    "Halted",
    "driver",
    "install",
    "lent_dispatch",
]
