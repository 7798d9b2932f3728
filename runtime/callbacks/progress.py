"""Events a task route records while its attempt is in flight (``TaskSubmitted``,
``ActivityStarted``).

The driver sets :data:`CURRENT` around each dispatch to a function recording an event in the
task's frame; a route calls :func:`note`. Outside the driver (a dispatcher called by hand) notes
are dropped.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

Note = Callable[[str, "dict[str, Any] | None"], None]

CURRENT: contextvars.ContextVar[Note | None] = contextvars.ContextVar(
    "asl_task_progress", default=None
)


def note(type_: str, details: dict[str, Any] | None = None) -> bool:
    """Record ``type_`` in the running task's history; False when no driver listens."""
    record = CURRENT.get()
    if record is None:
        return False
    record(type_, details)
    return True


INTERMEDIATE = ("TaskSubmitted", "ActivityStarted")
"""Events recorded between a task's start and its outcome."""
