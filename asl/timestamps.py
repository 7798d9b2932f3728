"""Timestamps in the profile AWS Step Functions accepts (RFC 3339, ``2016-03-14T01:59:00Z``).

An uppercase ``T`` separates date and time; the zone is an uppercase ``Z`` or ``±hh:mm``; seconds
are required and may carry 1 to 9 fractional digits. Dates and times must exist (no month 13,
hour 25 or second 60). Comparisons are between instants, exact to the nanosecond.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from asl.types import JSON

__all__ = [
    "compare_timestamps",
    "format_timestamp",
    "instant_key",
    "is_timestamp",
    "parse_timestamp",
]

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)

InstantKey = tuple[int, int]
"""An instant as (seconds since the epoch, nanoseconds): totally ordered, exact."""


def _parse(text: str) -> tuple[datetime, int] | None:
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction, sign, off_h, off_m = match.group(7, 8, 9, 10)
    nanos = int(fraction.ljust(9, "0")) if fraction else 0
    if sign is None:
        tz = UTC
    else:
        oh, om = int(off_h), int(off_m)
        if oh > 23 or om > 59:
            return None
        delta = timedelta(hours=oh, minutes=om)
        tz = timezone(-delta if sign == "-" else delta)
    try:
        moment = datetime(year, month, day, hour, minute, second, nanos // 1000, tzinfo=tz)
    except ValueError:
        return None
    return moment, nanos


def parse_timestamp(text: JSON) -> datetime | None:
    """The aware datetime ``text`` denotes (fraction cut to microseconds), or None if invalid."""
    if not isinstance(text, str):
        return None
    parsed = _parse(text)
    return None if parsed is None else parsed[0]


def is_timestamp(value: JSON) -> bool:
    """Whether ``value`` is a string in AWS's timestamp profile."""
    return isinstance(value, str) and _parse(value) is not None


def instant_key(value: JSON) -> InstantKey | None:
    """``(epoch seconds, nanoseconds)`` for a valid timestamp string, else None."""
    if not isinstance(value, str):
        return None
    parsed = _parse(value)
    if parsed is None:
        return None
    moment, nanos = parsed
    seconds = (moment.replace(microsecond=0) - _EPOCH) // _SECOND
    return seconds, nanos


def compare_timestamps(left: JSON, right: JSON) -> int | None:
    """-1, 0 or 1 comparing two timestamp strings as instants; None if either is not one."""
    a, b = instant_key(left), instant_key(right)
    if a is None or b is None:
        return None
    return (a > b) - (a < b)


def format_timestamp(moment: datetime) -> str:
    """``moment`` in UTC as ``YYYY-MM-DDThh:mm:ss.sssZ`` (milliseconds, as AWS writes them)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
