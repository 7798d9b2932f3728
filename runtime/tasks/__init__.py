"""Task dispatch: which local code answers each Task state's resource.

:func:`build_dispatch` checks its configuration up front and returns a :class:`TaskDispatcher`,
the async callable the driver invokes once per task attempt. A request is answered by, in order:

1. a mock, when the selected mock test case names the request's state;
2. a ``--bind`` for the exact resource string;
3. the resource's own route: the Lambda forms (a ``--bind`` for the function, else its
   ``--lambda`` handler, else boto3 when AWS calls are on), ``python:module:function``,
   ``program:run``, ``lambda:NAME``, Step Functions' own integrations (nested executions,
   activities, task tokens, ``aws-sdk:sfn``), the HTTP Task, and every other AWS service
   integration through boto3 (:mod:`runtime.tasks.aws`), as the ``--aws`` switch says.

Anything else fails the task with ``States.Runtime`` and a cause that says how to bind it.
See ``docs/tasks.md`` and ``docs/aws-services.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from asl.errors import RUNTIME
from runtime.core.interpreter import TaskRequest
from runtime.handlers.loading import ConfigurationError
from runtime.tasks import (
    activity,
    callback,
    http_invoke,
    lambda_aws,
    lambda_local,
    nested,
    program,
    propagation,
    python,
    sfn_api,
)
from runtime.tasks.aws import AwsMode, resolve_mode
from runtime.tasks.aws.route import AwsRoute, Unanswered, unanswered_states
from runtime.tasks.bindings import LAMBDA_PREFIX, Bindings, Target
from runtime.tasks.celery import PREFIX as CELERY_PREFIX
from runtime.tasks.lambda_local import FunctionRef, LambdaCall, LambdaContext, LambdaFunctions
from runtime.tasks.mock import MockConfig, MockResponder

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class TaskDispatcher:
    """Routes task requests to mocks, bindings, local Lambda handlers, functions and programs."""

    def __init__(
        self,
        *,
        functions: LambdaFunctions,
        bindings: Bindings,
        pythons: python.PythonFunctions,
        mocks: MockResponder | None = None,
        aws: AwsMode = AwsMode.OFF,
    ) -> None:
        self._functions = functions
        self._bindings = bindings
        self._pythons = pythons
        self._mocks = mocks
        services = self._services = AwsRoute(aws)  # AWS integrations, as --aws says
        # the Lambda route reads the clients through the route, not self: no reference cycle
        self._aws_lambda = lambda_aws.AwsLambda(lambda: services.clients)
        self._fleet: Any = None  # the celery: route, made on first use

    @property
    def aws(self) -> AwsMode:
        """Where AWS calls go (``--aws``)."""
        return self._services.mode

    async def __call__(self, request: TaskRequest) -> Any:
        if self._mocks is not None and self._mocks.handles(request):
            return self._mocks.respond(request)
        with propagation.attached(request):  # traced: the attempt's span is the current one
            target = self._bindings.exact(request.resource)
            if target is not None:
                return await self._run_target(target, request, request.parameters)
            return await self._route(request, bound=True)

    async def submit(self, request: TaskRequest) -> Any:
        """Run the integration behind a ``.waitForTaskToken`` task: its result, or
        ``callback.UNANSWERED`` when nothing local answers that resource."""
        target = self._bindings.exact(request.resource)
        if target is not None:
            return await self._run_target(target, request, request.parameters)
        try:
            return await self._route(request, bound=True)
        except Unanswered:
            return callback.UNANSWERED

    def owns_timeout(self, request: TaskRequest) -> bool:
        """Whether the route enforces ``TimeoutSeconds`` itself, from stored times (callbacks,
        activities, nested executions, ``.sync`` jobs), so the driver does not."""
        if self._mocks is not None and self._mocks.handles(request):
            return False
        if self._bindings.exact(request.resource) is not None:
            return False
        return (
            callback.handles(request)
            or activity.handles(request.resource)
            or nested.handles(request.resource)
            or self._services.owns_timeout(request)
        )

    def preflight(self, tasks: Iterable[tuple[str, str]], *, strict: bool = False) -> list[str]:
        """Check ``(state name, resource)`` pairs before running.

        Raises :class:`ConfigurationError` for ``python:`` resources that cannot be imported,
        ``program:`` resources other than ``program:run`` and AWS integrations AWS does not
        know; returns warnings for resources nothing answers. ``strict``: a Task naming an AWS
        service that nothing answers because AWS calls are off is an error too (``asl run``
        fails fast on it; a ``.waitForTaskToken`` one only warns: it still waits for its token).
        """
        errors: list[str] = []
        warnings: list[str] = []
        blocked: list[tuple[str, str]] = []
        for state, resource in tasks:
            if self._mocks is not None and state in self._mocks.case.states:
                continue
            if self._bindings.exact(resource) is not None:
                continue
            try:
                problem = self._check(resource)
            except ConfigurationError as exc:
                errors.append(f"state {state!r}: {exc}")
                continue
            if problem and strict and self._services.blocks(resource):
                blocked.append((state, resource))
            elif problem:
                warnings.append(f"state {state!r}: {problem}")
        if blocked:
            errors.append(unanswered_states(blocked))
        if errors:
            raise ConfigurationError("\n".join(errors))
        return warnings

    @property
    def fleet(self) -> Any:
        """The ``celery:`` route, a :class:`runtime.tasks.celery.CeleryDispatch` (settable)."""
        if self._fleet is None:
            from runtime.tasks.celery import CeleryDispatch

            self._fleet = CeleryDispatch()
        return self._fleet

    @fleet.setter
    def fleet(self, route: Any) -> None:
        self._fleet = route

    # --- routing ------------------------------------------------------------------------------

    async def _route(self, request: TaskRequest, *, bound: bool) -> Any:
        resource = request.resource
        if callback.handles(request):
            if self._services.handles(resource):
                self._services.refuse_unknown(resource)
            return await callback.run(request, self.submit)
        if activity.handles(resource):
            return await activity.run(request)
        if nested.handles(resource):
            return await nested.run(request)
        if callback.is_sdk_call(resource):
            return await callback.sdk_call(request)
        if sfn_api.handles(resource):
            return await sfn_api.run(request)
        call = lambda_local.lambda_call(request)
        if call is not None:
            return await self._lambda(call, request, bound)
        if resource.startswith(python.PREFIX):
            return await self._pythons.run(resource, request.parameters, request.heartbeat_seconds)
        if resource == program.RESOURCE:
            return await program.run(program.from_parameters(request.parameters))
        if resource.startswith(LAMBDA_PREFIX):
            name = resource[len(LAMBDA_PREFIX) :]
            call = LambdaCall(
                FunctionRef.parse(name) or FunctionRef(name), request.parameters, service=False
            )
            return await self._lambda(call, request, bound=False)
        if resource.startswith(CELERY_PREFIX):
            return await self.fleet(request, resource)
        if http_invoke.handles(resource):
            off = self._services.mode is AwsMode.OFF
            return await http_invoke.run(request, None if off else self._services.clients)
        if self._services.handles(resource):
            return await self._services.run(request)
        raise Unanswered(RUNTIME, self._unroutable(resource))

    async def _lambda(self, call: LambdaCall, request: TaskRequest, bound: bool) -> Any:
        target = self._bindings.for_function(call.ref) if bound else None
        if target is not None and lambda_aws.is_target(target.text):
            function = lambda_aws.target_function(target.text)
            return await self._aws_lambda.invoke(call, function)
        if target is not None and target.kind == "lambda":
            assert target.fn is not None
            return await lambda_local.invoke(target.fn, call, request.timeout_seconds)
        if target is not None:
            result = await self._run_target(target, request, call.event)
            return lambda_local.shape(result, call)
        handler = self._functions.find(call.ref)
        if handler is None and self._services.mode is not AwsMode.OFF:
            return await self._aws_lambda.invoke(call)
        if handler is None:
            raise lambda_local.not_found(call)
        return await lambda_local.invoke(handler, call, request.timeout_seconds)

    async def _run_target(self, target: Target, request: TaskRequest, value: Any) -> Any:
        if target.kind == "python":
            assert target.fn is not None
            return await python.call(target.fn, value, request.heartbeat_seconds)
        if target.kind == "program":
            return await program.run(program.ProgramCall(target.argv, input=value))
        if target.kind == "lambda":
            assert target.fn is not None
            name = target.text[len(LAMBDA_PREFIX) :]
            call = LambdaCall(FunctionRef.parse(name) or FunctionRef(name), value, service=False)
            return await lambda_local.invoke(target.fn, call, request.timeout_seconds)
        rerouted = dataclasses.replace(request, resource=target.text, parameters=value)
        return await self._route(rerouted, bound=False)

    # --- messages ------------------------------------------------------------------------------

    def _unroutable(self, resource: str) -> str:
        if resource.startswith(program.PREFIX):
            return (
                f'Unknown program resource {resource!r}: programs run as "Resource": '
                f'"{program.RESOURCE}" with Parameters {{"Command": ["prog", "arg"]}}.'
            )
        return (
            f"No local handler for resource {resource!r}. Bind one with --bind "
            f"{resource}=python:module:function (or program:COMMAND, or lambda:NAME for a "
            "--lambda handler), or mock the state with --mock-config."
        )

    def _check(self, resource: str) -> str | None:
        """A warning for a resource nothing answers; ConfigurationError for broken ones."""
        if activity.handles(resource) or nested.handles(resource):
            return None
        if callback.is_sdk_call(resource) or sfn_api.handles(resource):
            return None
        if http_invoke.handles(resource):
            return None
        if resource.endswith(callback.WAIT_SUFFIX):
            if self._services.handles(resource):
                self._services.check(resource)  # AWS refuses .waitForTaskToken on some
            base = callback.underlying(resource)
            if self._bindings.exact(base) is not None or nested.handles(base):
                return None
            if self._check(base) is None:
                return None
            return (
                f"nothing local answers {base}; the task only waits for its token "
                "(answer it with `asl task success TOKEN`; `asl task list` shows it)"
            )
        if resource.startswith(CELERY_PREFIX):
            return self.fleet.check(resource)
        if resource.startswith(python.PREFIX):
            self._pythons.resolve(resource)
            return None
        if resource.startswith(program.PREFIX) and resource != program.RESOURCE:
            raise ConfigurationError(self._unroutable(resource))
        if resource == program.RESOURCE or lambda_local.INVOKE_ARN.match(resource):
            return None  # the command / function name comes with each request
        name = None
        if lambda_local.LEGACY_ARN.match(resource):
            name = resource
        elif resource.startswith(LAMBDA_PREFIX):
            name = resource[len(LAMBDA_PREFIX) :]
        if name is not None:
            ref = FunctionRef.parse(name) or FunctionRef(name)
            if (
                self._services.mode is not AwsMode.OFF
                or self._bindings.for_function(ref)
                or self._functions.find(ref)
            ):
                return None
            return (
                f"no local handler for Lambda function {ref.name!r} ({resource}); pass "
                f"--lambda {ref.name}=module:function or --bind {ref.name}=python:module:function"
                ", or call it on AWS with --aws moto|aws."
            )
        if self._services.handles(resource):
            return self._services.check(resource)
        return self._unroutable(resource)


def build_dispatch(
    *,
    lambdas: Mapping[str, str | Callable[..., Any]] = _EMPTY,
    bindings: Mapping[str, str] = _EMPTY,
    mock_config: str | Path | Mapping[str, Any] | None = None,
    test_case: str | None = None,
    state_machine_name: str | None = None,
    aws: str | AwsMode | None = None,
    aws_lambda: bool | None = None,
) -> TaskDispatcher:
    """Build the task dispatcher; raises :class:`ConfigurationError` for a bad configuration.

    ``lambdas`` maps Lambda function names or ARNs to ``module:function`` specs or callables,
    ``bindings`` maps resources to targets, ``mock_config`` is a Step Functions Local mock file
    (path or parsed), whose ``test_case`` for ``state_machine_name`` is used (either may be
    omitted when the file has only one). ``aws`` says where AWS service calls and Lambda
    functions without a local handler or binding go: ``off``, ``moto`` (an embedded AWS,
    started here) or ``aws`` (boto3's configuration); default ``ASL_AWS``, else
    ``ASL_LAMBDA=aws``, else ``off``. ``aws_lambda`` is the older switch: True means ``aws``,
    False ``off``.
    """
    if aws is not None or aws_lambda is None:
        mode = resolve_mode(aws)
    else:
        mode = AwsMode.AWS if aws_lambda else AwsMode.OFF
    lambda_aws.configure(mode, bindings)
    functions = LambdaFunctions(lambdas)
    pythons = python.PythonFunctions()
    table = Bindings(bindings, functions, pythons)
    mocks = None
    if mock_config is not None:
        case = MockConfig.load(mock_config).test_case(state_machine_name, test_case)
        mocks = MockResponder(case)
    elif test_case is not None:
        raise ConfigurationError(f"test case {test_case!r} given without a mock config.")
    return TaskDispatcher(
        functions=functions, bindings=table, pythons=pythons, mocks=mocks, aws=mode
    )


__all__ = [
    "AwsMode",
    "ConfigurationError",
    "LambdaContext",
    "TaskDispatcher",
    "build_dispatch",
]
