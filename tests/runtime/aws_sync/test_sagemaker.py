"""``sagemaker:create{Training,Transform,Processing,HyperParameterTuning}Job.sync`` against moto.

moto creates these jobs Completed; it stops a processing job (Stopped) but no other, and never
fails one. So a processing job fails natively (stopped before it is polled), and the failed and
still running other jobs are moto's jobs reported otherwise by a stand-in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.runtime.aws_sync.conftest import World

ROLE = "arn:aws:iam::111111111111:role/sagemaker"
S3 = {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/in"}}


def training(world: World) -> dict[str, Any]:
    return {
        "TrainingJobName": "train-1",
        "AlgorithmSpecification": {"TrainingImage": "image", "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "OutputDataConfig": {"S3OutputPath": "s3://data/out"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 60},
    }


def transform(world: World) -> dict[str, Any]:
    world.client("sagemaker").create_model(
        ModelName="model", PrimaryContainer={"Image": "i"}, ExecutionRoleArn=ROLE
    )
    return {
        "TransformJobName": "transform-1",
        "ModelName": "model",
        "TransformInput": {"DataSource": S3},
        "TransformOutput": {"S3OutputPath": "s3://data/out"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }


def processing(world: World) -> dict[str, Any]:
    return {
        "ProcessingJobName": "process-1",
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 1,
            }
        },
        "AppSpecification": {"ImageUri": "image"},
        "RoleArn": ROLE,
    }


def tuning(world: World) -> dict[str, Any]:
    definition = training(world)
    del definition["TrainingJobName"]
    return {
        "HyperParameterTuningJobName": "tune-1",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1},
        },
        "TrainingJobDefinition": definition,
    }


KINDS: dict[str, Callable[[World], dict[str, Any]]] = {
    "HyperParameterTuning": tuning,
    "Training": training,
    "Transform": transform,
    "Processing": processing,
}


def start(world: World, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    parameters = KINDS[kind](world)
    snake = "hyper_parameter_tuning" if kind == "HyperParameterTuning" else kind.lower()
    create = getattr(world.client("sagemaker"), f"create_{snake}_job")
    return parameters, create(**parameters)


def status(kind: str, value: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document[f"{kind}JobStatus"] = value
        if value == "Failed":
            document["FailureReason"] = "AlgorithmError: out of memory"

    return change


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_completed_job_gives_its_description(world: World, kind: str) -> None:
    parameters, started = start(world, kind)
    out = world.wait("sagemaker", f"create{kind}Job", parameters, started)
    assert out[f"{kind}JobName"] == parameters[f"{kind}JobName"]
    assert out[f"{kind}JobStatus"] == "Completed"
    assert out[f"{kind}JobArn"] == started[f"{kind}JobArn"]
    assert isinstance(out["CreationTime"], int)


@pytest.mark.parametrize("kind", ["HyperParameterTuning", "Training", "Transform"])
def test_a_failed_job_fails_the_task_with_its_description(world: World, kind: str) -> None:
    world.stand_in("SAGEMAKER").rewrite(f"Describe{kind}Job", status(kind, "Failed"))
    parameters, started = start(world, kind)
    cause = world.cause("sagemaker", f"create{kind}Job", parameters, started)
    assert (cause[f"{kind}JobName"], cause[f"{kind}JobStatus"]) == (
        parameters[f"{kind}JobName"],
        "Failed",
    )
    assert cause["FailureReason"] == "AlgorithmError: out of memory"


def test_a_stopped_processing_job_fails_the_task(world: World) -> None:
    parameters, started = start(world, "Processing")
    world.client("sagemaker").stop_processing_job(ProcessingJobName="process-1")
    cause = world.cause("sagemaker", "createProcessingJob", parameters, started)
    assert cause["ProcessingJobStatus"] == "Stopped"


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_job_still_running_at_the_timeout_is_asked_to_stop(world: World, kind: str) -> None:
    stand_in = world.stand_in("SAGEMAKER")
    stand_in.rewrite(f"Describe{kind}Job", status(kind, "InProgress"))
    parameters, started = start(world, kind)
    world.times_out("sagemaker", f"create{kind}Job", parameters, started)
    assert stand_in.seen[-1] == f"Stop{kind}Job"
