"""Which definition a start runs: a state machine, version or alias ARN resolved over the
machine store (versions and aliases are :class:`MachineRecord` s under their own ARNs).

One resolution for every way an execution starts: ``asl serve``'s StartExecution and nested
starts, and the scheduler's store starter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runtime.stores.contracts import MACHINE, VERSION, MachineRecord, MachineStore


@dataclass(frozen=True, slots=True)
class Resolved:
    """What a start runs: ``record`` (the machine, or the version chosen), with the version and
    alias ARNs the execution is associated with (None when not)."""

    machine_arn: str
    record: MachineRecord
    version_arn: str | None = None
    alias_arn: str | None = None


def live(machines: MachineStore, arn: str) -> MachineRecord | None:
    """The live version or alias at ``arn`` (not a deleted version's tombstone), or None."""
    record = machines.get_machine(arn)
    if record is None or record.kind == MACHINE or record.deleted:
        return None
    return record


def pick(routing: list[dict[str, Any]], roll: int) -> str:
    """The version ARN of an alias's ``routing`` that ``roll`` (0..99) falls in, by weight."""
    for route in routing:
        roll -= int(route["weight"])
        if roll < 0:
            return str(route["stateMachineVersionArn"])
    return str(routing[-1]["stateMachineVersionArn"]) if routing else ""


def resolve(machines: MachineStore, arn: str, roll: int) -> Resolved | None:
    """Resolve a state machine ARN, or a version or alias ARN (``<machine>:<qualifier>``;
    an alias picks by ``roll``, 0..99); None when it names nothing runnable."""
    head, _, qualifier = arn.partition(":stateMachine:")
    name, _, qualifier = qualifier.partition(":")
    unqualified = f"{head}:stateMachine:{name}"
    machine = machines.get_machine(unqualified)
    if machine is None or machine.kind != MACHINE:
        return None
    if not qualifier:
        return Resolved(unqualified, machine)
    record = live(machines, arn)
    if record is None:
        return None
    if record.kind == VERSION:
        return Resolved(unqualified, record, version_arn=record.arn)
    version = live(machines, pick(record.routing, roll))
    if version is None or version.kind != VERSION:
        return None
    return Resolved(unqualified, version, version_arn=version.arn, alias_arn=record.arn)
