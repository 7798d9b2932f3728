"""``.sync`` tasks end to end: ``runtime.execute(..., aws="aws")`` against moto's server, the
start call made by the engine's route, then the poller; TimeoutSeconds enforced by the driver."""

from __future__ import annotations

import json
from typing import Any

import runtime
from tests.runtime.aws_sync.conftest import FOREVER, World, stopped


def machine(resource: str, parameters: dict[str, Any], **fields: Any) -> dict[str, Any]:
    task = {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True}
    return {"StartAt": "Job", "States": {"Job": {**task, **fields}}}


def test_a_glue_job_run_to_its_end(world: World) -> None:
    world.client("glue").create_job(
        Name="etl", Role="arn:aws:iam::111111111111:role/glue", Command={"Name": "glueetl"}
    )
    definition = machine("arn:aws:states:::glue:startJobRun.sync", {"JobName": "etl"})
    result = runtime.execute(definition, {}, aws="aws")
    assert result.status == "SUCCEEDED", result.cause
    assert (result.output["JobName"], result.output["JobRunState"]) == ("etl", "SUCCEEDED")
    events = [e["type"] for e in result.history]
    assert events[-3:] == ["TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]


def test_a_query_still_running_at_timeout_seconds_times_out_and_is_stopped(
    world: World,
) -> None:
    world.transition("athena::execution", FOREVER)
    definition = machine(
        "arn:aws:states:::athena:startQueryExecution.sync",
        {"QueryString": "SELECT 1", "WorkGroup": "primary"},
        TimeoutSeconds=1,
    )
    result = runtime.execute(definition, {}, aws="aws")
    stopped()
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    athena = world.client("athena")
    [query] = athena.list_query_executions()["QueryExecutionIds"]
    state = athena.get_query_execution(QueryExecutionId=query)["QueryExecution"]["Status"]
    assert state["State"] == "CANCELLED"


def test_a_failed_ecs_task_is_caught_with_the_task_as_cause(world: World) -> None:
    def exit_2(document: dict[str, Any]) -> None:
        task = document["tasks"][0]
        task.update(lastStatus="STOPPED", stopCode="EssentialContainerExited")
        task["containers"][0]["exitCode"] = 2

    world.stand_in("ECS").rewrite("DescribeTasks", exit_2)
    ecs = world.client("ecs")
    ecs.create_cluster(clusterName="jobs")
    ecs.register_task_definition(
        family="resize", containerDefinitions=[{"name": "main", "image": "busybox", "memory": 64}]
    )
    definition = machine(
        "arn:aws:states:::ecs:runTask.sync",
        {"Cluster": "jobs", "TaskDefinition": "resize", "LaunchType": "FARGATE"},
        Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "Failed"}],
    )
    definition["States"]["Failed"] = {"Type": "Pass", "End": True}
    result = runtime.execute(definition, {}, aws="aws")
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["Error"] == "States.TaskFailed"
    task = json.loads(result.output["Cause"])
    assert task["Containers"][0]["ExitCode"] == 2
    assert task["StartedBy"] == "AWS Step Functions"
