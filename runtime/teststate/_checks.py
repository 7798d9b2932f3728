"""What TestState refuses before running anything, in AWS's order and AWS's words.

1. ``stateConfiguration`` that does not fit the call (a failure count without a mock...);
2. a mock the state does not take, or a mock result of the wrong shape (``_shapes``);
3. a ``context`` object with fields an execution's context does not have;
4. an unmocked Task without ``roleArn``.
"""

from __future__ import annotations

from typing import Any

from asl import model as m
from runtime.teststate import _shapes
from runtime.teststate._errors import INVALID_DEFINITION, TestStateError, refused
from runtime.teststate._request import Request

_MOCKABLE = ("Task", "Map", "Parallel")
_NEEDS_MOCK = (".sync", ".sync:2", ".waitForTaskToken")
_CONTEXT_FIELDS: dict[str, dict[str, tuple[type, ...] | None]] = {
    "Execution": {
        "Id": (str,),
        "Input": None,
        "Name": (str,),
        "RoleArn": (str, type(None)),
        "StartTime": (str,),
        "RedriveCount": (int,),
        "RedriveTime": (str,),
    },
    "State": {"EnteredTime": (str,), "Name": (str,), "RetryCount": (int,)},
    "StateMachine": {"Id": (str,), "Name": (str,)},
    "Task": {"Token": (str,)},
}


def check(request: Request, state: m.State) -> None:
    """Raise TestStateError for a call AWS refuses (see the module's list)."""
    _configuration(request, state)
    _mock(request, state)
    if request.context is not None:
        _context(request.context, state)
    if request.mock is None and state.type == "Task":
        if request.role_arn is None:
            raise refused("RoleArn must be specified when testing a Task state")
        resource = state.resource  # type: ignore[attr-defined]
        if resource.endswith(_NEEDS_MOCK) or ":activity:" in resource:
            raise refused(
                f"TestState runs the resource {resource} only with a mock: give mock.result "
                "or mock.errorOutput (a .sync, .waitForTaskToken or activity task would wait "
                "for work outside the call)"
            )


def _configuration(request: Request, state: m.State) -> None:
    mock = request.mock
    if request.failure_count is not None:
        if mock is None:
            raise refused(
                "TestState does not support MapIterationFailureCount when a mock is not specified."
            )
        if state.type != "Map":
            raise refused(
                f"stateConfiguration.mapIterationFailureCount applies to Map states; "
                f"the tested state is a {state.type} state"
            )
        if (
            mock.has_result
            and isinstance(mock.result, list)
            and request.failure_count > len(mock.result)
        ):
            raise refused(
                "Map iteration failure count must be less than or equal to the number of Map "
                "iterations"
            )
    if request.error_state is not None:
        inner = _inner_names(state)
        if request.error_state not in inner:
            where = (
                f"inside the {state.type} state"
                if state.type in ("Map", "Parallel")
                else "(it names a state inside the tested Map or Parallel state)"
            )
            raise refused(
                f"stateConfiguration.errorCausedByState: no state named "
                f"'{request.error_state}' {where}"
            )
    if request.has_reader_items and not (
        isinstance(state, m.MapState) and state.item_reader is not None
    ):
        raise refused(
            "stateConfiguration.mapItemReaderData applies to a Map state with an ItemReader"
        )


def _inner_names(state: m.State) -> set[str]:
    scopes: list[m.StateMachine] = []
    if isinstance(state, m.MapState) and state.processor is not None:
        scopes.append(state.processor)
    if isinstance(state, m.ParallelState):
        scopes.extend(state.branches)
    return {s.name for scope in scopes for s in scope.iter_all_states()}


def _mock(request: Request, state: m.State) -> None:
    mock = request.mock
    if mock is None:
        if state.type in ("Map", "Parallel"):
            raise TestStateError(
                INVALID_DEFINITION,
                "TestState API does not support Map or Parallel states. Supported state types "
                "include: [Task, Wait, Pass, Succeed, Fail, Choice]",
            )
        return
    if state.type not in _MOCKABLE:
        raise refused(f"State type '{state.type}' is not supported when a mock is specified")
    if request.reveal_secrets:
        raise refused("TestState does not support RevealSecrets when a mock is specified.")
    if not mock.has_result:
        return
    result = mock.result
    if isinstance(state, m.MapState):
        if state.result_writer is not None and not isinstance(result, dict):
            raise refused("Mocked result must be a JSON object.")
        if state.result_writer is None and not isinstance(result, list):
            raise refused("Mocked result must be an array.")
    elif isinstance(state, m.ParallelState):
        if not isinstance(result, list):
            raise refused("Mocked result must be an array.")
        if len(result) != len(state.branches):
            raise refused(
                "Mocked result must contain the same number of items as number of Parallel "
                "branches."
            )
    elif isinstance(state, m.TaskState) and not state.resource.endswith(_NEEDS_MOCK):
        _shapes.check(state.resource, result, mock.validation)


def _context(context: dict[str, Any], state: m.State) -> None:
    for section, value in context.items():
        if section == "Map":
            raise _bad_context("'Map' field is not supported when mocking a Context object")
        fields = _CONTEXT_FIELDS.get(section)
        if fields is None:
            raise _bad_context(f"Field '{section}' is not allowed")
        if section == "Task" and not (
            isinstance(state, m.TaskState) and state.resource.endswith(_NEEDS_MOCK)
        ):
            raise _bad_context(
                "Context object contains 'Task' when state is not a Task state with a '.sync' "
                "or '.waitForTaskToken' service integration pattern"
            )
        if not isinstance(value, dict):
            raise _bad_context(f"{section} must be an object")
        for name, item in value.items():
            if name not in fields:
                raise _bad_context(f"Field '{name}' is not allowed")
            kinds = fields[name]
            if kinds is not None and (not isinstance(item, kinds) or isinstance(item, bool)):
                kind = "an integer" if int in kinds else "a string"
                raise _bad_context(f"{section}.{name} must be {kind}")


def _bad_context(problem: str) -> TestStateError:
    return refused(f"Invalid Context object provided: {problem}")
