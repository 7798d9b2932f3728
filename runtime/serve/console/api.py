"""The console's own read actions (``X-Amz-Target: AslConsole.<Op>``) and the rule that keeps it
read-only unless the operator started ``asl serve --console-actions``.

They go through the same HTTP front as the Step Functions actions (Host check, SigV4 when the
server has credentials, JSON 1.0 bodies and AWS-shaped errors) and only read: executions through
``store.page``, graphs through :mod:`runtime.graph`, pending tasks through ``store.list_tasks``,
the fleet through Celery's inspect API.
"""

from __future__ import annotations

from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib import metadata
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

from runtime.serve import arns
from runtime.serve.errors import ApiError, invalid_token, validation
from runtime.serve.executions import summary
from runtime.serve.params import choice, max_results, optional, required
from runtime.stores.base import (
    MAP_RUN,
    RUNNING,
    TERMINAL_STATUSES,
    ExecutionRecord,
    StoreError,
    page_cursor,
    page_token,
)

if TYPE_CHECKING:
    from runtime.serve.service import Service

PREFIX = "AslConsole"
HEADER = "x-asl-console"  # the console's own calls carry it ("1")
FLAG = "--console-actions"
INSPECT_TIMEOUT = 0.5  # seconds Celery's inspect waits for workers' replies
_STATUSES = (RUNNING, *TERMINAL_STATUSES)
_READS = frozenset({"GetExecutionHistory", "ValidateStateMachineDefinition"})
_GRAPHS = 64  # graphs kept, by definition


# -- the read-only rule ------------------------------------------------------------------------


def is_read(action: str) -> bool:
    """Whether a Step Functions action (or ``AslConsole.*`` one) only reads."""
    return action.startswith((f"{PREFIX}.", "Describe", "List")) or action in _READS


def refuse_console_write(action: str, headers: dict[str, str], enabled: bool) -> None:
    """AccessDeniedException for a console request (``X-Asl-Console: 1``) that would change
    something while console actions are off; boto3 and other clients are never refused here."""
    if enabled or headers.get(HEADER, "").strip() != "1" or is_read(action):
        return
    raise ApiError(
        "AccessDeniedException",
        f"The console is read-only: {action} is refused. To allow stopping, redriving and "
        f"starting executions and answering tasks from the console, start asl serve with {FLAG}.",
        403,
    )


# -- the actions ---------------------------------------------------------------------------------


def get_console_settings(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "actions": service.console_actions,
        "fleet": service.fleet is not None,
        "schedules": find_spec("botocore") is not None,  # the Scheduler API needs its model
        "version": _version(),
    }


def list_recent_executions(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    """Executions of every state machine (Standard and Express), newest first, a page at a
    time; Distributed Map children are left out (DescribeExecutionGraph counts them)."""
    status = choice(params, "statusFilter", _STATUSES)
    machine = optional(params, "stateMachineName", str)
    since = optional(params, "since", (int, float))
    if isinstance(since, bool):
        raise validation("since must be a number of seconds since the epoch")
    size = max_results(params)
    token = optional(params, "nextToken", str)
    if token is not None:
        try:
            page_cursor(token)
        except StoreError:
            raise invalid_token(token)
    try:
        start = None if since is None else datetime.fromtimestamp(since, UTC)
    except (OverflowError, ValueError, OSError):
        raise validation(f"since must be a date in seconds since the epoch, not {since}")
    found: list[ExecutionRecord] = []
    more = False
    for store in (service.store, service.express):
        records, after = store.page(
            status=status, machine_name=machine, since=start, limit=size, token=token
        )
        found += records
        more = more or after is not None
    found.sort(key=lambda r: (r.start_date, r.execution_arn), reverse=True)
    more = more or len(found) > size
    found = found[:size]
    out: dict[str, Any] = {"executions": [_row(r) for r in found]}
    if more and found:
        out["nextToken"] = page_token(found[-1])
    return out


def describe_execution_graph(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    """The execution's machine as Graph JSON, its overlay (what each state did) and its
    Distributed Map runs."""
    from runtime.graph.children import rebased
    from runtime.graph.overlay import overlay

    arn = arns.parse(required(params, "executionArn"), "execution", "express").text
    record = service.execution(arn)
    store = service.store_for(arn)
    events = store.events(arn)
    children = (
        [c for c in store.children(arn) if c.type != MAP_RUN] if store is service.store else []
    )
    definition = _definition(service, record)
    if not record.definition:  # a Distributed Map child: its frames start inside its parent
        events = rebased(events)
    graph = _graph(service, definition, record.type, record.filename)
    drawn = overlay(graph, events, children=children)
    if not events:  # an Express execution keeps no history: its record says how it stands
        drawn["status"] = record.status
    return {"graph": graph, "overlay": drawn, "mapRuns": _map_runs(service, graph, events)}


def _definition(service: Service, record: ExecutionRecord) -> str:
    """What an execution runs: its definition, or for a Distributed Map child (whose record
    keeps none) its parent's Map state's item processor."""
    if record.definition or not record.parent_arn:
        return record.definition
    parent = service.execution(record.parent_arn)
    from runtime.graph.children import child_label, item_processor

    label = child_label(record.machine_name, parent.machine_name)
    found = item_processor(_definition(service, parent), label)
    if found is None:
        raise ApiError("InvalidDefinition", f"no Distributed Map labelled {label!r} in its parent")
    return found


def describe_state_machine_graph(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = required(params, "stateMachineArn")
    record = service.machine(arn)
    if record.kind == "alias" and record.routing:  # an alias: its first version's definition
        record = service.machine(str(record.routing[0]["stateMachineVersionArn"]))
    return {"graph": _graph(service, record.definition, record.type, record.name)}


def list_pending_tasks(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    """Open callback, activity and nested tasks, oldest first (tokens only with actions on:
    a token is what SendTaskSuccess needs)."""
    size = max_results(params, default=1000)
    tasks = service.store.list_tasks(open_only=True)
    rows = []
    for task in tasks[:size]:
        row = {
            "executionArn": task.execution_arn,
            "stateName": task.state_name,
            "kind": task.kind,
            "resource": task.resource,
            "activity": task.activity,
            "status": task.status,
            "worker": task.worker,
            "created": task.created,
            "deadline": task.deadline,
        }
        if service.console_actions:
            row["taskToken"] = task.token
        rows.append(row)
    return {"tasks": rows, "total": len(tasks)}


def list_fleet(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    """The fleet's workers and queues from Celery's inspect API (workers that do not answer
    within half a second are not listed); ``fleet: false`` when executions run in this
    server."""
    app = service.fleet
    if app is None:
        return {"fleet": False, "workers": [], "queues": []}
    inspect = app.control.inspect(timeout=INSPECT_TIMEOUT)
    calls = {"active": inspect.active, "stats": inspect.stats, "queues": inspect.active_queues}
    with ThreadPoolExecutor(len(calls)) as pool:  # the three waits overlap
        futures = {key: pool.submit(_inspect, call) for key, call in calls.items()}
        replies = {key: future.result() for key, future in futures.items()}
    names = sorted(set().union(*(r.keys() for r in replies.values())))
    workers, queues = [], {}
    for name in names:
        stats = replies["stats"].get(name) or {}
        listening = [q.get("name") for q in replies["queues"].get(name) or () if q.get("name")]
        for queue in listening:
            queues[queue] = queues.get(queue, 0) + 1
        workers.append(
            {
                "name": name,
                "active": len(replies["active"].get(name) or ()),
                "processed": sum((stats.get("total") or {}).values()),
                "concurrency": (stats.get("pool") or {}).get("max-concurrency"),
                "pid": stats.get("pid"),
                "uptime": stats.get("uptime"),
                "queues": listening,
            }
        )
    listed = [{"name": q, "workers": n} for q, n in sorted(queues.items())]
    return {"fleet": True, "workers": workers, "queues": listed}


# -- helpers -------------------------------------------------------------------------------------


def _row(record: ExecutionRecord) -> dict[str, Any]:
    out = summary(record)
    out["stateMachineName"] = record.machine_name
    out["type"] = record.type
    return out


_graphs: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()


def _graph(service: Service, definition: str, kind: str, name: str) -> dict[str, Any]:
    """The Graph JSON of a definition (kept for the last few: the console polls)."""
    from runtime.graph import build_graph

    key = (kind, definition)
    with service.lock:
        found = _graphs.get(key)
        if found is not None:
            _graphs.move_to_end(key)
            return found
    machine = service.compile(definition, kind, name)
    graph = service.asl(build_graph, machine)  # on the thread that compiled it
    with service.lock:
        _graphs[key] = graph
        while len(_graphs) > _GRAPHS:
            _graphs.popitem(last=False)
    return graph


def _map_runs(service: Service, graph: dict[str, Any], events: list[Any]) -> list[dict[str, Any]]:
    """Each Map Run the execution started: its ARN, the Map state's node id, status and
    counts (as DescribeMapRun gives them)."""
    from runtime.serve.map_runs import describe_map_run

    by_id = {e.id: e for e in events}
    ids = _node_ids(graph)
    out = []
    for event in events:
        if event.type != "MapRunStarted":
            continue
        arn = str((event.details or {}).get("mapRunArn") or "")
        try:
            described = describe_map_run(service, {"mapRunArn": arn})
        except ApiError:
            continue
        out.append(
            {
                "mapRunArn": arn,
                "stateId": ids.get(_entered(by_id, event) or ""),
                "status": described["status"],
                "counts": described["executionCounts"],
            }
        )
    return out


def _entered(by_id: dict[int, Any], event: Any) -> str | None:
    """The name of the state whose entry led to ``event`` (following previous event ids)."""
    seen = 0
    while event is not None and seen < 1000:
        if event.type.endswith("StateEntered"):
            return str((event.details or {}).get("name") or "")
        event, seen = by_id.get(event.previous_event_id), seen + 1
    return None


def _node_ids(graph: dict[str, Any]) -> dict[str, str]:
    """State name -> node id over the whole nested graph (names are unique in a machine)."""
    out: dict[str, str] = {}
    stack = [graph]
    while stack:
        scope = stack.pop()
        for node in scope.get("nodes", ()):
            if node.get("type") not in ("Start", "End"):
                out.setdefault(node["name"], node["id"])
            stack.extend(node.get("groups") or ())
    return out


def _inspect(call: Any) -> dict[str, Any]:
    try:
        return call() or {}
    except Exception:  # a broker that cannot be reached: no workers to list
        return {}


def _version() -> str:
    try:
        return metadata.version("asl-engine")
    except metadata.PackageNotFoundError:
        return "unknown"


ACTIONS = {
    f"{PREFIX}.GetConsoleSettings": get_console_settings,
    f"{PREFIX}.ListRecentExecutions": list_recent_executions,
    f"{PREFIX}.DescribeExecutionGraph": describe_execution_graph,
    f"{PREFIX}.DescribeStateMachineGraph": describe_state_machine_graph,
    f"{PREFIX}.ListPendingTasks": list_pending_tasks,
    f"{PREFIX}.ListFleet": list_fleet,
}

__all__ = ["ACTIONS", "FLAG", "HEADER", "PREFIX", "is_read", "refuse_console_write"]
