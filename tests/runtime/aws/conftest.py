"""A world in moto's server (over real HTTP) for the integration tests: a queue, a topic whose
messages reach a second queue, a table with an item, a bucket with an object, a secret, a
parameter, a stream and an EventBridge rule that copies events to a queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.runtime.http_task.conftest import endpoint  # noqa: F401 (a server on 127.0.0.1)
from tests.serve.conftest import serve_process  # noqa: F401 (asl serve in a subprocess)
from tests.support.moto_server import MotoServer

TABLE = "orders"
BUCKET = "asl-bucket"
STREAM = "clicks"
EVENT_SOURCE = "asl.tests"


@dataclass
class World:
    """The resources a test's Task states use, and boto3 clients of the test's own."""

    server: MotoServer
    queue: str  # a queue's URL
    topic: str  # a topic's ARN; its messages go to ``topic_queue``
    topic_queue: str
    events_queue: str  # receives the events whose source is EVENT_SOURCE

    def client(self, service: str) -> Any:
        return self.server.client(service)

    def messages(self, queue: str) -> list[dict[str, Any]]:
        """Every message waiting in ``queue`` (received once, in one call)."""
        answer = self.client("sqs").receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        return answer.get("Messages", [])


@pytest.fixture
def world(moto_env: MotoServer) -> Iterator[World]:
    sqs = moto_env.client("sqs")
    queue = sqs.create_queue(QueueName="orders")["QueueUrl"]
    topic_queue = sqs.create_queue(QueueName="notifications")["QueueUrl"]
    events_queue = sqs.create_queue(QueueName="events")["QueueUrl"]
    arn_of = lambda url: sqs.get_queue_attributes(  # noqa: E731
        QueueUrl=url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    sns = moto_env.client("sns")
    topic = sns.create_topic(Name="shipped")["TopicArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn_of(topic_queue),
        Attributes={"RawMessageDelivery": "true"},
    )
    dynamodb = moto_env.client("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "old"}, "total": {"N": "7"}})
    s3 = moto_env.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="readme.txt", Body=b"text data")
    moto_env.client("secretsmanager").create_secret(Name="db", SecretString="s3cr3t")
    moto_env.client("kinesis").create_stream(StreamName=STREAM, ShardCount=1)
    events = moto_env.client("events")
    events.put_rule(Name="copy", EventPattern=json.dumps({"source": [EVENT_SOURCE]}))
    events.put_targets(Rule="copy", Targets=[{"Id": "q", "Arn": arn_of(events_queue)}])
    yield World(moto_env, queue, topic, topic_queue, events_queue)
