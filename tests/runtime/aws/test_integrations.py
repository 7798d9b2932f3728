"""AWS service integrations through boto3 against moto's server over real HTTP: one Task state
per case, run by ``runtime.execute(aws="aws")``; results in AWS's shapes, side effects checked
with boto3, errors under AWS's names with AWS's causes (tests/conformance/services)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

import runtime
from tests.runtime.aws.conftest import BUCKET, EVENT_SOURCE, STREAM, TABLE, World

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?Z$")
REQUEST_ID = r"[^;,)]+"
METADATA = {"SdkHttpMetadata", "SdkResponseMetadata"}


def run_task(resource: str, parameters: Any, **state: Any) -> runtime.ExecutionResult:
    task = {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True}
    definition = {"StartAt": "Call", "States": {"Call": {**task, **state}}}
    return runtime.execute(definition, {}, aws="aws")


def check_metadata(output: dict[str, Any]) -> None:
    """SdkHttpMetadata / SdkResponseMetadata as the Java SDK 1.x integrations give them."""
    http = output["SdkHttpMetadata"]
    assert http["HttpStatusCode"] == 200
    assert all(isinstance(v, list) for v in http["AllHttpHeaders"].values())
    assert {k.lower() for k in http["HttpHeaders"]} >= {"content-type", "date"}
    assert http["HttpHeaders"] == {k: ",".join(v) for k, v in http["AllHttpHeaders"].items()}
    request_id = output["SdkResponseMetadata"]["RequestId"]
    headers = {k.lower(): v for k, v in http["HttpHeaders"].items()}
    assert request_id and request_id == headers["x-amzn-requestid"]


@dataclass
class Case:
    """A Task that succeeds: ``check(world, output)`` holds."""

    resource: str
    parameters: Callable[[World], Any]
    check: Callable[[World, Any], None]
    state: dict[str, Any] = field(default_factory=dict)


def _sqs_sent(world: World, output: Any) -> None:
    assert set(output) == {"MD5OfMessageBody", "MessageId", *METADATA}
    check_metadata(output)
    [message] = world.messages(world.queue)
    assert message["Body"] == '{"order":1,"items":["a"]}'  # an object is sent as its JSON text
    assert output["MD5OfMessageBody"] == hashlib.md5(message["Body"].encode()).hexdigest()
    assert output["MessageId"] == message["MessageId"]


def _sns_published(world: World, output: Any) -> None:
    assert set(output) == {"MessageId", *METADATA}
    check_metadata(output)
    [message] = world.messages(world.topic_queue)
    assert json.loads(message["Body"]) == {"shipped": True}


def _dynamodb_put(world: World, output: Any) -> None:
    assert set(output) == METADATA  # PutItem returns nothing else
    check_metadata(output)
    item = world.client("dynamodb").get_item(TableName=TABLE, Key={"id": {"S": "new"}})["Item"]
    assert item == {"id": {"S": "new"}, "total": {"N": "3"}}


def _dynamodb_get(world: World, output: Any) -> None:
    assert set(output) == {"Item", *METADATA}
    assert output["Item"] == {"id": {"S": "old"}, "total": {"N": "7"}}
    check_metadata(output)


def _dynamodb_update(world: World, output: Any) -> None:
    assert output["Attributes"] == {"total": {"N": "8"}}
    assert "ConsumedCapacity" not in output  # AWS reports it only when asked
    check_metadata(output)


def _dynamodb_delete(world: World, output: Any) -> None:
    assert output["Attributes"] == {"id": {"S": "old"}, "total": {"N": "7"}}
    check_metadata(output)
    assert "Item" not in world.client("dynamodb").get_item(
        TableName=TABLE, Key={"id": {"S": "old"}}
    )


def _events_put(world: World, output: Any) -> None:
    assert set(output) == {"Entries", "FailedEntryCount"}  # no SdkHttpMetadata, as on AWS
    assert output["FailedEntryCount"] == 0 and "EventId" in output["Entries"][0]
    [message] = world.messages(world.events_queue)
    event = json.loads(message["Body"])
    assert event["detail"] == {"order": 1}  # an object Detail is sent as its JSON text
    machine = "arn:aws:states:us-east-1:111111111111:stateMachine:machine"
    assert machine in event["resources"]  # the machine and the execution join Resources
    assert any(":execution:machine:" in arn for arn in event["resources"])


def _s3_put(world: World, output: Any) -> None:
    assert "ETag" in output and "ResponseMetadata" not in output
    got = world.client("s3").get_object(Bucket=BUCKET, Key="put.json")
    assert got["Body"].read() == b'"text data"'  # a streamed body is the value's JSON text
    assert got["ContentType"] == "text/plain; charset=UTF-8"


def _s3_get(world: World, output: Any) -> None:
    assert output["Body"] == "text data" and output["ContentLength"] == 9
    assert ISO.match(output["LastModified"]) and output["Metadata"] == {}
    assert output["ETag"] == '"' + hashlib.md5(b"text data").hexdigest() + '"'
    assert not [key for key in output if key.startswith("Checksum")]  # not asked for
    assert not METADATA & set(output) and "ResponseMetadata" not in output


def _s3_list(world: World, output: Any) -> None:
    [entry] = output["Contents"]
    assert (entry["Key"], entry["Size"]) == ("readme.txt", 9) and ISO.match(entry["LastModified"])
    assert (output["KeyCount"], output["Name"]) == (1, BUCKET)
    assert "EncodingType" not in output  # boto3 adds it to the request; AWS's SDK does not


def _dynamodb_plain_values(world: World, output: Any) -> None:
    check_metadata(output)
    item = world.client("dynamodb").get_item(TableName=TABLE, Key={"id": {"S": "plain"}})["Item"]
    assert item == {"id": {"S": "plain"}, "tags": {"SS": ["a", "b"]}, "total": {"N": "1"}}


def _sdk_dynamodb_put(world: World, output: Any) -> None:
    assert output == {}
    item = world.client("dynamodb").get_item(TableName=TABLE, Key={"id": {"S": "sdk"}})["Item"]
    assert item == {"id": {"S": "sdk"}}


def _sdk_dynamodb_get(world: World, output: Any) -> None:
    assert output["Item"] == {"id": {"S": "old"}, "total": {"N": "7"}}
    assert output["ConsumedCapacity"]["TableName"] == TABLE  # asked for: kept


def _secret(world: World, output: Any) -> None:
    assert (output["Name"], output["SecretString"]) == ("db", "s3cr3t")
    assert ISO.match(output["CreatedDate"]) and output["ARN"].startswith("arn:aws:secretsmanager:")


def _ssm_put(world: World, output: Any) -> None:
    assert output["Version"] == 1
    parameter = world.client("ssm").get_parameter(Name="/app/mode")["Parameter"]
    assert parameter["Value"] == "fast"


def _kinesis_put(world: World, output: Any) -> None:
    assert set(output) >= {"ShardId", "SequenceNumber"}
    kinesis = world.client("kinesis")
    iterator = kinesis.get_shard_iterator(
        StreamName=STREAM, ShardId=output["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    [record] = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert record["Data"] == b"hello"  # a blob given as base64 text


def _event_buses(world: World, output: Any) -> None:
    assert "default" in [bus["Name"] for bus in output["EventBuses"]]


def _ecs_cluster(world: World, output: Any) -> None:
    cluster = output["Cluster"]  # ECS's camelCase members, in PascalCase
    assert (cluster["ClusterName"], cluster["Status"]) == ("jobs", "ACTIVE")
    assert cluster["ClusterArn"].endswith(":cluster/jobs")


CLUSTER = {
    "Name": "spark",
    "ReleaseLabel": "emr-6.15.0",
    "Instances": {"InstanceCount": 1, "MasterInstanceType": "m5.xlarge"},
    "JobFlowRole": "EMR_EC2_DefaultRole",
    "ServiceRole": "EMR_DefaultRole",
}
STEP = {"Name": "count", "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["true"]}}


def _emr_cluster(world: World, output: Any) -> None:
    assert output["ClusterId"].startswith(
        "j-"
    )  # RunJobFlow's JobFlowId, as Step Functions names it
    assert "JobFlowId" not in output
    check_metadata(output)
    clusters = world.client("emr").list_clusters()["Clusters"]
    assert [c["Id"] for c in clusters] == [output["ClusterId"]]


def _emr_step_params(world: World) -> dict[str, Any]:
    cluster = world.client("emr").run_job_flow(**CLUSTER)["JobFlowId"]
    return {"ClusterId": cluster, "Step": STEP}


def _emr_step(world: World, output: Any) -> None:
    assert output["StepId"].startswith("s-") and "StepIds" not in output
    [cluster] = world.client("emr").list_clusters()["Clusters"]
    steps = world.client("emr").list_steps(ClusterId=cluster["Id"])["Steps"]
    assert [(s["Id"], s["Name"]) for s in steps] == [(output["StepId"], "count")]


def _log_groups(world: World, output: Any) -> None:
    assert [group["LogGroupName"] for group in output["LogGroups"]] == ["/asl/tests"]


SDK = "arn:aws:states:::aws-sdk:"
CASES: dict[str, Case] = {
    "sqs:sendMessage": Case(
        "arn:aws:states:::sqs:sendMessage",
        lambda w: {"QueueUrl": w.queue, "MessageBody": {"order": 1, "items": ["a"]}},
        _sqs_sent,
    ),
    "sns:publish": Case(
        "arn:aws:states:::sns:publish",
        lambda w: {"TopicArn": w.topic, "Message": {"shipped": True}},
        _sns_published,
    ),
    "dynamodb:putItem": Case(
        "arn:aws:states:::dynamodb:putItem",
        lambda w: {"TableName": TABLE, "Item": {"id": {"S": "new"}, "total": {"N": "3"}}},
        _dynamodb_put,
    ),
    "dynamodb:putItem with plain strings": Case(  # Jackson's AttributeValue(String) on AWS
        "arn:aws:states:::dynamodb:putItem",
        lambda w: {
            "TableName": TABLE,
            "Item": {"id": "plain", "tags": ["a", "b"], "total": {"N": "1"}},
        },
        _dynamodb_plain_values,
    ),
    "dynamodb:getItem": Case(
        "arn:aws:states:::dynamodb:getItem",
        lambda w: {"TableName": TABLE, "Key": {"id": {"S": "old"}}},
        _dynamodb_get,
    ),
    "dynamodb:updateItem": Case(
        "arn:aws:states:::dynamodb:updateItem",
        lambda w: {
            "TableName": TABLE,
            "Key": {"id": {"S": "old"}},
            "UpdateExpression": "SET #t = #t + :one",
            "ExpressionAttributeNames": {"#t": "total"},
            "ExpressionAttributeValues": {":one": {"N": "1"}},
            "ReturnValues": "UPDATED_NEW",
        },
        _dynamodb_update,
    ),
    "dynamodb:deleteItem": Case(
        "arn:aws:states:::dynamodb:deleteItem",
        lambda w: {"TableName": TABLE, "Key": {"id": {"S": "old"}}, "ReturnValues": "ALL_OLD"},
        _dynamodb_delete,
    ),
    "events:putEvents": Case(
        "arn:aws:states:::events:putEvents",
        lambda w: {
            "Entries": [{"Source": EVENT_SOURCE, "DetailType": "order", "Detail": {"order": 1}}]
        },
        _events_put,
    ),
    "elasticmapreduce:createCluster": Case(
        "arn:aws:states:::elasticmapreduce:createCluster", lambda w: CLUSTER, _emr_cluster
    ),
    "elasticmapreduce:addStep": Case(
        "arn:aws:states:::elasticmapreduce:addStep", _emr_step_params, _emr_step
    ),
    "aws-sdk:s3:putObject": Case(
        SDK + "s3:putObject",
        lambda w: {"Bucket": BUCKET, "Key": "put.json", "Body": "text data"},
        _s3_put,
    ),
    "aws-sdk:s3:getObject": Case(
        SDK + "s3:getObject", lambda w: {"Bucket": BUCKET, "Key": "readme.txt"}, _s3_get
    ),
    "aws-sdk:s3:listObjectsV2": Case(
        SDK + "s3:listObjectsV2", lambda w: {"Bucket": BUCKET}, _s3_list
    ),
    "aws-sdk:dynamodb:putItem": Case(
        SDK + "dynamodb:putItem",
        lambda w: {"TableName": TABLE, "Item": {"id": {"S": "sdk"}}},
        _sdk_dynamodb_put,
    ),
    "aws-sdk:dynamodb:getItem": Case(
        SDK + "dynamodb:getItem",
        lambda w: {
            "TableName": TABLE,
            "Key": {"id": {"S": "old"}},
            "ReturnConsumedCapacity": "TOTAL",
        },
        _sdk_dynamodb_get,
    ),
    "aws-sdk:secretsmanager:getSecretValue": Case(
        SDK + "secretsmanager:getSecretValue", lambda w: {"SecretId": "db"}, _secret
    ),
    "aws-sdk:ssm:putParameter": Case(
        SDK + "ssm:putParameter",
        lambda w: {"Name": "/app/mode", "Value": "fast", "Type": "String"},
        _ssm_put,
    ),
    "aws-sdk:kinesis:putRecord": Case(
        SDK + "kinesis:putRecord",
        lambda w: {
            "StreamName": STREAM,
            "PartitionKey": "p",
            "Data": base64.b64encode(b"hello").decode(),
        },
        _kinesis_put,
    ),
    "aws-sdk:eventbridge:listEventBuses": Case(
        SDK + "eventbridge:listEventBuses", lambda w: {}, _event_buses
    ),
    "aws-sdk:ecs:createCluster": Case(
        SDK + "ecs:createCluster", lambda w: {"ClusterName": "jobs"}, _ecs_cluster
    ),
    "aws-sdk:cloudwatchlogs:describeLogGroups": Case(
        SDK + "cloudwatchlogs:describeLogGroups",
        lambda w: w.client("logs").create_log_group(logGroupName="/asl/tests") and {},
        _log_groups,
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_results_in_aws_shapes(world: World, name: str) -> None:
    case = CASES[name]
    result = run_task(case.resource, case.parameters(world), **case.state)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    case.check(world, result.output)


@dataclass
class Failure:
    """A Task that fails with ``error`` and a cause matching ``cause`` (a regex, whole)."""

    resource: str
    parameters: Callable[[World], Any]
    error: str
    cause: str


def _v1(message: str, service: str, status: int, code: str) -> str:
    """A Java SDK 1.x cause (optimized integrations)."""
    return (
        rf"{re.escape(message)} \(Service: {service}; Status Code: {status}; Error Code: "
        rf"{re.escape(code)}; Request ID: {REQUEST_ID}; Proxy: null\)"
    )


def _v2(message: str, service: str, status: int) -> str:
    """A Java SDK 2.x cause (aws-sdk integrations)."""
    details = rf"Service: {service}, Status Code: {status}, Request ID: {REQUEST_ID}"
    return rf"{re.escape(message)} \({details}\)"


NULL_ITEM = (
    "1 validation error detected: Value null at 'item' failed to satisfy constraint: "
    "Member must not be null"
)
FAILURES: dict[str, Failure] = {
    "dynamodb no such table": Failure(
        "arn:aws:states:::dynamodb:putItem",
        lambda w: {"TableName": "no_such_table", "Item": {"id": {"S": "x"}}},
        "DynamoDB.ResourceNotFoundException",
        _v1("Requested resource not found", "AmazonDynamoDBv2", 400, "ResourceNotFoundException"),
    ),
    "dynamodb null item": Failure(
        "arn:aws:states:::dynamodb:putItem",
        lambda w: {"TableName": TABLE, "Item": None},
        "DynamoDB.AmazonDynamoDBException",
        _v1(NULL_ITEM, "AmazonDynamoDBv2", 400, "ValidationException"),
    ),
    "dynamodb unmodeled error": Failure(
        "arn:aws:states:::dynamodb:putItem",
        lambda w: {"TableName": TABLE, "Item": {"total": {"N": "1"}}},
        "DynamoDB.AmazonDynamoDBException",
        r".* \(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ValidationException; "
        rf"Request ID: {REQUEST_ID}; Proxy: null\)",
    ),
    "aws-sdk dynamodb null item": Failure(
        SDK + "dynamodb:putItem",
        lambda w: {"TableName": TABLE, "Item": None},
        "DynamoDb.DynamoDbException",
        _v2(NULL_ITEM, "DynamoDb", 400),
    ),
    "aws-sdk dynamodb plain strings": Failure(  # the Java SDK 2.x has no such shortcut
        SDK + "dynamodb:putItem",
        lambda w: {"TableName": TABLE, "Item": {"id": "plain"}},
        "States.Runtime",
        r".*could not be used to start the Task: \[Invalid type for parameter Item\.id.*\]",
    ),
    "aws-sdk dynamodb unmodeled error": Failure(
        SDK + "dynamodb:putItem",
        lambda w: {"TableName": TABLE, "Item": {"total": {"N": "1"}}},
        "DynamoDb.DynamoDbException",
        rf".* \(Service: DynamoDb, Status Code: 400, Request ID: {REQUEST_ID}\)",
    ),
    "aws-sdk s3 no such key": Failure(
        SDK + "s3:getObject",
        lambda w: {"Bucket": BUCKET, "Key": "no_such_key.json"},
        "S3.NoSuchKeyException",
        _v2("The specified key does not exist.", "S3", 404),
    ),
    "aws-sdk secretsmanager no such secret": Failure(
        SDK + "secretsmanager:getSecretValue",
        lambda w: {"SecretId": "no-such-secret"},
        "SecretsManager.ResourceNotFoundException",
        rf".+ \(Service: SecretsManager, Status Code: 4\d\d, Request ID: {REQUEST_ID}\)",
    ),
    "sqs no such queue": Failure(
        "arn:aws:states:::sqs:sendMessage",
        lambda w: {"QueueUrl": w.queue + "-gone", "MessageBody": "x"},
        "SQS.QueueDoesNotExistException",
        _v1(
            "The specified queue does not exist.",
            "AmazonSQS",
            400,
            "AWS.SimpleQueueService.NonExistentQueue",
        ),
    ),
    "sqs queue host that does not resolve": Failure(
        "arn:aws:states:::sqs:sendMessage",
        lambda w: {"QueueUrl": "http://no-such-queue.invalid", "MessageBody": "x"},
        "SQS.SdkClientException",
        r"Unable to execute HTTP request: no-such-queue\.invalid: .+",
    ),
    "sns no such topic": Failure(
        "arn:aws:states:::sns:publish",
        lambda w: {"TopicArn": w.topic + "-gone", "Message": "x"},
        "SNS.NotFoundException",  # (moto words the message its own way)
        ".+" + _v1("", "AmazonSNS", 404, "NotFound"),
    ),
    "events failed entry": Failure(
        "arn:aws:states:::events:putEvents",
        lambda w: {"Entries": [{"DetailType": "order", "Detail": {"order": 1}}]},
        "EventBridge.FailedEntry",
        r'\{"FailedEntryCount":1,"Entries":\[\{"ErrorCode":"InvalidArgument",.*\]\}',
    ),
    "a field the integration does not accept": Failure(
        "arn:aws:states:::sqs:sendMessage",
        lambda w: {"QueueUrl": w.queue, "MessageBody": "x", "MessageSystemAttributes": {}},
        "States.Runtime",
        r"An error occurred while executing the state 'Call' \(entered at the event id #2\)\. "
        r"The Parameters '.*' could not be used to start the Task: "
        r'\[The field "MessageSystemAttributes" is not supported by Step Functions\]',
    ),
    "a field the API does not have": Failure(
        SDK + "s3:getObject",
        lambda w: {"Bucket": BUCKET, "key": "readme.txt"},
        "States.Runtime",
        r'.*\[The field "key" is not supported by Step Functions\]',
    ),
    "a value of the wrong type": Failure(
        "arn:aws:states:::sqs:sendMessage",
        lambda w: {"QueueUrl": w.queue, "MessageBody": "x", "DelaySeconds": [1]},
        "States.Runtime",
        r".*could not be used to start the Task: \[Invalid type for parameter DelaySeconds.*\]",
    ),
    "an action the service does not have": Failure(
        SDK + "dynamodb:putItm",
        lambda w: {},
        "States.Runtime",
        r"The resource provided .*:putItm is not recognized\. .*did you mean 'putItem'\?\)",
    ),
    "a pattern the integration does not have": Failure(
        "arn:aws:states:::dynamodb:getItem.sync",
        lambda w: {},
        "States.Runtime",
        r".* is not recognized\. .*\(dynamodb:getItem supports request-response, not \.sync\)",
    ),
}


@pytest.mark.parametrize("name", FAILURES)
def test_errors_under_aws_names(world: World, name: str) -> None:
    case = FAILURES[name]
    result = run_task(case.resource, case.parameters(world))
    assert (result.status, result.error) == ("FAILED", case.error), result.cause
    assert re.fullmatch(case.cause, result.cause or ""), result.cause


def test_a_catch_matches_the_aws_error_name(world: World) -> None:
    """The recorded S3 case: a Catch on S3.NoSuchKeyException (JSONata) takes the error."""
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Get",
        "States": {
            "Get": {
                "Type": "Task",
                "Resource": SDK + "s3:getObject",
                "Arguments": {"Bucket": BUCKET, "Key": "no_such_key.json"},
                "Catch": [
                    {
                        "ErrorEquals": ["S3.NoSuchKeyException"],
                        "Output": "{% $states.errorOutput %}",
                        "Next": "Missing",
                    }
                ],
                "End": True,
            },
            "Missing": {"Type": "Pass", "End": True},
        },
    }
    result = runtime.execute(definition, {}, aws="aws")
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "S3.NoSuchKeyException"


def test_no_connection_is_an_sdk_client_exception(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard: nothing listens
    optimized = run_task(
        "arn:aws:states:::dynamodb:getItem", {"TableName": TABLE, "Key": {"id": {"S": "old"}}}
    )
    sdk = run_task(SDK + "dynamodb:getItem", {"TableName": TABLE, "Key": {"id": {"S": "old"}}})
    assert (optimized.error, sdk.error) == (
        "DynamoDB.SdkClientException",
        "DynamoDb.SdkClientException",
    )
    assert optimized.cause.startswith("Unable to execute HTTP request: ")
    assert sdk.cause.startswith("Unable to execute HTTP request: ")
