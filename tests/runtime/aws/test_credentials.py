"""A Task's ``Credentials``: its AWS calls are made as the role it names (sts:AssumeRole),
against moto's server over HTTP and in the embedded AWS of ``asl run --aws moto``. moto answers
GetCallerIdentity with the identity of the access key that signed the request, so the task's
result shows whose credentials it used."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import runtime
from runtime.tasks.aws import AwsMode, roles
from runtime.tasks.aws.clients import AwsClients
from tests.runtime.aws.test_processes import asl, machine
from tests.support.moto_server import MotoServer

WHO = "arn:aws:states:::aws-sdk:sts:getCallerIdentity"
ROLE = "arn:aws:iam::111111111111:role/Auditor"


@pytest.fixture
def role(moto_env: MotoServer) -> str:
    moto_env.client("iam").create_role(RoleName="Auditor", AssumeRolePolicyDocument="{}")
    return ROLE


def who(credentials: Any = None, query_language: str | None = None) -> dict[str, Any]:
    arguments = "Arguments" if query_language == "JSONata" else "Parameters"
    task: dict[str, Any] = {"Type": "Task", "Resource": WHO, arguments: {}, "End": True}
    if credentials is not None:
        task["Credentials"] = credentials
    machine: dict[str, Any] = {"StartAt": "Who", "States": {"Who": task}}
    if query_language:
        machine["QueryLanguage"] = query_language
    return machine


@pytest.mark.parametrize(
    ("credentials", "query_language"),
    [
        ({"RoleArn": ROLE}, None),
        ({"RoleArn.$": "$.role"}, None),
        ({"RoleArn.$": "States.Format('{}', $$.Execution.Input.role)"}, None),
        ({"RoleArn": "{% $states.input.role %}"}, "JSONata"),
    ],
    ids=["literal", "path", "intrinsic", "jsonata"],
)
def test_the_call_is_made_as_the_role(
    role: str, credentials: dict[str, Any], query_language: str | None
) -> None:
    result = runtime.execute(who(credentials, query_language), {"role": role}, name="audit-1")
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["Arn"] == "arn:aws:sts::111111111111:assumed-role/Auditor/audit-1"


def test_without_credentials_the_mode_own_identity(role: str) -> None:
    result = runtime.execute(who(), {})
    assert result.status == "SUCCEEDED", result.cause
    assert ":assumed-role/" not in result.output["Arn"]


def test_a_role_arn_that_is_not_one_fails_the_task(role: str) -> None:
    result = runtime.execute(who({"RoleArn.$": "$.role"}), {"role": "Auditor"})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "RoleArn, an IAM role's ARN" in (result.cause or "")


def test_credentials_are_kept_per_role_until_near_expiry(role: str) -> None:
    base = AwsClients(AwsMode.AWS)
    context = {"Execution": {"Name": "first run!"}}
    first = roles.clients_for(base, role, context)
    assert roles.clients_for(base, role, {"Execution": {"Name": "second"}}) is first
    identity = first.client("sts").get_caller_identity()
    assert identity["Arn"].endswith("assumed-role/Auditor/first-run-")


def test_asl_run_in_the_embedded_aws_assumes_the_role(tmp_path: Path) -> None:
    create = {
        "Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:iam:createRole",
        "Parameters": {"RoleName": "Auditor", "AssumeRolePolicyDocument": "{}"},
        "ResultPath": None,
        "Next": "Who",
    }
    definition = who({"RoleArn": ROLE})
    definition["States"]["Who"]["ResultSelector"] = {"Arn.$": "$.Arn"}
    definition["States"]["Role"] = create
    definition["StartAt"] = "Role"
    done = asl(tmp_path, "run", machine(tmp_path, definition), "--aws", "moto", "--name", "emb")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"Arn": "arn:aws:sts::111111111111:assumed-role/Auditor/emb"}
