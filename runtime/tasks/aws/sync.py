"""``.sync`` / ``.sync:2`` integrations: after the start call, poll the job to its end.

:func:`poller` gives, for an optimized integration's ``(service, action)``, the coroutine that
waits for the job the start call began and returns the task result in AWS's shape, or raises
:class:`asl._errors.StatesError` as AWS fails the task. None: AWS has no ``.sync`` for it.

The job is described at once, then again after 0.5 s, each pause half as long again as the last,
up to 5 s. A failed job fails the task with ``States.TaskFailed`` and the job's description as
the cause (:mod:`.sync_jobs` holds the row of each integration). The driver enforces
``TimeoutSeconds`` by cancelling the coroutine; a cancelled wait asks the service, best effort,
to stop the job (TerminateJob, StopTask, StopQueryExecution...), as AWS does for an aborted task.
See docs/aws-sync.md.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import logging
import threading
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from asl._errors import RUNTIME, StatesError
from runtime._events import to_json
from runtime._interpreter import TaskRequest
from runtime.tasks import _calls
from runtime.tasks.aws.clients import AwsClients
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

    async def wait(
        clients: AwsClients, request: TaskRequest, start: dict[str, Any], suffix: str
    ) -> Any:
        if suffix != ".sync":
            raise StatesError(
                RUNTIME,
                f"{service}:{action} runs as .sync only (AWS has {suffix} only for "
                "states:startExecution).",
            )
        return await _wait(job, clients, Started(start, request.parameters))

    return wait


def suffixes(service: str, action: str) -> tuple[str, ...]:
    """The job-waiting suffixes AWS allows on ``SERVICE:ACTION`` (empty: none)."""
    return (".sync",) if (service, action) in JOBS else ()


async def _wait(job: Job, clients: AwsClients, start: Started) -> Any:
    if job.precheck is not None:
        job.precheck(start)
    arguments = job.arguments(start)
    client = await _calls.in_thread(clients.client, job.service, name="asl-sync")
    pause = FIRST_PAUSE
    missing = 0
    try:
        while True:
            response = await _calls.in_thread(_describe, client, job, arguments, name="asl-sync")
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
        _stop(client, job, start)
        raise


def _not_found(job: Job, arguments: dict[str, Any], response: Any) -> str:
    return (
        f"{job.describe} with {to_json(arguments)} did not find the job the start call began "
        f"(it answered {to_json(response)})."
    )


# -- in a worker thread ------------------------------------------------------------------------


def _describe(client: Any, job: Job, arguments: dict[str, Any]) -> Any:
    """The describe response as AWS gives it to the state; None when the call should be made
    again later (throttled, or a server error)."""
    from botocore import xform_name
    from botocore.exceptions import BotoCoreError, ClientError

    operation = client.meta.service_model.operation_model(job.describe)
    try:
        response = getattr(client, xform_name(job.describe))(**arguments)
    except ClientError as exc:
        if _retryable(exc):
            return None
        raise _service_error(job.service, exc)
    except BotoCoreError as exc:
        raise _client_error(job.service, exc)
    response.pop("ResponseMetadata", None)
    return java_v1(response, operation.output_shape)


def _stop(client: Any, job: Job, start: Started) -> None:
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
            getattr(client, xform_name(operation))(**arguments)
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


def _retryable(exc: Any) -> bool:
    response = exc.response or {}
    code = (response.get("Error") or {}).get("Code")
    status = int((response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
    return code in _THROTTLING or status >= 500


# -- the JSON AWS gives the state --------------------------------------------------------------


def java_v1(value: Any, shape: Any) -> Any:
    """A botocore response value as Step Functions' optimized integrations give it: structure
    members capitalised (PascalCase), map keys as they are, timestamps in epoch milliseconds,
    blobs in base64."""
    kind = None if shape is None else shape.type_name
    if isinstance(value, dict):
        if kind == "structure":
            members = shape.members
            return {
                name[:1].upper() + name[1:]: java_v1(item, members.get(name))
                for name, item in value.items()
            }
        inner = shape.value if kind == "map" else None
        return {key: java_v1(item, inner) for key, item in value.items()}
    if isinstance(value, list):
        inner = shape.member if kind == "list" else None
        return [java_v1(item, inner) for item in value]
    if isinstance(value, datetime.datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    return value


# -- errors of the poll calls ------------------------------------------------------------------

_NAMES = {
    "athena": ("Athena", "AmazonAthena"),
    "batch": ("Batch", "AWSBatch"),
    "bedrock": ("Bedrock", "AmazonBedrock"),
    "codebuild": ("CodeBuild", "AWSCodeBuild"),
    "ecs": ("ECS", "AmazonECS"),
    "emr": ("ElasticMapReduce", "AmazonElasticMapReduce"),
    "glue": ("Glue", "AWSGlue"),
    "sagemaker": ("SageMaker", "AmazonSageMaker"),
}


def _service_error(service: str, exc: Any) -> StatesError:
    """A describe call's service error, named as the optimized integrations name theirs."""
    prefix, java = _NAMES.get(service, (service, service))
    response = exc.response or {}
    error = response.get("Error") or {}
    metadata = response.get("ResponseMetadata") or {}
    code = str(error.get("Code") or metadata.get("HTTPStatusCode") or "Unknown")
    name = code if code.endswith("Exception") else f"{code}Exception"
    request_id = metadata.get("RequestId") or str(uuid.uuid4())
    return StatesError(
        f"{prefix}.{name}",
        f"{error.get('Message') or ''} (Service: {java}; Status Code: "
        f"{metadata.get('HTTPStatusCode') or 400}; Error Code: {code}; Request ID: "
        f"{request_id}; Proxy: null)",
    )


def _client_error(service: str, exc: Exception) -> StatesError:
    """A failure before the service answered (no connection, no credentials)."""
    prefix, _ = _NAMES.get(service, (service, service))
    return StatesError(f"{prefix}.SdkClientException", f"Unable to execute HTTP request: {exc}")


__all__ = ["GROWTH", "MAX_PAUSE", "Poller", "java_v1", "poller", "suffixes"]
