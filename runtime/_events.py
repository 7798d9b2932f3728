"""History events shaped like GetExecutionHistory, and the JSON rendering AWS uses in them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Event type -> the name of its details object ("TaskStateEntered" -> "stateEnteredEventDetails").
_DETAILS_OVERRIDES = {
    "StateEntered": "stateEnteredEventDetails",
    "StateExited": "stateExitedEventDetails",
}


def details_key(event_type: str) -> str:
    """The key of an event type's details object, as GetExecutionHistory names it."""
    for suffix, key in _DETAILS_OVERRIDES.items():
        if event_type.endswith(suffix) and event_type != suffix:
            return key
    return event_type[0].lower() + event_type[1:] + "EventDetails"


def to_json(value: Any) -> str:
    """JSON text as AWS writes payloads in history and outputs: compact, non-ASCII kept."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(slots=True)
class Event:
    """One history event. ``frame`` is our internal scope key (not part of AWS's shape)."""

    id: int
    previous_event_id: int
    timestamp: datetime
    type: str
    details: dict[str, Any] | None = None
    frame: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The event as GetExecutionHistory returns it (timestamp as an ISO 8601 string)."""
        out: dict[str, Any] = {
            "timestamp": self.timestamp.isoformat(),
            "type": self.type,
            "id": self.id,
            "previousEventId": self.previous_event_id,
        }
        if self.details is not None:
            out[details_key(self.type)] = self.details
        return out


def payload_details(key: str, value: Any) -> dict[str, Any]:
    """``{"input": "<json>", "inputDetails": {"truncated": false}}`` style fields."""
    return {key: to_json(value), key + "Details": {"truncated": False}}
