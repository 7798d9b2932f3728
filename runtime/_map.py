"""The Map state: items, ItemSelector, concurrency, tolerated failures, inline and distributed."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from asl import _errors as E
from asl import _model as m
from asl._errors import PathNotFound, StatesError
from runtime._events import to_json

if TYPE_CHECKING:
    from runtime._interpreter import Frame, Interpreter

INLINE_CONCURRENCY = 40
DISTRIBUTED_CONCURRENCY = 10_000


async def run_map(it: Interpreter, state: m.MapState, frame: Frame, value: Any, eid: int):
    from runtime._interpreter import _Failed, _runtime

    try:
        if state.is_jsonata:
            states = it._states_var(frame, value)
            effective = value
            if state.items is not None:
                items = _resolve(it, state, frame, state.items, value, states, eid, "Items")
                if not isinstance(items, list) and isinstance(state.items, m.FromJsonata):
                    from asl._jsonata import unexpected_type_error

                    error = unexpected_type_error(state.items.builder, "array", items)
                    raise it._wrap(state, eid, error, frame)
            else:
                items = value
        else:
            states = None
            effective = it._input(state, frame, value, eid)
            if state.items_path is not None:
                try:
                    items = state.items_path(effective, frame.context, frame.scope)
                except PathNotFound:
                    raise _runtime(
                        state,
                        eid,
                        f"Invalid path '{state.raw['ItemsPath']}' : No results for path: "
                        f"{state.raw['ItemsPath']}",
                    )
            else:
                items = effective
        if state.item_reader is not None:
            from runtime._item_reader import read_items

            items = await read_items(it, state, frame, effective, states, eid)
        # JSONata states iterate arrays only (as recorded); JSONPath also takes objects.
        if not isinstance(items, list) and (state.is_jsonata or not isinstance(items, dict)):
            message = f"Map state input must be an array but was: {_render(items)}"
            if state.is_jsonata:
                raise it._query_failed(frame, state, eid, message, None)
            raise _runtime(state, eid, message)
        limit = _max_concurrency(it, state, frame, effective, states, eid)
    except StatesError as exc:
        if exc.error == E.QUERY_EVALUATION_ERROR:
            it.host.emit(frame, "MapStateFailed")
            return it._catch(state, frame, value, exc, eid)
        raise _Failed(exc)
    keyed = isinstance(items, dict)
    entries = list(items.items()) if keyed else list(enumerate(items))
    it.host.emit(frame, "MapStateStarted", {"length": len(entries)})
    try:
        count, percentage = _tolerance(it, state, frame, effective, states, eid)
    except StatesError as exc:
        raise _Failed(exc)
    distributed = state.mode == "DISTRIBUTED"
    if distributed:
        it.host.emit(
            frame,
            "MapRunStarted",
            {"mapRunArn": _map_run_arn(frame, state)},
        )
    if state.item_batcher is not None:
        entries = _batches(it, state, frame, entries, effective, states, eid)
    default = DISTRIBUTED_CONCURRENCY if distributed else INLINE_CONCURRENCY
    workers = min(len(entries), limit or default) or 0
    base = f"{frame.key}/{state.name}#{frame.visits[state.name]}"
    results: list[Any] = [None] * len(entries)
    failures: list[StatesError] = []
    tolerated = _threshold(count, percentage, len(entries))
    cursor = iter(range(len(entries)))
    stop = asyncio.Event()

    async def iteration(index: int) -> None:
        key, item = entries[index]
        ctx = dict(frame.context)
        ctx["Map"] = {"Item": {"Index": index, "Value": item}}
        if keyed:
            ctx["Map"]["Item"]["Key"] = key
        child = frame.child(f"{base}/i{index}", ctx)
        if distributed:
            child.scope = child.variables  # distributed children see no outer variables
            child.detached = True  # a child execution with its own history
        try:
            item_input = _select(it, state, frame, ctx, item, effective, eid)
        except StatesError as exc:
            raise _Failed(exc)
        if not distributed:
            it.host.emit(frame, "MapIterationStarted", {"index": index, "name": state.name})
        try:
            child_ctx = dict(frame.context)
            child.context = child_ctx
            results[index] = await it.run_scope(state.processor, child, item_input)
        except _Failed as failed:
            if not distributed:
                it.host.emit(frame, "MapIterationFailed", {"index": index, "name": state.name})
            failures.append(failed.error)
            if failed.error.error in E.UNCATCHABLE or len(failures) > tolerated:
                stop.set()
                raise
            return
        if not distributed:
            it.host.emit(frame, "MapIterationSucceeded", {"index": index, "name": state.name})

    async def worker() -> None:
        for index in cursor:
            if stop.is_set():
                return
            await iteration(index)

    error: StatesError | None = None
    try:
        if workers == 1:
            await worker()
        elif workers:
            from runtime._interpreter import _gather_all

            await _gather_all([worker() for _ in range(workers)])
    except _Failed as failed:
        error = failed.error
        tolerating = count is not None or percentage is not None
        if tolerating and len(failures) > tolerated and error.error not in E.UNCATCHABLE:
            error = StatesError(
                E.EXCEED_TOLERATED_FAILURE_THRESHOLD,
                "The specified tolerated failure threshold was exceeded",
            )
    if error is not None:
        if distributed:
            it.host.emit(frame, "MapRunFailed")
        it.host.emit(frame, "MapStateFailed")
        return it._catch(state, frame, value, error, eid)
    if distributed:
        it.host.emit(frame, "MapRunSucceeded")
    it.host.emit(frame, "MapStateSucceeded")
    result: Any = results
    try:
        if state.result_writer is not None:
            from runtime._result_writer import write_results

            result = await write_results(it, state, frame, results, effective, states, eid)
        if state.is_jsonata:
            return it._finish_ja(state, frame, value, result, eid, {"result": result})
        if state.result_selector is not None:
            result = it._template(state, eid, state.result_selector, result, frame)
        return it._finish_jp(state, frame, value, result, eid)
    except StatesError as exc:
        return it._catch(state, frame, value, exc, eid)


def _render(value: Any) -> str:
    return to_json(value)


def _resolve(it, state, frame, dyn, data, states, eid, key):
    return it._resolve(state, frame, dyn, data, states, eid, key)


def _select(it, state, frame, ctx, item, effective, eid):
    selector = state.item_selector
    if selector is None:
        return item
    if state.is_jsonata:
        states = {"input": effective, "context": ctx}
        try:
            return selector(states, frame.scope, it.host.rng(frame), clock=frame.millis)
        except StatesError as exc:
            raise it._wrap(state, eid, exc, frame)
    try:
        return selector(effective, ctx, frame.scope)
    except StatesError as exc:
        raise it._wrap(state, eid, exc, frame)


def _max_concurrency(it, state, frame, data, states, eid) -> int:
    from runtime._interpreter import _runtime

    if state.max_concurrency is None:
        return 0
    value = _resolve(it, state, frame, state.max_concurrency, data, states, eid, "MaxConcurrency")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        if isinstance(state.max_concurrency, m.FromPath):
            raise _runtime(
                state,
                eid,
                f"The MaxConcurrencyPath field refers to value {_quoted(value)} which is not a "
                f"valid integer: {state.max_concurrency.path}",
            )
        raise _runtime(
            state,
            eid,
            f"The MaxConcurrency field must be a non-negative integer: {to_json(value)}",
            E.QUERY_EVALUATION_ERROR if state.is_jsonata else E.RUNTIME,
        )
    return value


def _quoted(value: Any) -> str:
    return '"' + (value if isinstance(value, str) else to_json(value)) + '"'


def _tolerance(it, state, frame, data, states, eid) -> tuple[int | None, float | None]:
    from runtime._interpreter import _runtime

    count = percentage = None
    if state.tolerated_failure_count is not None:
        dyn = state.tolerated_failure_count
        value = _resolve(it, state, frame, dyn, data, states, eid, "ToleratedFailureCount")
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(dyn, m.FromPath):
                raise _runtime(
                    state,
                    eid,
                    f"The ToleratedFailureCountPath field refers to value {_quoted(value)} which "
                    f"is not a valid integer: {dyn.path}",
                )
            raise _runtime(
                state,
                eid,
                "ToleratedFailureCount must be a non-negative integer.",
                E.QUERY_EVALUATION_ERROR if state.is_jsonata else E.RUNTIME,
            )
        if value < 0:
            raise _runtime(state, eid, "ToleratedFailureCount must be non-negative.")
        count = value
    if state.tolerated_failure_percentage is not None:
        dyn = state.tolerated_failure_percentage
        value = _resolve(it, state, frame, dyn, data, states, eid, "ToleratedFailurePercentage")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if isinstance(dyn, m.FromPath):
                raise _runtime(
                    state,
                    eid,
                    f"The ToleratedFailurePercentagePath field refers to value {_quoted(value)} "
                    f"which is not a valid float: {dyn.path}",
                )
            raise _runtime(
                state,
                eid,
                "ToleratedFailurePercentage must be a number.",
                E.QUERY_EVALUATION_ERROR if state.is_jsonata else E.RUNTIME,
            )
        if not 0 <= value <= 100:
            raise _runtime(state, eid, "ToleratedFailurePercentage must be between 0 and 100.")
        percentage = float(value)
    return count, percentage


def _threshold(count: int | None, percentage: float | None, total: int) -> float:
    """How many failed iterations are tolerated (failing when failures exceed it)."""
    limits = []
    if count is not None:
        limits.append(count)
    if percentage is not None:
        limits.append(total * percentage / 100)
    return min(limits) if limits else 0


def _batches(it, state, frame, entries, data, states, eid):
    batcher = state.item_batcher
    size = None
    if batcher.max_items_per_batch is not None:
        size = _resolve(
            it, state, frame, batcher.max_items_per_batch, data, states, eid, "MaxItemsPerBatch"
        )
    max_bytes = None
    if batcher.max_input_bytes_per_batch is not None:
        max_bytes = _resolve(
            it,
            state,
            frame,
            batcher.max_input_bytes_per_batch,
            data,
            states,
            eid,
            "MaxInputBytesPerBatch",
        )
    batch_input = None
    if batcher.batch_input is not None:
        if state.is_jsonata:
            batch_input = batcher.batch_input(states, frame.scope)
        else:
            batch_input = batcher.batch_input(data, frame.context, frame.scope)
    out: list[tuple[int, Any]] = []
    current: list[Any] = []
    current_bytes = 0
    for _, item in entries:
        item_bytes = len(to_json(item).encode())
        full = (size is not None and len(current) >= size) or (
            max_bytes is not None and current and current_bytes + item_bytes > max_bytes
        )
        if full:
            out.append(_batch(len(out), current, batch_input))
            current, current_bytes = [], 0
        current.append(item)
        current_bytes += item_bytes
    if current:
        out.append(_batch(len(out), current, batch_input))
    return out


def _batch(index: int, items: list[Any], batch_input: Any) -> tuple[int, Any]:
    value: dict[str, Any] = {"Items": items}
    if batch_input is not None:
        value["BatchInput"] = batch_input
    return index, value


def _map_run_arn(frame: Frame, state: m.MapState) -> str:
    execution = frame.context.get("Execution", {})
    machine = frame.context.get("StateMachine", {})
    label = state.label or state.name
    name = machine.get("Name", "machine")
    arn = str(machine.get("Id", ""))
    prefix = (
        arn.rsplit(":stateMachine:", 1)[0] if ":stateMachine:" in arn else "arn:aws:states:local"
    )
    return f"{prefix}:mapRun:{name}/{label}:{execution.get('Name', 'run')}"
