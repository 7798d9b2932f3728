"""Public Step Functions samples (state_machines/samples/, copied unchanged from aws-samples) run
from their SAM templates with ``asl run TEMPLATE --aws moto`` to the end their own READMEs
describe.

Each run is a subprocess: the embedded AWS patches botocore for its whole process. What a sample
writes cannot be read back after an embedded run ends, so it is asserted through the machine's own
output (a read-back state, the service's answer), and again with ``--aws aws`` against moto's
server, where the test reads the table, queue or bucket with a boto3 client of its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.moto_server import MotoServer

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "state_machines" / "samples"
RUN_TIMEOUT = 180
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SERVICE_ANSWER = {"SdkHttpMetadata", "SdkResponseMetadata"}
# Engine bugs the samples found (tests/samples/FINDINGS.md): XPASS once fixed.


@dataclass
class Run:
    """One ``asl run`` of a sample: its exit status, summary (``--format json``) and store."""

    code: int
    summary: dict[str, Any]
    stdout: str
    stderr: str
    store: Path

    @property
    def output(self) -> Any:
        return self.summary["output"]

    def query(self, *command: str) -> Any:
        """``asl COMMAND --store STORE --format json`` on the run's store, parsed."""
        options = ("--store", str(self.store), "--format", "json")
        done = subprocess.run(
            [sys.executable, "-m", "runtime", *command, *options],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def events(self) -> list[dict[str, Any]]:
        """The execution's history (``asl history``)."""
        return list(self.query("history", self.summary["executionArn"])["events"])

    def executions(self) -> dict[str, str]:
        """Every execution in the run's store, nested ones too (``asl executions``): their
        statuses by name."""
        return {e["name"]: e["status"] for e in self.query("executions")["executions"]}

    def entered(self) -> list[str]:
        """The names of the states entered, in order."""
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in self.events()
            if "stateEnteredEventDetails" in e
        ]


def run_sample(
    sample: str, tmp_path: Path, *args: str, aws: str = "moto", env: dict[str, str] | None = None
) -> Run:
    """``asl run state_machines/samples/SAMPLE/template.yaml --aws AWS ARGS`` in a subprocess."""
    store = tmp_path / f"{sample}.sqlite3"
    template = SAMPLES / sample / "template.yaml"
    command = [sys.executable, "-m", "runtime", "run", str(template), "--aws", aws]
    command += ["--format", "json", "--store", str(store), *args]
    done = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    lines = done.stdout.strip().splitlines()
    assert lines, f"no summary (exit {done.returncode}):\n{done.stderr}"
    return Run(done.returncode, json.loads(lines[-1]), done.stdout, done.stderr, store)


def succeeded(run: Run) -> Run:
    assert (run.code, run.summary["status"]) == (0, "SUCCEEDED"), (run.summary, run.stderr)
    return run


def assert_service_answer(output: dict[str, Any], *fields: str) -> None:
    """``output`` is an optimized integration's answer: ``fields`` and the SDK metadata."""
    assert set(output) == {*fields, *SERVICE_ANSWER}, output
    assert output["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert output["SdkResponseMetadata"]["RequestId"]


# -- request-response (step-functions-workflows-collection): a Wait, then SNS publish ------------


def test_request_response_waits_then_publishes_to_the_templates_topic(tmp_path: Path) -> None:
    readme_input = {"message": "Welcome to re:Invent!", "timer_seconds": 5}
    run = succeeded(
        run_sample("request-response", tmp_path, "--time-skip", "--input", json.dumps(readme_input))
    )
    assert_service_answer(run.output, "MessageId")
    assert UUID.match(run.output["MessageId"])
    events = run.events()
    stamps = {
        e["type"]: datetime.fromisoformat(e["timestamp"])
        for e in events
        if e["type"] in ("WaitStateEntered", "WaitStateExited")
    }
    assert stamps["WaitStateExited"] - stamps["WaitStateEntered"] == timedelta(seconds=5)
    assert run.entered() == ["Wait for timestamp", "Send message to SNS"]


# -- sfn-dynamodb (serverless-patterns): putItem then getItem, inline Definition ----------------


def test_sfn_dynamodb_puts_the_item_and_reads_it_back(tmp_path: Path) -> None:
    run = succeeded(run_sample("sfn-dynamodb", tmp_path, "--input", '{"id": "12345"}'))
    # The README's DescribeExecution output: the plain strings of the Item were stored as S.
    assert run.output == {"description": {"S": "Hello, my id is 12345."}, "id": {"S": "12345"}}


def test_sfn_dynamodb_item_is_on_the_server(tmp_path: Path, moto_env: MotoServer) -> None:
    run = succeeded(run_sample("sfn-dynamodb", tmp_path, "--input", '{"id": "42"}', aws="aws"))
    item = moto_env.client("dynamodb").get_item(TableName="my-table", Key={"id": {"S": "42"}})
    assert item["Item"] == {"id": {"S": "42"}, "description": {"S": "Hello, my id is 42."}}
    assert run.output == item["Item"]


# -- sfn-sqs (serverless-patterns): sqs:sendMessage to the template's queue ----------------------

README_MESSAGE = {"message": {"hello": "world"}}
README_MD5 = "fbc24bcc7a1794758fc1327fcfebdaf6"  # the README's MD5OfMessageBody


def test_sfn_sqs_sends_the_message_the_readme_shows(tmp_path: Path) -> None:
    run = succeeded(run_sample("sfn-sqs", tmp_path, "--input", json.dumps(README_MESSAGE)))
    assert_service_answer(run.output, "MD5OfMessageBody", "MessageId")
    assert run.output["MD5OfMessageBody"] == README_MD5
    assert UUID.match(run.output["MessageId"])


def test_sfn_sqs_message_is_in_the_queue(tmp_path: Path, moto_env: MotoServer) -> None:
    message_input = json.dumps(README_MESSAGE)
    run = succeeded(run_sample("sfn-sqs", tmp_path, "--input", message_input, aws="aws"))
    sqs = moto_env.client("sqs")
    (queue_url,) = sqs.list_queues()["QueueUrls"]
    (message,) = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    assert message["Body"] == '{"hello":"world"}'
    assert message["MessageId"] == run.output["MessageId"]
    assert message["MD5OfBody"] == README_MD5


# -- sfn-s3 (serverless-patterns): aws-sdk:s3:putObject into the template's bucket ---------------

# The README shows only that filename.txt appears. Which bytes a string Body becomes is the
# engine's reading of AWS (runtime/tasks/aws/shapes.py: its JSON text); FINDINGS.md, "sfn-s3".
HELLO_WORLD = (b"Hello World", b'"Hello World"')


def etag(body: bytes) -> str:
    return '"' + hashlib.md5(body, usedforsecurity=False).hexdigest() + '"'


def test_sfn_s3_puts_the_object(tmp_path: Path) -> None:
    run = succeeded(run_sample("sfn-s3", tmp_path))
    assert run.output["ETag"] in {etag(body) for body in HELLO_WORLD}
    assert "SdkHttpMetadata" not in run.output  # an aws-sdk integration answers the bare API shape


def test_sfn_s3_object_is_in_the_bucket(tmp_path: Path, moto_env: MotoServer) -> None:
    run = succeeded(run_sample("sfn-s3", tmp_path, aws="aws"))
    got = moto_env.client("s3").get_object(Bucket="my-sfn-bucket-destination", Key="filename.txt")
    body = got["Body"].read()
    assert body in HELLO_WORLD
    assert got["ETag"] == run.output["ETag"] == etag(body)


# -- eventbridge-custom-sam (workflows collection): events:putEvents on the template's bus --------

BUS = "stepfunctions-sampleproject-eventbus"


def test_eventbridge_custom_event_is_accepted_by_the_bus(tmp_path: Path) -> None:
    run = succeeded(run_sample("eventbridge-custom-sam", tmp_path))
    # PutEvents' own answer (this integration adds no SdkHttpMetadata); a bus that does not exist
    # would fail the entry.
    assert set(run.output) == {"Entries", "FailedEntryCount"}
    assert run.output["FailedEntryCount"] == 0
    (entry,) = run.output["Entries"]
    assert set(entry) == {"EventId"}
    assert UUID.match(entry["EventId"])


def test_eventbridge_custom_event_reaches_a_rule_on_the_bus(
    tmp_path: Path, moto_env: MotoServer
) -> None:
    # The bus exists already (the runner uses it as it is), with a rule of the test's own that
    # sends the sample's events to a queue, as the template's rule sends them to its targets.
    events, sqs = moto_env.client("events"), moto_env.client("sqs")
    events.create_event_bus(Name=BUS)
    queue_url = sqs.create_queue(QueueName="sample-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    pattern = {"source": ["my.statemachine"], "detail-type": ["MessageFromStepFunctions"]}
    events.put_rule(Name="to-queue", EventBusName=BUS, EventPattern=json.dumps(pattern))
    target = {"Id": "queue", "Arn": queue_arn["Attributes"]["QueueArn"]}
    events.put_targets(Rule="to-queue", EventBusName=BUS, Targets=[target])

    run = succeeded(run_sample("eventbridge-custom-sam", tmp_path, aws="aws"))
    (message,) = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    event = json.loads(message["Body"])
    assert event["id"] == run.output["Entries"][0]["EventId"]
    assert (event["source"], event["detail-type"]) == (
        "my.statemachine",
        "MessageFromStepFunctions",
    )
    assert event["detail"] == {"Message": "Hello from Step Functions!"}


# -- sfn-dynamodb-batchwriteitem (workflows collection): a Python function, Distributed Map -------

NAMES = re.compile(
    r"^(Happy|Brave|Clever|Gentle|Sunny|Witty|Charming) "
    r"(Panda|Phoenix|Whale|Butterfly|Lion|Owl|Dolphin)$"
)
RATINGS = {"Excellent", "Good", "Average", "Fair", "Poor"}


def test_batchwriteitem_writes_51_items_in_three_batches(tmp_path: Path) -> None:
    run = succeeded(run_sample("sfn-dynamodb-batchwriteitem", tmp_path))
    # 51 generated items, batched 25 + 25 + 1: one BatchWriteItem answer per batch, nothing left
    # unprocessed (moto adds ConsumedCapacity and ItemCollectionMetrics unasked; AWS would not).
    assert [answer["UnprocessedItems"] for answer in run.output] == [{}] * 3
    entered = run.entered()
    assert entered.count("Get Items To Process") == 1
    assert entered.count("JSON Formatter") == 51  # the inline Map's iterations
    # The Distributed Map's batches run as child executions: one Map Run in the parent history.
    types = [e["type"] for e in run.events()]
    assert (types.count("MapRunStarted"), types.count("MapRunSucceeded")) == (1, 1)


def test_batchwriteitem_items_are_in_the_table(tmp_path: Path, moto_env: MotoServer) -> None:
    succeeded(run_sample("sfn-dynamodb-batchwriteitem", tmp_path, aws="aws"))
    dynamodb = moto_env.client("dynamodb")
    (table,) = dynamodb.list_tables()["TableNames"]
    items = dynamodb.scan(TableName=table)["Items"]
    assert len(items) == 51
    for item in items:
        assert set(item) == {"id", "name", "rating"}
        assert UUID.match(item["id"]["S"])
        assert NAMES.match(item["name"]["S"])
        assert item["rating"]["S"] in RATINGS


# -- sfn-sns-task-timer (workflows collection): a nested .sync:2 execution under a timeout -------

TASK_TIMER = ("--resource", "TaskTimer")


def expiry(after: timedelta) -> str:
    """An ``expirydate`` as the sample's function parses it (UTC, whole seconds)."""
    return (datetime.now(UTC) + after).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_task_timer_with_the_readmes_past_date_reports_an_invalid_expiry(tmp_path: Path) -> None:
    readme_input = {"expirydate": "2023-06-09T04:13:00Z"}
    run = succeeded(
        run_sample(
            "sfn-sns-task-timer",
            tmp_path,
            *TASK_TIMER,
            "--input",
            json.dumps(readme_input),
            env={"TZ": "UTC"},  # the function compares a UTC date with datetime.now()
        )
    )
    assert_service_answer(run.output, "MessageId")
    assert run.entered() == ["CalculateTaskExpiry", "CheckForValidExpiryDate", "InvalidTaskExpiry"]


def test_task_timer_output_is_alone_on_stdout(tmp_path: Path) -> None:
    # docs/cli-run.md: the output JSON on stdout. The sample's functions print(event), which on
    # AWS goes to CloudWatch Logs.
    readme_input = {"expirydate": "2023-06-09T04:13:00Z"}
    run = run_sample(
        "sfn-sns-task-timer", tmp_path, *TASK_TIMER, "--input", json.dumps(readme_input)
    )
    assert run.stdout.splitlines() == [json.dumps(run.summary)]


def test_task_timer_child_past_its_deadline_times_out_and_rolls_back(tmp_path: Path) -> None:
    # The child's task sleeps 100 s; the parent gives it the seconds left until the expiry date.
    run = succeeded(
        run_sample(
            "sfn-sns-task-timer",
            tmp_path,
            *TASK_TIMER,
            "--input",
            json.dumps({"expirydate": expiry(timedelta(seconds=10))}),
            env={"TZ": "UTC"},
        )
    )
    assert_service_answer(run.output, "MessageId")  # FailedChildTaskExecution's, passed on
    assert run.entered() == [
        "CalculateTaskExpiry",
        "CheckForValidExpiryDate",
        "ValidTaskExpiryDate",
        "InvokeTimeboundedChildTasks",
        "FailedChildTaskExecution",
        "SomeRollBackTask",
    ]
    (timed_out,) = [e for e in run.events() if e["type"] == "TaskTimedOut"]
    assert timed_out["taskTimedOutEventDetails"]["error"] == "States.Timeout"
    # The child the timed-out Task started is over too, not left RUNNING in the store.
    children = {n: s for n, s in run.executions().items() if n != run.summary["name"]}
    assert len(children) == 1 and "RUNNING" not in children.values(), children


SAMPLE_NAMES = sorted(p.name for p in SAMPLES.iterdir() if p.is_dir() and p.name[0] != ".")
LISTED_FILE = re.compile(r"^\| `([^`]+)` \| `([0-9a-f]{40})` \|$", re.MULTILINE)


def git_blob_id(data: bytes) -> str:
    """What ``git hash-object`` prints for a file holding ``data``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_sample_names_its_source_commit_and_licence(sample: str) -> None:
    readme = (SAMPLES / sample / "README.md").read_text(encoding="utf-8")
    source = re.search(r"github\.com/aws-samples/([\w-]+)/tree/[0-9a-f]{40}/([\w-]+)", readme)
    assert source and source.group(2) == sample, "the README names the upstream folder"
    assert "Licence: MIT-0" in readme


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_sample_files_are_unchanged(sample: str) -> None:
    folder = SAMPLES / sample
    listed = dict(LISTED_FILE.findall((folder / "README.md").read_text(encoding="utf-8")))
    present = {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != "README.md" and "__pycache__" not in p.parts
    }
    assert set(listed) == present, "every copied file is listed with its upstream blob id"
    for name, blob in listed.items():
        assert git_blob_id((folder / name).read_bytes()) == blob, f"{name} differs from upstream"
