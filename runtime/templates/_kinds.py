"""What each resource type gives ``Ref`` and ``Fn::GetAtt``, and how its name is chosen.

One row per type. A resource named by its name property (``TableName``, ``QueueName``...) has
that name; without one, CloudFormation makes one up (``STACK-LogicalId-RANDOM``): here it is
``STACK-LogicalId``, without the random part, so a second run finds the same resources. The
attributes below are the ones a deployment in ``place`` would give; a backend that created the
resource may give others (a queue's URL on LocalStack), and those win (see :mod:`._stack`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Place:
    """Where a run deploys: partition, region and account."""

    partition: str
    region: str
    account: str

    @property
    def url_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region, account = (self.region, self.account) if regional else ("", "")
        return f"arn:{self.partition}:{service}:{region}:{account}:{resource}"


Attributes = Callable[[Place, str], dict[str, str]]
"""``(place, name)``: the resource's attributes; ``"Ref"`` is what ``Ref`` gives."""


@dataclass(frozen=True, slots=True)
class Kind:
    """A resource type: its name property, name rules and attributes."""

    name_property: str | None
    attributes: Attributes
    name_attributes: tuple[str, ...] = ("Ref",)  # the ones that are the name (no ARN needed)
    name_limit: int = 64
    lowercase: bool = False
    fifo_property: str | None = None  # a FIFO queue or topic's name ends in ".fifo"


def _table(place: Place, name: str) -> dict[str, str]:
    arn = place.arn("dynamodb", f"table/{name}")
    return {"Ref": name, "Arn": arn, "StreamArn": f"{arn}/stream/1970-01-01T00:00:00.000"}


def _queue(place: Place, name: str) -> dict[str, str]:
    url = f"https://sqs.{place.region}.{place.url_suffix}/{place.account}/{name}"
    return {"Ref": url, "QueueUrl": url, "Arn": place.arn("sqs", name), "QueueName": name}


def _topic(place: Place, name: str) -> dict[str, str]:
    arn = place.arn("sns", name)
    return {"Ref": arn, "TopicArn": arn, "TopicName": name}


def _bucket(place: Place, name: str) -> dict[str, str]:
    return {
        "Ref": name,
        "Arn": place.arn("s3", name, regional=False),
        "DomainName": f"{name}.s3.{place.url_suffix}",
        "RegionalDomainName": f"{name}.s3.{place.region}.{place.url_suffix}",
        "DualStackDomainName": f"{name}.s3.dualstack.{place.region}.{place.url_suffix}",
        "WebsiteURL": f"http://{name}.s3-website-{place.region}.{place.url_suffix}",
    }


def _event_bus(place: Place, name: str) -> dict[str, str]:
    return {"Ref": name, "Name": name, "Arn": place.arn("events", f"event-bus/{name}")}


def _state_machine(place: Place, name: str) -> dict[str, str]:
    arn = place.arn("states", f"stateMachine:{name}")
    return {"Ref": arn, "Arn": arn, "Name": name, "StateMachineRevisionId": arn}


def _activity(place: Place, name: str) -> dict[str, str]:
    arn = place.arn("states", f"activity:{name}")
    return {"Ref": arn, "Arn": arn, "Name": name}


def _function(place: Place, name: str) -> dict[str, str]:
    return {"Ref": name, "Arn": place.arn("lambda", f"function:{name}")}


def _role(place: Place, name: str) -> dict[str, str]:
    arn = f"arn:{place.partition}:iam::{place.account}:role/{name}"
    role_id = "AROA" + hashlib.sha1(arn.encode()).hexdigest()[:17].upper()
    return {"Ref": name, "Arn": arn, "RoleId": role_id}


def _log_group(place: Place, name: str) -> dict[str, str]:
    return {"Ref": name, "Arn": place.arn("logs", f"log-group:{name}:*")}


def _schedule_group(place: Place, name: str) -> dict[str, str]:
    return {"Ref": name, "Arn": place.arn("scheduler", f"schedule-group/{name}")}


def _schedule(place: Place, name: str) -> dict[str, str]:  # (in the default group)
    return {"Ref": name, "Arn": place.arn("scheduler", f"schedule/default/{name}")}


def _state_machine_kind(name_property: str) -> Kind:
    return Kind(name_property, _state_machine, ("Name",), name_limit=80)


KINDS: dict[str, Kind] = {
    "AWS::DynamoDB::Table": Kind("TableName", _table, name_limit=255),
    "AWS::Serverless::SimpleTable": Kind("TableName", _table, name_limit=255),
    "AWS::SQS::Queue": Kind(
        "QueueName", _queue, ("QueueName",), name_limit=80, fifo_property="FifoQueue"
    ),
    "AWS::SNS::Topic": Kind(
        "TopicName", _topic, ("TopicName",), name_limit=256, fifo_property="FifoTopic"
    ),
    "AWS::S3::Bucket": Kind("BucketName", _bucket, name_limit=63, lowercase=True),
    "AWS::Events::EventBus": Kind("Name", _event_bus, ("Ref", "Name"), name_limit=256),
    "AWS::StepFunctions::StateMachine": _state_machine_kind("StateMachineName"),
    "AWS::Serverless::StateMachine": _state_machine_kind("Name"),
    "AWS::StepFunctions::Activity": Kind("Name", _activity, ("Name",), name_limit=80),
    "AWS::Lambda::Function": Kind("FunctionName", _function),
    "AWS::Serverless::Function": Kind("FunctionName", _function),
    "AWS::IAM::Role": Kind("RoleName", _role),
    "AWS::Logs::LogGroup": Kind("LogGroupName", _log_group, name_limit=512),
    "AWS::Scheduler::ScheduleGroup": Kind("Name", _schedule_group),
    "AWS::Scheduler::Schedule": Kind("Name", _schedule),
}


def kind_of(resource_type: str) -> Kind:
    """The row of ``resource_type``; any other type gets a name and an ARN of the usual form
    (``arn:PARTITION:SERVICE:REGION:ACCOUNT:TYPE/NAME``)."""
    kind = KINDS.get(resource_type)
    if kind is not None:
        return kind
    parts = resource_type.split("::")
    service = parts[1].lower() if len(parts) == 3 else "unknown"
    noun = re.sub(r"(?<!^)(?=[A-Z])", "-", parts[-1]).lower()

    def attributes(place: Place, name: str) -> dict[str, str]:
        return {"Ref": name, "Arn": place.arn(service, f"{noun}/{name}"), "Name": name}

    return Kind(None, attributes, ("Ref", "Name"), name_limit=255)


def generated_name(kind: Kind, stack_name: str, logical_id: str, *, fifo: bool) -> str:
    """The name a resource without a name property gets: ``STACK-LogicalId``, shortened to the
    type's limit, lower case for buckets, ``.fifo`` for FIFO queues and topics."""
    suffix = ".fifo" if fifo else ""
    name = f"{stack_name}-{logical_id}"
    if kind.lowercase:
        name = name.lower()
    return name[: kind.name_limit - len(suffix)] + suffix


__all__ = ["KINDS", "Attributes", "Kind", "Place", "generated_name", "kind_of"]
