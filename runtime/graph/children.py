"""A Distributed Map child execution as a graph of its own: the item processor it runs, and its
history with frames relative to it.

A child's record keeps no definition (it runs its parent's Map state's ItemProcessor) and its
stored events carry the frames they had inside the parent's run (``%2FM#1/i0``,
``%2FM#1/i0/Q#1.0/b0``); :func:`item_processor` finds the definition and :func:`rebased`
makes the frames start at the child's root, so :func:`runtime.graph.model.build_graph` and
:func:`runtime.graph.overlay.overlay` read a child as any execution.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from runtime.core.events import Event


def item_processor(definition: str, label: str) -> str | None:
    """The definition (JSON text) a Distributed Map's children run: the ItemProcessor (or
    Iterator) of the DISTRIBUTED Map state of ``definition`` whose Label (else name) is
    ``label``; None when there is none."""
    found = _find(json.loads(definition), label, inherited=None)
    return None if found is None else json.dumps(found)


def child_label(child_machine_name: str, parent_machine_name: str) -> str:
    """The Map state's Label a child's machine name carries (``<parent machine>/<Label>``)."""
    prefix = parent_machine_name + "/"
    if child_machine_name.startswith(prefix):
        return child_machine_name[len(prefix) :]
    return child_machine_name.rsplit("/", 1)[-1]


def rebased(events: Iterable[Event]) -> list[Event]:
    """``events`` of a child history with frames relative to the child (its root is ``""``)."""
    events = list(events)
    if not events:
        return events
    root = events[0].frame
    if not root:
        return events
    out = []
    for event in events:
        frame = event.frame
        if frame == root:
            frame = ""
        elif frame.startswith(root + "/"):
            frame = frame[len(root) :]
        out.append(
            Event(event.id, event.previous_event_id, event.millis, event.type, event.details, frame)
        )
    return out


def _find(node: Any, label: str, inherited: str | None) -> dict[str, Any] | None:
    if not isinstance(node, Mapping):
        return None
    language = node.get("QueryLanguage", inherited)
    for name, state in (node.get("States") or {}).items():
        if not isinstance(state, Mapping):
            continue
        for processor in _processors(state):
            if (
                state.get("Type") == "Map"
                and processor is state.get("ItemProcessor", state.get("Iterator"))
                and (processor.get("ProcessorConfig") or {}).get("Mode") == "DISTRIBUTED"
                and state.get("Label", name) == label
            ):
                found = {k: v for k, v in processor.items() if k != "ProcessorConfig"}
                own = state.get("QueryLanguage", language)
                if own and "QueryLanguage" not in found:
                    found["QueryLanguage"] = own
                return found
            nested = _find(processor, label, state.get("QueryLanguage", language))
            if nested is not None:
                return nested
    return None


def _processors(state: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The nested definitions of a Map or Parallel state."""
    processor = state.get("ItemProcessor", state.get("Iterator"))
    if isinstance(processor, Mapping):
        yield processor
    for branch in state.get("Branches") or ():
        if isinstance(branch, Mapping):
            yield branch
