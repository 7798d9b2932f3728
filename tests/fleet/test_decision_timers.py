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
    assert not state.rearm_swept(member, version, time.time() + 60)
    assert [m for m, _ in state.due_timers(time.time())] == ["arn-a"]


def test_a_swept_timer_becomes_a_watchdog_and_the_earliest_is_kept(state: FleetState) -> None:
    now = time.time()
    state.set_timer("arn-b", now + 60)
    state.set_timer("arn-b", now + 30)  # earlier: replaces
    state.set_timer("arn-b", now + 90)  # later: the earlier one stays
    assert state.next_due() == pytest.approx(now + 30)
    assert state.due_timers(now) == []
    ((member, version),) = state.due_timers(now + 31)
    assert state.rearm_swept(member, version, now + 120)  # should the decision asked be lost
    assert state.next_due() == pytest.approx(now + 120)
    state.forget(member)
    assert state.timer_count() == 0


def test_the_sweep_lease_is_held_by_one_owner(state: FleetState) -> None:
    assert state.hold_lease("one", seconds=5)
    assert not state.hold_lease("two", seconds=5)
    assert state.hold_lease("one", seconds=5)  # renewed


class SentTasks:
    """Stands in for the Celery app: the messages a decision would send."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send_task(self, name: str, **options) -> None:
        self.sent.append(options["task_id"])


def test_an_attempt_sent_and_never_started_is_sent_again_after_the_watchdog(
    state: FleetState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed as it took a message from Redis loses it (Kombu cannot restore it): an
    attempt not started within the watchdog time is sent again; one started never is."""
    from runtime.core.interpreter import TaskRequest
    from runtime.drivers.decider_celery import CeleryServices

    monkeypatch.setenv("ASL_DECIDER_WATCHDOG", "0.2")
    app = SentTasks()
    services = CeleryServices(app, state)
    request = TaskRequest("python:mod:fn", {}, "A", {"Execution": {"Id": "arn-c"}}, key="/A#1")

    def decision(fresh: bool) -> None:  # sends, then the timer (which marks them sent)
        services.send("arn-c", "attempt-1", request, fresh=fresh)
        services.watch("arn-c", None, waits_on_tasks=True)

    decision(fresh=True)
    decision(fresh=False)  # a replay soon after: not again
    assert app.sent == ["attempt-1"]
    time.sleep(0.3)
    decision(fresh=False)  # never started: lost, again
    assert app.sent == ["attempt-1", "attempt-1"]
    state.mark_started("attempt-1")
    time.sleep(0.3)
    decision(fresh=False)  # running somewhere: leave it
    assert app.sent == ["attempt-1", "attempt-1"]


def test_a_long_wait_is_one_timer_and_tasks_out_keep_a_watchdog(
    state: FleetState, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runtime.drivers.decider_celery import CeleryServices

    monkeypatch.setenv("ASL_DECIDER_WATCHDOG", "60")
    services = CeleryServices(SentTasks(), state)
    three_days = time.time() + 3 * 86400
    services.watch("arn-w", three_days, waits_on_tasks=False)
    assert state.next_due() == pytest.approx(three_days)  # no decision every minute meanwhile
    services.watch("arn-t", three_days, waits_on_tasks=True)  # a branch's task is out too
    assert state.due_timers(time.time() + 61) == [("arn-t", "1")]


def test_a_decision_replaces_the_watchdog_a_sweep_left(state: FleetState) -> None:
    """A sweep re-arms a fired timer as a watchdog; the decision it asked for then parks on a
    three-day Wait: that timer replaces the watchdog (no decision a minute for three days)."""
    now = time.time()
    state.set_timer("arn-x", now - 1)
    ((member, version),) = state.due_timers(now)
    assert state.rearm_swept(member, version, now + 60)
    three_days = now + 3 * 86400
    state.set_timer("arn-x", three_days)
    assert state.next_due() == pytest.approx(three_days)
