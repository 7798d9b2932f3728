"""The resources a template's machine uses, created in the backend before it runs: here moto's
server over real HTTP (``--aws aws`` with ``AWS_ENDPOINT_URL``, as the ``moto_env`` fixture
sets it). What exists already is used as it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.templates import TemplateError, prepare
from tests.runtime.templates.support import write_template
from tests.support.moto_server import MotoServer

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionSubstitutions:
        Table: !Ref Table
        Simple: !Ref Simple
        Fifo: !Ref Fifo
        Queue: !Ref Queue
        Topic: !Ref Topic
        Bucket: !Ref Bucket
        Bus: !GetAtt Bus.Arn
        Stream: !GetAtt Stream.Arn
      Definition:
        StartAt: P
        States:
          P:
            Type: Pass
            Result: {Table: "${Table}", Simple: "${Simple}", Fifo: "${Fifo}", Queue: "${Queue}",
                     Topic: "${Topic}", Bucket: "${Bucket}", Bus: "${Bus}"}
            End: true
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: N}
        - {AttributeName: email, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      ProvisionedThroughput: {ReadCapacityUnits: "3", WriteCapacityUnits: 2}
      GlobalSecondaryIndexes:
        - IndexName: byEmail
          KeySchema: [{AttributeName: email, KeyType: HASH}]
          Projection: {ProjectionType: ALL}
          ProvisionedThroughput: {ReadCapacityUnits: 1, WriteCapacityUnits: 1}
  Simple:
    Type: AWS::Serverless::SimpleTable
    Properties:
      PrimaryKey: {Name: code, Type: Number}
  Fifo:
    Type: AWS::SQS::Queue
    Properties: {FifoQueue: true, ContentBasedDeduplication: true}
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
      RedrivePolicy: {deadLetterTargetArn: !GetAtt DeadLetters.Arn, maxReceiveCount: 3}
  DeadLetters:
    Type: AWS::SQS::Queue
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: orders-topic
      Subscription:
        - {Protocol: sqs, Endpoint: !GetAtt DeadLetters.Arn}
  Bucket:
    Type: AWS::S3::Bucket
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: orders-bus}
  Stream:
    Type: AWS::Kinesis::Stream
  Unused:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
"""


def test_resources_are_created_with_their_properties(moto_env: MotoServer, tmp_path: Path) -> None:
    prepared = prepare(write_template(tmp_path, TEMPLATE), aws="aws")
    values = json.loads(prepared.machine.definition)["States"]["P"]["Result"]
    dynamodb, sqs = moto_env.client("dynamodb"), moto_env.client("sqs")

    table = dynamodb.describe_table(TableName="app-Table")["Table"]
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["byEmail"]
    simple = dynamodb.describe_table(TableName="app-Simple")["Table"]
    assert simple["KeySchema"] == [{"AttributeName": "code", "KeyType": "HASH"}]
    assert simple["AttributeDefinitions"] == [{"AttributeName": "code", "AttributeType": "N"}]
    assert simple["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert "app-Unused" not in dynamodb.list_tables()["TableNames"]  # not used: not created

    fifo_url = sqs.get_queue_url(QueueName="app-Fifo.fifo")["QueueUrl"]
    fifo = sqs.get_queue_attributes(QueueUrl=fifo_url, AttributeNames=["All"])["Attributes"]
    assert (fifo["FifoQueue"], fifo["ContentBasedDeduplication"]) == ("true", "true")
    queue_url = sqs.get_queue_url(QueueName="app-Queue")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    dead_letters = sqs.get_queue_url(QueueName="app-DeadLetters")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])
    assert (
        json.loads(queue["RedrivePolicy"])["deadLetterTargetArn"]
        == (dead_arn["Attributes"]["QueueArn"])
    )
    assert queue["VisibilityTimeout"] == "60"

    topic = "arn:aws:sns:us-east-1:111111111111:orders-topic"
    subscriptions = moto_env.client("sns").list_subscriptions_by_topic(TopicArn=topic)
    assert [s["Protocol"] for s in subscriptions["Subscriptions"]] == ["sqs"]
    moto_env.client("s3").head_bucket(Bucket="app-bucket")
    bus = moto_env.client("events").describe_event_bus(Name="orders-bus")

    assert values == {
        "Table": "app-Table",
        "Simple": "app-Simple",
        "Fifo": fifo_url,
        "Queue": queue_url,  # the server's own URL, as the backend gave it
        "Topic": topic,
        "Bucket": "app-bucket",
        "Bus": bus["Arn"],
    }
    assert queue_url.startswith(moto_env.url)
    assert set(prepared.created) == {
        "Table", "Simple", "Fifo", "Queue", "DeadLetters", "Topic", "Bucket", "Bus"
    }  # fmt: skip
    (warning,) = prepared.warnings
    assert warning.startswith("Stream (AWS::Kinesis::Stream) is not created: asl creates ")


def test_existing_resources_are_used_as_they_are(moto_env: MotoServer, tmp_path: Path) -> None:
    sqs, dynamodb = moto_env.client("sqs"), moto_env.client("dynamodb")
    url = sqs.create_queue(QueueName="app-Queue", Attributes={"VisibilityTimeout": "5"})
    url = url["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="kept")
    dynamodb.create_table(
        TableName="app-Table",
        KeySchema=[{"AttributeName": "other", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="app-Table", Item={"other": {"S": "kept"}})

    prepared = prepare(write_template(tmp_path, TEMPLATE), aws="aws")

    values = json.loads(prepared.machine.definition)["States"]["P"]["Result"]
    assert values["Queue"] == url
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "5"
    assert "RedrivePolicy" not in attributes
    assert attributes["ApproximateNumberOfMessages"] == "1"
    table = dynamodb.describe_table(TableName="app-Table")["Table"]
    assert table["KeySchema"] == [{"AttributeName": "other", "KeyType": "HASH"}]
    assert dynamodb.scan(TableName="app-Table")["Items"] == [{"other": {"S": "kept"}}]

    again = prepare(write_template(tmp_path, TEMPLATE), aws="aws")  # a second run: same names
    assert again.machine.definition == prepared.machine.definition


def test_backend_refusals_name_the_resource(moto_env: MotoServer, tmp_path: Path) -> None:
    text = """\
Resources:
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition: {StartAt: P, States: {P: {Type: Pass, Result: !Ref Table, End: true}}}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
"""
    with pytest.raises(TemplateError) as caught:
        prepare(write_template(tmp_path, text), aws="aws")
    message = str(caught.value)
    assert "template.yaml:" in message
    assert "table Table has BillingMode PROVISIONED (the default) and no ProvisionedThroughput" in (
        message
    )
    assert moto_env.client("dynamodb").list_tables()["TableNames"] == []


def test_resources_named_without_a_ref_are_created(moto_env: MotoServer, tmp_path: Path) -> None:
    text = """\
Parameters:
  TableName: {Type: String, Default: shared-name}
Resources:
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition:
        StartAt: Put
        States:
          Put:
            Type: Task
            Resource: arn:aws:states:::dynamodb:putItem
            Parameters: {TableName: !Ref TableName, Item: {id: {S: "1"}}}
            Next: Send
          Send:
            Type: Task
            Resource: arn:aws:states:::events:putEvents
            Parameters:
              Entries: [{EventBusName: literal-bus, Source: s, DetailType: d, Detail: {}}]
            End: true
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Ref TableName
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: literal-bus}
  Other:
    Type: AWS::Events::EventBus
    Properties: {Name: not-named-by-the-machine}
"""
    prepared = prepare(write_template(tmp_path, text), aws="aws")
    assert set(prepared.created) == {"Table", "Bus"}
    assert moto_env.client("dynamodb").list_tables()["TableNames"] == ["shared-name"]
    buses = moto_env.client("events").list_event_buses()["EventBuses"]
    assert {b["Name"] for b in buses} == {"default", "literal-bus"}


def test_json_template_with_conditions(moto_env: MotoServer, tmp_path: Path) -> None:
    template = {
        "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "DefinitionString": {
                        "Fn::Sub": [
                            '{"StartAt": "P", "States": {"P": {"Type": "Pass", '
                            '"Result": "${Queue}", "End": true}}}',
                            {
                                "Queue": {
                                    "Fn::If": ["IsProd", {"Ref": "ProdQueue"}, {"Ref": "DevQueue"}]
                                }
                            },
                        ]
                    }
                },
            },
            "ProdQueue": {"Type": "AWS::SQS::Queue", "Condition": "IsProd"},
            "DevQueue": {"Type": "AWS::SQS::Queue"},
        },
    }
    text = json.dumps(template, indent=2)
    prepared = prepare(write_template(tmp_path, text, name="template.json"), aws="aws")
    assert prepared.created == ("DevQueue",)
    urls = moto_env.client("sqs").list_queues()["QueueUrls"]
    assert json.loads(prepared.machine.definition)["States"]["P"]["Result"] == urls[0]
    assert [url.rsplit("/", 1)[1] for url in urls] == ["app-DevQueue"]
