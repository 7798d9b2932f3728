"""Table-driven tests for asl.cloudformation: state machines in CloudFormation/SAM templates."""

from __future__ import annotations

import pytest

from asl.cloudformation import fill_substitutions, find_state_machines, is_template
from asl.source import parse_source

FN_ARN = "arn:aws:lambda:us-east-1:123456789012:function:Fn-Arn"


def _template(resource_type: str, properties: dict) -> dict:
    return {"Resources": {"M": {"Type": resource_type, "Properties": properties}}}


SFN = "AWS::StepFunctions::StateMachine"
SAM = "AWS::Serverless::StateMachine"

# (template, expected pointer, expected definition)
DEFINITIONS = [
    # object Definition, as written
    (
        _template(SFN, {"Definition": {"StartAt": "A", "States": {}}}),
        "/Resources/M/Properties/Definition",
        {"StartAt": "A", "States": {}},
    ),
    # intrinsic functions in an object Definition: placeholders that validate
    (
        _template(
            SAM,
            {
                "Definition": {
                    "States": {
                        "A": {
                            "Resource": {"Fn::GetAtt": ["Fn", "Arn"]},
                            "Parameters": {
                                "T": {"Ref": "Table"},
                                "R": {"Ref": "AWS::Region"},
                                "S": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/k"},
                                "J": {"Fn::Join": ["-", ["a", {"Ref": "B"}]]},
                                "I": {"Fn::If": ["Cond", "yes", "no"]},
                                "L": {"Fn::Select": [1, ["x", "y"]]},
                                "Z": {"Fn::GetAZs": ""},
                                "O": {"Ref": {"not": "a name"}},
                            },
                        }
                    }
                }
            },
        ),
        "/Resources/M/Properties/Definition",
        {
            "States": {
                "A": {
                    "Resource": FN_ARN,
                    "Parameters": {
                        "T": "Table",
                        "R": "us-east-1",
                        "S": "arn:aws:s3:::Bucket/k",
                        "J": "a-B",
                        "I": "yes",
                        "L": "y",
                        "Z": ["GetAZs"],
                        "O": "Ref",
                    },
                }
            }
        },
    ),
    # DefinitionSubstitutions: literals as written, functions as placeholders, unknown names kept
    (
        _template(
            SFN,
            {
                "DefinitionSubstitutions": {"Fn": {"Fn::GetAtt": "F.Arn"}, "B": "bkt", "N": 3},
                "Definition": {
                    "States": {
                        "${B}-state": {
                            "Resource": "${Fn}",
                            "Parameters": {"a": "s3://${B}/${N}", "b": "${Other}"},
                        }
                    }
                },
            },
        ),
        "/Resources/M/Properties/Definition",
        {
            "States": {
                "bkt-state": {
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Fn",
                    "Parameters": {"a": "s3://bkt/3", "b": "${Other}"},
                }
            }
        },
    ),
    # DefinitionString as a plain string
    (
        _template(SFN, {"DefinitionString": '{"StartAt": "A", "States": {}}'}),
        "/Resources/M/Properties/DefinitionString",
        {"StartAt": "A", "States": {}},
    ),
    # DefinitionString with Fn::Sub: in-string and bare substitutions, ${!Literal}
    (
        _template(
            SFN,
            {
                "DefinitionString": {
                    "Fn::Sub": [
                        '{"States": {"A": {"Resource": "${Fn.Arn}", "TimeoutSeconds": ${T},'
                        ' "MaxAttempts": ${Max},'
                        ' "P": {"x": "${!Keep}", "y": "${AWS::AccountId}"}}}}',
                        {"Max": 5},
                    ]
                }
            },
        ),
        "/Resources/M/Properties/DefinitionString",
        {
            "States": {
                "A": {
                    "Resource": FN_ARN,
                    "TimeoutSeconds": 1,
                    "MaxAttempts": 5,
                    "P": {"x": "${Keep}", "y": "123456789012"},
                }
            }
        },
    ),
    # Fn::Sub's ${!Max} outside a string, left for DefinitionSubstitutions to fill
    (
        _template(
            SFN,
            {
                "DefinitionString": {"Fn::Sub": '{"States": {"A": {"MaxAttempts": ${!Max}}}}'},
                "DefinitionSubstitutions": {"Max": 3},
            },
        ),
        "/Resources/M/Properties/DefinitionString",
        {"States": {"A": {"MaxAttempts": 3}}},
    ),
    # DefinitionString with Fn::Join, as CDK writes it
    (
        _template(
            SFN,
            {
                "DefinitionString": {
                    "Fn::Join": [
                        "",
                        [
                            '{"States": {"A": {"Resource": "',
                            {"Fn::GetAtt": ["Fn", "Arn"]},
                            '", "Region": "',
                            {"Ref": "AWS::Region"},
                            '"}}}',
                        ],
                    ]
                }
            },
        ),
        "/Resources/M/Properties/DefinitionString",
        {"States": {"A": {"Resource": FN_ARN, "Region": "us-east-1"}}},
    ),
]


@pytest.mark.parametrize(("template", "pointer", "definition"), DEFINITIONS)
def test_definitions(template, pointer, definition) -> None:
    [machine] = find_state_machines(template)
    assert machine.logical_id == "M"
    assert machine.pointer == pointer
    assert machine.definition == definition
    assert machine.problems == ()


# (properties of the resource, resource type, code of the one problem, severity, words)
PROBLEMS = [
    ({"DefinitionS3Location": {"Bucket": "b", "Key": "k"}}, SFN, "ASL008", "WARNING", "S3"),
    ({"DefinitionUri": "s3://b/k.json"}, SAM, "ASL008", "WARNING", "S3"),
    ({"DefinitionUri": {"Bucket": "b", "Key": "k"}}, SAM, "ASL008", "WARNING", "S3"),
    ({"DefinitionString": {"Ref": "P"}}, SFN, "ASL008", "WARNING", "not a string, Fn::Sub"),
    ({"DefinitionString": '{"StartAt": '}, SFN, "ASL001", "ERROR", "line 1, column 13"),
    ({"DefinitionString": '{"a": 1, "a": 2}'}, SFN, "ASL002", "ERROR", "duplicate key"),
    ({"DefinitionString": {"Fn::Sub": 3}}, SFN, "ASL007", "ERROR", "malformed Fn::Sub"),
    ({"RoleArn": "x"}, SFN, "ASL007", "ERROR", "needs one of Definition"),
    ({"Type": "EXPRESS"}, SAM, "ASL007", "ERROR", "needs Definition or DefinitionUri"),
]


@pytest.mark.parametrize(("properties", "resource_type", "code", "severity", "words"), PROBLEMS)
def test_problems(properties, resource_type, code, severity, words) -> None:
    [machine] = find_state_machines(_template(resource_type, properties))
    [problem] = machine.problems
    assert (problem.code, problem.severity.value) == (code, severity)
    assert words in problem.message
    assert problem.pointer.startswith("/Resources/M/Properties")


def test_definition_uri_is_returned_with_its_substitutions() -> None:
    properties = {
        "Type": "EXPRESS",
        "DefinitionUri": "statemachine/flow.asl.json",
        "DefinitionSubstitutions": {"FnArn": {"Fn::GetAtt": ["F", "Arn"]}},
    }
    [machine] = find_state_machines(_template(SAM, properties))
    assert machine.definition_uri == "statemachine/flow.asl.json"
    assert machine.state_machine_type == "EXPRESS"
    assert machine.pointer == "/Resources/M/Properties/DefinitionUri"
    filled = fill_substitutions({"Resource": "${FnArn}", "x": "${Nope}"}, machine.substitutions)
    assert filled == {
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:FnArn",
        "x": "${Nope}",
    }


def test_machine_type_and_order_from_a_yaml_template() -> None:
    text = """
Resources:
  Queue: {Type: AWS::SQS::Queue}
  First:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      StateMachineType: EXPRESS
      Definition: {StartAt: A, States: {A: {Type: Task, Resource: !GetAtt Fn.Arn, End: true}}}
  Second:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: {StartAt: B, States: {B: {Type: Succeed}}}
"""
    machines = find_state_machines(parse_source(text).value)
    assert [(m.logical_id, m.state_machine_type) for m in machines] == [
        ("First", "EXPRESS"),
        ("Second", None),
    ]
    assert machines[0].definition["States"]["A"]["Resource"] == FN_ARN


# (value, is a template)
TEMPLATES = [
    ({"Resources": {}}, True),
    ({"Resources": {}, "States": {}}, False),
    ({"StartAt": "A", "States": {}}, False),
    ({"Resources": []}, False),
    ([], False),
]


@pytest.mark.parametrize(("value", "expected"), TEMPLATES)
def test_is_template(value, expected) -> None:
    assert is_template(value) is expected
    if not expected:
        assert find_state_machines(value) == []


# DefinitionUri files: substitutions go into the text before it is parsed, as CloudFormation does.
SUBS = {"Max": 10, "Timeout": "30", "On": True, "Name": "orders", "FnArn": {"Fn::GetAtt": "F.Arn"}}
FN_ARN_PLACEHOLDER = "arn:aws:lambda:us-east-1:123456789012:function:FnArn"

# (id, text, syntax, expected value)
DEFINITION_FILES = [
    ("json number", '{"MaxConcurrency": ${Max}}', "json", {"MaxConcurrency": 10}),
    ("json string value in a number position", '{"T": ${Timeout}}', "json", {"T": 30}),
    ("json boolean", '{"End": ${On}}', None, {"End": True}),
    ("json deploy-time value in a number position", '{"N": ${FnArn}}', "json", {"N": 1}),
    ("json inside a string", '{"Comment": "for ${Name}"}', "json", {"Comment": "for orders"}),
    (
        "json Resource placeholder",
        '{"Resource": "${FnArn}"}',
        "json",
        {"Resource": FN_ARN_PLACEHOLDER},
    ),
    ("json no substitution: left alone", '{"C": "${Nope}"}', "json", {"C": "${Nope}"}),
    ("yaml number", "MaxConcurrency: ${Max}\n", "yaml", {"MaxConcurrency": 10}),
    (
        "yaml string value read as YAML",
        "TimeoutSeconds: ${Timeout}\n",
        "yaml",
        {"TimeoutSeconds": 30},
    ),
    ("yaml Resource placeholder", "Resource: ${FnArn}\n", None, {"Resource": FN_ARN_PLACEHOLDER}),
    ("yaml no substitution: left alone", "C: ${Nope}\n", "yaml", {"C": "${Nope}"}),
]


@pytest.mark.parametrize(
    ("text", "syntax", "expected"),
    [case[1:] for case in DEFINITION_FILES],
    ids=[case[0] for case in DEFINITION_FILES],
)
def test_definition_file_is_substituted_as_text(text, syntax, expected) -> None:
    from asl.cloudformation import parse_definition_file

    assert parse_definition_file(text.encode(), SUBS, syntax=syntax).value == expected


def test_definition_file_keeps_positions_after_a_substitution() -> None:
    from asl.cloudformation import parse_definition_file

    text = '{"StartAt": "A",\n "States": {"A": {"MaxConcurrency": ${Max}, "Next": "B"}}}'
    source = parse_definition_file(text, SUBS, syntax="json")
    assert source.position("/States/A/Next") == (2, text.split("\n")[1].index('"Next"') + 1)
    assert source.value["States"]["A"]["MaxConcurrency"] == 10
