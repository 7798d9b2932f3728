"""Schedule expressions as EventBridge parses them, and when they fire (no clock: fixed times).

Sources of the rules recorded here: EventBridge's "Cron expressions reference" and "Rate
expressions reference", the Scheduler user guide's "Schedule types" page (time zones, daylight
saving time), and the ValidationException text AWS returns for CreateSchedule
(``Invalid Schedule Expression <expression>.``, as recorded against AWS in LocalStack's
snapshot tests).
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from itertools import islice, pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.schedules.expressions import (
    At,
    Cron,
    ExpressionError,
    Rate,
    flexible_delay,
    occurrences,
    parse,
    zone,
)

NEW_YORK = zone("America/New_York")
BERLIN = zone("Europe/Berlin")
SYDNEY = zone("Australia/Sydney")
UTC_ZONE = zone("UTC")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(tz, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=tz, fold=fold).astimezone(UTC)


# --- parsing -----------------------------------------------------------------------------------

VALID = [
    # The docs' examples (cron reference, Scheduler user guide, Lambda's schedule page).
    "cron(0 10 * * ? *)",
    "cron(15 12 * * ? *)",
    "cron(0 18 ? * MON-FRI *)",
    "cron(0 8 1 * ? *)",
    "cron(0/15 * * * ? *)",
    "cron(0/10 * ? * MON-FRI *)",
    "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(0 9 ? * 2#1 *)",
    "cron(1/10 * * * ? *)",
    "cron(0 0 * JAN,FEB,MAR ? *)",
    "cron(0 0 1-15 * ? *)",
    "cron(0 0 L * ? *)",
    "cron(0 0 3W * ? *)",
    "cron(0 0 LW * ? *)",
    "cron(0 0 ? * L *)",
    "cron(15 10 ? * 6L *)",
    "cron(0 0 ? * 3#2 *)",
    "cron(0 0 ? * SUN,SAT *)",
    "cron(0 0 ? * 1-7 *)",
    "cron(0 0 * * ? 1970)",
    "cron(0 0 * * ? 2199)",
    "cron(0 0 * * ? 2020-2030/2)",
    "cron(0 0 29 2 ? *)",
    "cron(0 0 * * ? *)",
    "cron(0 0 ? * * *)",
    "cron(0 22-2 * * ? *)",
    "cron(0 0 ? * FRI-MON *)",
    "cron(0 0 ? * mon *)",
    "cron(0,30 */6 */2 */3 ? *)",
    "rate(1 minute)",
    "rate(5 minutes)",
    "rate(1 hour)",
    "rate(12 hours)",
    "rate(1 day)",
    "rate(7 days)",
    "at(2022-12-31T23:59:59)",  # in the past: AWS accepts it (it never fires)
    "at(2030-02-28T00:00:00)",
    "at(2028-02-29T12:30:00)",
]


@pytest.mark.parametrize("text", VALID)
def test_valid_expressions_parse(text: str) -> None:
    expression = parse(text)
    assert expression.text == text
    assert expression.one_time is text.startswith("at(")


def test_parsed_shapes() -> None:
    cron = parse("cron(0/20 8-10 ? JAN-MAR MON-FRI 2030)")
    assert isinstance(cron, Cron)
    assert cron.minutes == (0, 20, 40)
    assert cron.hours == (8, 9, 10)
    assert cron.months == (1, 2, 3)
    assert cron.day_of_week.values == frozenset({2, 3, 4, 5, 6})
    assert cron.years == (2030,)
    rate = parse("rate(3 hours)")
    assert isinstance(rate, Rate)
    assert rate.period == timedelta(hours=3)
    at = parse("at(2030-01-31T09:30:15)")
    assert isinstance(at, At)
    assert at.when == datetime(2030, 1, 31, 9, 30, 15)


INVALID = [
    # Recorded against AWS (CreateSchedule), with AWS's message.
    ("cron(0 1 * * * *)", "exactly one of them must be ?"),
    ("cron(7 20 * * NOT *)", "exactly one of them must be ?"),
    ("cron(INVALID)", "six fields"),
    ("cron(0 dummy ? * MON-FRI *)", "Hours: 'DUMMY' is not a value"),
    ("cron(71 8 1 * ? *)", "Minutes: 71 is out of range"),
    ("cron()", "six fields"),
    ("rate(10 seconds)", "Unknown unit 'seconds'"),
    ("rate(10 years)", "Unknown unit 'years'"),
    ("rate()", "rate(value unit)"),
    ("rate(10)", "rate(value unit)"),
    ("rate(10 minutess)", "Unknown unit"),
    ("rate(foo minutes)", "rate(value unit)"),
    ("rate(-10 minutes)", "rate(value unit)"),
    ("rate( 10 minutes )", "rate(value unit)"),
    (" rate(10 minutes)", "nothing before or after"),
    ("at(2021-12-31T23:59:59Z)", "at(yyyy-mm-ddThh:mm:ss)"),
    ("at(2021-12-31)", "at(yyyy-mm-ddThh:mm:ss)"),
    # The documented rules.
    ("rate(1 minutes)", "For a value of 1 the unit is singular: rate(1 minute)"),
    ("rate(1 hours)", "singular"),
    ("rate(5 hour)", "For a value above 1 the unit is plural: rate(5 hours)"),
    ("rate(0 minutes)", "positive integer"),
    ("cron(0 9 ? * ? *)", "nor both be ?"),
    ("cron(0 9 1 * MON *)", "cannot both be specified"),
    ("cron(0 9 * * ? * *)", "found 7"),
    ("cron(0 9 * * ?)", "found 5"),
    ("cron( 0 9 * * ? * )", "spaces around them"),
    ("cron(0 24 * * ? *)", "Hours: 24 is out of range; use 0-23"),
    ("cron(0 0 0 * ? *)", "Day-of-month: 0 is out of range; use 1-31"),
    ("cron(0 0 32 * ? *)", "Day-of-month: 32"),
    ("cron(0 0 * 13 ? *)", "Month: 13"),
    ("cron(0 0 * XYZ ? *)", "Month: 'XYZ' is not a value"),
    ("cron(0 0 ? * 0 *)", "Day-of-week: 0 is out of range; use 1-7"),
    ("cron(0 0 ? * 8 *)", "Day-of-week: 8"),
    ("cron(0 0 * * ? 1969)", "Year: 1969 is out of range; use 1970-2199"),
    ("cron(0 0 * * ? 2200)", "Year: 2200"),
    ("cron(0 0 * * ? 2030-2020)", "runs backwards"),
    ("cron(*/60 * * * ? *)", "increment in '*/60' must be a number from 1 to 59"),
    ("cron(0/0 * * * ? *)", "increment"),
    ("cron(0/ * * * ? *)", "no increment"),
    ("cron(0,,5 * * * ? *)", "empty list item"),
    ("cron(0 0 ? * MON/2 *)", "Day-of-week: the / wildcard is not allowed"),
    ("cron(0 0 ? * 3#1,6#3 *)", "# takes one day"),
    ("cron(0 0 ? * 3#6 *)", "instance 1-5"),
    ("cron(0 0 ? * 9#1 *)", "Day-of-week: 9"),
    ("cron(0 0 ? * 9L *)", "Day-of-week: 9"),
    ("cron(0 0 32W * ? *)", "W follows a day 1-31"),
    ("cron(0 0 L,15 * ? *)", "stand alone"),
    ("cron(0 0 1#2 * ? *)", "# belongs to day-of-week"),
    ("cron(0 L * * ? *)", "Hours: 'L' is not a value"),
    ("CRON(0 0 * * ? *)", "cron(fields), rate(value unit) or at("),
    ("every 5 minutes", "cron(fields), rate(value unit) or at("),
    ("", "cron(fields)"),
    ("at(2030-02-30T00:00:00)", "Not a date and time"),
    ("at(2030-01-01T24:00:00)", "Not a date and time"),
    ("at(2030-01-01 10:00:00)", "at(yyyy-mm-ddThh:mm:ss)"),
    ("at(2030-01-01T10:00:00.5)", "at(yyyy-mm-ddThh:mm:ss)"),
    ("at(0001-01-01T00:00:00)", "too far"),
    ("rate(99999999999 days)", "longer than any calendar"),
]


@pytest.mark.parametrize(("text", "reason"), INVALID)
def test_invalid_expressions_give_eventbridges_message_and_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert str(caught.value) == f"Invalid Schedule Expression {text}."
    assert reason in caught.value.reason
    assert caught.value.explain().startswith(f"Invalid Schedule Expression {text}. ")


def test_zone() -> None:
    assert zone("Europe/Berlin").key == "Europe/Berlin"
    assert zone("UTC").key == "UTC"


@pytest.mark.parametrize("name", ["Mars/Olympus", "", " UTC", "../etc/passwd", "Europe/"])
def test_unknown_time_zones(name: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        zone(name)
    assert str(caught.value).startswith("Invalid ScheduleExpressionTimezone")
    assert "IANA time zone name" in caught.value.reason


# --- cron: when it fires -----------------------------------------------------------------------

NEXT = [
    # (expression, after (UTC), expected first occurrence (UTC)); UTC zone.
    ("cron(0 10 * * ? *)", utc(2025, 1, 1, 9, 59, 59), utc(2025, 1, 1, 10)),
    ("cron(0 10 * * ? *)", utc(2025, 1, 1, 10), utc(2025, 1, 2, 10)),  # strictly after
    ("cron(0 10 * * ? *)", utc(2025, 1, 1, 10, 0, 0, 1), utc(2025, 1, 2, 10)),
    ("cron(* * * * ? *)", utc(2025, 1, 1, 10, 0, 30), utc(2025, 1, 1, 10, 1)),
    ("cron(1/10 * * * ? *)", utc(2025, 1, 1, 10, 1), utc(2025, 1, 1, 10, 11)),
    ("cron(0/15 * * * ? *)", utc(2025, 1, 1, 23, 50), utc(2025, 1, 2)),
    ("cron(0 18 ? * MON-FRI *)", utc(2025, 1, 3, 18), utc(2025, 1, 6, 18)),  # Fri -> Mon
    ("cron(0 8 1 * ? *)", utc(2025, 12, 15), utc(2026, 1, 1, 8)),
    ("cron(0 9 ? * 2#1 *)", utc(2025, 1, 1), utc(2025, 1, 6, 9)),  # first Monday
    ("cron(0 0 ? * 3#2 *)", utc(2025, 1, 1), utc(2025, 1, 14)),  # second Tuesday
    ("cron(0 0 ? * 6#5 *)", utc(2025, 2, 1), utc(2025, 5, 30)),  # fifth Friday: May
    ("cron(0 0 L * ? *)", utc(2025, 2, 1), utc(2025, 2, 28)),
    ("cron(0 0 L * ? *)", utc(2024, 2, 1), utc(2024, 2, 29)),
    ("cron(0 0 L 4 ? *)", utc(2025, 1, 1), utc(2025, 4, 30)),
    ("cron(0 0 ? * L *)", utc(2025, 1, 1), utc(2025, 1, 4)),  # L alone: Saturday
    ("cron(15 10 ? * 6L *)", utc(2025, 1, 1), utc(2025, 1, 31, 10, 15)),  # last Friday
    ("cron(0 0 ? * 5L *)", utc(2025, 11, 1), utc(2025, 11, 27)),  # last Thursday
    ("cron(0 0 3W * ? *)", utc(2025, 5, 1), utc(2025, 5, 2)),  # Sat 3rd -> Fri 2nd
    ("cron(0 0 4W * ? *)", utc(2025, 5, 1), utc(2025, 5, 5)),  # Sun 4th -> Mon 5th
    ("cron(0 0 1W * ? *)", utc(2025, 1, 20), utc(2025, 2, 3)),  # Sat 1st -> Mon 3rd
    ("cron(0 0 30W * ? *)", utc(2025, 11, 1), utc(2025, 11, 28)),  # Sun 30th (last) -> Fri 28th
    ("cron(0 0 15W * ? *)", utc(2025, 1, 1), utc(2025, 1, 15)),  # a Wednesday stays
    ("cron(0 0 31W * ? *)", utc(2025, 4, 1), utc(2025, 5, 30)),  # no 31 April; Sat 31 May
    ("cron(0 0 LW * ? *)", utc(2025, 5, 1), utc(2025, 5, 30)),  # Sat 31st -> Fri 30th
    ("cron(0 0 LW * ? *)", utc(2025, 8, 1), utc(2025, 8, 29)),  # Sun 31st -> Fri 29th
    ("cron(0 0 29 2 ? *)", utc(2025, 1, 1), utc(2028, 2, 29)),
    ("cron(0 0 31 * ? *)", utc(2025, 4, 1), utc(2025, 5, 31)),
    ("cron(0 0 22-2 * ? *)", utc(2025, 1, 3), utc(2025, 1, 22)),  # day range wraps
    ("cron(0 23-1 * * ? *)", utc(2025, 1, 1, 1, 30), utc(2025, 1, 1, 23)),  # hour range wraps
    ("cron(0 0 ? * FRI-MON *)", utc(2025, 1, 7), utc(2025, 1, 10)),  # Tue -> Fri
    ("cron(0 0 1 JAN ? 2030)", utc(2025, 1, 1), utc(2030, 1, 1)),
    ("cron(0 0 1 JAN ? 2199)", utc(1960, 1, 1), utc(2199, 1, 1)),
    ("cron(0 0 * * ? *)", utc(1960, 6, 1), utc(1970, 1, 1)),  # years start at 1970
    ("cron(0 0 * * ? 2020)", utc(2025, 1, 1), None),  # only past years
    ("cron(0 0 31 2 ? *)", utc(2025, 1, 1), None),  # never
    ("cron(0 0 30 2 ? *)", utc(2025, 1, 1), None),
    ("cron(59 23 31 12 ? 2199)", utc(2199, 12, 31, 23, 59), None),  # the last possible one
]


@pytest.mark.parametrize(("text", "after", "expected"), NEXT)
def test_cron_next_after(text: str, after: datetime, expected: datetime | None) -> None:
    assert parse(text).next_after(after, tz=UTC_ZONE, anchor=None) == expected


def test_cron_is_evaluated_on_the_zones_wall_clock() -> None:
    cron = parse("cron(0 9 ? * MON-FRI *)")
    assert cron.next_after(utc(2025, 1, 6), tz=BERLIN) == utc(2025, 1, 6, 8)  # CET +1
    assert cron.next_after(utc(2025, 7, 7), tz=BERLIN) == utc(2025, 7, 7, 7)  # CEST +2
    assert cron.next_after(utc(2025, 1, 6), tz=NEW_YORK) == utc(2025, 1, 6, 14)  # EST -5
    assert cron.next_after(utc(2025, 1, 6), tz=SYDNEY) == utc(2025, 1, 6, 22)  # AEDT +11, Tue
    # The day of the week is the local one: 23:30 UTC on Friday is Saturday in Berlin.
    late = parse("cron(30 0 ? * SAT *)")
    assert late.next_after(utc(2025, 1, 3, 12), tz=BERLIN) == utc(2025, 1, 3, 23, 30)


# Daylight saving time: "When the time shifts forward in Spring, your schedule invocation gets
# skipped if the cron expression falls on a non-existent date and time. When the time shifts back
# in the Fall, your schedule runs only once and doesn't repeat its invocation." rate() counts
# elapsed time ("days represents a 24-hour duration").
DST_DAYS = [
    # (zone, spring-forward date, the hour that does not exist, fall-back date, repeated hour)
    (NEW_YORK, (2024, 3, 10), 2, (2024, 11, 3), 1),
    (BERLIN, (2024, 3, 31), 2, (2024, 10, 27), 2),
    (SYDNEY, (2024, 10, 6), 2, (2024, 4, 7), 2),
]


@pytest.mark.parametrize(("tz", "spring", "gap_hour", "fall", "repeated"), DST_DAYS)
def test_a_local_time_in_the_spring_gap_is_skipped(tz, spring, gap_hour, fall, repeated) -> None:
    cron = parse(f"cron(30 {gap_hour} * * ? *)")
    day_before = local(tz, *spring, 0) - timedelta(days=1)
    fired = list(occurrences(cron, tz=tz, after=day_before, until=day_before + timedelta(days=3)))
    local_days = [moment.astimezone(tz).date() for moment in fired]
    spring_day = datetime(*spring).date()
    assert spring_day not in local_days
    assert local_days == [spring_day - timedelta(days=1), spring_day + timedelta(days=1)]
    assert all(moment.astimezone(tz).hour == gap_hour for moment in fired)


@pytest.mark.parametrize(("tz", "spring", "gap_hour", "fall", "repeated"), DST_DAYS)
def test_a_local_time_that_occurs_twice_fires_once(tz, spring, gap_hour, fall, repeated) -> None:
    cron = parse(f"cron(30 {repeated} * * ? *)")
    first = local(tz, *fall, repeated, 30, fold=0)
    second = local(tz, *fall, repeated, 30, fold=1)
    assert second - first == timedelta(hours=1)
    assert cron.next_after(first - timedelta(hours=6), tz=tz) == first
    nxt = cron.next_after(first, tz=tz)
    assert nxt == local(tz, *fall, repeated, 30) + timedelta(days=1, hours=1)
    # Starting between the two (say after a restart), the second one is not an occurrence.
    assert cron.next_after(first + timedelta(minutes=30), tz=tz) == nxt


@pytest.mark.parametrize(("tz", "spring", "gap_hour", "fall", "repeated"), DST_DAYS)
def test_an_hourly_cron_across_both_changes(tz, spring, gap_hour, fall, repeated) -> None:
    cron = parse("cron(0 * * * ? *)")
    for date, hours_in_day in ((spring, 23), (fall, 24)):
        start = local(tz, *date, 0) - timedelta(minutes=1)
        end = local(tz, *date, 23, 59)
        fired = list(occurrences(cron, tz=tz, after=start, until=end))
        wall_hours = [moment.astimezone(tz).hour for moment in fired]
        # Every local hour that exists fires once: 23 on the short day, 24 on the long one
        # (the repeated hour once, not twice).
        assert len(fired) == hours_in_day
        assert len(set(wall_hours)) == len(wall_hours)


@pytest.mark.parametrize(("tz", "spring", "gap_hour", "fall", "repeated"), DST_DAYS)
def test_rate_counts_elapsed_time_across_dst(tz, spring, gap_hour, fall, repeated) -> None:
    daily = parse("rate(1 day)")
    for date in (spring, fall):
        anchor = local(tz, *date, 0) - timedelta(days=1)
        fired = list(
            occurrences(daily, tz=tz, anchor=anchor, after=anchor, until=anchor + timedelta(days=3))
        )
        assert fired == [anchor + timedelta(days=k) for k in (1, 2, 3)]
        # ... so the local time of day moves by the change.
        walls = {moment.astimezone(tz).time() for moment in fired}
        assert len(walls) == 2


def test_new_york_example_hours() -> None:
    # 02:30 does not exist on 10 March 2024 in New York; 01:30 happens twice on 3 November.
    spring = parse("cron(30 2 * * ? *)")
    assert spring.next_after(utc(2024, 3, 9, 12), tz=NEW_YORK) == utc(2024, 3, 11, 6, 30)
    fall = parse("cron(30 1 * * ? *)")
    assert fall.next_after(utc(2024, 11, 2, 12), tz=NEW_YORK) == utc(2024, 11, 3, 5, 30)  # EDT
    assert fall.next_after(utc(2024, 11, 3, 5, 30), tz=NEW_YORK) == utc(2024, 11, 4, 6, 30)


# --- rate and at -------------------------------------------------------------------------------

RATES = [
    # (expression, anchor, after, expected)
    ("rate(5 minutes)", utc(2025, 1, 1), utc(2024, 12, 31), utc(2025, 1, 1)),  # the anchor first
    ("rate(5 minutes)", utc(2025, 1, 1), utc(2025, 1, 1), utc(2025, 1, 1, 0, 5)),
    ("rate(5 minutes)", utc(2025, 1, 1), utc(2025, 1, 1, 0, 4, 59), utc(2025, 1, 1, 0, 5)),
    ("rate(5 minutes)", utc(2025, 1, 1, 0, 0, 17), utc(2025, 1, 1, 1), utc(2025, 1, 1, 1, 0, 17)),
    ("rate(1 hour)", utc(2025, 1, 1), utc(2025, 3, 1, 12, 30), utc(2025, 3, 1, 13)),
    ("rate(3 days)", utc(2025, 1, 1), utc(2025, 1, 7), utc(2025, 1, 10)),
    ("rate(1 minute)", utc(2025, 1, 1), utc(2026, 1, 1, 0, 0, 0, 1), utc(2026, 1, 1, 0, 1)),
]


@pytest.mark.parametrize(("text", "anchor", "after", "expected"), RATES)
def test_rate_next_after(text, anchor, after, expected) -> None:
    expression = parse(text)
    assert expression.next_after(after, tz=UTC_ZONE, anchor=anchor) == expected
    assert expression.next_after(after, tz=SYDNEY, anchor=anchor) == expected  # tz plays no part
    assert expression.next_after(after.timestamp(), anchor=anchor.timestamp()) == expected


def test_a_rate_past_the_calendars_end_has_no_next() -> None:
    huge = parse("rate(999999999 days)")
    assert huge.next_after(utc(2025, 1, 1), anchor=utc(2024, 1, 1)) is None


def test_rate_needs_an_anchor() -> None:
    with pytest.raises(TypeError, match="anchor"):
        parse("rate(5 minutes)").next_after(utc(2025, 1, 1), tz=UTC_ZONE)


def test_at_fires_once_in_its_zone() -> None:
    at = parse("at(2030-01-31T09:30:00)")
    assert at.next_after(utc(2025, 1, 1), tz=UTC_ZONE) == utc(2030, 1, 31, 9, 30)
    assert at.next_after(utc(2025, 1, 1), tz=BERLIN) == utc(2030, 1, 31, 8, 30)
    assert at.next_after(utc(2025, 1, 1), tz=SYDNEY) == utc(2030, 1, 30, 22, 30)
    assert at.next_after(utc(2030, 1, 31, 8, 29, 59), tz=BERLIN) == utc(2030, 1, 31, 8, 30)
    assert at.next_after(utc(2030, 1, 31, 8, 30), tz=BERLIN) is None  # strictly after
    assert parse("at(2022-12-31T23:59:59)").next_after(utc(2025, 1, 1)) is None  # past: none
    # In the spring gap the offset before the change is used (it fires, an hour "late" on the
    # wall clock); in the fall overlap the first of the two.
    gap = parse("at(2024-03-10T02:30:00)")
    assert gap.next_after(utc(2024, 1, 1), tz=NEW_YORK) == utc(2024, 3, 10, 7, 30)
    twice = parse("at(2024-11-03T01:30:00)")
    assert twice.next_after(utc(2024, 1, 1), tz=NEW_YORK) == utc(2024, 11, 3, 5, 30)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(TypeError, match="aware"):
        parse("cron(0 0 * * ? *)").next_after(datetime(2025, 1, 1), tz=UTC_ZONE)


# --- occurrences -------------------------------------------------------------------------------


def test_occurrences_in_after_until_within_start_end() -> None:
    hourly = parse("cron(0 * * * ? *)")
    fired = list(occurrences(hourly, tz=UTC_ZONE, after=utc(2025, 1, 1), until=utc(2025, 1, 1, 3)))
    assert fired == [utc(2025, 1, 1, 1), utc(2025, 1, 1, 2), utc(2025, 1, 1, 3)]  # (after, until]
    bounded = occurrences(
        hourly,
        tz=UTC_ZONE,
        after=utc(2025, 1, 1),
        until=utc(2025, 1, 2),
        start=utc(2025, 1, 1, 5),
        end=utc(2025, 1, 1, 7).timestamp(),
    )
    assert list(bounded) == [utc(2025, 1, 1, 5), utc(2025, 1, 1, 6), utc(2025, 1, 1, 7)]
    # rate(): the anchor (StartDate) is the first occurrence.
    rate = parse("rate(30 minutes)")
    start = utc(2025, 1, 1, 10)
    fired = list(
        occurrences(
            rate, anchor=start, after=utc(2025, 1, 1), until=utc(2025, 1, 1, 11), start=start
        )
    )
    assert fired == [utc(2025, 1, 1, 10), utc(2025, 1, 1, 10, 30), utc(2025, 1, 1, 11)]
    once = parse("at(2025-01-01T10:00:00)")
    assert list(occurrences(once, after=utc(2025, 1, 1), until=utc(2025, 1, 2))) == [
        utc(2025, 1, 1, 10)
    ]
    assert list(occurrences(once, after=utc(2025, 1, 1), until=utc(2025, 1, 1, 9, 59))) == []


# --- flexible windows --------------------------------------------------------------------------


def test_flexible_delay_is_deterministic_and_inside_the_window() -> None:
    assert flexible_delay("schedule-a@2025-01-01T00:00:00Z", 15) == flexible_delay(
        "schedule-a@2025-01-01T00:00:00Z", 15
    )
    delays = {flexible_delay(f"s@{k}", 15) for k in range(200)}
    assert all(0 <= delay < 900 for delay in delays)
    assert len(delays) > 150  # spread, not clumped
    assert max(delays) > 600 and min(delays) < 300
    assert flexible_delay("anything", 0) == 0.0
    assert flexible_delay("anything", 1) < 60


# --- properties --------------------------------------------------------------------------------


def _aws_weekday(day: datetime) -> int:
    return (day.weekday() + 1) % 7 + 1


def _day_matches(text_dom: str, text_dow: str, day: datetime) -> bool:
    """An independent reading of the day fields (for the forms the strategy below makes)."""
    length = calendar.monthrange(day.year, day.month)[1]
    if text_dow != "?":
        weekday = _aws_weekday(day)
        if text_dow == "*":
            return True
        if "#" in text_dow:
            wanted, nth = map(int, text_dow.split("#"))
            return weekday == wanted and (day.day - 1) // 7 + 1 == nth
        if text_dow.endswith("L"):
            return weekday == int(text_dow[:-1]) and day.day + 7 > length
        return weekday in {int(v) for v in text_dow.split(",")}
    if text_dom == "*":
        return True
    if text_dom == "L":
        return day.day == length
    if text_dom.endswith("W"):
        target = length if text_dom == "LW" else int(text_dom[:-1])
        if target > length:
            return False
        candidates = [
            d
            for d in range(1, length + 1)
            if calendar.weekday(day.year, day.month, d) < 5 and abs(d - target) <= 2
        ]
        best = min(candidates, key=lambda d: (abs(d - target), d))
        return day.day == best
    return day.day in {int(v) for v in text_dom.split(",")}


minute_fields = st.sampled_from(["*", "0", "*/7", "5,35", "10-20", "0/15", "59"])
hour_fields = st.sampled_from(["*", "0", "2", "1-3", "*/5", "22-2", "9,17"])
day_fields = st.sampled_from(
    [
        ("*", "?"),
        ("1", "?"),
        ("15,31", "?"),
        ("L", "?"),
        ("LW", "?"),
        ("1W", "?"),
        ("30W", "?"),
        ("?", "*"),
        ("?", "1,7"),
        ("?", "2"),
        ("?", "6L"),
        ("?", "1#1"),
        ("?", "5#5"),
    ]
)
zones = st.sampled_from([UTC_ZONE, NEW_YORK, BERLIN, SYDNEY])
moments = st.datetimes(
    min_value=datetime(2023, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


# Instants around daylight saving changes of the zones above, to start from.
CHANGES = [
    local(tz, *date, 0) + timedelta(hours=hour)
    for tz, spring, gap, fall, repeated in DST_DAYS
    for date, hour in ((spring, gap), (fall, repeated))
]
near_changes = st.builds(
    lambda change, minutes: change + timedelta(minutes=minutes),
    st.sampled_from(CHANGES),
    st.integers(min_value=-300, max_value=300),
)


@settings(max_examples=150, deadline=None)
@given(minute_fields, hour_fields, day_fields, zones, moments | near_changes)
def test_next_after_is_the_first_matching_instant(minutes, hours, days, tz, after) -> None:
    """next_after equals a minute-by-minute scan of instants (first local occurrence only)."""
    dom, dow = days
    cron = parse(f"cron({minutes} {hours} {dom} * {dow} *)")
    assert isinstance(cron, Cron)
    found = cron.next_after(after, tz=tz)
    assert found is not None and found > after
    wall = found.astimezone(tz)
    assert wall.fold == 0 and wall.second == 0
    assert wall.minute in cron.minutes and wall.hour in cron.hours
    assert _day_matches(dom, dow, wall)
    # Nothing that matches lies between after and found: scan a bounded stretch before it.
    probe = max(after, found - timedelta(days=2)).replace(second=0, microsecond=0)
    while probe < found:
        if probe > after:
            local_probe = probe.astimezone(tz)
            assert not (
                local_probe.fold == 0
                and local_probe.minute in cron.minutes
                and local_probe.hour in cron.hours
                and _day_matches(dom, dow, local_probe)
            ), f"{probe} matches before {found}"
        probe += timedelta(minutes=1)


@settings(max_examples=50, deadline=None)
@given(minute_fields, hour_fields, day_fields, zones, moments)
def test_occurrences_are_strictly_increasing(minutes, hours, days, tz, after) -> None:
    dom, dow = days
    cron = parse(f"cron({minutes} {hours} {dom} * {dow} *)")
    until = after + timedelta(days=400)
    fired = list(islice(occurrences(cron, tz=tz, after=after, until=until), 60))
    assert fired, "every strategy's expression fires within 400 days"
    assert all(a < b for a, b in pairwise(fired))
    assert fired[0] > after


@settings(max_examples=100, deadline=None)
@given(
    st.integers(min_value=1, max_value=500),
    st.sampled_from(["minute", "hour", "day"]),
    moments,
    st.integers(min_value=-(10**9), max_value=10**9),
)
def test_rate_is_anchor_plus_whole_periods(value, unit, anchor, offset_seconds) -> None:
    text = f"rate({value} {unit}{'' if value == 1 else 's'})"
    rate = parse(text)
    assert isinstance(rate, Rate)
    after = anchor + timedelta(seconds=offset_seconds)
    found = rate.next_after(after, tz=UTC_ZONE, anchor=anchor)
    assert found is not None and found > after
    steps, rest = divmod(found - anchor, rate.period)
    assert rest == timedelta(0) and steps >= 0
    assert steps == 0 or found - rate.period <= after


def test_cron_matches_a_wall_time() -> None:
    cron = parse("cron(15 10 ? * 6L *)")
    assert isinstance(cron, Cron)
    assert cron.matches(datetime(2025, 1, 31, 10, 15))  # the last Friday
    assert not cron.matches(datetime(2025, 1, 24, 10, 15))  # a Friday, not the last
    assert not cron.matches(datetime(2025, 1, 31, 10, 16))
