"""The ScheduleStore contract (schedules, groups, cursors, leases), against every backend."""

from __future__ import annotations

import time

import pytest

from runtime.stores import Store
from runtime.stores.schedules import ScheduleGroupRecord, ScheduleRecord

ARN = "arn:aws:scheduler:us-east-1:111111111111:schedule/{group}/{name}"


def schedule(name: str, group: str = "default", created: float = 1.0, **more) -> ScheduleRecord:
    return ScheduleRecord(
        arn=ARN.format(group=group, name=name),
        name=name,
        group_name=group,
        schedule_expression="rate(5 minutes)",
        target={"Arn": "arn:aws:states:us-east-1:111111111111:stateMachine:m", "RoleArn": "r"},
        creation_date=created,
        last_modification_date=created,
        **more,
    )


def group(name: str, created: float = 1.0) -> ScheduleGroupRecord:
    return ScheduleGroupRecord(
        arn=f"arn:aws:scheduler:us-east-1:111111111111:schedule-group/{name}",
        name=name,
        creation_date=created,
        last_modification_date=created,
        tags={"asl:overlap": "SKIP"},
    )


def test_schedules_add_get_list_put_delete(store: Store) -> None:
    first = schedule("a", timezone="Europe/Berlin", overlap_policy="SKIP")
    assert store.add_schedule(first) == (first, True)
    again, created = store.add_schedule(schedule("a", created=9.0))
    assert not created and again == first
    assert store.get_schedule(first.arn) == first
    assert store.get_schedule(first.arn + "x") is None
    store.add_schedule(schedule("b", group="other", created=0.5))
    assert [s.name for s in store.list_schedules()] == ["b", "a"]
    changed = first.copy()
    changed.state = "DISABLED"
    store.put_schedule(changed)
    assert store.get_schedule(first.arn).state == "DISABLED"
    assert store.delete_schedule(first.arn) is True
    assert store.delete_schedule(first.arn) is False
    assert [s.name for s in store.list_schedules()] == ["b"]


def test_schedule_records_are_copies(store: Store) -> None:
    store.add_schedule(schedule("a"))
    got = store.get_schedule(schedule("a").arn)
    got.target["Input"] = "{}"
    assert "Input" not in store.get_schedule(schedule("a").arn).target


def test_groups(store: Store) -> None:
    assert store.add_schedule_group(group("g", created=2.0))[1] is True
    assert store.add_schedule_group(group("g", created=3.0))[1] is False
    store.add_schedule_group(group("f", created=1.0))
    assert [g.name for g in store.list_schedule_groups()] == ["f", "g"]
    changed = group("g", created=2.0)
    changed.tags = {}
    store.put_schedule_group(changed)
    assert store.get_schedule_group("g").tags == {}
    assert store.delete_schedule_group("g") is True
    assert store.get_schedule_group("g") is None
    assert store.delete_schedule_group("g") is False


def test_lease_fences_grow_and_renewals_keep_them(store: Store) -> None:
    first = store.acquire_lease("scheduler", "a", 30)
    assert first is not None
    assert store.acquire_lease("scheduler", "a", 30) == first  # renewed
    assert store.acquire_lease("scheduler", "b", 30) is None  # held by a
    store.release_lease("scheduler", "b")  # not b's: nothing happens
    assert store.acquire_lease("scheduler", "b", 30) is None
    store.release_lease("scheduler", "a")
    second = store.acquire_lease("scheduler", "b", 30)
    assert second is not None and second > first
    assert store.acquire_lease("other", "a", 30) is not None  # leases are independent


def test_an_expired_lease_passes_to_the_next_owner(store: Store) -> None:
    first = store.acquire_lease("scheduler", "a", 0.05)
    time.sleep(0.15)
    second = store.acquire_lease("scheduler", "b", 30)
    assert second is not None and second > first


@pytest.mark.parametrize("holder_moves_on", [False, True])
def test_a_cursor_is_written_only_under_the_current_fence(
    store: Store, holder_moves_on: bool
) -> None:
    arn = schedule("a").arn
    assert store.get_schedule_cursor(arn) is None
    fence = store.acquire_lease("scheduler", "a", 30)
    assert store.put_schedule_cursor(arn, '{"n":1}', lease="scheduler", fence=fence)
    assert store.get_schedule_cursor(arn) == '{"n":1}'
    if holder_moves_on:  # a crashed holder's lease was taken over: its old fence is void
        store.release_lease("scheduler", "a")
        store.acquire_lease("scheduler", "b", 30)
    written = store.put_schedule_cursor(arn, '{"n":2}', lease="scheduler", fence=fence)
    assert written is not holder_moves_on
    assert store.get_schedule_cursor(arn) == ('{"n":1}' if holder_moves_on else '{"n":2}')


def test_deleting_a_schedule_deletes_its_cursor(store: Store) -> None:
    record = schedule("a")
    store.add_schedule(record)
    fence = store.acquire_lease("scheduler", "a", 30)
    store.put_schedule_cursor(record.arn, "{}", lease="scheduler", fence=fence)
    store.delete_schedule(record.arn)
    assert store.get_schedule_cursor(record.arn) is None
