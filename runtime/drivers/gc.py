"""Fewer garbage-collector passes in a process that runs executions.

CPython's cyclic collector starts a pass every 700 net allocations of container objects (2,000
from 3.13) and a full pass, over every object in the process, every hundred of those. An execution
allocates a few containers per history event (the event, its details, its payload) that live as
long as the history and hold no reference cycles, so at those thresholds a third of a fast run
goes to passes that find nothing. The first execution in a process therefore raises the
thresholds to :data:`THRESHOLDS` (never lowers them); cyclic garbage is still collected, in larger
batches. ``ASL_GC_TUNING=off`` leaves the collector as it is.
"""

from __future__ import annotations

import gc
import os

THRESHOLDS = (10_000, 100, 100)

_done = False


def tune_collector() -> None:
    """Raise the collector's thresholds once per process (see the module's description)."""
    global _done
    if _done:
        return
    _done = True
    if os.environ.get("ASL_GC_TUNING", "").strip().lower() in ("0", "off", "false", "no"):
        return
    current = gc.get_threshold()
    if current[0] == 0:  # collection switched off by the application: leave it so
        return
    gc.set_threshold(*(max(mine, theirs) for mine, theirs in zip(THRESHOLDS, current, strict=True)))
