"""``.waitForTaskToken`` on any resource, and the ``aws-sdk:sfn`` task-token calls.

A ``RESOURCE.waitForTaskToken`` task registers its token (``$$.Task.Token``) as a pending task
in the execution's store, runs the integration behind it (``RESOURCE`` without the suffix:
a local Lambda handler, a ``python:`` function, a binding...) once, records ``TaskSubmitted``
with that call's response, and then waits for ``SendTaskSuccess`` / ``SendTaskFailure`` with
the token, from any process. ``TimeoutSeconds`` and ``HeartbeatSeconds`` are measured from
the stored start, so they hold across a resume. When nothing local answers the integration
(``arn:aws:states:::sqs:sendMessage`` without a binding), the task still waits: answer it with
``asl task success TOKEN`` (``asl task list`` shows the tokens).

``arn:aws:states:::aws-sdk:sfn:sendTaskSuccess`` (``sendTaskFailure``, ``sendTaskHeartbeat``)
answer a token from inside a machine, as on AWS.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from asl.errors import TIMEOUT, StatesError
from runtime.callbacks import CallbackError, current_hub, result_of
from runtime.callbacks.progress import note
from runtime.callbacks.records import CALLBACK, FAILED, STARTED, TIMED_OUT, PendingTask
from runtime.callbacks.tokens import WAIT_SUFFIX, request_token
from runtime.core.arns import resource_parts
from runtime.core.events import payload_details, to_json
from runtime.core.interpreter import TaskRequest

SDK_PREFIX = "arn:aws:states:::aws-sdk:sfn:"
SDK_ACTIONS = ("sendTaskSuccess", "sendTaskFailure", "sendTaskHeartbeat")

UNANSWERED: Any = object()
"""What a submit function returns when nothing local answers the integration."""

Submit = Callable[[TaskRequest], Awaitable[Any]]


def handles(request: TaskRequest) -> bool:
    """Whether this route waits for a callback: a ``.waitForTaskToken`` resource with a token
    (a request built by hand, without one, just runs the integration)."""
    return request.resource.endswith(WAIT_SUFFIX) and request_token(request.context) is not None


def is_sdk_call(resource: str) -> bool:
    """Whether ``resource`` is ``aws-sdk:sfn:sendTaskSuccess|sendTaskFailure|sendTaskHeartbeat``."""
    return resource.startswith(SDK_PREFIX) and resource[len(SDK_PREFIX) :] in SDK_ACTIONS


def underlying(resource: str) -> str:
    """The integration behind a ``.waitForTaskToken`` resource."""
    return resource[: -len(WAIT_SUFFIX)] if resource.endswith(WAIT_SUFFIX) else resource


async def run(request: TaskRequest, submit: Submit) -> Any:
    """Run the integration once, then wait for the token's answer; the task result."""
    token = request_token(request.context)
    assert token is not None
    hub = current_hub()
    task = hub.register(
        pending_task(
            request,
            token,
            CALLBACK,
            STARTED,
            started=NOW,
            beat=NOW,
            heartbeat_seconds=request.heartbeat_seconds,
        )
    )
    submitted = task.submitted
    if submitted is None and task.is_open:
        call = submit(replace(request, resource=underlying(request.resource)))
        try:
            response = await _within(call, task.deadline)
        except StatesError as exc:
            hub.settle(token, FAILED, {"error": exc.error, "cause": exc.cause})
            raise
        except TimeoutError:
            hub.settle(token, TIMED_OUT, {"error": TIMEOUT})
            raise StatesError(TIMEOUT, None)
        submitted = to_json(None if response is UNANSWERED else response)
        hub.mark_submitted(token, submitted)
    if submitted is not None:
        kind, resource = resource_parts(request.resource)
        details = {"resourceType": kind, "resource": resource}
        note("TaskSubmitted", {**details, **payload_details("output", json.loads(submitted))})
    return result_of(await hub.wait(token))


async def sdk_call(request: TaskRequest) -> Any:
    """``aws-sdk:sfn:sendTaskSuccess|sendTaskFailure|sendTaskHeartbeat``: ``{}``, or the
    failure as ``Sfn.<Code>Exception`` (an aws-sdk integration's error naming)."""
    action = request.resource[len(SDK_PREFIX) :]
    params = request.parameters if isinstance(request.parameters, dict) else {}
    token = params.get("TaskToken")
    hub = current_hub()
    try:
        if action == "sendTaskSuccess":
            output = params.get("Output")
            hub.send_task_success(token, output if isinstance(output, str) else to_json(output))
        elif action == "sendTaskFailure":
            hub.send_task_failure(token, params.get("Error"), params.get("Cause"))
        else:
            hub.send_task_heartbeat(token)
    except CallbackError as exc:
        from runtime.tasks.sfn_api import SfnError  # sfn_api imports this module

        raise SfnError(exc.code, exc.message, exc.status) from None
    return {}


async def _within(call: Awaitable[Any], deadline: float | None) -> Any:
    if deadline is None:
        return await call
    return await asyncio.wait_for(call, max(0.0, deadline - time.time()))


def execution_of(request: TaskRequest) -> str:
    execution = request.context.get("Execution") or {}
    return str(execution.get("Id", ""))


NOW: Any = object()
"""For :func:`pending_task`: this time field is the record's creation time."""


def pending_task(
    request: TaskRequest, token: str, kind: str, status: str, **fields: Any
) -> PendingTask:
    """The hub's record of a waiting attempt of ``request``, created now, with its deadline (now
    plus the task's TimeoutSeconds); ``fields`` set the rest, a time given as :data:`NOW` being
    the creation time."""
    now = time.time()
    timeout = request.timeout_seconds
    return PendingTask(
        token=token,
        execution_arn=execution_of(request),
        kind=kind,
        resource=request.resource,
        state_name=request.state_name,
        status=status,
        created=now,
        deadline=None if timeout is None else now + timeout,
        **{name: now if value is NOW else value for name, value in fields.items()},
    )


__all__ = [
    "SDK_ACTIONS",
    "SDK_PREFIX",
    "UNANSWERED",
    "WAIT_SUFFIX",
    "handles",
    "is_sdk_call",
    "run",
    "sdk_call",
    "underlying",
]
