"""What a Task sends to a Lambda function and what it gets back, as AWS records both.

Shared by the local-handler route (:mod:`.lambda_local`) and the boto3 route (:mod:`.lambda_aws`),
so both give the same results and errors. Two resource forms reach a function:

* legacy ``arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]``: the event is the task's
  effective input and the result is the function's return value;
* ``arn:aws:states:::lambda:invoke`` with ``{"FunctionName", "Payload"}``: the result is the
  Lambda Invoke response (``Payload``, ``StatusCode``, ``ExecutedVersion``, ``SdkHttpMetadata``,
  ``SdkResponseMetadata``).

A function error fails the task with the error object's ``errorType`` as the error and the
object itself (``errorMessage``, ``errorType``, ``requestId``, ``stackTrace``) as the cause,
written compactly for ``lambda:invoke`` and with spaces for the legacy form, as AWS recorded
them. A Lambda service error becomes ``Lambda.<ErrorCode>`` with the Java SDK's wording.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from email.utils import formatdate
from typing import Any

from asl.errors import StatesError
from runtime.core.arns import ACCOUNT, REGION
from runtime.core.interpreter import TaskRequest
from runtime.handlers import calls
from runtime.tasks.aws.shapes import http_metadata

LEGACY_ARN = re.compile(
    r"^arn:[^:]+:lambda:(?P<region>[^:]*):(?P<account>[^:]*):function:(?P<name>[^:]+)"
    r"(?::(?P<qualifier>[^:]+))?$"
)
INVOKE_ARN = re.compile(r"^arn:[^:]+:states:::lambda:invoke(?P<wait>\.waitForTaskToken)?$")
_PARTIAL_ARN = re.compile(
    r"^(?P<account>\d{12}):function:(?P<name>[^:]+)(?::(?P<qualifier>[^:]+))?$"
)
_NAME = re.compile(r"^(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[A-Za-z0-9_$-]+))?$")


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

    def arn(self, *, qualified: bool = True, region: str | None = None) -> str:
        """The function's ARN; the engine's region and account stand in for missing parts."""
        where = self.region or region or REGION
        base = f"arn:aws:lambda:{where}:{self.account or ACCOUNT}:function:{self.name}"
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


@dataclass(frozen=True, slots=True)
class LambdaCall:
    """A task request addressed to a Lambda function, in either resource form."""

    ref: FunctionRef
    event: Any
    service: bool  # lambda:invoke (True) or the legacy function ARN (False)
    wait_for_token: bool = False
    invocation_type: str = "RequestResponse"
    resource: str = ""  # the legacy resource as the definition wrote it
    options: tuple[tuple[str, str], ...] = ()  # lambda:invoke's LogType and ClientContext

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
    options = tuple(
        (key, params[key])
        for key in ("LogType", "ClientContext")
        if isinstance(params.get(key), str) and params[key]
    )
    return LambdaCall(
        ref,
        _event(params),
        service=True,
        wait_for_token=bool(invoke["wait"]),
        invocation_type=str(params.get("InvocationType") or "RequestResponse"),
        options=options,
    )


def _event(params: dict[str, Any]) -> Any:
    """The event a function receives: ``Payload``, with a string payload read as JSON text; no
    payload, or ``null``, is ``{}`` (Step Functions sends no body for a null payload)."""
    payload = params.get("Payload")
    if payload is None:
        return {}
    if not isinstance(payload, str):
        return payload
    try:
        return json.loads(payload)
    except ValueError as exc:
        raise service_error(
            "InvalidRequestContentException",
            f"Could not parse request body into json: {exc}",
            400,
            str(uuid.uuid4()),
        )


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HttpMeta:
    """What the Invoke response's HTTP exchange contributes to a ``lambda:invoke`` result."""

    request_id: str
    status: int = 200
    headers: Sequence[tuple[str, str]] | None = None  # as received; None: AWS's usual set
    executed_version: str = "$LATEST"
    log_result: str | None = None


def task_result(body: str, call: LambdaCall, meta: HttpMeta) -> Any:
    """The task result for a function's response ``body`` (JSON text, or raw text)."""
    calls.check_size(body, call.task_name)
    value = calls.unmarshal(body)
    if not call.service or call.wait_for_token:
        return value
    return service_response(value, body, meta)


def shape(value: Any, call: LambdaCall) -> Any:
    """A result produced by some other route, shaped as this Lambda form returns it."""
    if not call.service or call.wait_for_token:
        return value
    body = calls.marshal(value)
    return service_response(value, body, HttpMeta(str(uuid.uuid4())))


def service_response(payload: Any, body: str, meta: HttpMeta) -> dict[str, Any]:
    """The ``lambda:invoke`` result: the Invoke response in the shape AWS records."""
    headers = list(meta.headers) if meta.headers is not None else _usual_headers(body, meta)
    result: dict[str, Any] = {"ExecutedVersion": meta.executed_version}
    if meta.log_result is not None:
        result["LogResult"] = meta.log_result
    result["Payload"] = payload
    exchange = {"RawHeaders": headers, "HTTPStatusCode": meta.status, "RequestId": meta.request_id}
    result.update(http_metadata(exchange))
    result["StatusCode"] = meta.status
    return result


def _usual_headers(body: str, meta: HttpMeta) -> list[tuple[str, str]]:
    """The headers a real Lambda Invoke response carries, for results made without HTTP."""
    trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"
    return [
        ("X-Amz-Executed-Version", meta.executed_version),
        ("x-amzn-Remapped-Content-Length", "0"),
        ("Connection", "keep-alive"),
        ("x-amzn-RequestId", meta.request_id),
        ("Content-Length", str(len(body.encode()))),
        ("Date", formatdate(usegmt=True)),
        ("X-Amzn-Trace-Id", trace),
        ("Content-Type", "application/json"),
    ]


# --- errors ----------------------------------------------------------------------------------


def failure(error: dict[str, Any], call: LambdaCall) -> StatesError:
    """The task failure for a function error, its cause worded as AWS records it."""
    separators = (",", ":") if call.service else (", ", ": ")
    cause = json.dumps(error, separators=separators, ensure_ascii=False)
    return StatesError(str(error.get("errorType") or "Lambda.Unknown"), cause)


def function_failure(body: str, call: LambdaCall) -> StatesError:
    """The task failure for a response Lambda marked with ``X-Amz-Function-Error``."""
    value = calls.unmarshal(body)
    if isinstance(value, dict):
        return failure(value, call)
    return failure({"errorMessage": value if isinstance(value, str) else body}, call)


def service_error(
    exception: str, message: str, status: int, request_id: str, *, code: str | None = None
) -> StatesError:
    """A Lambda service error as Step Functions reports it: ``Lambda.<exception>``, SDK wording.

    ``exception`` is the SDK's exception name (``ResourceNotFoundException``, or
    ``AWSLambdaException`` for an error the Lambda API does not model); ``code`` is the error code
    on the wire when it differs.
    """
    return StatesError(
        f"Lambda.{exception}",
        f"{message} (Service: AWSLambda; Status Code: {status}; Error Code: {code or exception}; "
        f"Request ID: {request_id}; Proxy: null)",
    )


def not_found_message(ref: FunctionRef, region: str | None = None) -> str:
    """Lambda's message for a function that does not exist."""
    arn = ref.arn(qualified=False, region=region)
    return f"Function not found: {arn}:{ref.qualifier or '$LATEST'}"


def not_found(call: LambdaCall) -> StatesError:
    """The failure for a function nothing stands in for, worded exactly as AWS's."""
    return service_error(
        "ResourceNotFoundException", not_found_message(call.ref), 404, str(uuid.uuid4())
    )


__all__ = [
    "INVOKE_ARN",
    "LEGACY_ARN",
    "FunctionRef",
    "HttpMeta",
    "LambdaCall",
    "failure",
    "function_failure",
    "lambda_call",
    "not_found",
    "not_found_message",
    "service_error",
    "service_response",
    "shape",
    "task_result",
]
