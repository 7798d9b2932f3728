"""Distributed Map ``ResultWriter``: shape the children's results, and export them as AWS does.

``WriterConfig`` alone reshapes the state's result (``Transformation`` ``COMPACT``, the default,
``FLATTEN`` or ``NONE``). With ``Resource: arn:aws:states:::s3:putObject`` and ``{Bucket,
Prefix}`` the results go to ``<Prefix>/<map run id>/``: ``SUCCEEDED_0.json``, ``FAILED_0.json``
and ``PENDING_0.json`` (each only when it has records) and ``manifest.json`` listing them, and
the state's result is ``{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}``. The Host
writes the objects (:meth:`~runtime.core.host.Host.io`) and records each write, so a replay
writes nothing again. A failed export raises ``States.ResultWriterFailed``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from asl import errors as E
from asl import model as m
from asl.errors import StatesError
from runtime.core.events import to_json
from runtime.core.item_reader import S3Caller, evaluate_parameters, s3_action
from runtime.core.map_io import PUT_OBJECT, IOFailed

if TYPE_CHECKING:
    from runtime.core.interpreter import Frame, Interpreter
    from runtime.core.map import ChildRun, MapRun

TRANSFORMATIONS = ("NONE", "COMPACT", "FLATTEN")
OUTPUT_TYPES = ("JSON", "JSONL")


def _failed(cause: str) -> StatesError:
    return StatesError(E.RESULT_WRITER_FAILED, cause)


async def write_results(
    it: Interpreter,
    state: m.MapState,
    frame: Frame,
    run: MapRun,
    effective: Any,
    states: Any,
    eid: int,
) -> Any:
    """The Map state's result after its ``ResultWriter``; exports to S3 when it names a bucket."""
    writer = state.result_writer
    assert writer is not None
    config = writer.writer_config
    output_type = config.get("OutputType", "JSON")
    if output_type not in OUTPUT_TYPES:
        raise _failed(f"WriterConfig OutputType must be JSON or JSONL: {output_type!r}")
    if writer.resource is None:
        return transform(run, _transformation(config, "COMPACT"))
    if s3_action(writer.resource) != "putObject":
        raise _failed(f"The ResultWriter resource is not supported: {writer.resource}")
    params = evaluate_parameters(it, state, frame, writer.parameters, effective, states, eid)
    bucket = params.get("Bucket")
    prefix = params.get("Prefix", "")
    if not isinstance(bucket, str) or not bucket or not isinstance(prefix, str):
        raise _failed("arn:aws:states:::s3:putObject needs a Bucket (and a Prefix) string.")
    files = result_files(run, _transformation(config, "NONE"), output_type)
    folder = (prefix.rstrip("/") + "/" if prefix else "") + run.arn.rsplit(":", 1)[-1] + "/"
    manifest: dict[str, Any] = {
        "DestinationBucket": bucket,
        "MapRunArn": run.arn,
        "ResultFiles": {"FAILED": [], "PENDING": [], "SUCCEEDED": []},
    }
    call = S3Caller(it, frame, run, bucket)
    try:
        for status, (name, body) in files.items():
            key = folder + name
            await call(PUT_OBJECT, key=key, body=body)
            manifest["ResultFiles"][status].append({"Key": key, "Size": len(body)})
        key = folder + "manifest.json"
        await call(PUT_OBJECT, key=key, body=to_json(manifest).encode())
    except IOFailed as exc:
        raise _failed(str(exc))
    return {"MapRunArn": run.arn, "ResultWriterDetails": {"Bucket": bucket, "Key": key}}


def _transformation(config: Any, default: str) -> str:
    value = config.get("Transformation", default)
    if value not in TRANSFORMATIONS:
        raise _failed(f"WriterConfig Transformation must be NONE, COMPACT or FLATTEN: {value!r}")
    return value


def transform(run: MapRun, transformation: str, only_succeeded: bool = False) -> list[Any]:
    """The children's results as ``Transformation`` shapes them. A child that did not succeed
    is its execution record, as ``NONE`` gives; children never started are left out."""
    out: list[Any] = []
    for child in run.children:
        if child.status == "SUCCEEDED" and transformation != "NONE":
            if transformation == "FLATTEN" and isinstance(child.output, list):
                out.extend(child.output)
            else:
                out.append(child.output)
        elif child.status == "SUCCEEDED" or (child.status != "PENDING" and not only_succeeded):
            out.append(execution_record(run, child))
    return out


def result_files(run: MapRun, transformation: str, output_type: str) -> dict[str, tuple]:
    """``{status: (file name, bytes)}`` for each of SUCCEEDED, FAILED (failed, timed out and
    aborted children) and PENDING (children never started) that has records."""
    groups = {
        "SUCCEEDED": transform(run, transformation, only_succeeded=True),
        "FAILED": [execution_record(run, c) for c in run.children if c.status in _FAILED_STATUSES],
        "PENDING": [execution_record(run, c) for c in run.children if c.status == "PENDING"],
    }
    files = {}
    extension = ".json" if output_type == "JSON" else ".jsonl"
    for status, records in groups.items():
        if not records:
            continue
        if output_type == "JSON":
            body = to_json(records)
        else:
            body = "".join(to_json(record) + "\n" for record in records)
        files[status] = (f"{status}_0{extension}", body.encode())
    return files


_FAILED_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")


def execution_record(run: MapRun, child: ChildRun) -> dict[str, Any]:
    """A child execution as AWS exports it with ``Transformation: NONE``."""
    if child.status == "PENDING":
        return {
            "Input": to_json(child.input),
            "InputDetails": {"Included": True},
            "Status": "PENDING",
        }
    record: dict[str, Any] = {}
    if child.cause is not None:
        record["Cause"] = child.cause
    if child.error is not None:
        record["Error"] = child.error
    record.update(
        {
            "ExecutionArn": child.arn,
            "Input": to_json(child.input),
            "InputDetails": {"Included": True},
            "Name": child.name,
        }
    )
    if child.status == "SUCCEEDED":
        record["Output"] = to_json(child.output)
        record["OutputDetails"] = {"Included": True}
    record["RedriveCount"] = 0
    if child.status == "SUCCEEDED":
        record["RedriveStatus"] = "NOT_REDRIVABLE"
        record["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
    else:
        record["RedriveStatus"] = "REDRIVABLE_BY_MAP_RUN"
    record["StartDate"] = _iso(child.start_date)
    record["StateMachineArn"] = run.state_machine_arn
    record["Status"] = child.status
    record["StopDate"] = _iso(child.stop_date)
    return record


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
