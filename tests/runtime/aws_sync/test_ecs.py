"""``ecs:runTask.sync`` against moto: DescribeTasks until the task is STOPPED.

moto moves a task to STOPPED (``ecs::task``), keeps it RUNNING under a manual transition and
stops it on StopTask; its containers always exit with 0, so the failed task is moto's task
reported with a container's exit code 1 by a stand-in.
"""

from __future__ import annotations

import json

import pytest

from asl.errors import StatesError
from tests.runtime.aws_sync.conftest import FOREVER, World

IMMEDIATE = {"progression": "immediate"}


def start(world: World) -> tuple[dict, dict]:
    ecs = world.client("ecs")
    ecs.create_cluster(clusterName="jobs")
    ecs.register_task_definition(
        family="resize", containerDefinitions=[{"name": "main", "image": "busybox", "memory": 128}]
    )
    parameters = {"Cluster": "jobs", "TaskDefinition": "resize", "LaunchType": "FARGATE"}
    started = ecs.run_task(cluster="jobs", taskDefinition="resize", launchType="FARGATE")
    return parameters, started


def test_a_task_whose_containers_exit_0_gives_the_task(world: World) -> None:
    world.transition("ecs::task", IMMEDIATE)
    parameters, started = start(world)
    out = world.wait("ecs", "runTask", parameters, started)
    assert out["TaskArn"] == started["tasks"][0]["taskArn"]
    assert out["LastStatus"] == "STOPPED"
    assert [c["ExitCode"] for c in out["Containers"]] == [0]


def test_a_task_whose_container_exits_1_fails_the_task_with_the_task(world: World) -> None:
    def exit_1(document: dict) -> None:
        task = document["tasks"][0]
        task.update(lastStatus="STOPPED", stopCode="EssentialContainerExited")
        task["containers"][0]["exitCode"] = 1

    world.stand_in("ECS").rewrite("DescribeTasks", exit_1)
    parameters, started = start(world)
    cause = world.cause("ecs", "runTask", parameters, started)
    assert cause["TaskArn"] == started["tasks"][0]["taskArn"]
    assert (cause["StopCode"], cause["Containers"][0]["ExitCode"]) == (
        "EssentialContainerExited",
        1,
    )


def test_run_task_failures_fail_the_task_as_amazon_ecs_unknown(world: World) -> None:
    failures = [{"arn": "arn:aws:ecs:us-east-1:111111111111:cluster/jobs", "reason": "MISSING"}]
    start = {"tasks": [], "failures": failures}
    with pytest.raises(StatesError) as raised:
        world.wait("ecs", "runTask", {"Cluster": "jobs"}, start)
    assert raised.value.error == "AmazonECS.Unknown"
    assert json.loads(raised.value.cause) == failures


def test_a_task_still_running_at_the_timeout_is_stopped(world: World) -> None:
    world.transition("ecs::task", FOREVER)
    parameters, started = start(world)
    world.times_out("ecs", "runTask", parameters, started)
    task = world.client("ecs").describe_tasks(
        cluster="jobs", tasks=[started["tasks"][0]["taskArn"]]
    )["tasks"][0]
    assert task["lastStatus"] == "STOPPED"
    assert "Step Functions" in task["stoppedReason"]
