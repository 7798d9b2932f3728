"""How long ``next_after`` takes, against a naive minute-by-minute scan in the same run.

Figures only: nothing fails on a slow run.

    python bench/schedule_expressions.py            # the scan capped at 2,000,000 minutes
    python bench/schedule_expressions.py --quick    # capped at 200,000 minutes

For each expression: the median time of one ``next_after`` call (after a warm-up; the calendar
cache of ``runtime.schedules.expressions`` is cleared before every call, so each call pays for
its own month arithmetic), and the time the baseline takes to reach the same answer by testing
every minute's wall time (``Cron.matches`` on the first of two local instants) from the same
start. A scan that reaches its cap reports a lower bound (``>``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

from runtime.schedules import expressions
from runtime.schedules.expressions import Cron, parse, zone

START = datetime(2025, 3, 1, tzinfo=UTC)
CASES = [
    # (expression, time zone, what it shows); from START
    ("cron(*/5 * * * ? *)", "UTC", "every 5 minutes"),
    ("cron(0 9 ? * MON-FRI *)", "Europe/Berlin", "weekdays at 09:00"),
    ("cron(30 2 * * ? *)", "America/New_York", "02:30 daily"),
    ("cron(15 10 ? * 6L *)", "UTC", "last Friday"),
    ("cron(0 0 ? * 3#2 *)", "Australia/Sydney", "second Tuesday"),
    ("cron(0 0 LW * ? *)", "UTC", "last weekday"),
    ("cron(0 12 1 JAN ? *)", "UTC", "once a year"),
    ("cron(0 0 29 2 ? *)", "UTC", "29 February (2028)"),
    ("cron(0 0 1 JAN ? 2199)", "UTC", "a far year (2199)"),
    ("cron(0 0 31 2 ? *)", "UTC", "never (31 February)"),
    ("rate(5 minutes)", "UTC", "rate, anchor in 2000"),
    ("at(2030-06-01T12:00:00)", "Europe/Berlin", "one time"),
]


def time_next_after(text: str, tz_name: str, runs: int) -> tuple[float, datetime | None]:
    expression = parse(text)
    tz = zone(tz_name)
    anchor = datetime(2000, 1, 1, 0, 0, 7, tzinfo=UTC)
    result = expression.next_after(START, tz=tz, anchor=anchor)
    samples = []
    for _ in range(runs):
        expressions._month_days.cache_clear()
        began = time.perf_counter()
        expression.next_after(START, tz=tz, anchor=anchor)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples), result


def naive_scan(text: str, tz_name: str, cap: int) -> tuple[float, int, bool]:
    """Seconds, minutes tested, and whether the cap was hit."""
    expression = parse(text)
    if not isinstance(expression, Cron):
        return 0.0, 0, False
    tz = zone(tz_name)
    minute = timedelta(minutes=1)
    instant = START + minute
    began = time.perf_counter()
    for tested in range(1, cap + 1):
        wall = instant.astimezone(tz)
        if wall.fold == 0 and expression.matches(wall):
            return time.perf_counter() - began, tested, False
        instant += minute
    return time.perf_counter() - began, cap, True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="cap the scan at 200,000 minutes")
    args = parser.parse_args()
    cap = 200_000 if args.quick else 2_000_000
    runs = 50 if args.quick else 200
    print(f"next_after from {START.isoformat()}, median of {runs} calls; scan capped at {cap:,}")
    print()
    print("| expression | zone | next | next_after | minute scan | ratio |")
    print("|---|---|---|--:|--:|--:|")
    for text, tz_name, what in CASES:
        seconds, result = time_next_after(text, tz_name, runs)
        scan, tested, capped = naive_scan(text, tz_name, cap)
        shown = result.isoformat() if result else "none"
        if tested == 0:
            scan_text, ratio = "n/a", ""
        else:
            bound = ">" if capped else ""
            scan_text = f"{bound}{scan * 1e3:,.1f} ms ({tested:,} min)"
            ratio = f"{bound}{scan / seconds:,.0f}×"
        print(
            f"| `{text}` ({what}) | {tz_name} | {shown} | {seconds * 1e6:,.1f} µs "
            f"| {scan_text} | {ratio} |"
        )


if __name__ == "__main__":
    main()
