"""``.sync`` jobs in the embedded AWS (``asl run --aws moto``, in a process of its own): the
machine creates its Glue job, runs it and an Athena query to their end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MACHINE = {
    "StartAt": "Create",
    "States": {
        "Create": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:glue:createJob",
            "Parameters": {
                "Name": "etl",
                "Role": "arn:aws:iam::111111111111:role/glue",
                "Command": {"Name": "glueetl"},
            },
            "ResultPath": None,
            "Next": "Run",
        },
        "Run": {
            "Type": "Task",
            "Resource": "arn:aws:states:::glue:startJobRun.sync",
            "Parameters": {"JobName": "etl"},
            "ResultSelector": {"run.$": "$.JobRunState", "job.$": "$.JobName"},
            "ResultPath": "$.glue",
            "Next": "Query",
        },
        "Query": {
            "Type": "Task",
            "Resource": "arn:aws:states:::athena:startQueryExecution.sync",
            "Parameters": {"QueryString": "SELECT 1", "WorkGroup": "primary"},
            "ResultSelector": {"state.$": "$.QueryExecution.Status.State"},
            "ResultPath": "$.athena",
            "End": True,
        },
    },
}


def test_jobs_run_to_their_end_in_the_embedded_aws(tmp_path: Path) -> None:
    path = tmp_path / "jobs.asl.json"
    path.write_text(json.dumps(MACHINE))
    done = subprocess.run(
        [sys.executable, "-m", "runtime", "run", str(path), "--aws", "moto", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "SUCCEEDED", result
    assert result["output"] == {
        "glue": {"run": "SUCCEEDED", "job": "etl"},
        "athena": {"state": "SUCCEEDED"},
    }


BATCH = {
    "StartAt": "Role",
    "States": {
        "Role": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:iam:createRole",
            "Parameters": {"RoleName": "batch", "AssumeRolePolicyDocument": "{}"},
            "ResultPath": None,
            "Next": "Compute",
        },
        "Compute": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:batch:createComputeEnvironment",
            "Parameters": {
                "ComputeEnvironmentName": "compute",
                "Type": "UNMANAGED",
                "ServiceRole": "arn:aws:iam::111111111111:role/batch",
            },
            "ResultPath": "$.compute",
            "Next": "Queue",
        },
        "Queue": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:batch:createJobQueue",
            "Parameters": {
                "JobQueueName": "images",
                "State": "ENABLED",
                "Priority": 1,
                "ComputeEnvironmentOrder": [
                    {"Order": 1, "ComputeEnvironment.$": "$.compute.ComputeEnvironmentArn"}
                ],
            },
            "ResultPath": None,
            "Next": "Definition",
        },
        "Definition": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:batch:registerJobDefinition",
            "Parameters": {
                "JobDefinitionName": "resize",
                "Type": "container",
                "ContainerProperties": {"Image": "busybox", "Vcpus": 1, "Memory": 128},
            },
            "ResultPath": None,
            "Next": "Run",
        },
        "Run": {
            "Type": "Task",
            "Resource": "arn:aws:states:::batch:submitJob.sync",
            "Parameters": {"JobName": "resize", "JobQueue": "images", "JobDefinition": "resize"},
            "TimeoutSeconds": 120,
            "ResultSelector": {"status.$": "$.Status", "name.$": "$.JobName"},
            "End": True,
        },
    },
}


def test_a_batch_job_runs_in_the_embedded_aws_without_docker(tmp_path: Path) -> None:
    """moto's Batch would start a Docker container (and fail the job without Docker): the
    embedded AWS runs the job itself, to SUCCEEDED."""
    path = tmp_path / "batch.asl.json"
    path.write_text(json.dumps(BATCH))
    done = subprocess.run(
        [sys.executable, "-m", "runtime", "run", str(path), "--aws", "moto", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["status"], result["output"]) == (
        "SUCCEEDED",
        {"status": "SUCCEEDED", "name": "resize"},
    ), result
