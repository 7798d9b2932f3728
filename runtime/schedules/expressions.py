"""EventBridge Scheduler's schedule expressions: ``cron(...)``, ``rate(...)`` and ``at(...)``.

Pure: no I/O, no clock, no threads. :func:`parse` validates an expression as EventBridge does
(an :class:`ExpressionError` whose text is EventBridge's ValidationException message, with the
reason in ``reason``); ``next_after`` and :func:`occurrences` compute when it fires.

The rules (EventBridge's cron and rate expression references, and the Scheduler user guide's
"Schedule types" page):

* ``cron(Minutes Hours Day-of-month Month Day-of-week Year)``: six fields; ``,`` ``-`` ``*``
  ``/`` everywhere but day-of-week's ``/``; ``?`` in day-of-month or day-of-week, and exactly
  one of the two must be ``?``; ``L`` (last day of the month; in day-of-week alone Saturday, the
  last day of the week; ``5L`` the last Thursday), ``W`` (``3W`` the weekday nearest the 3rd,
  within the month; ``LW`` the last weekday), ``#`` (``3#2`` the second Tuesday, alone in its
  field); months 1-12 or JAN-DEC, days of the week 1-7 (1 = Sunday) or SUN-SAT, years
  1970-2199. Evaluated on the wall clock of the schedule's time zone: a local time that does not
  exist (spring forward) is skipped, one that occurs twice (fall back) fires once, the first time.
* ``rate(value unit)``: a positive integer and minute|minutes|hour|hours|day|days, the unit
  singular exactly when the value is 1. Occurrences at anchor + k × period: elapsed time, never
  moved by daylight saving time (a day is 24 hours).
* ``at(yyyy-mm-ddThh:mm:ss)``: once, on the wall clock of the schedule's time zone (a time in a
  spring-forward gap is read with the offset before the change, as ``zoneinfo`` does; one that
  occurs twice is the first).
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "At",
    "Cron",
    "Expression",
    "ExpressionError",
    "Rate",
    "flexible_delay",
    "occurrences",
    "parse",
    "zone",
]

MIN_YEAR = 1970
MAX_YEAR = 2199
_MINUTE = timedelta(minutes=1)
_UTC_ZONE = ZoneInfo("UTC")


class ExpressionError(ValueError):
    """An invalid schedule expression or time zone.

    ``str(exc)`` is EventBridge's ValidationException message (``Invalid Schedule Expression
    <text>.``); ``reason`` says what is wrong, where, and how to fix it.
    """

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason

    def explain(self) -> str:
        """The message followed by the reason (for people rather than API clients)."""
        return f"{self.message} {self.reason}".strip()


def _invalid(text: str, reason: str) -> ExpressionError:
    return ExpressionError(f"Invalid Schedule Expression {text}.", reason)


# ---------------------------------------------------------------------------------------------
# Time zones and instants


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (ScheduleExpressionTimezone); ExpressionError if unknown."""
    if not isinstance(name, str) or not name or name != name.strip():
        raise ExpressionError(
            f"Invalid ScheduleExpressionTimezone {name!r}.",
            "Give an IANA time zone name, for example UTC, Europe/Berlin or America/New_York.",
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ExpressionError(
            f"Invalid ScheduleExpressionTimezone {name}.",
            f"{name!r} is not an IANA time zone name; use one such as UTC, Europe/Berlin or "
            "America/New_York.",
        ) from None


def _instant(value: datetime | float | int, what: str) -> datetime:
    """An aware UTC datetime from an aware datetime or epoch seconds."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise TypeError(f"{what} must be an aware datetime (or epoch seconds), not naive")
        return value.astimezone(UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    raise TypeError(f"{what} must be an aware datetime or epoch seconds, not {type(value)}")


def _resolve(wall: datetime, tz: tzinfo) -> datetime | None:
    """The UTC instant of naive local ``wall`` (the first of two in an overlap); None in a gap."""
    instant = wall.replace(tzinfo=tz).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != wall:
        return None
    return instant


# ---------------------------------------------------------------------------------------------
# The expressions


class Expression:
    """What Cron, Rate and At share (see their ``next_after``)."""

    text: str
    one_time: bool

    def next_after(
        self,
        after: datetime | float,
        *,
        tz: tzinfo = _UTC_ZONE,
        anchor: datetime | float | None = None,
    ) -> datetime | None:  # pragma: no cover - overridden
        raise NotImplementedError


@dataclass(frozen=True)
class _Days:
    """A day-of-month or day-of-week field.

    ``kind``: "any" (``*`` or ``?``), "set" (``values``), "last" (day-of-month ``L``), "lastweekday"
    (``LW``), "nearest" (``nW``, ``arg`` = n), "lastof" (day-of-week ``nL``, ``arg`` = n),
    "nth" (day-of-week ``n#k``, ``arg`` = n, ``nth`` = k).
    """

    kind: str
    values: frozenset[int] = frozenset()
    arg: int = 0
    nth: int = 0


@dataclass(frozen=True)
class Cron(Expression):
    """A parsed ``cron(...)``: the allowed values of each field, sorted."""

    text: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    day_of_month: _Days
    months: tuple[int, ...]
    day_of_week: _Days
    years: tuple[int, ...]
    one_time: bool = False

    def next_after(
        self,
        after: datetime | float,
        *,
        tz: tzinfo = _UTC_ZONE,
        anchor: datetime | float | None = None,
    ) -> datetime | None:
        """The first occurrence strictly after ``after`` (aware UTC), or None (none before 2200).

        Walks the wall clock of ``tz`` field by field (never minute by minute): a wall time in a
        spring-forward gap is skipped, one in a fall-back overlap fires once (the first).
        """
        after = _instant(after, "after")
        if self._never:
            return None
        wall = after.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0) + _MINUTE
        while True:
            found = self._next_wall(wall)
            if found is None:
                return None
            instant = _resolve(found, tz)
            if instant is not None and instant > after:
                return instant
            wall = found + _MINUTE

    @cached_property
    def _never(self) -> bool:
        """Whether the day of the month asked for is in none of the months (31 February)."""
        longest = max(calendar.monthrange(2024, month)[1] for month in self.months)
        dom = self.day_of_month
        if dom.kind == "set":
            return min(dom.values) > longest
        return dom.kind == "nearest" and dom.arg > longest

    def matches(self, wall: datetime) -> bool:
        """Whether the local wall time ``wall`` (its minute) matches every field."""
        return (
            wall.minute in self.minutes
            and wall.hour in self.hours
            and wall.month in self.months
            and wall.year in self.years
            and wall.day in _month_days(self.day_of_month, self.day_of_week, wall.year, wall.month)
        )

    def _next_wall(self, start: datetime) -> datetime | None:
        """The first naive wall time at or after ``start`` matching every field."""
        y, mo, d, h, mi = start.year, start.month, start.day, start.hour, start.minute
        while True:
            if y > self.years[-1]:
                return None
            ny = _first_at_least(self.years, y)
            if ny is None:
                return None
            if ny != y:
                y, mo, d, h, mi = ny, 1, 1, 0, 0
            nmo = _first_at_least(self.months, mo)
            if nmo is None:
                y, mo, d, h, mi = y + 1, 1, 1, 0, 0
                continue
            if nmo != mo:
                mo, d, h, mi = nmo, 1, 0, 0
            nd = _first_at_least(_month_days(self.day_of_month, self.day_of_week, y, mo), d)
            if nd is None:
                y, mo, d, h, mi = (y + 1, 1, 1, 0, 0) if mo == 12 else (y, mo + 1, 1, 0, 0)
                continue
            if nd != d:
                d, h, mi = nd, 0, 0
            nh = _first_at_least(self.hours, h)
            if nh is None:
                y, mo, d, h, mi = _next_day(y, mo, d)
                continue
            if nh != h:
                h, mi = nh, 0
            nmi = _first_at_least(self.minutes, mi)
            if nmi is None:
                if h == 23:
                    y, mo, d, h, mi = _next_day(y, mo, d)
                else:
                    h, mi = h + 1, 0
                continue
            return datetime(y, mo, d, h, nmi)


@dataclass(frozen=True)
class Rate(Expression):
    """A parsed ``rate(...)``: every ``value`` ``unit`` (elapsed time, from the anchor)."""

    text: str
    value: int
    unit: str  # minute | hour | day (singular)
    one_time: bool = False

    @property
    def period(self) -> timedelta:
        """The time between two occurrences."""
        return timedelta(**{f"{self.unit}s": self.value})

    def next_after(
        self,
        after: datetime | float,
        *,
        tz: tzinfo = _UTC_ZONE,
        anchor: datetime | float | None = None,
    ) -> datetime | None:
        """The first anchor + k × period (k ≥ 0) strictly after ``after``; ``tz`` plays no part."""
        if anchor is None:
            raise TypeError("a rate() schedule needs its anchor (StartDate, else creation time)")
        after = _instant(after, "after")
        start = _instant(anchor, "anchor")
        if after < start:
            return start
        steps = (after - start) // self.period + 1
        try:
            return start + self.period * steps
        except OverflowError:
            return None


@dataclass(frozen=True)
class At(Expression):
    """A parsed ``at(...)``: one wall-clock time in the schedule's time zone."""

    text: str
    when: datetime  # naive, local to the schedule's time zone
    one_time: bool = True

    def instant(self, tz: tzinfo = _UTC_ZONE) -> datetime:
        """The UTC instant of the wall time in ``tz`` (gap: the offset before; overlap: first)."""
        return self.when.replace(tzinfo=tz).astimezone(UTC)

    def next_after(
        self,
        after: datetime | float,
        *,
        tz: tzinfo = _UTC_ZONE,
        anchor: datetime | float | None = None,
    ) -> datetime | None:
        """The one occurrence if it is strictly after ``after``, else None."""
        when = self.instant(tz)
        return when if when > _instant(after, "after") else None


# ---------------------------------------------------------------------------------------------
# Occurrences and flexible windows


def occurrences(
    expr: Expression,
    *,
    tz: tzinfo = _UTC_ZONE,
    anchor: datetime | float | None = None,
    after: datetime | float,
    until: datetime | float,
    start: datetime | float | None = None,
    end: datetime | float | None = None,
) -> Iterator[datetime]:
    """Occurrences (aware UTC, increasing) in (after, until], limited to [start, end].

    ``start``/``end`` are StartDate/EndDate (inclusive). Every time argument is an aware
    datetime or epoch seconds.
    """
    lower = _instant(after, "after")
    upper = _instant(until, "until")
    if end is not None:
        upper = min(upper, _instant(end, "end"))
    if start is not None:
        lower = max(lower, _instant(start, "start") - timedelta(microseconds=1))
    current = lower
    while True:
        found = expr.next_after(current, tz=tz, anchor=anchor)
        if found is None or found > upper:
            return
        yield found
        current = found


def flexible_delay(key: str, window_minutes: int) -> float:
    """Deterministic seconds in [0, window_minutes × 60) derived from ``key`` (spreads starts).

    The same key always gets the same delay (millisecond steps); 0 for a window of 0 minutes.
    """
    if window_minutes <= 0:
        return 0.0
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    millis = int.from_bytes(digest[:8], "big") % (window_minutes * 60_000)
    return millis / 1000


# ---------------------------------------------------------------------------------------------
# Parsing


_CRON = re.compile(r"cron\((?P<body>[^()]*)\)")
_RATE = re.compile(r"rate\((?P<value>[0-9]+) +(?P<unit>[a-z]+)\)")
_AT = re.compile(
    r"at\((?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})T(?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})\)"
)
_UNITS = {"minute", "hour", "day"}

_MONTH_NAMES = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
_DAY_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]


_FIELDS = (
    _Field("Minutes", 0, 59, {}),
    _Field("Hours", 0, 23, {}),
    _Field("Day-of-month", 1, 31, {}),
    _Field("Month", 1, 12, _MONTH_NAMES),
    _Field("Day-of-week", 1, 7, _DAY_NAMES),
    _Field("Year", MIN_YEAR, MAX_YEAR, {}),
)


def parse(text: str) -> Expression:
    """Parse a schedule expression as EventBridge does; ExpressionError if it is not valid."""
    if not isinstance(text, str):
        raise ExpressionError(
            f"Invalid Schedule Expression {text}.", "The schedule expression must be a string."
        )
    if text.startswith("cron("):
        return _parse_cron(text)
    if text.startswith("rate("):
        return _parse_rate(text)
    if text.startswith("at("):
        return _parse_at(text)
    raise _invalid(
        text,
        "A schedule expression is cron(fields), rate(value unit) or at(yyyy-mm-ddThh:mm:ss), "
        "with nothing before or after it.",
    )


def _parse_rate(text: str) -> Rate:
    match = _RATE.fullmatch(text)
    if match is None:
        raise _invalid(
            text,
            "A rate expression is rate(value unit): a positive integer, one space and minute, "
            "minutes, hour, hours, day or days, for example rate(5 minutes).",
        )
    value, unit = int(match["value"]), match["unit"]
    singular = unit[:-1] if unit.endswith("s") else unit
    if singular not in _UNITS:
        raise _invalid(text, f"Unknown unit {unit!r}: use minute(s), hour(s) or day(s).")
    if value < 1:
        raise _invalid(text, "The value of a rate expression must be a positive integer.")
    if value == 1 and unit != singular:
        raise _invalid(text, f"For a value of 1 the unit is singular: rate(1 {singular}).")
    if value > 1 and unit == singular:
        raise _invalid(text, f"For a value above 1 the unit is plural: rate({value} {unit}s).")
    rate = Rate(text, value, singular)
    try:
        rate.period  # noqa: B018 - a value too large for any calendar
    except OverflowError:
        raise _invalid(text, f"{value} {unit} is longer than any calendar holds.") from None
    return rate


def _parse_at(text: str) -> At:
    match = _AT.fullmatch(text)
    if match is None:
        raise _invalid(
            text,
            "A one-time expression is at(yyyy-mm-ddThh:mm:ss), a local time without a zone "
            "or fraction, for example at(2030-01-31T09:30:00); the zone is "
            "ScheduleExpressionTimezone.",
        )
    try:
        when = datetime(*(int(match[k]) for k in ("y", "mo", "d", "h", "mi", "s")))
    except ValueError as exc:
        raise _invalid(text, f"Not a date and time: {exc}.") from None
    if not datetime.min + timedelta(days=1) < when < datetime.max - timedelta(days=1):
        raise _invalid(text, "The date is too far from today for any time zone to convert it.")
    return At(text, when)


def _parse_cron(text: str) -> Cron:
    match = _CRON.fullmatch(text)
    if match is None:
        raise _invalid(text, "A cron expression is cron(fields), six fields in the parentheses.")
    body = match["body"]
    parts = body.split()
    if body != body.strip() or len(parts) != 6:
        raise _invalid(
            text,
            f"A cron expression has six fields separated by spaces (Minutes Hours Day-of-month "
            f"Month Day-of-week Year), found {len(parts)}"
            + (" with spaces around them" if len(parts) == 6 else "")
            + "; for example cron(0 9 ? * MON-FRI *).",
        )
    minutes, hours, dom, month, dow, year = (p.upper() for p in parts)
    if (dom == "?") == (dow == "?"):
        raise _invalid(
            text,
            "Day-of-month and day-of-week cannot both be specified (nor both be ?): exactly one of "
            "them must be ?, for example cron(0 9 * * ? *) or cron(0 9 ? * MON *).",
        )
    return Cron(
        text,
        minutes=_values(text, _FIELDS[0], minutes),
        hours=_values(text, _FIELDS[1], hours),
        day_of_month=_day_of_month(text, dom),
        months=_values(text, _FIELDS[3], month),
        day_of_week=_day_of_week(text, dow),
        years=_values(text, _FIELDS[5], year),
    )


def _number(text: str, field: _Field, token: str) -> int:
    if token in field.names:
        return field.names[token]
    if not token.isdigit():
        hint = f" or {min(field.names)}…" if field.names else ""
        raise _invalid(
            text,
            f"{field.name}: {token!r} is not a value; use {field.low}-{field.high}{hint}.",
        )
    value = int(token)
    if not field.low <= value <= field.high:
        raise _invalid(
            text, f"{field.name}: {value} is out of range; use {field.low}-{field.high}."
        )
    return value


def _values(text: str, field: _Field, spec: str, *, slash: bool = True) -> tuple[int, ...]:
    """The sorted values of a field made of ``*``, numbers, names, ranges, lists and steps."""
    chosen: set[int] = set()
    for item in spec.split(","):
        if not item:
            raise _invalid(text, f"{field.name}: an empty list item in {spec!r}.")
        base, _, step_text = item.partition("/")
        if "/" in item and not slash:
            raise _invalid(text, f"{field.name}: the / wildcard is not allowed here.")
        step = 1
        if step_text:
            if not step_text.isdigit() or not 1 <= int(step_text) <= field.high:
                raise _invalid(
                    text,
                    f"{field.name}: the increment in {item!r} must be a number from 1 to "
                    f"{field.high}.",
                )
            step = int(step_text)
        elif "/" in item:
            raise _invalid(text, f"{field.name}: {item!r} has no increment after /.")
        if base == "*":
            first, last = field.low, field.high
        elif "-" in base:
            low_text, _, high_text = base.partition("-")
            first, last = _number(text, field, low_text), _number(text, field, high_text)
            if first > last and field.name == "Year":
                raise _invalid(text, f"Year: the range {base!r} runs backwards.")
        else:
            first = _number(text, field, base)
            last = field.high if step_text else first
        chosen.update(_span(field, first, last, step))
    return tuple(sorted(chosen))


def _span(field: _Field, first: int, last: int, step: int) -> list[int]:
    """first..last by step; a range that runs backwards wraps around (FRI-MON, 22-2)."""
    if first <= last:
        return list(range(first, last + 1, step))
    size = field.high - field.low + 1
    count = (last - first) % size + 1
    return [field.low + (first - field.low + i) % size for i in range(0, count, step)]


def _day_of_month(text: str, spec: str) -> _Days:
    if spec in ("?", "*"):
        return _Days("any")
    if spec == "L":
        return _Days("last")
    if spec == "LW":
        return _Days("lastweekday")
    if spec.endswith("W"):
        day = spec[:-1]
        if not day.isdigit() or not 1 <= int(day) <= 31:
            raise _invalid(
                text, f"Day-of-month: {spec!r}; W follows a day 1-31, for example 15W (or LW)."
            )
        return _Days("nearest", arg=int(day))
    if "L" in spec or "W" in spec or "#" in spec:
        raise _invalid(
            text,
            f"Day-of-month: {spec!r}; L, LW and nW stand alone in the field, and # belongs to "
            "day-of-week.",
        )
    return _Days("set", frozenset(_values(text, _FIELDS[2], spec)))


def _day_of_week(text: str, spec: str) -> _Days:
    field = _FIELDS[4]
    if spec in ("?", "*"):
        return _Days("any")
    if spec == "L":
        return _Days("set", frozenset({7}))
    if "#" in spec:
        day, _, nth = spec.partition("#")
        if "," in spec or not nth.isdigit() or not 1 <= int(nth) <= 5:
            raise _invalid(
                text,
                f"Day-of-week: {spec!r}; # takes one day and an instance 1-5, alone in the "
                "field, for example 3#2 (the second Tuesday).",
            )
        return _Days("nth", arg=_number(text, field, day), nth=int(nth))
    if spec.endswith("L"):  # no day name ends in L
        return _Days("lastof", arg=_number(text, field, spec[:-1]))
    return _Days("set", frozenset(_values(text, field, spec, slash=False)))


# ---------------------------------------------------------------------------------------------
# Calendar helpers


def _first_at_least(values: tuple[int, ...], floor: int) -> int | None:
    """The smallest of sorted ``values`` that is ≥ floor, or None."""
    for value in values:
        if value >= floor:
            return value
    return None


def _next_day(y: int, mo: int, d: int) -> tuple[int, int, int, int, int]:
    if d < calendar.monthrange(y, mo)[1]:
        return y, mo, d + 1, 0, 0
    if mo < 12:
        return y, mo + 1, 1, 0, 0
    return y + 1, 1, 1, 0, 0


def _aws_weekday(y: int, mo: int, d: int) -> int:
    """Day of the week as cron numbers it: 1 = Sunday … 7 = Saturday."""
    return (calendar.weekday(y, mo, d) + 1) % 7 + 1


@lru_cache(maxsize=4096)
def _month_days(dom: _Days, dow: _Days, y: int, mo: int) -> tuple[int, ...]:
    """The days of month ``mo`` of year ``y`` that the two day fields select, sorted."""
    length = calendar.monthrange(y, mo)[1]
    if dow.kind != "any":
        return _weekdays(dow, y, mo, length)
    if dom.kind == "any":
        return tuple(range(1, length + 1))
    if dom.kind == "set":
        return tuple(d for d in sorted(dom.values) if d <= length)
    if dom.kind == "last":
        return (length,)
    target = length if dom.kind == "lastweekday" else dom.arg
    if target > length:
        return ()
    return (_nearest_weekday(y, mo, target, length),)


def _nearest_weekday(y: int, mo: int, day: int, length: int) -> int:
    """The weekday (Mon-Fri) nearest ``day``, never leaving the month (Quartz's W)."""
    weekday = calendar.weekday(y, mo, day)  # Monday = 0
    if weekday == 5:  # Saturday: Friday, or Monday the 3rd when the 1st is a Saturday
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: Monday, or Friday when the Sunday ends the month
        return day + 1 if day < length else day - 2
    return day


def _weekdays(dow: _Days, y: int, mo: int, length: int) -> tuple[int, ...]:
    first = _aws_weekday(y, mo, 1)
    if dow.kind == "set":
        return tuple(d for d in range(1, length + 1) if (first + d - 2) % 7 + 1 in dow.values)
    offset = (dow.arg - first) % 7  # days from the 1st to the first such weekday
    if dow.kind == "nth":
        day = 1 + offset + 7 * (dow.nth - 1)
        return (day,) if day <= length else ()
    # lastof: the last such weekday of the month
    return (1 + offset + 7 * ((length - 1 - offset) // 7),)
