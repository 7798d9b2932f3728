"""The --aws switch in-process: what ``off`` does with a Task naming an AWS service, how names
map, and a ``.waitForTaskToken`` over SQS that really sends its message (moto's server)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

import runtime
from runtime.callbacks import current_hub
from runtime.drivers.runner import RunOptions
from runtime.tasks import AwsMode, ConfigurationError, build_dispatch
from runtime.tasks.aws import names, optimized, shapes
from runtime.tasks.aws.route import unanswered_message
from tests.runtime.aws.conftest import World

SEND = "arn:aws:states:::sqs:sendMessage"


def one_task(resource: str, parameters: Any = None) -> dict[str, Any]:
    state = {"Type": "Task", "Resource": resource, "End": True}
    if parameters is not None:
        state["Parameters"] = parameters
    return {"StartAt": "Send", "States": {"Send": state}}


@pytest.mark.parametrize("how", ["argument", "environment", "default"])
def test_off_fails_the_task_naming_the_switch(how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASL_AWS", raising=False)
    monkeypatch.delenv("ASL_LAMBDA", raising=False)
    kwargs: dict[str, Any] = {}
    if how == "argument":
        monkeypatch.setenv("ASL_AWS", "aws")  # the argument wins over the environment
        kwargs["aws"] = "off"
    elif how == "environment":
        monkeypatch.setenv("ASL_AWS", "off")
    result = runtime.execute(one_task(SEND, {"QueueUrl": "q", "MessageBody": "x"}), **kwargs)
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == unanswered_message(SEND)
    for named in ("--aws moto|aws", "--bind", "--mock-config"):
        assert named in result.cause


def test_bind_and_mocks_still_win_per_resource(world: World) -> None:
    bound = runtime.execute(
        one_task(SEND, {"QueueUrl": world.queue, "MessageBody": "x"}),
        aws="aws",
        bind={SEND: "python:json:dumps"},
    )
    assert (bound.status, bound.output) == (
        "SUCCEEDED",
        '{"QueueUrl": "' + world.queue + '", "MessageBody": "x"}',
    )
    mocked = runtime.execute(
        one_task(SEND, {"QueueUrl": world.queue, "MessageBody": "x"}),
        aws="aws",
        state_machine_name="m",
        mock_config={
            "StateMachines": {"m": {"TestCases": {"T": {"Send": "Sent"}}}},
            "MockedResponses": {"Sent": {"0": {"Return": {"MessageId": "mock"}}}},
        },
        test_case="T",
    )
    assert (mocked.status, mocked.output) == ("SUCCEEDED", {"MessageId": "mock"})
    assert world.messages(world.queue) == []  # neither reached the queue


def test_preflight_strict_fails_fast_and_a_wait_for_token_only_warns() -> None:
    dispatch = build_dispatch(aws="off")
    tasks = [("Send", SEND), ("Ask", SEND + ".waitForTaskToken")]
    warnings = dispatch.preflight(tasks)  # asl serve: warnings, the executions fail
    assert len(warnings) == 2 and "AWS calls are off" in warnings[0]
    with pytest.raises(ConfigurationError) as info:
        dispatch.preflight(tasks, strict=True)  # asl run: fail fast
    message = str(info.value)
    assert "state 'Send'" in message and "state 'Ask'" not in message
    assert "--aws moto|aws" in message and "--bind" in message and "--mock-config" in message
    assert dispatch.preflight([("Ask", SEND + ".waitForTaskToken")], strict=True) == [
        "state 'Ask': nothing local answers arn:aws:states:::sqs:sendMessage; the task only "
        "waits for its token (answer it with `asl task success TOKEN`; `asl task list` shows it)"
    ]


def test_preflight_refuses_integrations_aws_does_not_know(world: World) -> None:
    dispatch = build_dispatch(aws="aws")
    assert dispatch.aws is AwsMode.AWS
    assert dispatch.preflight([("Ok", "arn:aws:states:::aws-sdk:sfn:listStateMachines")]) == []
    for resource, hint in [
        ("arn:aws:states:::aws-sdk:logs:describeLogGroups", "names it 'cloudwatchlogs'"),
        ("arn:aws:states:::aws-sdk:dynamodb:putItm", "did you mean 'putItem'?"),
        ("arn:aws:states:::sqs:receiveMessage", "aws-sdk:SERVICE:receiveMessage"),
        ("arn:aws:states:::dynamodb:putItem.waitForTaskToken", "supports request-response"),
        ("arn:aws-cn:states:::aws-sdk:s3:getObject.sync", "not .sync"),
    ]:
        with pytest.raises(ConfigurationError, match=r"is not recognized") as info:
            dispatch.preflight([("Bad", resource)])
        assert hint in str(info.value)


def test_a_sync_job_this_engine_cannot_wait_for_is_refused_before_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from runtime.tasks.aws import route

    monkeypatch.setattr(route.sync, "poller", lambda service, action: None)
    dispatch = build_dispatch(aws="aws")
    with pytest.raises(ConfigurationError, match=r"cannot yet wait for glue:startJobRun jobs"):
        dispatch.preflight([("Job", "arn:aws:states:::glue:startJobRun.sync")])
    assert dispatch.preflight([("Job", "arn:aws:states:::glue:startJobRun")]) == []


@pytest.mark.parametrize(
    ("service_id", "java", "sdk"),
    [
        ("DynamoDB", "DynamoDb", "dynamodb"),
        ("SFN", "Sfn", "sfn"),
        ("Secrets Manager", "SecretsManager", "secretsmanager"),
        ("S3", "S3", "s3"),
        ("CloudWatch Logs", "CloudWatchLogs", "cloudwatchlogs"),
        ("EventBridge", "EventBridge", "eventbridge"),
        ("ApiGatewayV2", "ApiGatewayV2", "apigatewayv2"),
        ("SESv2", "SesV2", "sesv2"),
        ("IoT", "Iot", "iot"),
        ("EC2", "Ec2", "ec2"),
        ("Config Service", "Config", "config"),
        ("Database Migration Service", "DatabaseMigration", "databasemigration"),
        ("Cost Explorer", "CostExplorer", "costexplorer"),
    ],
)
def test_java_sdk_names(service_id: str, java: str, sdk: str) -> None:
    assert (names.java_name(service_id), names.sdk_name(service_id)) == (java, sdk)


@pytest.mark.parametrize(
    ("aws_name", "boto"),
    [
        ("sfn", "stepfunctions"),
        ("cloudwatchlogs", "logs"),
        ("eventbridge", "events"),
        ("apigatewayv2", "apigatewayv2"),
        ("costexplorer", "ce"),
        ("cognitoidentityprovider", "cognito-idp"),
        ("elasticloadbalancingv2", "elbv2"),
        ("bedrockruntime", "bedrock-runtime"),
        ("dynamodb", "dynamodb"),
    ],
)
def test_aws_sdk_service_names_map_to_boto3(aws_name: str, boto: str) -> None:
    assert names.boto_service(aws_name) == boto


def test_resources_parse_in_any_partition() -> None:
    parsed = names.parse("arn:aws-us-gov:states:::aws-sdk:s3:getObject.waitForTaskToken")
    assert parsed is not None
    assert (parsed.partition, parsed.sdk, parsed.service, parsed.action, parsed.pattern) == (
        "aws-us-gov",
        True,
        "s3",
        "getObject",
        ".waitForTaskToken",
    )
    assert parsed.base == "arn:aws-us-gov:states:::aws-sdk:s3:getObject"
    optimized = names.parse("arn:aws:states:::batch:submitJob.sync:2")
    assert optimized is not None and (optimized.sdk, optimized.pattern) == (False, ".sync:2")
    assert names.parse("arn:aws:lambda:us-east-1:111111111111:function:f") is None
    assert names.parse("python:module:function") is None


def test_dispatchers_share_clients_per_aws_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    from runtime.tasks.aws.route import shared_clients

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    first = shared_clients(AwsMode.AWS)
    assert shared_clients(AwsMode.AWS) is first  # runtime.execute in a loop: no new sessions
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2")
    assert shared_clients(AwsMode.AWS) is not first  # another configuration: other clients


def test_the_mode_is_stored_with_the_run_options() -> None:
    options = RunOptions(aws="moto")
    assert RunOptions.from_dict(json.loads(json.dumps(options.to_dict()))).aws == "moto"
    assert RunOptions.from_dict({}).aws is None  # records written before the switch


def test_wait_for_task_token_sends_the_message_and_waits(world: World) -> None:
    definition = one_task(
        SEND + ".waitForTaskToken",
        {"QueueUrl": world.queue, "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.id"}},
    )
    box: dict[str, Any] = {}
    thread = threading.Thread(
        target=lambda: box.setdefault("result", runtime.execute(definition, {"id": 7}, aws="aws"))
    )
    thread.start()
    try:
        message = _receive(world)  # a consumer: reads the queue, answers the token
        body = json.loads(message["Body"])
        assert body["order"] == 7
        current_hub().send_task_success(body["token"], json.dumps({"approved": body["order"]}))
    finally:
        thread.join(30)
    result = box["result"]
    assert (result.status, result.output) == ("SUCCEEDED", {"approved": 7})
    submitted = next(e for e in result.history if e["type"] == "TaskSubmitted")
    output = json.loads(submitted["taskSubmittedEventDetails"]["output"])
    assert output["MessageId"] == message["MessageId"]
    assert output["SdkHttpMetadata"]["HttpStatusCode"] == 200


def _receive(world: World) -> dict[str, Any]:
    for _ in range(20):  # long polls of 1 s; the execution sends at once
        messages = world.messages(world.queue)
        if messages:
            return messages[0]
    raise AssertionError("the message never reached the queue")


@pytest.mark.parametrize("row", optimized.table(), ids=lambda row: f"{row.service}:{row.action}")
def test_every_optimized_integration_names_a_real_operation(row: optimized.Integration) -> None:
    operation = names.operation(row.boto_service, row.operation)
    assert operation.name == row.operation  # the action, as the API spells it
    members = {shapes.pascal(m) for m in operation.input_shape.members}
    if row.translate is None:  # (else the fields are Step Functions' own: EMR)
        assert row.fields is None or row.fields <= members, row.fields - members
    assert row.patterns <= {"", ".sync", ".waitForTaskToken"}
