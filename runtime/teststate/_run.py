"""One TestState call: check the request, run the state once, answer as AWS does."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asl.errors import TIMEOUT, StatesError
from runtime.core.arns import ACCOUNT, REGION
from runtime.core.interpreter import Frame, StateFailed, TaskRequest
from runtime.drivers.execution import Dispatch
from runtime.drivers.loop import run_sync
from runtime.teststate import _checks, _definition
from runtime.teststate._inspection import inspection, render
from runtime.teststate._probe import Probe, ProbeHost, Retriable
from runtime.teststate._request import Mock, Request, read

TIME_LIMIT_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class Environment:
    """What the caller gives a TestState call: how unmocked tasks run, where definitions are
    compiled and the state runs, and which local code may run.

    ``dispatch`` answers a Task state's request (the caller's task routing); ``compile(fn,
    *args)`` calls ``fn(*args)`` where definitions may be compiled; ``run(coroutine)`` runs the
    state to its end and returns its result; ``check_code(states)`` raises the caller's error
    for Task states whose local code it does not allow.
    """

    dispatch: Dispatch
    compile: Callable[..., Any] | None = None
    run: Callable[[Awaitable[Any]], Any] = run_sync
    check_code: Callable[[Iterable[Any]], None] | None = None


def answer(params: Mapping[str, Any], environment: Environment) -> dict[str, Any]:
    """The TestState response for ``params`` (the API's request members).

    Raises :class:`~runtime.teststate.TestStateError` for a request AWS refuses, with AWS's
    error code and message.
    """
    request = read(params)
    tested = _definition.build(request.definition, request.state_name, environment.compile)
    state = tested.state
    if request.mock is None and environment.check_code is not None:
        environment.check_code([state])  # the definition's code first, as a definition problem
    _checks.check(request, state)
    dispatch = _mocked(request.mock) if request.mock is not None else environment.dispatch
    host = ProbeHost(dispatch, trace=request.level == "TRACE")
    probe = Probe(
        tested.machine,
        host,
        mock=request.mock,
        retry_count=request.retry_count,
        failure_count=request.failure_count,
        context=request.context,
        base_context=_base_context(request),
    )
    frame = Frame("", dict(request.variables), {}, {})
    frame.scope = frame.variables

    async def run() -> tuple[str | None, Any]:
        return await asyncio.wait_for(
            probe.run_state(state, frame, request.input), TIME_LIMIT_SECONDS
        )

    out: dict[str, Any] = {}
    try:
        next_state, output = environment.run(run())
    except Retriable as retry:
        out["status"] = "RETRIABLE"
        _error(out, retry.error)
        probe.details["retryBackoffIntervalSeconds"] = int(retry.delay)
    except StateFailed as failed:
        out["status"] = "FAILED"
        _error(out, failed.error)
    except TimeoutError:
        out["status"] = "FAILED"
        _error(out, StatesError(TIMEOUT, "TestState ran for over 5 minutes"))
    else:
        out["output"] = render(output)
        if next_state is not None:
            out["nextState"] = tested.next_name(next_state)
        if probe.caught is not None:
            out["status"] = "CAUGHT_ERROR"
            _error(out, probe.caught)
        else:
            out["status"] = "SUCCEEDED"
    if request.level != "INFO":
        out["inspectionData"] = inspection(
            state,
            input=request.input,
            noted=probe.data,
            details=probe.details,
            variables=frame.variables,
            trace=request.level == "TRACE",
        )
    return out


def _base_context(request: Request) -> dict[str, Any]:
    """The context object of the call, but for ``State``: an Express execution of a machine of
    its own, as AWS makes one for each TestState call."""
    machine, execution = str(uuid.uuid4()), str(uuid.uuid4())
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "Execution": {
            "Id": f"arn:aws:states:{REGION}:{ACCOUNT}:express:{machine}:{execution}",
            "Input": request.input,
            "Name": execution,
            "RoleArn": request.role_arn,
            "StartTime": now,
        },
        "StateMachine": {
            "Id": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{machine}",
            "Name": machine,
        },
    }


def _mocked(mock: Mock) -> Dispatch:
    """A dispatcher answering every task with the mock."""

    async def dispatch(request: TaskRequest) -> Any:
        if not mock.has_result:
            raise StatesError(mock.error or "", mock.cause)
        return mock.result

    return dispatch


def _error(out: dict[str, Any], error: StatesError) -> None:
    out["error"] = error.error
    if error.cause is not None:
        out["cause"] = error.cause
