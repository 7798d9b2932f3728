"""A template's state machine resolved as CloudFormation resolves it: ``Definition``,
``DefinitionString`` (``Fn::Sub``, ``Fn::Join``) and ``DefinitionUri`` with
``DefinitionSubstitutions`` filled in before parsing; which machine runs; nested machines."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from runtime.callbacks import machines
from runtime.templates import TemplateError, prepare
from runtime.templates._uses import used_resources
from tests.runtime.templates.support import write_template

RESOURCES = """\
  Table:
    Type: AWS::DynamoDB::Table
  Queue:
    Type: AWS::SQS::Queue
"""
EXPECTED_PUT = {
    "Type": "Task",
    "Resource": "arn:aws:states:::dynamodb:putItem",
    "Parameters": {"TableName": "app-Table", "Item": {"id": {"S": "1"}}},
    "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 4}],
    "End": True,
}


def _template(folder: Path, text: str, resources: str, files: dict[str, str] | None = None) -> Any:
    return write_template(folder, textwrap.dedent(text) + resources, files)


def _definition(run: Any) -> Any:
    return json.loads(run.machine.definition)


def test_definition_object_with_intrinsics_and_substitutions(tmp_path: Path) -> None:
    template = _template(
        tmp_path,
        """\
        Resources:
          Machine:
            Type: AWS::StepFunctions::StateMachine
            Properties:
              StateMachineName: orders
              DefinitionSubstitutions:
                Max: 4
              Definition:
                StartAt: Put
                States:
                  Put:
                    Type: Task
                    Resource: arn:aws:states:::dynamodb:putItem
                    Parameters:
                      TableName: !Ref Table
                      Item: {id: {S: "1"}}
                    Retry: [{ErrorEquals: [States.ALL], MaxAttempts: 4}]
                    End: true
        """,
        RESOURCES,
    )
    run = prepare(template, aws="off")
    assert _definition(run)["States"]["Put"] == EXPECTED_PUT
    assert run.machine.name == "orders"
    assert run.machine.arn == "arn:aws:states:us-east-1:111111111111:stateMachine:orders"
    assert run.machine.type == "STANDARD"


def test_definition_string_sub_then_a_bare_substitution(tmp_path: Path) -> None:
    template = _template(
        tmp_path,
        """\
        Resources:
          Machine:
            Type: AWS::StepFunctions::StateMachine
            Properties:
              StateMachineType: EXPRESS
              DefinitionSubstitutions:
                Max: 4
              DefinitionString: !Sub |
                {"StartAt": "Put", "States": {"Put": {"Type": "Task",
                 "Resource": "arn:aws:states:::dynamodb:putItem",
                 "Parameters": {"TableName": "${Table}", "Item": {"id": {"S": "1"}}},
                 "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": ${!Max}}],
                 "End": true}}}
        """,
        RESOURCES,
    )
    run = prepare(template, aws="off")
    assert _definition(run)["States"]["Put"] == EXPECTED_PUT
    assert run.machine.type == "EXPRESS"
    assert run.machine.name == "app-Machine"


def test_definition_string_join(tmp_path: Path) -> None:
    template = _template(
        tmp_path,
        """\
        Resources:
          Machine:
            Type: AWS::StepFunctions::StateMachine
            Properties:
              DefinitionString: !Join
                - ""
                - - '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "'
                  - !GetAtt Queue.Arn
                  - '", "End": true}}}'
        """,
        RESOURCES,
    )
    run = prepare(template, aws="off")
    result = _definition(run)["States"]["P"]["Result"]
    assert result == "arn:aws:sqs:us-east-1:111111111111:app-Queue"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "machine.asl.json",
            """\
            {"StartAt": "Put", "States": {"Put": {"Type": "Task",
             "Resource": "arn:aws:states:::dynamodb:putItem",
             "Parameters": {"TableName": "${TableName}", "Item": {"id": {"S": "1"}}},
             "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": ${Max}}],
             "End": true}}}
            """,
        ),
        (
            "machine.asl.yaml",
            """\
            StartAt: Put
            States:
              Put:
                Type: Task
                Resource: arn:aws:states:::dynamodb:putItem
                Parameters:
                  TableName: ${TableName}
                  Item: {id: {S: "1"}}
                Retry: [{ErrorEquals: [States.ALL], MaxAttempts: ${Max}}]
                End: true
            """,
        ),
    ],
)
def test_definition_uri_with_substitutions(tmp_path: Path, name: str, text: str) -> None:
    template = _template(
        tmp_path,
        f"""\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Machine:
            Type: AWS::Serverless::StateMachine
            Properties:
              Type: EXPRESS
              DefinitionUri: statemachine/{name}
              DefinitionSubstitutions:
                TableName: !Ref Table
                Max: 4
        """,
        RESOURCES,
        {f"statemachine/{name}": text},
    )
    run = prepare(template, aws="off")
    assert _definition(run)["States"]["Put"] == EXPECTED_PUT
    assert run.machine.type == "EXPRESS"
    assert run.machine.filename == str(tmp_path / "app" / "statemachine" / name)


MACHINE = """\
  {name}:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: {{StartAt: P, States: {{P: {{Type: Pass, End: true}}}}}}
"""


def test_several_machines_need_resource(tmp_path: Path) -> None:
    text = "Resources:\n" + MACHINE.format(name="First") + MACHINE.format(name="Second")
    template = write_template(tmp_path, text)
    with pytest.raises(TemplateError) as caught:
        prepare(template, aws="off")
    assert "has 2 state machines (First, Second); choose one with --resource" in str(caught.value)
    assert prepare(template, resource="Second", aws="off").machine.logical_id == "Second"
    with pytest.raises(TemplateError) as caught:
        prepare(template, resource="Third", aws="off")
    assert "--resource Third: " in str(caught.value)
    assert "has no state machine 'Third' (its state machines: First, Second)" in str(caught.value)


def test_no_machine(tmp_path: Path) -> None:
    template = write_template(tmp_path, "Resources:\n" + RESOURCES)
    with pytest.raises(TemplateError, match="the template has no state machine"):
        prepare(template, aws="off")


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ("DefinitionUri: s3://bucket/key.json", "needs a Definition, DefinitionString, or a local"),
        ("DefinitionUri: missing.asl.json", "cannot read DefinitionUri"),
        ("Definition: {StartAt: Nope, States: {P: {Type: Pass, End: true}}}", "ASL"),
        (
            "Definition: {StartAt: P, States: {P: {Type: Pass, End: true}}}\n      Type: SLOW",
            "STANDARD",
        ),
    ],
)
def test_machines_that_cannot_run(tmp_path: Path, properties: str, message: str) -> None:
    text = f"""\
Resources:
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      {properties}
"""
    template = write_template(tmp_path, text)
    with pytest.raises(TemplateError) as caught:
        prepare(template, aws="off")
    assert message in str(caught.value)


def test_nested_machines_are_registered(tmp_path: Path) -> None:
    template = write_template(
        tmp_path,
        """\
        Resources:
          Parent:
            Type: AWS::Serverless::StateMachine
            Properties:
              Definition:
                StartAt: Child
                States:
                  Child:
                    Type: Task
                    Resource: arn:aws:states:::states:startExecution.sync:2
                    Parameters: {StateMachineArn: !Ref Child}
                    End: true
          Child:
            Type: AWS::Serverless::StateMachine
            Properties:
              Name: nested-child-of-a-template
              Type: EXPRESS
              Definition: {StartAt: P, States: {P: {Type: Pass, Result: 7, End: true}}}
          Unused:
            Type: AWS::Serverless::StateMachine
            Properties:
              Name: never-registered-by-a-template
              Definition: {StartAt: P, States: {P: {Type: Pass, End: true}}}
        """,
    )
    run = prepare(template, resource="Parent", aws="off")
    arn = "arn:aws:states:us-east-1:111111111111:stateMachine:nested-child-of-a-template"
    assert _definition(run)["States"]["Child"]["Parameters"]["StateMachineArn"] == arn
    spec = machines.resolve(arn)
    assert spec is not None and spec.type == "EXPRESS"
    assert json.loads(spec.definition)["States"]["P"]["Result"] == 7
    unused = "arn:aws:states:us-east-1:111111111111:stateMachine:never-registered-by-a-template"
    assert machines.resolve(unused) is None


def test_used_resources_follow_references_not_roles(tmp_path: Path) -> None:
    template = write_template(
        tmp_path,
        """\
        Resources:
          Machine:
            Type: AWS::Serverless::StateMachine
            Properties:
              Role: !GetAtt Role.Arn
              Policies: [{DynamoDBCrudPolicy: {TableName: !Ref Other}}]
              DefinitionSubstitutions:
                Queue: !Ref Queue
                Function: !GetAtt Function.Arn
              Definition: {StartAt: P, States: {P: {Type: Pass, End: true}}}
          Queue:
            Type: AWS::SQS::Queue
            Properties:
              RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn, maxReceiveCount: 3}
          Dlq:
            Type: AWS::SQS::Queue
          Function:
            Type: AWS::Serverless::Function
            Properties:
              Role: !GetAtt Role.Arn
              Environment:
                Variables:
                  TABLE: !Sub "${Table}"
          Table:
            Type: AWS::DynamoDB::Table
          Other:
            Type: AWS::DynamoDB::Table
          Role:
            Type: AWS::IAM::Role
        """,
    )
    assert used_resources(template, "Machine") == ["Dlq", "Queue", "Table", "Function", "Machine"]
