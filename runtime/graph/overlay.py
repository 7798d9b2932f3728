"""An execution's history laid over its graph: what each state did, which transitions ran.

Events are the core's (``runtime.core.events.Event``, ``frame`` included) or dicts shaped like
GetExecutionHistory's with an optional ``frame``. A frame names the scope an event ran in: ``""``
is the machine, ``/P#1.0/b1`` the second branch of Parallel ``P``'s first visit (attempt 0),
``/M#2/i3`` item 3 of Map ``M``'s second visit; they nest (``/P#1.0/b0/M#1/i2``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from runtime.core.events import Payload, details_key

# When visits of one state end differently (Map items, loops), the state shows the first of these.
_PRIORITY = ("running", "failed", "timed_out", "aborted", "caught", "retried", "succeeded")
_TERMINAL = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionAborted": "ABORTED",
    "ExecutionTimedOut": "TIMED_OUT",
}
_ATTEMPT_STARTS = ("Scheduled",)
_GROUP_STARTS = frozenset({"MapStateStarted", "ParallelStateStarted"})
_SCOPE = re.compile(r"(\d+)(?:\.(\d+))?/([bi])(\d+)")
_CHILD_STATUS = {"SUCCEEDED": "succeeded", "FAILED": "failed", "RUNNING": "running"}


@dataclass(slots=True)
class _Visit:
    node: str
    name: str
    frame: str
    started: int
    input: str | None
    attempts: int = 0
    failed: bool = False  # the last attempt failed
    timed_out: bool = False
    error: str | None = None
    cause: str | None = None
    output: str | None = None
    ended: int | None = None
    status: str | None = None  # set when the visit ends


@dataclass(slots=True)
class _Items:
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    aborted: int = 0


@dataclass(slots=True)
class _Reading:
    """What the history says, as it is read."""

    status: str = "RUNNING"
    visits: list[_Visit] = field(default_factory=list)
    open: dict[str, _Visit] = field(default_factory=dict)  # frame -> its running visit
    last: dict[str, _Visit] = field(default_factory=dict)  # frame -> its latest visit
    edges: dict[tuple[str, str], None] = field(default_factory=dict)
    items: dict[str, _Items] = field(default_factory=dict)  # Map/Parallel node -> counts
    map_runs: dict[str, str] = field(default_factory=dict)  # Map Run ARN -> Map node
    branch_frames: dict[str, dict[str, None]] = field(default_factory=dict)  # Parallel -> frames


class _Frames:
    """Frame keys to graph ids, by walking the graph's Map and Parallel nodes."""

    def __init__(self, graph: Mapping[str, Any]) -> None:
        self.scopes: dict[str, dict[str, Mapping[str, Any]]] = {}  # graph id -> name -> node
        self.edges: set[tuple[str, str]] = set()
        self._index(graph)
        self._cache: dict[str, tuple[str, str | None]] = {"": ("", None)}

    def _index(self, graph: Mapping[str, Any]) -> None:
        names = self.scopes.setdefault(graph["id"], {})
        self.edges.update((edge["source"], edge["target"]) for edge in graph["edges"])
        for node in graph["nodes"]:
            if node["type"] not in ("Start", "End"):
                names[node["name"]] = node
            for group in node.get("groups") or ():
                self._index(group)

    def resolve(self, frame: str) -> tuple[str, str | None]:
        """``(graph id, id of the Parallel holding it as a branch or None)`` of a frame."""
        found = self._cache.get(frame)
        if found is None:
            found = self._cache[frame] = self._walk(frame)
        return found

    def _walk(self, frame: str) -> tuple[str, str | None]:
        gid, rest, parallel = "", frame, None
        while rest:
            for name in sorted(self.scopes.get(gid, {}), key=len, reverse=True):
                node = self.scopes[gid][name]
                head = f"/{name}#"
                if not node.get("groups") or not rest.startswith(head):
                    continue
                match = _SCOPE.match(rest, len(head))
                if match is None:
                    continue
                groups = node["groups"]
                index = int(match.group(4)) if match.group(3) == "b" else 0
                if index >= len(groups):
                    continue
                gid, rest = groups[index]["id"], rest[match.end() :]
                parallel = node["id"] if node["type"] == "Parallel" else None
                break
            else:
                raise ValueError(f"the history's frame {frame!r} is not a scope of this graph")
        return gid, parallel


def overlay(
    graph: Mapping[str, Any],
    events: Iterable[Any],
    children: Sequence[Any] = (),
) -> dict[str, Any]:
    """The Overlay JSON of ``graph`` coloured by ``events`` (see the module's docstring).

    ``children``: a Distributed Map's child executions (store records or dicts with
    ``status`` and ``mapRunArn``), counted into their Map's items.
    """
    frames = _Frames(graph)
    reading = _Reading()
    for event in events:
        _read(reading, frames, *_normal(event))
    _close(reading, frames)
    _count_children(reading, children)
    _count_branches(reading)
    return {
        "status": reading.status,
        "states": _states(reading),
        "edges": [list(edge) for edge in reading.edges],
        "timeline": [
            {
                "id": v.node,
                "name": v.name,
                "start": v.started,
                "end": v.ended,
                "status": v.status,
                "retries": max(0, v.attempts - 1),
            }
            for v in sorted(reading.visits, key=lambda v: v.started)
        ],
    }


def _normal(event: Any) -> tuple[str, str, dict[str, Any], int]:
    """``(type, frame, details, epoch ms)`` of a core Event or a GetExecutionHistory dict."""
    if isinstance(event, Mapping):
        kind = event["type"]
        details = event.get(details_key(kind)) or {}
        stamp = event.get("timestamp")
        return kind, event.get("frame") or "", details, _millis(stamp)
    return event.type, event.frame, event.details or {}, event.millis


def _millis(stamp: Any) -> int:
    if isinstance(stamp, (int, float)):
        return int(stamp if stamp > 1e11 else stamp * 1000)
    if stamp is None:
        return 0
    from datetime import datetime

    moment = stamp if isinstance(stamp, datetime) else datetime.fromisoformat(str(stamp))
    return int(moment.timestamp() * 1000)


def _text(value: Any) -> str | None:
    """A payload as JSON text (history dicts already hold text; a core Payload renders)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Payload):
        return value.text
    return json.dumps(value)


def _read(reading: _Reading, frames: _Frames, kind: str, frame: str, details: Any, ms: int) -> None:
    if kind in _TERMINAL:
        reading.status = _TERMINAL[kind]
        _end_all(reading, kind, details, ms)
        return
    if kind == "ExecutionRedriven":
        reading.status = "RUNNING"
        return
    if kind.endswith("StateEntered"):
        gid, parallel = frames.resolve(frame)
        found = frames.scopes[gid].get(details["name"])
        if found is None:
            raise ValueError(f"the history's state {details['name']!r} is not in this graph")
        node = found["id"]
        previous = reading.last.get(frame)
        source = previous.node if previous is not None else f"{gid}#start"
        reading.edges[(source, node)] = None
        visit = _Visit(node, details["name"], frame, ms, _text(details.get("input")))
        reading.visits.append(visit)
        reading.open[frame] = reading.last[frame] = visit
        if parallel is not None:
            reading.branch_frames.setdefault(parallel, {})[frame] = None
        return
    visit = reading.open.get(frame)
    if kind.startswith("MapIteration"):
        _count_iteration(reading, visit, kind, frame, details)
        return
    if kind == "MapRunStarted" and visit is not None:
        reading.map_runs[details.get("mapRunArn", "")] = visit.node
        return
    if visit is None:
        return
    if kind.endswith("StateExited"):
        visit.output, visit.ended = _text(details.get("output")), ms
        retried = "retried" if visit.attempts > 1 else "succeeded"
        visit.status = "caught" if visit.failed else retried
        del reading.open[frame]
    elif kind.endswith("StateAborted"):
        visit.status, visit.ended = "aborted", ms
        del reading.open[frame]
    elif kind.endswith(_ATTEMPT_STARTS) or kind in _GROUP_STARTS:
        visit.attempts += 1
        visit.failed = False
    elif kind == "ParallelStateFailed":
        visit.failed = True
        _fail_nested(reading, f"{frame}/{visit.name}#", "")
    elif kind.endswith(("Failed", "TimedOut")) and not kind.startswith("MapRun"):
        visit.failed = True
        visit.timed_out = kind.endswith("TimedOut")
        if "error" in details or "cause" in details or visit.error is None:
            visit.error = details.get("error", visit.error)
            visit.cause = details.get("cause", visit.cause)
    elif kind.endswith("Succeeded"):
        visit.failed = False


def _count_iteration(
    reading: _Reading, visit: _Visit | None, kind: str, frame: str, details: Mapping[str, Any]
) -> None:
    if visit is None:
        return
    items = reading.items.setdefault(visit.node, _Items())
    if kind == "MapIterationStarted":
        items.total += 1
    elif kind == "MapIterationSucceeded":
        items.succeeded += 1
    elif kind == "MapIterationFailed":
        items.failed += 1
        _fail_nested(reading, f"{frame}/{details.get('name')}#", f"/i{details.get('index')}")
    elif kind == "MapIterationAborted":
        items.aborted += 1


def _fail_nested(reading: _Reading, prefix: str, suffix: str) -> None:
    """A Map iteration or Parallel branch failed: its running visit that has not said why
    failed with it (a state failing with States.Runtime records no failure event of its own)."""
    inside = [
        v
        for f, v in reading.open.items()
        if f.startswith(prefix) and (not suffix or f.endswith(suffix))
    ]
    if inside and not any(v.failed for v in inside):
        for v in inside if suffix else inside[:1]:
            v.failed = True


def _end_all(reading: _Reading, kind: str, details: Mapping[str, Any], ms: int) -> None:
    """The execution ended: every visit still running ends with it."""
    error, cause = details.get("error"), details.get("cause")
    for frame, visit in list(reading.open.items()):
        if kind == "ExecutionTimedOut":
            visit.status = "timed_out"
        elif kind == "ExecutionFailed" and (visit.failed or frame == ""):
            visit.status = "timed_out" if visit.timed_out else "failed"
        elif kind == "ExecutionSucceeded":
            visit.status = "succeeded"
        else:
            visit.status = "aborted"
        if visit.status in ("failed", "timed_out") and visit.error is None:
            visit.error, visit.cause = error, cause
        visit.ended = ms
        del reading.open[frame]


def _close(reading: _Reading, frames: _Frames) -> None:
    """Visits still open are running; a scope's last state that went on to its End took that
    edge."""
    for visit in reading.open.values():
        visit.status = "running"
    for frame, visit in reading.last.items():
        end = f"{frames.resolve(frame)[0]}#end"
        if visit.status in ("succeeded", "retried") and (visit.node, end) in frames.edges:
            reading.edges[(visit.node, end)] = None


def _count_children(reading: _Reading, children: Sequence[Any]) -> None:
    """Distributed Map children (not Map Runs) counted into their Map's items."""
    for child in children:
        arn, run, status = _child_fields(child)
        node = reading.map_runs.get(run or "")
        if node is None or arn == run:
            continue
        items = reading.items.setdefault(node, _Items())
        items.total += 1
        key = _CHILD_STATUS.get(status, "aborted")
        if key != "running":
            setattr(items, key, getattr(items, key) + 1)


def _child_fields(child: Any) -> tuple[str | None, str | None, str]:
    if isinstance(child, Mapping):
        return (
            child.get("executionArn") or child.get("execution_arn"),
            child.get("mapRunArn") or child.get("map_run_arn"),
            str(child.get("status", "")),
        )
    return child.execution_arn, child.map_run_arn, str(child.status)


def _count_branches(reading: _Reading) -> None:
    """Parallel branches counted by how their frames ended."""
    for node, frames in reading.branch_frames.items():
        items = reading.items.setdefault(node, _Items())
        for frame in frames:
            items.total += 1
            statuses = {v.status for v in reading.visits if v.frame == frame}
            if None in statuses or "running" in statuses:
                continue
            if statuses & {"failed", "timed_out"}:
                items.failed += 1
            elif "aborted" in statuses:
                items.aborted += 1
            else:
                items.succeeded += 1


def _states(reading: _Reading) -> dict[str, dict[str, Any]]:
    by_node: dict[str, list[_Visit]] = {}
    for visit in reading.visits:
        by_node.setdefault(visit.node, []).append(visit)
    running = reading.status == "RUNNING"
    out: dict[str, dict[str, Any]] = {}
    for node, visits in by_node.items():
        latest = {v.frame: v for v in visits}.values()  # a frame's last visit of the state
        status = min((v.status or "running" for v in latest), key=_PRIORITY.index)
        errored = [v for v in visits if v.error is not None or v.cause is not None]
        last = visits[-1]
        ends = [v.ended for v in visits]
        state: dict[str, Any] = {
            "status": status,
            "entered": len(visits),
            "retries": sum(max(0, v.attempts - 1) for v in visits),
            "input": last.input,
            "output": last.output,
            "error": errored[-1].error if errored else None,
            "cause": errored[-1].cause if errored else None,
            "started": visits[0].started,
            "ended": None if None in ends else max(e for e in ends if e is not None),
        }
        items = reading.items.get(node)
        if items is not None:
            done = items.succeeded + items.failed + items.aborted
            rest = max(0, items.total - done)
            state["items"] = {
                "total": items.total,
                "succeeded": items.succeeded,
                "failed": items.failed,
                "running": rest if running else 0,
                "aborted": items.aborted + (0 if running else rest),
            }
        out[node] = state
    return out
