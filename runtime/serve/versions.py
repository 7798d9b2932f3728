"""State machine versions and aliases: Publish/List/DeleteStateMachineVersion and
Create/Describe/Update/List/DeleteStateMachineAlias, and the resolution of a version or alias
ARN to the version an execution runs.

Versions and aliases are :class:`MachineRecord` s in the machine store, under their own ARNs
(``kind`` VERSION or ALIAS). A version is numbered from 1 by adding the record at the next free
ARN: the store's ``add_machine`` is create-if-absent, so two servers on one store that publish
at once retry on the number the other took, and never share one. A deleted version stays as a
tombstone, so its number is never reused.
"""

from __future__ import annotations

import dataclasses
import random
from typing import TYPE_CHECKING, Any

from runtime.drivers.machines import Resolved, live, resolve
from runtime.serve import arns
from runtime.serve.errors import ApiError, machine_not_found, validation
from runtime.serve.params import max_results, optional, page, required
from runtime.stores.contracts import ALIAS, MACHINE, VERSION, MachineRecord

if TYPE_CHECKING:
    from runtime.serve.service import Service

VERSION_LIMIT = 1000  # versions per state machine, as on AWS
ALIAS_LIMIT = 100  # aliases per state machine
DESCRIPTION_LIMIT = 256
_PUBLISH_TRIES = 50  # numbers taken by other servers publishing at the same moment
_RANDOM = random.SystemRandom()
_NOT_FOUND = "Request references a resource that does not exist."


Target = Resolved  # what StartExecution runs (see runtime.drivers.machines)


def target(service: Service, text: object) -> Target:
    """Resolve a state machine, version or alias ARN; ``StateMachineDoesNotExist`` when it
    names nothing. An alias picks one of its versions by weight (the system's random source)."""
    arn = arns.parse(text, "stateMachine")
    if arn.qualifier is None:
        return Target(arn.text, service.machine(arn.text))
    resolved = resolve(service.machines, arn.text, _RANDOM.randrange(100))
    if resolved is None:
        raise machine_not_found(arn.text)
    return resolved


def nested_record(service: Service, machine: MachineRecord, arn: str) -> MachineRecord | None:
    """What a nested ``states:startExecution`` of ``arn`` (which names ``machine``, perhaps in
    another account) runs: the machine, or the version its version or alias qualifier picks
    (None when that names nothing)."""
    tail = arn.split(":stateMachine:", 1)[-1].split(":")
    if len(tail) != 2:
        return machine
    try:
        return target(service, f"{machine.arn}:{tail[1]}").record
    except ApiError:
        return None


def describe_version(service: Service, arn: arns.Arn) -> MachineRecord:
    """The version DescribeStateMachine describes for a version ARN."""
    record = find(service, arn.text) if arn.is_version else None
    if record is None:
        if arn.is_alias:
            raise validation(
                f"DescribeStateMachine takes a state machine or version ARN, not the alias "
                f"'{arn.text}': use DescribeStateMachineAlias"
            )
        raise machine_not_found(arn.text)
    return record


# -- versions --------------------------------------------------------------------------------


def publish(service: Service, machine: MachineRecord, description: str = "") -> MachineRecord:
    """Publish ``machine``'s current revision: the version that already holds it if any, else
    a new version numbered after every one ever published."""
    from runtime.serve.service import now

    for _ in range(_PUBLISH_TRIES):
        family = _family(service, machine.arn, VERSION, with_deleted=True)
        live = [r for r in family if not r.deleted]
        for record in live:
            if record.revision_id == machine.revision_id:
                return record
        if len(live) >= VERSION_LIMIT:
            raise ApiError(
                "ServiceQuotaExceededException",
                f"State machine '{machine.arn}' has {VERSION_LIMIT} versions, the most it may "
                "have: delete unused versions with DeleteStateMachineVersion",
            )
        number = max((r.version for r in family), default=0) + 1
        record = dataclasses.replace(
            machine.copy(),
            arn=arns.version_arn(machine.arn, number),
            kind=VERSION,
            version=number,
            description=description,
            creation_date=now(),
            update_date=None,
            tags={},
        )
        stored, created = service.machines.add_machine(record)
        if created or (not stored.deleted and stored.revision_id == machine.revision_id):
            return stored
    raise ApiError(
        "ConflictException",
        f"Could not number a new version of '{machine.arn}': other publications took every "
        "number tried; try again",
    )


def publish_version(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = _unqualified(params)
    description = _description(params)
    revision = optional(params, "revisionId", str)
    with service.lock:
        machine = service.machine(arn)
        initial = revision == "INITIAL" and machine.update_date is None
        if revision is not None and revision != machine.revision_id and not initial:
            raise ApiError(
                "ConflictException",
                f"Failed to publish the State Machine version for revision {revision}. "
                f"The current State Machine revision is {machine.revision_id}.",
            )
        record = publish(service, machine, description)
    return {"stateMachineVersionArn": record.arn, "creationDate": record.creation_date}


def list_versions(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = _unqualified(params)
    records = sorted(_family(service, arn, VERSION), key=lambda r: -r.version)  # newest first
    return _listing(params, records, f"ListStateMachineVersions {arn}", "Version")


def delete_version(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    """Delete a version (none there is no error, as on AWS); refused while an alias routes to
    it. The record stays as a tombstone, so the number is not published again."""
    arn = arns.parse(required(params, "stateMachineVersionArn"), "stateMachine")
    if not arn.is_version:
        raise ApiError("InvalidArn", f"Invalid Arn: 'Not a state machine version ARN: {arn.text}'")
    with service.lock:
        record = find(service, arn.text)
        if record is None or record.kind != VERSION:
            return {}
        routed = [a.name for a in _family(service, arn.unqualified, ALIAS) if _routes(a, arn.text)]
        if routed:
            raise ApiError(
                "ConflictException",
                "Version to be deleted must not be referenced by an alias. Current list of "
                f"aliases referencing this version: [{', '.join(routed)}]",
            )
        record.deleted, record.definition, record.description = True, "", ""
        service.machines.put_machine(record)
    return {}


def delete_family(service: Service, machine_arn: str) -> None:
    """DeleteStateMachine's part: the machine's versions (tombstones too) and aliases go."""
    for kind in (ALIAS, VERSION):
        for record in _family(service, machine_arn, kind, with_deleted=True):
            service.machines.delete_machine(record.arn)


# -- aliases ---------------------------------------------------------------------------------


def create_alias(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    from runtime.serve.service import now

    name = required(params, "name")
    if len(name) > 80:
        raise _constraint(name, "name", "Member must have length less than or equal to 80")
    if not arns.ALIAS_NAME.match(name):
        raise _constraint(
            name,
            "name",
            "Member must satisfy regular expression pattern: "
            r"^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$",
        )
    description = _description(params)
    routing = _routing(params)
    machine_arn = arns.parse(routing[0]["stateMachineVersionArn"], "stateMachine").unqualified
    with service.lock:
        machine = service.machines.get_machine(machine_arn)
        if machine is None or machine.kind != MACHINE:
            raise ApiError("ResourceNotFound", f"{_NOT_FOUND} '{machine_arn}'")
        _check_versions(service, machine_arn, routing)
        if len(_family(service, machine_arn, ALIAS)) >= ALIAS_LIMIT:
            raise ApiError(
                "ServiceQuotaExceededException",
                f"State machine '{machine_arn}' has {ALIAS_LIMIT} aliases, the most it may have",
            )
        created_at = now()
        record = MachineRecord(
            arn=arns.alias_arn(machine_arn, name),
            name=name,
            definition="",
            type=machine.type,
            role_arn=machine.role_arn,
            creation_date=created_at,
            revision_id="",
            update_date=created_at,
            description=description,
            kind=ALIAS,
            routing=routing,
        )
        stored, created = service.machines.add_machine(record)
    if not created and (stored.routing, stored.description) != (routing, description):
        raise ApiError(
            "ConflictException",
            "Failed to create alias because an alias with the same name and a different "
            "routing configuration already exists.",
        )
    return {"stateMachineAliasArn": stored.arn, "creationDate": stored.creation_date}


def describe_alias(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    record = _alias(service, params)
    out: dict[str, Any] = {
        "stateMachineAliasArn": record.arn,
        "name": record.name,
        "routingConfiguration": record.routing,
        "creationDate": record.creation_date,
        "updateDate": record.update_date or record.creation_date,
    }
    if record.description:
        out["description"] = record.description
    return out


def update_alias(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    from runtime.serve.service import now

    if params.get("description") is None and params.get("routingConfiguration") is None:
        raise validation(
            "Either the description or the routingConfiguration must be specified to update "
            "a state machine alias"
        )
    description = _description(params) if params.get("description") is not None else None
    routing = _routing(params) if params.get("routingConfiguration") is not None else None
    with service.lock:
        record = _alias(service, params)
        if routing is not None:
            machine_arn = arns.parse(record.arn, "stateMachine").unqualified
            _check_versions(service, machine_arn, routing)
            record.routing = routing
        if description is not None:
            record.description = description
        record.update_date = now()
        service.machines.put_machine(record)
    return {"updateDate": record.update_date}


def list_aliases(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    """The aliases of a state machine, or of the machine's aliases those that route to a
    version (given its ARN), oldest first."""
    arn = arns.parse(required(params, "stateMachineArn"), "stateMachine")
    if arn.is_alias:
        raise ApiError("InvalidArn", f"Invalid Arn: 'Not a state machine or version: {arn.text}'")
    service.machine(arn.unqualified)
    records = _family(service, arn.unqualified, ALIAS)
    if arn.is_version:
        if find(service, arn.text) is None:
            raise ApiError("ResourceNotFound", f"{_NOT_FOUND} '{arn.text}'")
        records = [r for r in records if _routes(r, arn.text)]
    return _listing(params, records, f"ListStateMachineAliases {arn.text}", "Alias")


def delete_alias(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    """Delete an alias (none there is no error, as on AWS); its versions stay."""
    arn = arns.parse(required(params, "stateMachineAliasArn"), "stateMachine")
    if not arn.is_alias:
        raise ApiError("InvalidArn", f"Invalid Arn: 'Not a state machine alias ARN: {arn.text}'")
    with service.lock:
        record = find(service, arn.text)
        if record is not None and record.kind == ALIAS:
            service.machines.delete_machine(record.arn)
    return {}


# -- helpers ---------------------------------------------------------------------------------


def find(service: Service, arn: str) -> MachineRecord | None:
    """The live version or alias at ``arn``, or None."""
    return live(service.machines, arn)


def _family(
    service: Service, machine_arn: str, kind: str, *, with_deleted: bool = False
) -> list[MachineRecord]:
    """The versions or aliases of one state machine, oldest first."""
    prefix = machine_arn + ":"
    return [
        r
        for r in service.machines.list_machines()
        if r.kind == kind and r.arn.startswith(prefix) and (with_deleted or not r.deleted)
    ]


def _routes(alias: MachineRecord, version_arn: str) -> bool:
    return any(route["stateMachineVersionArn"] == version_arn for route in alias.routing)


def _unqualified(params: dict[str, Any]) -> str:
    arn = arns.parse(required(params, "stateMachineArn"), "stateMachine")
    if arn.qualifier is not None:
        raise ApiError(
            "InvalidArn", f"Invalid Arn: 'Expected an unqualified state machine ARN: {arn.text}'"
        )
    return arn.text


def _alias(service: Service, params: dict[str, Any]) -> MachineRecord:
    arn = arns.parse(required(params, "stateMachineAliasArn"), "stateMachine")
    if not arn.is_alias:
        raise ApiError("InvalidArn", f"Invalid Arn: 'Not a state machine alias ARN: {arn.text}'")
    record = find(service, arn.text)
    if record is None or record.kind != ALIAS:
        raise ApiError("ResourceNotFound", _NOT_FOUND)
    return record


def version_description(params: dict[str, Any]) -> str:
    """CreateStateMachine's and UpdateStateMachine's ``versionDescription``, checked."""
    return _description(params, "versionDescription")


def _description(params: dict[str, Any], key: str = "description") -> str:
    text = optional(params, key, str, "")
    if len(text) > DESCRIPTION_LIMIT:
        raise _constraint(
            text, key, f"Member must have length less than or equal to {DESCRIPTION_LIMIT}"
        )
    return text


def _routing(params: dict[str, Any]) -> list[dict[str, Any]]:
    """routingConfiguration, checked as AWS checks it: one or two distinct version ARNs whose
    integer weights (0..100) sum to 100."""
    items = required(params, "routingConfiguration", list)
    if not 1 <= len(items) <= 2:
        raise _constraint(
            items,
            "routingConfiguration",
            "Member must have length less than or equal to 2"
            if items
            else "Member must have length greater than or equal to 1",
        )
    routing: list[dict[str, Any]] = []
    for index, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise validation(f"routingConfiguration.{index} must be an object")
        arn = required(item, "stateMachineVersionArn")
        weight = required(item, "weight", int)
        where = f"routingConfiguration.{index}.member.weight"
        if weight > 100:
            raise _constraint(weight, where, "Member must have value less than or equal to 100")
        if weight < 0:
            raise _constraint(weight, where, "Member must have value greater than or equal to 0")
        routing.append({"stateMachineVersionArn": arn, "weight": weight})
    version_arns = [route["stateMachineVersionArn"] for route in routing]
    received = f"Received: [{', '.join(version_arns)}]"
    if not all(_is_version_arn(arn) for arn in version_arns):
        raise validation(
            f"Routing configuration must contain state machine version ARNs. {received}"
        )
    if len(set(version_arns)) != len(version_arns):
        raise validation(
            f"Routing configuration must contain distinct state machine version ARNs. {received}"
        )
    machines = {arn.rsplit(":", 1)[0] for arn in version_arns}
    if len(machines) != 1:
        raise validation(
            f"Routing configuration must contain versions of one state machine. {received}"
        )
    weights = [route["weight"] for route in routing]
    if sum(weights) != 100:
        raise validation(
            "Sum of routing configuration weights must equal 100. "
            f"Received: [{', '.join(map(str, weights))}]"
        )
    return routing


def _is_version_arn(text: str) -> bool:
    try:
        return arns.parse(text, "stateMachine").is_version
    except ApiError:
        return False


def _check_versions(service: Service, machine_arn: str, routing: list[dict[str, Any]]) -> None:
    """Every routed version belongs to ``machine_arn`` and exists."""
    for route in routing:
        arn = route["stateMachineVersionArn"]
        if arn.rsplit(":", 1)[0] != machine_arn:
            raise validation(
                f"Routing configuration must contain versions of '{machine_arn}'. Received: {arn}"
            )
        record = find(service, arn)
        if record is None or record.kind != VERSION:
            raise ApiError("ResourceNotFound", f"{_NOT_FOUND} '{arn}'")


def _constraint(value: Any, where: str, rule: str) -> ApiError:
    return validation(
        f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy "
        f"constraint: {rule}"
    )


def _listing(
    params: dict[str, Any], records: list[MachineRecord], scope: str, what: str
) -> dict[str, Any]:
    """One page of ListStateMachineVersions (``what`` "Version") or ...Aliases ("Alias")."""
    items, token = page(
        records, lambda r: r.arn, max_results(params), optional(params, "nextToken"), scope=scope
    )
    member = "stateMachineAliases" if what == "Alias" else "stateMachineVersions"
    out: dict[str, Any] = {
        member: [{f"stateMachine{what}Arn": r.arn, "creationDate": r.creation_date} for r in items]
    }
    if token:
        out["nextToken"] = token
    return out


ACTIONS = {
    "PublishStateMachineVersion": publish_version,
    "ListStateMachineVersions": list_versions,
    "DeleteStateMachineVersion": delete_version,
    "CreateStateMachineAlias": create_alias,
    "DescribeStateMachineAlias": describe_alias,
    "UpdateStateMachineAlias": update_alias,
    "ListStateMachineAliases": list_aliases,
    "DeleteStateMachineAlias": delete_alias,
}
