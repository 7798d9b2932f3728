"""Schedules on a fleet, through the real commands: ``asl schedule trigger`` and ``backfill`` on
a Redis store hand their executions to ``asl worker --store`` processes and return;
``--no-scheduler`` keeps a worker or an ``asl serve`` out of firing (it never takes the store's
scheduler lease); and a clean stop (SIGTERM, SIGINT) of the lease holder releases the lease at
once, so another scheduler takes over without waiting for it to expire.

A release deletes the lease key, an expiry expires it: the tests tell them apart by Redis's
keyspace notifications (``del`` or ``expired``), not by timing."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from runtime.schedules.firing import execution_name, iso
from runtime.stores.contracts import MachineRecord
from runtime.stores.schedules import ScheduleRecord
from tests.fleet.conftest import ROOT
from tests.fleet.decider_support import DeciderFleet, wait_all_ended, wait_for
from tests.support.redis_server import unavailable

MACHINE = "arn:aws:states:us-east-1:111111111111:stateMachine:gated"
SCHEDULE = "arn:aws:scheduler:us-east-1:111111111111:schedule/default/{}"
GATED = json.dumps(
    {
        "StartAt": "G",
        "States": {
            "G": {"Type": "Task", "Resource": "celery:tests.fleet.fleet_tasks.gate", "End": True}
        },
    }
)
LEASE = "ls:scheduler"  # the Redis store's key of the scheduler lease (runtime.stores.redis)
FENCE = "lf:scheduler"  # its fence counter: one more at each new holder


@pytest.fixture
def fleet(decider_fleet: DeciderFleet) -> DeciderFleet:
    return decider_fleet


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def add_schedule(
    fleet: DeciderFleet, name: str, expression: str, *, created: float | None = None, **more: Any
) -> Any:
    """The gated machine and a schedule ``name`` starting it (its gate file in the test's
    folder); ``more``: more of the record's fields. The schedule's record."""
    created = time.time() if created is None else created
    with contextlib.closing(fleet.store()) as store:
        store.add_machine(
            MachineRecord(MACHINE, "gated", GATED, "STANDARD", "arn:r", created, "r1")
        )
        record = ScheduleRecord(
            arn=SCHEDULE.format(name),
            name=name,
            group_name="default",
            schedule_expression=expression,
            target={
                "Arn": MACHINE,
                "RoleArn": "arn:r",
                "Input": json.dumps({"gate": str(fleet.dir / "gate")}),
            },
            creation_date=created,
            last_modification_date=created,
            **more,
        )
        store.add_schedule(record)
    return record


def past_hourly(fleet: DeciderFleet) -> Any:
    """Schedule ``hourly``, on 1 January 2024 only: the scheduler fires none of it (all past
    the catch-up window); trigger and backfill start it."""
    day = epoch("2024-01-01T00:00:00")
    return add_schedule(
        fleet, "hourly", "cron(0 * * * ? *)", created=day, start_date=day, end_date=day + 86400
    )


def schedule_command(
    fleet: DeciderFleet, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """``asl schedule ARGS`` on the fleet's store: (exit status, stdout, stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "runtime", "schedule", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**fleet.env(), **(env or {})},
        timeout=60,
    )
    return done.returncode, done.stdout, done.stderr


def executions(fleet: DeciderFleet) -> list[Any]:
    with contextlib.closing(fleet.store()) as store:
        return [r for r in store.list() if r.machine_name == "gated"]


def ended(fleet: DeciderFleet, arns: list[str]) -> dict[str, str]:
    with contextlib.closing(fleet.store()) as store:
        return wait_all_ended(store, arns, 30)


class Lease:
    """The store's scheduler lease as Redis holds it."""

    def __init__(self, fleet: DeciderFleet) -> None:
        import redis

        self.client = redis.Redis.from_url(fleet.broker, decode_responses=True)
        self.key = f"{fleet.prefix}store:{LEASE}"
        self.fence_key = f"{fleet.prefix}store:{FENCE}"

    def holder(self) -> tuple[int, int] | None:
        """``(pid, fence)`` of the holder (owner ``host:pid:...``), None when nobody holds it."""
        owner, fence = self.client.hmget(self.key, "owner", "fence")
        return (int(owner.split(":")[1]), int(fence)) if owner else None

    def fences(self) -> int:
        """How many times the lease was taken by a new holder."""
        return int(self.client.get(self.fence_key) or 0)

    @contextlib.contextmanager
    def events(self) -> Iterator[Callable[[], list[str]]]:
        """Record the lease key's keyspace events (``del`` on a release, ``expired`` on an
        expiry); yields a function returning those seen so far."""
        import redis

        client = self.client
        try:
            before = client.config_get("notify-keyspace-events")["notify-keyspace-events"]
            flags = "".join(sorted(set(before) | set("Kgx")))
            client.config_set("notify-keyspace-events", flags)
        except redis.ResponseError as exc:
            unavailable(f"this Redis refuses CONFIG SET notify-keyspace-events: {exc}")
        db = client.connection_pool.connection_kwargs.get("db", 0)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(f"__keyspace@{db}__:{self.key}")
        seen: list[str] = []

        def poll() -> list[str]:
            while (message := pubsub.get_message(timeout=0.01)) is not None:
                seen.append(message["data"])
            return seen

        try:
            poll()  # the subscription is in place before anything is stopped
            yield poll
        finally:
            pubsub.close()
            client.config_set("notify-keyspace-events", before)

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def lease(fleet: DeciderFleet) -> Iterator[Lease]:
    lease = Lease(fleet)
    try:
        yield lease
    finally:
        lease.close()


def released_not_expired(events: Callable[[], list[str]]) -> None:
    """Wait for the lease key's first deletion: a release (``del``), not an expiry."""
    seen = wait_for(lambda: [e for e in events() if e in ("del", "expired")], 20, "the release")
    assert seen[0] == "del", f"the lease expired instead of being released: {events()}"


# -- trigger and backfill -------------------------------------------------------------------------


def test_trigger_and_backfill_hand_their_executions_to_the_fleet(
    fleet: DeciderFleet, lease: Lease
) -> None:
    record = past_hourly(fleet)
    fleet.start_worker("w1")
    # the scheduler's clock stopped at one second: both triggers fall in it
    second = int(time.time())
    frozen = {"ASL_SCHEDULER_CLOCK": f"{second + 0.5}:1e-9"}

    code, out, err = schedule_command(fleet, "trigger", "hourly", env=frozen)
    assert code == 0, err
    summary = json.loads(out)
    name = execution_name(record, second)
    assert summary["name"] == name
    assert summary["scheduledTime"] == iso(second)
    # the command returned while the execution waits at its gate on a worker
    assert summary["status"] == "RUNNING"
    arn = summary["executionArn"]

    code, out, err = schedule_command(fleet, "trigger", "hourly", env=frozen)
    assert code == 0, err
    assert json.loads(out)["executionArn"] == arn
    assert [r.name for r in executions(fleet)] == [name], "the second trigger started another"

    (fleet.dir / "gate").touch()
    assert ended(fleet, [arn]) == {arn: "SUCCEEDED"}
    with contextlib.closing(fleet.store()) as store:
        origin = store.get(arn).options["schedule"]
    assert origin == {"scheduleArn": record.arn, "scheduledTime": iso(second), "attempt": 1}

    code, out, err = schedule_command(
        fleet,
        "backfill",
        "hourly",
        "--from",
        "2024-01-01T00:00:00Z",
        "--to",
        "2024-01-01T05:00:00Z",
        "--format",
        "json",
    )
    assert code == 0, err
    hours = [epoch(f"2024-01-01T0{h}:00:00") for h in range(6)]
    steps = json.loads(out)["Occurrences"]
    assert [(s["action"], s["scheduledTime"]) for s in steps] == [
        ("STARTED", iso(t)) for t in hours
    ]
    expected = {execution_name(record, t) for t in hours} | {name}
    started = executions(fleet)
    assert {r.name for r in started} == expected and len(started) == len(expected)
    statuses = ended(fleet, [r.execution_arn for r in started])
    assert set(statuses.values()) == {"SUCCEEDED"}
    assert lease.fences() == 1  # one scheduler all along; it started none of these


def test_a_buffer_one_backfill_waits_for_the_fleet_to_end_the_running_execution(
    fleet: DeciderFleet,
) -> None:
    record = past_hourly(fleet)
    fleet.start_worker("w1")
    command = [sys.executable, "-m", "runtime", "schedule", "backfill", "hourly"]
    range_ = ["--from", "2024-01-01T00:00:00Z", "--to", "2024-01-01T02:00:00Z"]
    backfill = subprocess.Popen(
        [*command, *range_, "--overlap", "buffer-one", "--format", "json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=fleet.env(),
    )
    try:
        wait_for((fleet.dir / "gate.waiting").exists, 20, "the first execution at its gate")
        assert backfill.poll() is None  # it waits for the first to end, to start the buffered one
        (fleet.dir / "gate").touch()
        out, err = backfill.communicate(timeout=30)
    finally:
        if backfill.poll() is None:
            backfill.kill()
            backfill.wait()
    assert backfill.returncode == 0, err
    steps = json.loads(out)["Occurrences"]
    assert [s["action"] for s in steps] == ["STARTED", "STARTED", "SKIPPED"], out
    assert steps[1]["reason"] == "after the previous run ended"
    hours = [epoch(f"2024-01-01T0{h}:00:00") for h in range(2)]
    started = executions(fleet)
    assert sorted(r.name for r in started) == [execution_name(record, t) for t in hours]
    statuses = ended(fleet, [r.execution_arn for r in started])
    assert set(statuses.values()) == {"SUCCEEDED"}


def test_trigger_refuses_a_malformed_scheduler_clock(fleet: DeciderFleet) -> None:
    past_hourly(fleet)
    code, out, err = schedule_command(
        fleet, "trigger", "hourly", env={"ASL_SCHEDULER_CLOCK": "soon"}
    )
    assert (code, out) == (2, "")
    assert "ASL_SCHEDULER_CLOCK='soon': expected ORIGIN:SPEED" in err
    assert executions(fleet) == []


# -- who fires: --no-scheduler, and a clean stop's release -----------------------------------------


def test_no_scheduler_processes_never_fire_and_a_stopped_holder_hands_over_at_once(
    fleet: DeciderFleet, lease: Lease, monkeypatch: pytest.MonkeyPatch
) -> None:
    origin = time.time()
    monkeypatch.setenv("ASL_SCHEDULER_CLOCK", f"{origin}:60")  # a virtual minute a second
    record = add_schedule(fleet, "minutely", "rate(1 minute)", created=origin)
    (fleet.dir / "gate").touch()  # its executions pass straight through
    quiet = [
        fleet.start_serve("--no-scheduler").process,
        fleet.start_worker("quiet", extra=("--no-scheduler",)).process,
    ]
    # due every second since the server started: neither took the lease, nothing fired
    assert (lease.holder(), lease.fences(), executions(fleet)) == (None, 0, [])

    first = fleet.start_worker("first")
    wait_for(lambda: len(executions(fleet)) >= 3, 30, "the first worker's firing")
    assert lease.holder() == (first.process.pid, 1)  # the only holder there has been

    second = fleet.start_worker("second")
    with lease.events() as events:
        first.stop(signal.SIGTERM, wait=30)  # a clean stop: Celery's warm shutdown
        assert first.process.returncode == 0, first.text()
        released_not_expired(events)
    holder = wait_for(lease.holder, 10, "a new holder")
    assert holder == (second.process.pid, 2), "not the scheduler without --no-scheduler"
    assert all(p.poll() is None for p in quiet)

    count = len(executions(fleet))
    wait_for(lambda: len(executions(fleet)) > count + 1, 30, "the second worker's firing")
    started = executions(fleet)
    expected = {execution_name(record, origin + k * 60) for k in range(len(started))}
    assert {r.name for r in started} == expected, "an occurrence lost or started twice"


@pytest.mark.parametrize(
    ("sig", "status"),
    [(signal.SIGTERM, 0), (signal.SIGINT, 1)],  # Celery exits 1 after a Ctrl-C's warm shutdown
    ids=["SIGTERM", "SIGINT"],
)
def test_a_worker_stopping_releases_the_lease_before_its_running_tasks_end(
    fleet: DeciderFleet, lease: Lease, sig: signal.Signals, status: int
) -> None:
    past_hourly(fleet)
    worker = fleet.start_worker("busy")
    wait_for(lambda: lease.holder() == (worker.process.pid, 1), 10, "the worker's lease")
    code, _, err = schedule_command(fleet, "trigger", "hourly")
    assert code == 0, err
    wait_for((fleet.dir / "gate.waiting").exists, 20, "the task at its gate")
    standby = fleet.start_serve()
    with lease.events() as events:
        worker.process.send_signal(sig)  # a warm shutdown: the running task may finish
        released_not_expired(events)  # while the task still waits
    assert worker.process.poll() is None
    holder = wait_for(lease.holder, 10, "a new holder")
    assert holder == (standby.process.pid, 2)
    (fleet.dir / "gate").touch()
    assert worker.process.wait(20) == status, worker.text()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_server_releases_the_lease_at_once(
    fleet: DeciderFleet, lease: Lease, sig: signal.Signals
) -> None:
    holding = fleet.start_serve()
    wait_for(lambda: lease.holder() == (holding.process.pid, 1), 10, "the server's lease")
    standby = fleet.start_serve()
    with lease.events() as events:
        holding.process.send_signal(sig)
        assert holding.process.wait(20) == 0, holding.text()
        released_not_expired(events)
    assert "asl serve: stopped" in holding.text()
    holder = wait_for(lease.holder, 10, "a new holder")
    assert holder == (standby.process.pid, 2)
