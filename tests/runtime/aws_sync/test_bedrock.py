"""``bedrock:createModelCustomizationJob.sync`` against moto: GetModelCustomizationJob until the
job ends.

moto keeps a job InProgress and stops it on StopModelCustomizationJob (Stopped); it never
completes one, so the completed job is moto's job reported Completed by a stand-in.
"""

from __future__ import annotations

from typing import Any

from tests.runtime.aws_sync.conftest import World

PARAMETERS = {
    "JobName": "tune-titan",
    "CustomModelName": "titan-orders",
    "RoleArn": "arn:aws:iam::111111111111:role/bedrock",
    "BaseModelIdentifier": "amazon.titan-text-express-v1",
    "TrainingDataConfig": {"S3Uri": "s3://data/train.jsonl"},
    "OutputDataConfig": {"S3Uri": "s3://data/out"},
    "HyperParameters": {"epochCount": "1"},
}
ACTION = "createModelCustomizationJob"


def start(world: World) -> dict[str, Any]:
    return world.client("bedrock").create_model_customization_job(
        jobName="tune-titan",
        customModelName="titan-orders",
        roleArn=PARAMETERS["RoleArn"],
        baseModelIdentifier=PARAMETERS["BaseModelIdentifier"],
        trainingDataConfig={"s3Uri": "s3://data/train.jsonl"},
        outputDataConfig={"s3Uri": "s3://data/out"},
        hyperParameters={"epochCount": "1"},
    )


def test_a_completed_job_gives_its_description(world: World) -> None:
    def completed(document: dict[str, Any]) -> None:
        document["status"] = "Completed"

    world.stand_in("BEDROCK").rewrite("GET /model-customization-jobs/", completed)
    started = start(world)
    out = world.wait("bedrock", ACTION, PARAMETERS, started)
    assert (out["JobArn"], out["JobName"], out["Status"]) == (
        started["jobArn"],
        "tune-titan",
        "Completed",
    )
    assert out["HyperParameters"] == {"epochCount": "1"}


def test_a_stopped_job_fails_the_task(world: World) -> None:
    started = start(world)
    world.client("bedrock").stop_model_customization_job(jobIdentifier="tune-titan")
    cause = world.cause("bedrock", ACTION, PARAMETERS, started)
    assert (cause["JobArn"], cause["Status"]) == (started["jobArn"], "Stopped")


def test_a_job_still_running_at_the_timeout_is_stopped(world: World) -> None:
    world.times_out("bedrock", ACTION, PARAMETERS, start(world))
    job = world.client("bedrock").get_model_customization_job(jobIdentifier="tune-titan")
    assert job["status"] == "Stopped"
