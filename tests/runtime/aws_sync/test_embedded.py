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
