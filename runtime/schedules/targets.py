"""A schedule's target: which state machine an occurrence starts, with which input and name.

Two target forms start a Step Functions execution, as on EventBridge Scheduler:

* the templated target: ``Target.Arn`` is the state machine's ARN (a version or alias ARN
  too) and ``Target.Input`` the execution's input;
* the universal target ``arn:aws:scheduler:::aws-sdk:sfn:startExecution``: ``Target.Input`` is
  StartExecution's request as JSON (``StateMachineArn``, ``Input``, optional ``Name``).

EventBridge's context attributes (``<aws.scheduler.schedule-arn>``,
``<aws.scheduler.scheduled-time>``, ``<aws.scheduler.execution-id>``,
``<aws.scheduler.attempt-number>``) are replaced in ``Target.Input``'s text first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from runtime.schedules.requests import UNIVERSAL_START

_MACHINE_PREFIX = "arn:aws:states:"


class TargetError(ValueError):
    """A target that cannot start an execution (a permanent failure: no retry helps)."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """What one occurrence starts: the machine, the input text and the name (None: derived)."""

    machine_arn: str
    input: str
    name: str | None = None


def context_attributes(
    schedule_arn: str, scheduled_time: str, execution_id: str, attempt: int
) -> dict[str, str]:
    """EventBridge Scheduler's context attributes and their values for one invocation."""
    return {
        "<aws.scheduler.schedule-arn>": schedule_arn,
        "<aws.scheduler.scheduled-time>": scheduled_time,
        "<aws.scheduler.execution-id>": execution_id,
        "<aws.scheduler.attempt-number>": str(attempt),
    }


def substitute(text: str, attributes: dict[str, str]) -> str:
    """``text`` with every context attribute replaced by its value."""
    for key, value in attributes.items():
        text = text.replace(key, value)
    return text


def resolve(target: dict[str, Any], attributes: dict[str, str]) -> Resolved:
    """The execution ``target`` asks for (:class:`TargetError` when it cannot start one)."""
    arn = str(target.get("Arn") or "")
    text = substitute(_text(target.get("Input"), "{}"), attributes)
    if arn == UNIVERSAL_START:
        return _universal(text)
    if not _is_machine(arn):
        raise TargetError(
            f"target {arn or '(none)'} is not a state machine: asl starts Step Functions "
            f"executions only (a state machine ARN, or {UNIVERSAL_START})"
        )
    return Resolved(arn, text)


def _universal(text: str) -> Resolved:
    try:
        request = json.loads(text)
    except ValueError as exc:
        raise TargetError(f"{UNIVERSAL_START}: Input is not JSON ({exc})")
    if not isinstance(request, dict):
        raise TargetError(f"{UNIVERSAL_START}: Input must be a JSON object")
    arn = request.get("StateMachineArn")
    if not isinstance(arn, str) or not _is_machine(arn):
        raise TargetError(f"{UNIVERSAL_START}: Input needs StateMachineArn, a state machine ARN")
    name = request.get("Name")
    if name is not None and not isinstance(name, str):
        raise TargetError(f"{UNIVERSAL_START}: Name must be a string")
    return Resolved(arn, _text(request.get("Input"), "{}"), name or None)


def _text(value: Any, default: str) -> str:
    if value is None:
        return default
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _is_machine(arn: str) -> bool:
    parts = arn.split(":")
    return arn.startswith(_MACHINE_PREFIX) and len(parts) >= 7 and parts[5] == "stateMachine"
