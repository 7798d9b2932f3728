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

from asl._errors import StatesError
from runtime.tasks.aws.errors import V1Naming

RR, SYNC, SYNC2, WAIT = "", ".sync", ".sync:2", ".waitForTaskToken"

Prepare = Callable[[dict[str, Any], Mapping[str, Any], str], None]
"""Adjusts a request's fields in place: ``(fields, context object, pattern)``."""
Finish = Callable[[dict[str, Any]], Any]
"""The task result for the shaped response; raises ``StatesError`` where AWS fails the task."""


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

    @property
    def operation(self) -> str:
        """The API operation: the action with its first letter upper-cased."""
        return self.action[:1].upper() + self.action[1:]


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
_add(  # connect-athena
    "athena",
    "athena",
    V1Naming("Athena", "AmazonAthena", "AmazonAthenaException"),
    {
        "startQueryExecution": (_RR_SYNC, None),
        "stopQueryExecution": (_RR, None),
        "getQueryExecution": (_RR, None),
        "getQueryResults": (_RR, None),
    },
)
_add(  # connect-codebuild
    "codebuild",
    "codebuild",
    V1Naming("CodeBuild", "AWSCodeBuild", "AWSCodeBuildException"),
    {
        "startBuild": (_RR_SYNC, None),
        "stopBuild": (_RR, None),
        "batchDeleteBuilds": (_RR, None),
        "batchGetReports": (_RR, None),
        "startBuildBatch": (_RR_SYNC, None),
        "stopBuildBatch": (_RR, None),
        "retryBuildBatch": (_RR_SYNC, None),
        "deleteBuildBatch": (_RR, None),
    },
)
_add(  # connect-emr
    "elasticmapreduce",
    "emr",
    V1Naming("EMR", "AmazonElasticMapReduce", "AmazonElasticMapReduceException"),
    {
        "createCluster": (_RR_SYNC, None),
        "setClusterTerminationProtection": (_RR, None),
        "terminateCluster": (_RR_SYNC, None),
        "addStep": (_RR_SYNC, None),
        "cancelStep": (_RR, None),
    },
)
_add(  # connect-sagemaker
    "sagemaker",
    "sagemaker",
    V1Naming("SageMaker", "AmazonSageMaker", "AmazonSageMakerException"),
    {
        "createEndpoint": (_RR, None),
        "createEndpointConfig": (_RR, None),
        "createHyperParameterTuningJob": (_RR_SYNC, None),
        "createLabelingJob": (_RR_SYNC, None),
        "createModel": (_RR, None),
        "createProcessingJob": (_RR_SYNC, None),
        "createTrainingJob": (_RR_SYNC, None),
        "createTransformJob": (_RR_SYNC, None),
        "updateEndpoint": (_RR, None),
    },
)
_add(  # connect-eks (eks:call and eks:runJob talk to the cluster's own API: not here)
    "eks",
    "eks",
    V1Naming("EKS", "AmazonEKS", "AmazonEKSException"),
    {
        "createCluster": (_RR_SYNC, None),
        "deleteCluster": (_RR_SYNC, None),
        "createFargateProfile": (_RR_SYNC, None),
        "deleteFargateProfile": (_RR_SYNC, None),
        "createNodegroup": (_RR_SYNC, None),
        "deleteNodegroup": (_RR_SYNC, None),
    },
)
_add(  # connect-bedrock: InvokeModel is Bedrock Runtime's
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
_add(  # connect-mediaconvert
    "mediaconvert",
    "mediaconvert",
    V1Naming("MediaConvert", "AWSMediaConvert", "AWSMediaConvertException"),
    {"createJob": (_RR_SYNC, None)},
)
_add(  # connect-databrew
    "databrew",
    "databrew",
    V1Naming("DataBrew", "AWSGlueDataBrew", "AWSGlueDataBrewException"),
    {"startJobRun": (_RR_SYNC, None)},
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
