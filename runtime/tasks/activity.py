"""Activity resources: ``arn:aws:states:REGION:ACCOUNT:activity:NAME``.

The task's effective input is queued as a pending activity task in the execution's store;
a worker in any process takes it with ``GetActivityTask`` (``CallbackHub.get_activity_task``,
or boto3 against ``asl serve``) and answers with ``SendTaskSuccess`` / ``SendTaskFailure``,
sending ``SendTaskHeartbeat`` meanwhile. History: ``ActivityScheduled``, ``ActivityStarted``
(with the worker's name) when a worker takes it, then ``ActivitySucceeded``, ``ActivityFailed``
or ``ActivityTimedOut``. ``TimeoutSeconds`` runs from scheduling, ``HeartbeatSeconds`` from the
worker's start, both from stored times (they hold across a resume). Activities are matched by
name; an activity a definition names is registered on first use.
"""

from __future__ import annotations

from typing import Any

from asl.errors import RUNTIME, StatesError
from runtime.callbacks import CallbackError, current_hub, result_of
from runtime.callbacks.progress import note
from runtime.callbacks.records import ACTIVITY, SCHEDULED, PendingTask
from runtime.callbacks.tokens import is_activity, request_token, token_for
from runtime.core.events import to_json
from runtime.core.interpreter import TaskRequest
from runtime.tasks.callback import pending_task

handles = is_activity


async def run(request: TaskRequest) -> Any:
    """Queue the task for the activity's workers and wait for its outcome."""
    hub = current_hub()
    try:
        activity = hub.ensure_activity(request.resource)
    except CallbackError as exc:
        raise StatesError(RUNTIME, f"{exc.message} is not an activity ARN")
    token = request_token(request.context) or token_for(
        request.context, request.key, request.attempt
    )
    hub.register(
        pending_task(
            request,
            token,
            ACTIVITY,
            SCHEDULED,
            activity=activity.name,
            input=to_json(request.parameters),
            heartbeat_seconds=request.heartbeat_seconds,
        )
    )

    def started(task: PendingTask) -> None:
        note("ActivityStarted", {"workerName": task.worker} if task.worker else {})

    return result_of(await hub.wait(token, on_started=started))


__all__ = ["handles", "run"]
