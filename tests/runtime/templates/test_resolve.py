"""Intrinsic functions, parameters, pseudo parameters and conditions as a local run resolves
them (account 111111111111, the region given, the stack named after the template's folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runtime.templates import TemplateError
from runtime.templates._stack import Stack
from runtime.templates._values import NO_VALUE
from tests.runtime.templates.support import write_template

TEMPLATE = """\
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Zones:
    Type: CommaDelimitedList
    Default: "a, b"
  Size:
    Type: Number
    Default: 3
Mappings:
  Sizes:
    dev: {Memory: 128}
    prod: {Memory: 1024}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Equals [!Ref Size, "3"]]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  NamedTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${Stage}-orders"
  Queue:
    Type: AWS::SQS::Queue
  FifoQueue:
    Type: AWS::SQS::Queue
    Properties: {FifoQueue: true}
  Topic:
    Type: AWS::SNS::Topic
  Bucket:
    Type: AWS::S3::Bucket
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: orders-bus}
  Function:
    Type: AWS::Serverless::Function
  Machine:
    Type: AWS::StepFunctions::StateMachine
  Role:
    Type: AWS::IAM::Role
  Stream:
    Type: AWS::Kinesis::Stream
  ProdOnly:
    Type: AWS::SQS::Queue
    Condition: IsProd
"""

ARN = "arn:aws:{}:eu-west-1:111111111111:{}"
CASES: list[tuple[str, Any, Any]] = [
    ("parameter default", {"Ref": "Stage"}, "dev"),
    ("list parameter", {"Ref": "Zones"}, ["a", "b"]),
    ("number parameter is text", {"Ref": "Size"}, "3"),
    ("region", {"Ref": "AWS::Region"}, "eu-west-1"),
    ("account", {"Ref": "AWS::AccountId"}, "111111111111"),
    ("partition", {"Ref": "AWS::Partition"}, "aws"),
    ("stack name", {"Ref": "AWS::StackName"}, "my-app"),
    ("url suffix", {"Ref": "AWS::URLSuffix"}, "amazonaws.com"),
    ("table Ref is its name", {"Ref": "Table"}, "my-app-Table"),
    ("table named by a property", {"Ref": "NamedTable"}, "dev-orders"),
    ("table Arn", {"Fn::GetAtt": ["Table", "Arn"]}, ARN.format("dynamodb", "table/my-app-Table")),
    (
        "queue Ref is its URL",
        {"Ref": "Queue"},
        "https://sqs.eu-west-1.amazonaws.com/111111111111/my-app-Queue",
    ),
    ("queue Arn (dotted GetAtt)", {"Fn::GetAtt": "Queue.Arn"}, ARN.format("sqs", "my-app-Queue")),
    ("queue name", {"Fn::GetAtt": ["Queue", "QueueName"]}, "my-app-Queue"),
    ("fifo queue name", {"Fn::GetAtt": ["FifoQueue", "QueueName"]}, "my-app-FifoQueue.fifo"),
    ("topic Ref is its ARN", {"Ref": "Topic"}, ARN.format("sns", "my-app-Topic")),
    ("topic name", {"Fn::GetAtt": ["Topic", "TopicName"]}, "my-app-Topic"),
    ("bucket Ref is its name, lower case", {"Ref": "Bucket"}, "my-app-bucket"),
    ("bucket Arn", {"Fn::GetAtt": ["Bucket", "Arn"]}, "arn:aws:s3:::my-app-bucket"),
    ("bus Ref is its name", {"Ref": "Bus"}, "orders-bus"),
    ("bus Arn", {"Fn::GetAtt": ["Bus", "Arn"]}, ARN.format("events", "event-bus/orders-bus")),
    ("function Ref is its name", {"Ref": "Function"}, "my-app-Function"),
    (
        "function Arn",
        {"Fn::GetAtt": ["Function", "Arn"]},
        ARN.format("lambda", "function:my-app-Function"),
    ),
    (
        "machine Ref is its ARN",
        {"Ref": "Machine"},
        ARN.format("states", "stateMachine:my-app-Machine"),
    ),
    ("machine name", {"Fn::GetAtt": ["Machine", "Name"]}, "my-app-Machine"),
    ("role Arn", {"Fn::GetAtt": ["Role", "Arn"]}, "arn:aws:iam::111111111111:role/my-app-Role"),
    (
        "other types",
        {"Fn::GetAtt": ["Stream", "Arn"]},
        ARN.format("kinesis", "stream/my-app-Stream"),
    ),
    ("a type asl does not model", {"Fn::GetAtt": "Stream.ShardCount"}, "my-app-Stream.ShardCount"),
    (
        "Sub with names, attributes and ${!literal}",
        {"Fn::Sub": "${AWS::Region}/${Table}/${Queue.Arn}/${!Literal}"},
        "eu-west-1/my-app-Table/" + ARN.format("sqs", "my-app-Queue") + "/${Literal}",
    ),
    ("Sub with variables", {"Fn::Sub": ["${A}-${Stage}", {"A": {"Ref": "Size"}}]}, "3-dev"),
    ("Join", {"Fn::Join": [":", ["a", {"Ref": "Stage"}, 1]]}, "a:dev:1"),
    ("Join of a list parameter", {"Fn::Join": ["+", {"Ref": "Zones"}]}, "a+b"),
    ("Select", {"Fn::Select": [1, {"Ref": "Zones"}]}, "b"),
    ("Split", {"Fn::Split": ["/", "x/y"]}, ["x", "y"]),
    ("If", {"Fn::If": ["IsProd", "big", "small"]}, "small"),
    ("If through And/Not", {"Fn::If": ["Both", "yes", "no"]}, "yes"),
    ("FindInMap", {"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}, 128),
    ("FindInMap default", {"Fn::FindInMap": ["Sizes", "qa", "Memory", {"DefaultValue": 64}]}, 64),
    ("Base64", {"Fn::Base64": "hi"}, "aGk="),
    ("GetAZs", {"Fn::GetAZs": ""}, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    ("ToJsonString", {"Fn::ToJsonString": {"a": [1, {"Ref": "Stage"}]}}, '{"a":[1,"dev"]}'),
    ("Length", {"Fn::Length": {"Ref": "Zones"}}, 2),
    (
        "NoValue drops a member and an item",
        {"keep": 1, "drop": {"Ref": "AWS::NoValue"}, "list": [1, {"Ref": "AWS::NoValue"}]},
        {"keep": 1, "list": [1]},
    ),
]


@pytest.fixture
def stack(tmp_path: Path) -> Stack:
    template = write_template(tmp_path, TEMPLATE)
    return Stack(template, region="eu-west-1", account="111111111111", stack_name="my-app")


@pytest.mark.parametrize(("value", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_resolves(stack: Stack, value: Any, expected: Any) -> None:
    assert stack.resolve(value, "/Test") == expected


def test_no_value_alone(stack: Stack) -> None:
    assert stack.resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


def test_given_parameters_win(tmp_path: Path) -> None:
    template = write_template(tmp_path, TEMPLATE)
    stack = Stack(
        template,
        {"Stage": "prod", "Zones": "x,y,z"},
        region="us-east-1",
        account="111111111111",
        stack_name="s",
    )
    assert stack.resolve({"Fn::If": ["IsProd", {"Ref": "ProdOnly"}, "none"]}) == (
        "https://sqs.us-east-1.amazonaws.com/111111111111/s-ProdOnly"
    )
    assert stack.resolve({"Ref": "Zones"}) == ["x", "y", "z"]


def test_account_asked_once_and_only_when_needed(tmp_path: Path) -> None:
    asked = []

    def account() -> str:
        asked.append(1)
        return "222222222222"

    template = write_template(tmp_path, TEMPLATE)
    stack = Stack(template, region="us-east-1", account=account, stack_name="s")
    assert stack.resolve({"Ref": "Table"}) == "s-Table"
    assert asked == []
    assert stack.resolve({"Fn::GetAtt": "Topic.TopicName"}) == "s-Topic"
    assert stack.resolve({"Ref": "Topic"}) == "arn:aws:sns:us-east-1:222222222222:s-Topic"
    assert stack.resolve({"Ref": "AWS::AccountId"}) == "222222222222"
    assert asked == [1]


def test_partition_follows_the_region(tmp_path: Path) -> None:
    template = write_template(tmp_path, TEMPLATE)
    stack = Stack(template, region="cn-north-1", account="1", stack_name="s")
    assert stack.resolve({"Fn::GetAtt": "Queue.Arn"}) == "arn:aws-cn:sqs:cn-north-1:1:s-Queue"
    assert stack.resolve({"Ref": "AWS::URLSuffix"}) == "amazonaws.com.cn"


def test_provided_attributes_win(stack: Stack) -> None:
    stack.provided["Queue"] = {"Ref": "http://127.0.0.1:5000/111111111111/my-app-Queue"}
    assert stack.resolve({"Ref": "Queue"}) == "http://127.0.0.1:5000/111111111111/my-app-Queue"
    assert stack.resolve({"Fn::GetAtt": "Queue.QueueName"}) == "my-app-Queue"


ERRORS = [
    ("unknown Ref", {"Ref": "Nope"}, "Ref Nope: the template has no parameter or resource"),
    ("unknown resource", {"Fn::GetAtt": ["Nope", "Arn"]}, "has no resource 'Nope'"),
    ("unknown attribute", {"Fn::GetAtt": ["Table", "Colour"]}, "no attribute 'Colour'"),
    ("import", {"Fn::ImportValue": "shared"}, "Fn::ImportValue cannot be resolved"),
    ("conditioned out", {"Ref": "ProdOnly"}, "its Condition IsProd is false"),
    ("list in Sub", {"Fn::Sub": "${Zones}"}, "${Zones} must be a string here"),
    ("unknown condition", {"Fn::If": ["Nope", 1, 2]}, "no condition 'Nope'"),
    ("Select out of range", {"Fn::Select": [5, ["a"]]}, "Fn::Select takes"),
    ("FindInMap miss", {"Fn::FindInMap": ["Sizes", "qa", "Memory"]}, "no Sizes/qa/Memory"),
]


@pytest.mark.parametrize(("value", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_say_what_and_where(stack: Stack, value: Any, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        stack.resolve({"Key": value}, "/Resources/Machine/Properties")
    assert message in str(caught.value)
    assert "template.yaml:" in str(caught.value)  # the file, with line and column


PARAMETER_ERRORS = [
    ({"Nope": "1"}, "declares no parameter 'Nope' (its parameters: Stage, Zones, Size)"),
    ({"Stage": "qa"}, "parameter Stage='qa' is not one of its AllowedValues: dev, prod"),
    ({"Size": "big"}, "parameter Size='big' is of Type Number"),
]


@pytest.mark.parametrize(("given", "message"), PARAMETER_ERRORS)
def test_bad_parameters(tmp_path: Path, given: dict[str, str], message: str) -> None:
    template = write_template(tmp_path, TEMPLATE)
    with pytest.raises(TemplateError) as caught:
        Stack(template, given, region="us-east-1", account="1", stack_name="s")
    assert message in str(caught.value)


def test_a_parameter_without_default_must_be_given(tmp_path: Path) -> None:
    text = "Parameters:\n  Env: {Type: String}\nResources: {}\n"
    template = write_template(tmp_path, text)
    with pytest.raises(TemplateError) as caught:
        Stack(template, region="us-east-1", account="1", stack_name="s")
    assert "parameter Env has no Default; give it a value with --parameter Env=VALUE" in str(
        caught.value
    )
    stack = Stack(template, {"Env": "qa"}, region="us-east-1", account="1", stack_name="s")
    assert stack.resolve({"Ref": "Env"}) == "qa"
