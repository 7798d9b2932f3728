"""Exactly one scheduler on a fleet: two ``asl worker --store redis://...`` processes compete
for the store's scheduler lease on an accelerated clock (``ASL_SCHEDULER_CLOCK``); the holder
is SIGKILLed mid-run and the other takes over. Every occurrence of a rate(1 minute) schedule
started exactly one execution: names contiguous, none missing, none twice."""

from __future__ import annotations

import json
import time

import pytest

from runtime.schedules.firing import execution_name
from runtime.stores.contracts import MachineRecord
from runtime.stores.schedules import ScheduleRecord
from tests.fleet.decider_support import DeciderFleet, kill, wait_all_ended, wait_for

SPEED = 120  # two virtual minutes a second
OCCURRENCES = 48
STARTUP = 15.0  # seconds of real time before the schedule's first occurrence
MACHINE = "arn:aws:states:us-east-1:111111111111:stateMachine:ticks"
INPUT = '{"at": "<aws.scheduler.scheduled-time>"}'
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


@pytest.fixture
def fleet(decider_fleet: DeciderFleet) -> DeciderFleet:
    return decider_fleet


def holder_pid(fleet: DeciderFleet) -> int | None:
    """The pid of the process holding the store's scheduler lease (owner host:pid:...)."""
    import redis

    client = redis.Redis.from_url(fleet.broker)
    try:
        owner = client.hget(f"{fleet.prefix}store:ls:scheduler", "owner")
    finally:
        client.close()
    return int(owner.decode().split(":")[1]) if owner else None


def test_a_killed_lease_holder_hands_over_and_no_occurrence_fires_twice_or_is_lost(
    fleet: DeciderFleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    origin = time.time() + STARTUP
    monkeypatch.setenv("ASL_SCHEDULER_CLOCK", f"{origin}:{SPEED}")
    store = fleet.store()
    store.add_machine(MachineRecord(MACHINE, "ticks", PASS, "STANDARD", "arn:r", origin, "r1"))
    record = ScheduleRecord(
        arn="arn:aws:scheduler:us-east-1:111111111111:schedule/default/ticks",
        name="ticks",
        group_name="default",
        schedule_expression="rate(1 minute)",
        target={"Arn": MACHINE, "RoleArn": "arn:r", "Input": INPUT},
        creation_date=origin,
        last_modification_date=origin,
    )
    store.add_schedule(record)
    workers = [fleet.start_worker("w1"), fleet.start_worker("w2")]

    def started() -> list:
        return [r for r in store.list() if r.machine_name == "ticks"]

    wait_for(lambda: len(started()) >= OCCURRENCES // 3, 60, "the first third")
    pid = holder_pid(fleet)
    (victim,) = [w for w in workers if w.process.pid == pid]
    (survivor,) = [w for w in workers if w is not victim]
    killed = time.monotonic()
    kill(victim)
    wait_for(lambda: "holds the lease" in survivor.text(), 30, "the handover")
    handover = time.monotonic() - killed
    print(f"handover after SIGKILL: {handover:.2f} s")
    wait_for(lambda: len(started()) >= OCCURRENCES, 60, "every occurrence")
    assert holder_pid(fleet) == survivor.process.pid

    records = started()
    times = [r.options["schedule"]["scheduledTime"] for r in records]
    assert len(times) == len(set(times)), "an occurrence started twice"
    count = len(records)
    expected = {execution_name(record, origin + k * 60) for k in range(count)}
    assert {r.name for r in records} == expected, "names not contiguous from the first"
    statuses = wait_all_ended(store, [r.execution_arn for r in records], 60)
    assert set(statuses.values()) == {"SUCCEEDED"}
    cursor = json.loads(store.get_schedule_cursor(record.arn))
    # (to the millisecond: the cursor keeps epoch seconds as JSON, which may differ from
    # ``origin + k * 60`` in the last bits of the float)
    assert round(cursor["last"], 3) >= round(origin + (OCCURRENCES - 1) * 60, 3)
    assert cursor["skipped"] == cursor["dropped"] == 0
    store.close()
