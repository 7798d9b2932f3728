"""Pending tasks and activities as the stores keep them (:mod:`runtime.stores.contracts`).

Re-exported here for the callbacks' callers: a :class:`PendingTask` is one task attempt waiting on
the outside world, kept in the execution's store through its
:class:`~runtime.stores.contracts.TaskTokenStore` methods.
"""

from __future__ import annotations

from runtime.stores.contracts import (
    ACTIVITY,
    CALLBACK,
    CLOSED,
    COLUMNS,
    FAILED,
    NESTED,
    OPEN,
    SCHEDULED,
    STARTED,
    SUCCEEDED,
    TIMED_OUT,
    Activity,
    PendingTask,
    TaskTokenStore,
)

__all__ = [
    "ACTIVITY",
    "CALLBACK",
    "CLOSED",
    "COLUMNS",
    "FAILED",
    "NESTED",
    "OPEN",
    "SCHEDULED",
    "STARTED",
    "SUCCEEDED",
    "TIMED_OUT",
    "Activity",
    "PendingTask",
    "TaskTokenStore",
]
