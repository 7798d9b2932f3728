"""Who watches executions as they are recorded: metrics, traces, a console.

An observer is called with an execution's ARN and the events just stored for it, in order,
once each, by the process that stored them: the in-process driver (``asl run``, ``asl serve``)
after each commit, a fleet's decider after each decision's append, a stop after its
``ExecutionAborted``. A Distributed Map child's events come under the child's own ARN. With no
observer registered (``asl run``), recording costs one check of an empty tuple.

Observers must be quick and must not raise; one that raises is logged and skipped, never
failing the execution.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from runtime.core.events import Event

Observer = Callable[[str, Sequence[Event]], None]

_observers: tuple[Observer, ...] = ()
_log = logging.getLogger("asl.observers")


def add_observer(observer: Observer) -> Callable[[], None]:
    """Register ``observer``; returns the function that removes it."""
    global _observers
    _observers = (*_observers, observer)

    def remove() -> None:
        global _observers
        _observers = tuple(o for o in _observers if o is not observer)

    return remove


def observed() -> bool:
    """Whether any observer is registered."""
    return bool(_observers)


def notify(arn: str, events: Sequence[Event], children: Mapping[str, Any] | None = None) -> None:
    """Tell every observer about ``events`` of execution ``arn`` just stored, then about the
    Distributed Map children's (``children``: ARN -> ``ChildAppend``, as ``store.append``
    takes them)."""
    observers = _observers
    if not observers:
        return
    batches = [(arn, events)] if events else []
    for child_arn, entry in (children or {}).items():
        batches.append((child_arn, entry.events))
    for observer in observers:
        for batch_arn, batch in batches:
            try:
                observer(batch_arn, batch)
            except Exception:  # an observer's bug must not fail the execution
                _log.exception("observer %r failed on %s", observer, batch_arn)
