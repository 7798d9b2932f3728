"""Lambda functions invoked on AWS (or any Lambda-compatible endpoint) through boto3.

Which functions go here (see ``docs/tasks.md``): ``--bind NAME=aws:lambda`` (or
``aws:lambda:OTHER`` to call another function) sends one function here, and ``ASL_LAMBDA=aws``
sends every function that no ``--lambda`` or ``--bind`` answers. Credentials, region and endpoint
come from the standard AWS configuration (environment, ``~/.aws``, ``AWS_ENDPOINT_URL_LAMBDA``);
a function ARN's own region wins. The SDK does not retry unless retries are configured
(``AWS_MAX_ATTEMPTS`` / ``max_attempts``), so a definition's Retry decides, as on AWS.

Results and function errors are shaped by :mod:`.lambda_shapes`, as for local handlers; Lambda
service errors become ``Lambda.<Exception>`` (``Lambda.ResourceNotFoundException``,
``Lambda.TooManyRequestsException``, ``Lambda.ServiceException``...), errors the Lambda API does
not model ``Lambda.AWSLambdaException``, and failures before a response (no connection, no
credentials, a read timeout) ``Lambda.SdkClientException``. boto3 is imported on first use.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from asl._errors import StatesError
from runtime._driver import REGION
from runtime.tasks import _calls
from runtime.tasks._loading import ConfigurationError
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

ENV = "ASL_LAMBDA"
TARGET = "aws:lambda"
READ_TIMEOUT = 905.0  # Lambda's longest run (900 s) and a margin; TimeoutSeconds cuts it shorter
MAX_CONNECTIONS = 64


def aws_selected(value: str | None = None) -> bool:
    """Whether ``ASL_LAMBDA`` (or ``value``) sends unhandled Lambda functions to AWS."""
    text = (os.environ.get(ENV, "") if value is None else value).strip().lower()
    if text in ("", "local"):
        return False
    if text == "aws":
        return True
    raise ConfigurationError(f"{ENV}={text!r}: expected 'local' (the default) or 'aws'.")


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


def configure(selected: bool | None, bindings: Mapping[str, str]) -> bool:
    """Whether unhandled functions go to AWS (``selected``, else ``ASL_LAMBDA``).

    Checks the ``aws:lambda`` bindings and that boto3 is installed when anything goes to AWS;
    raises :class:`ConfigurationError` otherwise.
    """
    aws = aws_selected() if selected is None else selected
    targets = [t for t in bindings.values() if isinstance(t, str) and is_target(t)]
    for target in targets:
        target_function(target)
    if (aws or targets) and importlib.util.find_spec("boto3") is None:
        purpose = f"{ENV}=aws" if aws else f"--bind ...={targets[0]}"
        raise ConfigurationError(f"{purpose} invokes Lambda through boto3: pip install boto3")
    return aws


class AwsLambda:
    """Invokes Lambda functions through boto3: one client per region, made on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._session: Any = None
        self._clients: dict[str, Any] = {}
        self._modeled: frozenset[str] = frozenset()

    async def invoke(self, call: LambdaCall, function: FunctionRef | None = None) -> Any:
        """The task result of ``call`` (addressed to ``function`` instead when given)."""
        if function is not None:
            qualifier = function.qualifier or call.ref.qualifier
            call = replace(call, ref=replace(function, qualifier=qualifier))
        return await _calls.in_thread(self._invoke, call, name=f"lambda-aws-{call.ref.name}")

    # -- in a worker thread ----------------------------------------------------------------------

    def _invoke(self, call: LambdaCall) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        region = call.ref.region or self._default_region()
        try:
            client = self._client(region)
            response = client.invoke(**_arguments(call))
            body = response["Payload"].read().decode("utf-8", "replace")
        except ClientError as exc:
            raise self._service_error(exc, call, region)
        except BotoCoreError as exc:
            raise _sdk_error(exc)
        metadata = response.get("ResponseMetadata", {})
        meta = HttpMeta(
            request_id=metadata.get("RequestId") or str(uuid.uuid4()),
            status=int(response.get("StatusCode") or metadata.get("HTTPStatusCode") or 200),
            headers=metadata.get("RawHeaders"),
            executed_version=response.get("ExecutedVersion") or "$LATEST",
            log_result=response.get("LogResult"),
        )
        if response.get("FunctionError"):
            raise function_failure(body, call)
        if call.invocation_type != "RequestResponse":  # Event (202) or DryRun (204)
            return service_response(None, body, meta)
        return task_result(body, call, meta)

    def _default_region(self) -> str:
        with self._lock:
            return self._boto_session().region_name or REGION

    def _client(self, region: str) -> Any:
        with self._lock:  # creating clients is not thread-safe; using them is
            client = self._clients.get(region)
            if client is None:
                client = self._clients[region] = self._new_client(region)
            return client

    def _boto_session(self) -> Any:
        if self._session is None:
            import boto3

            self._session = boto3.session.Session()
        return self._session

    def _new_client(self, region: str) -> Any:
        from botocore.config import Config

        session = self._boto_session()
        core = session._session  # the botocore session: the configured retry settings
        retries: dict[str, Any] | None = None
        if core.get_config_variable("max_attempts") is None:
            retries = {"mode": core.get_config_variable("retry_mode") or "standard"}
            retries["total_max_attempts"] = 1
        config = Config(
            read_timeout=READ_TIMEOUT,
            max_pool_connections=MAX_CONNECTIONS,
            retries=retries,
            user_agent_extra="asl-engine",
        )
        client = session.client("lambda", region_name=region, config=config)
        client.meta.events.register("after-call.lambda.Invoke", _keep_headers)
        model = client.meta.service_model
        self._modeled = frozenset(shape.name for shape in model.error_shapes)
        return client

    def _service_error(self, exc: Any, call: LambdaCall, region: str) -> StatesError:
        response = exc.response or {}
        error = response.get("Error") or {}
        metadata = response.get("ResponseMetadata") or {}
        status = int(metadata.get("HTTPStatusCode") or 0)
        code = str(error.get("Code") or status)
        message = str(error.get("Message") or "")
        if code == "ResourceNotFoundException" and not message:
            message = not_found_message(call.ref, region)
        exception = code if code in self._modeled else "AWSLambdaException"
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
        "Payload": _calls.marshal(call.event).encode(),
    }
    if ref.qualifier:
        arguments["Qualifier"] = ref.qualifier
    arguments.update(call.options)
    return arguments


def _keep_headers(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
    """Keep the response headers as received (botocore lower-cases its copy)."""
    if http_response is not None and isinstance(parsed, dict):
        metadata = parsed.setdefault("ResponseMetadata", {})
        metadata["RawHeaders"] = list(http_response.headers.items())


def _sdk_error(exc: Exception) -> StatesError:
    """A failure before Lambda answered, named as the Java SDK's SdkClientException."""
    from botocore import exceptions as e

    if isinstance(exc, e.NoCredentialsError | e.PartialCredentialsError):
        message = f"Unable to load AWS credentials from any provider in the chain: {exc}"
    elif isinstance(exc, e.HTTPClientError | e.ConnectionError):
        message = f"Unable to execute HTTP request: {exc}"
    else:
        message = str(exc)
    return StatesError("Lambda.SdkClientException", message)


__all__ = [
    "ENV",
    "TARGET",
    "AwsLambda",
    "aws_selected",
    "configure",
    "is_target",
    "target_function",
]
