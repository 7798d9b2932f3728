"""--bind: exact resources and Lambda functions rewired to local targets."""

from __future__ import annotations

import json
import sys

import pytest

from runtime.tasks import ConfigurationError, build_dispatch
from tests.runtime.tasks.support import HANDLERS, INVOKE, LEGACY, fails, run

ECHO_STDIN = "program:" + json.dumps(
    [sys.executable, "-c", "import json,sys; print(json.dumps({'stdin': json.load(sys.stdin)}))"]
)

# bindings, resource, parameters, result (for lambda:invoke: its Payload)
ROUTES = [
    # an exact resource string: the target gets the effective input, its result is returned
    (
        {"arn:aws:states:::sqs:sendMessage": f"python:{HANDLERS}:send_message"},
        "arn:aws:states:::sqs:sendMessage",
        {"QueueUrl": "q", "MessageBody": "hi"},
        {"MessageId": "m-1", "Body": "hi"},
    ),
    (
        {"arn:aws:states:::ecs:runTask.sync": "lambda:runner"},
        "arn:aws:states:::ecs:runTask.sync",
        {"Cluster": "c"},
        {"Cluster": "c"},
    ),
    (
        {"arn:aws:states:::batch:submitJob.sync": ECHO_STDIN},
        "arn:aws:states:::batch:submitJob.sync",
        {"JobName": "j"},
        {"stdin": {"JobName": "j"}},
    ),
    # a Lambda function, by name: legacy form gets the raw result...
    ({"orders": f"python:{HANDLERS}:wrap"}, LEGACY + "orders", {"id": 1}, {"wrapped": {"id": 1}}),
    # ...lambda:invoke gets the Payload and its result is shaped as the Invoke response
    (
        {"orders": f"python:{HANDLERS}:wrap"},
        INVOKE,
        {"FunctionName": "orders", "Payload": {"id": 1}},
        {"wrapped": {"id": 1}},
    ),
    (
        {LEGACY + "orders": ECHO_STDIN},
        INVOKE,
        {"FunctionName": LEGACY + "orders:prod", "Payload": [1]},
        {"stdin": [1]},
    ),
    (
        {"prod-orders": "lambda:runner"},
        INVOKE,
        {"FunctionName": "prod-orders", "Payload": {"id": 2}},
        {"id": 2},
    ),
    (
        {"prod-orders": "lambda:runner"},
        LEGACY + "prod-orders",
        {"id": 3},
        {"id": 3},
    ),
    # resource to resource: drop .waitForTaskToken, call the function directly
    (
        {INVOKE + ".waitForTaskToken": INVOKE},
        INVOKE + ".waitForTaskToken",
        {"FunctionName": "runner", "Payload": {"id": 4}},
        {"id": 4},
    ),
]


@pytest.mark.parametrize(("bindings", "resource", "params", "expected"), ROUTES)
def test_routes(bindings, resource, params, expected):
    dispatch = build_dispatch(lambdas={"runner": f"{HANDLERS}:echo"}, bindings=bindings)
    result = run(dispatch, resource, params)
    if resource.startswith(INVOKE) and "FunctionName" in params:
        assert result["StatusCode"] == 200
        assert set(result["SdkHttpMetadata"]["HttpHeaders"]) >= {"Content-Length", "Date"}
        result = result["Payload"]
    assert result == expected


def test_lambda_alias_keeps_the_invoke_failure_shape():
    dispatch = build_dispatch(
        lambdas={"runner": f"{HANDLERS}:reject"}, bindings={"prod-orders": "lambda:runner"}
    )
    failure = fails(dispatch, INVOKE, {"FunctionName": "prod-orders", "Payload": {"id": 9}})
    assert failure.error == "OrderRejected"
    assert failure.cause.startswith('{"errorMessage":"order 9 rejected"')


def test_binding_beats_a_registered_handler():
    dispatch = build_dispatch(
        lambdas={"orders": f"{HANDLERS}:echo"}, bindings={"orders": f"python:{HANDLERS}:wrap"}
    )
    assert run(dispatch, LEGACY + "orders", 1) == {"wrapped": 1}


def test_mock_beats_a_binding():
    config = {
        "StateMachines": {"M": {"TestCases": {"T": {"Task": "R"}}}},
        "MockedResponses": {"R": {"0": {"Return": "mocked"}}},
    }
    dispatch = build_dispatch(
        bindings={"orders": f"python:{HANDLERS}:wrap"}, mock_config=config, test_case="T"
    )
    assert run(dispatch, LEGACY + "orders", 1, state="Task") == "mocked"
    assert run(dispatch, LEGACY + "orders", 1, state="Other") == {"wrapped": 1}


def test_target_failures_keep_their_own_errors():
    dispatch = build_dispatch(bindings={"orders": f"python:{HANDLERS}:reject"})
    failure = fails(dispatch, INVOKE, {"FunctionName": "orders", "Payload": {"id": 5}})
    assert failure.error == "OrderRejected"
    assert json.loads(failure.cause)["errorMessage"] == "order 5 rejected"


# bindings, fragment of the ConfigurationError
INVALID = [
    ({"orders": "lambda:missing"}, "no --lambda handler is registered for 'missing'"),
    ({"orders": "python:no_such_module_xyz:f"}, "cannot import module 'no_such_module_xyz'"),
    ({"orders": f"python:{HANDLERS}:nope"}, "has no attribute 'nope'"),
    ({"orders": "program:"}, "the command is empty"),
    ({"orders": 'program:["a", 1]'}, "must be a non-empty array of strings"),
    ({"orders": "program:[oops"}, "is not a valid JSON array"),
    ({"orders": ""}, "both RESOURCE and TARGET must be given"),
    ({"": f"python:{HANDLERS}:wrap"}, "both RESOURCE and TARGET must be given"),
]


@pytest.mark.parametrize(("bindings", "fragment"), INVALID)
def test_invalid_bindings(bindings, fragment):
    with pytest.raises(ConfigurationError) as info:
        build_dispatch(bindings=bindings)
    assert fragment in str(info.value)
    assert str(info.value).startswith("--bind ")
