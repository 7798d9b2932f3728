"""A template's state machine resolved as CloudFormation resolves it: ``Definition``,
``DefinitionString`` (``Fn::Sub``, ``Fn::Join``) and ``DefinitionUri`` with
``DefinitionSubstitutions`` filled in before parsing; which machine runs; nested machines."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from runtime.callbacks import machines
from runtime.templates import TemplateError, prepare
from runtime.templates._uses import used_resources
from tests.runtime.templates.support import write_template

EXPECTED_PUT = {
    "Type": "Task",
    "Resource": "arn:aws:states:::dynamodb:putItem",
    "Parameters": {"TableName": "app-Table", "Item": {"id": {"S": "1"}}},
    "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 4}],
    "End": True,
}
SKELETON = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Machine:
    Type: {type}
    Properties:
{properties}
  Table:
    Type: AWS::DynamoDB::Table
"""
JSON_TEXT = """\
{"StartAt": "Put", "States": {"Put": {"Type": "Task",
 "Resource": "arn:aws:states:::dynamodb:putItem",
 "Parameters": {"TableName": "${TableName}", "Item": {"id": {"S": "1"}}},
 "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": ${Max}}],
 "End": true}}}
"""
YAML_TEXT = """\
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
"""
SUBSTITUTIONS = "DefinitionSubstitutions: {TableName: !Ref Table, Max: 4}\n"
STEP_FUNCTIONS, SERVERLESS = "AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine"
SOURCES = [
    (
        "Definition with intrinsics and substitutions",
        STEP_FUNCTIONS,
        "StateMachineName: orders\nDefinitionSubstitutions: {TableName: !Ref Table}\n"
        "Definition:\n"
        + textwrap.indent(
            YAML_TEXT.replace("${Max}", "4").replace(
                "Resource: arn:aws:", "Resource: !Sub arn:${AWS::Partition}:"
            ),
            "  ",
        ),
        {},
        ("orders", "STANDARD"),
    ),
    (
        "DefinitionString Fn::Sub, then a bare substitution",
        STEP_FUNCTIONS,
        "StateMachineType: EXPRESS\nDefinitionSubstitutions: {Max: 4}\nDefinitionString: !Sub |\n"
        + textwrap.indent(
            JSON_TEXT.replace("${TableName}", "${Table}").replace("${Max}", "${!Max}"), "  "
        ),
        {},
        ("app-Machine", "EXPRESS"),
    ),
    (
        "DefinitionString Fn::Join",
        STEP_FUNCTIONS,
        "DefinitionString: !Join\n  - ''\n  - - '"
        + JSON_TEXT.replace("\n", " ")
        .replace("${Max}", "4")
        .replace("${TableName}", "'\n    - !Ref Table\n    - '")
        + "'\n",
        {},
        ("app-Machine", "STANDARD"),
    ),
    (
        "DefinitionUri JSON",
        SERVERLESS,
        SUBSTITUTIONS + "DefinitionUri: statemachine/machine.asl.json\n",
        {"statemachine/machine.asl.json": JSON_TEXT},
        ("app-Machine", "STANDARD"),
    ),
    (
        "DefinitionUri YAML",
        SERVERLESS,
        SUBSTITUTIONS + "Type: EXPRESS\nName: !Sub ${AWS::StackName}-flow\n"
        "DefinitionUri: statemachine/machine.asl.yaml\n",
        {"statemachine/machine.asl.yaml": YAML_TEXT},
        ("app-flow", "EXPRESS"),
    ),
]


@pytest.mark.parametrize(
    ("resource_type", "properties", "files", "expected"),
    [case[1:] for case in SOURCES],
    ids=[case[0] for case in SOURCES],
)
def test_definition_sources(
    tmp_path: Path,
    resource_type: str,
    properties: str,
    files: dict[str, str],
    expected: tuple[str, str],
) -> None:
    text = SKELETON.format(type=resource_type, properties=textwrap.indent(properties, "      "))
    run = prepare(write_template(tmp_path, text, files), aws="off")
    assert json.loads(run.machine.definition)["States"]["Put"] == EXPECTED_PUT
    assert (run.machine.name, run.machine.type) == expected
    assert run.machine.arn == f"arn:aws:states:us-east-1:111111111111:stateMachine:{expected[0]}"
    uri = next(iter(files), None)
    assert run.machine.filename == str(tmp_path / "app" / (uri or "template.yaml"))


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
    template = write_template(tmp_path, "Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n")
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
    assert (
        json.loads(run.machine.definition)["States"]["Child"]["Parameters"]["StateMachineArn"]
        == arn
    )
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
    assert used_resources(template, ["Machine"]) == ["Dlq", "Queue", "Table", "Function", "Machine"]
