"""Schedules from CloudFormation/SAM templates: AWS::Scheduler::Schedule resources and SAM
Schedule/ScheduleV2 events resolved into CreateSchedule members (intrinsics !Ref, !GetAtt,
!Sub, parameters; JSON and YAML), and ``asl schedule create --template`` registering the
template's state machines, groups and schedules (a second time: unchanged or updated)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runtime.cli import main
from runtime.stores import open_store
from runtime.templates import TemplateError, template_schedules
from tests.runtime.templates.support import write_template

SAM = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Hour:
    Type: String
    Default: "3"
Resources:
  Pipeline:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: pipeline
      Definition:
        StartAt: Done
        States:
          Done: {Type: Pass, End: true}
      Events:
        Hourly:
          Type: Schedule
          Properties:
            Schedule: rate(1 hour)
            Input: '{"kind": "hourly"}'
            Enabled: false
        Nightly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: !Sub "cron(0 ${Hour} * * ? *)"
            ScheduleExpressionTimezone: Europe/Berlin
            GroupName: !Ref Jobs
            FlexibleTimeWindow: {Mode: FLEXIBLE, MaximumWindowInMinutes: 15}
            RetryPolicy: {MaximumRetryAttempts: 2}
            Input: '{"kind": "nightly"}'
        Api:
          Type: Api
          Properties: {Path: /, Method: get}
  Jobs:
    Type: AWS::Scheduler::ScheduleGroup
    Properties:
      Name: jobs
  Weekly:
    Type: AWS::Scheduler::Schedule
    Properties:
      ScheduleExpression: cron(0 9 ? * MON *)
      FlexibleTimeWindow: {Mode: "OFF"}
      State: DISABLED
      Target:
        Arn: !GetAtt Pipeline.Arn
        RoleArn: !GetAtt Role.Arn
        Input: '{}'
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
"""

ROLE = "arn:aws:iam::111111111111:role/asl-local"
PIPELINE = "arn:aws:states:us-east-1:111111111111:stateMachine:pipeline"


def test_sam_events_and_schedule_resources(tmp_path: Path) -> None:
    found = template_schedules(write_template(tmp_path, SAM), stack_name="shop")
    params = {s.source: s.params for s in found.schedules}
    assert params == {
        "Pipeline/Events/Hourly": {
            "Name": "PipelineHourly",
            "ScheduleExpression": "rate(1 hour)",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "DISABLED",
            "Target": {"Arn": PIPELINE, "Input": '{"kind": "hourly"}', "RoleArn": ROLE},
        },
        "Pipeline/Events/Nightly": {
            "Name": "PipelineNightly",
            "GroupName": "jobs",
            "ScheduleExpression": "cron(0 3 * * ? *)",
            "ScheduleExpressionTimezone": "Europe/Berlin",
            "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
            "Target": {
                "Arn": PIPELINE,
                "Input": '{"kind": "nightly"}',
                "RetryPolicy": {"MaximumRetryAttempts": 2},
                "RoleArn": ROLE,
            },
        },
        "Weekly": {
            "Name": "shop-Weekly",
            "ScheduleExpression": "cron(0 9 ? * MON *)",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "DISABLED",
            "Target": {
                "Arn": PIPELINE,
                "RoleArn": "arn:aws:iam::111111111111:role/shop-Role",
                "Input": "{}",
            },
        },
    }
    assert found.groups == ["jobs"]
    assert [m.name for m in found.machines] == ["pipeline"]
    assert found.warnings == []


JSON_TEMPLATE = {
    "Parameters": {"Every": {"Type": "String", "Default": "5 minutes"}},
    "Resources": {
        "Flow": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": "flow",
                "DefinitionString": '{"StartAt": "P", "States": {"P": {"Type": "Pass", '
                '"End": true}}}',
                "RoleArn": "arn:aws:iam::111111111111:role/r",
            },
        },
        "Often": {
            "Type": "AWS::Scheduler::Schedule",
            "Properties": {
                "Name": "often",
                "ScheduleExpression": {"Fn::Sub": "rate(${Every})"},
                "StartDate": "2030-01-01T00:00:00Z",
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "Target": {
                    "Arn": "arn:aws:scheduler:::aws-sdk:sfn:startExecution",
                    "RoleArn": "arn:aws:iam::111111111111:role/r",
                    "Input": {"Fn::Sub": '{"StateMachineArn": "${Flow}", "Input": "{\\"a\\": 1}"}'},
                },
            },
        },
        "ToLambda": {
            "Type": "AWS::Scheduler::Schedule",
            "Properties": {
                "ScheduleExpression": "rate(1 day)",
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "Target": {
                    "Arn": "arn:aws:lambda:us-east-1:111111111111:function:f",
                    "RoleArn": "arn:aws:iam::111111111111:role/r",
                },
            },
        },
    },
}


def test_json_template_universal_target_and_a_target_left_out(tmp_path: Path) -> None:
    template = write_template(tmp_path, json.dumps(JSON_TEMPLATE), name="template.json")
    found = template_schedules(template, parameters={"Every": "2 hours"})
    [often] = found.schedules
    assert often.params["ScheduleExpression"] == "rate(2 hours)"
    assert often.params["StartDate"].isoformat() == "2030-01-01T00:00:00+00:00"
    request = json.loads(often.params["Target"]["Input"])
    assert request["StateMachineArn"] == "arn:aws:states:us-east-1:111111111111:stateMachine:flow"
    assert [m.name for m in found.machines] == ["flow"]
    [warning] = found.warnings
    assert "ToLambda" in warning and "not a state machine of this template" in warning


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"ScheduleExpression": "rate(1 day)"}, "needs a Target with an Arn"),
        (
            {
                "ScheduleExpression": "rate(1 day)",
                "EndDate": "next year",
                "Target": {"Arn": {"Ref": "Flow"}, "RoleArn": "r"},
            },
            "EndDate 'next year' is not an ISO-8601",
        ),
        (
            {"ScheduleExpression": {"Ref": "Missing"}, "Target": {"Arn": {"Ref": "Flow"}}},
            "Ref Missing",
        ),
    ],
)
def test_template_errors_name_where(tmp_path: Path, properties: dict, message: str) -> None:
    body: dict[str, Any] = json.loads(json.dumps(JSON_TEMPLATE))
    body["Resources"] = {
        "Flow": body["Resources"]["Flow"],
        "Bad": {"Type": "AWS::Scheduler::Schedule", "Properties": properties},
    }
    template = write_template(tmp_path, json.dumps(body), name="template.json")
    with pytest.raises(TemplateError, match=message) as caught:
        template_schedules(template)
    assert "template.json:" in str(caught.value)


def asl(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_asl_schedule_create_template_installs_and_reinstalls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_template(tmp_path, SAM).path
    store = str(tmp_path / "store.sqlite3")
    code, out, err = asl(capsys, "schedule", "create", "--template", path, "--store", store)
    assert code == 0, err
    assert out.splitlines() == [
        "state machine pipeline: created",
        "schedule group jobs: created",
        "schedule default/PipelineHourly: created",
        "schedule jobs/PipelineNightly: created",
        "schedule default/app-Weekly: created",
    ]
    code, out, err = asl(
        capsys, "schedule", "create", "--template", path, "--store", store, "--parameter", "Hour=4"
    )
    assert code == 0, err
    assert out.splitlines() == [
        "state machine pipeline: unchanged",
        "schedule default/PipelineHourly: unchanged",
        "schedule jobs/PipelineNightly: updated",
        "schedule default/app-Weekly: unchanged",
    ]
    opened = open_store(store)
    try:
        nightly = next(s for s in opened.list_schedules() if s.name == "PipelineNightly")
    finally:
        opened.close()
    assert nightly.schedule_expression == "cron(0 4 * * ? *)"
    code, out, _ = asl(capsys, "schedule", "list", "--group", "jobs", "--store", store)
    assert code == 0 and out.splitlines()[1].startswith("PipelineNightly  jobs")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("nightly",), "no NAME, --cron, --machine"),
        (("--parameter", "Nope=1"), "declares no parameter 'Nope'"),
    ],
)
def test_template_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], message: str
) -> None:
    path = write_template(tmp_path, SAM).path
    store = str(tmp_path / "store.sqlite3")
    code, _, err = asl(capsys, "schedule", "create", "--template", path, "--store", store, *extra)
    assert code == 2 and message in err and "Traceback" not in err
