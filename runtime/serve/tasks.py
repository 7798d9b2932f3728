"""Activity and task-token actions, answered by the callback hub over the server's store:
Create/Describe/List/DeleteActivity, GetActivityTask (long poll), SendTaskSuccess,
SendTaskFailure and SendTaskHeartbeat."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runtime.serve import arns
from runtime.serve.errors import ApiError
from runtime.serve.params import (
    PAYLOAD_LIMIT,
    bounded,
    epoch,
    json_member,
    max_results,
    optional,
    page,
    required,
)

if TYPE_CHECKING:
    from runtime.callbacks import CallbackHub
    from runtime.serve.service import Service

TOKEN_LIMIT = 1024


def create_activity(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    hub = _hub(service)
    name = arns.check_name(required(params, "name"))
    arn = hub.create_activity(name)
    return {
        "activityArn": arn,
        "creationDate": _activity(hub.describe_activity(arn))["creationDate"],
    }


def describe_activity(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    arn = _activity_arn(params)
    return _activity(_hub(service).describe_activity(arn))


def list_activities(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    activities = [_activity(a) for a in _hub(service).list_activities()]
    items, token = page(
        activities,
        lambda a: a["activityArn"],
        max_results(params),
        optional(params, "nextToken"),
        scope="ListActivities",
    )
    out: dict[str, Any] = {"activities": items}
    if token:
        out["nextToken"] = token
    return out


def delete_activity(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    _hub(service).delete_activity(_activity_arn(params))
    return {}


def get_activity_task(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    """The long poll: a task within ``service.activity_wait`` seconds, else no token."""
    arn = _activity_arn(params)
    worker = bounded(optional(params, "workerName"), "workerName", 80)
    hub = _hub(service)
    wait = service.activity_wait
    task = service.loop.call(hub.get_activity_task(arn, worker, wait), wait + 30)
    if task is None:
        return {}
    token, input_json = task
    return {"taskToken": token, "input": input_json}


def send_task_success(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    output = bounded(required(params, "output"), "output", PAYLOAD_LIMIT)
    json_member(output, "output", "InvalidOutput")
    _hub(service).send_task_success(_token(params), output)
    return {}


def send_task_failure(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    _hub(service).send_task_failure(
        _token(params), optional(params, "error"), optional(params, "cause")
    )
    return {}


def send_task_heartbeat(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    _hub(service).send_task_heartbeat(_token(params))
    return {}


# -- helpers ---------------------------------------------------------------------------------


def _hub(service: Service) -> CallbackHub:
    from runtime.callbacks import hub_for

    return hub_for(service.store)


def _activity_arn(params: dict[str, Any]) -> str:
    return arns.parse(required(params, "activityArn"), "activity").text


def _token(params: dict[str, Any]) -> str:
    token = bounded(required(params, "taskToken"), "taskToken", TOKEN_LIMIT)
    assert token is not None
    return token


def _activity(shape: dict[str, Any]) -> dict[str, Any]:
    return {**shape, "creationDate": epoch(shape["creationDate"])}


def _callback_errors(fn: Any) -> Any:
    """Answer the hub's errors (each names its AWS code and status) as API errors."""

    def action(service: Service, params: dict[str, Any]) -> dict[str, Any]:
        from runtime.callbacks import CallbackError

        try:
            return fn(service, params)
        except CallbackError as exc:
            raise ApiError(exc.code, exc.message, exc.status)

    return action


ACTIONS = {
    name: _callback_errors(fn)
    for name, fn in {
        "CreateActivity": create_activity,
        "DescribeActivity": describe_activity,
        "ListActivities": list_activities,
        "DeleteActivity": delete_activity,
        "GetActivityTask": get_activity_task,
        "SendTaskSuccess": send_task_success,
        "SendTaskFailure": send_task_failure,
        "SendTaskHeartbeat": send_task_heartbeat,
    }.items()
}
