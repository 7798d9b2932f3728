"""Local Python functions standing in for AWS Lambda functions, with the shapes AWS records.

Two resource forms reach a function:

* legacy ``arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]``: the event is the task's
  effective input and the result is the function's return value;
* ``arn:aws:states:::lambda:invoke`` with ``{"FunctionName", "Payload"}``: the result is the
  Lambda Invoke response (``Payload``, ``StatusCode``, ``ExecutedVersion``, ``SdkHttpMetadata``,
  ``SdkResponseMetadata``).

A failing function fails the task with the exception's class name as the error and the Lambda
Python runtime's error object (``errorMessage``, ``errorType``, ``requestId``, ``stackTrace``) as
the cause, written compactly for ``lambda:invoke`` and with spaces for the legacy form, as AWS
recorded them.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any

from asl._errors import StatesError
from runtime._driver import ACCOUNT, REGION
from runtime._interpreter import TaskRequest
from runtime.tasks import _calls
from runtime.tasks._loading import ConfigurationError, load_callable

LEGACY_ARN = re.compile(
    r"^arn:[^:]+:lambda:(?P<region>[^:]*):(?P<account>[^:]*):function:(?P<name>[^:]+)"
    r"(?::(?P<qualifier>[^:]+))?$"
)
INVOKE_ARN = re.compile(r"^arn:[^:]+:states:::lambda:invoke(?P<wait>\.waitForTaskToken)?$")
_PARTIAL_ARN = re.compile(
    r"^(?P<account>\d{12}):function:(?P<name>[^:]+)(?::(?P<qualifier>[^:]+))?$"
)
_NAME = re.compile(r"^(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[A-Za-z0-9_$-]+))?$")
DEFAULT_TIMEOUT_SECONDS = 900  # Lambda's maximum, when the task sets no TimeoutSeconds

LambdaHandler = Callable[[Any, "LambdaContext"], Any]


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A Lambda function as a definition names it: name, ARN or partial ARN, maybe qualified."""

    name: str
    qualifier: str | None = None
    region: str | None = None
    account: str | None = None

    @classmethod
    def parse(cls, text: str) -> FunctionRef | None:
        """The reference ``text`` spells, or None when it is not a function name or ARN."""
        for pattern in (LEGACY_ARN, _PARTIAL_ARN, _NAME):
            match = pattern.match(text)
            if match:
                parts = match.groupdict()
                return cls(
                    parts["name"],
                    parts.get("qualifier"),
                    parts.get("region") or None,
                    parts.get("account") or None,
                )
        return None

    def arn(self, *, qualified: bool = True) -> str:
        base = (
            f"arn:aws:lambda:{self.region or REGION}:{self.account or ACCOUNT}:function:{self.name}"
        )
        return f"{base}:{self.qualifier}" if qualified and self.qualifier else base

    def covers(self, other: FunctionRef) -> bool:
        """Whether this (registered) reference matches ``other`` (a requested one)."""
        return (
            self.name == other.name
            and self.region in (None, other.region or REGION)
            and self.account in (None, other.account or ACCOUNT)
            and self.qualifier in (None, other.qualifier or "$LATEST")
        )

    @property
    def specificity(self) -> int:
        return sum(x is not None for x in (self.qualifier, self.region, self.account))


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


# --- requests --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LambdaCall:
    """A task request addressed to a Lambda function, in either resource form."""

    ref: FunctionRef
    event: Any
    service: bool  # lambda:invoke (True) or the legacy function ARN (False)
    wait_for_token: bool = False
    invocation_type: str = "RequestResponse"
    resource: str = ""  # the legacy resource as the definition wrote it

    @property
    def task_name(self) -> str:
        """How AWS names the task in a DataLimitExceeded cause."""
        return "lambda" if self.service else self.resource or self.ref.arn()


def lambda_call(request: TaskRequest) -> LambdaCall | None:
    """The Lambda call ``request`` makes, or None when its resource is not a Lambda form."""
    if LEGACY_ARN.match(request.resource):
        ref = FunctionRef.parse(request.resource)
        assert ref is not None
        return LambdaCall(ref, request.parameters, service=False, resource=request.resource)
    invoke = INVOKE_ARN.match(request.resource)
    if not invoke:
        return None
    params = request.parameters if isinstance(request.parameters, dict) else {}
    name = params.get("FunctionName")
    if not isinstance(name, str) or not name:
        raise StatesError(
            "Lambda.InvalidParameterValueException",
            "lambda:invoke needs a FunctionName string in its Parameters (or Arguments).",
        )
    ref = FunctionRef.parse(name) or FunctionRef(name)
    qualifier = params.get("Qualifier")
    if isinstance(qualifier, str) and qualifier:
        ref = replace(ref, qualifier=qualifier)
    return LambdaCall(
        ref,
        _event(params),
        service=True,
        wait_for_token=bool(invoke["wait"]),
        invocation_type=str(params.get("InvocationType") or "RequestResponse"),
    )


def _event(params: dict[str, Any]) -> Any:
    """The event a function receives: ``Payload``, with a string payload read as JSON text."""
    if "Payload" not in params:
        return {}
    payload = params["Payload"]
    if not isinstance(payload, str):
        return payload
    try:
        return json.loads(payload)
    except ValueError as exc:
        raise StatesError(
            "Lambda.InvalidRequestContentException",
            f"Could not parse request body into json: {exc} (Service: AWSLambda; Status Code: "
            f"400; Error Code: InvalidRequestContentException; Request ID: {uuid.uuid4()}; "
            "Proxy: null)",
        )


# --- running ---------------------------------------------------------------------------------


async def invoke(handler: LambdaHandler, call: LambdaCall, timeout: float | None) -> Any:
    """Run ``handler`` for ``call`` and return the task result AWS would record."""
    if call.invocation_type == "DryRun":
        return service_response(None, "", str(uuid.uuid4()), status=204)
    request_id = str(uuid.uuid4())
    context = LambdaContext.for_call(call.ref, request_id, timeout)
    run = _calls.in_thread(
        _calls.call, handler, (call.event, context), request_id, name=f"lambda-{call.ref.name}"
    )
    if call.invocation_type == "Event":
        _background(run)
        return service_response(None, "", request_id, status=202)
    outcome = await run
    if outcome.raised is not None:
        raise outcome.raised
    if outcome.error is not None:
        raise failure(outcome.error, call)
    assert outcome.body is not None
    _calls.check_size(outcome.body, call.task_name)
    value = _calls.unmarshal(outcome.body)
    if not call.service or call.wait_for_token:
        return value
    return service_response(value, outcome.body, request_id)


def failure(error: dict[str, Any], call: LambdaCall) -> StatesError:
    """The task failure for a function error, its cause worded as AWS records it."""
    separators = (",", ":") if call.service else (", ", ": ")
    cause = json.dumps(error, separators=separators, ensure_ascii=False)
    return StatesError(str(error.get("errorType") or "Lambda.Unknown"), cause)


def shape(value: Any, call: LambdaCall) -> Any:
    """A result produced by some other route, shaped as this Lambda form returns it."""
    if not call.service or call.wait_for_token:
        return value
    body = _calls.marshal(value)
    return service_response(value, body, str(uuid.uuid4()))


def service_response(
    payload: Any, body: str, request_id: str, *, status: int = 200
) -> dict[str, Any]:
    """The ``lambda:invoke`` result: the Invoke response in the shape AWS records."""
    length = str(len(body.encode()))
    date = formatdate(usegmt=True)
    trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"
    return {
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "X-Amz-Executed-Version": ["$LATEST"],
                "x-amzn-Remapped-Content-Length": ["0"],
                "Connection": ["keep-alive"],
                "x-amzn-RequestId": [request_id],
                "Content-Length": [length],
                "Date": [date],
                "X-Amzn-Trace-Id": [trace],
                "Content-Type": ["application/json"],
            },
            "HttpHeaders": {
                "Connection": "keep-alive",
                "Content-Length": length,
                "Content-Type": "application/json",
                "Date": date,
                "X-Amz-Executed-Version": "$LATEST",
                "x-amzn-Remapped-Content-Length": "0",
                "x-amzn-RequestId": request_id,
                "X-Amzn-Trace-Id": trace,
            },
            "HttpStatusCode": status,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": status,
    }


def not_found(call: LambdaCall) -> StatesError:
    """The failure for a function no local handler stands in for, worded exactly as AWS's."""
    arn = call.ref.arn(qualified=False)
    return StatesError(
        "Lambda.ResourceNotFoundException",
        f"Function not found: {arn}:{call.ref.qualifier or '$LATEST'} (Service: AWSLambda; "
        f"Status Code: 404; Error Code: ResourceNotFoundException; Request ID: "
        f"{uuid.uuid4()}; Proxy: null)",
    )


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
