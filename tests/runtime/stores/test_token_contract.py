"""The TaskTokenStore contract (pending tasks and activities), against every backend."""

from __future__ import annotations

import pytest

from runtime.stores import Store
from runtime.stores.contracts import (
    ACTIVITY,
    CALLBACK,
    FAILED,
    OPEN,
    SCHEDULED,
    STARTED,
    SUCCEEDED,
    TIMED_OUT,
    Activity,
    PendingTask,
)

ARN = "arn:aws:states:us-east-1:111111111111:execution:m:run-1"
OTHER = "arn:aws:states:us-east-1:111111111111:execution:m:run-2"


def task(token: str, arn: str = ARN, **fields) -> PendingTask:
    values = dict(
        token=token,
        execution_arn=arn,
        kind=CALLBACK,
        resource="arn:aws:states:::lambda:invoke.waitForTaskToken",
        state_name="Wait for it",
        status=STARTED,
        created=1000.25,
        started=1000.25,
    )
    values.update(fields)
    return PendingTask(**values)


def queued(token: str, activity: str = "resize", **fields) -> PendingTask:
    return task(
        token,
        kind=ACTIVITY,
        resource=f"arn:aws:states:us-east-1:111111111111:activity:{activity}",
        activity=activity,
        status=SCHEDULED,
        started=None,
        input='{"n": 1}',
        **fields,
    )


def test_add_is_idempotent_by_token(store: Store) -> None:
    first, created = store.add_task(task("t1", deadline=1300.5, heartbeat_seconds=30.0))
    assert created and first.seq > 0
    again, created = store.add_task(task("t1", state_name="other"))
    assert not created and again == first
    assert store.get_task("t1") == first
    assert first.deadline == 1300.5 and first.heartbeat_seconds == 30.0
    assert store.get_task("missing") is None


def test_update_is_a_compare_and_swap_on_the_status(store: Store) -> None:
    store.add_task(task("t1"))
    done = store.update_task(
        "t1", OPEN, {"status": SUCCEEDED, "output": '{"ok": true}', "closed": 1001.0}
    )
    assert done is not None and (done.status, done.output, done.closed) == (
        SUCCEEDED,
        '{"ok": true}',
        1001.0,
    )
    assert store.update_task("t1", OPEN, {"status": FAILED, "error": "late"}) is None
    assert store.get_task("t1").status == SUCCEEDED
    assert store.update_task("missing", OPEN, {"status": FAILED}) is None


def test_update_clears_fields_and_keeps_token_and_order(store: Store) -> None:
    stored, _ = store.add_task(task("t1", cause="was"))
    changed = store.update_task("t1", OPEN, {"cause": None, "token": "x", "seq": 99})
    assert changed is not None and changed.cause is None
    assert (changed.token, changed.seq) == ("t1", stored.seq)


def test_claim_hands_out_the_oldest_and_times_out_expired_ones(store: Store) -> None:
    store.add_task(queued("late", deadline=1500.0))
    store.add_task(queued("next"))
    store.add_task(queued("elsewhere", activity="other"))
    claimed = store.claim_task("resize", "worker-1", 2000.0)
    assert claimed is not None
    assert (claimed.token, claimed.status, claimed.worker) == ("next", STARTED, "worker-1")
    assert (claimed.started, claimed.beat) == (2000.0, 2000.0)
    expired = store.get_task("late")
    assert (expired.status, expired.error, expired.closed) == (TIMED_OUT, "States.Timeout", 2000.0)
    assert store.claim_task("resize", "worker-1", 2000.0) is None
    assert store.claim_task("other", None, 2000.0).worker is None


def test_a_task_answered_while_queued_is_not_handed_out(store: Store) -> None:
    store.add_task(queued("q1"))
    assert store.update_task("q1", OPEN, {"status": FAILED, "closed": 1.0}) is not None
    assert store.claim_task("resize", "w", 2000.0) is None


def test_list_by_execution_and_open_only(store: Store) -> None:
    store.add_task(task("a1"))
    store.add_task(task("b1", arn=OTHER))
    store.add_task(task("a2"))
    store.update_task("a1", OPEN, {"status": SUCCEEDED})
    assert [t.token for t in store.list_tasks()] == ["a1", "b1", "a2"]
    assert [t.token for t in store.list_tasks(ARN)] == ["a1", "a2"]
    assert [t.token for t in store.list_tasks(ARN, open_only=True)] == ["a2"]
    assert [t.token for t in store.list_tasks(open_only=True)] == ["b1", "a2"]
    assert store.list_tasks("arn:none") == []


def test_activities(store: Store) -> None:
    arn = "arn:aws:states:us-east-1:111111111111:activity:"
    first = store.put_activity(Activity("resize", arn + "resize", 10.5))
    assert first == Activity("resize", arn + "resize", 10.5)
    assert store.put_activity(Activity("resize", arn + "resize", 99.0)) == first
    store.put_activity(Activity("crop", arn + "crop", 5.0))
    assert [a.name for a in store.list_activities()] == ["crop", "resize"]
    assert store.get_activity("crop") == Activity("crop", arn + "crop", 5.0)
    assert store.delete_activity("crop") is True
    assert store.delete_activity("crop") is False
    assert store.get_activity("crop") is None
    assert [a.name for a in store.list_activities()] == ["resize"]


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_tasks_are_shared_by_every_handle_on_the_store(kind, tmp_path, request) -> None:
    """Another process (here: another handle) sees and answers the same tasks."""
    from runtime.stores import SqliteStore

    if kind == "sqlite":
        path = tmp_path / "s.sqlite3"
        first, second = SqliteStore(path), SqliteStore(path)
    else:
        opener = request.getfixturevalue("redis_stores")
        first, second = opener(), opener()
    try:
        first.add_task(queued("q1"))
        assert second.claim_task("resize", "w", 2000.0).token == "q1"
        assert first.get_task("q1").status == STARTED
        assert second.claim_task("resize", "w", 2000.0) is None
    finally:
        first.close()
        second.close()
