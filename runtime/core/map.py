"""The Map state: items, ItemSelector, concurrency, tolerated failures, inline and distributed.

Inline iterations run inside the parent execution and record ``MapIteration*`` events in its
history. In DISTRIBUTED mode the state starts a Map Run: each item, or each batch with an
ItemBatcher, is a child execution with its own history (the Host files it under the child's
ARN: :class:`~runtime.core.map_io.ChildExecution`) that sees none of the parent's variables; a
replay takes the children that already ended as they ended. ``ItemReader`` and ``ResultWriter``
are in :mod:`runtime.core.item_reader` and :mod:`runtime.core.result_writer`; their S3 calls go
through the Host.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from asl import errors as E
from asl import model as m
from asl.errors import PathNotFound, StatesError
from runtime.core.events import Payload, from_millis, payload_details, to_json
from runtime.core.map_io import ChildExecution

if TYPE_CHECKING:
    from runtime.core.interpreter import Frame, Interpreter

INLINE_CONCURRENCY = 40
DISTRIBUTED_CONCURRENCY = 10_000
MAX_BATCH_BYTES = 256 * 1024
THRESHOLD_CAUSE = "The specified tolerated failure threshold was exceeded"


@dataclass(slots=True, eq=False)
class ChildRun:
    """One child execution of a Map Run: an item, or a batch of ``items`` items."""

    index: int
    name: str
    arn: str
    input: Any
    items: int = 1
    status: str = "PENDING"  # PENDING, RUNNING, SUCCEEDED, FAILED or ABORTED
    output: Any = None
    error: str | None = None
    cause: str | None = None
    start_date: datetime | None = None
    stop_date: datetime | None = None


@dataclass(slots=True, eq=False)
class MapRun:
    """A Distributed Map's run: its ARN, its children's state machine ARN and its children."""

    arn: str
    state_machine_arn: str
    children: list[ChildRun] = field(default_factory=list)
    key: str = ""
    """The children's frame-key prefix: the Host records the Map Run's S3 calls under it."""


async def run_map(it: Interpreter, state: m.MapState, frame: Frame, value: Any, eid: int):
    """Run a Map state (with its Retry and Catch); return (next state, output) as handlers do."""
    from runtime.core.interpreter import StateFailed

    frame.visit(state)
    try:
        effective, states, items = _items(it, state, frame, value, eid)
        limit = _max_concurrency(it, state, frame, effective, states, eid)
    except StatesError as exc:
        if exc.error == E.QUERY_EVALUATION_ERROR:
            it.host.emit(frame, "MapStateFailed")
            return it._catch(state, frame, value, exc, eid)
        raise StateFailed(exc)
    counts = [0] * len(state.retry)
    attempt = 0
    while True:
        try:
            result = await it._map_iterations(
                state, frame, effective, states, items, limit, eid, attempt
            )
            break
        except StatesError as error:
            it.host.emit(frame, "MapStateFailed")
            delay = it._retrier(state, frame, error, counts)
            if delay is None:
                return it._catch(state, frame, value, error, eid)
            attempt += 1
            await it.host.sleep_until(frame, it.host.now() + timedelta(seconds=delay))
    frame.exit_previous = frame.last_event_id  # StateExited follows what Succeeded follows
    it.host.emit(frame, "MapStateSucceeded")
    return it.finish_result(state, frame, value, result, eid)


def _items(it, state, frame, value, eid) -> tuple[Any, Any, Any]:
    """(effective input, ``$states`` for JSONata, the items; None when an ItemReader reads them)."""
    from runtime.core.interpreter import _runtime

    if state.is_jsonata:
        states = it._states_var(frame, value)
        effective = value
        if state.item_reader is not None:
            return effective, states, None
        if state.items is not None:
            items = _resolve(it, state, frame, state.items, value, states, eid, "Items")
            if not isinstance(items, list) and isinstance(state.items, m.FromJsonata):
                from asl.jsonata import CompiledJsonata, unexpected_type_error

                builder = state.items.builder  # one expression: a template gives an array
                assert isinstance(builder, CompiledJsonata)
                error = unexpected_type_error(builder, "array", items)
                raise it._wrap(state, eid, error, frame)
            it.check_depth(state, eid, items, "Items")
        else:
            items = value
    else:
        states = None
        effective = it._input(state, frame, value, eid)
        if state.item_reader is not None:
            return effective, states, None
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
    _check_iterable(it, state, frame, items, eid)
    return effective, states, items


def _check_iterable(it, state, frame, items, eid) -> None:
    """JSONata states iterate arrays only (as recorded); JSONPath also takes objects."""
    from runtime.core.interpreter import _runtime

    if not isinstance(items, list) and (state.is_jsonata or not isinstance(items, dict)):
        message = f"Map state input must be an array but was: {_render(items)}"
        if state.is_jsonata:
            raise it._query_failed(frame, state, eid, message, None)
        raise _runtime(state, eid, message)


def _entries(items: Any) -> list[tuple[Any, Any]]:
    return list(items.items()) if isinstance(items, dict) else list(enumerate(items))


async def run_iterations(it, state, frame, effective, states, items, limit, eid, attempt) -> Any:
    """One run of the Map's iterations: its raw result, or StatesError when the Map fails."""
    from runtime.core.interpreter import StateFailed

    entries = _entries(items) if items is not None else []
    it.host.emit(frame, "MapStateStarted", {"length": len(entries)})
    try:
        count, percentage = tolerance(it, state, frame, effective, states, eid)
    except StatesError as exc:
        raise StateFailed(exc)
    base = f"{frame.key}/{state.name}#{frame.visits[state.name]}"
    if attempt:
        base += f".{attempt}"
    if state.mode == "DISTRIBUTED":
        args = (effective, states, entries, limit, count, percentage, base, eid)
        return await _distributed(it, state, frame, *args)
    if items is None:  # an ItemReader on an inline Map (the validator rejects this)
        from runtime.core.item_reader import read_items

        run = MapRun(_map_run_arn(frame, state, base), "", key=_child_prefix(base))
        items = await read_items(it, state, frame, effective, states, eid, run)
        _check_iterable(it, state, frame, items, eid)
        entries = _entries(items)
    return await _inline(
        it, state, frame, effective, states, entries, limit, count, percentage, base, eid
    )


# --- inline -------------------------------------------------------------------------------------


async def _inline(
    it, state, frame, effective, states, entries, limit, count, percentage, base, eid
):
    from runtime.core.interpreter import StateFailed, _gather_all

    keyed = bool(entries) and not isinstance(entries[0][0], int)
    if state.item_batcher is not None:
        entries = [
            (i, batch)
            for i, (batch, _) in enumerate(
                _batches(it, state, frame, [v for _, v in entries], effective, states, eid)
            )
        ]
    workers = min(len(entries), limit or INLINE_CONCURRENCY) or 0
    results: list[Any] = [None] * len(entries)
    failures: list[StatesError] = []
    tolerated = threshold(count, percentage, len(entries))
    cursor = iter(range(len(entries)))
    stop = asyncio.Event()
    # AWS chains each MapIterationStarted to the last event of the iteration before it.
    chain = [frame.last_event_id]
    # Items taken by ItemsPath are parts of the state's input, measured: each within its bound.
    given = frame.last_output
    item_bound = -1
    if given is not None and not state.is_jsonata and state.item_reader is None:
        taken_as_they_are = state.item_batcher is None and state.item_selector is None
        item_bound = given.bound if taken_as_they_are else -1

    def start(index: int) -> tuple[Frame, Any]:
        """The iteration's frame and input; records MapIterationStarted."""
        key, item = entries[index]
        item_input = item
        if state.item_selector is not None:  # the only reader of $$.Map.Item
            ctx = dict(frame.context)
            ctx["Map"] = {"Item": {"Index": index, "Value": item}}
            if keyed:
                ctx["Map"]["Item"]["Key"] = key
            try:
                item_input = _select(it, state, frame, ctx, item, effective, eid)
            except StatesError as exc:
                raise StateFailed(exc)
        child = frame.child(f"{base}/i{index}", frame.context, assigns=state.processor.assigns)
        started = it.host.emit(
            frame,
            "MapIterationStarted",
            (state.name, index),  # compact: see runtime.core.events.state_details
            chain[0],
            False,
        )
        child.last_event_id = started[0]
        if item_bound >= 0:
            child.last_output = Payload(item_input, None, item_bound, given.depth)
        return child, item_input

    def failed(index: int, child: Frame, failure: StateFailed) -> None:
        """Record a failed iteration; re-raise when the failures are no longer tolerated."""
        chain[0] = child.last_event_id
        # MapStateFailed follows the failed iteration's last event.
        details = (state.name, index)  # compact: see runtime.core.events.state_details
        it.host.emit(frame, "MapIterationFailed", details, child.last_event_id, False)
        frame.last_event_id = max(frame.last_event_id, child.last_event_id)
        failures.append(failure.error)
        if failure.error.error in E.UNCATCHABLE or len(failures) > tolerated:
            stop.set()
            raise failure

    def succeeded(index: int, child: Frame) -> None:
        chain[0] = child.last_event_id
        details = (state.name, index)  # compact: see runtime.core.events.state_details
        it.host.emit(frame, "MapIterationSucceeded", details, child.last_event_id)

    async def iteration(index: int) -> None:
        child, item_input = start(index)
        try:
            results[index] = await it.run_scope(state.processor, child, item_input)
        except StateFailed as failure:
            failed(index, child, failure)
            return
        succeeded(index, child)

    async def worker() -> None:
        for index in cursor:
            if stop.is_set():
                return
            await iteration(index)

    def run_all_now() -> None:
        """Iterations whose states never wait, one after the other: what the workers do
        when no iteration yields (the first worker takes every item in turn)."""
        processor, run = state.processor, it.run_immediate
        for index in range(len(entries)):
            child, item_input = start(index)
            try:
                results[index] = run(processor, child, item_input)
            except StateFailed as failure:
                failed(index, child, failure)
                continue
            succeeded(index, child)

    try:
        if state.processor.immediate:
            run_all_now()
        elif workers == 1:
            await worker()
        elif workers:
            await _gather_all([worker() for _ in range(workers)])
    except StateFailed as failure:
        error = failure.error
        tolerating = count is not None or percentage is not None
        if tolerating and len(failures) > tolerated and error.error not in E.UNCATCHABLE:
            error = StatesError(E.EXCEED_TOLERATED_FAILURE_THRESHOLD, THRESHOLD_CAUSE)
        raise error
    if state.result_writer is not None:  # the validator rejects this on an inline Map
        from runtime.core.result_writer import write_results

        run = MapRun(_map_run_arn(frame, state, base), "", key=_child_prefix(base))
        run.children = [
            ChildRun(i, "", "", None, status="SUCCEEDED", output=r) for i, r in enumerate(results)
        ]
        return await write_results(it, state, frame, run, effective, states, eid)
    return results


# --- distributed --------------------------------------------------------------------------------


async def _distributed(
    it, state, frame, effective, states, entries, limit, count, percentage, base, eid
):
    """A Map Run: read the items, start a child execution per item or batch, write results."""
    machine = _children_machine_arn(frame, state)
    run = MapRun(_map_run_arn(frame, state, base), machine, key=_child_prefix(base))
    it.host.emit(frame, "MapRunStarted", {"mapRunArn": run.arn})
    exporting = state.result_writer is not None and state.result_writer.resource is not None
    try:
        if state.item_reader is not None:
            from runtime.core.item_reader import read_items

            items = await read_items(it, state, frame, effective, states, eid, run)
            if not isinstance(items, list) and (state.is_jsonata or not isinstance(items, dict)):
                raise StatesError(E.ITEM_READER_FAILED, "Attempting to map over non-iterable node.")
            entries = _entries(items)
        inputs = _child_inputs(it, state, frame, entries, effective, states, eid)
        run.children = [_child_run(state, run, i, value, n) for i, (value, n) in enumerate(inputs)]
        await _run_children(it, run, limit, count, percentage, state, frame)
        if state.result_writer is not None:
            from runtime.core.result_writer import write_results

            result = await write_results(it, state, frame, run, effective, states, eid)
        else:
            from runtime.core.result_writer import transform

            result = transform(run, "COMPACT")
        if not exporting:
            it._check_size(state, eid, Payload(result))
    except StatesError as error:
        if exporting and run.children and error.error != E.RESULT_WRITER_FAILED:
            await _export_after_failure(it, state, frame, run, effective, states, eid)
        details = {"error": error.error}
        if error.cause is not None:
            details["cause"] = error.cause
        it.host.emit(frame, "MapRunFailed", details)
        raise
    it.host.emit(frame, "MapRunSucceeded")
    return result


async def _export_after_failure(it, state, frame, run, effective, states, eid) -> None:
    """Write the results of a failed Map Run too (FAILED and PENDING files), as AWS does."""
    from runtime.core.result_writer import write_results

    with contextlib.suppress(StatesError):  # the Map Run's own failure is what counts
        await write_results(it, state, frame, run, effective, states, eid)


def _child_inputs(it, state, frame, entries, effective, states, eid) -> list[tuple[Any, int]]:
    """Each child's input and how many items it carries: ItemSelector applies to every item,
    then ItemBatcher groups the selected items."""
    keyed = bool(entries) and not isinstance(entries[0][0], int)
    selected = []
    for index, (key, item) in enumerate(entries):
        ctx = dict(frame.context)
        ctx["Map"] = {"Item": {"Index": index, "Value": item}}
        if keyed:
            ctx["Map"]["Item"]["Key"] = key
        selected.append(_select(it, state, frame, ctx, item, effective, eid))
    if state.item_batcher is None:
        return [(value, 1) for value in selected]
    return _batches(it, state, frame, selected, effective, states, eid)


def _child_run(state: m.MapState, run: MapRun, index: int, value: Any, items: int) -> ChildRun:
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run.arn}/{index}"))
    head, _, machine = run.state_machine_arn.partition(":stateMachine:")
    if state.execution_type == "EXPRESS":
        arn = f"{head}:express:{machine}:{name}:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"
    else:
        arn = f"{head}:execution:{machine}:{name}"
    return ChildRun(index, name, arn, value, items)


async def _run_children(it, run: MapRun, limit, count, percentage, state, frame) -> None:
    """Run the children, at most ``limit`` at once; fail once more items failed than tolerated.

    UpdateMapRun's values (``Host.map_run_update``) are read at the start and each time a child
    ends, and apply from then on: a larger MaxConcurrency starts more children at once, a
    smaller one lets running ones finish without starting others in their place, and a new
    tolerance counts the failures so far.
    """
    total = sum(child.items for child in run.children)
    waiting = collections.deque(run.children)
    failed = 0
    workers = 0  # running worker tasks (see grow)
    busy = 0  # workers running a child now
    stopped = False
    tasks: list[asyncio.Future] = []

    def settings() -> tuple[int, float]:
        update = it.host.map_run_update(run.arn) or {}
        most = update.get("maxConcurrency", limit) or DISTRIBUTED_CONCURRENCY
        tolerated = threshold(
            update.get("toleratedFailureCount", count),
            update.get("toleratedFailurePercentage", percentage),
            total,
        )
        return min(most, DISTRIBUTED_CONCURRENCY), tolerated

    def grow(most: int) -> None:
        nonlocal workers
        while workers < most and workers - busy < len(waiting):
            workers += 1
            tasks.append(asyncio.ensure_future(worker()))

    async def worker() -> None:
        nonlocal failed, workers, busy, stopped
        try:
            while waiting and not stopped:
                child = waiting.popleft()
                busy += 1
                try:
                    succeeded = await _child_execution(it, state, frame, run, child)
                finally:
                    busy -= 1
                if not succeeded:
                    failed += child.items
                most, tolerated = settings()
                if failed > tolerated:
                    stopped = True
                    raise StatesError(E.EXCEED_TOLERATED_FAILURE_THRESHOLD, THRESHOLD_CAUSE)
                if workers > most:
                    return  # fewer at once from now on
                grow(most)
        finally:
            workers -= 1

    try:
        grow(settings()[0])
        while live := [task for task in tasks if not task.done()]:  # (workers add workers)
            await asyncio.wait(live, return_when=asyncio.FIRST_EXCEPTION)
            for task in tasks:
                if task.done():
                    task.result()  # the first failure: the others are cancelled below
    except BaseException:
        stopped = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _child_execution(it, state, frame, run: MapRun, child: ChildRun) -> bool:
    """Run one child execution in its own history; whether it succeeded. A child that ended in
    an earlier run (this is a replay) is taken as it ended."""
    from runtime.core.interpreter import Frame, StateFailed

    host = it.host
    parent = frame.context.get("Execution", {})
    key = f"{run.key}/i{child.index}"
    execution = ChildExecution(
        key,
        child.arn,
        child.name,
        parent.get("Id", ""),
        run.arn,
        run.state_machine_arn,
        state.execution_type == "EXPRESS",
    )
    ended = host.start_child(execution)
    if ended is not None:
        child.status, child.output = ended.status, ended.output
        child.error, child.cause = ended.error, ended.cause
        child.start_date, child.stop_date = ended.start_date, ended.stop_date
        return child.status == "SUCCEEDED"
    role = parent.get("RoleArn")
    variables: dict[str, Any] = {}  # no outer variables: a separate execution
    child_frame = Frame(key, variables, variables, {}, detached=True)
    started = host.emit(
        child_frame, "ExecutionStarted", {**payload_details("input", child.input), "roleArn": role}
    )
    child.status, child.start_date = "RUNNING", from_millis(started[2] // 1_000_000)
    child_frame.context = {
        "Execution": {
            "Id": child.arn,
            "Input": child.input,
            "Name": child.name,
            "RoleArn": role,
            "StartTime": _iso(child.start_date),
            "RedriveCount": 0,
        },
        "StateMachine": {
            "Id": run.state_machine_arn,
            "Name": run.state_machine_arn.rpartition(":")[2],
        },
    }
    try:
        child.output = await it.run_scope(state.processor, child_frame, child.input)
    except (StateFailed, StatesError) as exc:
        error = exc.error if isinstance(exc, StateFailed) else exc
        child.status, child.error, child.cause = "FAILED", error.error or None, error.cause
        details = {}
        if child.error is not None:
            details["error"] = child.error
        if child.cause is not None:
            details["cause"] = child.cause
        host.emit(child_frame, "ExecutionFailed", details)
    except asyncio.CancelledError:
        child.status = "ABORTED"
        host.emit(child_frame, "ExecutionAborted")
        raise
    else:
        child.status = "SUCCEEDED"
        host.emit(child_frame, "ExecutionSucceeded", payload_details("output", child.output))
    finally:
        child.stop_date = host.now()
    return child.status == "SUCCEEDED"


def _child_prefix(base: str) -> str:
    """The children's frame-key prefix: ``base`` with no ``/``, so that the host files every
    event of child ``i`` (``<prefix>/i<i>/...``) under that child alone."""
    return base.replace("%", "%25").replace("/", "%2F")


def _map_run_arn(frame: Frame, state: m.MapState, base: str) -> str:
    machine = _machine_arn(frame)
    execution = frame.context.get("Execution", {}).get("Id", "")
    run_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{execution}#{base}")
    label = state.label or state.name
    return f"{machine.replace(':stateMachine:', ':mapRun:', 1)}/{label}:{run_id}"


def _children_machine_arn(frame: Frame, state: m.MapState) -> str:
    """The children's state machine: ``<parent machine ARN>/<Label>``."""
    return f"{_machine_arn(frame)}/{state.label or state.name}"


def _machine_arn(frame: Frame) -> str:
    machine = frame.context.get("StateMachine", {})
    arn = str(machine.get("Id", ""))
    if ":stateMachine:" not in arn:
        arn = f"arn:aws:states:local:000000000000:stateMachine:{machine.get('Name', 'machine')}"
    return arn


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- shared -------------------------------------------------------------------------------------


def _render(value: Any) -> str:
    return to_json(value)


def _resolve(it, state, frame, dyn, data, states, eid, key):
    return it._resolve(state, frame, dyn, data, states, eid, key)


def _select(it, state, frame, ctx, item, effective, eid):
    from runtime.core.interpreter import _too_deep

    selector = state.item_selector
    if selector is None:
        return item
    try:
        if state.is_jsonata:
            states = {"input": effective, "context": ctx}
            selected = selector(states, frame.scope, it.host.rng(frame), clock=frame.millis)
        else:
            selected = selector(effective, ctx, frame.scope)
    except StatesError as exc:
        raise it._wrap(state, eid, exc, frame)
    except RecursionError:  # an intrinsic's result (States.StringToJson) or its data
        raise _too_deep(state, eid, "iteration's input") from None
    it.check_depth(state, eid, selected, "iteration's input")
    return selected


def _max_concurrency(it, state, frame, data, states, eid) -> int:
    from runtime.core.interpreter import _runtime

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


def tolerance(it, state, frame, data, states, eid) -> tuple[int | None, float | None]:
    from runtime.core.interpreter import _runtime

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


def threshold(count: int | None, percentage: float | None, total: int) -> float:
    """How many failed iterations are tolerated (failing when failures exceed it)."""
    limits: list[float] = []
    if count is not None:
        limits.append(count)
    if percentage is not None:
        limits.append(total * percentage / 100)
    return min(limits) if limits else 0


def _batches(it, state, frame, values, data, states, eid) -> list[tuple[Any, int]]:
    """``(batch input, item count)`` per batch: ``{"Items": [...], "BatchInput": ...}``."""
    batcher = state.item_batcher
    size = _batch_limit(
        it, state, frame, batcher.max_items_per_batch, data, states, eid, "MaxItemsPerBatch"
    )
    max_bytes = _batch_limit(
        it,
        state,
        frame,
        batcher.max_input_bytes_per_batch,
        data,
        states,
        eid,
        "MaxInputBytesPerBatch",
    )
    if max_bytes is not None:
        max_bytes = min(max_bytes, MAX_BATCH_BYTES)
    batch_input = None
    if batcher.batch_input is not None:
        if state.is_jsonata:
            batch_input = it._jsonata(state, eid, batcher.batch_input, states, frame)
        else:
            batch_input = it._template(state, eid, batcher.batch_input, data, frame)
    overhead = len(to_json(_batch([], batch_input)).encode())
    out: list[tuple[Any, int]] = []
    current: list[Any] = []
    current_bytes = overhead
    for value in values:
        value_bytes = len(to_json(value).encode())
        if current and (
            (size is not None and len(current) >= size)
            or (max_bytes is not None and current_bytes + 1 + value_bytes > max_bytes)
        ):
            out.append((_batch(current, batch_input), len(current)))
            current, current_bytes = [], overhead
        current_bytes += value_bytes + (1 if current else 0)
        current.append(value)
    if current:
        out.append((_batch(current, batch_input), len(current)))
    for batch, _ in out:
        it.check_depth(state, eid, batch, "batch of items")
    return out


def _batch_limit(it, state, frame, dyn, data, states, eid, key) -> int | None:
    from runtime.core.interpreter import _runtime

    if dyn is None:
        return None
    value = _resolve(it, state, frame, dyn, data, states, eid, key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        if isinstance(dyn, m.FromPath):
            message = (
                f"The {key}Path field refers to value {_quoted(value)} which is not a valid "
                f"positive integer: {dyn.path}"
            )
        else:
            message = f"The {key} field must be a positive integer: {to_json(value)}"
        raise _runtime(
            state, eid, message, E.QUERY_EVALUATION_ERROR if state.is_jsonata else E.RUNTIME
        )
    return value


def _batch(items: list[Any], batch_input: Any) -> dict[str, Any]:
    value: dict[str, Any] = {"Items": items}
    if batch_input is not None:
        value["BatchInput"] = batch_input
    return value
