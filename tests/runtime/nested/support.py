"""Helpers for the nested-execution tests: child machines, parents that start them, waiting
(``wait_until``, a bound against hanging, not a measure of speed)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import runtime
from runtime.callbacks.machines import register_machine
from tests.callbacks.conftest import wait_until

START = "arn:aws:states:::states:startExecution"
SFN = "arn:aws:states:::aws-sdk:sfn:"
LONG_WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}
"""A child that would run for ten minutes unless it is stopped."""


def child(definition: dict[str, Any], type_: str = "STANDARD") -> str:
    """Register ``definition`` as a child machine under a fresh name; its ARN."""
    return register_machine(f"kid-{uuid.uuid4().hex[:8]}", json.dumps(definition), type=type_)


def starting(resource: str, arn: str, child_input: Any = None, **fields: Any) -> dict[str, Any]:
    """A Task state starting ``arn`` through ``resource``."""
    parameters: dict[str, Any] = {"StateMachineArn": arn}
    if child_input is not None:
        parameters["Input"] = child_input
    return {"Type": "Task", "Resource": resource, "Parameters": parameters, **fields}


def one_state(state: dict[str, Any], **machine: Any) -> dict[str, Any]:
    """A machine of the one state ``state``."""
    return {"StartAt": "Start", "States": {"Start": {**state, "End": True}}, **machine}


def submitted(result: runtime.ExecutionResult) -> dict[str, Any]:
    """The StartExecution response the parent's ``TaskSubmitted`` recorded."""
    event = next(e for e in result.history if e["type"] == "TaskSubmitted")
    return json.loads(event["taskSubmittedEventDetails"]["output"])


__all__ = ["LONG_WAIT", "SFN", "START", "child", "one_state", "starting", "submitted", "wait_until"]
