"""The route of AWS service integrations: optimized ``SERVICE:ACTION`` and
``aws-sdk:SERVICE:ACTION``.

The dispatcher hands a request here when its resource names an AWS service and no mock,
binding or local route answered it. A Task's ``Credentials`` make its calls as the role they
name (:mod:`.roles`). ``apigateway:invoke`` is an HTTP call (:mod:`.apigateway`), made in
every mode. With ``--aws off`` the task fails with ``States.Runtime``
and a cause naming ``--aws``, ``--bind`` and ``--mock-config``. Otherwise the Parameters become
the API request (:mod:`.shapes`), the call goes through boto3 on a worker thread, and the
response becomes the task result AWS gives, or its error the failure AWS names (:mod:`.errors`).
For ``.sync``/``.sync:2`` the start call is followed by the job's poller (:mod:`.sync`), the
start made once per task attempt (:mod:`.sync_once`);
``.waitForTaskToken`` reaches here without its suffix, from :mod:`runtime.tasks.callback`.
"""

from __future__ import annotations

import copy
import os
import socket
import threading
import urllib.parse
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from asl.errors import RUNTIME, StatesError
from runtime.core.interpreter import TaskRequest
from runtime.handlers import calls
from runtime.handlers.loading import ConfigurationError
from runtime.tasks.aws import (
    AwsMode,
    apigateway,
    names,
    optimized,
    parity,
    roles,
    shapes,
    sync,
    sync_once,
)
from runtime.tasks.aws.clients import AwsClients
from runtime.tasks.aws.errors import (
    ServiceFailure,
    client_failure,
    optimized_error,
    sdk_error,
    unresolvable_host,
    unusable_parameters,
)
from runtime.tasks.aws.names import Operation, Resource, UnknownIntegration

_AWS_DOMAINS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")


class Unanswered(StatesError):
    """``States.Runtime``: nothing answers the resource (AWS calls are off, no binding)."""


def unanswered_message(resource: str) -> str:
    """Why a Task naming an AWS service cannot run with ``--aws off``, and the ways out."""
    return (
        f"No local handler for resource {resource!r}, and AWS calls are off. Run with "
        "--aws moto|aws (moto: an embedded AWS in this process; aws: boto3's configuration, "
        f"real AWS or AWS_ENDPOINT_URL; or set ASL_AWS), bind it with --bind {resource}="
        "python:module:function, or mock the state with --mock-config."
    )


def unanswered_states(states: list[tuple[str, str]]) -> str:
    """:func:`unanswered_message` for several ``(state, resource)`` pairs at once."""
    if len(states) == 1:
        state, resource = states[0]
        return f"state {state!r}: {unanswered_message(resource)}"
    listed = "".join(f"\n  state {state!r}: {resource}" for state, resource in states)
    return (
        f"AWS calls are off and no local handler answers these Task states:{listed}\n"
        "Run with --aws moto|aws (moto: an embedded AWS in this process; aws: boto3's "
        "configuration, real AWS or AWS_ENDPOINT_URL; or set ASL_AWS), bind each resource with "
        "--bind RESOURCE=python:module:function, or mock the states with --mock-config."
    )


def cannot_wait(resource: Resource) -> str:
    """Why a ``.sync`` resource AWS has cannot run here."""
    return (
        f"{resource.arn}: this engine cannot yet wait for {resource.service}:{resource.action} "
        f"jobs ({resource.pattern}); call {resource.base} and poll the job in the definition, "
        "or bind or mock the state."
    )


def _waits(resource: Resource) -> bool:
    return resource.pattern in (optimized.SYNC, optimized.SYNC2)


def not_recognized(resource: str, detail: str) -> str:
    """AWS's wording for a resource it does not know, and what is wrong with it."""
    return (
        f"The resource provided {resource} is not recognized. The value is not a valid resource "
        f"ARN, or the resource is not available in this region. ({detail})"
    )


@dataclass(frozen=True, slots=True)
class _Call:
    """What a resource calls: the operation, and the optimized integration's row if any."""

    resource: Resource
    operation: Operation
    integration: optimized.Integration | None

    @property
    def key(self) -> tuple[str, str]:
        """(boto3's service, the operation)."""
        return (self.operation.service, self.operation.name)

    @property
    def error_prefix(self) -> str:
        """The prefix of error names that are not the service's own (SdkClientException)."""
        if self.integration is not None:
            return self.integration.naming.prefix
        return self.operation.java


_SHARED: OrderedDict[tuple[AwsMode, frozenset[tuple[str, str]]], AwsClients] = OrderedDict()
_SHARED_LOCK = threading.Lock()
_SHARED_MOST = 8  # configurations kept (the oldest goes, its connections with it)


def shared_clients(mode: AwsMode) -> AwsClients:
    """The process's clients of ``mode`` for the AWS configuration in the environment now
    (``AWS_*``): dispatchers built one after another (``runtime.execute`` in a loop, a
    server's) reuse boto3's sessions, clients and connections instead of making their own."""
    key = (mode, frozenset((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))
    with _SHARED_LOCK:
        clients = _SHARED.get(key)
        if clients is None:
            clients = _SHARED[key] = AwsClients(mode)
            while len(_SHARED) > _SHARED_MOST:
                _SHARED.popitem(last=False)
        else:
            _SHARED.move_to_end(key)
        return clients


class AwsRoute:
    """AWS service integrations for one :class:`AwsMode`."""

    def __init__(self, mode: AwsMode) -> None:
        self.mode = mode
        self._clients: AwsClients | None = None
        if mode is AwsMode.MOTO:  # started now, so user handlers' boto3 calls go there too
            self._clients = shared_clients(mode)

    @property
    def clients(self) -> AwsClients:
        """The mode's boto3 clients (``off``: boto3's configuration, for ``aws:lambda``
        bindings)."""
        if self._clients is None:
            self._clients = shared_clients(AwsMode.AWS if self.mode is AwsMode.OFF else self.mode)
        return self._clients

    @staticmethod
    def handles(resource: str) -> bool:
        """Whether ``resource`` names an AWS service integration."""
        return names.parse(resource) is not None

    def blocks(self, resource: str) -> bool:
        """Whether ``resource`` cannot run at all here: AWS calls are off and it is not a
        ``.waitForTaskToken`` (which still waits for its token)."""
        parsed = names.parse(resource)
        return (
            self.mode is AwsMode.OFF
            and parsed is not None
            and parsed.pattern != optimized.WAIT
            and not apigateway.handles(parsed.base)
        )

    def check(self, resource: str) -> str | None:
        """Preflight: None when the resource can run, the reason when AWS calls are off;
        :class:`ConfigurationError` when AWS knows no such integration."""
        parsed = names.parse(resource)
        if parsed is None:
            return None
        if apigateway.handles(parsed.base):  # an HTTP call: NO_AUTH needs no AWS
            try:
                _api_gateway_pattern(parsed)
            except UnknownIntegration as exc:
                raise UnknownIntegration(not_recognized(resource, str(exc))) from None
            return None
        if self.mode is AwsMode.OFF:
            return unanswered_message(resource)
        try:
            _resolve(parsed)
        except UnknownIntegration as exc:
            raise UnknownIntegration(not_recognized(resource, str(exc))) from None
        if _waits(parsed) and sync.poller(parsed.service, parsed.action) is None:
            raise ConfigurationError(cannot_wait(parsed))
        return None

    def refuse_unknown(self, resource: str) -> None:
        """``States.Runtime`` when AWS calls are on and AWS knows no such integration (for a
        ``.waitForTaskToken`` resource, checked before its integration runs without suffix)."""
        parsed = names.parse(resource)
        if parsed is not None and apigateway.handles(parsed.base):
            try:
                _api_gateway_pattern(parsed)
            except UnknownIntegration as exc:
                raise StatesError(RUNTIME, not_recognized(resource, str(exc))) from None
        elif parsed is not None and self.mode is not AwsMode.OFF:
            self._call(parsed)

    async def run(self, request: TaskRequest) -> Any:
        """The task result of calling the integration ``request.resource`` names."""
        parsed = names.parse(request.resource)
        if parsed is None:
            raise StatesError(RUNTIME, f"{request.resource!r} is not an AWS service integration")
        if apigateway.handles(request.resource):
            return await apigateway.run(request, await self._clients_for(request))
        if self.mode is AwsMode.OFF:
            raise Unanswered(RUNTIME, unanswered_message(request.resource))
        call = self._call(parsed)
        clients = await self._clients_for(request)
        assert clients is not None

        async def start() -> Any:
            arguments = _arguments(call, request)
            _, result = await calls.in_thread(
                _invoke, clients, call, arguments, request.parameters, name=f"aws-{parsed.service}"
            )
            return result

        if not _waits(parsed):
            return await start()
        poll = sync.poller(parsed.service, parsed.action)
        if poll is None:
            raise StatesError(RUNTIME, cannot_wait(parsed))
        return await sync_once.run(
            request, start, lambda begun: poll(clients, request, begun, parsed.pattern)
        )

    async def _clients_for(self, request: TaskRequest) -> AwsClients | None:
        """The clients the request's calls are made with: the mode's, or those of the role the
        Task's ``Credentials`` name; None when AWS calls are off."""
        role = roles.role_of(request.credentials)
        if self.mode is AwsMode.OFF:
            return None
        if role is None:
            return self.clients
        return await calls.in_thread(
            roles.clients_for, self.clients, role, request.context, name="aws-sts"
        )

    def owns_timeout(self, request: TaskRequest) -> bool:
        """Whether the route enforces ``TimeoutSeconds`` itself: a ``.sync`` job's, from the
        attempt's stored start (:mod:`.sync_once`), so it holds across a resume."""
        parsed = names.parse(request.resource)
        return (
            self.mode is not AwsMode.OFF
            and parsed is not None
            and _waits(parsed)
            and sync_once.owns_timeout(request)
        )

    @staticmethod
    def _call(resource: Resource) -> _Call:
        try:
            return _resolve(resource)
        except UnknownIntegration as exc:
            raise StatesError(RUNTIME, not_recognized(resource.arn, str(exc))) from None


def _api_gateway_pattern(resource: Resource) -> None:
    """:class:`UnknownIntegration` unless ``apigateway:invoke`` has the pattern (request-response
    and ``.waitForTaskToken``, as AWS has it)."""
    if resource.pattern not in ("", optimized.WAIT):
        raise UnknownIntegration(
            f"apigateway:invoke supports request-response and .waitForTaskToken, "
            f"not {resource.pattern}"
        )


def _resolve(resource: Resource) -> _Call:
    """The call ``resource`` makes; :class:`UnknownIntegration` when AWS has no such one."""
    if resource.sdk:
        if resource.pattern not in ("", optimized.WAIT):
            raise UnknownIntegration(
                f"aws-sdk integrations support request-response and .waitForTaskToken, "
                f"not {resource.pattern}"
            )
        return _Call(resource, names.sdk_operation(resource), None)
    integration = optimized.find(resource.service, resource.action)
    if integration is None:
        raise UnknownIntegration(
            f"no optimized integration {resource.service}:{resource.action}; any SDK action "
            f"runs as arn:aws:states:::aws-sdk:SERVICE:{resource.action}"
        )
    if resource.pattern not in integration.patterns:
        allowed = ", ".join(p or "request-response" for p in sorted(integration.patterns))
        raise UnknownIntegration(
            f"{resource.service}:{resource.action} supports {allowed}, not {resource.pattern}"
        )
    operation = names.operation(integration.boto_service, integration.operation)
    return _Call(resource, operation, integration)


def operation_of(resource: str) -> Operation | None:
    """The API operation a request-response integration ``resource`` calls (``aws-sdk``,
    optimized, ``lambda:invoke``, ``states:startExecution``), for its output shape; None for
    any other resource, a pattern (``.sync``...) or an integration AWS does not have."""
    parsed = names.parse(resource)
    if parsed is None or parsed.pattern:
        return None
    own = None if parsed.sdk else names.OWN_ROUTES.get((parsed.service, parsed.action))
    try:
        if own is not None:
            return names.operation(*own)
        return _resolve(parsed).operation
    except UnknownIntegration:
        return None


def _arguments(call: _Call, request: TaskRequest) -> dict[str, Any] | ServiceFailure:
    """boto3's keyword arguments for the request (or the validation failure to report)."""
    parameters = request.parameters
    integration = call.integration
    fields = parameters
    if integration is not None:
        if integration.fields is not None:
            shapes.refuse_fields(parameters, integration.fields)
        if integration.prepare is not None:
            fields = copy.deepcopy(parameters) if isinstance(parameters, dict) else {}
            integration.prepare(fields, request.context, call.resource.pattern)
        if integration.translate is not None and isinstance(fields, dict):
            fields = integration.translate(fields)
    try:
        arguments = shapes.to_request(fields, call.operation.input_shape, shown=parameters)
    except ServiceFailure as failure:
        return failure
    parity.add_java_defaults(call.key, arguments)
    return arguments


# -- on a worker thread ------------------------------------------------------------------------


def _invoke(
    clients: AwsClients, call: _Call, arguments: dict[str, Any] | ServiceFailure, shown: Any
) -> tuple[dict[str, Any], Any]:
    """Call the operation; (boto3's response, the task result). Raises StatesError (quoting
    the Parameters ``shown`` when they do not fit the API)."""
    from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

    integration = call.integration
    try:
        if isinstance(arguments, ServiceFailure):
            raise arguments
        if integration is not None and integration.service == "sqs":
            _check_queue_host(arguments.get("QueueUrl"), clients.mode, integration.naming.prefix)
        client = clients.client(call.operation.service)
        response = _call_client(clients, client, call, arguments)
        result = _result(call, response, arguments)
    except ClientError as exc:
        raise _service_error(call, ServiceFailure.of(exc))
    except ServiceFailure as failure:
        raise _service_error(call, failure)
    except ParamValidationError as exc:
        raise unusable_parameters(shown, _validation_report(exc))
    except (BotoCoreError, OSError) as exc:
        raise client_failure(call.error_prefix, exc)
    return response, result


def _call_client(
    clients: AwsClients, client: Any, call: _Call, arguments: dict[str, Any]
) -> dict[str, Any]:
    """The boto3 call. In the embedded AWS the service runs in this process: an exception it
    raises is the service failing (an HTTP 500 over the wire), not the engine."""
    from botocore.exceptions import BotoCoreError, ClientError

    method = getattr(client, call.operation.method)
    if clients.mode is not AwsMode.MOTO:
        return method(**arguments)
    try:
        return method(**arguments)
    except (BotoCoreError, ClientError):
        raise
    except Exception as exc:
        raise ServiceFailure(
            "InternalFailure", f"the embedded AWS failed: {type(exc).__name__}: {exc}", 500
        ) from exc


def _result(call: _Call, response: dict[str, Any], arguments: dict[str, Any]) -> Any:
    integration = call.integration
    timestamps = shapes.iso_instant if integration is None else shapes.epoch_millis
    result = shapes.to_result(response, call.operation.output_shape, timestamps)
    parity.drop_unasked(call.key, arguments, result)
    if integration is None:
        return result
    if integration.metadata:
        result.update(shapes.http_metadata(response.get("ResponseMetadata") or {}))
    if integration.finish is not None:
        return integration.finish(result)
    return result


def _service_error(call: _Call, failure: ServiceFailure) -> StatesError:
    if call.integration is not None:
        return optimized_error(failure, call.integration.naming, call.operation.errors)
    return sdk_error(failure, call.operation.java, call.operation.errors)


def _validation_report(exc: Any) -> str:
    report = str(exc.kwargs.get("report") or exc) if hasattr(exc, "kwargs") else str(exc)
    return " ".join(line.strip() for line in report.splitlines() if line.strip())


def _check_queue_host(url: Any, mode: AwsMode, prefix: str) -> None:
    """SQS: the Java SDK 1.x sends a queue's requests to its QueueUrl, so a host that does not
    resolve fails before any response, as on AWS (hosts of AWS's own domains are not looked up:
    they resolve on AWS, and the embedded AWS answers them without a network)."""
    if not isinstance(url, str):
        return
    host = urllib.parse.urlsplit(url).hostname
    if not host or host.endswith(_AWS_DOMAINS):
        return
    try:
        socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise unresolvable_host(prefix, host, exc.strerror or str(exc)) from None
    except UnicodeError:
        raise unresolvable_host(prefix, host, "not a valid host name") from None


__all__ = [
    "AwsRoute",
    "Unanswered",
    "cannot_wait",
    "not_recognized",
    "operation_of",
    "unanswered_message",
    "unanswered_states",
]
