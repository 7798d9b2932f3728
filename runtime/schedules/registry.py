"""Putting schedules and the state machines they target into a store (the CLI, templates).

``asl schedule create --machine FILE`` and a template's schedules name a definition rather than
an ARN: :func:`store_machine` keeps it in the store under its name, as CreateStateMachine would
(creating it, or updating its definition when the text changed), so every process that fires
schedules from that store (``asl serve``, a fleet's workers) finds the target by ARN.
:func:`save_schedule` stores a schedule made from CreateSchedule's members, in a group that
exists, creating it or (``replace``) updating the one of that name.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from runtime.core.arns import ACCOUNT, machine_arn
from runtime.stores.contracts import MachineRecord
from runtime.stores.schedules import DEFAULT_GROUP, ScheduleRecord

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
DEFAULT_ROLE = f"arn:aws:iam::{ACCOUNT}:role/asl-local"


def json_definition(text: str, *, kind: str = "STANDARD", filename: str = "<definition>") -> str:
    """``text`` (JSON or YAML) validated (:class:`asl.DefinitionError` when AWS would refuse it)
    and as the JSON text a state machine stores (unchanged when it already is JSON)."""
    import asl
    from asl.source import parse_source

    asl.load(text, state_machine_type=kind, filename=filename)
    try:
        json.loads(text)
    except ValueError:
        return json.dumps(parse_source(text, filename=filename).value, ensure_ascii=False)
    return text


def store_machine(
    store: Any,
    name: str,
    definition: str,
    *,
    now: float,
    kind: str = "STANDARD",
    role_arn: str = DEFAULT_ROLE,
) -> tuple[str, str]:
    """Register state machine ``name`` with ``definition`` (validated JSON text) in ``store``:
    ``(arn, CREATED | UPDATED | UNCHANGED)``. An existing machine of that name keeps its
    ARN; a changed definition gets a new revision."""
    arn = machine_arn(name)
    record = MachineRecord(
        arn=arn,
        name=name,
        definition=definition,
        type=kind,
        role_arn=role_arn,
        creation_date=now,
        revision_id=str(uuid.uuid4()),
    )
    stored, created = store.add_machine(record)
    if created:
        return arn, CREATED
    if stored.definition == definition and stored.type == kind:
        return arn, UNCHANGED
    stored.definition, stored.type = definition, kind
    stored.revision_id, stored.update_date = str(uuid.uuid4()), now
    store.put_machine(stored)
    return arn, UPDATED


def save_schedule(
    store: Any, params: dict[str, Any], *, now: float, replace: bool = False
) -> tuple[ScheduleRecord, str]:
    """Store the schedule CreateSchedule's ``params`` describe: ``(record, CREATED)``; with
    ``replace``, an existing schedule of that name is updated instead (``UPDATED`` or
    ``UNCHANGED``), else it is a ``ConflictException``. Raises
    :class:`~runtime.schedules.requests.ScheduleRequestError`."""
    from runtime.schedules import requests

    group = params.get("GroupName") or DEFAULT_GROUP
    if group == DEFAULT_GROUP:
        requests.default_group(store, now=now)
    elif store.get_schedule_group(group) is None:
        raise requests.ScheduleRequestError(
            "ResourceNotFoundException", f"Schedule group {group} does not exist."
        )
    arn = requests.schedule_arn(group, str(params.get("Name")))
    existing = store.get_schedule(arn)
    if existing is None:
        record = requests.new_schedule(params, now=now)
        stored, created = store.add_schedule(record)
        if created:
            return stored, CREATED
        existing = stored
    if not replace:
        raise requests.ScheduleRequestError(
            "ConflictException", f"Schedule {params.get('Name')} already exists."
        )
    record = requests.updated_schedule(existing, params, now=now)
    if _same(record, existing):
        return existing, UNCHANGED
    store.put_schedule(record)
    return record, UPDATED


def _same(a: ScheduleRecord, b: ScheduleRecord) -> bool:
    mine, theirs = a.copy(), b.copy()
    mine.last_modification_date = theirs.last_modification_date
    return mine.to_json() == theirs.to_json()


__all__ = [
    "CREATED",
    "DEFAULT_ROLE",
    "UNCHANGED",
    "UPDATED",
    "json_definition",
    "save_schedule",
    "store_machine",
]
