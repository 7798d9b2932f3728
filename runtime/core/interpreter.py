"""The interpreter: walks a compiled machine, deciding what happens next.

It is deterministic: everything that comes from outside (the clock, task results, randomness,
sleeping) goes through the :class:`Host` the driver supplies, which records it in history and, on
replay, hands recorded outcomes back instead of repeating them. Parallel branches and Map
iterations are asyncio tasks (no thread per item), each running in its own :class:`Frame`.
"""

from __future__ import annotations

import asyncio
import re
from collections import ChainMap
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from asl import errors as E
from asl import model as m
from asl.errors import PathNotFound, StatesError
from asl.timestamps import parse_timestamp
from runtime.core.events import (
    _NOT_TRUNCATED,
    Payload,
    from_millis,
    iso_of_millis,
    payload_details,
    to_json,
)
from runtime.core.host import Host
from runtime.core.jsontext import MAX_DEPTH
from runtime.core.jsontext import depth as json_depth
from runtime.core.size import DEEP_SIZE, PAYLOAD_LIMIT, SizeGauge
from runtime.core.tokens import with_token

INLINE_MAP_CONCURRENCY = 40

Step = tuple[str | None, Any]
"""What running a state gives: the next state's name (None: the scope ends) and its output."""


@dataclass(slots=True)
class TaskRequest:
    """One attempt of a Task state, as handed to the dispatcher."""

    resource: str
    parameters: Any
    state_name: str
    context: dict[str, Any]
    timeout_seconds: float | None = None
    heartbeat_seconds: float | None = None
    credentials: Any = None
    attempt: int = 0
    key: str = ""  # where the attempt runs: frame key, state name and visit (stable on replay)
    # TestState at TRACE level: a route that makes an HTTP call (the HTTP Task) puts the
    # exchange here, as "request" and "response" (the API's InspectionDataRequest/Response).
    inspect: dict[str, Any] | None = None


class SentFailure(StatesError):
    """A task's failure as its worker sent it (SendTaskFailure), where ``error`` and ``cause``
    may each be missing (None). A Catch gets both as sent, nulls included (AWS's
    ``{"Error": null, "Cause": null}``); Retry and Catch match a missing error as the empty
    name (``States.ALL`` and ``States.TaskFailed`` handle it)."""

    __slots__ = ("sent_error",)

    def __init__(self, error: str | None, cause: str | None = None) -> None:
        super().__init__(error or "", cause)
        self.args = (error, cause)  # (what a copy or a pickle rebuilds it from)
        self.sent_error = error


class Frame:
    """One sequential scope: the execution, a Parallel branch, or a Map iteration.

    ``context`` is the context object (``$$``) of the state running in the frame. It is built
    when first read after the state was entered: most states never read it.
    """

    __slots__ = (
        "_base",
        "_context",
        "_state",
        "detached",
        "entered_ns",
        "entered_previous",
        "exit_previous",
        "key",
        "last_event_id",
        "last_output",
        "scope",
        "variables",
        "visits",
    )

    def __init__(
        self,
        key: str,
        variables: dict[str, Any],
        scope: MutableMapping[str, Any],
        context: dict[str, Any],
        *,
        detached: bool = False,
    ) -> None:
        self.key = key
        self.variables = variables
        self.scope = scope  # variables visible for reading (own + outer)
        self._base = context
        self._context: dict[str, Any] | None = context  # None: made when first read
        self._state: m.State | None = None  # the state running in the frame
        self.last_event_id = 0
        self.entered_ns: int | None = None  # when the current state was entered
        self.entered_previous = 0
        self.visits: dict[str, int] = {}
        self.detached = detached  # a Distributed Map child: its events form their own history
        self.last_output: Payload | None = None  # the last state's output, rendered at most once
        self.exit_previous: int | None = None  # previousEventId for the next StateExited

    @property
    def context(self) -> dict[str, Any]:
        context = self._context
        if context is None:
            current = self._state
            state: dict[str, Any] = {
                "EnteredTime": iso_of_millis(self.entered_ms or 0),
                "Name": "" if current is None else current.name,
            }
            if current is not None and current.type == "Task":
                state["RetryCount"] = 0
            # A fresh object per state: values taken from $$ earlier must not change.
            context = self._context = {**self._base, "State": state}
        return context

    @context.setter
    def context(self, value: dict[str, Any]) -> None:
        self._base = self._context = value

    def visit(self, state: m.State) -> int:
        """Count a visit of a Task, Parallel or Map state in this frame; return its number (part
        of the keys of its attempts, branches and iterations, the same on replay)."""
        visits = self.visits
        count = visits[state.name] = visits.get(state.name, 0) + 1
        return count

    @property
    def entered_ms(self) -> int | None:
        """When the current state was entered, in milliseconds since the epoch."""
        nanos = self.entered_ns
        return None if nanos is None else nanos // 1_000_000

    @property
    def entered_at(self) -> datetime | None:
        return None if self.entered_ms is None else from_millis(self.entered_ms)

    def millis(self) -> int:
        """The clock JSONata's ``$now``/``$millis`` read: the time the state was entered, taken
        from its recorded event, so a replay evaluates to the same values."""
        return self.entered_ms or 0

    def child(
        self, key: str, context: dict[str, Any] | None = None, *, assigns: bool = True
    ) -> Frame:
        """A frame for a branch or an iteration. Its variables are its own (``assigns``), or, for
        a scope that never assigns, none: it reads the variables in scope here."""
        own: dict[str, Any] = {}
        scope = ChainMap(own, self.scope) if assigns else self.scope
        # The child's first state replaces "State"; the rest of the context is shared, unchanged.
        frame = Frame(key, own, scope, context or self._base)
        frame.detached = self.detached
        frame.last_event_id = self.last_event_id  # a scope's first event follows its opener
        return frame


_NO_CONTEXT: dict[str, Any] = {}


def _context(state: m.State, frame: Frame) -> dict[str, Any]:
    """The context object for the state's expressions: empty when none of them can read it."""
    return frame.context if state.reads_context else _NO_CONTEXT


class StateFailed(Exception):
    """A state failed with a StatesError that its own Retry/Catch did not handle.

    ``task_frame`` is the frame of the Task state whose own attempt failed so (a TaskFailed or
    TaskTimedOut ended it), None for any other failure: a Parallel state whose branch ends so
    records the Task as aborted in that branch."""

    __slots__ = ("error", "task_frame")

    def __init__(self, error: StatesError, task_frame: Frame | None = None) -> None:
        self.error = error  # (BaseException.__new__ has kept the argument as ``args``)
        self.task_frame = task_frame


_PREFIX = "An error occurred while executing the state"
_FIELD = re.compile(r"specified for the field '([^']*)'")
_TASK_TIMEOUTS = ("TimeoutSeconds", "HeartbeatSeconds")  # paths worded "Invalid path" when unfound


def _runtime(state: m.State, entered_id: int, message: str, name: str = E.RUNTIME) -> StatesError:
    return StatesError(
        name,
        f"{_PREFIX} '{state.name}' (entered at the event id #{entered_id}). {message}",
    )


def _too_deep(state: m.State, entered_id: int, what: str) -> StatesError:
    """States.Runtime for a value nested deeper than a JSON payload may be (never caught)."""
    return _runtime(
        state,
        entered_id,
        f"The {what} is nested deeper than {MAX_DEPTH} levels of objects and arrays, more than "
        "a JSON payload may; flatten the data instead of wrapping it again and again.",
    )


def _type_name(state: m.State) -> str:
    return state.type


class Interpreter:
    """Runs one execution of a compiled machine against a host."""

    def __init__(self, machine: m.StateMachine, host: Host) -> None:
        self.machine = machine
        self.host = host
        self.emit = host.emit  # the host's recorder, looked up once: it runs for every event
        self.size = SizeGauge()
        self._constants: dict[int, Payload] = {}

    def measure_input(self, frame: Frame, value: Any) -> Payload:
        """The execution's input as a payload, measured. Within the quota it becomes the frame's
        last output: the first state takes it as measured (its text is made at most once)."""
        bound = self.size.bound(value)
        if bound > PAYLOAD_LIMIT:
            bound = self.size.exact(value)
        depth = bound >> 1 if bound <= DEEP_SIZE else self.size.depth(value)
        payload = Payload(value, None, bound, depth)
        if bound <= PAYLOAD_LIMIT and depth <= MAX_DEPTH:
            frame.last_output = payload
        return payload

    def _constant(self, value: Any) -> Payload:
        """The payload of a constant of the machine (a Pass state's Result), measured once."""
        payload = self._constants.get(id(value))
        if payload is None:
            bound = self.size.bound(value)
            if bound > PAYLOAD_LIMIT:
                bound = self.size.exact(value)
            depth = bound >> 1 if bound <= DEEP_SIZE else self.size.depth(value)
            payload = self._constants[id(value)] = Payload(value, None, bound, depth)
        return payload

    # --- scopes -----------------------------------------------------------------------------

    async def run_scope(self, scope: m.StateMachine, frame: Frame, value: Any) -> Any:
        """Run states from StartAt until the scope ends; return its output or raise StateFailed."""
        if scope.immediate:
            return self.run_immediate(scope, frame, value)
        name: str | None = scope.start_at
        states = scope.states
        immediate, waiting = _IMMEDIATE, _WAITING
        while name is not None:
            state = states[name]
            handler = immediate.get(type(state))
            eid = self._enter(state, frame, value)
            if handler is not None:  # a state that never waits: no coroutine
                name, value = handler(self, state, frame, value, eid)
            else:
                name, value = await waiting[type(state)](self, state, frame, value, eid)
        return value

    def run_immediate(self, scope: m.StateMachine, frame: Frame, value: Any) -> Any:
        """:meth:`run_scope` for a scope whose states never wait (``scope.immediate``)."""
        name: str | None = scope.start_at
        states = scope.states
        immediate = _IMMEDIATE
        while name is not None:
            state = states[name]
            name, value = immediate[type(state)](
                self, state, frame, value, self._enter(state, frame, value)
            )
        return value

    async def run_state(self, state: m.State, frame: Frame, value: Any) -> Step:
        """Run one state; return (next state name or None at the end, output)."""
        eid = self._enter(state, frame, value)
        handler = _IMMEDIATE.get(type(state))
        if handler is not None:
            return handler(self, state, frame, value, eid)
        return await _WAITING[type(state)](self, state, frame, value, eid)

    def _enter(self, state: m.State, frame: Frame, value: Any) -> int:
        """Record the state's StateEntered event; return its id."""
        name = state.name
        last = frame.last_output
        # The last output is this state's input, but for a scope's first state (not measured).
        payload = last if last is not None and last.value is value else Payload(value)
        entered = self.emit(frame, _ENTERED[state.type], (name, payload))  # compact
        # The frame now runs this state (what its context object shows).
        frame.entered_ns = entered[2]
        frame.entered_previous = entered[1]
        frame._state = state
        frame._context = None
        return entered[0]

    # --- shared data flow -------------------------------------------------------------------

    def _input(self, state: m.State, frame: Frame, value: Any, eid: int) -> Any:
        return self._select(
            state, frame, value, eid, state.input_path, state.input_path_null, "InputPath"
        )

    def _output(self, state: m.State, frame: Frame, value: Any, eid: int) -> Any:
        return self._select(
            state, frame, value, eid, state.output_path, state.output_path_null, "OutputPath"
        )

    def _select(
        self, state: m.State, frame: Frame, value: Any, eid: int, path: Any, null: bool, key: str
    ) -> Any:
        """InputPath/OutputPath: ``null`` gives {}, no path the value itself."""
        if null:
            return {}
        if path is None:
            return value
        try:
            return path(value, _context(state, frame), frame.scope)
        except PathNotFound as exc:
            raise _runtime(state, eid, _invalid_path(state.raw[key], exc))

    def _states_var(self, frame: Frame, value: Any, **more: Any) -> dict[str, Any]:
        states = {"input": value, "context": frame.context}
        states.update(more)
        return states

    def _jsonata(self, state: m.State, eid: int, fn: Any, states: Any, frame: Frame) -> Any:
        try:
            rng = self.host.rng(frame) if state.draws_random else None
            return fn(states, frame.scope, rng, clock=frame.millis)
        except StatesError as exc:
            raise self._wrap(state, eid, exc, frame)
        except RecursionError:  # data nested past what the evaluator walks
            raise _too_deep(state, eid, "data of an expression") from None

    def _wrap(
        self, state: m.State, eid: int, exc: StatesError, frame: Frame | None = None
    ) -> StatesError:
        """Prefix an expression's error with the state's name, as AWS does (once)."""
        if exc.error not in (E.RUNTIME, E.QUERY_EVALUATION_ERROR) or (exc.cause or "").startswith(
            _PREFIX
        ):
            return exc
        if exc.error == E.QUERY_EVALUATION_ERROR and frame is not None:
            match = _FIELD.search(exc.cause or "")
            return self._query_failed(
                frame, state, eid, exc.cause or "", match.group(1) if match else None
            )
        return _runtime(state, eid, exc.cause or "", exc.error)

    def _query_failed(
        self, frame: Frame, state: m.State, eid: int, message: str, location: str | None
    ) -> StatesError:
        """A States.QueryEvaluationError, recorded first as an EvaluationFailed event."""
        error = _runtime(state, eid, message, E.QUERY_EVALUATION_ERROR)
        details = {"error": error.error, "cause": error.cause}
        if location is not None:
            details["location"] = location
        details["state"] = state.name
        # As AWS records it: a Wait's EvaluationFailed follows its StateEntered; other states'
        # follow the event their StateEntered followed.
        previous = None if state.type == "Wait" else frame.entered_previous
        self.emit(frame, "EvaluationFailed", details, previous=previous)
        return error

    def _template(self, state: m.State, eid: int, fn: Any, data: Any, frame: Frame) -> Any:
        try:
            rng = self.host.rng(frame) if state.draws_random else None
            return fn(data, _context(state, frame), frame.scope, rng)
        except StatesError as exc:
            raise self._wrap(state, eid, exc, frame)
        except RecursionError:  # an intrinsic's result (States.StringToJson) or its data
            raise _too_deep(state, eid, "value of a template") from None

    def _exit(
        self,
        state: m.State,
        frame: Frame,
        output: Any,
        assigned: dict[str, Any] | None,
        eid: int,
    ) -> Step:
        return self._exit_to(state, None if state.end else state.next, frame, output, assigned, eid)

    def _exit_to(
        self,
        state: m.State,
        target: str | None,
        frame: Frame,
        output: Any,
        assigned: dict[str, Any] | None,
        eid: int,
        bound: int = -1,
        depth: int = -1,
    ) -> Step:
        """Record the state's StateExited event; the execution goes on at ``target``.

        ``bound``, when known (>= 0), bounds the output's size from above (see
        :meth:`_placed_bound`), and ``depth`` (if >= 0) its nesting; else the output is measured
        here, as the payload quota and the nesting bound require.
        """
        if assigned is not None:
            rendered = self._assigned_json(state, eid, assigned)
            frame.variables.update(assigned)
        payload = frame.last_output  # the state's input, measured (None for a scope's first)
        if payload is None or output is not payload.value:
            if bound < 0 or bound > PAYLOAD_LIMIT:  # unknown, or too loose to decide: measure
                bound = self.size.bound(output)
                depth = -1
                if bound > PAYLOAD_LIMIT:
                    bound = self.size.exact(output)
                    if bound > PAYLOAD_LIMIT:
                        raise self._too_large(state)
            # Within DEEP_SIZE bytes a value cannot nest deeper than MAX_DEPTH (depth -1 then
            # stands for bound // 2); past it, the depth bound decides, or the walk.
            if bound > DEEP_SIZE and (depth < 0 or depth > MAX_DEPTH):
                depth = self.size.depth(output)
                if depth > MAX_DEPTH:
                    raise _too_deep(state, eid, "state's output")
            payload = frame.last_output = Payload(output, None, bound, depth)
        # else: the input unchanged, measured when it was produced (its text made at most once)
        details: Any = (state.name, payload)  # compact: see runtime.core.events.state_details
        if assigned is not None:
            details = {
                "name": state.name,
                "output": payload,
                "outputDetails": _NOT_TRUNCATED,
                "assignedVariables": rendered,
                "assignedVariablesDetails": _NOT_TRUNCATED,
            }
        previous, frame.exit_previous = frame.exit_previous, None
        self.emit(frame, _EXITED[state.type], details, previous)
        return target, output

    @staticmethod
    def _assigned_json(state: m.State, eid: int, assigned: dict[str, Any]) -> dict[str, str]:
        """The assigned variables as JSON text (as history shows them), none nested deeper than
        MAX_DEPTH: the text is made anyway, its brackets bound the depth."""
        rendered = {}
        for name, value in assigned.items():
            try:
                text = to_json(value)
            except StatesError:
                raise _too_deep(state, eid, f"value of the variable '{name}'") from None
            if (
                len(text) > DEEP_SIZE
                and text.count("[") + text.count("{") > MAX_DEPTH
                and json_depth(value, MAX_DEPTH) > MAX_DEPTH
            ):
                raise _too_deep(state, eid, f"value of the variable '{name}'")
            rendered[name] = text
        return rendered

    def check_depth(self, state: m.State, eid: int, value: Any, what: str) -> None:
        """Refuse a value made for the state (its task's parameters, a branch's or an
        iteration's input) that nests deeper than MAX_DEPTH; cheap for small values."""
        size = self.size
        if size.bound(value) > DEEP_SIZE and size.depth(value) > MAX_DEPTH:
            raise _too_deep(state, eid, what)

    def _check_size(self, state: m.State, eid: int, payload: Payload) -> None:
        if self.size.too_large(payload.value, payload._text):
            raise self._too_large(state)

    @staticmethod
    def _too_large(state: m.State) -> StatesError:
        return StatesError(
            E.DATA_LIMIT_EXCEEDED,
            f"The state/task '{state.name}' returned a result with a size exceeding the "
            f"maximum number of bytes service limit.",
        )

    def _assign_jp(self, state: m.State, frame: Frame, fn: Any, data: Any, eid: int) -> Any:
        if fn is None:
            return None
        return self._template(state, eid, fn, data, frame)

    def _finish_jp(
        self, state: m.WithResult, frame: Frame, raw_input: Any, result: Any, eid: int
    ) -> Step:
        """ResultSelector is done by the caller; Assign, ResultPath, OutputPath, exit."""
        assigned = None
        if state.assign is not None:
            assigned = self._template(state, eid, state.assign, result, frame)
        bound = depth = -1
        if state.result_path_null:
            output = raw_input
        elif state.result_path is None:
            output = result
        else:
            output = self._result_path(state, frame, raw_input, result, eid)
            bound, depth = self._placed_bound(frame, raw_input, result, -1, state.result_path)
        if state.output_path is not None or state.output_path_null:
            if bound < 0:  # a part of the state's input is within the input's bound
                given = frame.last_output
                if given is not None and given.value is output:
                    bound, depth = given.bound, given.depth
            output = self._output(state, frame, output, eid)  # a part: within the bound
        target = None if state.end else state.next
        return self._exit_to(state, target, frame, output, assigned, eid, bound, depth)

    @staticmethod
    def _built_bound(template: Any, frame: Frame, data: Any) -> int:
        """An upper bound of the size of ``template(data)`` from the data's measured bound and
        the template's ``size_terms`` (see :func:`asl.template.size_terms`); -1 when unknown.
        Where it is known, the template's ``depth_terms`` bound the nesting the same way."""
        terms = getattr(template, "size_terms", None)
        given = frame.last_output
        if terms is None or given is None or given.value is not data or given.bound < 0:
            return -1
        return terms[0] + terms[1] * given.bound

    def _placed_bound(
        self, frame: Frame, raw_input: Any, result: Any, result_bound: int, setter: Any
    ) -> tuple[int, int]:
        """Upper bounds of the size and the nesting of ``setter(raw_input, result)`` (a
        ResultPath placing a result into the state's input) without walking the input again:
        its measured bound, plus the result's (``result_bound``, measured here when -1), plus
        what the path adds (it goes through the input's levels, then makes an object per key,
        6 bytes of ``growth`` at least). (-1, -1) when the input was not measured."""
        given = frame.last_output
        if given is None or given.value is not raw_input or given.bound < 0:
            return -1, -1
        if result_bound < 0:
            result_bound = self.size.bound(result)
        bound = given.bound + result_bound + setter.growth
        if bound <= DEEP_SIZE:
            return bound, -1
        levels = setter.levels  # see asl's compile_result_path
        placed = result_bound >> 1 if result_bound <= DEEP_SIZE else self.size.depth(result)
        depth = given.depth
        if depth < 0:
            depth = given.bound >> 1
        if levels < 0:  # through the input's levels, then an object made per key
            return bound, depth + setter.growth // 6 + placed
        placed += levels
        return bound, placed if placed > depth else depth

    def _result_path(
        self, state: m.WithResult, frame: Frame, raw_input: Any, result: Any, eid: int
    ) -> Any:
        if state.result_path_null:
            return raw_input
        if state.result_path is None:
            return result
        try:
            return state.result_path(raw_input, result)
        except StatesError as exc:
            raise self._wrap(state, eid, exc, frame)

    def _finish_ja(
        self,
        state: m.State,
        frame: Frame,
        raw_input: Any,
        result: Any,
        eid: int,
        extra: dict[str, Any] | None = None,
    ) -> Step:
        states = self._states_var(frame, raw_input, **(extra or {}))
        assigned = None
        if state.assign is not None:
            assigned = self._jsonata(state, eid, state.assign, states, frame)
        output = result
        if state.output is not None:
            output = self._jsonata(state, eid, state.output, states, frame)
        return self._exit(state, frame, output, assigned, eid)

    def finish_result(
        self, state: m.WithErrors, frame: Frame, value: Any, result: Any, eid: int
    ) -> Step:
        """Task, Parallel and Map after their work: ResultSelector (or ``$states.result``),
        Assign, ResultPath, OutputPath/Output and exit; a failure there goes to Catch."""
        try:
            if state.is_jsonata:
                return self._finish_ja(state, frame, value, result, eid, {"result": result})
            if state.result_selector is not None:
                result = self._template(state, eid, state.result_selector, result, frame)
            return self._finish_jp(state, frame, value, result, eid)
        except StatesError as exc:
            return self._catch(state, frame, value, exc, eid)

    # --- errors: Retry and Catch ------------------------------------------------------------

    @staticmethod
    def _retrier_index(state: m.WithErrors, error: StatesError) -> int | None:
        """The index of the retrier that handles ``error``; None when none does."""
        if error.error in E.UNCATCHABLE:
            return None
        return state.handlers_for(error.error)[0]

    def _retrier(
        self, state: m.WithErrors, frame: Frame, error: StatesError, counts: list[int]
    ) -> float | None:
        """The delay before the next attempt, or None when no retrier applies any more."""
        index = self._retrier_index(state, error)
        if index is None:
            return None
        retrier = state.retry[index]
        counts[index] += 1
        if counts[index] > retrier.max_attempts:
            return None
        delay = retrier.delay(counts[index])
        if retrier.jitter_strategy == "FULL":
            delay = self.host.rng(frame).uniform(0, delay)
        return delay

    def _catch(
        self, state: m.WithErrors, frame: Frame, raw_input: Any, error: StatesError, eid: int
    ) -> Step:
        index = None
        if error.error not in E.UNCATCHABLE:
            index = state.handlers_for(error.error)[1]
        if index is None:
            raise StateFailed(error)
        catcher = state.catch[index]
        if type(error) is SentFailure:  # as the worker sent it: nulls for what it left out
            error_output = {"Error": error.sent_error, "Cause": error.cause}
        elif error.cause is None:
            error_output = {"Error": error.error}
        else:
            error_output = {"Error": error.error, "Cause": error.cause}
        assigned = None
        if state.is_jsonata:
            states = self._states_var(frame, raw_input, errorOutput=error_output)
            if catcher.assign is not None:
                assigned = self._jsonata(state, eid, catcher.assign, states, frame)
            output = error_output
            if catcher.output is not None:
                output = self._jsonata(state, eid, catcher.output, states, frame)
            return self._exit_to(state, catcher.next, frame, output, assigned, eid)
        if catcher.assign is not None:
            assigned = self._template(state, eid, catcher.assign, error_output, frame)
        if catcher.result_path is None:
            return self._exit_to(state, catcher.next, frame, error_output, assigned, eid)
        output = catcher.result_path(raw_input, error_output)
        # {"Error":"…","Cause":"…"}: 27 bytes at most (two nulls) and the two strings, escaped
        # (6 bytes a char)
        error_bound = 27 + 6 * (len(error.error) + len(error.cause or ""))
        bound, depth = self._placed_bound(
            frame, raw_input, error_output, error_bound, catcher.result_path
        )
        return self._exit_to(state, catcher.next, frame, output, assigned, eid, bound, depth)

    # --- state handlers ---------------------------------------------------------------------

    def _pass(self, state: m.PassState, frame: Frame, value: Any, eid: int) -> Step:
        target = None if state.end else state.next
        if state.direct:  # the output is the result: Result, Parameters or the input
            try:
                if state.parameters is not None and not state.has_result:
                    result = self._template(state, eid, state.parameters, value, frame)
                    bound = self._built_bound(state.parameters, frame, value)
                    if bound > DEEP_SIZE:  # the size no longer bounds the depth: the terms do
                        given: Any = frame.last_output  # measured: its bound was known
                        depth = given.depth if given.depth >= 0 else given.bound >> 1
                        depth += state.parameters.depth_terms  # type: ignore[attr-defined]
                        return self._exit_to(state, target, frame, result, None, eid, bound, depth)
                    return self._exit_to(state, target, frame, result, None, eid, bound)
                if state.has_result:
                    result = state.result
                    # The same Result every time: measured and rendered once per execution.
                    # As the frame's last output, _exit_to takes it for measured and reuses it.
                    constant = self._constant(result)
                    if constant.bound <= PAYLOAD_LIMIT:
                        frame.last_output = constant
                    return self._exit_to(state, target, frame, result, None, eid)
                return self._exit_to(state, target, frame, value, None, eid)
            except StatesError as exc:
                raise StateFailed(exc)
        return self._pass_stages(state, frame, value, eid)

    def _pass_stages(self, state: m.PassState, frame: Frame, value: Any, eid: int) -> Step:
        """A Pass state stage by stage (what the direct path above does in one step)."""
        try:
            if state.is_jsonata:
                return self._finish_ja(state, frame, value, value, eid)
            effective = value
            if state.input_path is not None or state.input_path_null:
                effective = self._input(state, frame, value, eid)
            if state.has_result:  # a Result wins over Parameters, as on AWS
                result = state.result
            elif state.parameters is not None:
                result = self._template(state, eid, state.parameters, effective, frame)
            else:
                result = effective
            return self._finish_jp(state, frame, value, result, eid)
        except StatesError as exc:
            raise StateFailed(exc)

    def _succeed(self, state: m.SucceedState, frame: Frame, value: Any, eid: int) -> Step:
        try:
            if state.is_jsonata:
                output = value
                if state.output is not None:
                    output = self._jsonata(
                        state, eid, state.output, self._states_var(frame, value), frame
                    )
                    self.check_depth(state, eid, output, "state's output")
            else:
                output = self._output(state, frame, self._input(state, frame, value, eid), eid)
        except StatesError as exc:
            raise StateFailed(exc)
        self.emit(
            frame, "SucceedStateExited", {"name": state.name, **payload_details("output", output)}
        )
        return None, output

    def _fail(self, state: m.FailState, frame: Frame, value: Any, eid: int) -> NoReturn:
        if state.literal:
            # literal: each is a Const holding a string, or absent
            error, cause = state.error, state.cause
            raise StateFailed(
                StatesError(
                    error.value if isinstance(error, m.Const) else "",
                    cause.value if isinstance(cause, m.Const) else None,
                )
            )
        try:
            states = self._states_var(frame, value) if state.is_jsonata else None
            error = self._fail_field(state, frame, state.error, value, states, eid, "Error")
            cause = self._fail_field(state, frame, state.cause, value, states, eid, "Cause")
        except StatesError as exc:
            raise StateFailed(exc)
        raise StateFailed(
            StatesError(error, cause) if error is not None else StatesError("", cause)
        )

    def _fail_field(self, state, frame, dyn, value, states, eid, key):
        if dyn is None:
            return None
        try:
            out = dyn.resolve(value, _context(state, frame), frame.scope, states)
        except PathNotFound:
            raise _runtime(
                state,
                eid,
                f"The JSONPath '{dyn.path}' specified for the field '{key}Path' could not be "
                f"found in the input '{to_json(value)}'",
            )
        except StatesError as exc:
            raise self._wrap(state, eid, exc, frame)
        if not isinstance(out, str):
            if state.is_jsonata:
                raise self._query_failed(
                    frame,
                    state,
                    eid,
                    f"The {key} field must evaluate to a string: {to_json(out)}",
                    key,
                )
            raise _runtime(state, eid, f"The {key}Path field must reference a string value.")
        return out

    def _choice(self, state: m.ChoiceState, frame: Frame, value: Any, eid: int) -> Step:
        if state.direct:  # the rules only choose: the output is the input
            context, scope = _context(state, frame), frame.scope
            target = state.default
            for rule in state.choices:
                predicate = rule.predicate
                assert predicate is not None  # a JSONPath rule is compiled to a predicate
                try:
                    matched = predicate(value, context, scope)
                except StatesError as exc:
                    raise StateFailed(self._wrap(state, eid, exc, frame))
                if matched:
                    target = rule.next
                    break
            if target is None:
                raise StateFailed(_no_choice_matched(state))
            try:
                return self._exit_to(state, target, frame, value, None, eid)
            except StatesError as exc:  # the payload quota, for a scope's first state
                raise StateFailed(exc)
        return self._choice_stages(state, frame, value, eid)

    def _choice_stages(self, state: m.ChoiceState, frame: Frame, value: Any, eid: int) -> Step:
        """A Choice state stage by stage (what the direct path above does in one step)."""
        try:
            if state.is_jsonata:
                states = self._states_var(frame, value)
                for rule in state.choices:
                    matched = self._jsonata(state, eid, rule.condition, states, frame)
                    if not isinstance(matched, bool):
                        raise self._query_failed(
                            frame,
                            state,
                            eid,
                            f"The Condition field must evaluate to a boolean: {to_json(matched)}",
                            "Condition",
                        )
                    if matched:
                        return self._choice_exit(state, frame, value, eid, rule, states)
                return self._choice_exit(state, frame, value, eid, None, states)
            effective = value
            if state.input_path is not None or state.input_path_null:
                effective = self._input(state, frame, value, eid)
            context, scope = _context(state, frame), frame.scope
            for rule in state.choices:
                predicate = rule.predicate
                assert predicate is not None  # a JSONPath rule is compiled to a predicate
                try:
                    matched = predicate(effective, context, scope)
                except StatesError as exc:
                    raise self._wrap(state, eid, exc, frame)
                if matched:
                    return self._choice_exit(state, frame, effective, eid, rule, None)
            return self._choice_exit(state, frame, effective, eid, None, None)
        except StatesError as exc:
            raise StateFailed(exc)

    def _choice_exit(self, state, frame, value, eid, rule, states):
        if rule is None and state.default is None:
            raise _no_choice_matched(state)
        target = rule.next if rule is not None else state.default
        assign_fn = rule.assign if rule is not None else state.assign
        if state.is_jsonata:
            out_fn = rule.output if rule is not None and rule.output is not None else state.output
            assigned = self._jsonata(state, eid, assign_fn, states, frame) if assign_fn else None
            output = self._jsonata(state, eid, out_fn, states, frame) if out_fn else value
        else:
            assigned = None
            if assign_fn is not None:
                assigned = self._template(state, eid, assign_fn, value, frame)
            output = value
            if state.output_path is not None or state.output_path_null:
                output = self._output(state, frame, value, eid)
        return self._exit_to(state, target, frame, output, assigned, eid)

    async def _wait(self, state: m.WaitState, frame: Frame, value: Any, eid: int) -> Step:
        try:
            deadline = self._wait_deadline(state, frame, value, eid)
        except StatesError as exc:
            raise StateFailed(exc)
        await self.host.sleep_until(frame, deadline)
        try:
            if state.is_jsonata:
                return self._finish_ja(state, frame, value, value, eid)
            effective = self._input(state, frame, value, eid)
            assigned = self._assign_jp(state, frame, state.assign, effective, eid)
            return self._exit(
                state, frame, self._output(state, frame, effective, eid), assigned, eid
            )
        except StatesError as exc:
            raise StateFailed(exc)

    def _wait_deadline(self, state: m.WaitState, frame: Frame, value: Any, eid: int) -> datetime:
        now = frame.entered_at or self.host.now()
        states = self._states_var(frame, value)
        data = value if state.is_jsonata else self._input(state, frame, value, eid)
        if state.seconds is not None:
            seconds = self._resolve(state, frame, state.seconds, data, states, eid, "Seconds")
            if (
                isinstance(seconds, bool)
                or not isinstance(seconds, (int, float))
                or (isinstance(seconds, float) and not seconds.is_integer())
            ):
                if isinstance(state.seconds, m.FromPath):
                    raise _runtime(
                        state,
                        eid,
                        "The SecondsPath parameter cannot be parsed as a long value: "
                        f"{state.seconds.path} == {to_json(seconds)}",
                    )
                message = (
                    f"The Seconds field must evaluate to a positive integer: {to_json(seconds)}"
                )
                if state.is_jsonata:
                    raise self._query_failed(frame, state, eid, message, "Seconds")
                raise _runtime(state, eid, message)
            return now + timedelta(seconds=max(0, int(seconds)))
        if state.timestamp is not None:
            stamp = self._resolve(state, frame, state.timestamp, data, states, eid, "Timestamp")
            parsed = parse_timestamp(stamp) if isinstance(stamp, str) else None
            if parsed is None:
                if isinstance(state.timestamp, m.FromPath):
                    raise _runtime(
                        state,
                        eid,
                        "The TimestampPath parameter does not reference a valid ISO-8601 "
                        f"extended offset date-time format string: {state.timestamp.path} == "
                        f"{stamp if isinstance(stamp, str) else to_json(stamp)}",
                    )
                shown = stamp if isinstance(stamp, str) else to_json(stamp)
                message = (
                    "The Timestamp field cannot be parsed as an ISO-8601 extended offset "
                    f"date-time format string: {shown}"
                )
                if state.is_jsonata:
                    raise self._query_failed(frame, state, eid, message, "Timestamp")
                raise _runtime(state, eid, message)
            return parsed
        return now

    def _resolve(self, state, frame, dyn, data, states, eid, key):
        try:
            return dyn.resolve(data, _context(state, frame), frame.scope, states)
        except PathNotFound as exc:
            if key in _TASK_TIMEOUTS:  # worded as the Task state's other paths
                raise _runtime(state, eid, _invalid_path(dyn.path, exc))
            raise _runtime(
                state,
                eid,
                f"The {key}Path parameter does not reference an input value: {dyn.path}",
            )
        except StatesError as exc:
            raise self._wrap(state, eid, exc, frame)
        except RecursionError:
            raise _too_deep(state, eid, f"value of {key}") from None

    async def _task(self, state: m.TaskState, frame: Frame, value: Any, eid: int) -> Step:
        states = self._states_var(frame, value) if state.is_jsonata else None
        try:
            effective = value if state.is_jsonata else self._input(state, frame, value, eid)
            timeout = self._positive(
                state, frame, state.timeout_seconds, effective, states, eid, "TimeoutSeconds"
            )
            heartbeat = self._positive(
                state, frame, state.heartbeat_seconds, effective, states, eid, "HeartbeatSeconds"
            )
        except StatesError as exc:
            raise StateFailed(exc)
        counts = [0] * len(state.retry)
        attempt = 0
        visit = frame.visit(state)
        while True:
            key = f"{frame.key}/{state.name}#{visit}"
            outer = frame.context
            frame.context = self._attempt_context(state, outer, key, attempt)
            try:
                # Parameters are evaluated for every attempt: $$.State.RetryCount changes.
                params = self._task_parameters(state, frame, value, effective, eid)
                if params is not effective:
                    self.check_depth(state, eid, params, "task's input")
                credentials = None  # Credentials: the role the task's AWS calls assume
                if state.credentials is not None and state.is_jsonata:
                    states = self._states_var(frame, value)
                    credentials = self._jsonata(state, eid, state.credentials, states, frame)
                elif state.credentials is not None:
                    credentials = self._template(state, eid, state.credentials, effective, frame)
            except StatesError as exc:
                frame.context = outer
                return self._catch(state, frame, value, exc, eid)
            request = TaskRequest(
                resource=state.resource,
                parameters=params,
                state_name=state.name,
                context=frame.context,
                timeout_seconds=timeout,
                heartbeat_seconds=heartbeat,
                credentials=credentials,
                attempt=attempt,
                key=key,
            )
            frame.context = outer
            try:
                result = await self.host.invoke(frame, request)
            except StatesError as exc:
                delay = self._retrier(state, frame, exc, counts)
                if delay is None:
                    try:
                        return self._catch(state, frame, value, exc, eid)
                    except StateFailed as failed:
                        failed.task_frame = frame
                        raise
                attempt += 1
                frame.context = {
                    **frame.context,
                    "State": {**frame.context["State"], "RetryCount": attempt},
                }
                await self.host.sleep_until(frame, self.host.now() + timedelta(seconds=delay))
                continue
            break
        return self.finish_result(state, frame, value, result, eid)

    def _attempt_context(
        self, state: m.TaskState, context: dict[str, Any], key: str, attempt: int
    ) -> dict[str, Any]:
        """The context object of a task attempt: with ``$$.Task.Token`` for .waitForTaskToken
        and activity tasks (this attempt's token)."""
        return with_token(context, state.resource, key, attempt, self.host.seed)

    def _task_parameters(
        self, state: m.TaskState, frame: Frame, value: Any, effective: Any, eid: int
    ) -> Any:
        if state.is_jsonata:
            if state.arguments is None:
                return value
            return self._jsonata(state, eid, state.arguments, self._states_var(frame, value), frame)
        if state.parameters is None:
            return effective
        return self._template(state, eid, state.parameters, effective, frame)

    def _positive(self, state, frame, dyn, data, states, eid, key):
        if dyn is None:
            return None
        out = self._resolve(state, frame, dyn, data, states, eid, key)
        if isinstance(out, bool) or not isinstance(out, int) or out <= 0:
            message = f"The {key} field must be a positive integer: {to_json(out)}"
            if state.is_jsonata:
                raise self._query_failed(frame, state, eid, message, key)
            raise _runtime(state, eid, message)
        return out

    async def _parallel(self, state: m.ParallelState, frame: Frame, value: Any, eid: int) -> Step:
        try:
            if state.is_jsonata:
                states = self._states_var(frame, value)
                effective = (
                    self._jsonata(state, eid, state.arguments, states, frame)
                    if state.arguments is not None
                    else value
                )
            else:
                effective = value
                if state.input_path is not None or state.input_path_null:
                    effective = self._input(state, frame, value, eid)
                if state.parameters is not None:
                    effective = self._template(state, eid, state.parameters, effective, frame)
            if state.parameters is not None or state.arguments is not None:  # made here
                self.check_depth(state, eid, effective, "branches' input")
        except StatesError as exc:
            raise StateFailed(exc)
        counts = [0] * len(state.retry)
        base = f"{frame.key}/{state.name}#{frame.visit(state)}"
        attempt = 0
        given = frame.last_output  # the state's input, measured, when it is the branches' too
        if given is not None and given.value is not effective:
            given = None
        while True:
            self.emit(frame, "ParallelStateStarted")
            children = []
            for i, branch in enumerate(state.branches):
                child = frame.child(f"{base}.{attempt}/b{i}", None, assigns=branch.assigns)
                child.last_output = given
                children.append(child)
            try:
                result = await self._branches(state, children, effective)
            except StateFailed as failed:
                self._join(frame, children)
                if failed.task_frame is not None and failed.task_frame in children:
                    # AWS records the failed Task aborted with its branch; the Parallel state's
                    # next event still follows the TaskFailed
                    self.emit(failed.task_frame, "TaskStateAborted", advance=False)
                self.emit(frame, "ParallelStateFailed")
                frame.exit_previous = None  # a Catch's StateExited follows ParallelStateFailed
                delay = self._retrier(state, frame, failed.error, counts)
                if delay is None:
                    return self._catch(state, frame, value, failed.error, eid)
                attempt += 1
                await self.host.sleep_until(frame, self.host.now() + timedelta(seconds=delay))
                continue
            self._join(frame, children)
            self.emit(frame, "ParallelStateSucceeded")
            break
        return self.finish_result(state, frame, value, result, eid)

    async def _branches(
        self, state: m.ParallelState, children: list[Frame], value: Any
    ) -> list[Any]:
        """Run a Parallel state's branches, each in its frame: their outputs, or StateFailed."""
        if state.immediate:
            return self._run_branches_now(state.branches, children, value)
        return await _gather_all(
            [
                self.run_scope(branch, child, value)
                for branch, child in zip(state.branches, children, strict=True)
            ]
        )

    def _run_branches_now(
        self, branches: tuple[m.StateMachine, ...], children: list[Frame], value: Any
    ) -> list[Any]:
        """Branches that never wait, one after the other: what concurrent tasks that never
        yield amount to (every branch runs; the first failure, in branch order, is raised)."""
        if len(branches) == 1:
            return [self.run_immediate(branches[0], children[0], value)]
        results: list[Any] = []
        failure: Exception | None = None
        for branch, child in zip(branches, children, strict=True):
            try:
                results.append(self.run_immediate(branch, child, value))
            except Exception as exc:
                failure = failure or exc
                results.append(None)
        if failure is not None:
            raise failure
        return results

    @staticmethod
    def _join(frame: Frame, children: list[Frame]) -> None:
        """After branches end, the state's next events follow the latest branch event; its
        StateExited follows the same event as its Succeeded/Failed (as AWS chains them)."""
        latest = frame.last_event_id
        for child in children:
            if child.last_event_id > latest:
                latest = child.last_event_id
        frame.last_event_id = frame.exit_previous = latest

    async def _map(self, state: m.MapState, frame: Frame, value: Any, eid: int) -> Step:
        from runtime.core.map import run_map

        return await run_map(self, state, frame, value, eid)

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
        """One attempt of a Map state's iterations (``items`` None: its ItemReader reads
        them): the raw result, or StatesError when the Map fails."""
        from runtime.core.map import run_iterations

        return await run_iterations(
            self, state, frame, effective, states, items, limit, eid, attempt
        )


async def _gather_all(coros: list) -> list:
    """Run coroutines concurrently; on the first failure cancel the rest and re-raise it."""
    if len(coros) == 1:
        return [await coros[0]]
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _no_choice_matched(state: m.ChoiceState) -> StatesError:
    return StatesError(E.NO_CHOICE_MATCHED, f"No Matches! at choice state '{state.name}'")


def _invalid_path(path: str, exc: PathNotFound) -> str:
    detail = getattr(exc, "detail", None) or f"No results for path: {_bracket(path)}"
    return f"Invalid path '{path}' : {detail}"


def _bracket(path: str) -> str:
    """``$.a.b`` as Jayway renders it in AWS's causes: ``$['a']['b']``."""
    if not path.startswith("$."):
        return path
    parts = path[2:].split(".")
    return "$" + "".join(f"['{p}']" for p in parts)


# A handler for each state type; typed for any state, as a mapping cannot tie the handler's
# state type to its key.
_Handler = Callable[[Interpreter, Any, Frame, Any, int], Step]
_WaitingHandler = Callable[[Interpreter, Any, Frame, Any, int], Awaitable[Step]]
_IMMEDIATE: dict[type[m.State], _Handler] = {  # states that finish without waiting: functions
    m.PassState: Interpreter._pass,
    m.ChoiceState: Interpreter._choice,
    m.SucceedState: Interpreter._succeed,
    m.FailState: Interpreter._fail,
}
# States that may wait (tasks, time, branches, iterations): coroutines.
_WAITING: dict[type[m.State], _WaitingHandler] = {
    m.TaskState: Interpreter._task,
    m.WaitState: Interpreter._wait,
    m.ParallelState: Interpreter._parallel,
    m.MapState: Interpreter._map,
}
_STATE_TYPES = ("Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")
_ENTERED = {t: t + "StateEntered" for t in _STATE_TYPES}
_EXITED = {t: t + "StateExited" for t in _STATE_TYPES}

__all__ = ["Frame", "Host", "Interpreter", "SentFailure", "TaskRequest"]
