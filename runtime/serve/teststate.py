"""TestState: run one state once, with an optional mocked task result, and show its data flow.

The state runs on the real interpreter (a subclass that notes each data-flow stage) inside a
one-state machine whose transition targets are placeholders. A Task calls its handler through
the server's task routing, or answers with ``mock.result`` / ``mock.errorOutput``. An error a
retrier would retry gives RETRIABLE (nothing waits), one a catcher takes CAUGHT_ERROR.
Map and Parallel states, activities, ``.sync`` and ``.waitForTaskToken`` need a mock, as on AWS;
a mocked Map or Parallel stands for the state's whole result.
"""

from __future__ import annotations

import asyncio
import json
import random
from datetime import datetime
from typing import TYPE_CHECKING, Any

from asl import _errors as E
from asl._errors import StatesError, error_matches
from runtime import jsontext
from runtime._clock import RealClock
from runtime._driver import Host, machine_arn
from runtime._events import to_json
from runtime._interpreter import Frame, Interpreter, TaskRequest, _Failed
from runtime.serve.errors import ApiError, validation
from runtime.serve.params import (
    DEFINITION_LIMIT,
    bounded,
    choice,
    json_member,
    optional,
    required,
)

if TYPE_CHECKING:
    from runtime.serve.service import Service

LEVELS = ("INFO", "DEBUG", "TRACE")
TIME_LIMIT_SECONDS = 300.0
_MOCK_RESOURCE = "arn:aws:states:::asl:mock"
_NEEDS_MOCK = (".sync", ".sync:2", ".waitForTaskToken")
_KEEP_FOR_MOCK = (
    "Comment",
    "QueryLanguage",
    "InputPath",
    "Parameters",
    "Arguments",
    "ResultSelector",
    "ResultPath",
    "OutputPath",
    "Output",
    "Assign",
    "Retry",
    "Catch",
    "Next",
    "End",
)


class _Retriable(Exception):
    def __init__(self, index: int, delay: float, error: StatesError) -> None:
        super().__init__(error.error)
        self.index, self.delay, self.error = index, delay, error


class _Probe(Interpreter):
    """The interpreter, noting each data-flow stage and stopping before a retry."""

    def __init__(self, machine: Any, host: Any, retry_count: int) -> None:
        super().__init__(machine, host)
        self.data: dict[str, Any] = {}
        self.retry_count = retry_count
        self.caught: tuple[int, StatesError] | None = None

    def _input(self, state, frame, value, eid):  # type: ignore[no-untyped-def]
        out = super()._input(state, frame, value, eid)
        self.data.setdefault("afterInputPath", out)
        return out

    def _task_parameters(self, state, frame, value, effective, eid):  # type: ignore[no-untyped-def]
        out = super()._task_parameters(state, frame, value, effective, eid)
        self.data["afterArguments" if state.is_jsonata else "afterParameters"] = out
        return out

    def _finish_jp(self, state, frame, raw_input, result, eid):  # type: ignore[no-untyped-def]
        if state.type != "Pass":
            self.data["afterResultSelector"] = result
        elif state.parameters is not None:
            self.data["afterParameters"] = result
        return super()._finish_jp(state, frame, raw_input, result, eid)

    def _result_path(self, state, frame, raw_input, result, eid):  # type: ignore[no-untyped-def]
        out = super()._result_path(state, frame, raw_input, result, eid)
        self.data["afterResultPath"] = out
        return out

    def _retrier(self, state, frame, error, counts):  # type: ignore[no-untyped-def]
        if error.error in E.UNCATCHABLE:
            return None
        for index, retrier in enumerate(state.retry):
            if error_matches(retrier.error_equals, error.error):
                attempt = self.retry_count + 1
                if attempt > retrier.max_attempts:
                    return None
                raise _Retriable(index, retrier.delay(attempt), error)
        return None

    def _catch(self, state, frame, raw_input, error, eid):  # type: ignore[no-untyped-def]
        out = super()._catch(state, frame, raw_input, error, eid)  # raises _Failed if uncaught
        index = next(
            i for i, c in enumerate(state.catch) if error_matches(c.error_equals, error.error)
        )
        self.caught = (index, error)
        return out


class _ProbeHost(Host):
    """The driver's host, minus waiting; notes the task's raw result."""

    def __init__(self, dispatch: Any, data: dict[str, Any]) -> None:
        super().__init__(
            dispatch=dispatch,
            clock=RealClock(),
            seed=random.SystemRandom().getrandbits(63),
            history_limit=None,
        )
        self.data = data

    async def sleep_until(self, frame: Frame, deadline: datetime) -> None:
        return None

    async def invoke(self, frame: Frame, request: TaskRequest) -> Any:
        result = await super().invoke(frame, request)
        self.data["result"] = result
        return result


def test_state(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    definition = bounded(required(params, "definition"), "definition", DEFINITION_LIMIT)
    level = choice(params, "inspectionLevel", LEVELS, "INFO")
    input_value = _json_member(params, "input", {}, "InvalidExecutionInput")
    variables = _json_member(params, "variables", {}, "ValidationException")
    context = _json_member(params, "context", None, "ValidationException")
    if not isinstance(variables, dict) or (context is not None and not isinstance(context, dict)):
        raise validation("variables and context must be JSON objects")
    mock = optional(params, "mock", dict)
    config = optional(params, "stateConfiguration", dict, {})
    retry_count = config.get("retrierRetryCount") or 0
    if not isinstance(retry_count, int) or retry_count < 0:
        raise validation("stateConfiguration.retrierRetryCount must be a non-negative integer")
    machine_value, name = _wrap(definition, optional(params, "stateName"))
    state_raw = machine_value["States"][name]
    _check_supported(state_raw, mock)
    machine = service.asl(_compile, machine_value)
    if mock is None:
        service.check_code([machine.states[name]])
    if mock is not None and state_raw.get("Type") in ("Map", "Parallel"):
        machine = service.asl(_compile, _as_mocked_task(machine_value, name))
    dispatch = _mock_dispatch(mock) if mock is not None else service.dispatch()
    role = optional(params, "roleArn") or _default_role()
    frame = _frame(variables, context, input_value, role)
    probe_data: dict[str, Any] = {}
    host = _ProbeHost(dispatch, probe_data)
    probe = _Probe(machine, host, retry_count)
    probe.data = probe_data
    state = machine.states[name]

    async def run() -> tuple[str | None, Any]:
        return await asyncio.wait_for(
            probe.run_state(state, frame, input_value), TIME_LIMIT_SECONDS
        )

    out: dict[str, Any] = {}
    details: dict[str, Any] = {}
    try:
        next_state, output = service.loop.call(run())
    except _Retriable as retry:
        out.update(status="RETRIABLE", nextState=name)
        _error_members(out, retry.error)
        details = {"retryIndex": retry.index, "retryBackoffIntervalSeconds": int(retry.delay)}
    except _Failed as failed:
        out["status"] = "FAILED"
        _error_members(out, failed.error)
    except TimeoutError:
        out.update(status="FAILED", error=E.TIMEOUT, cause="TestState ran for over 5 minutes")
    else:
        out["output"] = to_json(output)
        if next_state is not None:
            out["nextState"] = next_state
        if probe.caught is not None:
            index, error = probe.caught
            out["status"] = "CAUGHT_ERROR"
            _error_members(out, error)
            details = {"catchIndex": index}
        else:
            out["status"] = "SUCCEEDED"
    inspection: dict[str, Any] = {}
    if level != "INFO":
        inspection["input"] = to_json(input_value)
        for key in (
            "afterInputPath",
            "afterParameters",
            "afterArguments",
            "result",
            "afterResultSelector",
            "afterResultPath",
        ):
            if key in probe_data:
                inspection[key] = to_json(probe_data[key])
        if frame.variables:
            inspection["variables"] = to_json(dict(frame.variables))
    if details:
        inspection["errorDetails"] = details
    if inspection:
        out["inspectionData"] = inspection
    return out


# -- helpers ---------------------------------------------------------------------------------


def _json_member(params: dict[str, Any], key: str, default: Any, code: str) -> Any:
    text = optional(params, key)
    return default if text is None else json_member(text, key, code)


def _wrap(definition: str, state_name: str | None) -> tuple[dict[str, Any], str]:
    """A machine around the tested state, and the state's name."""
    try:
        value = jsontext.loads(definition)
    except jsontext.JsonTextError as exc:
        raise ApiError(
            "InvalidDefinition", f"Invalid State Machine Definition: 'Malformed JSON: {exc}'"
        )
    if not isinstance(value, dict):
        raise ApiError("InvalidDefinition", "Invalid State Machine Definition: 'not an object'")
    if "States" in value and "StartAt" in value:
        name = state_name or value["StartAt"]
        if not isinstance(value["States"], dict) or name not in value["States"]:
            raise validation(f"stateName {name!r} is not a state of the definition")
        return value, name
    name = state_name or "TestState"
    states: dict[str, Any] = {name: value}
    for target in _targets(value):
        states.setdefault(target, {"Type": "Succeed"})
    return {"StartAt": name, "States": states}, name


def _targets(state: dict[str, Any]) -> list[str]:
    found = [state.get("Next"), state.get("Default")]
    for key in ("Choices", "Catch"):
        items = state.get(key)
        if isinstance(items, list):
            found += [i.get("Next") for i in items if isinstance(i, dict)]
    return [t for t in found if isinstance(t, str)]


def _compile(machine_value: dict[str, Any]) -> Any:
    import asl

    try:
        return asl.load(json.dumps(machine_value))
    except asl.DefinitionError as exc:
        text = ", ".join(
            f"{d.aws_code or d.code}: {d.message} at {d.aws_location}" for d in exc.diagnostics
        )
        raise ApiError("InvalidDefinition", f"Invalid State Machine Definition: '{text}'")
    except Exception as exc:  # the loader refused what the validator passed: still the client's
        raise ApiError("InvalidDefinition", f"Invalid State Machine Definition: '{exc}'")


def _check_supported(state: dict[str, Any], mock: dict[str, Any] | None) -> None:
    if mock is not None:
        if ("result" in mock) == ("errorOutput" in mock):
            raise validation("mock needs exactly one of result and errorOutput")
        if "result" in mock:
            if not isinstance(mock["result"], str):
                raise validation("mock.result must be JSON text")
            json_member(mock["result"], "mock.result", "ValidationException")
        elif not isinstance(mock.get("errorOutput"), dict):
            raise validation("mock.errorOutput must be an object with error and cause")
        return
    kind = state.get("Type")
    resource = str(state.get("Resource", ""))
    if kind in ("Map", "Parallel"):
        raise validation(f"TestState needs a mock to test a {kind} state")
    if resource.endswith(_NEEDS_MOCK) or ":activity:" in resource:
        raise validation(f"TestState needs a mock to test the resource {resource}")


def _as_mocked_task(machine_value: dict[str, Any], name: str) -> dict[str, Any]:
    """A mocked Map or Parallel state as a Task whose result is the mock."""
    raw = machine_value["States"][name]
    task = {k: v for k, v in raw.items() if k in _KEEP_FOR_MOCK}
    task.update(Type="Task", Resource=_MOCK_RESOURCE)
    return {**machine_value, "States": {**machine_value["States"], name: task}}


def _mock_dispatch(mock: dict[str, Any]) -> Any:
    async def dispatch(request: TaskRequest) -> Any:
        if "errorOutput" in mock:
            error = mock["errorOutput"]
            raise StatesError(str(error.get("error", "")), error.get("cause"))
        return json.loads(mock["result"])

    return dispatch


def _frame(
    variables: dict[str, Any], context: dict[str, Any] | None, input_value: Any, role: str
) -> Frame:
    now = datetime.now().astimezone().isoformat()
    base = {
        "Execution": {
            "Id": f"{machine_arn('TestState').replace(':stateMachine:', ':execution:')}:test",
            "Input": input_value,
            "Name": "test",
            "RoleArn": role,
            "StartTime": now,
        },
        "StateMachine": {"Id": machine_arn("TestState"), "Name": "TestState"},
    }
    frame = Frame("", dict(variables), {}, {**base, **(context or {})})
    frame.scope = frame.variables
    return frame


def _error_members(out: dict[str, Any], error: StatesError) -> None:
    out["error"] = error.error
    if error.cause is not None:
        out["cause"] = error.cause


def _default_role() -> str:
    from runtime.serve.service import default_role

    return default_role()


ACTIONS = {"TestState": test_state}
