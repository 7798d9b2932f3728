"""``codebuild:startBuild.sync`` against moto: BatchGetBuilds until the build ends.

moto completes a build (SUCCEEDED) the first time it is described, whatever happened before, so
the failed build and the build still running are moto's build reported otherwise by a stand-in.
"""

from __future__ import annotations

from tests.runtime.aws_sync.conftest import World

PROJECT = "site"


def start(world: World) -> tuple[dict, dict]:
    codebuild = world.client("codebuild")
    codebuild.create_project(
        name=PROJECT,
        source={"type": "S3", "location": "bucket/source.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole="arn:aws:iam::111111111111:role/codebuild",
    )
    parameters = {"ProjectName": PROJECT}
    return parameters, codebuild.start_build(projectName=PROJECT)


def status(status: str):
    def change(document: dict) -> None:
        document["builds"][0].update(buildStatus=status, currentPhase="BUILD")

    return change


def test_a_build_that_succeeds_gives_the_build(world: World) -> None:
    parameters, started = start(world)
    out = world.wait("codebuild", "startBuild", parameters, started)
    assert list(out) == ["Build"]
    build = out["Build"]
    assert (build["Id"], build["BuildStatus"]) == (started["build"]["id"], "SUCCEEDED")
    assert build["ProjectName"] == PROJECT
    assert isinstance(build["StartTime"], int)


def test_a_failed_build_fails_the_task_with_the_build(world: World) -> None:
    world.stand_in("CODEBUILD").rewrite("BatchGetBuilds", status("FAILED"))
    parameters, started = start(world)
    cause = world.cause("codebuild", "startBuild", parameters, started)
    assert (cause["Id"], cause["BuildStatus"]) == (started["build"]["id"], "FAILED")


def test_a_build_still_running_at_the_timeout_is_stopped(world: World) -> None:
    stand_in = world.stand_in("CODEBUILD")
    stand_in.rewrite("BatchGetBuilds", status("IN_PROGRESS"))
    parameters, started = start(world)
    world.times_out("codebuild", "startBuild", parameters, started)
    assert stand_in.seen[-1] == "StopBuild"
