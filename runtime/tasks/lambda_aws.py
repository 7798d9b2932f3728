"""Lambda functions invoked on AWS (or any Lambda-compatible endpoint) through boto3.

Which functions go here (see ``docs/tasks.md``): ``--bind NAME=aws:lambda`` (or
``aws:lambda:OTHER`` to call another function) sends one function here, and with AWS calls on
(``--aws moto|aws``, ``ASL_AWS``; ``ASL_LAMBDA=aws`` is an alias of ``aws``) every function that
no ``--lambda`` or ``--bind`` answers. The clients are the ``--aws`` mode's
(:class:`runtime.tasks.aws.clients.AwsClients`): with ``aws``, the standard AWS configuration
(environment, ``~/.aws``, ``AWS_ENDPOINT_URL_LAMBDA``), a function ARN's own region winning; with
``moto``, the embedded AWS, whose Lambda needs Docker to run a function's code (without it the
task fails with a cause pointing at ``--lambda``). The SDK does not retry unless retries are
configured (``AWS_MAX_ATTEMPTS`` / ``max_attempts``), so a definition's Retry decides, as on AWS.

Results and function errors are shaped by :mod:`.lambda_shapes`, as for local handlers; Lambda
service errors become ``Lambda.<Exception>`` (``Lambda.ResourceNotFoundException``,
``Lambda.TooManyRequestsException``, ``Lambda.ServiceException``...), errors the Lambda API does
not model ``Lambda.AWSLambdaException``, and failures before a response (no connection, no
credentials, a read timeout) ``Lambda.SdkClientException``. boto3 is imported on first use.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from asl.errors import RUNTIME, StatesError
from runtime.handlers import calls
from runtime.handlers.loading import ConfigurationError
from runtime.tasks import propagation
from runtime.tasks.aws import AwsMode
from runtime.tasks.aws.clients import AwsClients
from runtime.tasks.aws.errors import client_failure
from runtime.tasks.lambda_shapes import (
    FunctionRef,
    HttpMeta,
    LambdaCall,
    function_failure,
    not_found_message,
    service_error,
    service_response,
    task_result,
)

TARGET = "aws:lambda"
_NO_DOCKER = "error running docker"  # what moto's Lambda answers when it cannot start a container


def is_target(text: str) -> bool:
    """Whether a ``--bind`` target is ``aws:lambda`` or ``aws:lambda:FUNCTION``."""
    return text == TARGET or text.startswith(TARGET + ":")


def target_function(text: str) -> FunctionRef | None:
    """The function an ``aws:lambda:FUNCTION`` target names; None for the requested one."""
    rest = text[len(TARGET) + 1 :]
    if not rest:
        return None
    ref = FunctionRef.parse(rest)
    if ref is None:
        raise ConfigurationError(
            f"--bind ...={text}: {rest!r} is not a Lambda function name or ARN."
        )
    return ref


def configure(mode: AwsMode, bindings: Mapping[str, str]) -> None:
    """Check the ``aws:lambda`` bindings, and that boto3 is installed when anything goes to
    AWS; raises :class:`ConfigurationError` otherwise."""
    targets = [t for t in bindings.values() if isinstance(t, str) and is_target(t)]
    for target in targets:
        target_function(target)
    if (mode is not AwsMode.OFF or targets) and importlib.util.find_spec("boto3") is None:
        purpose = f"--aws {mode.value}" if mode is not AwsMode.OFF else f"--bind ...={targets[0]}"
        raise ConfigurationError(f"{purpose} invokes Lambda through boto3: pip install boto3")


class AwsLambda:
    """Invokes Lambda functions through boto3, on the clients ``clients()`` gives."""

    def __init__(self, clients: Callable[[], AwsClients]) -> None:
        self._clients = clients

    async def invoke(self, call: LambdaCall, function: FunctionRef | None = None) -> Any:
        """The task result of ``call`` (addressed to ``function`` instead when given)."""
        if function is not None:
            qualifier = function.qualifier or call.ref.qualifier
            call = replace(call, ref=replace(function, qualifier=qualifier))
        clients = self._clients()
        return await calls.in_thread(_invoke, clients, call, name=f"lambda-aws-{call.ref.name}")


# -- in a worker thread --------------------------------------------------------------------------


def _invoke(clients: AwsClients, call: LambdaCall) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError

    region = call.ref.region or clients.region
    try:
        client = clients.client("lambda", region)
        if propagation.active():  # traced: the attempt's traceparent goes with the call
            client.meta.events.register(
                "before-send.lambda.Invoke", _traceparent, unique_id="asl-traceparent"
            )
        response = client.invoke(**_arguments(call))
        body = response["Payload"].read().decode("utf-8", "replace")
    except ClientError as exc:
        raise _service_error(client, exc, call, region)
    except BotoCoreError as exc:
        raise client_failure("Lambda", exc)
    metadata = response.get("ResponseMetadata", {})
    meta = HttpMeta(
        request_id=metadata.get("RequestId") or str(uuid.uuid4()),
        status=int(response.get("StatusCode") or metadata.get("HTTPStatusCode") or 200),
        headers=metadata.get("RawHeaders"),
        executed_version=response.get("ExecutedVersion") or "$LATEST",
        log_result=response.get("LogResult"),
    )
    if response.get("FunctionError"):
        if clients.mode is AwsMode.MOTO and body.startswith(_NO_DOCKER):
            raise _needs_docker(call, body)
        raise function_failure(body, call)
    if call.invocation_type != "RequestResponse":  # Event (202) or DryRun (204)
        return service_response(None, body, meta)
    return task_result(body, call, meta)


def _traceparent(request: Any, **_: Any) -> None:
    propagation.inject_current(request.headers)


def _needs_docker(call: LambdaCall, body: str) -> StatesError:
    name = call.ref.name
    return StatesError(
        RUNTIME,
        f"--aws moto cannot run the code of Lambda function {name!r}: the embedded AWS runs "
        f"Lambda code in Docker containers ({body.strip()}). Run it as a local handler "
        f"instead: --lambda {name}=module:function (or --bind {name}=python:module:function).",
    )


def _service_error(client: Any, exc: Any, call: LambdaCall, region: str) -> StatesError:
    response = exc.response or {}
    error = response.get("Error") or {}
    metadata = response.get("ResponseMetadata") or {}
    status = int(metadata.get("HTTPStatusCode") or 0)
    code = str(error.get("Code") or status)
    message = str(error.get("Message") or "")
    if code == "ResourceNotFoundException" and not message:
        message = not_found_message(call.ref, region)
    modeled = {shape.name for shape in client.meta.service_model.error_shapes}
    exception = code if code in modeled else "AWSLambdaException"
    request_id = metadata.get("RequestId") or str(uuid.uuid4())
    return service_error(exception, message, status, request_id, code=code)


def _arguments(call: LambdaCall) -> dict[str, Any]:
    """Invoke's parameters for ``call``."""
    ref = call.ref
    if ref.account and ref.region:
        name = ref.arn(qualified=False)
    elif ref.account:
        name = f"{ref.account}:function:{ref.name}"
    else:
        name = ref.name
    arguments: dict[str, Any] = {
        "FunctionName": name,
        "InvocationType": call.invocation_type,
        "Payload": calls.marshal(call.event).encode(),
    }
    if ref.qualifier:
        arguments["Qualifier"] = ref.qualifier
    arguments.update(call.options)
    return arguments


__all__ = [
    "TARGET",
    "AwsLambda",
    "configure",
    "is_target",
    "target_function",
]
