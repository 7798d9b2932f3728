"""A template's schedules: ``AWS::Scheduler::Schedule`` resources and the ``Schedule`` and
``ScheduleV2`` events of SAM state machines, as CreateSchedule requests.

:func:`template_schedules` resolves them (intrinsic functions, parameters) into the PascalCase
members of CreateSchedule and the state machines they start; :func:`install_schedules` puts
both in a store (``asl schedule create --template``). Names follow CloudFormation and SAM: a
``Name`` property, else ``STACK-LogicalId`` for a schedule resource and ``MachineIdEventId``
for a SAM event (SAM's generated resource's logical id).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asl.diagnostics import pointer_join
from runtime.core.arns import ACCOUNT, REGION
from runtime.stores.schedules import ScheduleGroupRecord
from runtime.templates._errors import TemplateError
from runtime.templates._machines import MachineDefinition, machine_definition
from runtime.templates._prepare import default_stack_name
from runtime.templates._stack import Stack
from runtime.templates._template import Template
from runtime.templates._uses import MACHINE_TYPES

SCHEDULE_TYPE = "AWS::Scheduler::Schedule"
GROUP_TYPE = "AWS::Scheduler::ScheduleGroup"
UNIVERSAL_START = "arn:aws:scheduler:::aws-sdk:sfn:startExecution"

# CreateSchedule's members an AWS::Scheduler::Schedule resource or a ScheduleV2 event may set.
_MEMBERS = (
    "Name",
    "GroupName",
    "Description",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "StartDate",
    "EndDate",
    "State",
    "FlexibleTimeWindow",
    "ActionAfterCompletion",
    "KmsKeyArn",
)
# A ScheduleV2 event's properties that go into the schedule's Target.
_TARGET_MEMBERS = ("Input", "RoleArn", "RetryPolicy", "DeadLetterConfig")


@dataclass(frozen=True, slots=True)
class TemplateSchedule:
    """One schedule of a template: where it was written and its CreateSchedule members."""

    source: str  # "Nightly" or "Pipeline/Events/Nightly"
    where: str  # path:line:column
    params: dict[str, Any]


@dataclass(slots=True)
class TemplateSchedules:
    """A template's schedules, the schedule groups it declares, and the machines they start."""

    schedules: list[TemplateSchedule] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    machines: list[MachineDefinition] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def template_schedules(
    template: Template,
    *,
    parameters: Mapping[str, str] | None = None,
    stack_name: str | None = None,
) -> TemplateSchedules:
    """Every schedule ``template`` declares, resolved (see the module docstring). Raises
    :class:`TemplateError` naming where a schedule is wrong."""
    stack = Stack(
        template,
        parameters,
        region=REGION,
        account=ACCOUNT,
        stack_name=stack_name or default_stack_name(template.path),
    )
    found = TemplateSchedules()
    by_arn = {
        stack.attribute(i, "Arn"): i
        for i in template.resources
        if stack.resource_type(i) in MACHINE_TYPES and stack.exists(i)
    }
    targets: list[str] = []
    for logical_id in template.resources:
        if not stack.exists(logical_id):
            continue
        kind = stack.resource_type(logical_id)
        if kind == GROUP_TYPE:
            found.groups.append(stack.name(logical_id))
        elif kind == SCHEDULE_TYPE:
            schedule = _resource(stack, logical_id)
            _add(found, targets, by_arn, schedule)
        elif kind == "AWS::Serverless::StateMachine":
            for schedule in _events(stack, logical_id):
                _add(found, targets, by_arn, schedule)
    found.machines = [machine_definition(stack, i) for i in targets]
    return found


def _add(
    found: TemplateSchedules,
    targets: list[str],
    by_arn: dict[str, str],
    schedule: TemplateSchedule,
) -> None:
    target = schedule.params.get("Target") or {}
    arn = target.get("Arn")
    if arn == UNIVERSAL_START:
        arn = _started_by(target.get("Input"))
    machine = by_arn.get(arn) if isinstance(arn, str) else None
    if machine is None:
        found.warnings.append(
            f"{schedule.where}: schedule {schedule.source} targets {arn!r}, not a state machine "
            "of this template: it is left out (asl schedules start state machines)"
        )
        return
    if machine not in targets:
        targets.append(machine)
    found.schedules.append(schedule)


def _started_by(text: Any) -> Any:
    """The StateMachineArn of the universal target's Input (StartExecution's request)."""
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return value.get("StateMachineArn") if isinstance(value, dict) else None


def _resource(stack: Stack, logical_id: str) -> TemplateSchedule:
    base = pointer_join("/Resources", logical_id, "Properties")
    properties = stack.resolve(stack.properties(logical_id), base)
    params = {k: properties[k] for k in _MEMBERS if k in properties}
    params.setdefault("Name", stack.name(logical_id))
    params.setdefault("FlexibleTimeWindow", {"Mode": "OFF"})
    target = properties.get("Target")
    if not isinstance(target, dict) or not target.get("Arn"):
        raise TemplateError(
            f"{stack.template.where(base)}: schedule {logical_id} needs a Target "
            "with an Arn (the state machine it starts)"
        )
    params["Target"] = target
    return _finished(stack, logical_id, base, params)


def _events(stack: Stack, logical_id: str) -> list[TemplateSchedule]:
    events = stack.properties(logical_id).get("Events") or {}
    out = []
    arn = stack.attribute(logical_id, "Arn")
    for event_id, event in events.items() if isinstance(events, dict) else ():
        base = pointer_join("/Resources", logical_id, "Properties", "Events", event_id)
        kind = event.get("Type") if isinstance(event, dict) else None
        if kind not in ("Schedule", "ScheduleV2"):
            continue
        where = pointer_join(base, "Properties")
        properties = stack.resolve(event.get("Properties") or {}, where)
        if not isinstance(properties, dict):
            raise TemplateError(f"{stack.template.where(where)}: Properties must be an object")
        source = f"{logical_id}/Events/{event_id}"
        if kind == "Schedule":
            params = _rule_schedule(stack, properties, where, source)
        else:
            params = {k: properties[k] for k in _MEMBERS if k in properties}
            params.setdefault("FlexibleTimeWindow", {"Mode": "OFF"})
            params["Target"] = {k: properties[k] for k in _TARGET_MEMBERS if k in properties}
        params.setdefault("Name", f"{logical_id}{event_id}")
        params["Target"] = {"Arn": arn, **params["Target"]}
        params["Target"].setdefault("RoleArn", f"arn:aws:iam::{ACCOUNT}:role/asl-local")
        out.append(_finished(stack, source, base, params))
    return out


def _rule_schedule(stack: Stack, properties: dict[str, Any], where: str, source: str) -> dict:
    """A SAM ``Schedule`` event (an EventBridge rule): its expression in UTC, ``Enabled`` or
    ``State``, ``Input``, ``Name``, ``Description``."""
    expression = properties.get("Schedule")
    if not isinstance(expression, str):
        raise TemplateError(
            f"{stack.template.where(where)}: event {source} needs a Schedule "
            "expression (cron(...) or rate(...))"
        )
    params: dict[str, Any] = {
        "ScheduleExpression": expression,
        "FlexibleTimeWindow": {"Mode": "OFF"},
    }
    for key in ("Name", "Description"):
        if key in properties:
            params[key] = properties[key]
    enabled = properties.get("Enabled")
    state = properties.get("State")
    if state is not None:
        params["State"] = "DISABLED" if str(state).upper() == "DISABLED" else "ENABLED"
    elif enabled is not None:
        params["State"] = "DISABLED" if str(enabled).lower() == "false" else "ENABLED"
    target = {k: properties[k] for k in ("Input", "RoleArn", "RetryPolicy") if k in properties}
    if "DeadLetterConfig" in properties and isinstance(properties["DeadLetterConfig"], dict):
        arn = properties["DeadLetterConfig"].get("Arn")
        if arn:
            target["DeadLetterConfig"] = {"Arn": arn}
    params["Target"] = target
    return params


def _finished(stack: Stack, source: str, base: str, params: dict[str, Any]) -> TemplateSchedule:
    """``params`` with dates as datetimes and Input as text, as CreateSchedule takes them."""
    where = stack.template.where(base)
    for key in ("StartDate", "EndDate"):
        if isinstance(params.get(key), str):
            try:
                params[key] = datetime.fromisoformat(params[key])
            except ValueError:
                raise TemplateError(
                    f"{where}: schedule {source}: {key} {params[key]!r} is not "
                    "an ISO-8601 date and time (2027-01-01T00:00:00Z)"
                )
    target = params["Target"]
    if "Input" in target and not isinstance(target["Input"], str):
        target["Input"] = json.dumps(target["Input"], ensure_ascii=False)
    return TemplateSchedule(source, where, params)


def install_schedules(store: Any, found: TemplateSchedules, *, now: float) -> list[str]:
    """Register ``found``'s state machines, schedule groups and schedules in ``store`` (a
    second install updates what changed); one line per thing, saying what was done."""
    from runtime.schedules import registry, requests

    lines = []
    for machine in found.machines:
        _, action = registry.store_machine(
            store, machine.name, machine.definition, now=now, kind=machine.type
        )
        lines.append(f"state machine {machine.name}: {action}")
    for group in found.groups:
        if store.get_schedule_group(group) is None:
            store.add_schedule_group(
                ScheduleGroupRecord(requests.group_arn(group), group, now, now)
            )
            lines.append(f"schedule group {group}: {registry.CREATED}")
    for schedule in found.schedules:
        try:
            record, action = registry.save_schedule(store, schedule.params, now=now, replace=True)
        except requests.ScheduleRequestError as exc:
            raise TemplateError(
                f"{schedule.where}: schedule {schedule.source}: {exc.code}: {exc.message}"
            ) from None
        lines.append(f"schedule {record.group_name}/{record.name}: {action}")
    return lines


__all__ = ["TemplateSchedule", "TemplateSchedules", "install_schedules", "template_schedules"]
