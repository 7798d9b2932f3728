"""``batch:submitJob.sync`` against moto: DescribeJobs until the job SUCCEEDED or FAILED.

moto's Batch runs jobs in Docker unless told otherwise; these tests use servers of their own so
as not to change the shared one. Without Docker (``use_docker: False``) moto ends a job at once:
SUCCEEDED, or FAILED on a server started with ``MOTO_SIMPLE_BATCH_FAIL_AFTER=0``. With Docker
and a manual ``batch::job`` transition a job stays SUBMITTED (no container is ever started), and
TerminateJob records its reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.runtime.aws_sync.conftest import FOREVER, World
from tests.support.moto_server import MotoServer

ROLE = "arn:aws:iam::111111111111:role/batch"
PARAMETERS = {"JobName": "resize", "JobQueue": "images", "JobDefinition": "resize"}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, MotoServer]]:
    """A server whose jobs succeed, and one whose jobs fail."""
    with MotoServer() as succeeding:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("MOTO_SIMPLE_BATCH_FAIL_AFTER", "0")
            failing = MotoServer().__enter__()
        try:
            yield {"succeeding": succeeding, "failing": failing}
        finally:
            failing.__exit__()


@pytest.fixture
def batch(
    world: World, servers: dict[str, MotoServer], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """``batch(name, docker=False)``: that server, emptied and set up, as the engine's Batch."""
    opened: list[World] = []

    def on(name: str, docker: bool = False) -> World:
        server = servers[name]
        server.reset()
        monkeypatch.setenv("AWS_ENDPOINT_URL_BATCH", server.url)
        batch_world = World(server, monkeypatch)
        opened.append(batch_world)
        batch_world.moto_api("config", {"batch": {"use_docker": docker}})
        server.client("iam").create_role(RoleName="batch", AssumeRolePolicyDocument="{}")
        client = server.client("batch")
        compute = client.create_compute_environment(
            computeEnvironmentName="compute", type="UNMANAGED", serviceRole=ROLE
        )
        client.create_job_queue(
            jobQueueName="images",
            state="ENABLED",
            priority=1,
            computeEnvironmentOrder=[
                {"order": 1, "computeEnvironment": compute["computeEnvironmentArn"]}
            ],
        )
        client.register_job_definition(
            jobDefinitionName="resize",
            type="container",
            containerProperties={"image": "busybox", "vcpus": 1, "memory": 128},
        )
        return batch_world

    yield on
    for batch_world in opened:
        batch_world.close()


def submit(world: World) -> dict[str, Any]:
    return world.client("batch").submit_job(
        jobName="resize", jobQueue="images", jobDefinition="resize"
    )


def test_a_job_that_succeeds_gives_the_job_description(batch: Any, world: World) -> None:
    batch_world = batch("succeeding")
    started = submit(batch_world)
    out = world.wait("batch", "submitJob", PARAMETERS, started)
    assert (out["JobId"], out["JobName"], out["Status"]) == (
        started["jobId"],
        "resize",
        "SUCCEEDED",
    )
    assert isinstance(out["CreatedAt"], int)
    assert "Container" in out and "JobQueue" in out


def test_a_failed_job_fails_the_task_with_the_job_description(batch: Any, world: World) -> None:
    started = submit(batch("failing"))
    cause = world.cause("batch", "submitJob", PARAMETERS, started)
    assert (cause["JobId"], cause["Status"]) == (started["jobId"], "FAILED")


def test_a_job_still_running_at_the_timeout_is_terminated(batch: Any, world: World) -> None:
    batch_world = batch("succeeding", docker=True)
    batch_world.transition("batch::job", FOREVER)
    started = submit(batch_world)
    world.times_out("batch", "submitJob", PARAMETERS, started)
    job = batch_world.client("batch").describe_jobs(jobs=[started["jobId"]])["jobs"][0]
    assert job["status"] == "SUBMITTED"
    assert "Step Functions" in job["statusReason"]
