"""ResultWriter: WriterConfig transformations, and exports to S3 (moto) or a local folder."""

from __future__ import annotations

import json
from typing import Any

import pytest

import runtime

from .support import FAIL_MARKED, PUT_OBJECT, distributed, types

# Each child returns an array, so COMPACT and FLATTEN differ.
TO_ARRAY = {
    "StartAt": "P",
    "States": {
        "P": {
            "Type": "Pass",
            "Parameters": {"a.$": "States.Array($.n, $.n)"},
            "OutputPath": "$.a",
            "End": True,
        }
    },
}
ITEMS = [{"n": 1}, {"n": 2}]


# --- WriterConfig only: the state's result ------------------------------------------------------

# (id, WriterConfig, expected result; None: NONE records, checked apart)
PREVIEW_CASES = [
    ("compact", {"Transformation": "COMPACT", "OutputType": "JSON"}, [[1, 1], [2, 2]]),
    ("flatten", {"Transformation": "FLATTEN", "OutputType": "JSON"}, [1, 1, 2, 2]),
    ("default-is-compact", {"OutputType": "JSON"}, [[1, 1], [2, 2]]),
    ("jsonl-shapes-only-files", {"Transformation": "FLATTEN", "OutputType": "JSONL"}, [1, 1, 2, 2]),
    ("none", {"Transformation": "NONE", "OutputType": "JSON"}, None),
]


@pytest.mark.parametrize(
    ("config", "expected"),
    [case[1:] for case in PREVIEW_CASES],
    ids=[case[0] for case in PREVIEW_CASES],
)
def test_writer_config_shapes_the_result(config: dict, expected: Any) -> None:
    machine = distributed(TO_ARRAY, ResultWriter={"WriterConfig": config})
    result = runtime.execute(machine, ITEMS, time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    if expected is not None:
        assert result.output == expected
        return
    assert [json.loads(r["Output"]) for r in result.output] == [[1, 1], [2, 2]]
    assert [json.loads(r["Input"]) for r in result.output] == ITEMS
    assert {r["Status"] for r in result.output} == {"SUCCEEDED"}
    assert [r["ExecutionArn"] for r in result.output] == list(result.child_histories)


def test_flatten_keeps_non_array_outputs() -> None:
    machine = distributed(
        ResultWriter={"WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSON"}}
    )
    result = runtime.execute(machine, [[1, 2], "x", {"k": 1}], time_skip=True)
    assert result.output == [1, 2, "x", {"k": 1}]


# --- exports ------------------------------------------------------------------------------------

RECORD_KEYS = [
    "ExecutionArn",
    "Input",
    "InputDetails",
    "Name",
    "Output",
    "OutputDetails",
    "RedriveCount",
    "RedriveStatus",
    "RedriveStatusReason",
    "StartDate",
    "StateMachineArn",
    "Status",
    "StopDate",
]


def export(bucket: Any, prefix: str = "out", **writer: Any) -> dict:
    return {
        "Resource": PUT_OBJECT,
        "Parameters": {"Bucket": bucket.name, "Prefix": prefix},
        **writer,
    }


def test_export_writes_manifest_and_succeeded_file(bucket) -> None:
    machine = distributed(TO_ARRAY, Label="Job", ResultWriter=export(bucket, "runs/daily"))
    result = runtime.execute(machine, ITEMS, time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    run_arn = result.output["MapRunArn"]
    run_id = run_arn.rsplit(":", 1)[1]
    assert run_arn.startswith("arn:aws:states:us-east-1:111111111111:mapRun:machine/Job:")
    assert run_arn == result.history[3]["mapRunStartedEventDetails"]["mapRunArn"]
    manifest_key = f"runs/daily/{run_id}/manifest.json"
    assert result.output["ResultWriterDetails"] == {"Bucket": bucket.name, "Key": manifest_key}
    assert bucket.list_keys() == [f"runs/daily/{run_id}/SUCCEEDED_0.json", manifest_key]

    manifest = json.loads(bucket.get(manifest_key))
    succeeded_key = f"runs/daily/{run_id}/SUCCEEDED_0.json"
    body = bucket.get(succeeded_key)
    assert manifest == {
        "DestinationBucket": bucket.name,
        "MapRunArn": run_arn,
        "ResultFiles": {
            "FAILED": [],
            "PENDING": [],
            "SUCCEEDED": [{"Key": succeeded_key, "Size": len(body)}],
        },
    }
    records = json.loads(body)
    assert [list(r) for r in records] == [RECORD_KEYS, RECORD_KEYS]
    first = records[0]
    assert (
        first["StateMachineArn"] == "arn:aws:states:us-east-1:111111111111:stateMachine:machine/Job"
    )
    assert first["ExecutionArn"] == next(iter(result.child_histories))
    assert first["ExecutionArn"].endswith(":" + first["Name"])
    assert (json.loads(first["Input"]), json.loads(first["Output"])) == (ITEMS[0], [1, 1])
    assert first["RedriveStatus"] == "NOT_REDRIVABLE"
    assert first["StartDate"].endswith("Z") and len(first["StartDate"]) == 24


@pytest.mark.parametrize(
    ("prefix", "folder"), [("", ""), ("p", "p/"), ("p/", "p/"), ("a/b", "a/b/")]
)
def test_export_prefix(local_bucket, prefix: str, folder: str) -> None:
    machine = distributed(ResultWriter=export(local_bucket, prefix))
    result = runtime.execute(machine, [1], time_skip=True)
    run_id = result.output["MapRunArn"].rsplit(":", 1)[1]
    assert result.output["ResultWriterDetails"]["Key"] == f"{folder}{run_id}/manifest.json"


def test_export_with_writer_config_jsonl(bucket) -> None:
    config = {"Transformation": "FLATTEN", "OutputType": "JSONL"}
    machine = distributed(TO_ARRAY, ResultWriter=export(bucket, WriterConfig=config))
    result = runtime.execute(machine, ITEMS, time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    manifest = json.loads(bucket.get(result.output["ResultWriterDetails"]["Key"]))
    (entry,) = manifest["ResultFiles"]["SUCCEEDED"]
    assert entry["Key"].endswith("/SUCCEEDED_0.jsonl")
    assert bucket.get(entry["Key"]).decode() == "1\n1\n2\n2\n"


def test_export_failed_children_within_tolerance(bucket) -> None:
    items = [{"fail": False}, {"fail": True}, {"fail": False}]
    machine = distributed(FAIL_MARKED, ToleratedFailureCount=1, ResultWriter=export(bucket))
    result = runtime.execute(machine, items, time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    manifest = json.loads(bucket.get(result.output["ResultWriterDetails"]["Key"]))
    files = manifest["ResultFiles"]
    assert (len(files["SUCCEEDED"]), len(files["FAILED"]), files["PENDING"]) == (1, 1, [])
    assert files["FAILED"][0]["Key"].endswith("/FAILED_0.json")
    (failed,) = json.loads(bucket.get(files["FAILED"][0]["Key"]))
    assert (failed["Status"], failed["Error"], failed["Cause"]) == (
        "FAILED",
        "Boom",
        "marked to fail",
    )
    assert failed["RedriveStatus"] == "REDRIVABLE_BY_MAP_RUN"
    assert "Output" not in failed
    assert len(json.loads(bucket.get(files["SUCCEEDED"][0]["Key"]))) == 2


def test_failed_run_still_exports_failed_and_pending(local_bucket) -> None:
    items = [{"n": 0, "fail": True}, {"n": 1, "fail": False}, {"n": 2, "fail": False}]
    machine = distributed(FAIL_MARKED, MaxConcurrency=1, ResultWriter=export(local_bucket))
    result = runtime.execute(machine, items, time_skip=True)
    assert result.error == "States.ExceedToleratedFailureThreshold"
    (manifest_key,) = [k for k in local_bucket.list_keys() if k.endswith("manifest.json")]
    files = json.loads(local_bucket.get(manifest_key))["ResultFiles"]
    assert files["SUCCEEDED"] == []
    pending = json.loads(local_bucket.get(files["PENDING"][0]["Key"]))
    assert pending == [
        {
            "Input": json.dumps(item, separators=(",", ":")),
            "InputDetails": {"Included": True},
            "Status": "PENDING",
        }
        for item in items[1:]
    ]


def test_export_parameters_from_paths_and_jsonata(local_bucket) -> None:
    jp = distributed(
        ResultWriter={"Resource": PUT_OBJECT, "Parameters": {"Bucket.$": "$.b", "Prefix.$": "$.p"}},
        ItemsPath="$.items",
    )
    result = runtime.execute(jp, {"b": local_bucket.name, "p": "x", "items": [1]}, time_skip=True)
    assert result.output["ResultWriterDetails"]["Key"].startswith("x/")
    ja = distributed(
        query_language="JSONata",
        Items="{% $states.input.items %}",
        ResultWriter={
            "Resource": PUT_OBJECT,
            "Arguments": {"Bucket": "{% $states.input.b %}", "Prefix": "y"},
        },
    )
    result = runtime.execute(ja, {"b": local_bucket.name, "items": [1]}, time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["ResultWriterDetails"]["Key"].startswith("y/")


def test_write_failure_is_result_writer_failed(s3_bucket) -> None:
    machine = distributed(
        ResultWriter={
            "Resource": PUT_OBJECT,
            "Parameters": {"Bucket": "no-such-bucket-here", "Prefix": "p"},
        }
    )
    result = runtime.execute(machine, [1], time_skip=True)
    assert (result.status, result.error) == ("FAILED", "States.ResultWriterFailed")
    assert "NoSuchBucket" in result.cause
    assert types(result.history)[-3:] == ["MapRunFailed", "MapStateFailed", "ExecutionFailed"]


def test_write_failure_locally_is_catchable(local_bucket) -> None:
    machine = distributed(
        ResultWriter={"Resource": PUT_OBJECT, "Parameters": {"Bucket": "absent", "Prefix": ""}},
        Catch=[{"ErrorEquals": ["States.ResultWriterFailed"], "Next": "Handled"}],
    )
    machine["States"]["Map"].pop("End")
    machine["States"]["Map"]["Next"] = "Handled"
    machine["States"]["Handled"] = {"Type": "Pass", "End": True}
    result = runtime.execute(machine, [1], time_skip=True)
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "States.ResultWriterFailed"


def test_big_results_fit_when_exported(local_bucket) -> None:
    big = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "x" * 70_000, "End": True}}}
    machine = distributed(big, ResultWriter=export(local_bucket))
    result = runtime.execute(machine, [1, 2, 3, 4], time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    key = result.output["ResultWriterDetails"]["Key"]
    (entry,) = json.loads(local_bucket.get(key))["ResultFiles"]["SUCCEEDED"]
    assert entry["Size"] > 280_000
