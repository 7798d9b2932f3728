"""runtime.schedules.backfill: which occurrences a range holds (time zones, DST, StartDate/
EndDate, limits), what each overlap policy starts, and that a second backfill starts nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from runtime.schedules import backfill as bf
from runtime.schedules.firing import StartRequest, execution_name
from runtime.stores.schedules import ScheduleRecord

BERLIN = ZoneInfo("Europe/Berlin")
MACHINE = "arn:aws:states:us-east-1:111111111111:stateMachine:pipeline"


def schedule(expression: str, timezone: str = "UTC", **more) -> ScheduleRecord:
    return ScheduleRecord(
        arn="arn:aws:scheduler:us-east-1:111111111111:schedule/default/nightly",
        name="nightly",
        group_name="default",
        schedule_expression=expression,
        target={"Arn": MACHINE, "RoleArn": "arn:aws:iam::111111111111:role/r", "Input": "{}"},
        creation_date=datetime(2026, 1, 1, tzinfo=UTC).timestamp(),
        last_modification_date=datetime(2026, 1, 1, tzinfo=UTC).timestamp(),
        timezone=timezone,
        **more,
    )


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def stamps(times: list[float]) -> list[str]:
    return [bf.iso(t) for t in times]


@pytest.mark.parametrize(
    ("expression", "timezone", "first", "last", "expected"),
    [
        # both ends inclusive
        (
            "cron(0 3 * * ? *)",
            "UTC",
            utc(2026, 3, 1, 3),
            utc(2026, 3, 3, 3),
            ["2026-03-01T03:00:00Z", "2026-03-02T03:00:00Z", "2026-03-03T03:00:00Z"],
        ),
        # 03:00 in Berlin: 02:00 UTC in winter, 01:00 UTC from 29 March (summer time)
        (
            "cron(0 3 * * ? *)",
            "Europe/Berlin",
            datetime(2026, 3, 28, tzinfo=BERLIN),
            datetime(2026, 3, 30, 23, tzinfo=BERLIN),
            ["2026-03-28T02:00:00Z", "2026-03-29T01:00:00Z", "2026-03-30T01:00:00Z"],
        ),
        # 02:30 does not exist in Berlin on 29 March 2026: that day has no occurrence
        (
            "cron(30 2 * * ? *)",
            "Europe/Berlin",
            datetime(2026, 3, 28, tzinfo=BERLIN),
            datetime(2026, 3, 30, 23, tzinfo=BERLIN),
            ["2026-03-28T01:30:00Z", "2026-03-30T00:30:00Z"],
        ),
        # weekdays only
        (
            "cron(0 9 ? * MON-FRI *)",
            "UTC",
            utc(2026, 6, 5),
            utc(2026, 6, 9, 23),
            ["2026-06-05T09:00:00Z", "2026-06-08T09:00:00Z", "2026-06-09T09:00:00Z"],
        ),
        # rate() counts from the schedule's creation (2026-01-01T00:00Z)
        (
            "rate(6 hours)",
            "UTC",
            utc(2026, 2, 1, 1),
            utc(2026, 2, 1, 18),
            ["2026-02-01T06:00:00Z", "2026-02-01T12:00:00Z", "2026-02-01T18:00:00Z"],
        ),
        (
            "at(2026-05-01T10:00:00)",
            "UTC",
            utc(2026, 4, 1),
            utc(2026, 6, 1),
            ["2026-05-01T10:00:00Z"],
        ),
        ("at(2026-05-01T10:00:00)", "UTC", utc(2026, 5, 2), utc(2026, 6, 1), []),
    ],
)
def test_occurrence_times(expression, timezone, first, last, expected) -> None:
    record = schedule(expression, timezone)
    assert stamps(bf.occurrence_times(record, first, last)) == expected


def test_occurrence_times_stay_within_start_and_end_dates() -> None:
    record = schedule(
        "cron(0 3 * * ? *)",
        start_date=utc(2026, 3, 2).timestamp(),
        end_date=utc(2026, 3, 3, 12).timestamp(),
    )
    times = bf.occurrence_times(record, utc(2026, 3, 1), utc(2026, 3, 5))
    assert stamps(times) == ["2026-03-02T03:00:00Z", "2026-03-03T03:00:00Z"]


@pytest.mark.parametrize(
    ("first", "last", "limit", "message"),
    [
        (utc(2026, 3, 5), utc(2026, 3, 1), 100, "before it starts"),
        (utc(2026, 3, 1), utc(2026, 3, 9), 3, "more than 3 occurrences"),
    ],
)
def test_ranges_refused(first, last, limit, message) -> None:
    with pytest.raises(bf.BackfillError, match=message):
        bf.occurrence_times(schedule("cron(0 3 * * ? *)"), first, last, limit=limit)


@pytest.mark.parametrize(
    ("policy", "running", "buffered", "expected"),
    [
        ("ALLOW_ALL", True, True, bf.START),
        ("SKIP", False, False, bf.START),
        ("SKIP", True, False, bf.SKIPPED),
        ("BUFFER_ONE", False, True, bf.START),
        ("BUFFER_ONE", True, False, bf.BUFFER),
        ("BUFFER_ONE", True, True, bf.SKIPPED),
    ],
)
def test_decide(policy, running, buffered, expected) -> None:
    assert bf.decide(policy, running, buffered) == expected


class Executions:
    """A Starter over a dict: starts are idempotent on the name; a run goes on running until
    ``finish`` (an execution that never ends until told, with no clock involved)."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.running: set[str] = set()

    def start(self, request: StartRequest) -> str:
        arn = f"{MACHINE.replace('stateMachine', 'execution')}:{request.name}"
        if arn not in self.started:
            self.started.append(arn)
            self.running.add(arn)
        return arn

    def is_running(self, arn: str) -> bool:
        return arn in self.running

    def existing(self, name: str) -> str | None:
        arn = f"{MACHINE.replace('stateMachine', 'execution')}:{name}"
        return arn if arn in self.started else None

    def finish(self, arn: str) -> None:
        self.running.discard(arn)


DAYS = [utc(2026, 3, d, 3).timestamp() for d in (1, 2, 3, 4)]


@pytest.mark.parametrize(
    ("policy", "actions", "started_days"),
    [
        ("ALLOW_ALL", ["STARTED"] * 4, [1, 2, 3, 4]),
        # the first run never ends while the backfill looks: every later one is skipped
        ("SKIP", ["STARTED", "SKIPPED", "SKIPPED", "SKIPPED"], [1]),
        # one waits for the first to end (the backfill waits for it), the others are dropped
        ("BUFFER_ONE", ["STARTED", "STARTED", "SKIPPED", "SKIPPED"], [1, 2]),
    ],
)
def test_backfill_honours_the_overlap_policy(policy, actions, started_days) -> None:
    record = schedule("cron(0 3 * * ? *)")
    runs = Executions()
    waited: list[str] = []

    def wait(arn: str) -> None:
        waited.append(arn)
        runs.finish(arn)

    steps = bf.backfill(None, runs, record, DAYS, policy=policy, existing=runs.existing, wait=wait)
    assert [s.action for s in steps] == actions
    assert [s.name for s in steps] == [execution_name(record, t) for t in DAYS]
    assert runs.started == [steps[d - 1].execution_arn for d in started_days]
    assert waited == ([steps[0].execution_arn] if policy == "BUFFER_ONE" else [])


def test_a_second_backfill_starts_nothing() -> None:
    record = schedule("cron(0 3 * * ? *)")
    runs = Executions()
    first = bf.backfill(None, runs, record, DAYS, policy="ALLOW_ALL", existing=runs.existing)
    again = bf.backfill(None, runs, record, DAYS, policy="ALLOW_ALL", existing=runs.existing)
    assert [s.action for s in again] == ["EXISTS"] * 4
    assert [s.execution_arn for s in again] == [s.execution_arn for s in first]
    assert len(runs.started) == 4


def test_a_run_that_ended_lets_skip_start_the_next() -> None:
    record = schedule("cron(0 3 * * ? *)")
    runs = Executions()
    runs.start(StartRequest(MACHINE, execution_name(record, DAYS[0]), "{}", {}))
    runs.finish(runs.started[0])  # the first day ran (and ended) before this backfill
    steps = bf.backfill(None, runs, record, DAYS[:2], policy="SKIP", existing=runs.existing)
    assert [s.action for s in steps] == ["EXISTS", "STARTED"]


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(bf.BackfillError, match="SKIP, BUFFER_ONE, ALLOW_ALL"):
        bf.backfill(None, Executions(), schedule("rate(1 hour)"), [], policy="NOPE", existing=str)
