"""Map Run APIs: DescribeMapRun, ListMapRuns, UpdateMapRun.

A Map Run is read from what the store holds: its parent's history (``MapRunStarted`` with its
ARN, then ``MapRunSucceeded``/``MapRunFailed`` in the same frame), its child executions (linked
to it) and the Distributed Map state of the parent's definition (MaxConcurrency, tolerated
failures). UpdateMapRun's values are stored with the Map Run (:mod:`runtime.drivers.map_runs`)
and reported by DescribeMapRun from then on; a running Map Run applies them from the next child
execution that ends (see docs/distributed-map.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from runtime.drivers.map_runs import read_update, save_update
from runtime.serve import arns
from runtime.serve.errors import ApiError, execution_not_found, validation
from runtime.serve.params import epoch, max_results, optional, page, required
from runtime.stores.base import MAP_RUN, RUNNING, ExecutionNotFound, ExecutionRecord

if TYPE_CHECKING:
    from runtime.serve.service import Service

_ENDS = {"MapRunSucceeded": "SUCCEEDED", "MapRunFailed": "FAILED", "MapRunAborted": "ABORTED"}
_COUNTED = {
    "RUNNING": "running",
    "SUCCEEDED": "succeeded",
    "FAILED": "failed",
    "TIMED_OUT": "timedOut",
    "ABORTED": "aborted",
}


def describe_map_run(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = _map_run_arn(params)
    parent, children = _map_run(service, arn)
    started, ended = _bounds(service, parent, arn)
    status = ended[0] if ended else RUNNING
    if not ended and parent.status != RUNNING:  # the parent ended with it still open
        status = "ABORTED"
    counts = _counts(children)
    state = _map_state(parent.definition, arn)
    writer = bool(((state or {}).get("ResultWriter") or {}).get("Resource"))
    counts["resultsWritten"] = counts["total"] if writer and status != RUNNING else 0
    out: dict[str, Any] = {
        "mapRunArn": arn,
        "executionArn": parent.execution_arn,
        "status": status,
        "startDate": epoch(started),
        **_settings(service, arn, state),
        "itemCounts": dict(counts),
        "executionCounts": dict(counts),
        "redriveCount": parent.redrive_count,
    }
    if status != RUNNING:
        out["stopDate"] = epoch(ended[1] if ended else parent.stop_date)
    if parent.redrive_date is not None:
        out["redriveDate"] = epoch(parent.redrive_date)
    return out


def list_map_runs(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = arns.parse(required(params, "executionArn"), "execution").text
    try:
        parent = service.store.get(arn)
    except ExecutionNotFound:
        raise execution_not_found(arn)
    if parent.execution_arn != arn:
        raise execution_not_found(arn)
    events = service.store_for(arn).events(arn)
    runs = []
    for event, end in _runs(events):
        run_arn = (event.details or {})["mapRunArn"]
        label = run_arn.rpartition(":")[0].rpartition("/")[2]
        machine = run_arn.rpartition("/")[0].replace(":mapRun:", ":stateMachine:", 1)
        item = {
            "executionArn": arn,
            "mapRunArn": run_arn,
            "stateMachineArn": f"{machine}/{label}",
            "startDate": epoch(event.timestamp),
        }
        if end is not None:
            item["stopDate"] = epoch(end.timestamp)
        runs.append(item)
    items, token = page(
        runs,
        lambda r: r["mapRunArn"],
        max_results(params),
        optional(params, "nextToken"),
        scope=f"ListMapRuns {arn}",
    )
    out: dict[str, Any] = {"mapRuns": items}
    if token:
        out["nextToken"] = token
    return out


def update_map_run(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = _map_run_arn(params)
    values = {
        "maxConcurrency": _number(params, "maxConcurrency", int, 0, None),
        "toleratedFailurePercentage": _number(params, "toleratedFailurePercentage", float, 0, 100),
        "toleratedFailureCount": _number(params, "toleratedFailureCount", int, 0, None),
    }
    given = {k: v for k, v in values.items() if v is not None}
    if not given:
        raise validation(
            "At least one of maxConcurrency, toleratedFailurePercentage or "
            "toleratedFailureCount must be given"
        )
    _map_run(service, arn)  # ResourceNotFound for an unknown Map Run
    save_update(service.store, arn, given)  # the running Map Run reads it (drivers.map_runs)
    return {}


# -- helpers -------------------------------------------------------------------------------------


def _map_run_arn(params: dict[str, Any]) -> str:
    return arns.parse(required(params, "mapRunArn"), "mapRun").text


def _not_found(arn: str) -> ApiError:
    return ApiError("ResourceNotFound", f"Map Run Does Not Exist: '{arn}'")


def _map_run(service: Service, arn: str) -> tuple[ExecutionRecord, list[ExecutionRecord]]:
    """The Map Run's parent execution and its child executions; ResourceNotFound if unknown."""
    store = service.store
    children = store.list(map_run_arn=arn)
    parent_arn = children[0].parent_arn if children else None
    if parent_arn is None:
        try:
            own = store.get(arn)  # a Map Run that made S3 calls has a record of its own
        except ExecutionNotFound:
            raise _not_found(arn)
        if own.type != MAP_RUN or own.execution_arn != arn:
            raise _not_found(arn)
        parent_arn = own.parent_arn
    try:
        return store.get(parent_arn or ""), children
    except ExecutionNotFound:
        raise _not_found(arn)


def _runs(events: list[Any]) -> Iterator[tuple[Any, Any]]:
    """Each ``MapRunStarted`` event and the event that ended that Map Run (None if none did)."""
    for index, event in enumerate(events):
        if event.type != "MapRunStarted":
            continue
        end = next(
            (e for e in events[index + 1 :] if e.type in _ENDS and e.frame == event.frame), None
        )
        yield event, end


def _bounds(service: Service, parent: ExecutionRecord, arn: str) -> tuple[Any, Any]:
    """(start date, (status, stop date) or None) from the parent's history."""
    events = service.store_for(parent.execution_arn).events(parent.execution_arn)
    for event, end in _runs(events):
        if (event.details or {}).get("mapRunArn") == arn:
            return event.timestamp, None if end is None else (_ENDS[end.type], end.timestamp)
    raise _not_found(arn)


def _counts(children: list[ExecutionRecord]) -> dict[str, int]:
    counts = dict.fromkeys(("pending", *_COUNTED.values()), 0)
    for child in children:
        counts[_COUNTED.get(child.status, "running")] += 1
    counts["total"] = len(children)
    return counts


def _map_state(definition: str, arn: str) -> dict[str, Any] | None:
    """The Distributed Map state the Map Run ran (by its Label, else its name)."""
    label = arn.rpartition(":")[0].rpartition("/")[2]
    try:
        states = [json.loads(definition)]
    except ValueError:
        return None
    while states:
        machine = states.pop()
        for name, state in (machine.get("States") or {}).items():
            if not isinstance(state, dict):
                continue
            processor = state.get("ItemProcessor") or state.get("Iterator")
            if isinstance(processor, dict):
                mode = (processor.get("ProcessorConfig") or {}).get("Mode")
                if mode == "DISTRIBUTED" and state.get("Label", name) == label:
                    return state
                states.append(processor)
            for branch in state.get("Branches") or ():
                if isinstance(branch, dict):
                    states.append(branch)
    return None


def _settings(service: Service, arn: str, state: dict[str, Any] | None) -> dict[str, Any]:
    """The run's MaxConcurrency and tolerated failures: the definition's, then UpdateMapRun's.
    Values read from the input at run time (…Path, JSONata) count as 0 here."""
    state = state or {}

    def literal(key: str, kind: type) -> Any:
        value = state.get(key)
        return kind(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0

    out = {
        "maxConcurrency": literal("MaxConcurrency", int),
        "toleratedFailurePercentage": literal("ToleratedFailurePercentage", float),
        "toleratedFailureCount": literal("ToleratedFailureCount", int),
    }
    out.update(_updates(service, arn))
    return out


def _updates(service: Service, arn: str) -> dict[str, Any]:
    return read_update(service.store, arn)


def _number(params: dict[str, Any], key: str, kind: type, low: float, high: float | None) -> Any:
    value = params.get(key)
    if value is None:
        return None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or (kind is int and value != int(value)):
        raise validation(f"{key} must be a{'n integer' if kind is int else ' number'}")
    if value < low or (high is not None and value > high):
        bound = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise validation(
            f"1 validation error detected: Value '{value}' at '{key}' failed to "
            f"satisfy constraint: Member must be {bound}"
        )
    return kind(value)


ACTIONS = {
    "DescribeMapRun": describe_map_run,
    "ListMapRuns": list_map_runs,
    "UpdateMapRun": update_map_run,
}
