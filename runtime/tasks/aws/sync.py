"""``.sync`` / ``.sync:2`` integrations: after the start call, poll the job to its end.

:func:`poller` gives, for an optimized integration's ``(service, action)``, the coroutine that
waits for the job the start call began and returns the task result in AWS's shape, or raises
:class:`asl.errors.StatesError` as AWS fails the task. None: AWS has no ``.sync`` for it.

The job is described at once, then again after 0.5 s, each pause half as long again as the last,
up to 5 s. A failed job fails the task with ``States.TaskFailed`` and the job's description as
the cause (:mod:`.sync_jobs` holds the row of each integration). The driver enforces
``TimeoutSeconds`` by cancelling the coroutine; a cancelled wait asks the service, best effort,
to stop the job (TerminateJob, StopTask, StopQueryExecution...), as AWS does for an aborted task.
See docs/aws-services.md ("Jobs").
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from asl.errors import RUNTIME, StatesError
from runtime.callbacks.progress import note
from runtime.core.events import payload_details, to_json
from runtime.core.interpreter import TaskRequest
from runtime.handlers import calls
from runtime.tasks.aws import names, optimized, shapes
from runtime.tasks.aws.clients import AwsClients
from runtime.tasks.aws.errors import ServiceFailure, V1Naming, client_failure, optimized_error
from runtime.tasks.aws.sync_jobs import FAILED, JOBS, Job, Started, lookup

Poller = Callable[[AwsClients, TaskRequest, dict[str, Any], str], Awaitable[Any]]
"""``(clients, request, start response, suffix)``: the task result; suffix ``.sync``/``.sync:2``."""

FIRST_PAUSE = 0.5
MAX_PAUSE = 5.0
GROWTH = 1.5
MISSING_POLLS = 5  # a job the describe call still does not know after this many polls failed
_log = logging.getLogger("asl.sync")


def poller(service: str, action: str) -> Poller | None:
    """The poller of ``arn:aws:states:::SERVICE:ACTION.sync``, or None."""
    job = JOBS.get((service, action))
    if job is None:
        return None
    integration = optimized.find(service, action)
    naming = integration.naming if integration is not None else _naming(job.service)

    async def wait(
        clients: AwsClients, request: TaskRequest, start: dict[str, Any], suffix: str
    ) -> Any:
        if suffix != ".sync":
            raise StatesError(
                RUNTIME,
                f"{service}:{action} runs as .sync only (AWS has {suffix} only for "
                "states:startExecution).",
            )
        submitted(service, action + suffix, start)
        return await _wait(job, naming, clients, Started(start, request.parameters))

    return wait


def submitted(service: str, resource: str, start: dict[str, Any]) -> None:
    """Record ``TaskSubmitted`` with the start call's result, as AWS does for a job it waits for
    (not for a raw boto3 response, which is not the state's JSON)."""
    if "ResponseMetadata" not in start:
        details = {"resourceType": service, "resource": resource}
        note("TaskSubmitted", details | payload_details("output", start))


def _naming(service: str) -> V1Naming:
    java = names.service_model(service).service_id.replace(" ", "")
    return V1Naming(java, java, f"{java}Exception")


async def _wait(job: Job, naming: V1Naming, clients: AwsClients, start: Started) -> Any:
    if job.precheck is not None:
        job.precheck(start)
    arguments = job.arguments(start)
    pause = FIRST_PAUSE
    missing = 0
    try:
        client = await calls.in_thread(clients.client, job.service, name="asl-sync")
        while True:
            response = await calls.in_thread(
                _describe, client, job, naming, arguments, name="asl-sync"
            )
            if response is not None:
                found = lookup(response, job.item)
                if found is None:
                    missing += 1
                    if missing >= MISSING_POLLS:
                        raise StatesError(FAILED, _not_found(job, arguments, response))
                else:
                    verdict = job.verdict(found)
                    if verdict is True:
                        return job.result(response, found, start)
                    if verdict is False:
                        raise StatesError(FAILED, to_json(found))
            await asyncio.sleep(pause)
            pause = min(pause * GROWTH, MAX_PAUSE)
    except asyncio.CancelledError:
        _stop(clients, job, start)
        raise


def _not_found(job: Job, arguments: dict[str, Any], response: Any) -> str:
    return (
        f"{job.describe} with {to_json(arguments)} did not find the job the start call began "
        f"(it answered {to_json(response)})."
    )


# -- in a worker thread ------------------------------------------------------------------------


def _describe(client: Any, job: Job, naming: V1Naming, arguments: dict[str, Any]) -> Any:
    """The describe response as AWS gives it to the state; None when the call should be made
    again later (throttled, or a server error)."""
    from botocore.exceptions import BotoCoreError, ClientError

    operation = names.operation(job.service, job.describe)
    try:
        response = getattr(client, operation.method)(**arguments)
    except ClientError as exc:
        failure = ServiceFailure.of(exc)
        if failure.code in _THROTTLING or failure.status >= 500:
            return None
        raise optimized_error(failure, naming, operation.errors)
    except (BotoCoreError, OSError) as exc:
        raise client_failure(naming.prefix, exc)
    return shapes.to_result(response, operation.output_shape, shapes.epoch_millis)


def _stop(clients: AwsClients, job: Job, start: Started) -> None:
    """Ask the service to stop the job, on a thread of its own (the task does not wait)."""
    if job.stop is None:
        return
    operation, build = job.stop
    try:
        arguments = build(start)
    except StatesError:
        return

    def call() -> None:
        from botocore import xform_name

        try:
            getattr(clients.client(job.service), xform_name(operation))(**arguments)
        except Exception as exc:  # best effort: the job may have ended, or cannot be stopped
            _log.info("%s %s did not stop the job: %s", job.service, operation, exc)

    threading.Thread(target=call, name="asl-sync-stop", daemon=False).start()


_THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "SlowDown",
    }
)


__all__ = ["GROWTH", "MAX_PAUSE", "Poller", "poller", "submitted"]
