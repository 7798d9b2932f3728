"""Local Python functions standing in for AWS Lambda functions.

``--lambda NAME=module:function`` registers a handler; it is called as the Lambda Python runtime
calls it, ``handler(event, context)``, on a worker thread. Requests and results are shaped by
:mod:`.lambda_shapes`, the code the boto3 route (:mod:`.lambda_aws`) shares, so a local handler
and the deployed function give the same task results and errors.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from runtime.handlers import calls
from runtime.handlers.loading import ConfigurationError, load_callable
from runtime.tasks.lambda_shapes import (
    INVOKE_ARN,
    LEGACY_ARN,
    FunctionRef,
    HttpMeta,
    LambdaCall,
    failure,
    lambda_call,
    not_found,
    service_response,
    shape,
    task_result,
)

DEFAULT_TIMEOUT_SECONDS = 900  # Lambda's maximum, when the task sets no TimeoutSeconds

LambdaHandler = Callable[[Any, "LambdaContext"], Any]


@dataclass(slots=True)
class LambdaContext:
    """The ``context`` argument, with the attributes the Lambda Python runtime provides."""

    function_name: str
    invoked_function_arn: str
    aws_request_id: str
    function_version: str = "$LATEST"
    memory_limit_in_mb: str = "128"
    log_group_name: str = ""
    log_stream_name: str = ""
    identity: Any = None
    client_context: Any = None
    deadline: float = field(default=0.0, repr=False)  # time.monotonic() when time runs out

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))

    @classmethod
    def for_call(cls, ref: FunctionRef, request_id: str, timeout: float | None) -> LambdaContext:
        return cls(
            function_name=ref.name,
            invoked_function_arn=ref.arn(),
            aws_request_id=request_id,
            log_group_name=f"/aws/lambda/{ref.name}",
            log_stream_name=f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}",
            deadline=time.monotonic() + (timeout or DEFAULT_TIMEOUT_SECONDS),
        )


class LambdaFunctions:
    """The ``--lambda NAME_OR_ARN=module:function`` registry."""

    def __init__(self, specs: Mapping[str, str | LambdaHandler]) -> None:
        self._entries: list[tuple[FunctionRef, LambdaHandler]] = []
        for key, spec in specs.items():
            ref = FunctionRef.parse(key)
            if ref is None:
                raise ConfigurationError(
                    f"--lambda {key}=...: {key!r} is not a Lambda function name, ARN or partial "
                    "ARN (for example my-function, my-function:prod or "
                    "arn:aws:lambda:us-east-1:123456789012:function:my-function)."
                )
            if isinstance(spec, str):
                handler = load_callable(spec, purpose=f"--lambda {key}={spec}")
            elif callable(spec):
                handler = spec
            else:
                raise ConfigurationError(
                    f"--lambda {key}: expected 'module:function' or a callable, "
                    f"got {type(spec).__name__}."
                )
            self._entries.append((ref, handler))

    def __bool__(self) -> bool:
        return bool(self._entries)

    def find(self, ref: FunctionRef) -> LambdaHandler | None:
        """The handler registered for ``ref``; the most specific registration wins."""
        best: tuple[int, LambdaHandler] | None = None
        for registered, handler in self._entries:
            if registered.covers(ref) and (best is None or registered.specificity > best[0]):
                best = (registered.specificity, handler)
        return best[1] if best else None


# --- running ---------------------------------------------------------------------------------


async def invoke(handler: LambdaHandler, call: LambdaCall, timeout: float | None) -> Any:
    """Run ``handler`` for ``call`` and return the task result AWS would record."""
    if call.invocation_type == "DryRun":
        return service_response(None, "", HttpMeta(str(uuid.uuid4()), status=204))
    request_id = str(uuid.uuid4())
    context = LambdaContext.for_call(call.ref, request_id, timeout)
    run = calls.in_thread(
        calls.call, handler, (call.event, context), request_id, name=f"lambda-{call.ref.name}"
    )
    if call.invocation_type == "Event":
        _background(run)
        return service_response(None, "", HttpMeta(request_id, status=202))
    outcome = await run
    if outcome.raised is not None:
        raise outcome.raised
    if outcome.error is not None:
        raise failure(outcome.error, call)
    assert outcome.body is not None
    return task_result(outcome.body, call, HttpMeta(request_id))


_PENDING: set[Any] = set()


def _background(run: Any) -> None:
    """Let an ``InvocationType: Event`` call finish on its own; its outcome is dropped."""
    task = asyncio.ensure_future(run)
    _PENDING.add(task)
    task.add_done_callback(_PENDING.discard)


__all__ = [
    "INVOKE_ARN",
    "LEGACY_ARN",
    "FunctionRef",
    "LambdaCall",
    "LambdaContext",
    "LambdaFunctions",
    "failure",
    "invoke",
    "lambda_call",
    "not_found",
    "service_response",
    "shape",
]
