"""``arn:aws:states:::aws-sdk:sfn:ACTION``, answered by the engine itself, as within one account
(the task-token actions are :mod:`.callback`'s).

* ``startExecution``: a nested execution (:mod:`.nested`'s machinery: the same child, stored
  with the parent's pending task so a resumed parent does not start another); the response is
  ``{ExecutionArn, StartDate}``.
* ``startSyncExecution``: an Express machine run to its end; StartSyncExecution's response
  (a failed child is a response with ``Status`` FAILED, not a failed task).
* ``describeExecution``, ``stopExecution``, ``listExecutions``: the executions of the store the
  parent runs in (those the engine started, and under ``asl serve`` the server's).
* ``describeStateMachine``: the machine :mod:`runtime.callbacks.machines` finds for the ARN.

Results are in the API's members, PascalCase, with timestamps as ISO-8601 text, as an aws-sdk
integration gives them; failures are ``Sfn.<Code>Exception`` with the Java SDK 2.x's cause.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import os
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asl.errors import TASK_FAILED, StatesError
from runtime.callbacks import current_hub, machines, progress
from runtime.callbacks.machines import MachineSpec
from runtime.core.arns import ACCOUNT, machine_arn_of
from runtime.core.interpreter import TaskRequest
from runtime.tasks import children, nested
from runtime.tasks.aws.shapes import iso_instant
from runtime.tasks.callback import execution_of

PREFIX = "arn:aws:states:::aws-sdk:sfn:"
_RESOURCE = re.compile(r"^arn:aws[a-z-]*:states:::aws-sdk:sfn:(?P<action>[A-Za-z]+)$")
_NESTED = "arn:aws:states:::states:startExecution"
_V1_CAUSE = re.compile(
    r"^(?P<message>.*) \(Service: AWSStepFunctions; Status Code: (?P<status>\d+);"
)
MAX_RESULTS = 1000
BILLED_MEMORY_MB = 64
REDRIVABLE_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")  # RedriveExecution's rule


class SfnError(StatesError):
    """A Step Functions API error, as an aws-sdk integration reports it (the cause as AWS
    recorded it in 2025, the Java SDK 2.x's attempt count included)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        name = code if code.endswith("Exception") else f"{code}Exception"
        super().__init__(
            f"Sfn.{name}",
            f"{message} (Service: Sfn, Status Code: {status}, Request ID: {uuid.uuid4()}) "
            "(SDK Attempt Count: 1)",
        )


def handles(resource: str) -> bool:
    """Whether the engine answers ``resource``."""
    match = _RESOURCE.match(resource)
    return match is not None and match["action"] in _ACTIONS


async def run(request: TaskRequest) -> Any:
    """The action's response, in the Step Functions API's shape."""
    match = _RESOURCE.match(request.resource)
    action = _ACTIONS.get(match["action"]) if match else None
    if action is None:
        raise StatesError("States.Runtime", f"{request.resource} is not answered by the engine")
    params = request.parameters if isinstance(request.parameters, dict) else {}
    return await action(request, params)


# -- the actions ---------------------------------------------------------------------------------


async def start_execution(request: TaskRequest, params: dict[str, Any]) -> dict[str, Any]:
    response = await _nested(request, params, "")
    return {
        "ExecutionArn": response["ExecutionArn"],
        "StartDate": _iso_millis(response["StartDate"]),
    }


async def start_sync_execution(request: TaskRequest, params: dict[str, Any]) -> dict[str, Any]:
    arn = _required(params, "StateMachineArn")
    spec = _machine(request, arn)
    if spec.type != "EXPRESS":
        raise SfnError(
            "StateMachineTypeNotSupported",
            "This operation is only supported by EXPRESS state machines",
        )
    try:
        child = await _nested(request, params, ".sync")
    except StatesError as exc:
        if exc.error != TASK_FAILED or not (exc.cause or "").startswith("{"):
            raise
        child = json.loads(exc.cause or "{}")  # the child failed: still a response
    out: dict[str, Any] = {
        "ExecutionArn": child["ExecutionArn"],
        "StateMachineArn": child.get("StateMachineArn") or arn,
        "Name": child["Name"],
        "StartDate": _iso_millis(child["StartDate"]),
        "StopDate": _iso_millis(child.get("StopDate") or child["StartDate"]),
        "Status": child["Status"],
    }
    for key in ("Error", "Cause"):
        if child.get(key) is not None:
            out[key] = child[key]
    if params.get("IncludedData") != "METADATA_ONLY":
        out.update(Input=child["Input"], InputDetails={"Included": True})
        if child.get("Output") is not None:
            out.update(Output=child["Output"], OutputDetails={"Included": True})
    if params.get("TraceHeader") is not None:
        out["TraceHeader"] = params["TraceHeader"]
    elapsed = (child.get("StopDate") or child["StartDate"]) - child["StartDate"]
    out["BillingDetails"] = {
        "BilledDurationInMilliseconds": max(100, math.ceil(elapsed / 100) * 100),
        "BilledMemoryUsedInMB": BILLED_MEMORY_MB,
    }
    return out


async def describe_execution(request: TaskRequest, params: dict[str, Any]) -> dict[str, Any]:
    record = _execution(_required(params, "ExecutionArn"))
    out = _summary(record)
    out.update(Input=record.input, InputDetails={"Included": True})
    if record.output is not None:
        out.update(Output=record.output, OutputDetails={"Included": True})
    for key in ("error", "cause"):
        if getattr(record, key) is not None:
            out[key.capitalize()] = getattr(record, key)
    if record.status in REDRIVABLE_STATUSES:
        out["RedriveStatus"] = "REDRIVABLE"
    else:
        out["RedriveStatus"] = "NOT_REDRIVABLE"
        out["RedriveStatusReason"] = f"Execution is {record.status} and cannot be redriven"
    return out


async def stop_execution(request: TaskRequest, params: dict[str, Any]) -> dict[str, Any]:
    """Record the execution ABORTED; its run in this process, if any, ends at once."""
    arn = _required(params, "ExecutionArn")
    error, cause = params.get("Error"), params.get("Cause")
    for key, value, limit in (("Error", error, 256), ("Cause", cause, 32768)):
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise SfnError("Validation", f"{key} must be a string of at most {limit} characters")
    record = _execution(arn)
    record = children.driver().stop(current_hub().store, record.execution_arn, error, cause)
    return {"StopDate": _iso(record.stop_date or datetime.now(UTC))}


async def list_executions(request: TaskRequest, params: dict[str, Any]) -> dict[str, Any]:
    arn = _required(params, "StateMachineArn")
    spec = _machine(request, arn)
    if spec.type == "EXPRESS":
        raise SfnError(
            "StateMachineTypeNotSupported",
            "This operation is not supported by EXPRESS state machines",
        )
    status = params.get("StatusFilter")
    records = [
        r
        for r in current_hub().store.list(status=status)
        if r.machine_name == spec.name and r.type == "STANDARD"
    ]
    if params.get("RedriveFilter") in ("REDRIVEN", "NOT_REDRIVEN"):
        redriven = params["RedriveFilter"] == "REDRIVEN"
        records = [r for r in records if (r.redrive_count > 0) == redriven]
    records.sort(key=lambda r: (r.start_date, r.execution_arn), reverse=True)
    size = params.get("MaxResults") or 100
    if not isinstance(size, int) or not 0 <= size <= MAX_RESULTS:
        raise SfnError("Validation", f"MaxResults must be an integer from 0 to {MAX_RESULTS}")
    size = size or 100
    start = _offset(params.get("NextToken"))
    out: dict[str, Any] = {"Executions": [_summary(r) for r in records[start : start + size]]}
    if start + size < len(records):
        out["NextToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return out


async def describe_state_machine(request: TaskRequest, params: dict[str, Any]) -> dict[str, Any]:
    arn = _required(params, "StateMachineArn")
    spec = _machine(request, arn)
    return {
        "CreationDate": _iso(_created(spec)),
        "Definition": spec.definition,
        "LoggingConfiguration": {"IncludeExecutionData": False, "Level": "OFF"},
        "Name": spec.name,
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/asl-local",
        "StateMachineArn": spec.arn or arn,
        "Status": "ACTIVE",
        "TracingConfiguration": {"Enabled": False},
        "Type": spec.type,
    }


Action = Callable[[TaskRequest, dict[str, Any]], Awaitable[dict[str, Any]]]
_ACTIONS: dict[str, Action] = {
    "describeExecution": describe_execution,
    "describeStateMachine": describe_state_machine,
    "listExecutions": list_executions,
    "startExecution": start_execution,
    "startSyncExecution": start_sync_execution,
    "stopExecution": stop_execution,
}


# -- helpers -------------------------------------------------------------------------------------


async def _nested(request: TaskRequest, params: dict[str, Any], mode: str) -> dict[str, Any]:
    """Start the child as ``states:startExecution{mode}`` does, without its history events;
    its errors as this API's."""
    arguments = {k: params[k] for k in ("StateMachineArn", "Input", "Name") if k in params}
    child = replace(request, resource=_NESTED + mode, parameters=arguments)
    with _quiet():
        try:
            result: dict[str, Any] = await nested.run(child)
        except StatesError as exc:
            raise _translated(exc) from None
    return result


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """No ``TaskSubmitted`` in the history: an aws-sdk task records none."""
    token = progress.CURRENT.set(None)
    try:
        yield
    finally:
        progress.CURRENT.reset(token)


def _translated(exc: StatesError) -> StatesError:
    """A nested execution's ``StepFunctions.<X>Exception`` (SDK 1.x) as ``Sfn.<X>Exception``."""
    if not exc.error.startswith("StepFunctions."):
        return exc
    match = _V1_CAUSE.match(exc.cause or "")
    message = match["message"] if match else (exc.cause or "")
    status = int(match["status"]) if match else 400
    return SfnError(exc.error.removeprefix("StepFunctions."), message, status)


def _required(params: dict[str, Any], key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value:
        member = key[:1].lower() + key[1:]
        raise SfnError(
            "Validation",
            f"1 validation error detected: Value null at '{member}' failed to satisfy "
            "constraint: Member must not be null",
        )
    return value


def _machine(request: TaskRequest, arn: str) -> MachineSpec:
    if machines.machine_name(arn) is None:
        raise _invalid_arn(arn)
    spec = machines.resolve(arn, _near(request))
    if spec is None:
        raise SfnError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
    return spec


def _invalid_arn(arn: str) -> SfnError:
    return SfnError("InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {arn}'")


def _near(request: TaskRequest) -> list[str]:
    """The folder of the parent's definition file (where sibling machines are looked up)."""
    parent = children.driver().find(current_hub().store, execution_of(request))
    return [] if parent is None else [str(Path(parent.filename).parent)]


def _execution(arn: str) -> Any:
    if not re.match(r"^arn:aws[a-z-]*:states:[a-z0-9-]*:\d*:(execution|express):", arn):
        raise _invalid_arn(arn)
    record = children.driver().find(current_hub().store, arn)
    if record is None:
        raise SfnError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
    return record


def _summary(record: Any) -> dict[str, Any]:
    serve = record.options.get("serve") if isinstance(record.options, dict) else None
    machine = (serve or {}).get("stateMachineArn") or machine_arn_of(
        record.execution_arn, record.machine_name
    )
    out: dict[str, Any] = {
        "ExecutionArn": record.execution_arn,
        "Name": record.name,
        "StartDate": _iso(record.start_date),
        "StateMachineArn": machine,
        "Status": record.status,
    }
    if record.stop_date is not None:
        out["StopDate"] = _iso(record.stop_date)
    if record.type == "STANDARD":
        out["RedriveCount"] = record.redrive_count
    if record.redrive_date is not None:
        out["RedriveDate"] = _iso(record.redrive_date)
    return out


def _offset(token: Any) -> int:
    if token is None:
        return 0
    try:
        return int(base64.urlsafe_b64decode(str(token)).decode())
    except ValueError:
        raise SfnError("InvalidToken", f"Invalid Token: '{token}'") from None


def _created(spec: MachineSpec) -> datetime:
    """When the machine was made: its file's time, else now."""
    with contextlib.suppress(OSError):
        return datetime.fromtimestamp(os.stat(spec.filename).st_mtime, UTC)
    return datetime.now(UTC)


def _iso_millis(millis: int) -> str:
    seconds, rest = divmod(int(millis), 1000)
    return iso_instant(datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest * 1000))


def _iso(moment: datetime) -> str:
    """``moment`` as the API gives it to an aws-sdk task: to the millisecond (AWS's precision)."""
    return iso_instant(moment.replace(microsecond=moment.microsecond // 1000 * 1000))


__all__ = ["PREFIX", "SfnError", "handles", "run"]
