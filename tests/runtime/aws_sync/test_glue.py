"""``glue:startJobRun.sync`` against moto: GetJobRun until the run ends.

moto runs a job run to SUCCEEDED (``glue::job_run``) and keeps it RUNNING under a manual
transition; it never fails one, so the failed run is moto's run reported FAILED by a stand-in.
"""

from __future__ import annotations

import pytest

from asl.errors import StatesError
from tests.runtime.aws_sync.conftest import FOREVER, World

JOB = "nightly-etl"


def start(world: World) -> tuple[dict, dict]:
    glue = world.client("glue")
    glue.create_job(Name=JOB, Role="arn:aws:iam::111111111111:role/glue", Command={"Name": "x"})
    parameters = {"JobName": JOB, "Arguments": {"--day": "monday"}}
    return parameters, glue.start_job_run(**parameters)


def test_a_run_that_succeeds_gives_the_job_run_with_its_job_name(world: World) -> None:
    parameters, started = start(world)
    out = world.wait("glue", "startJobRun", parameters, started)
    assert out["Id"] == started["JobRunId"]
    assert out["JobName"] == JOB
    assert out["JobRunState"] == "SUCCEEDED"
    assert out["Arguments"] == {"--day": "monday"}  # map keys kept as they are
    assert isinstance(out["StartedOn"], int)


def test_a_failed_run_fails_the_task_with_the_run(world: World) -> None:
    def failed(document: dict) -> None:
        document["JobRun"].update(JobRunState="FAILED", ErrorMessage="out of memory")

    world.stand_in("GLUE").rewrite("GetJobRun", failed)
    parameters, started = start(world)
    cause = world.cause("glue", "startJobRun", parameters, started)
    assert (cause["Id"], cause["JobRunState"]) == (started["JobRunId"], "FAILED")
    assert cause["ErrorMessage"] == "out of memory"


def test_a_run_still_running_at_the_timeout_is_asked_to_stop(world: World) -> None:
    world.transition("glue::job_run", FOREVER)
    stand_in = world.stand_in("GLUE")
    parameters, started = start(world)
    world.times_out("glue", "startJobRun", parameters, started)
    run = world.client("glue").get_job_run(JobName=JOB, RunId=started["JobRunId"])["JobRun"]
    assert run["JobRunState"] == "STARTING"
    assert stand_in.seen[-1] == "BatchStopJobRun"  # moto does not implement it: best effort


def test_a_describe_call_the_service_refuses_fails_with_its_error(world: World) -> None:
    with pytest.raises(StatesError) as raised:
        world.wait("glue", "startJobRun", {"JobName": "missing"}, {"JobRunId": "jr_0"})
    assert raised.value.error == "Glue.EntityNotFoundException"
    assert "(Service: AWSGlue; Status Code: 400; Error Code: EntityNotFoundException;" in str(
        raised.value.cause
    )


def test_a_service_that_cannot_be_reached(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_GLUE", "http://127.0.0.1:9")
    with pytest.raises(StatesError) as raised:
        world.wait("glue", "startJobRun", {"JobName": "etl"}, {"JobRunId": "jr_0"})
    assert raised.value.error == "Glue.SdkClientException"
    assert str(raised.value.cause).startswith("Unable to execute HTTP request")
