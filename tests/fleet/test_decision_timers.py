"""The fleet's durable timers (runtime.fleet.decisions.FleetState) on a real Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from runtime.fleet.decisions import FleetState


@pytest.fixture
def state(redis_url: str) -> Iterator[FleetState]:
    import redis

    client = redis.Redis.from_url(redis_url)
    prefix = f"asl-timers-{uuid.uuid4().hex[:10]}:"
    yield FleetState(client, prefix)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


def test_a_timer_set_again_while_it_is_swept_stays(state: FleetState) -> None:
    due = time.time() - 1
    state.set_timer("arn-a", due)
    ((member, version),) = state.due_timers(time.time())
    # The decision the sweep asked for ran at once and parked on the same deadline again.
    state.set_timer("arn-a", due)
    assert not state.remove_swept(member, version)
    assert [m for m, _ in state.due_timers(time.time())] == ["arn-a"]


def test_a_swept_timer_is_removed_and_the_earliest_is_kept(state: FleetState) -> None:
    now = time.time()
    state.set_timer("arn-b", now + 60)
    state.set_timer("arn-b", now + 30)  # earlier: replaces
    state.set_timer("arn-b", now + 90)  # later: the earlier one stays
    assert state.next_due() == pytest.approx(now + 30)
    assert state.due_timers(now) == []
    ((member, version),) = state.due_timers(now + 31)
    assert state.remove_swept(member, version)
    assert state.timer_count() == 0


def test_the_sweep_lease_is_held_by_one_owner(state: FleetState) -> None:
    assert state.hold_lease("one", seconds=5)
    assert not state.hold_lease("two", seconds=5)
    assert state.hold_lease("one", seconds=5)  # renewed
