"""Creating a template's resources in the backend a run uses (``--aws moto`` or ``aws``).

One function per resource type, each: look the resource up by its name, create it only when it
is missing (what exists is used as it is: nothing is changed or deleted), and return the
attributes the backend gives it (a queue's URL and ARN, a table's ARN...), which win over the
ones :mod:`._kinds` would make up. State machines and Lambda functions are not created here:
the engine runs them (see :mod:`._machines` and :mod:`._functions`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from asl.diagnostics import pointer_join
from runtime.templates._errors import TemplateError
from runtime.templates._stack import Stack
from runtime.templates._values import scalar_text

Provisioner = Callable[[Stack, str, Any], dict[str, Any]]
"""``(stack, logical_id, clients)``: the attributes of the resource, created if missing."""

T = TypeVar("T")
_MISSING_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "NotFound",
        "NotFoundException",
        "404",
        "NoSuchBucket",
    }
)


def provision(stack: Stack, logical_ids: list[str], clients: Any) -> list[str]:
    """Create the resources among ``logical_ids`` that asl creates (in that order, which puts
    dependencies first) unless they exist; record their attributes in ``stack.provided``.
    Returns the ids handled. Raises :class:`TemplateError` when the backend refuses."""
    from botocore.exceptions import BotoCoreError, ClientError

    handled = []
    for logical_id in logical_ids:
        resource_type = stack.resource_type(logical_id)
        provisioner = PROVISIONERS.get(resource_type)
        if provisioner is None:
            continue
        try:
            stack.provided[logical_id] = provisioner(stack, logical_id, clients)
        except (BotoCoreError, ClientError) as exc:
            where = stack.template.where(pointer_join("/Resources", logical_id))
            raise TemplateError(
                f"{where}: cannot create {resource_type} {logical_id} "
                f"({stack.name(logical_id)}): {exc}"
            ) from None
        handled.append(logical_id)
    return handled


def _properties(stack: Stack, logical_id: str) -> dict[str, Any]:
    where = pointer_join("/Resources", logical_id, "Properties")
    return stack.resolve(stack.properties(logical_id), where)


def _missing(exc: Exception) -> bool:
    """Whether a botocore ClientError says the resource does not exist."""
    error = getattr(exc, "response", {}).get("Error", {})
    return str(error.get("Code", "")) in _MISSING_CODES


def _found_or_created(find: Callable[[], T], create: Callable[[], T]) -> T:
    """``find()``; when the backend says the resource does not exist, ``create()``."""
    from botocore.exceptions import ClientError

    try:
        return find()
    except ClientError as exc:
        if not _missing(exc):
            raise
    return create()


def _text_attributes(properties: dict[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    """Properties passed as API attributes: text, objects as JSON text."""
    attributes = {}
    for name in names:
        if name in properties:
            value = properties[name]
            text = scalar_text(value)
            attributes[name] = text if text is not None else json.dumps(value)
    return attributes


# -- DynamoDB -------------------------------------------------------------------------------------


def _table(stack: Stack, logical_id: str, clients: Any) -> dict[str, Any]:
    name = stack.name(logical_id)
    client = clients.client("dynamodb")

    def create() -> dict[str, Any]:
        properties = _properties(stack, logical_id)
        if stack.resource_type(logical_id) == "AWS::Serverless::SimpleTable":
            request = _simple_table_request(name, properties)
        else:
            request = _table_request(stack, logical_id, name, properties)
        table = client.create_table(**request)["TableDescription"]
        client.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 600}
        )
        ttl = properties.get("TimeToLiveSpecification")
        if isinstance(ttl, dict) and ttl.get("AttributeName"):
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={
                    "Enabled": scalar_text(ttl.get("Enabled", True)) in ("true", "True"),
                    "AttributeName": ttl["AttributeName"],
                },
            )
        return table

    table = _found_or_created(lambda: client.describe_table(TableName=name)["Table"], create)
    attributes = {"Ref": name, "Arn": table["TableArn"]}
    if table.get("LatestStreamArn"):
        attributes["StreamArn"] = table["LatestStreamArn"]
    return attributes


def _table_request(
    stack: Stack, logical_id: str, name: str, properties: dict[str, Any]
) -> dict[str, Any]:
    """``CreateTable`` for an ``AWS::DynamoDB::Table``: keys, billing, indexes, streams."""
    billing = properties.get("BillingMode", "PROVISIONED")
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": properties.get("KeySchema"),
        "AttributeDefinitions": properties.get("AttributeDefinitions"),
        "BillingMode": billing,
    }
    if billing == "PROVISIONED":
        if "ProvisionedThroughput" not in properties:
            where = stack.template.where(pointer_join("/Resources", logical_id, "Properties"))
            raise TemplateError(
                f"{where}: table {logical_id} has BillingMode PROVISIONED (the default) and "
                "no ProvisionedThroughput; give one, or BillingMode: PAY_PER_REQUEST"
            )
        request["ProvisionedThroughput"] = _throughput(properties["ProvisionedThroughput"])
    indexes = []
    for index in properties.get("GlobalSecondaryIndexes") or []:
        entry = {k: index[k] for k in ("IndexName", "KeySchema", "Projection") if k in index}
        if billing == "PROVISIONED" and "ProvisionedThroughput" in index:
            entry["ProvisionedThroughput"] = _throughput(index["ProvisionedThroughput"])
        indexes.append(entry)
    if indexes:
        request["GlobalSecondaryIndexes"] = indexes
    local = [
        {k: index[k] for k in ("IndexName", "KeySchema", "Projection") if k in index}
        for index in properties.get("LocalSecondaryIndexes") or []
    ]
    if local:
        request["LocalSecondaryIndexes"] = local
    stream = properties.get("StreamSpecification")
    if isinstance(stream, dict) and stream.get("StreamViewType"):
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    if properties.get("TableClass"):
        request["TableClass"] = properties["TableClass"]
    return request


def _simple_table_request(name: str, properties: dict[str, Any]) -> dict[str, Any]:
    """``CreateTable`` for SAM's ``AWS::Serverless::SimpleTable`` (``PrimaryKey``, default
    ``id`` of type String; on-demand unless ``ProvisionedThroughput`` is given)."""
    key = properties.get("PrimaryKey") or {}
    key_name = key.get("Name", "id")
    key_type = {"String": "S", "Number": "N", "Binary": "B"}.get(key.get("Type", "String"), "S")
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": key_name, "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": key_name, "AttributeType": key_type}],
    }
    if "ProvisionedThroughput" in properties:
        request["BillingMode"] = "PROVISIONED"
        request["ProvisionedThroughput"] = _throughput(properties["ProvisionedThroughput"])
    else:
        request["BillingMode"] = "PAY_PER_REQUEST"
    return request


def _throughput(value: dict[str, Any]) -> dict[str, int]:
    return {
        key: int(value[key]) for key in ("ReadCapacityUnits", "WriteCapacityUnits") if key in value
    }


# -- SQS, SNS -------------------------------------------------------------------------------------

_QUEUE_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "RedriveAllowPolicy",
    "RedrivePolicy",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)


def _queue(stack: Stack, logical_id: str, clients: Any) -> dict[str, Any]:
    name = stack.name(logical_id)
    client = clients.client("sqs")

    def create() -> str:
        attributes = _text_attributes(_properties(stack, logical_id), _QUEUE_ATTRIBUTES)
        return client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]

    url = _found_or_created(lambda: client.get_queue_url(QueueName=name)["QueueUrl"], create)
    found = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    arn = found["Attributes"]["QueueArn"]
    return {"Ref": url, "QueueUrl": url, "Arn": arn, "QueueName": name}


def _topic(stack: Stack, logical_id: str, clients: Any) -> dict[str, Any]:
    name = stack.name(logical_id)
    client = clients.client("sns")
    expected = stack.place.arn("sns", name)

    def create() -> str:
        properties = _properties(stack, logical_id)
        names = ("ContentBasedDeduplication", "DisplayName", "FifoTopic")
        attributes = _text_attributes(properties, names)
        arn = client.create_topic(Name=name, Attributes=attributes)["TopicArn"]
        for subscription in properties.get("Subscription") or []:
            client.subscribe(
                TopicArn=arn, Protocol=subscription["Protocol"], Endpoint=subscription["Endpoint"]
            )
        return arn

    def find() -> str:
        client.get_topic_attributes(TopicArn=expected)
        return expected

    arn = _found_or_created(find, create)
    return {"Ref": arn, "TopicArn": arn, "TopicName": name}


# -- S3, EventBridge ------------------------------------------------------------------------------


def _bucket(stack: Stack, logical_id: str, clients: Any) -> dict[str, Any]:
    name = stack.name(logical_id)
    client = clients.client("s3")

    def create() -> None:
        request: dict[str, Any] = {"Bucket": name}
        if stack.region != "us-east-1":
            request["CreateBucketConfiguration"] = {"LocationConstraint": stack.region}
        client.create_bucket(**request)
        versioning = _properties(stack, logical_id).get("VersioningConfiguration")
        if isinstance(versioning, dict) and versioning.get("Status"):
            client.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": versioning["Status"]}
            )

    _found_or_created(lambda: client.head_bucket(Bucket=name), create)
    return {"Ref": name}


def _event_bus(stack: Stack, logical_id: str, clients: Any) -> dict[str, Any]:
    name = stack.name(logical_id)
    client = clients.client("events")
    arn = _found_or_created(
        lambda: client.describe_event_bus(Name=name)["Arn"],
        lambda: client.create_event_bus(Name=name)["EventBusArn"],
    )
    return {"Ref": name, "Name": name, "Arn": arn}


PROVISIONERS: dict[str, Provisioner] = {
    "AWS::DynamoDB::Table": _table,
    "AWS::Serverless::SimpleTable": _table,
    "AWS::SQS::Queue": _queue,
    "AWS::SNS::Topic": _topic,
    "AWS::S3::Bucket": _bucket,
    "AWS::Events::EventBus": _event_bus,
}
"""The resource types asl creates, and how."""


__all__ = ["PROVISIONERS", "Provisioner", "provision"]
