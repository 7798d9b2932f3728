"""The interpreter TestState runs the state on, noting each stage of its data flow.

:class:`Probe` is the engine's own :class:`~runtime.core.interpreter.Interpreter`: every stage runs
as in an execution; the probe only notes what a stage produced (``afterInputPath``,
``afterParameters``...), and differs where TestState differs from an execution:

* a Pass or Choice state runs stage by stage (never the one-step direct path), so that every
  stage is there to note;
* an error a retrier would retry ends the run (RETRIABLE) instead of waiting: the attempt number
  is ``stateConfiguration.retrierRetryCount`` plus one;
* a mocked Map or Parallel state does not run its iterations or branches: the mock is their
  result (or error); ``mapIterationFailureCount`` failed iterations fail the Map with
  ``States.ExceedToleratedFailureThreshold`` when they exceed what it tolerates;
* the context object is the one the call gave, exactly, or one made for the call.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from asl import errors as E
from asl import model as m
from asl.errors import StatesError
from runtime.core.events import iso_of_millis
from runtime.core.interpreter import Frame, Interpreter, StateFailed, TaskRequest
from runtime.core.map import THRESHOLD_CAUSE, threshold, tolerance
from runtime.drivers.clock import RealClock
from runtime.drivers.execution import Host
from runtime.teststate._request import Mock


class Retriable(Exception):
    """The state failed with an error a retrier retries: ``index`` is the retrier's, ``delay``
    the backoff before the next attempt."""

    def __init__(self, index: int, delay: float, error: StatesError) -> None:
        super().__init__(error.error)
        self.index, self.delay, self.error = index, delay, error


class Probe(Interpreter):
    """Runs one state, noting its stages in :attr:`data` and its handlers in :attr:`details`."""

    def __init__(
        self,
        machine: m.StateMachine,
        host: ProbeHost,
        *,
        mock: Mock | None,
        retry_count: int,
        failure_count: int | None,
        context: dict[str, Any] | None,
        base_context: dict[str, Any],
    ) -> None:
        super().__init__(machine, host)
        self.data: dict[str, Any] = host.data
        self.details: dict[str, int] = {}
        self.caught: StatesError | None = None
        self.mock = mock
        self.retry_count = retry_count
        self.failure_count = failure_count
        self.given_context = context
        self.base_context = base_context

    # -- running -----------------------------------------------------------------------------

    async def run_state(self, state: m.State, frame: Frame, value: Any) -> tuple[str | None, Any]:
        if isinstance(state, m.PassState):
            return self._pass_stages(state, frame, value, self._enter(state, frame, value))
        if isinstance(state, m.ChoiceState):
            return self._choice_stages(state, frame, value, self._enter(state, frame, value))
        return await super().run_state(state, frame, value)

    def _enter(self, state: m.State, frame: Frame, value: Any) -> int:
        eid = super()._enter(state, frame, value)
        if self.given_context is not None:
            frame.context = self.given_context
        else:
            entered = {"Name": "StateName", "EnteredTime": iso_of_millis(frame.entered_ms or 0)}
            if state.type in ("Task", "Map", "Parallel"):
                entered["RetryCount"] = self.retry_count
            frame.context = {**self.base_context, "State": entered}
        return eid

    def _attempt_context(
        self, state: m.TaskState, context: dict[str, Any], key: str, attempt: int
    ) -> dict[str, Any]:
        if self.given_context is not None:  # used exactly as given, a Task.Token too
            return context
        return super()._attempt_context(state, context, key, attempt)

    # -- noting stages -----------------------------------------------------------------------

    def _input(self, state: m.State, frame: Frame, value: Any, eid: int) -> Any:
        out = super()._input(state, frame, value, eid)
        self.data.setdefault("afterInputPath", out)
        return out

    def _task_parameters(
        self, state: m.TaskState, frame: Frame, value: Any, effective: Any, eid: int
    ) -> Any:
        out = super()._task_parameters(state, frame, value, effective, eid)
        self.data["afterArguments" if state.is_jsonata else "afterParameters"] = out
        return out

    def _finish_jp(
        self, state: m.State, frame: Frame, raw_input: Any, result: Any, eid: int
    ) -> tuple[str | None, Any]:
        self.data["afterResultSelector"] = result
        if isinstance(state, m.PassState):
            self.data["afterParameters"] = result
        out = super()._finish_jp(state, frame, raw_input, result, eid)
        if "afterResultPath" not in self.data:  # no ResultPath placed it: "$", or null
            self.data["afterResultPath"] = raw_input if state.result_path_null else result
        return out

    def _result_path(
        self, state: m.State, frame: Frame, raw_input: Any, result: Any, eid: int
    ) -> Any:
        out = super()._result_path(state, frame, raw_input, result, eid)
        self.data["afterResultPath"] = out
        return out

    # -- errors ------------------------------------------------------------------------------

    def _retrier(
        self, state: m.State, frame: Frame, error: StatesError, counts: list[int]
    ) -> float | None:
        index = self._retrier_index(state, error)
        if index is None:
            return None
        self.details["retryIndex"] = index
        retrier = state.retry[index]  # type: ignore[attr-defined]
        attempt = self.retry_count + 1
        if attempt > retrier.max_attempts:
            return None
        raise Retriable(index, retrier.delay(attempt), error)

    def _catch(
        self, state: m.State, frame: Frame, raw_input: Any, error: StatesError, eid: int
    ) -> tuple[str | None, Any]:
        out = super()._catch(state, frame, raw_input, error, eid)  # raises StateFailed if uncaught
        self.details["catchIndex"] = state.handlers_for(error.error)[1]  # type: ignore
        self.caught = error
        return out

    # -- mocked Parallel and Map states --------------------------------------------------------

    async def _branches(
        self, state: m.ParallelState, children: list[Frame], value: Any
    ) -> list[Any]:
        if self.mock is None:
            return await super()._branches(state, children, value)
        if not self.mock.has_result:
            raise StateFailed(StatesError(self.mock.error or "", self.mock.cause))
        return self.mock.result

    async def _map_iterations(
        self,
        state: m.MapState,
        frame: Frame,
        effective: Any,
        states: Any,
        items: Any,
        limit: int,
        eid: int,
        attempt: int,
    ) -> Any:
        if self.mock is None:
            return await super()._map_iterations(
                state, frame, effective, states, items, limit, eid, attempt
            )
        if not state.is_jsonata and items is not None:
            self.data["afterItemsPath"] = items
        self.data["maxConcurrency"] = limit
        try:
            count, percentage = tolerance(self, state, frame, effective, states, eid)
        except StatesError as exc:
            raise StateFailed(exc)
        if count is not None:
            self.data["toleratedFailureCount"] = count
        if percentage is not None:
            self.data["toleratedFailurePercentage"] = percentage
        if not self.mock.has_result:
            raise StatesError(self.mock.error or "", self.mock.cause)
        result = self.mock.result
        failed = self.failure_count or 0
        tolerating = count is not None or percentage is not None
        iterations = len(result) if isinstance(result, list) else 0
        if tolerating and failed > threshold(count, percentage, iterations):
            raise StatesError(E.EXCEED_TOLERATED_FAILURE_THRESHOLD, THRESHOLD_CAUSE)
        return result


class ProbeHost(Host):
    """The driver's host, without waiting; notes the task's result (and, at TRACE, the HTTP
    exchange a route reports)."""

    def __init__(self, dispatch: Any, *, trace: bool) -> None:
        super().__init__(
            dispatch=dispatch,
            clock=RealClock(),
            seed=random.SystemRandom().getrandbits(63),
            history_limit=None,
        )
        self.data: dict[str, Any] = {}
        self.trace = trace

    async def sleep_until(self, frame: Frame, deadline: datetime) -> None:
        return None

    async def invoke(self, frame: Frame, request: TaskRequest) -> Any:
        if self.trace:
            request.inspect = {}
        try:
            result = await super().invoke(frame, request)
        finally:
            for key in ("request", "response"):
                if request.inspect and key in request.inspect:
                    self.data[key] = request.inspect[key]
        self.data["result"] = result
        return result
