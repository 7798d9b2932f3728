"""The optimized integrations: ``arn:aws:states:::SERVICE:ACTION``, one row per action.

Each row says which boto3 operation the action calls, the integration patterns AWS allows for it
(request-response ``""``, ``.sync``, ``.sync:2``, ``.waitForTaskToken``), the fields it accepts
when AWS documents a narrower set than the API's input (``None``: every member), whether its
result carries ``SdkHttpMetadata`` (the integrations built on the AWS SDK for Java 1.x), and how
its errors are named. Sources: the "Supported APIs" and "Supported parameters" sections of the
Step Functions developer guide's page per service (``connect-sqs``, ``connect-ddb``, ...), and the
executions AWS recorded (tests/conformance/services). ``lambda:invoke`` and
``states:startExecution`` are answered by their own routes and are not here.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from asl.errors import StatesError
from runtime.tasks.aws.errors import V1Naming

RR, SYNC, SYNC2, WAIT = "", ".sync", ".sync:2", ".waitForTaskToken"

Prepare = Callable[[dict[str, Any], Mapping[str, Any], str], None]
"""Adjusts a request's fields in place: ``(fields, context object, pattern)``."""
Finish = Callable[[dict[str, Any]], Any]
"""The task result for the shaped response; raises ``StatesError`` where AWS fails the task."""
Translate = Callable[[dict[str, Any]], dict[str, Any]]
"""The API request's fields for an integration whose fields are Step Functions' own (EMR)."""


@dataclass(frozen=True, slots=True)
class Integration:
    """One optimized integration action."""

    service: str  # as the resource names it: "elasticmapreduce"
    action: str  # "addStep"
    boto_service: str  # "emr"
    patterns: frozenset[str]
    naming: V1Naming
    fields: frozenset[str] | None = None  # accepted fields; None: the API's every member
    metadata: bool = True  # the result carries SdkHttpMetadata / SdkResponseMetadata
    prepare: Prepare | None = None
    finish: Finish | None = None
    api: str | None = None  # the API operation when it is not the action's name
    translate: Translate | None = None

    @property
    def operation(self) -> str:
        """The API operation: the action with its first letter upper-cased, unless ``api``."""
        return self.api or self.action[:1].upper() + self.action[1:]


# -- request adjustments AWS makes -----------------------------------------------------------------


def _events_resources(fields: dict[str, Any], context: Mapping[str, Any], pattern: str) -> None:
    """EventBridge: the state machine's and the execution's ARNs join each entry's Resources."""
    machine = (context.get("StateMachine") or {}).get("Id")
    execution = (context.get("Execution") or {}).get("Id")
    for entry in fields.get("Entries") or ():
        if isinstance(entry, dict):
            resources = list(entry.get("Resources") or [])
            resources.extend(arn for arn in (machine, execution) if arn)
            entry["Resources"] = resources


def _ecs_started_by(fields: dict[str, Any], context: Mapping[str, Any], pattern: str) -> None:
    """ECS ``.sync``: the task is started by "AWS Step Functions"."""
    if pattern in (SYNC, SYNC2):
        fields["StartedBy"] = "AWS Step Functions"


def _batch_managed(fields: dict[str, Any], context: Mapping[str, Any], pattern: str) -> None:
    """Batch ``.sync``: the job's containers get ``MANAGED_BY_AWS=STARTED_BY_STEP_FUNCTIONS``."""
    if pattern not in (SYNC, SYNC2):
        return
    overrides = fields.setdefault("ContainerOverrides", {})
    if isinstance(overrides, dict):
        environment = overrides.setdefault("Environment", [])
        if isinstance(environment, list):
            environment.append({"Name": "MANAGED_BY_AWS", "Value": "STARTED_BY_STEP_FUNCTIONS"})


def _attribute_values(fields: dict[str, Any], context: Mapping[str, Any], pattern: str) -> None:
    """DynamoDB (the Java SDK 1.x reads the Parameters with Jackson, whose ``AttributeValue``
    takes a bare string or a list of strings): ``"x"`` is ``{"S": "x"}``, ``["a", "b"]`` is
    ``{"SS": ["a", "b"]}``, in ``Item``, ``Key`` and ``ExpressionAttributeValues``."""
    for member in ("Item", "Key", "ExpressionAttributeValues"):
        values = fields.get(member)
        if not isinstance(values, dict):
            continue
        for name, value in values.items():
            if isinstance(value, str):
                values[name] = {"S": value}
            elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                values[name] = {"SS": value}


def _failed_entries(result: dict[str, Any]) -> Any:
    """EventBridge: a FailedEntryCount above 0 fails the task, the response as its cause."""
    if result.get("FailedEntryCount"):
        text = json.dumps(result, separators=(",", ":"), ensure_ascii=False)
        raise StatesError("EventBridge.FailedEntry", text)
    return result


def _model_output(result: dict[str, Any]) -> Any:
    """Bedrock InvokeModel: a JSON body is returned parsed."""
    body = result.get("Body")
    if isinstance(body, str) and "json" in str(result.get("ContentType") or "json"):
        with contextlib.suppress(ValueError):
            result["Body"] = json.loads(body)
    return result


# -- the table ------------------------------------------------------------------------------------

_TABLE: dict[tuple[str, str], Integration] = {}


def _add(
    service: str,
    boto_service: str,
    naming: V1Naming,
    actions: Mapping[str, tuple[frozenset[str], frozenset[str] | None]],
    *,
    metadata: bool = True,
    prepare: Prepare | None = None,
    finish: Finish | None = None,
) -> None:
    for action, (patterns, fields) in actions.items():
        _TABLE[(service, action)] = Integration(
            service, action, boto_service, patterns, naming, fields, metadata, prepare, finish
        )


def _set(*items: str) -> frozenset[str]:
    return frozenset(items)


_RR = _set(RR)
_RR_SYNC = _set(RR, SYNC)
_RR_WAIT = _set(RR, WAIT)
_ALL = _set(RR, SYNC, WAIT)

_add(  # connect-sqs
    "sqs",
    "sqs",
    V1Naming("SQS", "AmazonSQS", "AmazonSQSException"),
    {
        "sendMessage": (
            _RR_WAIT,
            _set(
                "DelaySeconds",
                "MessageAttributes",
                "MessageBody",
                "MessageDeduplicationId",
                "MessageGroupId",
                "QueueUrl",
            ),
        )
    },
)
_add(  # connect-sns
    "sns",
    "sns",
    V1Naming("SNS", "AmazonSNS", "AmazonSNSException"),
    {
        "publish": (
            _RR_WAIT,
            _set(
                "Message",
                "MessageAttributes",
                "MessageStructure",
                "MessageDeduplicationId",
                "MessageGroupId",
                "PhoneNumber",
                "Subject",
                "TargetArn",
                "TopicArn",
            ),
        )
    },
)
_DYNAMODB_COMMON = ("TableName", "ReturnConsumedCapacity", "ExpressionAttributeNames")
_DYNAMODB_READ = ("AttributesToGet", "ConsistentRead", "ProjectionExpression")
_DYNAMODB_UPDATE = ("Key", "AttributeUpdates", "UpdateExpression")
_DYNAMODB_WRITE = (
    "ConditionalOperator",
    "ConditionExpression",
    "Expected",
    "ExpressionAttributeValues",
    "ReturnItemCollectionMetrics",
    "ReturnValues",
)
_add(  # connect-ddb: request-response only
    "dynamodb",
    "dynamodb",
    V1Naming("DynamoDB", "AmazonDynamoDBv2", "AmazonDynamoDBException"),
    {
        "getItem": (
            _RR,
            _set(*_DYNAMODB_COMMON, *_DYNAMODB_READ, "Key"),
        ),
        "putItem": (_RR, _set(*_DYNAMODB_COMMON, *_DYNAMODB_WRITE, "Item")),
        "deleteItem": (_RR, _set(*_DYNAMODB_COMMON, *_DYNAMODB_WRITE, "Key")),
        "updateItem": (
            _RR,
            _set(*_DYNAMODB_COMMON, *_DYNAMODB_WRITE, *_DYNAMODB_UPDATE),
        ),
    },
    prepare=_attribute_values,
)
_add(  # connect-eventbridge: the result is PutEvents' own (no SdkHttpMetadata)
    "events",
    "events",
    V1Naming("EventBridge", "AmazonEventBridge", "AmazonEventBridgeException"),
    {"putEvents": (_RR_WAIT, _set("Entries"))},
    metadata=False,
    prepare=_events_resources,
    finish=_failed_entries,
)
_add(  # connect-ecs
    "ecs",
    "ecs",
    V1Naming("ECS", "AmazonECS", "AmazonECSException"),
    {
        "runTask": (
            _ALL,
            _set(
                "Cluster",
                "Group",
                "LaunchType",
                "NetworkConfiguration",
                "Overrides",
                "PlacementConstraints",
                "PlacementStrategy",
                "PlatformVersion",
                "PropagateTags",
                "TaskDefinition",
                "EnableExecuteCommand",
            ),
        )
    },
    prepare=_ecs_started_by,
)
_add(  # connect-batch
    "batch",
    "batch",
    V1Naming("Batch", "AWSBatch", "AWSBatchException"),
    {
        "submitJob": (
            _ALL,
            _set(
                "ArrayProperties",
                "ContainerOverrides",
                "DependsOn",
                "JobDefinition",
                "JobName",
                "JobQueue",
                "Parameters",
                "RetryStrategy",
                "Timeout",
                "Tags",
            ),
        )
    },
    prepare=_batch_managed,
)
_add(  # connect-glue
    "glue",
    "glue",
    V1Naming("Glue", "AWSGlue", "AWSGlueException"),
    {
        "startJobRun": (
            _RR_SYNC,
            _set(
                "JobName",
                "JobRunQueuingEnabled",
                "JobRunId",
                "Arguments",
                "AllocatedCapacity",
                "Timeout",
                "MaxCapacity",
                "SecurityConfiguration",
                "NotificationProperty",
                "WorkerType",
                "NumberOfWorkers",
                "ExecutionClass",
            ),
        )
    },
)
# Actions that take every member of the API's input: (service, boto3's service, naming,
# the actions with .sync, the request-response-only ones), per the connect-* pages.
_JOBS: tuple[tuple[str, str, V1Naming, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "athena",
        "athena",
        V1Naming("Athena", "AmazonAthena", "AmazonAthenaException"),
        ("startQueryExecution",),
        ("stopQueryExecution", "getQueryExecution", "getQueryResults"),
    ),
    (
        "codebuild",
        "codebuild",
        V1Naming("CodeBuild", "AWSCodeBuild", "AWSCodeBuildException"),
        ("startBuild", "startBuildBatch", "retryBuildBatch"),
        ("stopBuild", "batchDeleteBuilds", "batchGetReports", "stopBuildBatch", "deleteBuildBatch"),
    ),
    (
        "sagemaker",
        "sagemaker",
        V1Naming("SageMaker", "AmazonSageMaker", "AmazonSageMakerException"),
        (
            "createHyperParameterTuningJob",
            "createLabelingJob",
            "createProcessingJob",
            "createTrainingJob",
            "createTransformJob",
        ),
        ("createEndpoint", "createEndpointConfig", "createModel", "updateEndpoint"),
    ),
    (  # eks:call and eks:runJob talk to the cluster's own API: not here
        "eks",
        "eks",
        V1Naming("EKS", "AmazonEKS", "AmazonEKSException"),
        (
            "createCluster",
            "deleteCluster",
            "createFargateProfile",
            "deleteFargateProfile",
            "createNodegroup",
            "deleteNodegroup",
        ),
        (),
    ),
    (
        "mediaconvert",
        "mediaconvert",
        V1Naming("MediaConvert", "AWSMediaConvert", "AWSMediaConvertException"),
        ("createJob",),
        (),
    ),
    (
        "databrew",
        "databrew",
        V1Naming("DataBrew", "AWSGlueDataBrew", "AWSGlueDataBrewException"),
        ("startJobRun",),
        (),
    ),
)


def _add_jobs() -> None:
    for service, boto_service, naming, sync, plain in _JOBS:
        rows = {**{a: (_RR_SYNC, None) for a in sync}, **{a: (_RR, None) for a in plain}}
        _add(service, boto_service, naming, rows)


_add_jobs()
# connect-emr: Step Functions' own wrappers of the EMR API, with fields of their own
_EMR = V1Naming("EMR", "AmazonElasticMapReduce", "AmazonElasticMapReduceException")


def _emr(
    action: str,
    api: str,
    patterns: frozenset[str],
    fields: frozenset[str] | None,
    translate: Translate | None = None,
    finish: Finish | None = None,
) -> None:
    _TABLE[("elasticmapreduce", action)] = Integration(
        "elasticmapreduce",
        action,
        "emr",
        patterns,
        _EMR,
        fields,
        True,
        None,
        finish,
        api,
        translate,
    )


def _renamed(old: str, new: str) -> Finish:
    def finish(result: dict[str, Any]) -> Any:
        if old in result:
            result[new] = result.pop(old)
        return result

    return finish


def _first_step(result: dict[str, Any]) -> Any:
    step_ids = result.pop("StepIds", None)
    if step_ids:
        result["StepId"] = step_ids[0]
    return result


def _without(fields: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k not in names}


_emr("createCluster", "RunJobFlow", _RR_SYNC, None, finish=_renamed("JobFlowId", "ClusterId"))
_emr(
    "terminateCluster",
    "TerminateJobFlows",
    _RR_SYNC,
    _set("ClusterId"),
    lambda f: {"JobFlowIds": [f.get("ClusterId")]},
)
_emr(
    "addStep",
    "AddJobFlowSteps",
    _RR_SYNC,
    _set("ClusterId", "Step", "ExecutionRoleArn"),
    lambda f: {
        **_without(f, "ClusterId", "Step"),
        "JobFlowId": f.get("ClusterId"),
        "Steps": [f.get("Step")],
    },
    _first_step,
)
_emr(
    "setClusterTerminationProtection",
    "SetTerminationProtection",
    _RR,
    _set("ClusterId", "TerminationProtected"),
    lambda f: {**_without(f, "ClusterId"), "JobFlowIds": [f.get("ClusterId")]},
)
_emr(
    "cancelStep",
    "CancelSteps",
    _RR,
    _set("ClusterId", "StepId", "StepCancellationOption"),
    lambda f: {**_without(f, "StepId"), "StepIds": [f.get("StepId")]},
)
_add(  # connect-bedrock: InvokeModel is Bedrock Runtime's (a newer integration: no metadata)
    "bedrock",
    "bedrock-runtime",
    V1Naming("Bedrock", "AmazonBedrockRuntime", "AmazonBedrockRuntimeException"),
    {"invokeModel": (_RR, _set("ModelId", "Body", "Accept", "ContentType", "Trace"))},
    metadata=False,
    finish=_model_output,
)
_add(
    "bedrock",
    "bedrock",
    V1Naming("Bedrock", "AmazonBedrock", "AmazonBedrockException"),
    {"createModelCustomizationJob": (_RR_SYNC, None)},
    metadata=False,
)


def find(service: str, action: str) -> Integration | None:
    """The optimized integration ``arn:aws:states:::SERVICE:ACTION``, or None."""
    return _TABLE.get((service, action))


def services() -> frozenset[str]:
    """The services that have optimized integrations here."""
    return frozenset(service for service, _ in _TABLE)


def table() -> list[Integration]:
    """Every row, for documentation and tests."""
    return list(_TABLE.values())


__all__ = ["RR", "SYNC", "SYNC2", "WAIT", "Integration", "find", "services", "table"]
