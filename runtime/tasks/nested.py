"""Nested executions: ``arn:aws:states:::states:startExecution[.sync|.sync:2]``.

Parameters ``StateMachineArn``, ``Input`` (any JSON value, or JSON text) and ``Name``. The child
is a real execution in the parent's store (``asl executions`` lists it; Express children run in
memory), run on a thread of this process; its definition comes from
:mod:`runtime.callbacks.machines`. Results, as AWS gives them:

* request-response: ``{ExecutionArn, SdkHttpMetadata, SdkResponseMetadata, StartDate}`` once the
  child has started (it runs on; the process stays until it ends);
* ``.sync``: the child's DescribeExecution, keys capitalised, ``Input``/``Output`` as JSON text;
* ``.sync:2``: the same with ``Input``/``Output`` parsed.

A child that fails, times out or is aborted fails the task with ``States.TaskFailed`` and that
DescribeExecution as the cause. The child's ARN is stored with the parent's pending task, so a
resumed parent waits for the same child (resuming it too when its process died). Without a
``Name`` the child's name is a UUID derived from the parent task attempt. ``.waitForTaskToken``
starts the child as request-response does and waits for its token (:mod:`.callback`).

The child's ARN names the account and region of the ``StateMachineArn`` it runs (a machine in
another account runs there). It runs with its parent's task dispatch when both run in this
process. The driver starts, runs and stops children (:mod:`.children` says what this asks of
it). A ``.sync`` Task that times out or is given up stops its child (``ExecutionAborted``), as
AWS stops the job of an aborted task.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any

from asl.errors import TIMEOUT, StatesError
from runtime.callbacks import current_hub
from runtime.callbacks.machines import resolve
from runtime.callbacks.progress import note
from runtime.callbacks.records import FAILED, NESTED, STARTED, SUCCEEDED, TIMED_OUT
from runtime.callbacks.tokens import token_for
from runtime.core.arns import execution_arn, machine_arn
from runtime.core.events import payload_details, to_json
from runtime.core.interpreter import TaskRequest
from runtime.tasks import children
from runtime.tasks.callback import NOW, execution_of, pending_task
from runtime.tasks.children import ChildRefused, ChildStart, Halted, lent_dispatch

RESOURCE = re.compile(r"^arn:aws[a-z-]*:states:::states:startExecution(?P<mode>\.sync(?::2)?)?$")
TASK_FAILED = "States.TaskFailed"
_NAMESPACE = uuid.UUID("0f3c8d52-8a7e-4f0e-bb1e-6a2d2e8c4b90")
_MACHINE_ARN = re.compile(r"^(?P<prefix>arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:)stateMachine:")
_EXECUTION_ARN = re.compile(r"^(?P<prefix>arn:[^:]+:states:[^:]*:[^:]*:)execution:")
_ARN_PREFIX = re.compile(r"^arn:[^:]*:states:[^:]*:[^:]*:")  # partition, region and account
_POLL = 0.5
_RECHECK = 30.0
_RUNNING = "RUNNING"


def handles(resource: str) -> bool:
    return RESOURCE.match(resource) is not None


@dataclass(slots=True)
class Child:
    """A child execution as DescribeExecution reports it."""

    arn: str
    name: str
    machine_arn: str
    status: str
    input: str
    start: datetime
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    stop: datetime | None = None
    redrive_count: int = 0


async def run(request: TaskRequest) -> Any:
    """Start the child; with ``.sync``/``.sync:2`` wait for it and return its description."""
    mode = RESOURCE.match(request.resource)["mode"] or ""  # type: ignore[index]
    hub = current_hub()
    store = hub.store
    params = request.parameters if isinstance(request.parameters, dict) else {}
    task_id = token_for(request.context, request.key + "/startExecution", request.attempt)
    task = hub.register(pending_task(request, task_id, NESTED, STARTED, started=NOW))
    if task.submitted is None:
        response = _start(store, request, params)
        hub.mark_submitted(task_id, to_json(response))
    else:
        response = json.loads(task.submitted)
        children.driver().ensure_running(store, response["ExecutionArn"], lent_dispatch())
    if not mode:
        hub.settle(task_id, SUCCEEDED, {"output": to_json(response)})
        return response
    note(
        "TaskSubmitted",
        {"resourceType": "states", "resource": "startExecution" + mode}
        | payload_details("output", response),
    )
    arn = response["ExecutionArn"]
    try:
        child = await _wait(store, arn, task.deadline)
    except TimeoutError:
        hub.settle(task_id, TIMED_OUT, {"error": TIMEOUT})
        children.driver().stop(store, arn)  # nobody waits for it any more
        raise StatesError(TIMEOUT, None)
    except asyncio.CancelledError:  # the parent ended, was stopped, or a branch failed
        children.driver().abandon(store, execution_of(request), arn)
        raise
    described = describe(child, parsed=mode == ".sync:2")
    if child.status == "SUCCEEDED":
        hub.settle(task_id, SUCCEEDED, {"output": to_json(described)})
        return described
    cause = to_json(described)
    hub.settle(task_id, FAILED, {"error": TASK_FAILED, "cause": cause})
    raise StatesError(TASK_FAILED, cause)


def describe(child: Child, *, parsed: bool) -> dict[str, Any]:
    """The child's DescribeExecution as ``.sync`` (``parsed=False``) or ``.sync:2`` give it."""
    out: dict[str, Any] = {}
    if child.cause is not None:
        out["Cause"] = child.cause
    if child.error is not None:
        out["Error"] = child.error
    out["ExecutionArn"] = child.arn
    out["Input"] = json.loads(child.input) if parsed else child.input
    out["InputDetails"] = {"Included": True}
    out["Name"] = child.name
    if child.output is not None:
        out["Output"] = json.loads(child.output) if parsed else child.output
        out["OutputDetails"] = {"Included": True}
    out["RedriveCount"] = child.redrive_count
    if child.status == "SUCCEEDED":
        out["RedriveStatus"] = "NOT_REDRIVABLE"
        out["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
    else:
        out["RedriveStatus"] = "REDRIVABLE"
    out["StartDate"] = _millis(child.start)
    out["StateMachineArn"] = child.machine_arn
    out["Status"] = child.status
    if child.stop is not None:
        out["StopDate"] = _millis(child.stop)
    return out


# -- starting ------------------------------------------------------------------------------------


def _start(store: Any, request: TaskRequest, params: dict[str, Any]) -> dict[str, Any]:
    """Have the driver create the child execution and set it running; StartExecution's
    response."""
    arn = params.get("StateMachineArn")
    if not isinstance(arn, str) or not arn:
        raise _sdk_error("InvalidArn", "Invalid Arn: 'StateMachineArn' is required")
    driver = children.driver()
    parent = driver.find(store, execution_of(request))
    near = [str(Path(parent.filename).parent)] if parent is not None else []
    spec = resolve(arn, near)
    if spec is None:
        raise _sdk_error("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
    input_text = _input(params.get("Input"))
    name = params.get("Name")
    if name is None:
        execution = request.context.get("Execution") or {}
        seed = "\x1f".join(
            (str(execution.get("Id")), str(execution.get("RedriveCount", 0)), request.key)
        )
        name = str(uuid.uuid5(_NAMESPACE, f"{seed}\x1f{request.attempt}"))
    if not isinstance(name, str):
        raise _sdk_error("InvalidName", f"Invalid Name: '{name}'")
    # The parent's options (handlers, bindings, clock, and any a server adds), not its mocks:
    # stored for a resume elsewhere; here the child runs with the parent's own dispatch.
    options = {**(parent.options if parent is not None else {}), "mock_config": None}
    options["test_case"] = None
    machine = spec.arn or arn
    express = spec.type == "EXPRESS"
    child_arn = _in_account_of(machine, execution_arn(spec.name, name, express=express))
    child = ChildStart(child_arn, spec, name, input_text, options, lent_dispatch())
    try:
        started = driver.start(store, child)
    except ChildRefused as exc:
        raise _sdk_error(exc.code, exc.message)
    _MACHINE_ARNS[child_arn] = machine
    return _response(child_arn, started)


def _in_account_of(machine: str, execution: str) -> str:
    """``execution`` (an ARN in the engine's account and region) in those of ``machine``."""
    found = _MACHINE_ARN.match(machine)
    if found is None:
        return execution
    return found["prefix"] + _ARN_PREFIX.sub("", execution, count=1)


def _input(value: Any) -> str:
    if value is None:
        return "{}"
    if not isinstance(value, str):
        return to_json(value)
    try:
        json.loads(value)
    except ValueError as exc:
        raise _sdk_error("InvalidExecutionInput", f"Invalid State Machine Execution Input: {exc}")
    return value


def _response(arn: str, started: datetime) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    body = to_json({"executionArn": arn, "startDate": started.timestamp()})
    headers = {
        "Content-Length": str(len(body)),
        "Content-Type": "application/x-amz-json-1.0",
        "Date": formatdate(usegmt=True),
        "connection": "keep-alive",
        "x-amzn-RequestId": request_id,
    }
    return {
        "ExecutionArn": arn,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {k: [v] for k, v in headers.items()},
            "HttpHeaders": headers,
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StartDate": _millis(started),
    }


def _sdk_error(code: str, message: str) -> StatesError:
    """A StartExecution failure as Step Functions reports an SDK error of the states service."""
    name = code if code.endswith("Exception") else f"{code}Exception"
    return StatesError(
        f"StepFunctions.{name}",
        f"{message} (Service: AWSStepFunctions; Status Code: 400; Error Code: "
        f"{code}; Request ID: {uuid.uuid4()}; Proxy: null)",
    )


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# -- waiting -------------------------------------------------------------------------------------

_MACHINE_ARNS: dict[str, str] = {}
"""The state machine ARN each child started here was asked for (its DescribeExecution's)."""


async def _wait(store: Any, arn: str, deadline: float | None) -> Child:
    """The child once it has ended; TimeoutError at ``deadline`` (``time.time()``)."""
    driver = children.driver()
    checked = time.monotonic()
    while True:
        future = driver.future(arn)
        if ":express:" in arn and (future is None or future.done()):
            if future is None:  # started by a process that has died since
                raise StatesError(
                    TASK_FAILED, f"The Express child execution {arn} ended with its process."
                )
            return _express_child(arn, future)
        if ":express:" not in arn:
            record = driver.find(store, arn)
            if record is None:
                raise StatesError(TASK_FAILED, f"the child execution {arn} is gone")
            if record.status != _RUNNING:
                return _child(record)
            if time.monotonic() - checked > _RECHECK:  # its process may have died since
                checked = time.monotonic()
                driver.ensure_running(store, arn, lent_dispatch())
        pause = _POLL
        if deadline is not None:
            pause = min(pause, deadline - time.time())
            if pause <= 0:
                raise TimeoutError
        if future is not None and not future.done():
            await asyncio.wait([asyncio.wrap_future(future)], timeout=pause)
        else:
            await asyncio.sleep(pause)


def _child(record: Any) -> Child:
    return Child(
        arn=record.execution_arn,
        name=record.name,
        machine_arn=_MACHINE_ARNS.get(record.execution_arn) or _machine_of(record),
        status=record.status,
        input=record.input,
        start=record.start_date,
        output=record.output,
        error=record.error,
        cause=record.cause,
        stop=record.stop_date,
        redrive_count=record.redrive_count,
    )


def _machine_of(record: Any) -> str:
    """The state machine ARN of a stored child: its execution ARN's account and region."""
    found = _EXECUTION_ARN.match(record.execution_arn)
    if found is None:
        return machine_arn(record.machine_name)
    return f"{found['prefix']}stateMachine:{record.machine_name}"


def _express_child(arn: str, future: concurrent.futures.Future[Any]) -> Child:
    outcome = future.result()
    if isinstance(outcome, Halted):
        raise StatesError(TASK_FAILED, f"The Express child execution {arn} was stopped.")
    if isinstance(outcome, BaseException):
        raise StatesError(
            TASK_FAILED, f"The Express child execution {arn} failed to run: {outcome}"
        )
    result, input_text = outcome
    return Child(
        arn=arn,
        name=result.name,
        machine_arn=_MACHINE_ARNS.get(arn, ""),
        status=result.status,
        input=input_text,
        start=result.start_date,
        output=None if result.status != "SUCCEEDED" else to_json(result.output),
        error=result.error,
        cause=result.cause,
        stop=result.stop_date,
    )


__all__ = ["Child", "describe", "handles", "run"]
