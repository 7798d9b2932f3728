"""EventBridge Scheduler's API on ``asl serve``, driven through boto3's ``scheduler`` client over
real HTTP: schedules, groups, tags, paging, AWS's errors, SigV4, and the Step Functions API
answering beside it on the same port."""

from __future__ import annotations

import http.client
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.serve.conftest import PASS, ROLE, client
from tests.serve.test_access import signed  # noqa: F401  (a server with credentials)

MACHINE = "arn:aws:states:us-east-1:111111111111:stateMachine:m"
UNIVERSAL = "arn:aws:scheduler:::aws-sdk:sfn:startExecution"
TARGET = {"Arn": MACHINE, "RoleArn": ROLE, "Input": '{"n": 1}'}
BASE: dict[str, Any] = {
    "ScheduleExpression": "rate(5 minutes)",
    "FlexibleTimeWindow": {"Mode": "OFF"},
    "Target": TARGET,
}


def scheduler(url: str, key: str = "test", secret: str = "test", **config: Any) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "scheduler",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, **config),
    )


@pytest.fixture
def api(make_server):
    live = make_server()
    return live, scheduler(live.url)


def code_of(exc: Any) -> tuple[str, int]:
    return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


def later(**delta: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(**delta)


# -- schedules -----------------------------------------------------------------------------------


def test_schedule_round_trip(api):
    _, sch = api
    start, end = later(days=1), later(days=30)
    arn = sch.create_schedule(
        Name="nightly",
        ScheduleExpression="cron(0 3 * * ? *)",
        ScheduleExpressionTimezone="Europe/Berlin",
        StartDate=start,
        EndDate=end,
        Description="every night",
        State="DISABLED",
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
        ActionAfterCompletion="NONE",
        Target={
            **TARGET,
            "RetryPolicy": {"MaximumEventAgeInSeconds": 600, "MaximumRetryAttempts": 3},
        },
    )["ScheduleArn"]
    assert arn == "arn:aws:scheduler:us-east-1:111111111111:schedule/default/nightly"
    got = sch.get_schedule(Name="nightly")
    assert got["Arn"] == arn and got["GroupName"] == "default"
    assert got["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert (got["StartDate"], got["EndDate"]) == (start, end)
    assert got["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert got["Target"]["RetryPolicy"] == {
        "MaximumEventAgeInSeconds": 600,
        "MaximumRetryAttempts": 3,
    }
    assert (got["State"], got["Description"]) == ("DISABLED", "every night")
    created = got["CreationDate"]

    sch.update_schedule(Name="nightly", **{**BASE, "ScheduleExpression": "rate(1 hour)"})
    again = sch.get_schedule(Name="nightly", GroupName="default")
    # UpdateSchedule replaces every member: those left out take their defaults, as on AWS.
    assert again["ScheduleExpression"] == "rate(1 hour)"
    assert again["State"] == "ENABLED" and "StartDate" not in again and "Description" not in again
    assert again["ScheduleExpressionTimezone"] == "UTC"
    assert again["CreationDate"] == created and again["LastModificationDate"] >= created

    sch.delete_schedule(Name="nightly")
    for call in (
        lambda: sch.get_schedule(Name="nightly"),
        lambda: sch.delete_schedule(Name="nightly"),
    ):
        with pytest.raises(
            sch.exceptions.ResourceNotFoundException, match="Schedule nightly does not exist"
        ):
            call()


def test_universal_start_execution_target(api):
    _, sch = api
    request = {"StateMachineArn": MACHINE, "Input": '{"at": <aws.scheduler.attempt-number>}'}
    target = {"Arn": UNIVERSAL, "RoleArn": ROLE, "Input": json.dumps(request)}
    sch.create_schedule(Name="u", **{**BASE, "Target": target})
    assert json.loads(sch.get_schedule(Name="u")["Target"]["Input"]) == request


def test_conflict_and_missing(api):
    _, sch = api
    sch.create_schedule(Name="s", **BASE)
    with pytest.raises(sch.exceptions.ConflictException, match="Schedule s already exists") as err:
        sch.create_schedule(Name="s", **BASE)
    assert code_of(err.value) == ("ConflictException", 409)
    with pytest.raises(sch.exceptions.ResourceNotFoundException) as err:
        sch.update_schedule(Name="other", **BASE)
    assert code_of(err.value) == ("ResourceNotFoundException", 404)
    with pytest.raises(sch.exceptions.ResourceNotFoundException, match="Schedule group nope"):
        sch.create_schedule(Name="s2", GroupName="nope", **BASE)
    with pytest.raises(sch.exceptions.ResourceNotFoundException):
        sch.get_schedule(Name="s", GroupName="elsewhere")


def test_client_token_makes_create_idempotent(api):
    _, sch = api
    first = sch.create_schedule(Name="t", ClientToken="token-1", **BASE)["ScheduleArn"]
    assert sch.create_schedule(Name="t", ClientToken="token-1", **BASE)["ScheduleArn"] == first
    with pytest.raises(sch.exceptions.ConflictException, match="different parameters"):
        sch.create_schedule(Name="t", ClientToken="token-1", **{**BASE, "Description": "x"})
    with pytest.raises(sch.exceptions.ConflictException, match="already exists"):
        sch.create_schedule(Name="t", ClientToken="token-2", **BASE)


def _target(**more: Any) -> dict[str, Any]:
    return {**TARGET, **more}


def _universal(request: Any) -> dict[str, Any]:
    text = request if isinstance(request, str) else json.dumps(request)
    return {"Arn": UNIVERSAL, "RoleArn": ROLE, "Input": text}


INVALID = [
    ("cron 5 fields", {"ScheduleExpression": "cron(0 3 * * *)"}, "cron(0 3 * * *)"),
    ("rate zero", {"ScheduleExpression": "rate(0 minutes)"}, "rate(0 minutes)"),
    ("not an expression", {"ScheduleExpression": "every day"}, "every day"),
    ("bad at", {"ScheduleExpression": "at(2030-13-01T00:00:00)"}, "at(2030-13-01T00:00:00)"),
    (
        "flexible without size",
        {"FlexibleTimeWindow": {"Mode": "FLEXIBLE"}},
        "MaximumWindowInMinutes is required",
    ),
    (
        "flexible window 0",
        {"FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 0}},
        "greater than or equal to 1",
    ),
    (
        "flexible window 1441",
        {"FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 1441}},
        "less than or equal to 1440",
    ),
    (
        "off with a size",
        {"FlexibleTimeWindow": {"Mode": "OFF", "MaximumWindowInMinutes": 5}},
        "must not be given",
    ),
    (
        "unknown mode",
        {"FlexibleTimeWindow": {"Mode": "SOMETIMES"}},
        "enum value set: [OFF, FLEXIBLE]",
    ),
    (
        "lambda target",
        {"Target": _target(Arn="arn:aws:lambda:us-east-1:111111111111:function:f")},
        "starts Step Functions executions only",
    ),
    (
        "other universal target",
        {"Target": {**_universal({}), "Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage"}},
        "starts Step Functions executions only",
    ),
    ("universal without machine", {"Target": _universal({"Input": "{}"})}, "StateMachineArn"),
    ("universal not json", {"Target": _universal("{nope")}, "Input is not JSON"),
    (
        "universal input not json",
        {"Target": _universal({"StateMachineArn": MACHINE, "Input": "{nope"})},
        "Input is not JSON",
    ),
    ("input not json", {"Target": _target(Input="{nope")}, "Target.Input is not JSON"),
    ("no role", {"Target": {"Arn": MACHINE}}, "'target.roleArn' failed to satisfy constraint"),
    ("bad role", {"Target": _target(RoleArn="role")}, "regular expression pattern"),
    (
        "too many retries",
        {"Target": _target(RetryPolicy={"MaximumRetryAttempts": 186})},
        "less than or equal to 185",
    ),
    (
        "event age under a minute",
        {"Target": _target(RetryPolicy={"MaximumEventAgeInSeconds": 59})},
        "greater than or equal to 60",
    ),
    (
        "event age over a day",
        {"Target": _target(RetryPolicy={"MaximumEventAgeInSeconds": 86401})},
        "less than or equal to 86400",
    ),
    ("unknown time zone", {"ScheduleExpressionTimezone": "Mars/Olympus"}, "Mars/Olympus"),
    (
        "end before start",
        {"StartDate": later(days=2), "EndDate": later(days=1)},
        "EndDate you specify must be later than the StartDate",
    ),
    ("start an hour ago", {"StartDate": later(hours=-1)}, "cannot be earlier than 5 minutes ago"),
    ("state enum", {"State": "PAUSED"}, "enum value set: [ENABLED, DISABLED]"),
    ("completion enum", {"ActionAfterCompletion": "KEEP"}, "enum value set: [NONE, DELETE]"),
    ("long description", {"Description": "d" * 513}, "less than or equal to 512"),
    ("bad kms key", {"KmsKeyArn": "key"}, "regular expression pattern"),
]


@pytest.mark.parametrize(("case", "change", "fragment"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_schedules_are_refused(make_server, case, change, fragment):
    live = make_server()
    sch = scheduler(live.url, parameter_validation=False)  # the server's checks, not botocore's
    with pytest.raises(sch.exceptions.ValidationException) as err:
        sch.create_schedule(Name="bad", **{**BASE, **change})
    assert fragment in err.value.response["Error"]["Message"]
    assert code_of(err.value) == ("ValidationException", 400)
    sch.create_schedule(Name="bad", **BASE)  # nothing was stored; the same name is free
    with pytest.raises(sch.exceptions.ValidationException):
        sch.update_schedule(Name="bad", **{**BASE, **change})
    assert sch.get_schedule(Name="bad")["ScheduleExpression"] == BASE["ScheduleExpression"]


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("n" * 65, "length less than or equal to 64"), ("a b", "regular expression pattern")],
)
def test_invalid_names_are_refused(api, name, fragment):
    _, sch = api
    with pytest.raises(sch.exceptions.ValidationException, match=fragment):
        sch.create_schedule(Name=name, **BASE)


def test_one_time_schedule_may_start_in_the_past(api):
    """StartDate's five-minute rule is for recurring schedules only."""
    _, sch = api
    sch.create_schedule(
        Name="once",
        **{**BASE, "ScheduleExpression": "at(2035-01-01T00:00:00)"},
        StartDate=later(days=-3),
    )
    assert sch.get_schedule(Name="once")["ScheduleExpression"] == "at(2035-01-01T00:00:00)"


# -- groups and tags -----------------------------------------------------------------------------


def test_groups_and_tags(api):
    _, sch = api
    arn = sch.create_schedule_group(
        Name="team",
        Tags=[{"Key": "owner", "Value": "me"}, {"Key": "asl:overlap-policy", "Value": "SKIP"}],
    )["ScheduleGroupArn"]
    assert arn == "arn:aws:scheduler:us-east-1:111111111111:schedule-group/team"
    with pytest.raises(
        sch.exceptions.ConflictException, match="Schedule group team already exists"
    ):
        sch.create_schedule_group(Name="team")
    got = sch.get_schedule_group(Name="team")
    assert (got["Arn"], got["Name"], got["State"]) == (arn, "team", "ACTIVE")
    names = [g["Name"] for g in sch.list_schedule_groups()["ScheduleGroups"]]
    assert names == ["default", "team"]

    sch.tag_resource(ResourceArn=arn, Tags=[{"Key": "asl:catchup-window", "Value": "600"}])
    sch.untag_resource(ResourceArn=arn, TagKeys=["owner"])
    tags = {t["Key"]: t["Value"] for t in sch.list_tags_for_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"asl:overlap-policy": "SKIP", "asl:catchup-window": "600"}
    for bad in (
        {"Key": "asl:overlap-policy", "Value": "SOMETIMES"},
        {"Key": "asl:catchup-window", "Value": "soon"},
    ):
        with pytest.raises(sch.exceptions.ValidationException, match=bad["Key"]):
            sch.tag_resource(ResourceArn=arn, Tags=[bad])

    sch.create_schedule(Name="a", GroupName="team", **BASE)
    sch.create_schedule(Name="a", **BASE)  # the same name in another group is another schedule
    assert sch.get_schedule(Name="a", GroupName="team")["Arn"].endswith("schedule/team/a")
    sch.delete_schedule_group(Name="team")  # its schedules go with it
    with pytest.raises(sch.exceptions.ResourceNotFoundException):
        sch.get_schedule(Name="a", GroupName="team")
    assert sch.get_schedule(Name="a")["GroupName"] == "default"
    with pytest.raises(
        sch.exceptions.ResourceNotFoundException, match="Schedule group team does not exist"
    ):
        sch.get_schedule_group(Name="team")
    with pytest.raises(sch.exceptions.ResourceNotFoundException):
        sch.list_tags_for_resource(ResourceArn=arn)
    with pytest.raises(sch.exceptions.ValidationException, match="default schedule group"):
        sch.delete_schedule_group(Name="default")


def test_paging_and_filters(api):
    _, sch = api
    sch.create_schedule_group(Name="g")
    for i in range(7):
        sch.create_schedule(Name=f"job-{i}", **BASE, State="DISABLED" if i % 2 else "ENABLED")
    sch.create_schedule(Name="other", GroupName="g", **BASE)

    pages = list(sch.get_paginator("list_schedules").paginate(PaginationConfig={"PageSize": 3}))
    assert [len(p["Schedules"]) for p in pages] == [3, 3, 2]
    listed = [s["Name"] for p in pages for s in p["Schedules"]]
    assert sorted(listed) == sorted([f"job-{i}" for i in range(7)] + ["other"])
    summary = pages[0]["Schedules"][0]
    assert set(summary) == {
        "Arn",
        "Name",
        "GroupName",
        "State",
        "CreationDate",
        "LastModificationDate",
        "Target",
    }
    assert summary["Target"] == {"Arn": MACHINE}

    def names(**filters: Any) -> list[str]:
        return sorted(s["Name"] for s in sch.list_schedules(**filters)["Schedules"])

    assert names(GroupName="g") == ["other"]
    assert names(NamePrefix="job-", State="DISABLED") == ["job-1", "job-3", "job-5"]
    with pytest.raises(sch.exceptions.ResourceNotFoundException):
        sch.list_schedules(GroupName="missing")
    token = sch.list_schedules(MaxResults=2)["NextToken"]
    with pytest.raises(sch.exceptions.ValidationException, match="NextToken"):
        sch.list_schedules(MaxResults=2, NextToken=token, State="ENABLED")
    groups = list(
        sch.get_paginator("list_schedule_groups").paginate(PaginationConfig={"PageSize": 1})
    )
    assert [g["Name"] for p in groups for g in p["ScheduleGroups"]] == ["default", "g"]


# -- beside Step Functions -----------------------------------------------------------------------


def test_step_functions_still_answers_and_tags_do_not_mix(api):
    live, sch = api
    sfn = client(live.url)
    machine = live.machine(PASS)
    sch.create_schedule(Name="s", **{**BASE, "Target": {**TARGET, "Arn": machine}})
    sfn.tag_resource(resourceArn=machine, tags=[{"key": "k", "value": "v"}])
    assert sfn.list_tags_for_resource(resourceArn=machine)["tags"] == [{"key": "k", "value": "v"}]
    group = sch.get_schedule_group(Name="default")["Arn"]
    assert sch.list_tags_for_resource(ResourceArn=group)["Tags"] == []
    run = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    assert sfn.describe_execution(executionArn=run)["stateMachineArn"] == machine
    assert [s["Name"] for s in sch.list_schedules()["Schedules"]] == ["s"]


def _raw(url: str, method: str, path: str, body: bytes = b"") -> tuple[int, dict[str, str], Any]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read() or b"{}")
    finally:
        conn.close()


def test_rest_json_wire_shape(api):
    """Errors as rest-json carries them; dates as epoch seconds in the JSON body."""
    live, sch = api
    status, headers, body = _raw(live.url, "GET", "/schedules/none?groupName=default")
    assert status == 404 and headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert body == {"Message": "Schedule none does not exist."}
    before = time.time()
    sch.create_schedule(Name="w", **BASE)
    status, _, body = _raw(live.url, "GET", "/schedules/w")
    assert status == 200 and isinstance(body["CreationDate"], (int, float))
    assert before - 1 <= body["CreationDate"] <= time.time() + 1
    status, headers, body = _raw(live.url, "POST", "/schedules/x", b"{not json")
    assert (status, headers["x-amzn-ErrorType"]) == (400, "SerializationException")


# -- SigV4 ---------------------------------------------------------------------------------------


def test_signed_scheduler_requests_pass_and_unsigned_are_refused(signed):  # noqa: F811
    from botocore.exceptions import ClientError

    sch = scheduler(signed.url, "AKIDOPERATOR", "operator-secret")
    sch.create_schedule(Name="s", **BASE)
    group = sch.get_schedule_group(Name="default")["Arn"]
    sch.tag_resource(ResourceArn=group, Tags=[{"Key": "k", "Value": "v"}])  # an ARN in the path
    assert sch.list_tags_for_resource(ResourceArn=group)["Tags"] == [{"Key": "k", "Value": "v"}]
    assert [s["Name"] for s in sch.list_schedules(NamePrefix="s")["Schedules"]] == ["s"]

    status, headers, _ = _raw(signed.url, "GET", "/schedules")
    assert (status, headers["x-amzn-ErrorType"]) == (400, "MissingAuthenticationTokenException")
    with pytest.raises(ClientError) as err:
        scheduler(signed.url, "AKIDOPERATOR", "wrong").list_schedules()
    assert code_of(err.value) == ("InvalidSignatureException", 403)


def test_signature_for_another_service_is_refused(signed):  # noqa: F811
    """A request signed for ``states`` does not pass on a scheduler route."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    parts = urlsplit(signed.url)
    request = AWSRequest(
        method="GET", url=f"{signed.url}/schedules", headers={"Host": parts.netloc}
    )
    SigV4Auth(Credentials("AKIDOPERATOR", "operator-secret"), "states", "us-east-1").add_auth(
        request
    )
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", "/schedules", headers=dict(request.headers))
        response = conn.getresponse()
        response.read()
        assert (response.status, response.getheader("x-amzn-ErrorType")) == (
            403,
            "InvalidSignatureException",
        )
    finally:
        conn.close()
