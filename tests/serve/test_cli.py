"""``asl serve`` as a command, and the AWS CLI against it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.serve.conftest import PASS, ROLE, ROOT, free_port, wait_done

AWS = shutil.which("aws")


def asl(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runtime", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_help_lists_the_options():
    out = asl("serve", "--help")
    assert out.returncode == 0
    for flag in ("--host", "--port", "--store", "--lambda", "--bind", "--max-request-bytes"):
        assert flag in out.stdout


def test_usage_errors_exit_2(tmp_path):
    bad = asl(
        "serve",
        "--port",
        str(free_port()),
        "--bind",
        "nonsense",
        "--store",
        str(tmp_path / "s.sqlite3"),
    )
    assert bad.returncode == 2 and "--bind expects" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_port_in_use_exits_2(serve_process, tmp_path):
    running = serve_process("--store", str(tmp_path / "a.sqlite3"))
    port = running.url.rsplit(":", 1)[1]
    out = asl("serve", "--port", port, "--store", str(tmp_path / "b.sqlite3"))
    assert out.returncode == 2 and "cannot listen" in out.stderr


def test_lambda_option_routes_tasks(serve_process, tmp_path):
    from tests.serve.conftest import client

    server = serve_process(
        "--store",
        str(tmp_path / "s.sqlite3"),
        "--lambda",
        "Doubler=tests.serve.handlers:double_lambda",
    )
    sfn = client(server.url)
    body = json.dumps(
        {
            "StartAt": "L",
            "States": {
                "L": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "Doubler", "Payload": {"value": 2}},
                    "OutputPath": "$.Payload",
                    "End": True,
                }
            },
        }
    )
    machine = sfn.create_state_machine(name="l", definition=body, roleArn=ROLE)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    done = wait_done(sfn, arn)
    assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"value": 4})


@pytest.mark.skipif(AWS is None, reason="the AWS CLI is not installed")
def test_aws_cli(serve_process, tmp_path):
    server = serve_process("--store", str(tmp_path / "s.sqlite3"))
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }

    def aws(*args: str) -> dict:
        out = subprocess.run(
            [AWS, "stepfunctions", *args, "--endpoint-url", server.url, "--output", "json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else {}

    machine = aws(
        "create-state-machine", "--name", "cli", "--definition", PASS, "--role-arn", ROLE
    )["stateMachineArn"]
    started = aws("start-execution", "--state-machine-arn", machine, "--input", '{"a": 1}')
    described = aws("describe-execution", "--execution-arn", started["executionArn"])
    assert described["stateMachineArn"] == machine
    assert aws("list-state-machines")["stateMachines"][0]["name"] == "cli"
    express = aws(
        "create-state-machine",
        "--name",
        "cli-x",
        "--definition",
        PASS,
        "--role-arn",
        ROLE,
        "--type",
        "EXPRESS",
    )["stateMachineArn"]
    synced = aws("start-sync-execution", "--state-machine-arn", express)
    assert synced["status"] == "SUCCEEDED" and json.loads(synced["output"]) == {"ok": True}
    failed = subprocess.run(
        [
            AWS,
            "stepfunctions",
            "describe-execution",
            "--execution-arn",
            machine.replace(":stateMachine:", ":execution:") + ":nope",
            "--endpoint-url",
            server.url,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert failed.returncode != 0 and "ExecutionDoesNotExist" in failed.stderr
