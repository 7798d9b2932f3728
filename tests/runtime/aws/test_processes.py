"""``--aws`` in real processes: ``asl run --aws moto`` (the embedded AWS, never started in this
pytest process), ``--aws off`` failing fast, ``asl resume`` with the mode stored with the
execution (and overridden), ``asl serve --aws moto`` with one backend for every execution, and
Lambda functions in the embedded AWS."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.callbacks.conftest import wait_until
from tests.serve.conftest import client, wait_done
from tests.support.moto_server import AWS_VARIABLES

ROOT = Path(__file__).resolve().parents[3]
SDK = "arn:aws:states:::aws-sdk:"
CREATE_TABLE = {
    "Type": "Task",
    "Resource": SDK + "dynamodb:createTable",
    "Parameters": {
        "TableName": "orders",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    },
    "ResultPath": None,
}
PUT = {
    "Type": "Task",
    "Resource": "arn:aws:states:::dynamodb:putItem",
    "Parameters": {"TableName": "orders", "Item": {"id": {"S.$": "$.id"}, "total": {"N": "42"}}},
    "ResultPath": None,
}
GET = {
    "Type": "Task",
    "Resource": "arn:aws:states:::dynamodb:getItem",
    "Parameters": {"TableName": "orders", "Key": {"id": {"S.$": "$.id"}}},
    "ResultSelector": {"Item.$": "$.Item", "Status.$": "$.SdkHttpMetadata.HttpStatusCode"},
}
ORDERS = {
    "StartAt": "CreateTable",
    "States": {
        "CreateTable": {**CREATE_TABLE, "Next": "Put"},
        "Put": {**PUT, "Next": "Get"},
        "Get": {**GET, "End": True},
    },
}
WHO_AFTER_A_WAIT = {
    "StartAt": "Pause",
    "States": {
        "Pause": {"Type": "Wait", "Seconds": 2, "Next": "Who"},
        "Who": {
            "Type": "Task",
            "Resource": SDK + "sts:getCallerIdentity",
            "Parameters": {},
            "ResultSelector": {"Account.$": "$.Account"},
            "End": True,
        },
    },
}


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any AWS configuration (nothing may reach AWS)."""
    env = {k: v for k, v in os.environ.items() if k not in AWS_VARIABLES}
    env = {k: v for k, v in env.items() if not k.startswith("AWS_ENDPOINT_URL")}
    missing = str(tmp_path / "no-aws-config")
    env.update(
        AWS_CONFIG_FILE=missing,
        AWS_SHARED_CREDENTIALS_FILE=missing,
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def asl(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runtime", *args],
        cwd=tmp_path,
        env=environment(tmp_path, **extra),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def machine(tmp_path: Path, definition: dict[str, Any], name: str = "orders.json") -> str:
    (tmp_path / name).write_text(json.dumps(definition))
    return name


def test_asl_run_aws_moto_runs_against_the_embedded_aws(tmp_path: Path) -> None:
    done = asl(
        tmp_path, "run", machine(tmp_path, ORDERS), "--aws", "moto", "--input", '{"id": "a1"}'
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "Item": {"id": {"S": "a1"}, "total": {"N": "42"}},
        "Status": 200,
    }
    env = asl(tmp_path, "run", "orders.json", "--input", '{"id": "b2"}', ASL_AWS="moto")
    assert env.returncode == 0, env.stderr  # ASL_AWS, and a fresh embedded AWS per process


@pytest.mark.parametrize(
    ("args", "extra"),
    [(["--aws", "off"], {"ASL_AWS": "moto"}), ([], {}), ([], {"ASL_AWS": "off"})],
    ids=["flag", "default", "environment"],
)
def test_asl_run_aws_off_fails_fast_naming_the_switch(
    tmp_path: Path, args: list[str], extra: dict[str, str]
) -> None:
    store = tmp_path / "store.sqlite3"
    done = asl(tmp_path, "run", machine(tmp_path, ORDERS), *args, "--store", str(store), **extra)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    for named in ("--aws moto|aws", "--bind", "--mock-config", "'CreateTable'", "'Put'", "'Get'"):
        assert named in done.stderr
    listed = asl(tmp_path, "executions", "--store", str(store), "--format", "json")
    assert listed.returncode == 2 or json.loads(listed.stdout)["executions"] == []  # not started


def test_a_bad_mode_is_a_usage_error(tmp_path: Path) -> None:
    flag = asl(tmp_path, "run", machine(tmp_path, ORDERS), "--aws", "cloud")
    assert flag.returncode == 2 and "invalid choice: 'cloud'" in flag.stderr
    env = asl(tmp_path, "run", "orders.json", ASL_AWS="cloud")
    assert env.returncode == 2 and "ASL_AWS='cloud': expected off" in env.stderr


def test_resume_uses_the_stored_mode_unless_told_otherwise(tmp_path: Path) -> None:
    name = machine(tmp_path, WHO_AFTER_A_WAIT, "who.json")
    store = str(tmp_path / "store.sqlite3")
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "runtime",
            "run",
            name,
            "--aws",
            "moto",
            "--name",
            "w",
            "--store",
            store,
        ],
        cwd=tmp_path,
        env=environment(tmp_path),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_event(Path(store), "w", "WaitStateEntered")
    finally:
        run.send_signal(signal.SIGKILL)
        run.communicate()
    refused = asl(tmp_path, "resume", "w", "--store", store, "--aws", "off")
    assert refused.returncode == 2 and "--aws moto|aws" in refused.stderr
    resumed = asl(tmp_path, "resume", "w", "--store", store)  # the stored mode: moto
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout) == {"Account": "111111111111"}


def _wait_for_event(store: Path, name: str, event_type: str) -> None:
    from runtime.stores import SqliteStore, StoreError

    def recorded() -> bool:
        if not store.exists():
            return False
        try:
            opened = SqliteStore(store)
        except StoreError:
            return False
        with contextlib.closing(opened):
            try:
                return any(
                    e.type == event_type for e in opened.events(opened.get(name).execution_arn)
                )
            except StoreError:
                return False

    wait_until(recorded, 60, f"{event_type} in the store")


def test_serve_aws_moto_keeps_one_backend_for_every_execution(
    serve_process: Any, tmp_path: Path
) -> None:
    server = serve_process("--store", str(tmp_path / "s.sqlite3"), "--aws", "moto", timeout=60)
    assert "AWS calls: moto" in server.text()
    sfn = client(server.url)
    role = "arn:aws:iam::111111111111:role/test"
    writer = {
        "StartAt": "CreateTable",
        "States": {"CreateTable": {**CREATE_TABLE, "Next": "Put"}, "Put": {**PUT, "End": True}},
    }
    reader = {"StartAt": "Get", "States": {"Get": {**GET, "End": True}}}
    arns = [
        sfn.create_state_machine(name=n, definition=json.dumps(d), roleArn=role)["stateMachineArn"]
        for n, d in (("writer", writer), ("reader", reader))
    ]
    first = sfn.start_execution(stateMachineArn=arns[0], input='{"id": "x9"}')["executionArn"]
    assert wait_done(sfn, first)["status"] == "SUCCEEDED"
    second = sfn.start_execution(stateMachineArn=arns[1], input='{"id": "x9"}')["executionArn"]
    done = wait_done(sfn, second)
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"])["Item"] == {"id": {"S": "x9"}, "total": {"N": "42"}}


def _function_zip() -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return base64.b64encode(buffer.getvalue()).decode()


LAMBDA_IN_MOTO = {
    "StartAt": "Role",
    "States": {
        "Role": {
            "Type": "Task",
            "Resource": SDK + "iam:createRole",
            "Parameters": {"RoleName": "fn", "AssumeRolePolicyDocument": {"Version": "2012-10-17"}},
            "ResultSelector": {"Arn.$": "$.Role.Arn"},
            "ResultPath": "$.role",
            "Next": "Create",
        },
        "Create": {
            "Type": "Task",
            "Resource": SDK + "lambda:createFunction",
            "Parameters": {
                "FunctionName": "echo",
                "Runtime": "python3.12",
                "Handler": "app.handler",
                "Role.$": "$.role.Arn",
                "Code": {"ZipFile": _function_zip()},
            },
            "ResultPath": None,
            "Next": "Invoke",
        },
        "Invoke": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "echo", "Payload": {"hello": "moto"}},
            "OutputPath": "$.Payload",
            "End": True,
        },
    },
}


@pytest.mark.skipif(
    os.path.exists("/var/run/docker.sock") or bool(os.environ.get("DOCKER_HOST")),
    reason="a Docker daemon is reachable: moto would run the function's code in it",
)
def test_lambda_in_moto_mode_runs_local_handlers_and_says_when_it_needs_docker(
    tmp_path: Path,
) -> None:
    name = machine(tmp_path, LAMBDA_IN_MOTO, "lambda.json")
    (tmp_path / "handlers.py").write_text("def echo(event, context):\n    return event\n")
    missing = asl(tmp_path, "run", name, "--aws", "moto", "--express")
    assert missing.returncode == 1
    assert "States.Runtime" in missing.stderr and "Docker" in missing.stderr
    assert "--lambda echo=module:function" in missing.stderr
    local = asl(
        tmp_path, "run", name, "--aws", "moto", "--express", "--lambda", "echo=handlers:echo"
    )
    assert local.returncode == 0, local.stderr
    assert json.loads(local.stdout) == {"hello": "moto"}


EVENT_TO_A_QUEUE = {
    "StartAt": "Queue",
    "States": {
        "Queue": {
            "Type": "Task",
            "Resource": SDK + "sqs:createQueue",
            "Parameters": {"QueueName": "events"},
            "ResultPath": None,
            "Next": "Rule",
        },
        "Rule": {
            "Type": "Task",
            "Resource": SDK + "eventbridge:putRule",
            "Parameters": {"Name": "copy", "EventPattern": {"source": ["orders"]}},
            "ResultPath": None,
            "Next": "Target",
        },
        "Target": {
            "Type": "Task",
            "Resource": SDK + "eventbridge:putTargets",
            "Parameters": {
                "Rule": "copy",
                "Targets": [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:111111111111:events"}],
            },
            "ResultPath": None,
            "Next": "Put",
        },
        "Put": {
            "Type": "Task",
            "Resource": "arn:aws:states:::events:putEvents",
            "Parameters": {
                "Entries": [{"Source": "orders", "DetailType": "d", "Detail": '"a string"'}]
            },
            "End": True,
        },
    },
}


def test_an_exception_inside_the_embedded_aws_fails_the_task(tmp_path: Path) -> None:
    """moto's EventBridge raises on a Detail that is a JSON string when a rule matches: in the
    embedded AWS that is the service failing (a 500), not the run crashing."""
    done = asl(tmp_path, "run", machine(tmp_path, EVENT_TO_A_QUEUE), "--aws", "moto", "--express")
    assert done.returncode == 1, done.stderr
    assert "FAILED: EventBridge.AmazonEventBridgeException: the embedded AWS failed:" in done.stderr
    assert "Status Code: 500; Error Code: InternalFailure" in done.stderr
