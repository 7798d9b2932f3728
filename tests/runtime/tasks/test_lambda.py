"""The --lambda route: matching, both resource forms, AWS's result and failure shapes."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest

from runtime.tasks import ConfigurationError, build_dispatch
from tests.runtime.tasks import handlers
from tests.runtime.tasks.support import HANDLERS, INVOKE, LEGACY, fails, request, run

ARN = LEGACY + "orders"

# registered key, how the task names the function, whether the key answers it
MATCHING = [
    ("orders", {"legacy": ARN}, True),
    ("orders", {"FunctionName": "orders"}, True),
    ("orders", {"FunctionName": "orders:prod"}, True),
    ("orders", {"FunctionName": ARN}, True),
    ("orders", {"FunctionName": "222222222222:function:orders"}, True),
    ("orders", {"FunctionName": "other"}, False),
    ("orders:prod", {"FunctionName": "orders:prod"}, True),
    ("orders:prod", {"FunctionName": "orders", "Qualifier": "prod"}, True),
    ("orders:prod", {"legacy": ARN + ":prod"}, True),
    ("orders:prod", {"FunctionName": "orders"}, False),
    ("orders:$LATEST", {"FunctionName": "orders"}, True),
    (ARN, {"FunctionName": "orders"}, True),
    (ARN, {"legacy": ARN}, True),
    (ARN, {"FunctionName": ARN + ":live"}, True),
    ("arn:aws:lambda:eu-west-1:111111111111:function:orders", {"FunctionName": "orders"}, False),
    ("111111111111:function:orders", {"FunctionName": ARN}, True),
    ("111111111111:function:orders", {"FunctionName": "orders"}, True),
    ("222222222222:function:orders", {"FunctionName": "orders"}, False),
]


def _call(dispatch, target: dict):
    if "legacy" in target:
        return run(dispatch, target["legacy"], {"x": 1})
    return run(dispatch, INVOKE, {**target, "Payload": {"x": 1}})["Payload"]


@pytest.mark.parametrize(("key", "target", "answers"), MATCHING)
def test_matching(key, target, answers):
    dispatch = build_dispatch(lambdas={key: f"{HANDLERS}:echo"})
    if answers:
        assert _call(dispatch, target) == {"x": 1}
    else:
        with pytest.raises(Exception) as info:
            _call(dispatch, target)
        assert info.value.error == "Lambda.ResourceNotFoundException"


def test_most_specific_registration_wins():
    dispatch = build_dispatch(
        lambdas={"orders": lambda e, c: "plain", "orders:prod": lambda e, c: "prod"}
    )
    assert run(dispatch, INVOKE, {"FunctionName": "orders:prod"})["Payload"] == "prod"
    assert run(dispatch, INVOKE, {"FunctionName": "orders"})["Payload"] == "plain"


def test_invoke_response_shape():
    dispatch = build_dispatch(lambdas={"orders": f"{HANDLERS}:echo"})
    result = run(dispatch, INVOKE, {"FunctionName": "orders", "Payload": {"id": 7}})
    assert list(result) == [
        "ExecutedVersion",
        "Payload",
        "SdkHttpMetadata",
        "SdkResponseMetadata",
        "StatusCode",
    ]
    assert result["ExecutedVersion"] == "$LATEST"
    assert result["Payload"] == {"id": 7}
    assert result["StatusCode"] == 200
    http = result["SdkHttpMetadata"]
    assert http["HttpStatusCode"] == 200
    request_id = result["SdkResponseMetadata"]["RequestId"]
    uuid.UUID(request_id)
    assert http["HttpHeaders"]["x-amzn-RequestId"] == request_id
    assert http["HttpHeaders"]["Content-Length"] == str(len(json.dumps({"id": 7})))
    assert set(http["AllHttpHeaders"]) == set(http["HttpHeaders"])
    assert all(isinstance(v, list) for v in http["AllHttpHeaders"].values())


# Payload parameter -> the event the function receives (echo returns it)
PAYLOADS = [
    ({}, {}),  # no Payload: Lambda passes {}
    ({"Payload": {"a": [1, 2]}}, {"a": [1, 2]}),
    ({"Payload": None}, {}),  # null: no body, as AWS recorded (teststate base_lambda_service)
    ({"Payload": '"HelloWorld"'}, "HelloWorld"),  # a string payload is JSON text
    ({"Payload": "0.0"}, 0.0),
    ({"Payload": "[1, 2]"}, [1, 2]),
]


@pytest.mark.parametrize(("params", "event"), PAYLOADS)
def test_invoke_payloads(params, event):
    dispatch = build_dispatch(lambdas={"orders": f"{HANDLERS}:echo"})
    assert run(dispatch, INVOKE, {"FunctionName": "orders", **params})["Payload"] == event


def test_invoke_payload_that_is_not_json():
    dispatch = build_dispatch(lambdas={"orders": f"{HANDLERS}:echo"})
    error = fails(dispatch, INVOKE, {"FunctionName": "orders", "Payload": "hello"})
    assert error.error == "Lambda.InvalidRequestContentException"


@pytest.mark.parametrize("params", [None, {}, {"FunctionName": 3}, {"FunctionName": ""}])
def test_invoke_without_function_name(params):
    dispatch = build_dispatch(lambdas={"orders": f"{HANDLERS}:echo"})
    assert fails(dispatch, INVOKE, params).error == "Lambda.InvalidParameterValueException"


# handler, result of the legacy form
RESULTS = [
    (f"{HANDLERS}:echo", {"x": 1}),
    (f"{HANDLERS}:returns_tuple", {"pair": [1, 2], "amount": 2.5, "count": 3}),
    (lambda e, c: b'"HelloWorld!"', "HelloWorld!"),  # bytes are the raw response body
    (lambda e, c: b"not json", "not json"),
    (lambda e, c: None, None),
]


@pytest.mark.parametrize(("handler", "expected"), RESULTS)
def test_legacy_results(handler, expected):
    dispatch = build_dispatch(lambdas={"orders": handler})
    assert run(dispatch, ARN, {"x": 1}) == expected


# resource form, handler, error, errorMessage prefix, separator style
FAILURES = [
    ("legacy", "reject", "OrderRejected", "order 7 rejected", ", "),
    ("service", "reject", "OrderRejected", "order 7 rejected", ","),
    (
        "legacy",
        "returns_set",
        "Runtime.MarshalError",
        "Unable to marshal response: Object of type set is not JSON serializable",
        ", ",
    ),
    ("service", "returns_set", "Runtime.MarshalError", "Unable to marshal response", ","),
    ("service", "exits", "Runtime.ExitError", "RequestId: ", ","),
]


@pytest.mark.parametrize(("form", "handler", "error", "message", "separator"), FAILURES)
def test_failures(form, handler, error, message, separator):
    dispatch = build_dispatch(lambdas={"orders": f"{HANDLERS}:{handler}"})
    if form == "legacy":
        failure = fails(dispatch, ARN, {"id": 7})
    else:
        failure = fails(dispatch, INVOKE, {"FunctionName": "orders", "Payload": {"id": 7}})
    assert failure.error == error
    cause = json.loads(failure.cause)
    assert list(cause) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert cause["errorType"] == error
    assert cause["errorMessage"].startswith(message)
    uuid.UUID(cause["requestId"])
    assert failure.cause.startswith('{"errorMessage":' + (" " if separator == ", " else "") + '"')
    if handler == "reject":
        first, last = cause["stackTrace"][0], cause["stackTrace"][-1]
        assert "handlers.py" in first and "in reject" in first  # our own frames are dropped
        assert "raise OrderRejected" in last


def test_context_object():
    dispatch = build_dispatch(lambdas={"orders": f"{HANDLERS}:describe_context"})
    result = run(dispatch, INVOKE, {"FunctionName": "orders:prod"}, timeout=10)["Payload"]
    assert result["function_name"] == "orders"
    assert result["function_version"] == "$LATEST"
    assert result["invoked_function_arn"] == ARN + ":prod"
    assert result["memory_limit_in_mb"] == "128"
    assert result["log_group_name"] == "/aws/lambda/orders"
    assert "[$LATEST]" in result["log_stream_name"]
    uuid.UUID(result["aws_request_id"])
    assert 9000 < result["remaining"] <= 10000


@pytest.mark.parametrize(
    ("resource", "params", "task"),
    [(ARN, {}, ARN), (INVOKE, {"FunctionName": "orders"}, "lambda")],
)
def test_result_over_payload_quota(resource, params, task):
    dispatch = build_dispatch(lambdas={"orders": f"{HANDLERS}:large"})
    failure = fails(dispatch, resource, params)
    assert failure.error == "States.DataLimitExceeded"
    assert failure.cause == (
        f"The state/task '{task}' returned a result with a size exceeding the maximum number "
        "of bytes service limit."
    )


def test_unknown_function_cause():
    failure = fails(build_dispatch(), INVOKE, {"FunctionName": "missing"})
    assert failure.error == "Lambda.ResourceNotFoundException"
    assert failure.cause.startswith(
        "Function not found: arn:aws:lambda:us-east-1:111111111111:function:missing:$LATEST "
        "(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: "
    )
    assert failure.cause.endswith("; Proxy: null)")  # exactly AWS's words: users assert on them
    legacy = fails(build_dispatch(), ARN + ":live", {})
    assert legacy.cause.startswith(f"Function not found: {ARN}:live (Service: AWSLambda;")


def test_handlers_overlap():
    dispatch = build_dispatch(lambdas={"orders": f"{HANDLERS}:sleepy"})

    async def both():
        return await asyncio.gather(
            dispatch(request(ARN, {"seconds": 0.4, "n": 1})),
            dispatch(request(INVOKE, {"FunctionName": "orders", "Payload": {"seconds": 0.4}})),
        )

    started = time.monotonic()
    legacy, service = asyncio.run(both())
    assert time.monotonic() - started < 0.75
    assert legacy == {"seconds": 0.4, "n": 1}
    assert service["Payload"] == {"seconds": 0.4}


def test_timed_out_handler_does_not_hold_the_loop():
    dispatch = build_dispatch(lambdas={"orders": f"{HANDLERS}:sleepy"})

    async def timed():
        await asyncio.wait_for(dispatch(request(ARN, {"seconds": 3})), 0.2)

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        asyncio.run(timed())
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(("invocation_type", "status"), [("Event", 202), ("DryRun", 204)])
def test_invocation_types(invocation_type, status):
    dispatch = build_dispatch(lambdas={"orders": f"{HANDLERS}:echo"})
    result = run(dispatch, INVOKE, {"FunctionName": "orders", "InvocationType": invocation_type})
    assert result["StatusCode"] == status
    assert result["Payload"] is None


def test_wait_for_task_token_returns_the_handler_result():
    dispatch = build_dispatch(lambdas={"orders": f"{HANDLERS}:echo"})
    resource = INVOKE + ".waitForTaskToken"
    assert run(dispatch, resource, {"FunctionName": "orders", "Payload": {"a": 1}}) == {"a": 1}


def test_lambda_resource_names_a_registered_handler():
    dispatch = build_dispatch(lambdas={"orders": handlers.echo})
    assert run(dispatch, "lambda:orders", {"a": 1}) == {"a": 1}


@pytest.mark.parametrize(
    ("lambdas", "fragment"),
    [
        ({"not a name!": f"{HANDLERS}:echo"}, "is not a Lambda function name"),
        ({"orders": 42}, "expected 'module:function' or a callable"),
        ({"orders": "no_such_module_xyz:f"}, "cannot import module 'no_such_module_xyz'"),
    ],
)
def test_bad_registrations(lambdas, fragment):
    with pytest.raises(ConfigurationError, match=fragment.replace("(", r"\(")):
        build_dispatch(lambdas=lambdas)
