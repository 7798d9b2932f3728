"""The scheduler (runtime.schedules.firing) on a virtual clock, ticked by hand, against real
stores (memory and SQLite; Redis where the lease matters) and a recording starter."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from runtime.schedules import expressions
from runtime.schedules.firing import (
    Cursor,
    Scheduler,
    StartRefused,
    StartRequest,
    clock_from_env,
    effective_policy,
    execution_name,
    start_request,
)
from runtime.schedules.starters import StoreStarter
from runtime.stores import MemoryStore, RedisStore, SqliteStore
from runtime.stores.contracts import MachineRecord
from runtime.stores.schedules import ScheduleGroupRecord, ScheduleRecord
from tests.support.redis_server import with_prefix

T0 = datetime(2024, 1, 1, tzinfo=UTC).timestamp()  # a Monday, 00:00 UTC
MACHINE = "arn:aws:states:us-east-1:111111111111:stateMachine:m"
SCHEDULE = "arn:aws:scheduler:us-east-1:111111111111:schedule/{group}/{name}"
NAME_RULE = re.compile(r"^[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}$")


def at(offset: float) -> str:
    return datetime.fromtimestamp(T0 + offset, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def schedule(expr: str = "rate(1 minute)", name: str = "s", group: str = "default", **fields):
    target = {"Arn": MACHINE, "RoleArn": "arn:aws:iam::111111111111:role/r"}
    target.update(fields.pop("target", {}))
    return ScheduleRecord(
        arn=SCHEDULE.format(group=group, name=name),
        name=name,
        group_name=group,
        schedule_expression=expr,
        target=target,
        creation_date=fields.pop("created", T0),
        last_modification_date=fields.pop("modified", T0),
        **fields,
    )


class Recorder:
    """A Starter that records each start; idempotent on the name; executions run until
    :meth:`finish`; ``failures[scheduledTime]``: exceptions its starts raise first."""

    def __init__(self) -> None:
        self.requests: list[StartRequest] = []
        self.running: set[str] = set()
        self.failures: dict[str, list[Exception]] = {}
        self.hook: Any = None

    def start(self, request: StartRequest) -> str:
        self.requests.append(request)
        if self.hook is not None:
            self.hook(request)
        pending = self.failures.get(request.origin["scheduledTime"])
        if pending:
            raise pending.pop(0)
        arn = f"exec:{request.name}"
        if arn not in self.started_arns:
            self.running.add(arn)
        return arn

    @property
    def started_arns(self) -> list[str]:
        return [f"exec:{r.name}" for r in self.requests[:-1]]

    def is_running(self, execution_arn: str) -> bool:
        return execution_arn in self.running

    def finish(self) -> None:
        self.running.clear()

    def times(self) -> list[str]:
        """The scheduled times started (once each, in order)."""
        seen: list[str] = []
        for r in self.requests:
            if r.origin["scheduledTime"] not in seen:
                seen.append(r.origin["scheduledTime"])
        return seen


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=("memory", "sqlite"))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    made = (
        MemoryStore()
        if request.param == "memory"
        else SqliteStore(tmp_path / "s" / "executions.sqlite3")
    )
    yield made
    made.close()


class Rig:
    """A store, a recording starter, a virtual clock and a scheduler over them."""

    def __init__(self, store: Any, owner: str = "a") -> None:
        self.store = store
        self.starter = Recorder()
        self.clock = Clock()
        self.logs: list[str] = []
        self.scheduler = Scheduler(
            store, self.starter, owner=owner, clock=self.clock, log=self.logs.append
        )

    def tick(self, offset: float) -> list[str]:
        self.clock.now = T0 + offset
        return self.scheduler.tick()

    def cursor(self, record: ScheduleRecord) -> dict[str, Any]:
        return json.loads(self.store.get_schedule_cursor(record.arn) or "{}")


@pytest.fixture
def rig(store: Any) -> Rig:
    return Rig(store)


# -- due occurrences -----------------------------------------------------------------------------

DUE = [
    # (expression, fields, tick offsets, scheduled times started (offsets))
    ("rate(1 minute)", {}, [150], [0, 60, 120]),
    ("rate(1 minute)", {}, [0, 30, 60, 61, 119], [0, 60]),
    ("cron(0/10 * * * ? *)", {}, [25 * 60], [0, 600, 1200]),
    ("at(2024-01-01T00:05:00)", {}, [299, 300, 900], [300]),
    ("at(2024-01-01T01:05:00)", {"timezone": "Europe/Berlin"}, [600], [300]),
    ("rate(1 minute)", {"start_date": T0 + 120}, [200], [120, 180]),
    ("rate(1 minute)", {"end_date": T0 + 90}, [400], [0, 60]),
    # one-time schedules ignore StartDate and EndDate
    ("at(2024-01-01T00:05:00)", {"end_date": T0 + 60, "start_date": T0 + 30}, [400], [300]),
    # cron counts from the schedule's creation, not before it
    ("cron(0/10 * * * ? *)", {"created": T0 + 60, "modified": T0 + 60}, [1300], [600, 1200]),
]


@pytest.mark.parametrize(("expr", "fields", "ticks", "expected"), DUE)
def test_due_occurrences_start_once_each(
    rig: Rig, expr: str, fields: dict[str, Any], ticks: list[float], expected: list[float]
) -> None:
    record = schedule(expr, **fields)
    rig.store.add_schedule(record)
    for offset in ticks:
        rig.tick(offset)
    rig.tick(ticks[-1])  # ticking again at the same time starts nothing more
    assert [r.origin["scheduledTime"] for r in rig.starter.requests] == [at(e) for e in expected]
    assert [r.name for r in rig.starter.requests] == [
        execution_name(record, T0 + e) for e in expected
    ]
    cursor = rig.cursor(record)
    assert cursor["fired"] == len(expected) and cursor["skipped"] == 0


def test_the_origin_and_the_context_attributes(rig: Rig) -> None:
    text = json.dumps(
        {
            "arn": "<aws.scheduler.schedule-arn>",
            "time": "<aws.scheduler.scheduled-time>",
            "id": "<aws.scheduler.execution-id>",
            "attempt": "<aws.scheduler.attempt-number>",
        }
    )
    record = schedule(target={"Input": text})
    rig.store.add_schedule(record)
    rig.tick(0)
    (request,) = rig.starter.requests
    sent = json.loads(request.input)
    assert sent["arn"] == record.arn and sent["time"] == "2024-01-01T00:00:00Z"
    assert sent["attempt"] == "1" and re.fullmatch(r"[0-9a-f-]{36}", sent["id"])
    assert request.machine_arn == MACHINE
    assert request.origin == {
        "scheduleArn": record.arn,
        "scheduledTime": "2024-01-01T00:00:00Z",
        "attempt": 1,
    }
    again = start_request(record, T0)  # another scheduler: the same name and input
    assert (again.name, again.input) == (request.name, request.input)


UNIVERSAL = [
    # (Target.Input, machine, input, name: None = derived)
    ({"StateMachineArn": MACHINE + ":prod", "Input": '{"t":"<aws.scheduler.scheduled-time>"}'},
     MACHINE + ":prod", '{"t":"2024-01-01T00:00:00Z"}', None),
    ({"StateMachineArn": MACHINE, "Input": {"a": 1}}, MACHINE, '{"a":1}', None),
    ({"StateMachineArn": MACHINE}, MACHINE, "{}", None),
    ({"StateMachineArn": MACHINE, "Name": "n-<aws.scheduler.attempt-number>"}, MACHINE, "{}",
     "n-1"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "machine", "text", "name"), UNIVERSAL)
def test_the_universal_target(body: dict, machine: str, text: str, name: str | None) -> None:
    arn = "arn:aws:scheduler:::aws-sdk:sfn:startExecution"
    record = schedule(target={"Arn": arn, "Input": json.dumps(body)})
    request = start_request(record, T0)
    assert (request.machine_arn, request.input) == (machine, text)
    assert request.name == (name or execution_name(record, T0))


@pytest.mark.parametrize(
    "target",
    [
        {"Arn": "arn:aws:lambda:us-east-1:111111111111:function:f"},
        {"Arn": "arn:aws:scheduler:::aws-sdk:sfn:startExecution", "Input": "not json"},
        {"Arn": "arn:aws:scheduler:::aws-sdk:sfn:startExecution", "Input": '{"Input": "{}"}'},
    ],
)
def test_a_target_that_cannot_start_is_refused(target: dict) -> None:
    with pytest.raises(StartRefused):
        start_request(schedule(target=target), T0)


# -- names ---------------------------------------------------------------------------------------

NAMES = [
    ("default", "nightly", "default@nightly@20240101T000000Z"),
    ("g" * 64, "n" * 64, None),  # hashed, at most 80 characters
    ("a.b", "c", "a.b@c@20240101T000000Z"),
    ("a", "b.c", "a@b.c@20240101T000000Z"),
]


@pytest.mark.parametrize(("group", "name", "expected"), NAMES)
def test_execution_names(group: str, name: str, expected: str | None) -> None:
    made = execution_name(schedule(name=name, group=group), T0)
    assert NAME_RULE.match(made)
    assert made == execution_name(schedule(name=name, group=group), T0)  # deterministic
    assert made != execution_name(schedule(name=name, group=group), T0 + 60)
    if expected is not None:
        assert made == expected
    else:
        assert len(made) == 80 and made.endswith("@20240101T000000Z")
        assert made != execution_name(schedule(name="n" * 63 + "x", group=group), T0)


def test_the_store_starter_is_idempotent_on_the_name_and_records_the_origin() -> None:
    store = MemoryStore()
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    store.add_machine(
        MachineRecord(MACHINE, "m", definition, "STANDARD", "arn:aws:iam::1:role/r", T0, "r1")
    )
    launched: list[str] = []
    starter = StoreStarter(store, launch=lambda record: launched.append(record.execution_arn))
    record = schedule(target={"Input": '{"n": "<aws.scheduler.attempt-number>"}'})
    first = starter.start(start_request(record, T0))
    second = StoreStarter(store).start(start_request(record, T0))  # another scheduler
    third = starter.start(start_request(record, T0, attempt=2))  # another input, same name
    assert first == second == third == launched[0] and len(launched) == 1
    stored = store.get(first)
    assert stored.name == "default@s@20240101T000000Z" and json.loads(stored.input) == {"n": "1"}
    assert stored.options["schedule"]["scheduledTime"] == "2024-01-01T00:00:00Z"
    assert stored.options["serve"]["stateMachineArn"] == MACHINE
    assert starter.is_running(first) and not starter.is_running(first + "x")
    with pytest.raises(StartRefused):
        starter.start(start_request(schedule(target={"Arn": MACHINE + "x"}), T0))


# -- flexible windows ----------------------------------------------------------------------------


def test_a_flexible_window_delays_each_start_deterministically_inside_it(rig: Rig) -> None:
    window = {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 10}
    record = schedule("rate(1 hour)", flexible_time_window=window)
    rig.store.add_schedule(record)
    for hour in range(4):
        scheduled = T0 + hour * 3600
        delay = expressions.flexible_delay(execution_name(record, scheduled), 10)
        assert 0 <= delay < 600
        rig.tick(scheduled + delay - 1 - T0)
        assert len(rig.starter.requests) == hour
        rig.tick(scheduled + delay - T0)
        assert rig.starter.requests[-1].origin["scheduledTime"] == at(hour * 3600)
    delays = {
        expressions.flexible_delay(execution_name(record, T0 + h * 3600), 10) for h in range(4)
    }
    assert len(delays) == 4  # spread, not one offset


# -- catch-up ------------------------------------------------------------------------------------

CATCHUP = [
    # (schedule's window, group tags, first tick after downtime, occurrences started)
    (None, {}, 36 * 60, [0, 600, 1200, 1800]),  # default: MaximumEventAgeInSeconds, a day
    (900.0, {}, 36 * 60, [1800]),
    (None, {"asl:catchup-window": "900"}, 36 * 60, [1800]),
    (1500.0, {"asl:catchup-window": "900"}, 36 * 60, [1200, 1800]),  # the schedule's wins
    (0.0, {}, 30 * 60 + 30, [1800]),  # at least a minute: a tick's lag never skips
]


@pytest.mark.parametrize(("window", "tags", "first", "expected"), CATCHUP)
def test_the_catch_up_window_decides_what_runs_after_downtime(
    rig: Rig, window: float | None, tags: dict[str, str], first: float, expected: list[float]
) -> None:
    rig.store.add_schedule_group(
        ScheduleGroupRecord("arn:g", "g", T0, T0, tags=tags)  # schedule in group g
    )
    record = schedule("rate(10 minutes)", group="g", catchup_window=window)
    rig.store.add_schedule(record)
    rig.tick(first)
    assert rig.starter.times() == [at(e) for e in expected]
    assert rig.cursor(record)["skipped"] == 4 - len(expected)
    assert sum("skipped" in line for line in rig.logs) >= 1 if len(expected) < 4 else True


def test_a_long_downtime_is_skipped_without_walking_every_occurrence(rig: Rig) -> None:
    record = schedule("rate(1 minute)", catchup_window=120.0)
    rig.store.add_schedule(record)
    rig.tick(30 * 86400)  # 43,200 missed occurrences
    assert rig.starter.times() == [at(30 * 86400 - 120), at(30 * 86400 - 60), at(30 * 86400)]
    assert rig.cursor(record)["skipped"] >= 10_000


# -- overlap -------------------------------------------------------------------------------------

OVERLAP = [
    # (schedule's policy, group's tag, occurrences started, skipped)
    ("SKIP", None, [0, 180], 2),
    ("BUFFER_ONE", None, [0, 60], 1),  # 120 skipped (the buffer was full), 180 buffered
    ("ALLOW_ALL", None, [0, 60, 120, 180], 0),
    (None, None, [0, 60, 120, 180], 0),  # EventBridge: ALLOW_ALL
    (None, "SKIP", [0, 180], 2),
    ("ALLOW_ALL", "SKIP", [0, 60, 120, 180], 0),  # the schedule's own wins
]


@pytest.mark.parametrize(("policy", "tag", "expected", "skipped"), OVERLAP)
def test_overlap_policies(
    rig: Rig, policy: str | None, tag: str | None, expected: list, skipped: int
) -> None:
    tags = {"asl:overlap-policy": tag} if tag else {}
    rig.store.add_schedule_group(ScheduleGroupRecord("arn:g", "g", T0, T0, tags=tags))
    record = schedule(group="g", overlap_policy=policy)
    rig.store.add_schedule(record)
    for offset in (0, 60, 120):  # the first execution runs all along
        rig.tick(offset)
    rig.starter.finish()
    rig.tick(150)  # BUFFER_ONE: the buffered one starts now
    rig.tick(180)
    assert rig.starter.times() == [at(e) for e in expected]
    assert rig.cursor(record)["skipped"] == skipped


def test_effective_policy_defaults_to_allow_all_and_the_event_age() -> None:
    record = schedule(target={"RetryPolicy": {"MaximumEventAgeInSeconds": 300}})
    assert effective_policy(record, None) == ("ALLOW_ALL", 300.0)
    assert effective_policy(schedule(), None) == ("ALLOW_ALL", 86400.0)


# -- retries -------------------------------------------------------------------------------------


def test_a_failed_start_is_retried_with_backoff_and_the_attempt_number(rig: Rig) -> None:
    record = schedule(
        target={
            "Input": '{"attempt": "<aws.scheduler.attempt-number>"}',
            "RetryPolicy": {"MaximumRetryAttempts": 2},
        }
    )
    rig.store.add_schedule(record)
    rig.starter.failures[at(0)] = [OSError("down"), OSError("down")]
    rig.tick(0)  # attempt 1 fails: the next in 1 s
    rig.tick(0.5)  # not yet
    rig.tick(1)  # attempt 2 fails: the next in 2 s
    rig.tick(3)  # attempt 3 starts it
    attempts = [(r.origin["attempt"], json.loads(r.input)["attempt"]) for r in rig.starter.requests]
    assert attempts == [(1, "1"), (2, "2"), (3, "3")]
    assert {r.name for r in rig.starter.requests} == {execution_name(record, T0)}
    rig.tick(60)  # the next occurrence goes as usual
    cursor = rig.cursor(record)
    assert (cursor["fired"], cursor["dropped"], cursor["retry"]) == (2, 0, None)


DROPS = [
    # (RetryPolicy, failures of the first occurrence, attempts made before it is dropped)
    ({"MaximumRetryAttempts": 1}, [OSError()] * 5, 2),
    ({"MaximumRetryAttempts": 0}, [OSError()] * 5, 1),
    ({"MaximumEventAgeInSeconds": 60}, [OSError()] * 50, 6),  # backoff 1+2+4+8+16, then 32 > 60
    ({}, [StartRefused("no such machine")], 1),  # refused: at once
]


@pytest.mark.parametrize(("policy", "failures", "attempts"), DROPS)
def test_a_start_that_keeps_failing_is_dropped(
    rig: Rig, policy: dict, failures: list, attempts: int
) -> None:
    dlq = {"Arn": "arn:aws:sqs:us-east-1:111111111111:dlq"}
    record = schedule(target={"RetryPolicy": policy, "DeadLetterConfig": dlq})
    rig.store.add_schedule(record)
    rig.starter.failures[at(0)] = list(failures)
    offset = 0.0
    for _ in range(20):
        rig.tick(offset)
        retry = rig.cursor(record).get("retry")
        if retry is None:
            break
        offset = retry["at"] - T0
    assert len(rig.starter.requests) == attempts
    assert rig.cursor(record)["dropped"] == 1
    assert any("dropped 2024-01-01T00:00:00Z" in line and dlq["Arn"] in line for line in rig.logs)
    rig.tick(60)  # later occurrences are not held up
    assert rig.starter.requests[-1].origin["scheduledTime"] == at(60)


# -- completion, DISABLED, incarnations ----------------------------------------------------------

COMPLETION = [
    # (expression, fields, last tick, deleted)
    ("at(2024-01-01T00:05:00)", {"action_after_completion": "DELETE"}, 300, True),
    ("at(2024-01-01T00:05:00)", {"action_after_completion": "NONE"}, 300, False),
    ("rate(1 minute)", {"action_after_completion": "DELETE", "end_date": T0 + 150}, 89, False),
    # 120 was the last before EndDate: none left
    ("rate(1 minute)", {"action_after_completion": "DELETE", "end_date": T0 + 150}, 120, True),
    ("rate(1 minute)", {"action_after_completion": "DELETE"}, 3600, False),
    # an at() long past when created: skipped (older than the catch-up window), then deleted
    ("at(2023-01-01T00:00:00)", {"action_after_completion": "DELETE"}, 0, True),
]


@pytest.mark.parametrize(("expr", "fields", "last", "deleted"), COMPLETION)
def test_delete_after_completion(
    rig: Rig, expr: str, fields: dict, last: float, deleted: bool
) -> None:
    record = schedule(expr, **fields)
    rig.store.add_schedule(record)
    rig.tick(0)
    rig.tick(last)
    assert (rig.store.get_schedule(record.arn) is None) == deleted
    assert rig.store.get_schedule_cursor(record.arn) is None or not deleted


def test_disabled_schedules_fire_nothing_and_resume_without_replaying(rig: Rig) -> None:
    record = schedule()
    rig.store.add_schedule(record)
    rig.tick(0)
    rig.tick(60)
    record.state, record.last_modification_date = "DISABLED", T0 + 90
    rig.store.put_schedule(record)
    for offset in (120, 180, 240):
        rig.tick(offset)
    record.state, record.last_modification_date = "ENABLED", T0 + 300
    rig.store.put_schedule(record)
    rig.tick(310)  # 120..300 were paused: not replayed
    rig.tick(360)
    assert rig.starter.times() == [at(0), at(60), at(360)]


def test_a_cursor_of_an_older_incarnation_is_ignored(rig: Rig) -> None:
    old = schedule(created=T0 - 86400, modified=T0 - 86400)
    rig.store.add_schedule(old)
    rig.tick(0)  # the old schedule's occurrences up to now
    rig.store.delete_schedule(old.arn)
    stale = Cursor(created=old.creation_date, last=T0 + 7200, fired=99).to_json()
    rig.store.add_schedule(schedule(created=T0 + 30, modified=T0 + 30))  # created again
    assert rig.store.put_schedule_cursor(old.arn, stale, lease="scheduler", fence=1)
    rig.starter.requests.clear()
    rig.tick(100)
    assert rig.starter.times() == [at(30), at(90)]
    assert rig.cursor(old)["fired"] == 2


# -- the lease -----------------------------------------------------------------------------------


@pytest.fixture(params=("memory", "sqlite", "redis"))
def two_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """Two handles on one store, as two processes have."""
    if request.param == "memory":
        one = MemoryStore()
        pair = (one, one)
    elif request.param == "sqlite":
        path = tmp_path / "s" / "executions.sqlite3"
        pair = (SqliteStore(path), SqliteStore(path))
    else:
        url = with_prefix(
            request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
        )
        pair = (RedisStore(url), RedisStore(url))
    yield pair
    for handle in set(pair):
        handle.close()


def test_only_the_lease_holder_fires_and_a_stale_holder_cannot_advance(two_stores) -> None:
    a, b = Rig(two_stores[0], "a"), Rig(two_stores[1], "b")
    b.starter = a.starter  # one execution service: starts are idempotent on the name
    b.scheduler.starter = a.starter
    record = schedule()
    a.store.add_schedule(record)
    assert a.tick(0) and b.tick(0) == []  # b waits while a holds the lease
    assert b.tick(60) == []

    def stall(request: StartRequest) -> None:
        """a stalls during its start at 120 until its lease is gone and b took over."""
        if request.origin["scheduledTime"] == at(120) and a.starter.hook is not None:
            a.starter.hook = None
            a.store.release_lease("scheduler", "a")  # as if it expired
            b.tick(180)

    a.starter.hook = stall
    a.tick(120)  # a starts 120, then finds its fence refused and stops
    assert any("lost the lease" in line for line in a.logs)
    assert b.cursor(record)["last"] == T0 + 180  # b's progress stands
    assert a.tick(240) == [] and b.tick(240)
    names = [r.name for r in a.starter.requests]
    assert sorted(set(names)) == [execution_name(record, T0 + k * 60) for k in range(5)]
    assert a.starter.times() == [at(k * 60) for k in range(5)]


# -- the clock -----------------------------------------------------------------------------------

CLOCKS = [
    ("", None),
    ("1000:60", 1000 + (2000 - 1000) * 60),
    ("1000", ValueError),
    ("1000:0", ValueError),
    ("x:1", ValueError),
]


@pytest.mark.parametrize(("value", "expected"), CLOCKS)
def test_the_scheduler_clock_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: Any
) -> None:
    monkeypatch.setattr("time.time", lambda: 2000.0)
    if expected is ValueError:
        with pytest.raises(ValueError, match="ASL_SCHEDULER_CLOCK"):
            clock_from_env({"ASL_SCHEDULER_CLOCK": value})
        return
    clock = clock_from_env({"ASL_SCHEDULER_CLOCK": value})
    assert clock() == (2000.0 if expected is None else expected)


def test_a_broken_schedule_is_logged_once_while_it_lasts_and_the_others_fire(rig: Rig) -> None:
    broken = schedule("rate(1 minute)", name="broken")
    broken.schedule_expression = "rate(soon)"  # stored by an older version, say
    rig.store.add_schedule(broken)
    rig.store.add_schedule(schedule("rate(1 minute)", name="fine"))
    for offset in (0, 1, 2, 3):
        rig.tick(offset)
    assert [r.name for r in rig.starter.requests] == [execution_name(schedule(name="fine"), T0)]
    assert len([line for line in rig.logs if "Invalid" in line]) == 1
    fixed = rig.store.get_schedule(broken.arn)
    fixed.schedule_expression = "rate(1 minute)"
    rig.store.put_schedule(fixed)
    rig.tick(4)
    fixed.schedule_expression = "rate(later)"
    rig.store.put_schedule(fixed)
    rig.tick(5)
    assert len([line for line in rig.logs if "Invalid" in line]) == 2  # a new failure is news
