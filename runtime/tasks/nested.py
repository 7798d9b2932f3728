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
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any

from asl._errors import TIMEOUT, StatesError
from runtime._events import payload_details, to_json
from runtime._interpreter import TaskRequest
from runtime.callbacks import current_hub, machines
from runtime.callbacks.machines import MachineSpec, resolve
from runtime.callbacks.progress import note
from runtime.callbacks.records import FAILED, NESTED, STARTED, SUCCEEDED, TIMED_OUT
from runtime.callbacks.tokens import token_for
from runtime.tasks.callback import NOW, execution_of, pending_task

RESOURCE = re.compile(r"^arn:aws[a-z-]*:states:::states:startExecution(?P<mode>\.sync(?::2)?)?$")
TASK_FAILED = "States.TaskFailed"
_NAMESPACE = uuid.UUID("0f3c8d52-8a7e-4f0e-bb1e-6a2d2e8c4b90")
_POLL = 0.5
_RECHECK = 30.0
_log = logging.getLogger("asl.nested")


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
        _CHILDREN.ensure_running(store, response["ExecutionArn"])
    if not mode:
        hub.settle(task_id, SUCCEEDED, {"output": to_json(response)})
        return response
    note(
        "TaskSubmitted",
        {"resourceType": "states", "resource": "startExecution" + mode}
        | payload_details("output", response),
    )
    try:
        child = await _CHILDREN.wait(store, response["ExecutionArn"], task.deadline)
    except TimeoutError:
        hub.settle(task_id, TIMED_OUT, {"error": TIMEOUT})
        raise StatesError(TIMEOUT, None)
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
    """Create the child execution and set it running; StartExecution's response."""
    from runtime import _runner
    from runtime._driver import execution_arn
    from runtime.store.base import ExecutionAlreadyExists, ExecutionRecord, StoreError

    arn = params.get("StateMachineArn")
    if not isinstance(arn, str) or not arn:
        raise _sdk_error("InvalidArn", "Invalid Arn: 'StateMachineArn' is required")
    parent = _parent(store, request)
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
    if not isinstance(name, str) or not _runner._NAME.match(name):
        raise _sdk_error("InvalidName", f"Invalid Name: '{name}'")
    # The parent's options (handlers, bindings, clock, and any a server adds), not its mocks.
    options = {**(parent.options if parent is not None else {}), "mock_config": None}
    options["test_case"] = None
    try:
        _runner._load(spec.definition, spec.type, spec.filename)
    except Exception as exc:  # an invalid child definition
        raise _sdk_error("InvalidDefinition", f"Invalid State Machine Definition: {exc}")
    machine = spec.arn or arn
    if spec.type == "EXPRESS":
        child_arn = execution_arn(spec.name, name, express=True)
        started = datetime.now(UTC)
        run_options = _runner.RunOptions.from_dict(options)
        _CHILDREN.run_express(child_arn, spec, name, input_text, run_options, machine)
        return _response(child_arn, started)
    record = ExecutionRecord(
        execution_arn=execution_arn(spec.name, name),
        name=name,
        machine_name=spec.name,
        type="STANDARD",
        definition=spec.definition,
        input=input_text,
        seed=uuid.uuid4().int & ((1 << 63) - 1),
        start_date=datetime.now(UTC),
        filename=spec.filename,
        options=options,
    )
    try:
        stored, _ = store.create(record)
    except ExecutionAlreadyExists as exc:
        raise _sdk_error("ExecutionAlreadyExists", str(exc))
    except StoreError as exc:
        raise _sdk_error("ServiceUnavailable", str(exc))
    _CHILDREN.machine_arns[stored.execution_arn] = machine
    _CHILDREN.ensure_running(store, stored.execution_arn)
    return _response(stored.execution_arn, stored.start_date)


def _parent(store: Any, request: TaskRequest) -> Any:
    from runtime.store.base import ExecutionNotFound

    try:
        return store.get(execution_of(request))
    except ExecutionNotFound:
        return None


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


# -- running -------------------------------------------------------------------------------------


class _Children:
    """Child executions this process runs, each on a thread of its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, concurrent.futures.Future[Any]] = {}
        self.machine_arns: dict[str, str] = {}

    def ensure_running(self, store: Any, arn: str) -> None:
        """Run the stored child ``arn`` here unless it has ended or a live process runs it."""
        from runtime.store.base import RUNNING, lease_is_live, lease_owner

        if ":express:" in arn:
            return  # Express children are not stored: they run where they were started
        with self._lock:
            future = self._running.get(arn)
            if future is not None and not future.done():
                return
            record = store.get(arn)
            me = lease_owner()
            if record.status != RUNNING or record.lease_owner == me:
                return  # ended, or run by another thread of this process
            if lease_is_live(record.lease_owner, record.lease_heartbeat, me):
                return
            if machines.launch(store, record):
                return
            self._running[arn] = self._thread(_resume, store, arn)

    def run_express(
        self, arn: str, spec: MachineSpec, name: str, input_text: str, options: Any, machine: str
    ) -> None:
        with self._lock:
            self._running[arn] = self._thread(_express, spec, name, input_text, options)
            self.machine_arns[arn] = machine

    async def wait(self, store: Any, arn: str, deadline: float | None) -> Child:
        """The child once it has ended; TimeoutError at ``deadline`` (``time.time()``)."""
        from runtime.store.base import RUNNING, ExecutionNotFound

        checked = time.monotonic()
        while True:
            future = self._running.get(arn)
            if ":express:" in arn and (future is None or future.done()):
                if future is None:  # started by a process that has died since
                    raise StatesError(
                        TASK_FAILED, f"The Express child execution {arn} ended with its process."
                    )
                return self._express_child(arn, future)
            if ":express:" not in arn:
                try:
                    record = store.get(arn)
                except ExecutionNotFound:
                    raise StatesError(TASK_FAILED, f"the child execution {arn} is gone")
                if record.status != RUNNING:
                    return self._child(record)
                if time.monotonic() - checked > _RECHECK:  # its process may have died since
                    checked = time.monotonic()
                    self.ensure_running(store, arn)
            pause = _POLL
            if deadline is not None:
                pause = min(pause, deadline - time.time())
                if pause <= 0:
                    raise TimeoutError
            if future is not None and not future.done():
                await asyncio.wait([asyncio.wrap_future(future)], timeout=pause)
            else:
                await asyncio.sleep(pause)

    def _child(self, record: Any) -> Child:
        from runtime._driver import machine_arn

        return Child(
            arn=record.execution_arn,
            name=record.name,
            machine_arn=self.machine_arns.get(record.execution_arn)
            or machine_arn(record.machine_name),
            status=record.status,
            input=record.input,
            start=record.start_date,
            output=record.output,
            error=record.error,
            cause=record.cause,
            stop=record.stop_date,
            redrive_count=record.redrive_count,
        )

    def _express_child(self, arn: str, future: concurrent.futures.Future[Any]) -> Child:
        result, input_text = future.result()
        return Child(
            arn=arn,
            name=result.name,
            machine_arn=self.machine_arns.get(arn, ""),
            status=result.status,
            input=input_text,
            start=result.start_date,
            output=None if result.status != "SUCCEEDED" else to_json(result.output),
            error=result.error,
            cause=result.cause,
            stop=result.stop_date,
        )

    @staticmethod
    def _thread(fn: Any, *args: Any) -> concurrent.futures.Future[Any]:
        """``fn(*args)`` on a new (non-daemon) thread: the process stays until children end."""
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def work() -> None:
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                _log.warning("nested execution failed to run: %s", exc)
                future.set_exception(exc)

        threading.Thread(target=work, name="asl-child", daemon=False).start()
        return future


def _resume(store: Any, arn: str) -> Any:
    from runtime import _runner
    from runtime.store.base import LeaseHeld

    try:
        return _runner.resume(store, arn)
    except LeaseHeld:
        return None  # another process took it first: it runs there


def _express(spec: MachineSpec, name: str, input_text: str, options: Any) -> Any:
    from runtime import _runner
    from runtime.store import MemoryStore

    result = _runner.start(
        MemoryStore(),
        spec.definition,
        json.loads(input_text),
        filename=spec.filename,
        name=name,
        machine_name=spec.name,
        express=True,
        options=options,
    )
    return result, input_text


_CHILDREN = _Children()

__all__ = ["Child", "describe", "handles", "run"]
