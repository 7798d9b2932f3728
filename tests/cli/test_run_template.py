"""``asl run template.yaml``: the SAM application in state_machines/sam_orders run from its
template in a real ``asl`` process: ``--aws moto`` (the embedded AWS), ``--aws aws`` against
moto's server (checked with a boto3 client of the test's own), ``--aws off`` (stops before
starting, naming the switch), and the template options' usage errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.support.moto_server import AWS_VARIABLES, MotoServer

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "state_machines" / "sam_orders"
TEMPLATE = str(SAMPLE / "template.yaml")
ORDER = str(SAMPLE / "order.json")
STORED = {"orderId": "order-000001", "customer": "ada", "total": "25.20"}


def asl(
    *args: str, tmp_path: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m runtime ARGS`` from the repo root, with a store of its own and no AWS
    configuration but ``env``'s."""
    environment = {k: v for k, v in os.environ.items() if k not in AWS_VARIABLES}
    environment.update(
        ASL_STORE=str(tmp_path / "store.sqlite3"),
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
    )
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "runtime", *args],
        cwd=ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )


def summary(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("options", "total"),
    [((), "25.20"), (("--parameter", "TaxRate=0.1"), "23.10")],
    ids=["defaults", "a parameter given"],
)
def test_sam_application_runs_in_the_embedded_aws(
    tmp_path: Path, options: tuple[str, ...], total: str
) -> None:
    run = ("run", TEMPLATE, "--aws", "moto", "--input-file", ORDER, "--format", "json")
    result = summary(asl(*run, *options, tmp_path=tmp_path))
    assert result["status"] == "SUCCEEDED"
    output = result["output"]
    assert output["priced"] == {"orderId": "order-000001", "subtotal": "21.00", "total": total}
    assert output["stored"] == {**STORED, "total": total}  # put by putItem, read by getItem
    assert output["shipping"]["messageId"] and output["announcement"]["messageId"]
    machine = "arn:aws:states:us-east-1:111111111111:execution:sam-orders-orders:"
    assert result["executionArn"].startswith(machine)


def test_off_stops_before_starting_and_names_the_switch(tmp_path: Path) -> None:
    done = asl("run", TEMPLATE, "--aws", "off", "--input-file", ORDER, tmp_path=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "--aws" in done.stderr
    assert done.stdout == ""
    listed = asl("executions", "--format", "json", tmp_path=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == {"executions": []}  # nothing was started


def test_sam_application_against_a_server(moto_server: MotoServer, tmp_path: Path) -> None:
    moto_server.reset()
    env = moto_server.environment(str(tmp_path))
    done = asl("run", TEMPLATE, "--aws", "aws", "--input-file", ORDER, tmp_path=tmp_path, env=env)
    assert summary(done)["stored"] == STORED

    dynamodb = moto_server.client("dynamodb")
    item = dynamodb.get_item(
        TableName="sam-orders-OrdersTable", Key={"orderId": {"S": "order-000001"}}
    )["Item"]
    assert item["orderId"] == {"S": "order-000001"} and item["customer"] == {"S": "ada"}
    assert Decimal(item["total"]["N"]) == Decimal("25.2")
    counter = dynamodb.get_item(
        TableName="sam-orders-OrdersTable", Key={"orderId": {"S": "counter"}}
    )
    assert counter["Item"]["next"] == {"N": "1"}  # the function's own boto3 call reached the server
    sqs = moto_server.client("sqs")
    url = sqs.get_queue_url(QueueName="sam-orders-ShippingQueue")["QueueUrl"]
    (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert json.loads(message["Body"]) == STORED

    again = asl("run", TEMPLATE, "--aws", "aws", "--input-file", ORDER, tmp_path=tmp_path, env=env)
    assert summary(again)["stored"]["orderId"] == "order-000002"  # the same table, used again


TWO_MACHINES = """\
Parameters:
  Greeting: {Type: String}
Resources:
  First:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition: {StartAt: P, States: {P: {Type: Pass, Result: !Ref Greeting, End: true}}}
  Second:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition: {StartAt: P, States: {P: {Type: Pass, Result: !Sub "${Greeting}!", End: true}}}
"""


@pytest.mark.parametrize(
    ("args", "status", "expected"),
    [
        ((), 2, "has 2 state machines (First, Second); choose one with --resource LOGICAL_ID"),
        (("--resource", "Third"), 2, "has no state machine 'Third' (its state machines: First"),
        (("--resource", "Second"), 2, "parameter Greeting has no Default; give it a value with"),
        (("--resource", "Second", "--parameter", "Greeting"), 2, "--parameter expects KEY=VALUE"),
        (("--resource", "Second", "--parameter", "Greeting=hi"), 0, '"hi!"'),
    ],
)
def test_template_options(
    tmp_path: Path, args: tuple[str, ...], status: int, expected: str
) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(textwrap.dedent(TWO_MACHINES))
    done = asl("run", str(path), *args, tmp_path=tmp_path)
    assert done.returncode == status, done.stderr
    assert expected in (done.stdout if status == 0 else done.stderr)
    assert "Traceback" not in done.stderr


def test_template_options_need_a_template(tmp_path: Path) -> None:
    path = tmp_path / "machine.asl.json"
    path.write_text('{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}')
    done = asl("run", str(path), "--parameter", "A=1", tmp_path=tmp_path)
    assert done.returncode == 2
    assert "--resource and --parameter are for CloudFormation/SAM templates" in done.stderr


def test_a_template_run_is_not_redriven(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "src").mkdir(parents=True)
    (app / "src" / "app.py").write_text(
        "def handler(event, context):\n    raise ValueError('no')\n"
    )
    (app / "template.yaml").write_text(
        textwrap.dedent("""\
        Resources:
          Machine:
            Type: AWS::Serverless::StateMachine
            Properties:
              Definition:
                StartAt: Call
                States: {Call: {Type: Task, Resource: !GetAtt Fn.Arn, End: true}}
          Fn:
            Type: AWS::Serverless::Function
            Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src}
        """)
    )
    failed = asl("run", str(app / "template.yaml"), "--name", "once", tmp_path=tmp_path)
    assert failed.returncode == 1
    assert "ValueError" in failed.stderr and '"errorMessage": "no"' in failed.stderr
    redriven = asl("redrive", "once", tmp_path=tmp_path)
    assert redriven.returncode == 2
    assert "function Fn of a template is bound only in the process that ran the template" in (
        redriven.stderr
    )
    assert "Traceback" not in redriven.stderr


NESTED = """\
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
            Parameters: {StateMachineArn: !Ref Child, Input: {n: 2}}
            OutputPath: $.Output
            End: true
  Child:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: Double
        States: {Double: {Type: Pass, Parameters: {"n.$": "States.MathAdd($.n, $.n)"}, End: true}}
"""


@pytest.mark.parametrize("mode", ["off", "moto"])
def test_nested_machines_of_the_template_run(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "nested.yaml"
    path.write_text(NESTED)
    done = asl("run", str(path), "--resource", "Parent", "--aws", mode, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"n": 4}
