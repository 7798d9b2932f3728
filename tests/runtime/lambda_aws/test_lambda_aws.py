"""The boto3 Lambda route over real HTTP: routing, shapes shared with local handlers, errors."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest

from runtime import execute
from runtime.cli import main
from runtime.tasks import ConfigurationError, build_dispatch
from tests.runtime.tasks import handlers
from tests.runtime.tasks.support import INVOKE, LEGACY, fails, run
from tests.support.lambda_server import LambdaServer

ORDERS_ARN = LEGACY + "orders"


@pytest.fixture
def aws(lambda_server: LambdaServer) -> Any:
    """A dispatcher sending every unhandled function to the endpoint, which serves ``orders``
    (echo) and ``reject`` (raises OrderRejected)."""
    lambda_server.add("orders", handlers.echo)
    lambda_server.add("reject", handlers.reject)
    return build_dispatch(aws_lambda=True)


def _local() -> Any:
    return build_dispatch(lambdas={"orders": handlers.echo, "reject": handlers.reject})


# -- one piece of code for both routes -----------------------------------------------------------


def _skeleton(value: Any) -> Any:
    """``value`` with the per-call parts (ids, dates, trace ids) blanked."""
    if isinstance(value, dict):
        volatile = {"x-amzn-RequestId", "Date", "X-Amzn-Trace-Id", "RequestId"}
        return {k: "*" if k in volatile else _skeleton(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_skeleton(v) for v in value]
    return value


@pytest.mark.parametrize(
    ("resource", "parameters"),
    [
        (ORDERS_ARN, {"id": 7, "note": "é"}),
        (INVOKE, {"FunctionName": "orders", "Payload": {"id": 7, "note": "é"}}),
        (INVOKE, {"FunctionName": ORDERS_ARN, "Payload": '"HelloWorld"'}),
        (INVOKE, {"FunctionName": "orders"}),
    ],
)
def test_results_match_the_local_route(aws: Any, resource: str, parameters: Any) -> None:
    assert _skeleton(run(aws, resource, parameters)) == _skeleton(
        run(_local(), resource, parameters)
    )


@pytest.mark.parametrize(
    ("resource", "parameters", "separator"),
    [
        (LEGACY + "reject", {"id": 5}, '", "'),
        (INVOKE, {"FunctionName": "reject", "Payload": {"id": 5}}, '","'),
    ],
)
def test_function_errors_match_the_local_route(
    aws: Any, resource: str, parameters: Any, separator: str
) -> None:
    remote, local = fails(aws, resource, parameters), fails(_local(), resource, parameters)
    assert remote.error == local.error == "OrderRejected"
    remote_cause, local_cause = json.loads(remote.cause), json.loads(local.cause)
    assert list(remote_cause) == list(local_cause)
    assert remote_cause["errorMessage"] == local_cause["errorMessage"] == "order 5 rejected"
    assert separator in remote.cause and separator in local.cause


def test_result_over_the_payload_quota(aws: Any, lambda_server: LambdaServer) -> None:
    lambda_server.add("big", lambda event, context: "x" * (257 * 1024))
    error = fails(aws, INVOKE, {"FunctionName": "big"})
    assert error.error == "States.DataLimitExceeded"


# -- Lambda service errors -----------------------------------------------------------------------


def _cause_pattern(message: str, status: int, code: str) -> str:
    return (
        re.escape(f"{message} (Service: AWSLambda; Status Code: {status}; Error Code: {code}; ")
        + r"Request ID: [0-9a-f-]{36}; Proxy: null\)"
    )


def test_unknown_function_has_aws_wording(aws: Any) -> None:
    for resource, params in [
        (INVOKE, {"FunctionName": "missing"}),
        (LEGACY + "missing", {}),
        (INVOKE, {"FunctionName": "missing", "Qualifier": "prod"}),
    ]:
        error = fails(aws, resource, params)
        qualifier = params.get("Qualifier", "$LATEST")
        message = (
            "Function not found: arn:aws:lambda:us-east-1:111111111111:function:missing:"
            f"{qualifier}"
        )
        assert error.error == "Lambda.ResourceNotFoundException"
        assert re.fullmatch(_cause_pattern(message, 404, "ResourceNotFoundException"), error.cause)
        local = fails(build_dispatch(), resource, params)
        assert local.error == error.error
        assert local.cause.split(" (")[0] == error.cause.split(" (")[0]


@pytest.mark.parametrize(
    ("status", "code", "message", "error"),
    [
        (500, "ServiceException", "internal", "Lambda.ServiceException"),
        (403, "AccessDeniedException", "not allowed", "Lambda.AWSLambdaException"),
        (502, "EC2UnexpectedException", "ec2", "Lambda.EC2UnexpectedException"),
        (413, "RequestTooLargeException", "too big", "Lambda.RequestTooLargeException"),
        (503, "SomethingNew", "new", "Lambda.AWSLambdaException"),
    ],
)
def test_service_errors(
    aws: Any, lambda_server: LambdaServer, status: int, code: str, message: str, error: str
) -> None:
    lambda_server.fail("orders", status, code, message)
    failure = fails(aws, INVOKE, {"FunctionName": "orders"})
    assert failure.error == error
    assert re.fullmatch(_cause_pattern(message, status, code), failure.cause)


def test_throttling_is_not_retried_by_the_sdk(aws: Any, lambda_server: LambdaServer) -> None:
    lambda_server.throttle("orders")
    failure = fails(aws, INVOKE, {"FunctionName": "orders"})
    assert failure.error == "Lambda.TooManyRequestsException"
    assert re.fullmatch(
        _cause_pattern("Rate Exceeded.", 429, "TooManyRequestsException"), failure.cause
    )
    assert len(lambda_server.invocations) == 1


def test_configured_sdk_retries_are_kept(
    lambda_server: LambdaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    lambda_server.add("orders", handlers.echo)
    lambda_server.throttle("orders")
    dispatch = build_dispatch(aws_lambda=True)
    assert run(dispatch, ORDERS_ARN, {"ok": 1}) == {"ok": 1}
    assert len(lambda_server.invocations) == 2


def test_retry_in_the_definition_handles_throttling(lambda_server: LambdaServer) -> None:
    lambda_server.add("orders", handlers.echo)
    lambda_server.throttle("orders", times=2)
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": ORDERS_ARN,
                "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "MaxAttempts": 3}],
                "End": True,
            }
        },
    }
    result = execute(definition, {"n": 1}, time_skip=True, bind={"orders": "aws:lambda"})
    assert (result.status, result.output) == ("SUCCEEDED", {"n": 1})
    assert len(lambda_server.invocations) == 3
    failed = [e for e in result.events if e.type == "LambdaFunctionFailed"]
    assert [e.details["error"] for e in failed] == ["Lambda.TooManyRequestsException"] * 2


def test_unreachable_endpoint(monkeypatch: pytest.MonkeyPatch, lambda_server: LambdaServer) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:9")
    failure = fails(build_dispatch(aws_lambda=True), INVOKE, {"FunctionName": "orders"})
    assert failure.error == "Lambda.SdkClientException"
    assert failure.cause.startswith("Unable to execute HTTP request: ")


def test_missing_credentials(monkeypatch: pytest.MonkeyPatch, lambda_server: LambdaServer) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    failure = fails(build_dispatch(aws_lambda=True), INVOKE, {"FunctionName": "orders"})
    assert failure.error == "Lambda.SdkClientException"
    assert "Unable to load AWS credentials" in failure.cause
    assert lambda_server.invocations == []


# -- what is sent --------------------------------------------------------------------------------


def test_invoke_arguments_reach_lambda(aws: Any, lambda_server: LambdaServer) -> None:
    client_context = base64.b64encode(b'{"custom": {"a": 1}}').decode()
    result = run(
        aws,
        INVOKE,
        {
            "FunctionName": ORDERS_ARN,
            "Qualifier": "live",
            "Payload": {"id": 1},
            "LogType": "Tail",
            "ClientContext": client_context,
        },
    )
    (call,) = lambda_server.invocations
    assert (call.function, call.qualifier, call.event) == (ORDERS_ARN, "live", {"id": 1})
    assert call.headers["X-Amz-Client-Context"] == client_context
    assert base64.b64decode(result["LogResult"]).startswith(b"START RequestId:")
    assert list(result)[:3] == ["ExecutedVersion", "LogResult", "Payload"]


def test_partial_arn_and_name_with_qualifier(aws: Any, lambda_server: LambdaServer) -> None:
    run(aws, INVOKE, {"FunctionName": "111111111111:function:orders:prod", "Payload": 1})
    run(aws, LEGACY + "orders:v2", 2)
    calls = [(c.function, c.qualifier, c.event) for c in lambda_server.invocations]
    assert calls == [("111111111111:function:orders", "prod", 1), (ORDERS_ARN, "v2", 2)]


def test_region_comes_from_the_function_arn(aws: Any, lambda_server: LambdaServer) -> None:
    arn = "arn:aws:lambda:eu-west-1:111111111111:function:orders"
    assert run(aws, arn, {"a": 1}) == {"a": 1}
    run(aws, INVOKE, {"FunctionName": "orders"})
    scopes = [
        re.search(r"Credential=\w+/\d+/([\w-]+)/", c.headers["Authorization"])
        for c in lambda_server.invocations
    ]
    assert [m.group(1) for m in scopes if m] == ["eu-west-1", "us-east-1"]


@pytest.mark.parametrize(("kind", "status"), [("Event", 202), ("DryRun", 204)])
def test_asynchronous_and_dry_run_invocations(
    aws: Any, lambda_server: LambdaServer, kind: str, status: int
) -> None:
    result = run(aws, INVOKE, {"FunctionName": "orders", "InvocationType": kind})
    assert (result["StatusCode"], result["Payload"]) == (status, None)
    assert result["SdkHttpMetadata"]["HttpStatusCode"] == status
    assert [c.invocation_type for c in lambda_server.invocations] == [kind]


# -- choosing local handlers or AWS --------------------------------------------------------------


def test_local_by_default(lambda_server: LambdaServer) -> None:
    lambda_server.add("orders", handlers.echo)
    assert fails(build_dispatch(), ORDERS_ARN, {}).error == "Lambda.ResourceNotFoundException"
    assert lambda_server.invocations == []


def test_asl_lambda_aws_sends_unhandled_functions(
    lambda_server: LambdaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    lambda_server.add("orders", handlers.echo)
    monkeypatch.setenv("ASL_LAMBDA", "aws")
    dispatch = build_dispatch(lambdas={"local-one": lambda event, context: "local"})
    assert run(dispatch, ORDERS_ARN, {"a": 1}) == {"a": 1}
    assert run(dispatch, LEGACY + "local-one", {}) == "local"  # a --lambda handler still wins
    assert [c.function for c in lambda_server.invocations] == [ORDERS_ARN]
    assert dispatch.preflight([("S", ORDERS_ARN)]) == []


def test_bind_to_aws_lambda_wins_over_a_local_handler(lambda_server: LambdaServer) -> None:
    lambda_server.add("orders", handlers.echo)
    lambda_server.add("orders-v2", lambda event, context: {"v2": event})
    dispatch = build_dispatch(
        lambdas={"orders": lambda event, context: "local", "other": handlers.echo},
        bindings={"orders": "aws:lambda", "other": "aws:lambda:orders-v2"},
    )
    assert run(dispatch, ORDERS_ARN, 1) == 1
    assert run(dispatch, INVOKE, {"FunctionName": "other:blue", "Payload": 2})["Payload"] == {
        "v2": 2
    }
    calls = [(c.function, c.qualifier) for c in lambda_server.invocations]
    assert calls == [(ORDERS_ARN, None), ("orders-v2", "blue")]


@pytest.mark.parametrize(
    ("env", "bindings", "message"),
    [
        ("yes", {}, "ASL_LAMBDA='yes'"),
        ("", {"orders": "aws:lambda:not a name"}, "not a Lambda function name"),
    ],
)
def test_bad_selection_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, env: str, bindings: dict[str, str], message: str
) -> None:
    monkeypatch.setenv("ASL_LAMBDA", env)
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        build_dispatch(bindings=bindings)


def test_asl_run_with_asl_lambda_aws(
    lambda_server: LambdaServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lambda_server.add("orders", handlers.echo)
    monkeypatch.setenv("ASL_LAMBDA", "aws")
    monkeypatch.setenv("ASL_STORE", str(tmp_path / "store.sqlite3"))
    machine = tmp_path / "m.json"
    machine.write_text(
        json.dumps(
            {
                "StartAt": "Call",
                "States": {
                    "Call": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": "orders", "Payload.$": "$"},
                        "OutputPath": "$.Payload",
                        "End": True,
                    }
                },
            }
        )
    )
    code = main(["run", str(machine), "--input", '{"id": 3}'])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out) == {"id": 3}
    assert captured.err == ""
