"""State machine actions: Create/Describe/List/Update/DeleteStateMachine (publishing versions
with ``publish``), tags and ValidateStateMachineDefinition (our diagnostics in AWS's response
shape)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runtime.core import jsontext
from runtime.serve import arns, versions
from runtime.serve.errors import ApiError, machine_not_found, validation
from runtime.serve.params import (
    DEFINITION_LIMIT,
    bounded,
    choice,
    max_results,
    optional,
    page,
    required,
)
from runtime.stores.contracts import MACHINE, MachineRecord

if TYPE_CHECKING:
    from runtime.serve.service import Service

TYPES = ("STANDARD", "EXPRESS")
_DEFAULT_LOGGING = {"level": "OFF", "includeExecutionData": False}


def create_state_machine(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    from runtime.serve.service import new_revision, now

    name = arns.check_name(required(params, "name"))
    kind = choice(params, "type", TYPES, "STANDARD")
    definition = _definition(service, params, kind)
    role = _role(required(params, "roleArn"))
    publish, version_description = _publishing(params)
    record = MachineRecord(
        arn=arns.machine_arn(name),
        name=name,
        definition=definition,
        type=kind,
        role_arn=role,
        creation_date=now(),
        revision_id=new_revision(),
        logging=optional(params, "loggingConfiguration", dict, {}),
        tracing=optional(params, "tracingConfiguration", dict, {}),
        tags=_tags(optional(params, "tags", list, [])),
    )
    with service.lock:
        stored, created = service.machines.add_machine(record)
    if not created and not _same(stored, record):
        raise ApiError("StateMachineAlreadyExists", f"State Machine Already Exists: '{stored.arn}'")
    if created:
        _preflight(service, stored)
    out = {"stateMachineArn": stored.arn, "creationDate": stored.creation_date}
    if publish:
        with service.lock:
            version = versions.publish(service, stored, version_description)
        out["stateMachineVersionArn"] = version.arn
    return out


def describe_state_machine(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = arns.parse(required(params, "stateMachineArn"), "stateMachine")
    if arn.qualifier is not None:
        return describe(versions.describe_version(service, arn))
    return describe(service.machine(arn.text))


def describe(record: MachineRecord) -> dict[str, Any]:
    """DescribeStateMachine's response for ``record`` (a state machine or a version)."""
    out: dict[str, Any] = {
        "stateMachineArn": record.arn,
        "name": record.name,
        "status": "ACTIVE",
        "definition": record.definition,
        "roleArn": record.role_arn,
        "type": record.type,
        "creationDate": record.creation_date,
        "loggingConfiguration": record.logging or _DEFAULT_LOGGING,
        "tracingConfiguration": record.tracing or {"enabled": False},
        "revisionId": record.revision_id,
    }
    if record.description:
        out["description"] = record.description
    return out


def list_state_machines(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    records = [r for r in service.machines.list_machines() if r.kind == MACHINE]
    items, token = page(
        records,
        lambda r: r.arn,
        max_results(params),
        optional(params, "nextToken"),
        scope="ListStateMachines",
    )
    out: dict[str, Any] = {
        "stateMachines": [
            {
                "stateMachineArn": r.arn,
                "name": r.name,
                "type": r.type,
                "creationDate": r.creation_date,
            }
            for r in items
        ]
    }
    if token:
        out["nextToken"] = token
    return out


def update_state_machine(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    from runtime.serve.service import new_revision, now

    arn = _machine_arn(params)
    changes = ("definition", "roleArn", "loggingConfiguration", "tracingConfiguration")
    if not any(params.get(key) is not None for key in (*changes, "encryptionConfiguration")):
        raise ApiError(
            "MissingRequiredParameter",
            "Either the definition, the role ARN, the LoggingConfiguration, the "
            "EncryptionConfiguration or the TracingConfiguration must be specified",
        )
    publish, version_description = _publishing(params)
    with service.lock:
        record = service.machine(arn)
        before = _revision_of(record)
        if params.get("definition") is not None:
            record.definition = _definition(service, params, record.type)
        if params.get("roleArn") is not None:
            record.role_arn = _role(required(params, "roleArn"))
        record.logging = optional(params, "loggingConfiguration", dict, record.logging)
        record.tracing = optional(params, "tracingConfiguration", dict, record.tracing)
        if _revision_of(record) != before:  # an update that changes nothing keeps the revision
            record.revision_id = new_revision()
        record.update_date = now()
        service.machines.put_machine(record)
        version = versions.publish(service, record, version_description) if publish else None
    _preflight(service, record)
    out = {"updateDate": record.update_date, "revisionId": record.revision_id}
    if version is not None:
        out["stateMachineVersionArn"] = version.arn
    return out


def delete_state_machine(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = _machine_arn(params)
    with service.lock:
        versions.delete_family(service, arn)
        service.machines.delete_machine(arn)
    return {}


def validate_definition(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    """ValidateStateMachineDefinition: our diagnostics, in AWS's shape."""
    import asl

    definition = bounded(required(params, "definition"), "definition", DEFINITION_LIMIT)
    kind = choice(params, "type", TYPES, "STANDARD")
    severity = choice(params, "severity", ("ERROR", "WARNING"), "ERROR")
    limit = max_results(params, default=100, limit=100)
    diagnostics = _json_problem(definition) or [
        {
            "severity": d.severity.value,
            "code": d.aws_code or d.code,
            "message": d.message,
            "location": d.aws_location,
        }
        for d in service.asl(asl.validate, definition, state_machine_type=kind)
    ]
    failed = any(d["severity"] == "ERROR" for d in diagnostics)
    if severity == "ERROR":
        diagnostics = [d for d in diagnostics if d["severity"] == "ERROR"]
    return {
        "result": "FAIL" if failed else "OK",
        "diagnostics": diagnostics[:limit],
        "truncated": len(diagnostics) > limit,
    }


def tag_resource(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    with service.lock:
        record = _taggable(service, params)
        record.tags.update(_tags(required(params, "tags", list)))
        service.machines.put_machine(record)
    return {}


def untag_resource(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    with service.lock:
        record = _taggable(service, params)
        for key in required(params, "tagKeys", list):
            record.tags.pop(key, None)
        service.machines.put_machine(record)
    return {}


def list_tags(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    record = _taggable(service, params)
    return {"tags": [{"key": k, "value": v} for k, v in record.tags.items()]}


# -- helpers ---------------------------------------------------------------------------------


def _machine_arn(params: dict[str, Any]) -> str:
    arn = arns.parse(required(params, "stateMachineArn"), "stateMachine")
    if arn.qualifier is not None:  # a version is immutable, an alias no state machine: as AWS
        raise machine_not_found(arn.text)
    return arn.text


def _publishing(params: dict[str, Any]) -> tuple[bool, str]:
    """``publish`` and ``versionDescription`` (which only goes with ``publish``)."""
    publish = optional(params, "publish", bool, False)
    if params.get("versionDescription") is not None and not publish:
        raise validation("Version description can only be set when publish is true")
    return publish, versions.version_description(params)


def _revision_of(record: MachineRecord) -> tuple[Any, ...]:
    """What a revision is made of: a change to any of these makes a new revision."""
    return (record.definition, record.role_arn, record.logging, record.tracing)


def _taggable(service: Service, params: dict[str, Any]) -> MachineRecord:
    arn = arns.parse(required(params, "resourceArn"), "stateMachine")
    record = service.machines.get_machine(arn.text)
    if record is None or record.kind != MACHINE:
        raise ApiError("ResourceNotFound", f"Resource not found: '{arn.text}'")
    return record


def _definition(service: Service, params: dict[str, Any], kind: str) -> str:
    """The definition member, checked: ``InvalidDefinition`` with AWS's codes otherwise."""
    import asl

    definition = bounded(required(params, "definition"), "definition", DEFINITION_LIMIT)
    assert definition is not None
    problems = _json_problem(definition)
    if not problems:
        problems = [
            {"code": d.aws_code or d.code, "message": d.message, "location": d.aws_location}
            for d in service.asl(asl.validate, definition, state_machine_type=kind)
            if d.severity.value == "ERROR"
        ]
    if problems:
        text = ", ".join(f"{p['code']}: {p['message']} at {p['location']}" for p in problems)
        raise ApiError("InvalidDefinition", f"Invalid State Machine Definition: '{text}'")
    try:
        machine = service.compile(definition, kind)
    except Exception as exc:  # the validator passed what the loader refuses: still the client's
        raise ApiError("InvalidDefinition", f"Invalid State Machine Definition: '{exc}'")
    service.check_code(machine.iter_all_states())
    return definition


def _json_problem(definition: str) -> list[dict[str, Any]]:
    """AWS takes JSON only (asl also reads YAML)."""
    try:
        value = jsontext.loads(definition)
    except jsontext.JsonTextError as exc:
        message = f"Malformed JSON: {exc}"
    else:
        if isinstance(value, dict):
            return []
        message = "The definition must be a JSON object"
    return [
        {
            "severity": "ERROR",
            "code": "INVALID_JSON_DESCRIPTION",
            "message": message,
            "location": "/",
        }
    ]


def _role(role: str) -> str:
    if not arns.ROLE.match(role):
        raise ApiError("InvalidArn", f"Invalid Arn: 'Invalid role ARN: {role}'")
    return role


def _tags(tags: list[Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag in tags:
        if not isinstance(tag, dict) or not isinstance(tag.get("key"), str):
            raise validation("each tag needs a string 'key'")
        out[tag["key"]] = str(tag.get("value", ""))
    return out


def _same(stored: MachineRecord, new: MachineRecord) -> bool:
    """CreateStateMachine is idempotent for an identical request."""
    return (stored.definition, stored.type, stored.role_arn) == (
        new.definition,
        new.type,
        new.role_arn,
    ) and (stored.logging or {}) == (new.logging or {})


def _preflight(service: Service, record: MachineRecord) -> None:
    """Log the Task resources no local handler answers (the execution would fail there)."""
    from asl.model import TaskState
    from runtime.tasks import ConfigurationError

    try:
        machine = service.compile(record.definition, record.type, record.name)
        tasks = [
            (s.name, s.resource) for s in machine.iter_all_states() if isinstance(s, TaskState)
        ]
        warnings = service.dispatch().preflight(tasks)  # type: ignore[attr-defined]
    except ConfigurationError as exc:
        warnings = [str(exc)]
    except AttributeError:
        return
    for warning in warnings:
        service.log(f"{record.name}: {warning}")


ACTIONS = {
    "CreateStateMachine": create_state_machine,
    "DescribeStateMachine": describe_state_machine,
    "ListStateMachines": list_state_machines,
    "UpdateStateMachine": update_state_machine,
    "DeleteStateMachine": delete_state_machine,
    "ValidateStateMachineDefinition": validate_definition,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags,
}
