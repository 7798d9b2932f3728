"""Each service case's world, rebuilt from the LocalStack test that recorded it.

A builder creates, through boto3 on the :class:`Sandbox` (moto's server over HTTP, or the
embedded AWS), the resources the test created before it started the execution: queues, topics,
tables, buckets with the objects it uploaded, an EventBridge rule, an IAM role; the child state
machines of nested executions (definition files in ``ASL_STATE_MACHINES``); activities (the
engine's own). It returns the :class:`World`: the execution input with the fixture placeholders
filled in, the Lambda handlers, the consumer the test ran during the execution, and how to name
what it created back to the recording's placeholders.

Builders are keyed by the LocalStack test function (``source.node_id``); what they create follows
that test (tests/aws/services/stepfunctions/v2/... at the commit the cases name) and its
fixtures (localstack/testing/pytest/stepfunctions/fixtures.py, testing/pytest/fixtures.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tests.services.cases import ServiceCase
from tests.services.consumers import ConsumerSpec

ACCOUNT = "111111111111"
SECONDARY_ACCOUNT = "222222222222"
REGION = "us-east-1"

QUEUE = "__FX__fixture.sqs_create_queue()__"
TOPIC = "__FX__fixture.sns_create_topic()['TopicArn']__"
BUCKET = "__FX__fixture.s3_create_bucket()__"
ROLE = "__FX__fixture.create_cross_account_admin_role_and_policy()__"


class Sandbox(Protocol):
    """Where a world is built: boto3 clients on one AWS, the engine's callback hub, and the
    folder the engine looks child state machines up in."""

    hub: Any
    machines: Path

    def client(self, service: str, **options: Any) -> Any:
        """A boto3 client; ``options`` go to ``boto3.client`` (credentials of another account)."""
        ...


@dataclass
class World:
    """What an execution of the case needs besides its definition."""

    input: Any
    names: list[tuple[str, str]] = field(default_factory=list)
    """(value created here, placeholder the recording has for it), to normalise results."""
    lambdas: dict[str, str] = field(default_factory=dict)
    """Function name or ARN -> handler: ``lambdas:NAME`` (conformance) or ``wait_60_seconds``."""
    consumer: ConsumerSpec | None = None


Builder = Callable[[Sandbox, ServiceCase], World]

SKIPS: dict[str, str] = {}
"""Cases whose world cannot be rebuilt: case id -> why."""


def build(sandbox: Sandbox, case: ServiceCase) -> World:
    """Create the case's world in ``sandbox``."""
    builder = BUILDERS.get(case.test)
    if builder is None and case.test in API:
        builder = nothing
    if builder is None:
        raise LookupError(f"{case.id}: no world builder for LocalStack test {case.test!r}")
    return builder(sandbox, case)


# --- resources ----------------------------------------------------------------------------------


def fill(value: Any, values: dict[str, Any]) -> Any:
    """``value`` with every fixture placeholder replaced by what was created for it."""
    if isinstance(value, str):
        if value in values:
            return values[value]
        for placeholder, actual in values.items():
            if isinstance(actual, str):
                value = value.replace(placeholder, actual)
        return value
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    return value


def queue(sandbox: Sandbox, name: str = "queue-u0000001") -> str:
    """A standard queue (``sqs_create_queue``); its URL."""
    return str(sandbox.client("sqs").create_queue(QueueName=name)["QueueUrl"])


def queue_arn(sandbox: Sandbox, url: str) -> str:
    attributes = sandbox.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["QueueArn"]
    )
    return str(attributes["Attributes"]["QueueArn"])


def allow_sender(sandbox: Sandbox, url: str, principal: str, source_arn: str) -> None:
    """The queue policy LocalStack's fixtures set so that SNS/EventBridge may send to it."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": principal},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn(sandbox, url),
                "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}},
            }
        ],
    }
    sandbox.client("sqs").set_queue_attributes(
        QueueUrl=url, Attributes={"Policy": json.dumps(policy)}
    )


def topic(sandbox: Sandbox, name: str = "topic-u0000001", *, fifo: bool = False) -> str:
    """An SNS topic (``sns_create_topic``); its ARN."""
    attributes = {"FifoTopic": "true"} if fifo else {}
    reply = sandbox.client("sns").create_topic(Name=name, Attributes=attributes)
    return str(reply["TopicArn"])


def table(sandbox: Sandbox, name: str = "sfn_test_table_u0000001") -> str:
    """A table keyed by the string attribute ``id`` (``dynamodb_create_table``)."""
    sandbox.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def bucket(sandbox: Sandbox, objects: dict[str, bytes], name: str = "test-bucket-u0000001") -> str:
    """A bucket holding ``objects`` (``s3_create_bucket`` and the test's ``put_object``s).

    It encrypts with SSE-S3 by default, as every bucket on AWS has since January 2023 (the
    recordings' ``ServerSideEncryption: AES256``).
    """
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    for key, body in objects.items():
        s3.put_object(Bucket=name, Key=key, Body=body)
    return name


def admin_role(sandbox: Sandbox, account: str, name: str = "admin-test-role-u0000003") -> str:
    """An admin role in ``account`` that the main account may assume
    (``create_cross_account_admin_role_and_policy``); its ARN.

    Only a role of the main account can be created: moto answers every request as the account
    ``MOTO_ACCOUNT_ID`` names (the server's and the embedded AWS's), whatever the credentials.
    A role of another account is named by its ARN alone, which is all a caller sees of it (moto's
    AssumeRole does not ask for the role to exist).
    """
    arn = f"arn:aws:iam::{account}:role/{name}"
    if account != ACCOUNT:
        return arn
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam = sandbox.client("iam")
    created = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    admin = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName=name, PolicyName="admin", PolicyDocument=json.dumps(admin))
    if created["Role"]["Arn"] != arn:
        raise RuntimeError(f"the role was made as {created['Role']['Arn']}, not {arn}")
    return arn


def child_machine(sandbox: Sandbox, name: str, definition: dict[str, Any]) -> None:
    """A state machine nested executions find by ``name``."""
    (sandbox.machines / f"{name}.asl.json").write_text(json.dumps(definition))


def machine_name(arn: str) -> str:
    return arn.rsplit(":", 1)[1]


# --- LocalStack's templates ---------------------------------------------------------------------

PASS_RESULT = {  # templates/base/statemachines/pass_result.json5
    "Comment": "BASE_PASS_RESULT",
    "StartAt": "State_1",
    "States": {"State_1": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": True}},
}
RAISE_FAILURE = {  # templates/base/statemachines/raise_failure.json5
    "Comment": "BASE_RAISE_FAILURE",
    "StartAt": "FailState",
    "States": {
        "FailState": {
            "Type": "Fail",
            "Error": "SomeFailure",
            "Cause": "This state machines raises a 'SomeFailure' failure.",
        }
    },
}


def lambda_wait_with_timeout(function_arn: str) -> dict[str, Any]:
    """templates/timeouts/statemachines/lambda_wait_with_timeout_seconds.json5"""
    return {
        "Comment": "LAMBDA_WAIT_WITH_TIMEOUT_SECONDS",
        "StartAt": "Start",
        "States": {
            "Start": {
                "Type": "Task",
                "TimeoutSeconds": 5,
                "Resource": function_arn,
                "Parameters": {"Payload.$": "$.Payload"},
                "End": True,
            }
        },
    }


_STATEMENTS = [
    {"verdict": "true", "statement_date": "6/11/2008", "statement_source": "speech"},
    {"verdict": "false", "statement_date": "6/7/2022", "statement_source": "television"},
    {"verdict": "mostly-true", "statement_date": "5/18/2016", "statement_source": "news"},
]
_CSV_ROWS = (
    "Value1,Value2,Value3\nValue4,Value5,Value6\n,,,\ntrue,1,'HelloWorld'\nNull,None,\n   \n"
)
_CSV_PAIRS = "Col1,Col2\nValue1,Value2\nValue3,Value4\nValue5,Value6\nValue7,Value8\n"

# LocalStack test -> the objects it uploaded before the execution
OBJECTS: dict[str, dict[str, bytes]] = {
    "test_map_item_reader_base_json": {"file.json": json.dumps(_STATEMENTS).encode()},
    "test_map_item_batching_base_json_max_per_batch_jsonata": {
        "file.json": json.dumps(_STATEMENTS).encode()
    },
    "test_reference_in_map_state_max_items_path": {
        "file.json": json.dumps(
            [
                *_STATEMENTS,
                {"verdict": "false", "statement_date": "5/18/2024", "statement_source": "x"},
            ]
        ).encode()
    },
    "test_map_item_reader_base_json_with_items_path": {
        "file.json": json.dumps([["from-bucket-item-0"]]).encode()
    },
    "test_map_item_reader_base_csv_headers_decl": {"file.csv": _CSV_ROWS.encode()},
    "test_map_item_reader_base_csv_headers_first_line": {
        "file.csv": ("Col1,Col2,Col3\n" + _CSV_ROWS).encode()
    },
    "test_map_item_reader_csv_headers_first_row_typed_headers": {
        "file.csv": b"0,True,{}\nValue4,Value5,Value6\n,,,\ntrue,1,'HelloWorld'\nNull,None,\n   \n"
    },
    "test_map_item_reader_csv_max_items": {"file.csv": _CSV_PAIRS.encode()},
    "test_map_item_reader_csv_max_items_paths": {"file.csv": _CSV_PAIRS.encode()},
    "test_s3_no_such_key": {},
}
# test_s3_get_object[param] -> the body it uploaded as "file_key"
GET_OBJECT_BODIES = {"str": b"text data", "binary": b"binary data"}


# --- builders -----------------------------------------------------------------------------------


def nothing(sandbox: Sandbox, case: ServiceCase) -> World:
    """The test created nothing the execution uses (a missing table, a bad parameter...)."""
    return World(case.data["input"])


def with_bucket(sandbox: Sandbox, case: ServiceCase) -> World:
    if case.test == "test_s3_get_object":
        objects = {"file_key": GET_OBJECT_BODIES[case.param or ""]}
    else:
        objects = OBJECTS[case.test]
    name = bucket(sandbox, objects)
    return World(fill(case.data["input"], {BUCKET: name}), names=[(name, BUCKET)])


def with_table(sandbox: Sandbox, case: ServiceCase) -> World:
    table(sandbox, case.data["input"]["TableName"])
    return World(case.data["input"])


def with_queue(sandbox: Sandbox, case: ServiceCase, consumer: str | None = None) -> World:
    url = queue(sandbox)
    return World(
        fill(case.data["input"], {QUEUE: url}),
        names=[(url, QUEUE)],
        consumer=ConsumerSpec(consumer, url) if consumer else None,
    )


def answering_queue(kind: str) -> Builder:
    """A queue and an SQS reader of ``kind`` answering the token it carries."""
    return lambda sandbox, case: with_queue(sandbox, case, kind)


def with_topic(sandbox: Sandbox, case: ServiceCase) -> World:
    arn = topic(sandbox)
    return World(fill(case.data["input"], {TOPIC: arn}), names=[(arn, TOPIC)])


def with_fifo_topic(sandbox: Sandbox, case: ServiceCase) -> World:
    arn = topic(sandbox, "topic-u0000001.fifo", fifo=True)
    return World(fill(case.data["input"], {TOPIC: arn}), names=[(arn, TOPIC)])


def with_subscribed_topic(sandbox: Sandbox, case: ServiceCase) -> World:
    """A topic with an SQS queue subscribed (``test_publish_message_attributes``)."""
    arn = topic(sandbox)
    url = queue(sandbox, "queue-u0000002")
    sandbox.client("sns").subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn(sandbox, url))
    allow_sender(sandbox, url, "sns.amazonaws.com", arn)
    return World(fill(case.data["input"], {TOPIC: arn}), names=[(arn, TOPIC)])


def with_event_rule(sandbox: Sandbox, case: ServiceCase) -> World:
    """A rule on the default bus sending the detail type's events to a queue
    (``events_to_sqs_queue``)."""
    detail_type = next(p for p, r in case.literal_replacements if r == "<detail-type>")
    events = sandbox.client("events")
    rule_arn = events.put_rule(
        Name="test-rule-u0000003",
        EventBusName="default",
        EventPattern=json.dumps({"detail-type": [detail_type]}),
    )["RuleArn"]
    url = queue(sandbox, "test-queue-u0000002")
    allow_sender(sandbox, url, "events.amazonaws.com", rule_arn)
    events.put_targets(
        Rule="test-rule-u0000003",
        EventBusName="default",
        Targets=[{"Id": "test-target-u0000004", "Arn": queue_arn(sandbox, url)}],
    )
    return World(case.data["input"])


def with_activity(kind: str) -> Builder:
    """The activity the definition names (``create_activity``) and a worker of ``kind``."""

    def build_activity(sandbox: Sandbox, case: ServiceCase) -> World:
        resource = case.data["definition"]["States"]["ActivityTask"]["Resource"]
        arn = sandbox.hub.create_activity(machine_name(resource))
        return World(case.data["input"], consumer=ConsumerSpec(kind, arn))

    return build_activity


def with_child(definition: dict[str, Any]) -> Builder:
    """The machine the input's ``StateMachineArn`` names
    (``create_state_machine_with_iam_role``)."""

    def build_child(sandbox: Sandbox, case: ServiceCase) -> World:
        child_machine(sandbox, machine_name(case.data["input"]["StateMachineArn"]), definition)
        return World(case.data["input"])

    return build_child


def with_timing_out_child(sandbox: Sandbox, case: ServiceCase) -> World:
    """A child machine whose Lambda task (60 s) outlives its ``TimeoutSeconds`` (5 s)."""
    function = next(p for p, r in case.literal_replacements if r == "<lambda_function_1_name>")
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"
    name = machine_name(case.data["input"]["StateMachineArn"])
    child_machine(sandbox, name, lambda_wait_with_timeout(function_arn))
    return World(case.data["input"], lambdas={function_arn: "wait_60_seconds"})


def with_cross_account_child(sandbox: Sandbox, case: ServiceCase) -> World:
    """The target machine lives in the secondary account; the main account assumes an admin role
    there (``test_cross_account_states_start_sync_execution``)."""
    role = admin_role(sandbox, SECONDARY_ACCOUNT)
    name = machine_name(case.data["input"]["StateMachineArn"])
    child_machine(sandbox, name, PASS_RESULT)
    target = f"arn:aws:states:{REGION}:{SECONDARY_ACCOUNT}:stateMachine:{name}"
    value = fill(case.data["input"], {ROLE: role})
    value["StateMachineArn"] = target
    return World(value, names=[(role, ROLE)])


def with_cross_account_lambda(sandbox: Sandbox, case: ServiceCase) -> World:
    """The function and the role live in the main account; the execution assumes the role
    (``test_cross_account_service_lambda_invoke``)."""
    role = admin_role(sandbox, ACCOUNT)
    lambdas = {}
    for function in case.data.get("lambda_functions", []):
        lambdas[function["function_name"]] = function["handler"]
        lambdas[function["arn"]] = function["handler"]
    return World(fill(case.data["input"], {ROLE: role}), names=[(role, ROLE)], lambdas=lambdas)


BUILDERS: dict[str, Builder] = {
    # activities/test_activities.py
    "test_activity_task": with_activity("activity-success"),
    "test_activity_task_with_heartbeat": with_activity("activity-heartbeat-success"),
    # assign/test_assign_reference_variables.py
    "test_reference_in_map_state_max_items_path": with_bucket,
    "test_undefined_reference": nothing,
    # callback/test_callback.py
    "test_multiple_executions_and_heartbeat_notifications": answering_queue(
        "sqs-heartbeats-success"
    ),
    "test_multiple_heartbeat_notifications": answering_queue("sqs-heartbeats-success"),
    "test_sqs_failure_in_wait_for_task_tok_no_error_field": answering_queue("sqs-failure-bare"),
    "test_sqs_failure_in_wait_for_task_token": answering_queue("sqs-failure"),
    "test_sqs_wait_for_task_token_timeout": with_queue,
    "test_start_execution_sync2": with_child(PASS_RESULT),
    "test_start_execution_sync_delegate_timeout": with_timing_out_child,
    # credentials/test_credentials_base.py
    "test_cross_account_service_lambda_invoke": with_cross_account_lambda,
    "test_cross_account_states_start_sync_execution": with_cross_account_child,
    # error_handling/test_aws_sdk.py, test_task_service_dynamodb.py, test_task_service_sqs.py
    "test_dynamodb_invalid_param": nothing,
    "test_invalid_secret_name": nothing,
    "test_s3_no_such_key": with_bucket,
    "test_invalid_param": nothing,
    "test_put_item_invalid_table_name": nothing,
    "test_put_item_no_such_table": nothing,
    "test_send_message_no_such_queue": nothing,
    "test_send_message_no_such_queue_no_catch": nothing,
    # scenarios/test_base_scenarios.py
    "test_invalid_jsonpath": nothing,
    "test_map_item_batching_base_json_max_per_batch_jsonata": with_bucket,
    "test_map_item_reader_base_csv_headers_decl": with_bucket,
    "test_map_item_reader_base_csv_headers_first_line": with_bucket,
    "test_map_item_reader_base_json": with_bucket,
    "test_map_item_reader_base_json_with_items_path": with_bucket,
    "test_map_item_reader_csv_headers_first_row_typed_headers": with_bucket,
    "test_map_item_reader_csv_max_items": with_bucket,
    "test_map_item_reader_csv_max_items_paths": with_bucket,
    # services/test_aws_sdk_task_service.py
    "test_dynamodb_put_get_item": with_table,
    "test_dynamodb_put_update_get_item": with_table,
    "test_s3_get_object": with_bucket,
    "test_sfn_send_task_outcome_with_no_such_token": nothing,
    "test_sfn_start_execution": with_child(RAISE_FAILURE),
    # services/test_dynamodb_task_service.py
    "test_base_integrations": with_table,
    # services/test_events_task_service.py
    "test_put_events_malformed_detail": with_event_rule,
    "test_put_events_no_source": with_event_rule,
    # services/test_sns_task_service.py
    "test_fifo_message_attribute": with_fifo_topic,
    "test_publish_base": with_topic,
    "test_publish_message_attributes": with_subscribed_topic,
    # services/test_sqs_task_service.py
    "test_send_message": with_queue,
    "test_send_message_unsupported_parameters": with_queue,
}

# Tests about the Step Functions API itself: played through asl serve (tests.services.serve_api)
API: dict[str, str] = {
    "test_stop_execution": "stop",  # test_sfn_api.py
    "test_start_async_describe_history_execution": "express-async",  # test_sfn_api_express.py
}


def api_of(case: ServiceCase) -> str | None:
    """How the case's test used the Step Functions API (``stop``...), or None."""
    return API.get(case.test)


__all__ = ["API", "BUILDERS", "SKIPS", "Sandbox", "World", "api_of", "build", "fill"]
