"""``elasticmapreduce:{createCluster,addStep,terminateCluster}.sync`` against moto.

moto starts a cluster WAITING (kept alive) or TERMINATED (not), terminates it on request, and
keeps a step RUNNING for ever. A cluster still starting, a step that completes or fails, and a
cluster still terminating are moto's reported otherwise by a stand-in.
"""

from __future__ import annotations

from typing import Any

from tests.runtime.aws_sync.conftest import World

CLUSTER = {
    "Name": "analytics",
    "ReleaseLabel": "emr-6.15.0",
    "JobFlowRole": "EMR_EC2_DefaultRole",
    "ServiceRole": "EMR_DefaultRole",
}
STEP = {
    "Name": "count",
    "ActionOnFailure": "CONTINUE",
    "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["spark-submit", "count.py"]},
}


def create(world: World, keep_alive: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    instances = {
        "KeepJobFlowAliveWhenNoSteps": keep_alive,
        "InstanceCount": 1,
        "MasterInstanceType": "m5.xlarge",
    }
    parameters = {**CLUSTER, "Instances": instances}
    started = world.client("emr").run_job_flow(**parameters)
    return parameters, {"ClusterId": started["JobFlowId"]}  # the optimized response


def state(path: tuple[str, ...], value: str):
    def change(document: dict[str, Any]) -> None:
        document[path[0]]["Status"]["State"] = value

    return change


def test_a_cluster_that_reaches_waiting_gives_the_create_response(world: World) -> None:
    parameters, started = create(world)
    assert world.wait("elasticmapreduce", "createCluster", parameters, started) == started


def test_a_cluster_that_terminates_before_waiting_fails_the_task(world: World) -> None:
    parameters, started = create(world, keep_alive=False)
    cause = world.cause("elasticmapreduce", "createCluster", parameters, started)
    assert (cause["Id"], cause["Status"]["State"]) == (started["ClusterId"], "TERMINATED")


def test_a_cluster_still_starting_at_the_timeout_is_terminated(world: World) -> None:
    stand_in = world.stand_in("EMR")
    stand_in.rewrite("DescribeCluster", state(("Cluster",), "STARTING"))
    parameters, started = create(world)
    world.times_out("elasticmapreduce", "createCluster", parameters, started)
    assert stand_in.seen[-1] == "TerminateJobFlows"
    cluster = world.client("emr").describe_cluster(ClusterId=started["ClusterId"])["Cluster"]
    assert cluster["Status"]["State"] == "TERMINATED"


def add_step(world: World) -> tuple[dict[str, Any], dict[str, Any]]:
    _, cluster = create(world)
    added = world.client("emr").add_job_flow_steps(JobFlowId=cluster["ClusterId"], Steps=[STEP])
    return {"ClusterId": cluster["ClusterId"], "Step": STEP}, {"StepId": added["StepIds"][0]}


def test_a_step_that_completes_gives_the_add_step_response(world: World) -> None:
    world.stand_in("EMR").rewrite("DescribeStep", state(("Step",), "COMPLETED"))
    parameters, started = add_step(world)
    assert world.wait("elasticmapreduce", "addStep", parameters, started) == started


def test_a_failed_step_fails_the_task_with_the_step(world: World) -> None:
    world.stand_in("EMR").rewrite("DescribeStep", state(("Step",), "FAILED"))
    parameters, started = add_step(world)
    cause = world.cause("elasticmapreduce", "addStep", parameters, started)
    assert (cause["Id"], cause["Name"], cause["Status"]["State"]) == (
        started["StepId"],
        "count",
        "FAILED",
    )


def test_a_step_still_running_at_the_timeout_is_cancelled(world: World) -> None:
    stand_in = world.stand_in("EMR")
    parameters, started = add_step(world)
    world.times_out("elasticmapreduce", "addStep", parameters, started)
    assert stand_in.seen[-1] == "CancelSteps"  # moto does not implement it: best effort


def test_terminate_cluster_waits_for_the_cluster_to_terminate(world: World) -> None:
    _, cluster = create(world)
    world.client("emr").terminate_job_flows(JobFlowIds=[cluster["ClusterId"]])
    assert world.wait("elasticmapreduce", "terminateCluster", cluster, {}) == {}


def test_terminate_cluster_still_terminating_at_the_timeout(world: World) -> None:
    stand_in = world.stand_in("EMR")
    stand_in.rewrite("DescribeCluster", state(("Cluster",), "TERMINATING"))
    _, cluster = create(world)
    world.times_out("elasticmapreduce", "terminateCluster", cluster, {})
    assert stand_in.seen[-1] == "DescribeCluster"  # nothing to stop
