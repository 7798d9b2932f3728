"""EventBridge Scheduler's API: schedules, schedule groups and their tags.

Each operation takes the request's members (PascalCase, as :mod:`.rest` gathers them) and
returns the response's, raising :class:`ApiError` with AWS's error names and statuses
(``ValidationException`` 400, ``ResourceNotFoundException`` 404, ``ConflictException`` 409).
Schedules are built and checked by :mod:`runtime.schedules.requests`; they live in the service's
store, where the scheduler (:mod:`runtime.schedules.firing`) finds them. Schedule groups are the
taggable resource; the tags ``asl:overlap-policy`` and ``asl:catchup-window`` set the policies
of the group's schedules.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from runtime.schedules.firing import CATCHUP_TAG, OVERLAP_TAG
from runtime.schedules.model import error_status
from runtime.schedules.requests import (
    OVERLAP_POLICIES,
    ScheduleRequestError,
    default_group,
    group_arn,
    group_view,
    new_schedule,
    schedule_arn,
    schedule_summary,
    schedule_view,
    updated_schedule,
)
from runtime.serve.errors import ApiError
from runtime.serve.params import page
from runtime.stores.schedules import DEFAULT_GROUP, ScheduleGroupRecord

_TOKENS = 10_000  # ClientTokens remembered per server
Operation = Callable[[Any, dict[str, Any]], dict[str, Any]]


def api_error(code: str, message: str) -> ApiError:
    return ApiError(code, message, error_status(code))


def _refused(exc: ScheduleRequestError) -> ApiError:
    return api_error(exc.code, exc.message)


def _schedule_missing(name: str) -> ApiError:
    return api_error("ResourceNotFoundException", f"Schedule {name} does not exist.")


def _group_missing(name: str) -> ApiError:
    return api_error("ResourceNotFoundException", f"Schedule group {name} does not exist.")


# -- idempotency ---------------------------------------------------------------------------------


class _Tokens:
    """The answers to requests made with a ClientToken (the newest ``_TOKENS``)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()  # also orders this server's schedule writes
        self.seen: OrderedDict[tuple[str, str], tuple[str, dict[str, Any]]] = OrderedDict()


_STATE: weakref.WeakKeyDictionary[Any, _Tokens] = weakref.WeakKeyDictionary()
_STATE_LOCK = threading.Lock()


def _tokens(service: Any) -> _Tokens:
    with _STATE_LOCK:
        found = _STATE.get(service)
        if found is None:
            found = _STATE[service] = _Tokens()
        return found


def idempotent(operation: str, fn: Operation) -> Operation:
    """``fn`` answering a repeated ClientToken with its first answer (the same request) or
    ``ConflictException`` (another request)."""

    def run(service: Any, params: dict[str, Any]) -> dict[str, Any]:
        token = params.get("ClientToken")
        state = _tokens(service)
        with state.lock:
            if not token:
                return fn(service, params)
            request = json.dumps(
                {k: v for k, v in params.items() if k != "ClientToken"}, sort_keys=True, default=str
            )
            key = (operation, str(token))
            seen = state.seen.get(key)
            if seen is not None:
                if seen[0] != request:
                    raise api_error(
                        "ConflictException",
                        f"ClientToken {token} was already used with different parameters.",
                    )
                return dict(seen[1])
            answer = fn(service, params)
            state.seen[key] = (request, dict(answer))
            while len(state.seen) > _TOKENS:
                state.seen.popitem(last=False)
            return answer

    return run


# -- schedules -----------------------------------------------------------------------------------


def _group_of(service: Any, name: str | None) -> ScheduleGroupRecord:
    name = name or DEFAULT_GROUP
    if name == DEFAULT_GROUP:
        return default_group(service.store, now=time.time())
    found = service.store.get_schedule_group(name)
    if found is None:
        raise _group_missing(name)
    return found


def create_schedule(service: Any, params: dict[str, Any]) -> dict[str, Any]:
    _group_of(service, params.get("GroupName"))
    try:
        record = new_schedule(params, now=time.time())
    except ScheduleRequestError as exc:
        raise _refused(exc)
    _, added = service.store.add_schedule(record)
    if not added:
        raise api_error("ConflictException", f"Schedule {record.name} already exists.")
    return {"ScheduleArn": record.arn}


def _schedule(service: Any, params: dict[str, Any]) -> Any:
    name = params["Name"]
    record = service.store.get_schedule(schedule_arn(params.get("GroupName") or "default", name))
    if record is None:
        raise _schedule_missing(name)
    return record


def get_schedule(service: Any, params: dict[str, Any]) -> dict[str, Any]:
    return schedule_view(_schedule(service, params))


def update_schedule(service: Any, params: dict[str, Any]) -> dict[str, Any]:
    existing = _schedule(service, params)
    try:
        record = updated_schedule(existing, params, now=time.time())
    except ScheduleRequestError as exc:
        raise _refused(exc)
    service.store.put_schedule(record)
    return {"ScheduleArn": record.arn}


def delete_schedule(service: Any, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Name"]
    if not service.store.delete_schedule(schedule_arn(params.get("GroupName") or "default", name)):
        raise _schedule_missing(name)
    return {}


def list_schedules(service: Any, params: dict[str, Any]) -> dict[str, Any]:
    group, prefix, state = params.get("GroupName"), params.get("NamePrefix"), params.get("State")
    if group:
        _group_of(service, group)
    records = [
        r
        for r in service.store.list_schedules()
        if (not group or r.group_name == group)
        and (not prefix or r.name.startswith(prefix))
        and (not state or r.state == state)
    ]
    scope = f"ListSchedules|{group}|{prefix}|{state}"
    chunk, token = _page(records, params, scope)
    out: dict[str, Any] = {"Schedules": [schedule_summary(r) for r in chunk]}
    if token:
        out["NextToken"] = token
    return out


def _page(records: list[Any], params: dict[str, Any], scope: str) -> tuple[list[Any], str | None]:
    try:
        return page(
            records,
            lambda r: r.arn,
            params.get("MaxResults") or 100,
            params.get("NextToken"),
            scope,
        )
    except ApiError as exc:
        raise api_error("ValidationException", f"Invalid NextToken: {exc.message}")


# -- schedule groups -----------------------------------------------------------------------------


def create_schedule_group(service: Any, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Name"]
    tags = _tags(params.get("Tags") or [])
    now = time.time()
    default_group(service.store, now=now)
    record = ScheduleGroupRecord(group_arn(name), name, now, now, tags=tags)
    _, added = service.store.add_schedule_group(record)
    if not added:
        raise api_error("ConflictException", f"Schedule group {name} already exists.")
    return {"ScheduleGroupArn": record.arn}


def get_schedule_group(service: Any, params: dict[str, Any]) -> dict[str, Any]:
    return group_view(_group_of(service, params["Name"]))


def delete_schedule_group(service: Any, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Name"]
    if name == DEFAULT_GROUP:
        raise api_error("ValidationException", "The default schedule group cannot be deleted.")
    _group_of(service, name)
    for record in service.store.list_schedules():
        if record.group_name == name:
            service.store.delete_schedule(record.arn)
    if not service.store.delete_schedule_group(name):
        raise _group_missing(name)
    return {}


def list_schedule_groups(service: Any, params: dict[str, Any]) -> dict[str, Any]:
    default_group(service.store, now=time.time())
    prefix = params.get("NamePrefix")
    groups = [
        g for g in service.store.list_schedule_groups() if not prefix or g.name.startswith(prefix)
    ]
    chunk, token = _page(groups, params, f"ListScheduleGroups|{prefix}")
    out: dict[str, Any] = {"ScheduleGroups": [group_view(g) for g in chunk]}
    if token:
        out["NextToken"] = token
    return out


# -- tags (on schedule groups) -------------------------------------------------------------------


def _tags(items: list[dict[str, str]]) -> dict[str, str]:
    tags = {item["Key"]: item["Value"] for item in items}
    check_policy_tags(tags)
    return tags


def check_policy_tags(tags: dict[str, str]) -> None:
    """``ValidationException`` for an ``asl:`` policy tag with a value the scheduler cannot use."""
    overlap = tags.get(OVERLAP_TAG)
    if overlap is not None and overlap not in OVERLAP_POLICIES:
        raise api_error(
            "ValidationException",
            f"Tag {OVERLAP_TAG} must be one of {', '.join(OVERLAP_POLICIES)}, not '{overlap}'.",
        )
    catchup = tags.get(CATCHUP_TAG)
    if catchup is not None:
        try:
            seconds = float(catchup)
        except ValueError:
            seconds = -1.0
        if not seconds >= 0:
            raise api_error(
                "ValidationException",
                f"Tag {CATCHUP_TAG} must be a number of seconds (0 or more), not '{catchup}'.",
            )


def _tagged(service: Any, params: dict[str, Any]) -> ScheduleGroupRecord:
    arn = params["ResourceArn"]
    name = arn.rsplit("schedule-group/", 1)[-1]
    if arn != group_arn(name):
        raise api_error("ResourceNotFoundException", f"Resource {arn} does not exist.")
    return _group_of(service, name)


def tag_resource(service: Any, params: dict[str, Any]) -> dict[str, Any]:
    record = _tagged(service, params)
    tags = {**record.tags, **_tags(params.get("Tags") or [])}
    if len(tags) > 200:
        raise api_error("ValidationException", "A schedule group can have at most 200 tags.")
    record.tags = tags
    record.last_modification_date = time.time()
    service.store.put_schedule_group(record)
    return {}


def untag_resource(service: Any, params: dict[str, Any]) -> dict[str, Any]:
    record = _tagged(service, params)
    for key in params.get("TagKeys") or []:
        record.tags.pop(key, None)
    record.last_modification_date = time.time()
    service.store.put_schedule_group(record)
    return {}


def list_tags_for_resource(service: Any, params: dict[str, Any]) -> dict[str, Any]:
    record = _tagged(service, params)
    return {"Tags": [{"Key": k, "Value": v} for k, v in record.tags.items()]}


OPERATIONS: dict[str, Operation] = {
    "CreateSchedule": idempotent("CreateSchedule", create_schedule),
    "GetSchedule": get_schedule,
    "UpdateSchedule": idempotent("UpdateSchedule", update_schedule),
    "DeleteSchedule": idempotent("DeleteSchedule", delete_schedule),
    "ListSchedules": list_schedules,
    "CreateScheduleGroup": idempotent("CreateScheduleGroup", create_schedule_group),
    "GetScheduleGroup": get_schedule_group,
    "DeleteScheduleGroup": idempotent("DeleteScheduleGroup", delete_schedule_group),
    "ListScheduleGroups": list_schedule_groups,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}

__all__ = ["OPERATIONS", "check_policy_tags"]
