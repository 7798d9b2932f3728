"""``asl schedule``: create/update/list/describe/pause/resume/delete against a SQLite store,
trigger (one execution named after the schedule, run here to its end), backfill (exactly the
occurrences of a range, in the schedule's time zone; a second backfill starts nothing), and the
errors with their exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from runtime.cli import main
from runtime.stores import open_store

ECHO = {
    "StartAt": "P",
    "States": {"P": {"Type": "Pass", "Parameters": {"got.$": "$"}, "End": True}},
}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "it broke"}}}
INVALID = {"StartAt": "Nowhere", "States": {"P": {"Type": "Pass", "End": True}}}
MACHINE_ARN = "arn:aws:states:us-east-1:111111111111:stateMachine:pipeline"


class Asl:
    """``asl ...`` in this process on the test's own store: exit code, stdout, stderr."""

    def __init__(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.folder = tmp_path
        self.store = str(tmp_path / "store.sqlite3")
        self.capsys = capsys
        self.file("pipeline.asl.json", ECHO)

    def file(self, name: str, value: Any) -> str:
        path = self.folder / name
        path.write_text(value if isinstance(value, str) else json.dumps(value))
        return str(path)

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        try:
            code = main(["schedule", *args, "--store", self.store])
        except SystemExit as exc:  # argparse's usage errors
            code = int(exc.code or 0)
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, *args: str) -> str:
        code, out, err = self(*args)
        assert code == 0, err
        assert "Traceback" not in err
        return out

    def create(self, name: str = "nightly", *more: str) -> dict[str, Any]:
        machine = str(self.folder / "pipeline.asl.json")
        return json.loads(self.ok("create", name, "--machine", machine, *more))

    def executions(self) -> list[Any]:
        store = open_store(self.store)
        try:
            return store.list()
        finally:
            store.close()


@pytest.fixture
def asl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Asl:
    return Asl(tmp_path, capsys)


def test_create_list_describe_update_pause_resume_delete(asl: Asl) -> None:
    input_file = asl.file("in.json", '{"n": 1}\n')
    created = asl.create(
        "nightly",
        "--cron",
        "0 3 * * ? *",
        "--timezone",
        "Europe/Berlin",
        "--input-file",
        input_file,
        "--overlap",
        "skip",
        "--catchup-window",
        "2h",
        "--flexible-window",
        "10",
        "--retries",
        "3",
        "--max-event-age",
        "1h",
        "--description",
        "the nightly run",
    )
    assert created["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert created["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert created["Target"] == {
        "Arn": MACHINE_ARN,
        "RoleArn": "arn:aws:iam::111111111111:role/asl-local",
        "Input": '{"n": 1}',
        "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
    }
    assert created["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 10}
    assert (created["OverlapPolicy"], created["CatchupWindowSeconds"]) == ("SKIP", 7200)
    assert created["Description"] == "the nightly run"
    store = open_store(asl.store)
    assert store.get_machine(MACHINE_ARN).definition == json.dumps(ECHO)  # registered
    store.close()

    table = asl.ok("list").splitlines()
    assert table[0].split()[:5] == ["NAME", "GROUP", "EXPRESSION", "TIMEZONE", "STATE"]
    assert re.match(r"nightly +default +cron\(0 3 \* \* \? \*\) +Europe/Berlin +ENABLED", table[1])

    described = json.loads(asl.ok("describe", "nightly", "--count", "3"))
    assert len(described["NextOccurrences"]) == 3
    for when in described["NextOccurrences"]:  # 03:00 in Berlin is 01:00 or 02:00 UTC
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT0[12]:00:00Z", when)
    assert described["LastExecutions"] == []

    updated = json.loads(asl.ok("update", "nightly", "--rate", "6 hours", "--timezone", "UTC"))
    assert updated["ScheduleExpression"] == "rate(6 hours)"
    assert updated["Target"]["Input"] == '{"n": 1}'  # what was not given stays
    assert updated["OverlapPolicy"] == "SKIP"

    assert "DISABLED" in asl.ok("pause", "nightly")
    paused = json.loads(asl.ok("list", "--format", "json"))["Schedules"]
    assert [(s["Name"], s["State"], s["NextRunTime"]) for s in paused] == [
        ("nightly", "DISABLED", None)
    ]
    assert asl.ok("list", "--state", "enabled").splitlines()[1:] == []
    assert "ENABLED" in asl.ok("resume", "nightly")
    assert json.loads(asl.ok("describe", "nightly"))["State"] == "ENABLED"

    asl.ok("delete", "nightly")
    code, _, err = asl("describe", "nightly")
    assert code == 2 and "no schedule 'nightly' in group default" in err


@pytest.mark.parametrize(
    ("flags", "expression"),
    [
        (("--cron", "0 3 * * ? *"), "cron(0 3 * * ? *)"),
        (("--cron", "@daily"), "cron(0 0 * * ? *)"),
        (("--cron", "@hourly"), "cron(0 * * * ? *)"),
        (("--cron", "@weekly"), "cron(0 0 ? * SUN *)"),
        (("--rate", "5 minutes"), "rate(5 minutes)"),
        (("--at", "2030-01-01T09:00:00"), "at(2030-01-01T09:00:00)"),
        (("--expression", "cron(0/15 * * * ? *)"), "cron(0/15 * * * ? *)"),
    ],
)
def test_when_flags(asl: Asl, flags: tuple[str, ...], expression: str) -> None:
    assert asl.create("s", *flags)["ScheduleExpression"] == expression


def test_a_changed_definition_updates_the_stored_machine(asl: Asl) -> None:
    asl.create("nightly", "--rate", "1 hour")
    asl.file("pipeline.asl.json", FAIL)
    asl.ok("update", "nightly", "--machine", str(asl.folder / "pipeline.asl.json"))
    store = open_store(asl.store)
    machine = store.get_machine(MACHINE_ARN)
    store.close()
    assert json.loads(machine.definition) == FAIL and machine.update_date is not None


def test_trigger_runs_one_execution_named_after_the_schedule(asl: Asl) -> None:
    asl.create("nightly", "--cron", "0 3 * * ? *", "--input", '{"n": 7}')
    summary = json.loads(asl.ok("trigger", "nightly", "--format", "json"))
    assert summary["status"] == "SUCCEEDED"
    assert summary["output"] == {"got": {"n": 7}}
    assert re.fullmatch(r"default@nightly@\d{8}T\d{6}Z", summary["name"])
    [execution] = asl.executions()
    assert execution.name == summary["name"]
    origin = execution.options["schedule"]
    assert origin["scheduleArn"].endswith(":schedule/default/nightly")
    last = json.loads(asl.ok("describe", "nightly"))["LastExecutions"]
    assert [(e["name"], e["status"]) for e in last] == [(summary["name"], "SUCCEEDED")]


def test_a_failed_triggered_execution_exits_1(asl: Asl) -> None:
    failing = asl.file("failing.asl.json", FAIL)
    asl.ok("create", "broken", "--rate", "1 day", "--machine", failing)
    code, _, err = asl("trigger", "broken")
    assert code == 1
    assert "FAILED: Boom: it broke" in err


BERLIN_NAMES = [  # 03:00 in Berlin; summer time from 29 March 2026
    "default@nightly@20260327T020000Z",
    "default@nightly@20260328T020000Z",
    "default@nightly@20260329T010000Z",
    "default@nightly@20260330T010000Z",
]


def test_backfill_starts_exactly_the_range_and_is_idempotent(asl: Asl) -> None:
    asl.create("nightly", "--cron", "0 3 * * ? *", "--timezone", "Europe/Berlin")
    out = asl.ok("backfill", "nightly", "--from", "2026-03-27", "--to", "2026-03-30T12:00")
    assert [line.split()[2] for line in out.splitlines()[1:]] == BERLIN_NAMES
    assert sorted(e.name for e in asl.executions()) == BERLIN_NAMES
    assert {e.status for e in asl.executions()} == {"SUCCEEDED"}

    again = json.loads(
        asl.ok(
            "backfill",
            "nightly",
            "--from",
            "2026-03-27",
            "--to",
            "2026-03-30T12:00",
            "--format",
            "json",
        )
    )
    assert [o["action"] for o in again["Occurrences"]] == ["EXISTS"] * 4
    assert len(asl.executions()) == 4


def test_backfill_dry_run_starts_nothing(asl: Asl) -> None:
    asl.create("nightly", "--cron", "0 3 * * ? *", "--timezone", "Europe/Berlin")
    out = asl.ok(
        "backfill", "nightly", "--from", "2026-03-27", "--to", "2026-03-30T12:00", "--dry-run"
    )
    assert [line.split()[1] for line in out.splitlines()[1:]] == ["PLANNED"] * 4
    assert asl.executions() == []


ERRORS = [
    # (arguments, exit code, what stderr says)
    (("create", "x", "--cron", "0 3 * * *", "--machine", "{m}"), 2, "try --cron '0 3 * * ? *'"),
    (("create", "x", "--cron", "0 9 * * 1-5", "--machine", "{m}"), 2, "'0 9 ? * MON-FRI *'"),
    (("create", "x", "--cron", "@reboot", "--machine", "{m}"), 2, "asl schedule trigger NAME"),
    (("create", "x", "--cron", "@often", "--machine", "{m}"), 2, "unknown macro"),
    (("create", "x", "--machine", "{m}"), 2, "say when: --cron, --rate, --at or --expression"),
    (("create", "x", "--rate", "1 hour"), 2, "say what it starts: --machine"),
    (("create", "--rate", "1 hour", "--machine", "{m}"), 2, "give the schedule a NAME"),
    (("create", "x", "--rate", "1 hour", "--at", "2030-01-01T00:00:00"), 2, "give one of"),
    (("create", "x", "--rate", "1 hours", "--machine", "{m}"), 2, "ValidationException"),
    (
        ("create", "x", "--rate", "1 hour", "--timezone", "Mars/Base", "--machine", "{m}"),
        2,
        "ValidationException",
    ),
    (("create", "nightly", "--rate", "1 hour", "--machine", "{m}"), 2, "ConflictException"),
    (("create", "x", "--rate", "1 hour", "--machine", "nope.json"), 2, "nope.json: no such file"),
    (
        ("create", "x", "--rate", "1 hour", "--machine", MACHINE_ARN + "2"),
        2,
        "no such state machine in the store",
    ),
    (("create", "x", "--rate", "1 hour", "--machine", "{bad}"), 2, "ASL"),
    (("create", "x", "--rate", "1 hour", "--machine", "{m}", "--input", "{"), 2, "input JSON"),
    (
        ("create", "x", "--rate", "1 hour", "--machine", "{m}", "--catchup-window", "soon"),
        2,
        "a duration such as 90s",
    ),
    (
        ("create", "x", "--rate", "1 hour", "--machine", "{m}", "--start", "tomorrow"),
        2,
        "not an ISO-8601 time",
    ),
    (
        ("create", "x", "--rate", "1 hour", "--machine", "{m}", "--group", "nightly-jobs"),
        2,
        "ResourceNotFoundException: Schedule group nightly-jobs does not exist",
    ),
    (("create", "--template", "{m}"), 2, "not a CloudFormation/SAM template"),
    (("describe", "missing"), 2, "no schedule 'missing' in group default"),
    (("pause", "nightly", "--group", "other"), 2, "no schedule 'nightly' in group other"),
    (("update", "nightly", "--enabled", "--disabled"), 2, "not both"),
    (("trigger", "missing"), 2, "no schedule 'missing'"),
    (("backfill", "nightly", "--from", "2026-03-05", "--to", "2026-03-01"), 2, "swap --from"),
    (("backfill", "nightly", "--from", "2026-03-05"), 2, "--to"),
    (("backfill", "nightly", "--from", "x", "--to", "y"), 2, "not an ISO-8601 time"),
    ((), 2, "ACTION"),
]


@pytest.mark.parametrize(("arguments", "code", "message"), ERRORS)
def test_errors_and_exit_codes(
    asl: Asl, arguments: tuple[str, ...], code: int, message: str
) -> None:
    asl.create("nightly", "--rate", "1 hour")
    paths = {"m": str(asl.folder / "pipeline.asl.json"), "bad": asl.file("bad.json", INVALID)}
    argv = [a.format(**paths) if a.startswith("{") and a.endswith("}") else a for a in arguments]
    got, _, err = asl(*argv)
    assert (got, message in err, "Traceback" in err) == (code, True, False), err
