"""``apigateway:invoke`` against a server on 127.0.0.1 that records each request (the
``ApiEndpoint`` given as ``http://127.0.0.1:PORT``, as local runs allow): the URL built from
Stage, Path and QueryParameters, headers and body as AWS sends them, the result, the errors
``ApiGateway.<status>``, SigV4 signing with the execution's credentials, and
``.waitForTaskToken``."""

from __future__ import annotations

import json
import socket
import threading
from typing import Any

import pytest

import runtime
from runtime.callbacks import current_hub
from runtime.tasks import ConfigurationError, build_dispatch
from tests.callbacks.conftest import wait_until
from tests.runtime.http_task.conftest import Endpoint
from tests.support.moto_server import MotoServer

INVOKE = "arn:aws:states:::apigateway:invoke"


def machine(parameters: dict[str, Any], resource: str = INVOKE, **fields: Any) -> dict[str, Any]:
    task = {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True}
    return {"StartAt": "Call", "States": {"Call": {**task, **fields}}}


def test_a_call_with_stage_path_headers_query_and_body(endpoint: Endpoint) -> None:
    endpoint.answer("/prod/bills/add", 200, {"added": True}, headers={"X-Trace": "t1"})
    parameters = {
        "ApiEndpoint": endpoint.url,
        "Method": "POST",
        "Stage": "prod",
        "Path": "/bills/add",
        "Headers": {"key": ["value1", "value2"], "Single": "one"},
        "QueryParameters": {"billId": ["123", "456"], "page": ["1"]},
        "RequestBody": {"billId": "my-new-bill", "note": None, "lines": [{"n": 1, "x": None}]},
        "AuthType": "NO_AUTH",
    }
    result = runtime.execute(machine(parameters), {})  # no --aws: NO_AUTH needs no AWS
    assert result.status == "SUCCEEDED", result.cause
    [seen] = endpoint.requests
    assert (seen.method, seen.path) == ("POST", "/prod/bills/add")
    assert seen.query == [("billId", "123"), ("billId", "456"), ("page", "1")]
    assert (seen.headers["key"], seen.headers["single"]) == ("value1, value2", "one")
    assert seen.headers["content-type"] == "application/json"
    assert "authorization" not in seen.headers
    assert json.loads(seen.body) == {"billId": "my-new-bill", "lines": [{"n": 1}]}  # no nulls
    output = result.output
    assert (output["StatusCode"], output["StatusText"]) == (200, "OK")
    assert output["ResponseBody"] == {"added": True}
    assert output["Headers"]["X-Trace"] == ["t1"]


def test_allow_null_values_keeps_them(endpoint: Endpoint) -> None:
    endpoint.answer("/items", 200, "text", headers={"Content-Type": "text/plain"})
    parameters = {
        "ApiEndpoint": endpoint.url,
        "Method": "PUT",
        "Path": "items",
        "RequestBody": {"note": None},
        "AllowNullValues": True,
    }
    result = runtime.execute(machine(parameters), {})
    assert result.status == "SUCCEEDED", result.cause
    assert json.loads(endpoint.requests[0].body) == {"note": None}
    assert result.output["ResponseBody"] == '"text"'  # not JSON: kept as text


def test_a_status_outside_2xx_fails_with_apigateway_status(endpoint: Endpoint) -> None:
    endpoint.answer("/prod/secret", 403, {"message": "Missing Authentication Token"})
    definition = machine(
        {"ApiEndpoint": endpoint.url, "Method": "GET", "Stage": "prod", "Path": "secret"},
        Catch=[{"ErrorEquals": ["ApiGateway.403"], "Next": "Denied"}],
    )
    definition["States"]["Denied"] = {"Type": "Pass", "End": True}
    result = runtime.execute(definition, {})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {
        "Error": "ApiGateway.403",
        "Cause": '{"message": "Missing Authentication Token"}',
    }


def test_no_answer_fails_with_sdk_client_exception() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = runtime.execute(
        machine({"ApiEndpoint": f"http://127.0.0.1:{port}", "Method": "GET"}), {}
    )
    assert (result.status, result.error) == ("FAILED", "ApiGateway.SdkClientException")
    assert (result.cause or "").startswith("Unable to execute HTTP request:")


@pytest.mark.parametrize(
    ("parameters", "problem"),
    [
        ({"Headers": {"X-Amz-Date": ["x"]}}, "the header 'X-Amz-Date' cannot be set"),
        ({"Headers": {"Authorization": ["x"]}}, "the header 'Authorization' cannot be set"),
        ({"AuthType": "IAM_AUTH"}, "AuthType must be one of NO_AUTH, IAM_ROLE, RESOURCE_POLICY"),
        ({"Method": "TRACE"}, "Method must be one of"),
        ({"Url": "x"}, 'The field "Url" is not supported by Step Functions'),
        ({"AuthType": "IAM_ROLE"}, "run with --aws moto|aws"),
    ],
)
def test_parameters_aws_refuses(
    endpoint: Endpoint, parameters: dict[str, Any], problem: str
) -> None:
    result = runtime.execute(
        machine({"ApiEndpoint": endpoint.url, "Method": "GET", **parameters}), {}, aws="off"
    )
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert problem in (result.cause or "")
    assert endpoint.requests == []


@pytest.mark.parametrize("auth", ["IAM_ROLE", "RESOURCE_POLICY"])
def test_iam_role_signs_with_the_execution_credentials(
    moto_env: MotoServer, endpoint: Endpoint, auth: str
) -> None:
    endpoint.answer("/prod/pets", 200, [])
    parameters = {"ApiEndpoint": endpoint.url, "Method": "GET", "Stage": "prod", "Path": "pets"}
    result = runtime.execute(machine({**parameters, "AuthType": auth}), {}, aws="aws")
    assert result.status == "SUCCEEDED", result.cause
    signature = endpoint.requests[0].headers["authorization"]
    assert signature.startswith("AWS4-HMAC-SHA256 Credential=testing/")
    assert "/us-east-1/execute-api/aws4_request, SignedHeaders=" in signature
    assert "host" in signature.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert "x-amz-date" in endpoint.requests[0].headers


def test_iam_role_signs_as_the_role_credentials_name(
    moto_env: MotoServer, endpoint: Endpoint
) -> None:
    moto_env.client("iam").create_role(RoleName="Caller", AssumeRolePolicyDocument="{}")
    endpoint.answer("/pets", 200, [])
    definition = machine(
        {"ApiEndpoint": endpoint.url, "Method": "GET", "Path": "pets", "AuthType": "IAM_ROLE"},
        Credentials={"RoleArn": "arn:aws:iam::111111111111:role/Caller"},
    )
    result = runtime.execute(definition, {}, aws="aws")
    assert result.status == "SUCCEEDED", result.cause
    headers = endpoint.requests[0].headers
    assert not headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/")
    assert "x-amz-security-token" in headers  # the role's session credentials


def test_wait_for_task_token_sends_the_token_and_waits(endpoint: Endpoint) -> None:
    endpoint.answer("/prod/approve", 202, {"queued": True})
    definition = machine(
        {
            "ApiEndpoint": endpoint.url,
            "Method": "POST",
            "Stage": "prod",
            "Path": "approve",
            "Headers": {"TaskToken.$": "States.Array($$.Task.Token)"},
            "RequestBody": {"billId": "b1"},
        },
        resource=INVOKE + ".waitForTaskToken",
    )
    results: list[Any] = []
    run = threading.Thread(target=lambda: results.append(runtime.execute(definition, {})))
    run.start()
    wait_until(lambda: endpoint.requests, 30, "the API call")
    token = endpoint.requests[0].headers["tasktoken"]
    current_hub().send_task_success(token, json.dumps({"approved": True}))
    run.join(30)
    [result] = results
    assert (result.status, result.output) == ("SUCCEEDED", {"approved": True})
    submitted = [e for e in result.history if e["type"] == "TaskSubmitted"]
    assert json.loads(submitted[0]["taskSubmittedEventDetails"]["output"])["StatusCode"] == 202


def test_asl_run_preflight_accepts_it_without_aws_and_refuses_sync() -> None:
    dispatch = build_dispatch(aws="off")
    resources = [("Call", INVOKE), ("Wait", INVOKE + ".waitForTaskToken")]
    assert dispatch.preflight(resources, strict=True) == []
    with pytest.raises(ConfigurationError, match=r"is not recognized.*not \.sync"):
        dispatch.preflight([("Job", INVOKE + ".sync")], strict=True)
