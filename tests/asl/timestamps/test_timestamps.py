"""Table-driven tests for asl.timestamps (AWS's RFC 3339 profile)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from asl.timestamps import (
    compare_timestamps,
    format_timestamp,
    instant_key,
    is_timestamp,
    parse_timestamp,
)

# (text, the instant it denotes in UTC)
VALID = [
    ("2016-03-14T01:59:00Z", datetime(2016, 3, 14, 1, 59, tzinfo=UTC)),
    ("2012-10-09T19:00:55+01:00", datetime(2012, 10, 9, 18, 0, 55, tzinfo=UTC)),
    ("2012-10-09T19:00:55-05:30", datetime(2012, 10, 10, 0, 30, 55, tzinfo=UTC)),
    ("2016-03-05T21:29:29.243167252Z", datetime(2016, 3, 5, 21, 29, 29, 243167, tzinfo=UTC)),
    ("2016-03-05T21:29:29.5Z", datetime(2016, 3, 5, 21, 29, 29, 500000, tzinfo=UTC)),
    ("2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=UTC)),
    ("2026-11-22T20:02:52Z", datetime(2026, 11, 22, 20, 2, 52, tzinfo=UTC)),
]

INVALID = [
    "2016-12-05T21:29:29",  # no zone (AWS: NO_Z)
    "2016-12-05 21:29:29Z",  # no T (AWS: NO_T)
    "05-12-2016T21:29:29Z",  # AWS: INVALID_ISO
    "2016-13-05T21:29:29Z",  # month 13 (AWS: INVALID_DATE)
    "2016-12-05T25:29:29Z",  # hour 25 (AWS: INVALID_TIME)
    "2016-12-05t21:29:29Z",  # lowercase t
    "2016-12-05T21:29:29z",  # lowercase z
    "2023-02-29T00:00:00Z",  # not a leap year
    "2016-12-05T21:29:60Z",
    "2016-12-05T21:29Z",  # seconds are required
    "2016-12-05T21:29:29.Z",
    "2016-12-05T21:29:29.1234567891Z",  # more than nanoseconds
    "2016-12-05T21:29:29+0100",
    "2016-12-05T21:29:29+01",
    "2016-12-05T21:29:29+24:00",
    "2023-02-24",
    "x",
    "",
    " 2016-03-14T01:59:00Z",
]

NOT_STRINGS = [None, 0, 1.5, True, [], {}]


@pytest.mark.parametrize(("text", "instant"), VALID, ids=[c[0] for c in VALID])
def test_valid(text: str, instant: datetime) -> None:
    assert is_timestamp(text)
    parsed = parse_timestamp(text)
    assert parsed is not None and parsed == instant
    assert parsed.tzinfo is not None


@pytest.mark.parametrize("text", INVALID)
def test_invalid(text: str) -> None:
    assert not is_timestamp(text)
    assert parse_timestamp(text) is None
    assert instant_key(text) is None


@pytest.mark.parametrize("value", NOT_STRINGS)
def test_not_strings(value: object) -> None:
    assert not is_timestamp(value)
    assert parse_timestamp(value) is None


# (left, right, expected comparison)
COMPARISONS = [
    ("2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", 0),
    ("2012-10-09T19:00:55Z", "2012-10-09T19:00:56Z", -1),
    ("2012-10-09T19:00:56Z", "2012-10-09T19:00:55Z", 1),
    ("2012-10-09T19:00:55Z", "2012-10-09T20:00:55+01:00", 0),
    ("2012-10-09T19:00:55.000Z", "2012-10-09T19:00:55Z", 0),
    ("2016-03-05T21:29:29.243167252Z", "2016-03-05T21:29:29.243167253Z", -1),
    ("1969-12-31T23:59:59.5Z", "1970-01-01T00:00:00Z", -1),
    ("2012-10-09T19:00:55Z", "nope", None),
    (5, "2012-10-09T19:00:55Z", None),
]


@pytest.mark.parametrize(("left", "right", "expected"), COMPARISONS)
def test_compare(left: object, right: object, expected: int | None) -> None:
    assert compare_timestamps(left, right) == expected


def test_instant_key_is_exact() -> None:
    assert instant_key("1970-01-01T00:00:01.000000001Z") == (1, 1)
    assert instant_key("1970-01-01T01:00:00+01:00") == (0, 0)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), "2024-01-02T03:04:05.678Z"),
        (
            datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
            "2024-01-02T01:04:05.000Z",
        ),
    ],
)
def test_format(moment: datetime, text: str) -> None:
    assert format_timestamp(moment) == text
