"""The ``.sync`` jobs: one row per integration, as AWS runs it.

Each :class:`Job` says how to poll the job the start call began (the describe operation and its
arguments), where its status is in the describe response (in the JSON AWS gives the state:
members in PascalCase), which statuses end it, what the task returns, and how to stop it when
the task is cancelled (AWS makes a best effort to stop the job of an aborted task). The rows
follow AWS's pages "Run a Job (.sync)" and each service's optimized integration; see
docs/aws-services.md ("Jobs") for the table and how each row is tested.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from asl.errors import RUNTIME, TASK_FAILED, StatesError
from runtime.core.events import to_json

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Started:
    """What the start call gave: its response and the request's parameters (either may use the
    API's casing or PascalCase)."""

    response: Any
    parameters: Any

    def get(self, *path: str | int) -> Any:
        """The value at ``path`` in the response, else in the parameters; None if absent."""
        found = lookup(self.response, path)
        return lookup(self.parameters, path) if found is None else found

    def require(self, *path: str | int) -> Any:
        """:meth:`get`, or a ``States.Runtime`` error naming what is missing."""
        value = self.get(*path)
        if value is None:
            shown = ".".join(str(p) for p in path)
            raise StatesError(
                RUNTIME,
                f"The start call's response has no {shown}: cannot wait for the job it began.",
            )
        return value


Arguments = Callable[[Started], dict[str, Any]]
Decide = Callable[[Any], "bool | None"]
"""From the found job: True succeeded, False failed, None still running."""


@dataclass(frozen=True, slots=True)
class Job:
    """How one ``SERVICE:ACTION.sync`` integration waits for its job."""

    service: str  # boto3's name
    describe: str  # the operation polled, as the API names it
    arguments: Arguments  # its parameters, from the start
    item: Path  # where the job is in the describe response (PascalCase)
    status: Path  # where its status is, from the job
    succeeded: frozenset[str]
    failed: frozenset[str]
    output: Callable[[Any, Any, Started], Any] | None = None  # (response, job, start) -> result
    stop: tuple[str, Arguments] | None = None  # called, best effort, when the task is cancelled
    decide: Decide | None = None  # in place of the status sets
    precheck: Callable[[Started], None] | None = None  # on the start response, before polling
    doc: str = ""

    def verdict(self, job: Any) -> bool | None:
        """True when ``job`` succeeded, False when it failed, None while it runs."""
        if self.decide is not None:
            return self.decide(job)
        status = lookup(job, self.status)
        if status in self.succeeded:
            return True
        if status in self.failed:
            return False
        return None

    def result(self, response: Any, job: Any, start: Started) -> Any:
        """What the task returns once the job succeeded."""
        return job if self.output is None else self.output(response, job, start)


def lookup(value: Any, path: Path) -> Any:
    """``value[path[0]][path[1]]...``, a key matching whatever the case of its first letter;
    None where the path leads nowhere."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return None
            value = value[step]
            continue
        if not isinstance(value, Mapping):
            return None
        if step in value:
            value = value[step]
            continue
        other = step[:1].swapcase() + step[1:]
        if other not in value:
            return None
        value = value[other]
    return value


def _start_response(response: Any, job: Any, start: Started) -> Any:
    """The start call's result (what EMR's optimized integrations give for a job)."""
    result = start.response
    if isinstance(result, dict) and "ResponseMetadata" in result:  # boto3's, not the state's
        result = {k: v for k, v in result.items() if k != "ResponseMetadata"}
    return result


def _ecs_task(task: Any) -> bool | None:
    """An ECS task's outcome: running until STOPPED; then failed when it could not start, or a
    container exited with a code other than 0 (or never ran at all)."""
    if lookup(task, ("LastStatus",)) != "STOPPED":
        return None
    if lookup(task, ("StopCode",)) == "TaskFailedToStart":
        return False
    codes = [lookup(c, ("ExitCode",)) for c in lookup(task, ("Containers",)) or []]
    if not codes or any(code is None for code in codes):
        return False
    return all(code == 0 for code in codes)


def _ecs_failures(start: Started) -> None:
    """AWS fails a ``runTask.sync`` whose RunTask answered with Failures (AmazonECS.Unknown)."""
    failures = start.get("Failures")
    if failures:
        raise StatesError("AmazonECS.Unknown", to_json(failures))


def _glue_run(response: Any, job: Any, start: Started) -> Any:
    """The job run, with the job's name (as AWS gives it)."""
    return {**job, "JobName": job.get("JobName") or start.get("JobName")}


def _build(response: Any, job: Any, start: Started) -> Any:
    return {"Build": job}


_REASON = "Stopped by AWS Step Functions: the task was cancelled (timed out or aborted)"

BATCH = Job(
    service="batch",
    describe="DescribeJobs",
    arguments=lambda s: {"jobs": [s.require("JobId")]},
    item=("Jobs", 0),
    status=("Status",),
    succeeded=frozenset({"SUCCEEDED"}),
    failed=frozenset({"FAILED"}),
    stop=("TerminateJob", lambda s: {"jobId": s.require("JobId"), "reason": _REASON}),
    doc="https://docs.aws.amazon.com/step-functions/latest/dg/connect-batch.html",
)

ECS = Job(
    service="ecs",
    describe="DescribeTasks",
    arguments=lambda s: {
        "cluster": s.require("Tasks", 0, "ClusterArn"),
        "tasks": [s.require("Tasks", 0, "TaskArn")],
    },
    item=("Tasks", 0),
    status=("LastStatus",),
    succeeded=frozenset(),
    failed=frozenset(),
    decide=_ecs_task,
    precheck=_ecs_failures,
    stop=(
        "StopTask",
        lambda s: {
            "cluster": s.require("Tasks", 0, "ClusterArn"),
            "task": s.require("Tasks", 0, "TaskArn"),
            "reason": _REASON,
        },
    ),
    doc="https://docs.aws.amazon.com/step-functions/latest/dg/connect-ecs.html",
)

GLUE = Job(
    service="glue",
    describe="GetJobRun",
    arguments=lambda s: {"JobName": s.require("JobName"), "RunId": s.require("JobRunId")},
    item=("JobRun",),
    status=("JobRunState",),
    succeeded=frozenset({"SUCCEEDED"}),
    failed=frozenset({"FAILED", "TIMEOUT", "ERROR", "STOPPED"}),
    output=_glue_run,
    stop=(
        "BatchStopJobRun",
        lambda s: {"JobName": s.require("JobName"), "JobRunIds": [s.require("JobRunId")]},
    ),
    doc="https://docs.aws.amazon.com/step-functions/latest/dg/connect-glue.html",
)

ATHENA = Job(
    service="athena",
    describe="GetQueryExecution",
    arguments=lambda s: {"QueryExecutionId": s.require("QueryExecutionId")},
    item=(),
    status=("QueryExecution", "Status", "State"),
    succeeded=frozenset({"SUCCEEDED"}),
    failed=frozenset({"FAILED", "CANCELLED"}),
    stop=("StopQueryExecution", lambda s: {"QueryExecutionId": s.require("QueryExecutionId")}),
    doc="https://docs.aws.amazon.com/step-functions/latest/dg/connect-athena.html",
)

CODEBUILD = Job(
    service="codebuild",
    describe="BatchGetBuilds",
    arguments=lambda s: {"ids": [s.require("Build", "Id")]},
    item=("Builds", 0),
    status=("BuildStatus",),
    succeeded=frozenset({"SUCCEEDED"}),
    failed=frozenset({"FAILED", "FAULT", "STOPPED", "TIMED_OUT"}),
    output=_build,
    stop=("StopBuild", lambda s: {"id": s.require("Build", "Id")}),
    doc="https://docs.aws.amazon.com/step-functions/latest/dg/connect-codebuild.html",
)

EMR_CREATE_CLUSTER = Job(
    service="emr",
    describe="DescribeCluster",
    arguments=lambda s: {"ClusterId": _cluster_id(s)},
    item=("Cluster",),
    status=("Status", "State"),
    succeeded=frozenset({"WAITING"}),
    failed=frozenset({"TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"}),
    output=_start_response,
    stop=("TerminateJobFlows", lambda s: {"JobFlowIds": [_cluster_id(s)]}),
    doc="https://docs.aws.amazon.com/step-functions/latest/dg/connect-emr.html",
)

EMR_TERMINATE_CLUSTER = Job(
    service="emr",
    describe="DescribeCluster",
    arguments=lambda s: {"ClusterId": s.require("ClusterId")},
    item=("Cluster",),
    status=("Status", "State"),
    succeeded=frozenset({"TERMINATED", "TERMINATED_WITH_ERRORS"}),
    failed=frozenset(),
    output=_start_response,
    doc="https://docs.aws.amazon.com/step-functions/latest/dg/connect-emr.html",
)

EMR_ADD_STEP = Job(
    service="emr",
    describe="DescribeStep",
    arguments=lambda s: {"ClusterId": s.require("ClusterId"), "StepId": _step_id(s)},
    item=("Step",),
    status=("Status", "State"),
    succeeded=frozenset({"COMPLETED"}),
    failed=frozenset({"FAILED", "CANCELLED", "INTERRUPTED"}),
    output=_start_response,
    stop=(
        "CancelSteps",
        lambda s: {"ClusterId": s.require("ClusterId"), "StepIds": [_step_id(s)]},
    ),
    doc="https://docs.aws.amazon.com/step-functions/latest/dg/connect-emr.html",
)


def _cluster_id(start: Started) -> Any:
    return start.get("ClusterId") or start.require("JobFlowId")


def _step_id(start: Started) -> Any:
    return start.get("StepId") or start.require("StepIds", 0)


def _sagemaker(kind: str) -> Job:
    """A SageMaker ``create<kind>Job``: Describe<kind>Job until Completed, Failed or Stopped."""
    name = f"{kind}JobName"
    return Job(
        service="sagemaker",
        describe=f"Describe{kind}Job",
        arguments=lambda s: {name: s.require(name)},
        item=(),
        status=(f"{kind}JobStatus",),
        succeeded=frozenset({"Completed"}),
        failed=frozenset({"Failed", "Stopped"}),
        stop=(f"Stop{kind}Job", lambda s: {name: s.require(name)}),
        doc="https://docs.aws.amazon.com/step-functions/latest/dg/connect-sagemaker.html",
    )


BEDROCK_CUSTOMIZATION = Job(
    service="bedrock",
    describe="GetModelCustomizationJob",
    arguments=lambda s: {"jobIdentifier": s.require("JobName")},
    item=(),
    status=("Status",),
    succeeded=frozenset({"Completed"}),
    failed=frozenset({"Failed", "Stopped"}),
    stop=("StopModelCustomizationJob", lambda s: {"jobIdentifier": s.require("JobName")}),
    doc="https://docs.aws.amazon.com/step-functions/latest/dg/connect-bedrock.html",
)

JOBS: dict[tuple[str, str], Job] = {
    ("athena", "startQueryExecution"): ATHENA,
    ("batch", "submitJob"): BATCH,
    ("bedrock", "createModelCustomizationJob"): BEDROCK_CUSTOMIZATION,
    ("codebuild", "startBuild"): CODEBUILD,
    ("ecs", "runTask"): ECS,
    ("elasticmapreduce", "addStep"): EMR_ADD_STEP,
    ("elasticmapreduce", "createCluster"): EMR_CREATE_CLUSTER,
    ("elasticmapreduce", "terminateCluster"): EMR_TERMINATE_CLUSTER,
    ("glue", "startJobRun"): GLUE,
    ("sagemaker", "createHyperParameterTuningJob"): _sagemaker("HyperParameterTuning"),
    ("sagemaker", "createProcessingJob"): _sagemaker("Processing"),
    ("sagemaker", "createTrainingJob"): _sagemaker("Training"),
    ("sagemaker", "createTransformJob"): _sagemaker("Transform"),
}
"""``(service, action)`` as the resource names them -> the job's row."""

FAILED = TASK_FAILED
"""The error a failed job fails its task with; the cause is the job's description."""

__all__ = ["FAILED", "JOBS", "Job", "Started", "lookup"]
