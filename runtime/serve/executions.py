"""Execution actions: Start/StartSync/Describe/List/Stop/RedriveExecution, GetExecutionHistory
and DescribeStateMachineForExecution.

StartExecution and StartSyncExecution take a state machine, version or alias ARN: the
execution runs that version's definition (an alias's pick) and records the version and alias
ARNs with its options, which DescribeExecution and ListExecutions return, as AWS does."""

from __future__ import annotations

import asyncio
import math
import random
import time
import uuid
from typing import TYPE_CHECKING, Any

from runtime.core.events import Event, to_json
from runtime.drivers import observers
from runtime.drivers.runner import NotRedrivable, RunError
from runtime.serve import arns, versions
from runtime.serve.errors import ApiError, machine_not_found, validation
from runtime.serve.params import (
    choice,
    epoch,
    json_input,
    max_results,
    optional,
    page,
    required,
)
from runtime.serve.service import role_of, serve_options
from runtime.stores.base import (
    REDRIVABLE_STATUSES,
    RUNNING,
    ExecutionAlreadyExists,
    ExecutionNotFound,
    ExecutionRecord,
    LeaseHeld,
)

if TYPE_CHECKING:
    from runtime.serve.service import Service

STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")
SYNC_LIMIT_SECONDS = 300.0  # Express executions run for at most five minutes
_DATA_KEYS = ("input", "output", "parameters")


def start_execution(
    service: Service, params: dict[str, Any], *, schedule: dict[str, Any] | None = None
) -> dict[str, Any]:
    """StartExecution; ``schedule``: the occurrence that started it (a scheduler's start),
    recorded in the execution's options."""
    chosen = versions.target(service, required(params, "stateMachineArn"))
    machine = chosen.record
    name = arns.check_name(optional(params, "name", str) or str(uuid.uuid4()))
    text, _ = json_input(params)
    express = machine.type == "EXPRESS"
    service.compile(machine.definition, machine.type, machine.name)  # fail before storing
    record = ExecutionRecord(
        execution_arn=arns.execution_arn(machine.name, name, express),
        name=name,
        machine_name=machine.name,
        type=machine.type,
        definition=machine.definition,
        input=text,
        seed=random.SystemRandom().getrandbits(63),
        start_date=service.clock().now(),
        filename=machine.name,
        options={
            **service.options.to_dict(),
            "serve": {
                "stateMachineArn": chosen.machine_arn,
                "roleArn": machine.role_arn,
                "revisionId": machine.revision_id,
                "traceHeader": optional(params, "traceHeader", str),
                **_associated(chosen),
            },
            **({"schedule": schedule} if schedule else {}),
        },
        lease_owner=None if express else service.owner,
        lease_heartbeat=None if express else time.time(),
    )
    store = service.express if express else service.store
    try:
        stored, created = store.create(record)
    except ExecutionAlreadyExists as exc:
        raise ApiError("ExecutionAlreadyExists", str(exc))
    if created:
        service.launch(stored, machine.role_arn)
    return {"executionArn": stored.execution_arn, "startDate": epoch(stored.start_date)}


def start_sync_execution(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    chosen = versions.target(service, required(params, "stateMachineArn"))
    machine = chosen.record
    if machine.type != "EXPRESS":
        raise ApiError(
            "StateMachineTypeNotSupported",
            "This operation is only supported by EXPRESS state machines",
        )
    name = arns.check_name(optional(params, "name", str) or str(uuid.uuid4()))
    text, value = json_input(params)
    metadata_only = choice(params, "includedData", ("ALL_DATA", "METADATA_ONLY")) == (
        "METADATA_ONLY"
    )
    compiled = service.compile(machine.definition, machine.type, machine.name)
    clock = service.clock()
    started = time.perf_counter()

    async def run() -> Any:
        return await asyncio.wait_for(
            service.executions.run_unstored(
                compiled,
                value,
                dispatch=service.dispatch(),
                name=name,
                machine_name=machine.name,
                express=True,
                clock=clock,
                role_arn=machine.role_arn,
                sync=True,
            ),
            SYNC_LIMIT_SECONDS,
        )

    arn = arns.execution_arn(machine.name, name, True)
    out: dict[str, Any] = {
        "executionArn": arn,
        "stateMachineArn": chosen.machine_arn,
        "name": name,
    }
    try:
        result = service.loop.call(run())
    except TimeoutError:
        out.update(status="TIMED_OUT", error="States.Timeout", startDate=epoch(clock.now()))
        result = None
    if result is not None and observers.observed():  # nothing stores it: observed here
        observers.notify(result.execution_arn, result.events)
        for child, events in result.child_histories.items():
            observers.notify(child, events)
    if result is not None:
        out.update(status=result.status, startDate=epoch(result.start_date))
        out["stopDate"] = epoch(result.stop_date)
        if result.status == "SUCCEEDED" and not metadata_only:
            out.update(output=to_json(result.output), outputDetails={"included": True})
        for key in ("error", "cause"):
            if getattr(result, key) is not None:
                out[key] = getattr(result, key)
    out.setdefault("stopDate", epoch(clock.now()))
    if not metadata_only:
        out.update(input=text, inputDetails={"included": True})
    if params.get("traceHeader") is not None:
        out["traceHeader"] = params["traceHeader"]
    elapsed_ms = (time.perf_counter() - started) * 1000
    out["billingDetails"] = {
        "billedMemoryUsedInMB": 64,
        "billedDurationInMilliseconds": max(100, math.ceil(elapsed_ms / 100) * 100),
    }
    return out


def describe_execution(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    record = service.execution(_execution_arn(params))
    out = summary(record)
    out.update(input=record.input, inputDetails={"included": True})
    if record.output is not None:
        out.update(output=record.output, outputDetails={"included": True})
    for key in ("error", "cause"):
        if getattr(record, key) is not None:
            out[key] = getattr(record, key)
    trace = serve_options(record).get("traceHeader")
    if trace:
        out["traceHeader"] = trace
    if record.map_run_arn:  # a Distributed Map child
        out["mapRunArn"] = record.map_run_arn
    if record.type == "EXPRESS":
        out.update(redriveStatus="NOT_REDRIVABLE", redriveStatusReason="Execution is Express")
    elif record.status in REDRIVABLE_STATUSES:
        out["redriveStatus"] = "REDRIVABLE"
    else:
        out.update(
            redriveStatus="NOT_REDRIVABLE",
            redriveStatusReason=f"Execution is {record.status} and cannot be redriven",
        )
    return out


def summary(record: ExecutionRecord) -> dict[str, Any]:
    """The members DescribeExecution and ListExecutions share."""
    out: dict[str, Any] = {
        "executionArn": record.execution_arn,
        "stateMachineArn": machine_of(record),
        "name": record.name,
        "status": record.status,
        "startDate": epoch(record.start_date),
    }
    if record.stop_date is not None:
        out["stopDate"] = epoch(record.stop_date)
    out.update(_associated_of(record))
    if record.type == "STANDARD":
        out["redriveCount"] = record.redrive_count
    if record.redrive_date is not None:
        out["redriveDate"] = epoch(record.redrive_date)
    return out


def machine_of(record: ExecutionRecord) -> str:
    arn = serve_options(record).get("stateMachineArn")
    return str(arn) if arn else arns.machine_arn(record.machine_name)


def list_executions(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    map_run = optional(params, "mapRunArn", str)
    if map_run is not None:
        return _list_map_run(service, params, map_run)
    listed = _listed(service, params)
    machine = service.machine(listed.unqualified)
    if machine.type == "EXPRESS":
        raise ApiError(
            "StateMachineTypeNotSupported",
            "This operation is not supported by EXPRESS state machines",
        )
    status = choice(params, "statusFilter", STATUSES)
    redrive = choice(params, "redriveFilter", ("REDRIVEN", "NOT_REDRIVEN"))
    if status == "PENDING_REDRIVE":
        records: list[ExecutionRecord] = []
    else:
        records = [
            r
            for r in service.store.list(status=status)
            if r.machine_name == machine.name
            and machine_of(r) == machine.arn
            and _started_by(r, listed)
        ]
    if redrive is not None:
        records = [r for r in records if (r.redrive_count > 0) == (redrive == "REDRIVEN")]
    items, token = page(
        records,
        lambda r: r.execution_arn,
        max_results(params),
        optional(params, "nextToken"),
        scope=f"ListExecutions {listed.text} {status} {redrive}",
    )
    out: dict[str, Any] = {"executions": [summary(r) for r in items]}
    if token:
        out["nextToken"] = token
    return out


def _list_map_run(service: Service, params: dict[str, Any], map_run: str) -> dict[str, Any]:
    """ListExecutions of a Distributed Map's Map Run: its child executions (which a listing by
    state machine leaves out, as on AWS)."""
    if params.get("stateMachineArn") is not None:
        raise validation("Provide either stateMachineArn or mapRunArn, not both")
    status = choice(params, "statusFilter", STATUSES)
    records = service.store.list(map_run_arn=map_run)
    if not records and not _stored(service, map_run):  # (a Map Run with S3 calls has a record)
        raise ApiError("ResourceNotFound", f"Map Run Does Not Exist: '{map_run}'")
    if status is not None:
        records = [r for r in records if r.status == status]
    items, token = page(
        records,
        lambda r: r.execution_arn,
        max_results(params),
        optional(params, "nextToken"),
        scope=f"ListExecutions {map_run} {status}",
    )
    out: dict[str, Any] = {"executions": [{**summary(r), "mapRunArn": map_run} for r in items]}
    if token:
        out["nextToken"] = token
    return out


def _stored(service: Service, arn: str) -> bool:
    try:
        return service.store.get(arn).execution_arn == arn
    except ExecutionNotFound:
        return False


def get_execution_history(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    record = service.execution(_execution_arn(params))
    events = service.store_for(record.execution_arn).events(record.execution_arn)
    reverse = optional(params, "reverseOrder", bool, False)
    if reverse:
        events.reverse()
    include = optional(params, "includeExecutionData", bool, True)
    items, token = page(
        events,
        lambda e: e.id,
        max_results(params),
        optional(params, "nextToken"),
        scope=f"GetExecutionHistory {record.execution_arn} {reverse}",
    )
    out: dict[str, Any] = {"events": [history_event(e, include) for e in items]}
    if token:
        out["nextToken"] = token
    return out


def history_event(event: Event, include_data: bool = True) -> dict[str, Any]:
    """One event as GetExecutionHistory returns it (timestamp in epoch seconds)."""
    out = event.to_dict()
    out["timestamp"] = event.timestamp.timestamp()
    if not include_data:
        for value in out.values():
            if isinstance(value, dict):
                for key in _DATA_KEYS:
                    value.pop(key, None)
    return out


def stop_execution(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = _execution_arn(params)
    error = optional(params, "error", str)
    cause = optional(params, "cause", str)
    if error is not None and len(error) > 256:
        raise validation("error must be at most 256 characters")
    if cause is not None and len(cause) > 32768:
        raise validation("cause must be at most 32768 characters")
    record = service.execution(arn)
    if record.status == RUNNING:
        record = service.loop.call(
            service.loop.stop_execution(service.store_for(arn), arn, error, cause), 60
        )
    return {"stopDate": epoch(record.stop_date)}


def redrive_execution(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = _execution_arn(params)
    record = service.execution(arn)
    if record.type != "STANDARD":
        raise _not_redrivable(arn, "Express executions cannot be redriven")
    if record.status not in REDRIVABLE_STATUSES:
        raise _not_redrivable(arn, f"the execution is {record.status}")
    if service.machines.get_machine(machine_of(record)) is None:
        raise _not_redrivable(arn, "its state machine was deleted")
    try:
        launch = service.executions.redriving(arn, dispatch=service.dispatch())
    except NotRedrivable as exc:
        raise _not_redrivable(arn, exc.reason)
    except (RunError, LeaseHeld) as exc:
        raise _not_redrivable(arn, str(exc))
    machine = service.machines.get_machine(machine_of(launch.record))
    launch.role_arn, launch.sync = role_of(launch.record, machine), False
    service.run(launch)
    return {"redriveDate": epoch(launch.record.redrive_date)}


def describe_machine_for_execution(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    record = service.execution(_execution_arn(params))
    serve = serve_options(record)
    machine = service.machines.get_machine(machine_of(record))
    out: dict[str, Any] = {
        "stateMachineArn": machine_of(record),
        "name": record.machine_name,
        "definition": record.definition,
        "roleArn": role_of(record, machine),
        "updateDate": epoch(machine.update_date or machine.creation_date)
        if machine is not None
        else epoch(record.start_date),
        "loggingConfiguration": (machine.logging if machine else None)
        or {"level": "OFF", "includeExecutionData": False},
        "tracingConfiguration": (machine.tracing if machine else None) or {"enabled": False},
    }
    if serve.get("revisionId"):
        out["revisionId"] = serve["revisionId"]
    return out


# -- helpers ---------------------------------------------------------------------------------


_VERSION, _ALIAS = "stateMachineVersionArn", "stateMachineAliasArn"


def _associated(started: versions.Target) -> dict[str, str]:
    """The version and alias an execution started through (what its options record)."""
    out = {}
    if started.version_arn:
        out[_VERSION] = started.version_arn
    if started.alias_arn:
        out[_ALIAS] = started.alias_arn
    return out


def _associated_of(record: ExecutionRecord) -> dict[str, str]:
    serve = serve_options(record)
    return {key: str(serve[key]) for key in (_VERSION, _ALIAS) if serve.get(key)}


def _listed(service: Service, params: dict[str, Any]) -> arns.Arn:
    """ListExecutions' state machine, version or alias (which must exist)."""
    arn = arns.parse(required(params, "stateMachineArn"), "stateMachine")
    if arn.qualifier is not None and versions.find(service, arn.text) is None:
        if service.machines.get_machine(arn.unqualified) is None:
            raise machine_not_found(arn.unqualified)
        raise ApiError("ResourceNotFound", f"Resource not found: '{arn.text}'")
    return arn


def _started_by(record: ExecutionRecord, listed: arns.Arn) -> bool:
    """Whether ``record`` belongs in a listing by ``listed``: every execution of the machine
    for its plain ARN; those of that version (alias) for a version (alias) ARN."""
    if listed.qualifier is None:
        return True
    key = _VERSION if listed.is_version else _ALIAS
    return _associated_of(record).get(key) == listed.text


def _execution_arn(params: dict[str, Any]) -> str:
    return arns.parse(required(params, "executionArn"), "execution", "express").text


def _not_redrivable(arn: str, why: str) -> ApiError:
    return ApiError("ExecutionNotRedrivable", f"Execution {arn} cannot be redriven: {why}")


ACTIONS = {
    "StartExecution": start_execution,
    "StartSyncExecution": start_sync_execution,
    "DescribeExecution": describe_execution,
    "ListExecutions": list_executions,
    "GetExecutionHistory": get_execution_history,
    "StopExecution": stop_execution,
    "RedriveExecution": redrive_execution,
    "DescribeStateMachineForExecution": describe_machine_for_execution,
}
