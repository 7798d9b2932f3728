"""``athena:startQueryExecution.sync`` against moto: GetQueryExecution until the query ends.

moto runs a query to SUCCEEDED at once (``athena::execution``), keeps it QUEUED under a manual
transition, and cancels it on StopQueryExecution; it never reports FAILED, so the failing end
tested is CANCELLED, which AWS treats the same way.
"""

from __future__ import annotations

import json

from runtime.callbacks import progress
from tests.runtime.aws_sync.conftest import FOREVER, World

QUERY = {"QueryString": "SELECT 1", "ResultConfiguration": {"OutputLocation": "s3://out/q"}}


def start(world: World) -> dict:
    return world.client("athena").start_query_execution(**QUERY)


def test_a_query_that_succeeds_gives_get_query_execution(world: World) -> None:
    started = start(world)
    out = world.wait("athena", "startQueryExecution", QUERY, started)
    execution = out["QueryExecution"]
    assert execution["QueryExecutionId"] == started["QueryExecutionId"]
    assert execution["Status"]["State"] == "SUCCEEDED"
    assert isinstance(execution["Status"]["SubmissionDateTime"], int)  # epoch milliseconds
    json.dumps(out)


def test_a_cancelled_query_fails_the_task_with_its_description(world: World) -> None:
    world.transition("athena::execution", FOREVER)
    started = start(world)
    world.client("athena").stop_query_execution(QueryExecutionId=started["QueryExecutionId"])
    cause = world.cause("athena", "startQueryExecution", QUERY, started)
    assert cause["QueryExecution"]["Status"]["State"] == "CANCELLED"
    assert cause["QueryExecution"]["QueryExecutionId"] == started["QueryExecutionId"]


def test_a_query_still_running_at_the_timeout_is_stopped(world: World) -> None:
    world.transition("athena::execution", FOREVER)
    started = start(world)
    world.times_out("athena", "startQueryExecution", QUERY, started)
    state = world.client("athena").get_query_execution(
        QueryExecutionId=started["QueryExecutionId"]
    )["QueryExecution"]["Status"]["State"]
    assert state == "CANCELLED"


def test_the_start_result_is_recorded_as_task_submitted(world: World) -> None:
    started = start(world)
    shaped = {"QueryExecutionId": started["QueryExecutionId"]}  # the start's task result
    notes: list[tuple[str, dict]] = []
    token = progress.CURRENT.set(lambda kind, details: notes.append((kind, details)))
    try:
        world.wait("athena", "startQueryExecution", QUERY, shaped)
    finally:
        progress.CURRENT.reset(token)
    [(kind, details)] = notes
    assert kind == "TaskSubmitted"
    assert (details["resourceType"], details["resource"]) == (
        "athena",
        "startQueryExecution.sync",
    )
    assert details["output"].value == shaped
