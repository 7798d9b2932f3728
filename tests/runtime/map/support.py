"""Building Distributed Map machines for the tests."""

from __future__ import annotations

from typing import Any

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}

# Fails the items whose input has "fail": true (with error "Boom"), passes the others through.
FAIL_MARKED = {
    "StartAt": "Check",
    "States": {
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Boom"}],
            "Default": "Done",
        },
        "Boom": {"Type": "Fail", "Error": "Boom", "Cause": "marked to fail"},
        "Done": {"Type": "Pass", "End": True},
    },
}

GET_OBJECT = "arn:aws:states:::s3:getObject"
LIST_OBJECTS = "arn:aws:states:::s3:listObjectsV2"
PUT_OBJECT = "arn:aws:states:::s3:putObject"


def distributed(
    processor: dict[str, Any] | None = None,
    *,
    query_language: str | None = None,
    before: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A machine whose state ``Map`` is a Distributed Map with ``fields``."""
    body = dict(processor or PASS)
    body["ProcessorConfig"] = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    state: dict[str, Any] = {"Type": "Map", "ItemProcessor": body, "End": True, **fields}
    states: dict[str, Any] = {"Map": state}
    start = "Map"
    if before is not None:
        states = {"Before": {**before, "Next": "Map"}, **states}
        start = "Before"
    machine: dict[str, Any] = {"StartAt": start, "States": states}
    if query_language:
        machine["QueryLanguage"] = query_language
    return machine


def types(history: list[Any]) -> list[str]:
    """Event types of a history (dicts or Events)."""
    return [e["type"] if isinstance(e, dict) else e.type for e in history]
